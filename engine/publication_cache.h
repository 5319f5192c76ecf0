// The finished documents of the quarterly publication (engine/publication.h), kept for the
// requests after the first: making one reads every entry of the list (0.66 s at 10M entries,
// bench/README.md "List pages"), and every request of the same data gets the same bytes.
//
// The key is what a document depends on: the snapshot (Snapshot::version), the live overlay
// (LiveOverlay::version: every published write makes a new one), the spec's quarter, list,
// format and part, and the day it is made (spec.today), for every format: a row is published
// only while its entry counts on that day, so an entry whose validity ends tomorrow is in
// today's document and not in tomorrow's, with no write in between (and JSON shows the day as
// `as_of`). A document is never stale: any change of what it is made from is a new key.
//
// A few documents are kept (kDefaultCapacity, the least recently used dropped first; ~50 MB
// each for the black list's CSV at 10M entries). Making a document drops at once those whose
// snapshot and overlay are both no newer than its own (readers have moved on from them).
// The first requests of a key wait for one of them to make the document; it is made once.
//
// Thread-safe: Get may be called from any thread. The strings it hands out never change.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/live.h"
#include "engine/publication.h"
#include "engine/snapshot.h"

namespace credlist {

class PublicationCache {
 public:
  static constexpr size_t kDefaultCapacity = 4;

  explicit PublicationCache(size_t capacity = kDefaultCapacity);
  PublicationCache(const PublicationCache&) = delete;
  PublicationCache& operator=(const PublicationCache&) = delete;

  // The document WritePublication(snap, live, spec) makes, made by the first call for its key.
  std::shared_ptr<const std::string> Get(const Snapshot& snap, const LiveOverlay& live,
                                         const PublicationSpec& spec);

  // Documents made so far.
  uint64_t made() const { return made_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    uint64_t snapshot = 0;
    uint64_t overlay = 0;
    int year = 0;
    int quarter = 0;
    ListKind list = ListKind::kRed;
    PublicationFormat format = PublicationFormat::kCsv;
    PublicationPart part = PublicationPart::kDefault;
    Day today = kNoDay;

    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Slot {
    explicit Slot(const Key& k) : key(k) {}
    const Key key;
    std::once_flag once;
    std::shared_ptr<const std::string> document;  // set once, inside `once`
  };
  static Key KeyOf(const Snapshot& snap, const LiveOverlay& live, const PublicationSpec& spec);

  const size_t capacity_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Slot>> slots_;  // the least recently used first
  std::atomic<uint64_t> made_{0};
};

}  // namespace credlist
