// The compact binary form of a batch of entries, as the store keeps loads (a "chunk").
//
// A chunk holds up to a few thousand entries, each as varints and fixed-width fields: its
// strings as references to a per-chunk dictionary (the categories, departments, bases and
// conduct texts of a load repeat in almost every row, so a repeat costs a byte or two), its
// identifiers as packed keys, its dates and enums. Strings that are new to the chunk are
// written inline where they first occur, so that a chunk is encoded and decoded in one pass.
// A chunk is self-contained, versioned (its first byte) and checksummed (XXH3-64, last 8
// bytes); it round-trips every Entry exactly, whatever its field values (any Day, any Key in
// any identifier field, any bytes in the strings), except enum values outside their enums,
// which EntryChunkEncoder::Add refuses. docs/data-directory.md has the byte layout.
// Little-endian machines only (static_assert).
//
// Thread-safety: the functions are pure and thread-safe; an EntryChunkEncoder is used by one
// thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

// Builds one chunk at a time, entry by entry, without copying the entries: each Add appends
// the entry's bytes. Reuse one encoder for many chunks (Reset, or Add after Finish): it keeps
// its buffers.
class EntryChunkEncoder {
 public:
  EntryChunkEncoder();
  // Not copyable or movable: the dictionary refers to the encoder.
  EntryChunkEncoder(const EntryChunkEncoder&) = delete;
  EntryChunkEncoder& operator=(const EntryChunkEncoder&) = delete;

  // Appends `e` to the chunk being built (after Finish: to a new chunk). An enum value outside
  // its enum (list, subject_type, state, exit_reason), which could not be decoded back, is an
  // InvalidArgument naming the field, and then nothing is appended.
  Status Add(const Entry& e);
  // Entries added to the chunk being built, and its size in bytes so far.
  uint32_t entries() const { return count_; }
  size_t bytes() const { return size_; }
  // Completes the chunk (count and checksum) and returns it; valid until the next Add or
  // Reset. A chunk of zero entries is valid.
  std::string_view Finish();
  // Drops the chunk being built.
  void Reset();

 private:
  // A dictionary string: where its bytes are in the buffer, and their hash.
  struct Ref {
    uint32_t offset;
    uint32_t size;
    uint64_t hash;
  };
  // A string looked up, with its hash computed once.
  struct Probe {
    std::string_view text;
    uint64_t hash;
  };
  struct RefHash {
    using is_transparent = void;
    using is_avalanching = void;
    size_t operator()(const Ref& r) const { return r.hash; }
    size_t operator()(const Probe& p) const { return p.hash; }
  };
  struct RefEq {
    using is_transparent = void;
    const EntryChunkEncoder* encoder;
    std::string_view Text(const Ref& r) const {
      return std::string_view(encoder->data_.get() + r.offset, r.size);
    }
    bool operator()(const Ref& a, const Ref& b) const { return Text(a) == Text(b); }
    bool operator()(const Probe& a, const Ref& b) const { return a.text == Text(b); }
    bool operator()(const Ref& a, const Probe& b) const { return Text(a) == b.text; }
  };

  // Makes room for `more` bytes after the chunk's end and returns where they start.
  char* Room(size_t more);
  // Writes the string at p (room made by Add) and returns the end.
  char* PutString(char* p, std::string_view s, bool remember);

  // The chunk being built: data_[0, size_), in a buffer of capacity_ bytes.
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  uint32_t count_ = 0;
  bool finished_ = false;
  boost::unordered_flat_map<Ref, uint32_t, RefHash, RefEq> dict_;
};

// Appends the chunk of `entries` to *out. Entries with an enum value outside its enum are
// refused (InvalidArgument), and then *out is as it was.
Status EncodeEntryChunk(std::span<const Entry> entries, std::string* out);

// The number of entries a chunk says it holds (its header); 0 when it has no valid header.
uint32_t EntryChunkEntries(std::string_view chunk);

// Calls fn for each entry of a chunk, in order; the Entry is reused between calls (copy what
// you keep). A chunk that is cut short, corrupt (checksum, bounds, enum values, trailing
// bytes) or of an unknown version is an IoError, never undefined behaviour; then fn may have
// seen a prefix of the entries.
Status DecodeEntryChunk(std::string_view chunk, const std::function<void(const Entry&)>& fn);

// The entry_ids of a chunk, in order, as views into `chunk` (valid while it is), appended to
// *ids; faster than DecodeEntryChunk. Errors as DecodeEntryChunk, and then *ids may hold a
// prefix.
Status DecodeEntryChunkIds(std::string_view chunk, std::vector<std::string_view>* ids);

}  // namespace credlist
