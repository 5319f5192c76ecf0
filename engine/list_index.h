// The public list pages (API.md `GET /v1/lists/{red|black|watch}`, DESIGN.md §6): bitmaps
// beside a snapshot, and the page query over them and the live overlay.
//
// Classes. The three filters of a page (认定部门 department, 名单类型 category, 备忘录
// memorandum) are fields of an entry's profile (EntryProfile, engine/snapshot.h), beside fields
// no page filters on (conduct, basis, ...). Build gives each distinct (department, category,
// memoranda) of the profiles the records use a class (39 have entries on the black list of
// the generated 10M; a few hundred at most in practice, however many profiles free text
// makes), and maps each profile to its class, in one pass over the records. Entries of one
// class match the same filters, so the entries a page's filters select are the disjoint union
// of the entries of the classes that match them: no set intersection is ever computed. The
// classes a query matches are found from the shortest of the lists of classes of the
// department, category and memorandum it names (department(), category(), memorandum()),
// each checked against the other filters.
//
// In force on a day. Whether an entry counts (Snapshot::Counts) depends on the day, so the
// index keeps, for the last day asked, an InForce, built by the first query of that day in one
// pass over each list's entries: per list, the entries that count (all), and per class that
// has any (a row) its entries that count. Each is a Counted set: a Roaring bitmap and its
// starts, the number of its entries before each chunk of 2^16 entry indices (a Roaring
// container), 153 chunks at 10M entries.
//
// A page reads the union of some Counted sets by rank: `all` with no filter (or when the
// filters match every row), else the rows the filters match, one or many. Their starts, added
// up, give the total and the chunk that holds a rank; only that chunk, and the next ones a page
// runs into, is materialised: each set's container for it (found with the keys' binary search)
// OR-ed into a 65536-bit bitset, in which the rank is selected by popcount. So a page costs
// O(sets × chunks) additions plus O(sets + entries in a chunk), whatever the combination of
// filters, whether asked before or not, and the same deep in the list as at its head; it reads
// no Roaring cardinality or select, which walk every container and would miss the cache once
// per container on a bitmap no page read lately.
//
// The live overlay. Entries under the life cycle (engine/live.h) are few: a page drops the
// snapshot entries they supersede and adds the live entries that count on the day and match
// the filters. Both are read from a LiveInForce, made by the first page of each overlay version
// (LiveOverlay::version) and day, so that a page walks neither the overlay's 1024 shards nor
// the records of the superseded entries: per list, the superseded snapshot entries that count
// on the day with their classes (one is in a page's set when its class matches the filters),
// and the live entries that count on the day, by entry_id, their department and category as
// the index's slots. Order of a page: snapshot entries by index, then live entries by entry_id.
//
// Where it lives. ListIndexCache keeps the index of the newest snapshot asked for behind an
// atomic shared_ptr; the first query on a new snapshot version builds it (others wait for that
// build, once). Nothing here touches Snapshot or Catalog.
//
// Thread-safety. A ListIndex never changes once built, except which InForce and LiveInForce it
// holds, each published atomically (neither changes once published); any number of threads
// may query it. ListIndexCache::Get may be called from any thread.
#pragma once

#include <roaring/roaring.hh>

#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/live.h"
#include "engine/snapshot.h"

namespace credlist {

// What a page asks for. Empty strings (and memorandum -1) do not filter.
struct ListQuery {
  ListKind list = ListKind::kRed;
  std::string department;  // 认定部门, exactly
  std::string category;    // 名单类型, exactly
  int memorandum = -1;     // ParseMemorandumId's index
  uint64_t page = 1;       // 1-based
  uint32_t page_size = 50;
  Day day = kNoDay;  // in force on this day (today)
};

struct ListPage {
  uint64_t total = 0;                  // matching entries, snapshot and live
  std::vector<uint32_t> entries;       // snapshot entry indices, in order
  std::vector<const LiveEntry*> live;  // then these, by entry_id (owned by the overlay)
};

class ListIndex {
 public:
  static constexpr uint32_t kNoSlot = ~0u;  // no department or category (an empty one)
  // A live entry's department or category that no snapshot entry has.
  static constexpr uint32_t kForeign = ~0u - 2;
  static constexpr uint32_t kNoRow = ~0u;
  static constexpr uint32_t kChunkBits = 16;  // a chunk: 2^16 entry indices, a Roaring container

  // What the filters see of an entry: its department and category slots (kNoSlot for none)
  // and its memoranda.
  struct FilterClass {
    uint32_t department = kNoSlot;
    uint32_t category = kNoSlot;
    uint64_t memoranda = 0;
  };

  // Entries of one list that count on the day (the list's, or one class's), and where they
  // fall: starts[c] of them are in the chunks before chunk c, starts[chunks] is their number.
  struct Counted {
    Roaring bitmap;
    std::vector<uint32_t> starts;
  };

  // One list's entries that count on the day.
  struct ListInForce {
    Counted all;
    std::vector<uint32_t> row_of;  // by class: its row, kNoRow when none of its entries counts
    std::vector<Counted> rows;     // by row: the entries of its class
  };

  // The entries of each list that count on `day`, by class (see the top of this file).
  struct InForce {
    Day day = kNoDay;
    uint32_t chunks = 0;  // chunks of the snapshot's entry indices
    ListInForce lists[kListKinds];
  };

  // The overlay's side of the pages of a day (see the top of this file). Its pointers are the
  // overlay's: valid while an overlay of that version lives.
  struct LiveInForce {
    uint64_t overlay = 0;  // LiveOverlay::version
    Day day = kNoDay;
    struct Superseded {
      uint32_t index;  // a snapshot entry of the list that counts on the day
      uint32_t cls;    // its class
    };
    struct Counting {
      const LiveEntry* entry;  // a live entry of the list that counts on the day
      FilterClass filters;     // its department and category slots (or kForeign), memoranda
    };
    std::vector<Superseded> superseded[kListKinds];  // by index
    std::vector<Counting> counting[kListKinds];      // by entry_id
  };

  static std::unique_ptr<ListIndex> Build(const Snapshot& snap);
  ListIndex(const ListIndex&) = delete;
  ListIndex& operator=(const ListIndex&) = delete;

  uint64_t version() const { return version_; }  // the snapshot's
  // The classes (indices into classes()) of a department, a category or a memorandum, in
  // ascending order; null for one no entry has.
  const std::vector<uint32_t>* department(std::string_view name) const;
  const std::vector<uint32_t>* category(std::string_view name) const;
  const std::vector<uint32_t>* memorandum(int index) const;
  const std::vector<FilterClass>& classes() const { return classes_; }
  // The entries that count on `day`, built on the first call for that day.
  std::shared_ptr<const InForce> InForceOn(const Snapshot& snap, Day day) const;
  // The overlay's side on `day`, made on the first call for that overlay version and day.
  std::shared_ptr<const LiveInForce> LiveOn(const Snapshot& snap, const LiveOverlay& live,
                                            Day day) const;

  // One page. `snap` is the snapshot the index was built from; `live` the overlay over it.
  ListPage Page(const Snapshot& snap, const LiveOverlay& live, const ListQuery& q) const;

  size_t MemoryBytes() const;

 private:
  // A query's filters as slots: kAny where it does not filter, kUnknown for a name no
  // snapshot entry has (only live entries may match it).
  struct Filter {
    static constexpr uint32_t kAny = ~0u - 1;
    static constexpr uint32_t kUnknown = ~0u - 3;
    uint32_t department = kAny;
    uint32_t category = kAny;
    int memorandum = -1;
    // Whether no snapshot entry can match (a name no entry has, a memorandum out of range).
    bool none() const {
      return department == kUnknown || category == kUnknown || memorandum >= kMemoranda;
    }
    bool Matches(const FilterClass& c) const {
      return (department == kAny || c.department == department) &&
             (category == kAny || c.category == category) &&
             (memorandum < 0 || (c.memoranda >> memorandum & 1) != 0);
    }
  };
  // A name's slot and the classes that have it.
  struct Slot {
    uint32_t slot;
    std::vector<uint32_t> classes;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  struct NameEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  using SlotMap = boost::unordered_flat_map<std::string, Slot, NameHash, NameEq>;

  ListIndex() = default;
  // q's filters, and the classes of the one that has fewest (null when q does not filter or
  // filter.none()).
  Filter Resolve(const ListQuery& q, const std::vector<uint32_t>** shortest) const;
  static bool LiveMatches(const LiveInForce::Counting& c, const Filter& filter, const ListQuery& q);
  // A name's slot: kNoSlot for "", kForeign for a name no snapshot entry has.
  static uint32_t SlotOf(const SlotMap& slots, std::string_view name);

  uint64_t version_ = 0;
  SlotMap departments_;
  SlotMap categories_;
  std::vector<std::vector<uint32_t>> memoranda_;  // by memorandum index: its classes
  std::vector<FilterClass> classes_;
  std::vector<uint32_t> profile_class_;  // by profile index (EntryRecord::profile)
  mutable std::mutex in_force_mu_;       // one InForce build at a time
  mutable std::atomic<std::shared_ptr<const InForce>> in_force_;
  mutable std::atomic<std::shared_ptr<const LiveInForce>> live_;
};

// The index of the newest snapshot asked for (see the top of this file).
class ListIndexCache {
 public:
  ListIndexCache() = default;
  ListIndexCache(const ListIndexCache&) = delete;
  ListIndexCache& operator=(const ListIndexCache&) = delete;

  // The index of `snap` (by version), built on the first call for it.
  std::shared_ptr<const ListIndex> Get(const Snapshot& snap);

 private:
  std::mutex build_mu_;
  std::atomic<std::shared_ptr<const ListIndex>> current_;
};

}  // namespace credlist
