#include "engine/list_index.h"

#include <algorithm>

namespace credlist {
namespace {

// A bitmap of sorted, distinct entry indices, compressed.
Roaring FromSorted(const std::vector<uint32_t>& ids) {
  Roaring b;
  if (!ids.empty()) b.addMany(ids.size(), ids.data());
  b.runOptimize();
  b.shrinkToFit();
  return b;
}

bool LiveMatches(const LiveEntry& e, const ListQuery& q) {
  const Entry& x = e.entry;
  if (x.list != q.list) return false;
  if (!q.department.empty() && x.department != q.department) return false;
  if (!q.category.empty() && x.category != q.category) return false;
  if (q.memorandum >= 0 && (x.memoranda >> q.memorandum & 1) == 0) return false;
  return LiveCounts(e, q.day);
}

}  // namespace

std::unique_ptr<ListIndex> ListIndex::Build(const Snapshot& snap) {
  std::unique_ptr<ListIndex> index(new ListIndex());
  index->version_ = snap.version();

  // Profiles are few and shared: each is resolved to its department and category slots once.
  struct Slots {
    uint32_t department;
    uint32_t category;
    uint64_t memoranda;
  };
  constexpr uint32_t kNone = ~0u;
  boost::unordered_flat_map<uint32_t, Slots> by_profile;
  boost::unordered_flat_map<std::string_view, uint32_t> department_slot, category_slot;
  std::vector<std::string_view> department_names, category_names;
  std::vector<std::vector<uint32_t>> department_ids, category_ids, memo_ids(kMemoranda);
  auto slot_of = [](std::string_view name, auto& slots, auto& names, auto& ids) -> uint32_t {
    if (name.empty()) return kNone;
    auto [it, added] = slots.try_emplace(name, static_cast<uint32_t>(names.size()));
    if (added) {
      names.push_back(name);
      ids.emplace_back();
    }
    return it->second;
  };

  uint32_t last_profile = kNone;
  Slots last{kNone, kNone, 0};
  const size_t n = snap.size();
  for (size_t i = 0; i < n; ++i) {
    const EntryRecord& r = snap.record(static_cast<uint32_t>(i));
    if (r.profile() != last_profile) {
      last_profile = r.profile();
      auto it = by_profile.find(last_profile);
      if (it == by_profile.end()) {
        const EntryProfile& p = snap.profile(r);
        const Slots s{
            slot_of(snap.str(p.department), department_slot, department_names, department_ids),
            slot_of(snap.str(p.category), category_slot, category_names, category_ids),
            p.memoranda};
        it = by_profile.emplace(last_profile, s).first;
      }
      last = it->second;
    }
    const auto id = static_cast<uint32_t>(i);
    if (last.department != kNone) department_ids[last.department].push_back(id);
    if (last.category != kNone) category_ids[last.category].push_back(id);
    for (uint64_t m = last.memoranda; m != 0; m &= m - 1)
      memo_ids[static_cast<size_t>(__builtin_ctzll(m))].push_back(id);
  }

  for (size_t s = 0; s < department_names.size(); ++s) {
    index->department_slots_.emplace(std::string(department_names[s]), static_cast<uint32_t>(s));
    index->departments_.push_back(FromSorted(department_ids[s]));
    std::vector<uint32_t>().swap(department_ids[s]);
  }
  for (size_t s = 0; s < category_names.size(); ++s) {
    index->category_slots_.emplace(std::string(category_names[s]), static_cast<uint32_t>(s));
    index->categories_.push_back(FromSorted(category_ids[s]));
    std::vector<uint32_t>().swap(category_ids[s]);
  }
  index->memoranda_.reserve(kMemoranda);
  for (auto& ids : memo_ids) {
    index->memoranda_.push_back(FromSorted(ids));
    std::vector<uint32_t>().swap(ids);
  }
  return index;
}

uint32_t ListIndex::DepartmentSlot(std::string_view name) const {
  auto it = department_slots_.find(std::string(name));
  return it == department_slots_.end() ? kNoSlot : it->second;
}

uint32_t ListIndex::CategorySlot(std::string_view name) const {
  auto it = category_slots_.find(std::string(name));
  return it == category_slots_.end() ? kNoSlot : it->second;
}

const Roaring* ListIndex::department(std::string_view name) const {
  const uint32_t slot = DepartmentSlot(name);
  return slot == kNoSlot ? nullptr : &departments_[slot];
}

const Roaring* ListIndex::category(std::string_view name) const {
  const uint32_t slot = CategorySlot(name);
  return slot == kNoSlot ? nullptr : &categories_[slot];
}

const Roaring* ListIndex::memorandum(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= memoranda_.size()) return nullptr;
  const Roaring& b = memoranda_[static_cast<size_t>(index)];
  return b.isEmpty() ? nullptr : &b;
}

std::shared_ptr<const ListIndex::InForce> ListIndex::InForceOn(const Snapshot& snap,
                                                               Day day) const {
  std::shared_ptr<const InForce> cur = in_force_.load(std::memory_order_acquire);
  if (cur && cur->day == day) return cur;
  std::lock_guard<std::mutex> lock(in_force_mu_);
  cur = in_force_.load(std::memory_order_acquire);
  if (cur && cur->day == day) return cur;

  auto next = std::make_shared<InForce>();
  next->day = day;
  constexpr uint32_t kBatch = 4096;
  uint32_t batch[kBatch];
  std::vector<uint32_t> counting;
  for (int k = 0; k < kListKinds; ++k) {
    const Roaring& list = snap.list_bitmap(static_cast<ListKind>(k));
    counting.clear();
    counting.reserve(list.cardinality());
    roaring_uint32_iterator_t it;
    roaring_init_iterator(&list.roaring, &it);
    for (;;) {
      const uint32_t got = roaring_read_uint32_iterator(&it, batch, kBatch);
      if (got == 0) break;
      for (uint32_t j = 0; j < got; ++j)
        if (snap.Counts(batch[j], day)) counting.push_back(batch[j]);
    }
    next->lists[k] = FromSorted(counting);
    // Per filter: the list's entries in force of each department, category and memorandum.
    const Roaring& in_list = next->lists[k];
    auto restrict = [&in_list](const std::vector<Roaring>& all, std::vector<Roaring>* out) {
      out->reserve(all.size());
      for (const Roaring& b : all) {
        out->push_back(b & in_list);
        out->back().shrinkToFit();
      }
    };
    restrict(departments_, &next->departments[k]);
    restrict(categories_, &next->categories[k]);
    restrict(memoranda_, &next->memoranda[k]);
  }
  in_force_.store(next, std::memory_order_release);
  return next;
}

ListPage ListIndex::Page(const Snapshot& snap, const LiveOverlay& live, const ListQuery& q) const {
  ListPage page;
  const std::shared_ptr<const InForce> in_force = InForceOn(snap, q.day);
  const Roaring& base = in_force->lists[static_cast<int>(q.list)];

  // The snapshot's side: the list in force, or its bitmap for one filter, or the intersection
  // of two or three (cached). A filter no snapshot entry has leaves it empty (live entries may
  // still match).
  std::vector<const Roaring*> filters;
  uint64_t key = 0;
  const bool none = !FilterBitmaps(*in_force, q, &filters, &key);
  static const Roaring kEmpty;
  std::shared_ptr<const Roaring> intersection;
  const Roaring* set = &base;
  if (none) {
    set = &kEmpty;
  } else if (filters.size() == 1) {
    set = filters[0];
  } else if (filters.size() > 1) {
    intersection = in_force->Intersection(key, std::move(filters));
    set = intersection.get();
  }

  // The live side: the snapshot entries it supersedes within the set, and its own matches.
  std::vector<uint32_t> superseded;
  std::vector<const LiveEntry*> matches;
  if (!live.empty()) {
    live.ForEachEntry([&](const LivePtr& e) {
      if (e->base_index >= 0 && static_cast<uint64_t>(e->base_index) < snap.size() &&
          set->contains(static_cast<uint32_t>(e->base_index)))
        superseded.push_back(static_cast<uint32_t>(e->base_index));
      if (LiveMatches(*e, q)) matches.push_back(e.get());
    });
    std::sort(superseded.begin(), superseded.end());
    superseded.erase(std::unique(superseded.begin(), superseded.end()), superseded.end());
    std::sort(matches.begin(), matches.end(), [](const LiveEntry* a, const LiveEntry* b) {
      return a->entry.entry_id < b->entry.entry_id;
    });
  }
  const uint64_t snap_total = set->cardinality() - superseded.size();
  page.total = snap_total + matches.size();

  if (q.page == 0 || q.page_size == 0) return page;
  if ((q.page - 1) > page.total / q.page_size) return page;  // past the end (and no overflow)
  const uint64_t offset = (q.page - 1) * q.page_size;
  if (offset >= page.total) return page;

  if (offset < snap_total) {
    // The entry of rank `offset` among those not superseded: the least s with
    // s == |superseded <= select(offset + s)| (a monotone iteration from 0).
    auto superseded_upto = [&](uint32_t x) {
      return static_cast<uint64_t>(std::upper_bound(superseded.begin(), superseded.end(), x) -
                                   superseded.begin());
    };
    uint64_t s = 0;
    uint32_t first = 0;
    for (;;) {
      if (!set->select(static_cast<uint32_t>(offset + s), &first)) return page;  // not reached
      const uint64_t next = superseded_upto(first);
      if (next == s) break;
      s = next;
    }
    page.entries.reserve(q.page_size);
    roaring_uint32_iterator_t it;
    roaring_init_iterator(&set->roaring, &it);
    roaring_move_uint32_iterator_equalorlarger(&it, first);
    auto sup = std::lower_bound(superseded.begin(), superseded.end(), first);
    while (it.has_value && page.entries.size() < q.page_size) {
      const uint32_t i = it.current_value;
      while (sup != superseded.end() && *sup < i) ++sup;
      if (sup == superseded.end() || *sup != i) page.entries.push_back(i);
      roaring_advance_uint32_iterator(&it);
    }
  }
  size_t from = offset > snap_total ? static_cast<size_t>(offset - snap_total) : 0;
  while (from < matches.size() && page.entries.size() + page.live.size() < q.page_size)
    page.live.push_back(matches[from++]);
  return page;
}

bool ListIndex::FilterBitmaps(const InForce& in_force, const ListQuery& q,
                              std::vector<const Roaring*>* filters, uint64_t* key) const {
  const int k = static_cast<int>(q.list);
  filters->clear();
  // The key: the list (2 bits), the department and category slots (20 bits each, all ones for
  // none) and the memorandum (7 bits, all ones for none).
  *key = static_cast<uint64_t>(k);
  uint64_t department = 0xFFFFF, category = 0xFFFFF, memo = 0x7F;
  if (!q.department.empty()) {
    const uint32_t slot = DepartmentSlot(q.department);
    if (slot == kNoSlot) return false;
    filters->push_back(&in_force.departments[k][slot]);
    department = slot & 0xFFFFFu;
  }
  if (!q.category.empty()) {
    const uint32_t slot = CategorySlot(q.category);
    if (slot == kNoSlot) return false;
    filters->push_back(&in_force.categories[k][slot]);
    category = slot & 0xFFFFFu;
  }
  if (q.memorandum >= 0) {
    if (q.memorandum >= kMemoranda) return false;
    filters->push_back(&in_force.memoranda[k][static_cast<size_t>(q.memorandum)]);
    memo = static_cast<uint64_t>(q.memorandum);
  }
  *key |= department << 2 | category << 22 | memo << 42;
  return true;
}

std::shared_ptr<const Roaring> ListIndex::InForce::Intersection(
    uint64_t key, std::vector<const Roaring*> filters) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  std::sort(filters.begin(), filters.end(),
            [](const Roaring* a, const Roaring* b) { return a->cardinality() < b->cardinality(); });
  auto result = std::make_shared<Roaring>(*filters[0] & *filters[1]);
  for (size_t f = 2; f < filters.size() && !result->isEmpty(); ++f) *result &= *filters[f];
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kCachedIntersections) cache_.clear();  // rare: start again
  cache_.emplace(key, result);
  return result;
}

size_t ListIndex::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& [name, slot] : department_slots_) bytes += name.capacity() + sizeof slot;
  for (const auto& [name, slot] : category_slots_) bytes += name.capacity() + sizeof slot;
  for (const auto* all : {&departments_, &categories_, &memoranda_})
    for (const Roaring& b : *all) bytes += b.getSizeInBytes();
  if (auto f = in_force_.load(std::memory_order_acquire)) {
    for (int k = 0; k < kListKinds; ++k) {
      bytes += f->lists[k].getSizeInBytes();
      for (const auto* all : {&f->departments[k], &f->categories[k], &f->memoranda[k]})
        for (const Roaring& b : *all) bytes += b.getSizeInBytes();
    }
  }
  return bytes;
}

std::shared_ptr<const ListIndex> ListIndexCache::Get(const Snapshot& snap) {
  std::shared_ptr<const ListIndex> cur = current_.load(std::memory_order_acquire);
  if (cur && cur->version() == snap.version()) return cur;
  std::lock_guard<std::mutex> lock(build_mu_);
  cur = current_.load(std::memory_order_acquire);
  if (cur && cur->version() == snap.version()) return cur;
  std::shared_ptr<const ListIndex> built = ListIndex::Build(snap);
  // A reader still on an older snapshot gets an index of its own, without replacing the newer.
  if (!cur || cur->version() < snap.version()) current_.store(built, std::memory_order_release);
  return built;
}

}  // namespace credlist
