#include "engine/list_index.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <tuple>

namespace credlist {
namespace {

constexpr uint32_t kNone = ~0u;
constexpr uint32_t kChunkWords = (1u << ListIndex::kChunkBits) / 64;

// A bitmap of sorted, distinct entry indices, compressed.
Roaring FromSorted(const std::vector<uint32_t>& ids) {
  Roaring b;
  if (!ids.empty()) b.addMany(ids.size(), ids.data());
  b.runOptimize();
  b.shrinkToFit();
  return b;
}

// The entries `ids` (sorted, distinct) as a Counted set over `chunks` chunks.
ListIndex::Counted MakeCounted(const std::vector<uint32_t>& ids, uint32_t chunks) {
  ListIndex::Counted counted;
  counted.bitmap = FromSorted(ids);
  counted.starts.assign(chunks + 1, 0);
  for (uint32_t i : ids) ++counted.starts[(i >> ListIndex::kChunkBits) + 1];
  for (uint32_t c = 0; c < chunks; ++c) counted.starts[c + 1] += counted.starts[c];
  return counted;
}

// Sets bits [begin, end) of a chunk's bitset.
void SetRange(uint64_t* words, uint32_t begin, uint32_t end) {
  const uint32_t first = begin >> 6, last = (end - 1) >> 6;
  const uint64_t first_mask = ~uint64_t{0} << (begin & 63);
  const uint64_t last_mask = ~uint64_t{0} >> (63 - ((end - 1) & 63));
  if (first == last) {
    words[first] |= first_mask & last_mask;
    return;
  }
  words[first] |= first_mask;
  for (uint32_t w = first + 1; w < last; ++w) words[w] = ~uint64_t{0};
  words[last] |= last_mask;
}

// ORs b's container for `chunk` (its values' low 16 bits) into words. This reads CRoaring's
// containers (0.2.x: bitset, array, run, shared) through its headers: a bitset container is
// 1024 words OR-ed, an array its values set one by one, a run container its ranges.
void OrChunk(const Roaring& b, uint16_t chunk, uint64_t* words) {
  const roaring_array_t* ra = &b.roaring.high_low_container;
  const int32_t at = ra_get_index(ra, chunk);
  if (at < 0) return;
  uint8_t type = 0;
  const void* c = ra_get_container_at_index(ra, static_cast<uint16_t>(at), &type);
  c = container_unwrap_shared(c, &type);
  switch (type) {
    case BITSET_CONTAINER_TYPE_CODE: {
      const uint64_t* src = static_cast<const bitset_container_t*>(c)->array;
      for (uint32_t w = 0; w < kChunkWords; ++w) words[w] |= src[w];
      break;
    }
    case ARRAY_CONTAINER_TYPE_CODE: {
      const auto* a = static_cast<const array_container_t*>(c);
      for (int32_t j = 0; j < a->cardinality; ++j)
        words[a->array[j] >> 6] |= uint64_t{1} << (a->array[j] & 63);
      break;
    }
    case RUN_CONTAINER_TYPE_CODE: {
      const auto* r = static_cast<const run_container_t*>(c);
      for (int32_t j = 0; j < r->n_runs; ++j)
        SetRange(words, r->runs[j].value, uint32_t{r->runs[j].value} + r->runs[j].length + 1);
      break;
    }
    default:
      break;
  }
}

// The position of the set bit of rank r (0-based) in w, which has more than r.
uint32_t SelectInWord(uint64_t w, uint32_t r) {
  for (; r > 0; --r) w &= w - 1;
  return static_cast<uint32_t>(__builtin_ctzll(w));
}

// The union of disjoint Counted sets (the list in force, one row, or several rows), read by
// rank one chunk at a time (see the top of list_index.h): their starts summed locate the chunk
// of a rank, and that chunk alone is materialised, their containers for it OR-ed into a
// bitset. Holds the chunk it last materialised.
class ChunkedUnion {
 public:
  ChunkedUnion(std::vector<const ListIndex::Counted*> parts, uint32_t chunks)
      : parts_(std::move(parts)), chunks_(chunks), starts_(chunks + 1, 0) {
    for (const ListIndex::Counted* part : parts_)
      for (uint32_t c = 0; c <= chunks_; ++c) starts_[c] += part->starts[c];
  }

  uint64_t cardinality() const { return starts_.back(); }

  // The value of rank `rank` (0-based); false past the end.
  bool Select(uint64_t rank, uint32_t* value) {
    if (rank >= cardinality()) return false;
    // The chunk c with starts_[c] <= rank < starts_[c + 1].
    const auto c = static_cast<uint32_t>(std::upper_bound(starts_.begin(), starts_.end(), rank) -
                                         starts_.begin() - 1);
    Load(c);
    uint64_t r = rank - starts_[c];
    for (uint32_t w = 0; w < kChunkWords; ++w) {
      const auto n = static_cast<uint64_t>(__builtin_popcountll(bits_[w]));
      if (r < n) {
        *value =
            c << ListIndex::kChunkBits | w << 6 | SelectInWord(bits_[w], static_cast<uint32_t>(r));
        return true;
      }
      r -= n;
    }
    return false;  // the starts and the bitmaps disagree: not reached
  }

  // Calls fn(value) for each value >= from, in order, until fn returns false.
  template <typename F>
  void ForEachFrom(uint32_t from, F&& fn) {
    uint32_t low = from & ((1u << ListIndex::kChunkBits) - 1);
    for (uint32_t c = from >> ListIndex::kChunkBits; c < chunks_; ++c, low = 0) {
      if (starts_[c + 1] == starts_[c]) continue;
      Load(c);
      for (uint32_t w = low >> 6; w < kChunkWords; ++w) {
        uint64_t bits = bits_[w];
        if (w == low >> 6) bits &= ~uint64_t{0} << (low & 63);
        for (; bits != 0; bits &= bits - 1) {
          const uint32_t value =
              c << ListIndex::kChunkBits | w << 6 | static_cast<uint32_t>(__builtin_ctzll(bits));
          if (!fn(value)) return;
        }
      }
    }
  }

 private:
  void Load(uint32_t chunk) {
    if (chunk == loaded_) return;
    loaded_ = chunk;
    std::memset(bits_, 0, sizeof bits_);
    for (const ListIndex::Counted* part : parts_)
      if (part->starts[chunk + 1] != part->starts[chunk])
        OrChunk(part->bitmap, static_cast<uint16_t>(chunk), bits_);
  }

  std::vector<const ListIndex::Counted*> parts_;
  const uint32_t chunks_;
  std::vector<uint64_t> starts_;  // by chunk: the rank of its first value; then the cardinality
  uint32_t loaded_ = kNone;
  uint64_t bits_[kChunkWords];
};

// Appends to *out the snapshot's side of a page: the entries of `set` not in `superseded`
// (sorted), from rank `offset` among those, until *out holds `want`.
template <typename Set>
void ReadEntries(Set& set, const std::vector<uint32_t>& superseded, uint64_t offset, uint32_t want,
                 std::vector<uint32_t>* out) {
  // The entry of rank `offset` among those not superseded: the least s with
  // s == |superseded <= select(offset + s)| (a monotone iteration from 0).
  auto superseded_upto = [&](uint32_t x) {
    return static_cast<uint64_t>(std::upper_bound(superseded.begin(), superseded.end(), x) -
                                 superseded.begin());
  };
  uint64_t s = 0;
  uint32_t first = 0;
  for (;;) {
    if (!set.Select(offset + s, &first)) return;  // not reached
    const uint64_t next = superseded_upto(first);
    if (next == s) break;
    s = next;
  }
  out->reserve(want);
  auto sup = std::lower_bound(superseded.begin(), superseded.end(), first);
  set.ForEachFrom(first, [&](uint32_t i) {
    while (sup != superseded.end() && *sup < i) ++sup;
    if (sup == superseded.end() || *sup != i) out->push_back(i);
    return out->size() < want;
  });
}

}  // namespace

size_t ListIndex::NameHash::operator()(std::string_view s) const {
  return XXH3_64bits(s.data(), s.size());
}

std::unique_ptr<ListIndex> ListIndex::Build(const Snapshot& snap) {
  std::unique_ptr<ListIndex> index(new ListIndex());
  ListIndex& x = *index;
  x.version_ = snap.version();
  x.memoranda_.resize(kMemoranda);

  auto slot_of = [](std::string_view name, SlotMap* slots) -> Slot* {
    if (name.empty()) return nullptr;
    auto it = slots->find(name);
    if (it == slots->end())
      it = slots->emplace(std::string(name), Slot{static_cast<uint32_t>(slots->size()), {}}).first;
    return &it->second;
  };
  // The class of each (department slot, category slot) and memoranda.
  struct ClassKeyHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& k) const {
      return XXH3_64bits(&k, sizeof k);
    }
  };
  boost::unordered_flat_map<std::pair<uint64_t, uint64_t>, uint32_t, ClassKeyHash> class_of;

  // Profiles are few and shared, and runs of entries share one: each is resolved once.
  uint32_t last_profile = kNone;
  const size_t n = snap.size();
  for (size_t i = 0; i < n; ++i) {
    const EntryRecord& r = snap.record(static_cast<uint32_t>(i));
    const uint32_t p = r.profile();
    if (p == last_profile) continue;
    last_profile = p;
    if (p >= x.profile_class_.size()) x.profile_class_.resize(p + 1, kNone);
    if (x.profile_class_[p] != kNone) continue;

    const EntryProfile& profile = snap.profile(r);
    Slot* department = slot_of(snap.str(profile.department), &x.departments_);
    Slot* category = slot_of(snap.str(profile.category), &x.categories_);
    FilterClass c;
    c.department = department != nullptr ? department->slot : kNoSlot;
    c.category = category != nullptr ? category->slot : kNoSlot;
    c.memoranda = profile.memoranda;
    const auto [it, added] =
        class_of.try_emplace({uint64_t{c.department} << 32 | c.category, c.memoranda},
                             static_cast<uint32_t>(x.classes_.size()));
    if (added) {
      const uint32_t id = it->second;
      x.classes_.push_back(c);
      if (department != nullptr) department->classes.push_back(id);
      if (category != nullptr) category->classes.push_back(id);
      for (uint64_t m = c.memoranda; m != 0; m &= m - 1) {
        const int bit = __builtin_ctzll(m);
        if (bit < kMemoranda) x.memoranda_[static_cast<size_t>(bit)].push_back(id);
      }
    }
    x.profile_class_[p] = it->second;
  }
  return index;
}

const std::vector<uint32_t>* ListIndex::department(std::string_view name) const {
  auto it = departments_.find(name);
  return it == departments_.end() ? nullptr : &it->second.classes;
}

const std::vector<uint32_t>* ListIndex::category(std::string_view name) const {
  auto it = categories_.find(name);
  return it == categories_.end() ? nullptr : &it->second.classes;
}

const std::vector<uint32_t>* ListIndex::memorandum(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= memoranda_.size()) return nullptr;
  const std::vector<uint32_t>& classes = memoranda_[static_cast<size_t>(index)];
  return classes.empty() ? nullptr : &classes;
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
  const uint32_t chunks =
      static_cast<uint32_t>((snap.size() + (1u << kChunkBits) - 1) >> kChunkBits);
  next->chunks = chunks;
  constexpr uint32_t kBatch = 4096;
  uint32_t batch[kBatch];
  std::vector<uint32_t> counting;
  std::vector<std::vector<uint32_t>> by_row;
  for (int k = 0; k < kListKinds; ++k) {
    ListInForce& out = next->lists[k];
    out.row_of.assign(classes_.size(), kNoRow);
    const Roaring& list = snap.list_bitmap(static_cast<ListKind>(k));
    counting.clear();
    counting.reserve(list.cardinality());
    by_row.clear();
    // The entries that count, and each in its class's row (entries in runs share a profile).
    uint32_t last_profile = kNone, row = kNoRow;
    roaring_uint32_iterator_t it;
    roaring_init_iterator(&list.roaring, &it);
    for (;;) {
      const uint32_t got = roaring_read_uint32_iterator(&it, batch, kBatch);
      if (got == 0) break;
      for (uint32_t j = 0; j < got; ++j) {
        const uint32_t i = batch[j];
        if (!snap.Counts(i, day)) continue;
        counting.push_back(i);
        const uint32_t p = snap.record(i).profile();
        if (p != last_profile) {
          last_profile = p;
          uint32_t& r = out.row_of[profile_class_[p]];
          if (r == kNoRow) {
            r = static_cast<uint32_t>(by_row.size());
            by_row.emplace_back();
          }
          row = r;
        }
        by_row[row].push_back(i);
      }
    }
    out.all = MakeCounted(counting, chunks);
    out.rows.reserve(by_row.size());
    for (std::vector<uint32_t>& ids : by_row) {
      out.rows.push_back(MakeCounted(ids, chunks));
      std::vector<uint32_t>().swap(ids);
    }
  }
  in_force_.store(next, std::memory_order_release);
  return next;
}

uint32_t ListIndex::SlotOf(const SlotMap& slots, std::string_view name) {
  if (name.empty()) return kNoSlot;
  auto it = slots.find(name);
  return it == slots.end() ? kForeign : it->second.slot;
}

ListIndex::Filter ListIndex::Resolve(const ListQuery& q,
                                     const std::vector<uint32_t>** shortest) const {
  Filter filter;
  *shortest = nullptr;
  auto consider = [shortest](const std::vector<uint32_t>& classes) {
    if (*shortest == nullptr || classes.size() < (*shortest)->size()) *shortest = &classes;
  };
  for (auto [name, slots, slot] : {std::tuple{&q.department, &departments_, &filter.department},
                                   std::tuple{&q.category, &categories_, &filter.category}}) {
    if (name->empty()) continue;
    auto it = slots->find(std::string_view(*name));
    if (it == slots->end()) {
      *slot = Filter::kUnknown;
    } else {
      *slot = it->second.slot;
      consider(it->second.classes);
    }
  }
  if (q.memorandum >= 0) {
    filter.memorandum = q.memorandum;
    if (q.memorandum < kMemoranda) consider(memoranda_[static_cast<size_t>(q.memorandum)]);
  }
  if (filter.none()) *shortest = nullptr;
  return filter;
}

bool ListIndex::LiveMatches(const LiveInForce::Counting& c, const Filter& filter,
                            const ListQuery& q) {
  const Entry& x = c.entry->entry;
  // A name no snapshot entry has: the live entry's own, compared as text.
  if (filter.department == Filter::kUnknown
          ? c.filters.department != kForeign || x.department != q.department
          : filter.department != Filter::kAny && c.filters.department != filter.department)
    return false;
  if (filter.category == Filter::kUnknown
          ? c.filters.category != kForeign || x.category != q.category
          : filter.category != Filter::kAny && c.filters.category != filter.category)
    return false;
  return filter.memorandum < 0 ||
         (filter.memorandum < 64 && (c.filters.memoranda >> filter.memorandum & 1) != 0);
}

std::shared_ptr<const ListIndex::LiveInForce> ListIndex::LiveOn(const Snapshot& snap,
                                                                const LiveOverlay& live,
                                                                Day day) const {
  std::shared_ptr<const LiveInForce> cur = live_.load(std::memory_order_acquire);
  if (cur && cur->overlay == live.version() && cur->day == day) return cur;
  // Made without a lock: cheap (the overlay is small), and two threads that make it at once
  // make the same.
  auto next = std::make_shared<LiveInForce>();
  next->overlay = live.version();
  next->day = day;
  live.ForEachEntry([&](const LivePtr& e) {
    if (e->base_index >= 0 && static_cast<uint64_t>(e->base_index) < snap.size()) {
      const auto base = static_cast<uint32_t>(e->base_index);
      const EntryRecord& r = snap.record(base);
      if (snap.Counts(base, day))
        next->superseded[static_cast<int>(r.list())].push_back({base, profile_class_[r.profile()]});
    }
    if (LiveCounts(*e, day)) {
      const Entry& x = e->entry;
      next->counting[static_cast<int>(x.list)].push_back(
          {e.get(), FilterClass{SlotOf(departments_, x.department), SlotOf(categories_, x.category),
                                x.memoranda}});
    }
  });
  for (int k = 0; k < kListKinds; ++k) {
    auto& superseded = next->superseded[k];
    std::sort(superseded.begin(), superseded.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    superseded.erase(std::unique(superseded.begin(), superseded.end(),
                                 [](const auto& a, const auto& b) { return a.index == b.index; }),
                     superseded.end());
    std::sort(next->counting[k].begin(), next->counting[k].end(), [](const auto& a, const auto& b) {
      return a.entry->entry.entry_id < b.entry->entry.entry_id;
    });
  }
  live_.store(next, std::memory_order_release);
  return next;
}

ListPage ListIndex::Page(const Snapshot& snap, const LiveOverlay& live, const ListQuery& q) const {
  ListPage page;
  const std::shared_ptr<const InForce> in_force = InForceOn(snap, q.day);
  const std::shared_ptr<const LiveInForce> live_in_force = LiveOn(snap, live, q.day);
  const int k = static_cast<int>(q.list);
  const ListInForce& list = in_force->lists[k];

  // The snapshot's side: the list in force, one row, or the union of the rows the filters
  // match. A filter no snapshot entry has leaves it empty (live entries may still match).
  const std::vector<uint32_t>* candidates = nullptr;
  const Filter filter = Resolve(q, &candidates);
  const bool filtered = candidates != nullptr;
  std::vector<const Counted*> parts;
  if (filtered) {
    for (uint32_t c : *candidates) {
      const uint32_t row = list.row_of[c];
      if (row != kNoRow && filter.Matches(classes_[c])) parts.push_back(&list.rows[row]);
    }
    if (parts.size() == list.rows.size()) parts.assign(1, &list.all);  // the same, in one
  } else if (!filter.none()) {
    parts.push_back(&list.all);
  }
  ChunkedUnion set(std::move(parts), in_force->chunks);

  // The live side: the snapshot entries it supersedes within the set, and its own matches.
  std::vector<uint32_t> superseded;
  std::vector<const LiveEntry*> matches;
  if (!filter.none()) {
    for (const LiveInForce::Superseded& s : live_in_force->superseded[k])
      if (filter.Matches(classes_[s.cls])) superseded.push_back(s.index);
  }
  for (const LiveInForce::Counting& c : live_in_force->counting[k])
    if (LiveMatches(c, filter, q)) matches.push_back(c.entry);

  const uint64_t snap_total = set.cardinality() - superseded.size();
  page.total = snap_total + matches.size();

  if (q.page == 0 || q.page_size == 0) return page;
  if ((q.page - 1) > page.total / q.page_size) return page;  // past the end (and no overflow)
  const uint64_t offset = (q.page - 1) * q.page_size;
  if (offset >= page.total) return page;

  if (offset < snap_total) ReadEntries(set, superseded, offset, q.page_size, &page.entries);
  size_t from = offset > snap_total ? static_cast<size_t>(offset - snap_total) : 0;
  while (from < matches.size() && page.entries.size() + page.live.size() < q.page_size)
    page.live.push_back(matches[from++]);
  return page;
}

size_t ListIndex::MemoryBytes() const {
  size_t bytes =
      classes_.capacity() * sizeof(FilterClass) + profile_class_.capacity() * sizeof(uint32_t);
  for (const SlotMap* names : {&departments_, &categories_})
    for (const auto& [name, slot] : *names)
      bytes += name.capacity() + sizeof slot + slot.classes.capacity() * sizeof(uint32_t);
  for (const auto& classes : memoranda_) bytes += classes.capacity() * sizeof(uint32_t);
  if (auto f = in_force_.load(std::memory_order_acquire)) {
    auto counted = [](const Counted& c) {
      return c.bitmap.getSizeInBytes() + c.starts.capacity() * sizeof(uint32_t);
    };
    for (const ListInForce& list : f->lists) {
      bytes += list.row_of.capacity() * sizeof(uint32_t) + counted(list.all);
      for (const Counted& c : list.rows) bytes += counted(c);
    }
  }
  if (auto l = live_.load(std::memory_order_acquire)) {
    for (int k = 0; k < kListKinds; ++k)
      bytes += l->superseded[k].capacity() * sizeof(LiveInForce::Superseded) +
               l->counting[k].capacity() * sizeof(LiveInForce::Counting);
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
