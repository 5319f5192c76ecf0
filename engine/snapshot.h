// Snapshot: the immutable in-memory index of all list entries (DESIGN.md §6).
//
// Entries live in one flat array of fixed-size records; their strings live in one arena and
// are referred to by 32-bit offsets. A boost::unordered_flat_map maps every packed identifier
// (the subject's USCC, 工商注册号 and ID number, and the legal representative's ID number) to
// a run of postings: the entries of that subject, then the entries in which it is the legal
// representative (`related`). CRoaring bitmaps hold the entries of each list.
//
// A Snapshot never changes once built, so any number of threads may read it without locking.
// Build one with SnapshotBuilder (one thread); publish it with Catalog (catalog.h).
#pragma once

#include <roaring/roaring.hh>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/ids.h"

namespace credlist {

// Strings of all entries, each stored once as a varint length and its bytes. Offset 0 is "".
class StringArena {
 public:
  StringArena() { bytes_.push_back(0); }
  uint32_t Add(std::string_view s);
  std::string_view Get(uint32_t offset) const;
  size_t bytes() const { return bytes_.capacity(); }
  void ShrinkToFit() { bytes_.shrink_to_fit(); }

 private:
  std::vector<char> bytes_;
};

// The compact form of an Entry inside a snapshot. The 4-byte fields come first so that the
// 8-byte ones need no padding (112 bytes, not 120).
struct EntryRecord {
  uint32_t entry_id, name, category, legal_rep, conduct, outcome, department, basis, id_type;
  Day decided_on, valid_from, valid_until, in_force_on, exited_on;
  Key uscc;
  uint64_t reg_no;        // Key::lo of a 工商注册号, 0 when absent
  uint64_t id_number;     // Key::lo of an ID number, 0 when absent
  uint64_t legal_rep_id;  // Key::lo of an ID number, 0 when absent
  uint64_t memoranda;
  ListKind list;
  SubjectType subject_type;
  State state;
  ExitReason exit_reason;
};

// Where a key's postings are: postings[offset, offset + subject + related). A key keeps at
// most 65535 postings; no subject or legal representative comes near that.
struct PostingRun {
  uint32_t offset;
  uint16_t subject;  // entries of the subject itself
  uint16_t related;  // entries where the key is the legal representative's ID number
};

// The postings of one key; both spans are empty for an unknown key.
struct Hits {
  std::span<const uint32_t> subject;
  std::span<const uint32_t> related;
};

class Snapshot {
 public:
  size_t size() const { return records_.size(); }
  const EntryRecord& record(uint32_t i) const { return records_[i]; }
  std::string_view str(uint32_t offset) const { return arena_.Get(offset); }
  // The entry as an owned Entry (for the store, for tests).
  Entry ToEntry(uint32_t i) const;
  // The index of an entry by its entry_id, or -1.
  int64_t FindEntry(std::string_view entry_id) const;

  Hits Find(const Key& key) const;
  // Finds n keys at once; out[i] for keys[i].
  void FindBatch(const Key* keys, size_t n, Hits* out) const;

  const Roaring& list_bitmap(ListKind list) const { return lists_[static_cast<int>(list)]; }
  // Subjects on the red and the black list at once (in force today at build time).
  uint64_t conflicts() const { return conflicts_; }
  // Resident bytes of the index (records, arena, map, postings, bitmaps).
  size_t MemoryBytes() const;
  // Counter of builds: each snapshot has a larger one than the one before it.
  uint64_t version() const { return version_; }

 private:
  friend class SnapshotBuilder;
  // Hashes and compares entry indices by their entry_id text; transparent for string_view.
  struct EntryIdHash {
    using is_transparent = void;
    const Snapshot* snap;
    size_t operator()(uint32_t i) const { return (*this)(snap->str(snap->records_[i].entry_id)); }
    size_t operator()(std::string_view id) const;
  };
  struct EntryIdEq {
    using is_transparent = void;
    const Snapshot* snap;
    std::string_view Text(uint32_t i) const { return snap->str(snap->records_[i].entry_id); }
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(std::string_view a, uint32_t b) const { return a == Text(b); }
    bool operator()(uint32_t a, std::string_view b) const { return Text(a) == b; }
  };

  std::vector<EntryRecord> records_;
  StringArena arena_;
  boost::unordered_flat_map<Key, PostingRun, KeyHash> keys_;
  std::vector<uint32_t> postings_;
  boost::unordered_flat_set<uint32_t, EntryIdHash, EntryIdEq> entry_index_{0, EntryIdHash{this},
                                                                           EntryIdEq{this}};
  Roaring lists_[kListKinds];
  uint64_t conflicts_ = 0;
  uint64_t version_ = 0;
};

// Builds a Snapshot from entries, one thread. Adding an entry whose entry_id is already there
// replaces it (API.md: loading a known entry_id replaces the entry).
class SnapshotBuilder {
 public:
  SnapshotBuilder();
  // Starts from every entry of `base` (a reload keeps what was there).
  explicit SnapshotBuilder(const Snapshot& base);

  void Add(const Entry& e);
  size_t size() const;
  std::shared_ptr<const Snapshot> Build(Day today);

 private:
  uint32_t Intern(std::string_view s);

  std::unique_ptr<Snapshot> snap_;
  boost::unordered_flat_map<uint64_t, std::vector<uint32_t>> interned_;  // hash -> offsets
};

}  // namespace credlist
