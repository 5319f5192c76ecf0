// The public list pages (API.md `GET /v1/lists/{red|black|watch}`, DESIGN.md §6): bitmaps
// beside a snapshot, and the page query over them and the live overlay.
//
// A ListIndex belongs to one Snapshot (its bitmaps hold the snapshot's entry indices): a
// CRoaring bitmap of the entries of each department (认定部门), each category (名单类型) and
// each memorandum (备忘录), built in one pass over the records. The snapshot's own list bitmaps
// (Snapshot::list_bitmap) complete it. A page is the intersection of the list's entries in
// force on the day with the filters' bitmaps; its total is that bitmap's cardinality, and the
// page itself is read from it by rank (Roaring::select), so a page costs the same deep in the
// list as at its head.
//
// In force on a day. Whether an entry counts (Snapshot::Counts) depends on the day, so the
// index keeps, for the last day asked, a bitmap per list of the entries that count on it, and
// its intersections with each department, category and memorandum (InForce), built on the
// first query of that day and shared by the queries after it. So a page with one filter reads
// a bitmap as it is; two or three filters intersect theirs, smallest first, and keep the
// result for the next pages of the same query.
//
// The live overlay. Entries under the life cycle (engine/live.h) are few: a page drops the
// snapshot entries they supersede and adds the live entries that count on the day and match
// the filters, checked one by one. Order: snapshot entries by index, then live entries by
// entry_id.
//
// Where it lives. ListIndexCache keeps the index of the newest snapshot asked for behind an
// atomic shared_ptr; the first query on a new snapshot version builds it (others wait for that
// build, once). Nothing here touches Snapshot or Catalog.
//
// Thread-safety. A ListIndex never changes once built, except its InForce cache, which is
// published atomically; any number of threads may query it. ListIndexCache::Get may be called
// from any thread.
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
  // The entries of each list that count on `day`, and the same per department, category and
  // memorandum (each a subset of its list's), with a small cache of the intersections that
  // pages with two or three filters asked for.
  class InForce {
   public:
    Day day = kNoDay;
    Roaring lists[kListKinds];
    std::vector<Roaring> departments[kListKinds];  // by ListIndex's department slot
    std::vector<Roaring> categories[kListKinds];   // by category slot
    std::vector<Roaring> memoranda[kListKinds];    // by memorandum index (kMemoranda)

    // The intersection of `filters` (two or more), cached under `key`.
    std::shared_ptr<const Roaring> Intersection(uint64_t key,
                                                std::vector<const Roaring*> filters) const;

   private:
    static constexpr size_t kCachedIntersections = 256;
    mutable std::mutex mu_;
    mutable boost::unordered_flat_map<uint64_t, std::shared_ptr<const Roaring>> cache_;
  };

  static std::unique_ptr<ListIndex> Build(const Snapshot& snap);
  ListIndex(const ListIndex&) = delete;
  ListIndex& operator=(const ListIndex&) = delete;

  uint64_t version() const { return version_; }  // the snapshot's
  // The entries of a department, category or memorandum, on every list, in every state; null
  // for one no entry has.
  const Roaring* department(std::string_view name) const;
  const Roaring* category(std::string_view name) const;
  const Roaring* memorandum(int index) const;
  // The entries that count on `day`, built on the first call for that day.
  std::shared_ptr<const InForce> InForceOn(const Snapshot& snap, Day day) const;

  // The bitmaps of q's filters among the entries of q.list in force (in_force's), and the key
  // their intersection is cached under; false when a filter names what no entry has.
  bool FilterBitmaps(const InForce& in_force, const ListQuery& q,
                     std::vector<const Roaring*>* filters, uint64_t* key) const;

  // One page. `snap` is the snapshot the index was built from; `live` the overlay over it.
  ListPage Page(const Snapshot& snap, const LiveOverlay& live, const ListQuery& q) const;

  size_t MemoryBytes() const;

 private:
  static constexpr uint32_t kNoSlot = ~0u;
  ListIndex() = default;
  uint32_t DepartmentSlot(std::string_view name) const;
  uint32_t CategorySlot(std::string_view name) const;

  uint64_t version_ = 0;
  boost::unordered_flat_map<std::string, uint32_t> department_slots_;
  boost::unordered_flat_map<std::string, uint32_t> category_slots_;
  std::vector<Roaring> departments_;  // by slot
  std::vector<Roaring> categories_;   // by slot
  std::vector<Roaring> memoranda_;    // kMemoranda
  mutable std::mutex in_force_mu_;    // one InForce build at a time
  mutable std::atomic<std::shared_ptr<const InForce>> in_force_;
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
