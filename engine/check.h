// Check: is this subject listed on a day, and through which entries (API.md "A check result").
//
// Pure functions over a Snapshot and its live overlay; a CheckResult holds entry indices into
// that snapshot and pointers into the overlay, so it is valid only while the caller holds both.
// Thread-safe as the snapshot is.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/ids.h"
#include "engine/live.h"
#include "engine/snapshot.h"

namespace credlist {

// Ordered by strength: black > watch > red > clear.
enum class ListStatus : uint8_t { kClear = 0, kRed = 1, kWatch = 2, kBlack = 3 };
std::string_view ListStatusName(ListStatus s);

struct CheckResult {
  KeyType key_type = KeyType::kNone;  // the reading that found the subject (or the first one)
  Key key;
  ListStatus status = ListStatus::kClear;
  bool conflict = false;          // counting red and black entries at once
  std::vector<uint32_t> entries;  // the subject's entries that count on the day
  std::vector<uint32_t> related;  // entries that count, in which the key is the legal rep
  // The same from the live overlay (engine/live.h): valid while the caller holds it.
  std::vector<const LiveEntry*> live_entries;
  std::vector<const LiveEntry*> live_related;

  void Clear() {
    key_type = KeyType::kNone;
    key = {};
    status = ListStatus::kClear;
    conflict = false;
    entries.clear();
    related.clear();
    live_entries.clear();
    live_related.clear();
  }
};

// Fills `out` for a parsed lookup key on `day`. Reuses `out`'s storage. With a live overlay,
// the snapshot entries it supersedes are left out and its own entries of the key are added.
void Check(const Snapshot& snap, const LookupKey& key, Day day, CheckResult* out);
void Check(const Snapshot& snap, const LiveOverlay* live, const LookupKey& key, Day day,
           CheckResult* out);
// The same from hits already found (batch lookups find first, then check).
void CheckHits(const Snapshot& snap, const Hits* hits, const LookupKey& key, Day day,
               CheckResult* out);
void CheckHits(const Snapshot& snap, const LiveOverlay* live, const Hits* hits,
               const LookupKey& key, Day day, CheckResult* out);

}  // namespace credlist
