// An experiment for the index's key table (DESIGN.md §6; bench/README.md "Key table"): the
// boost::unordered_flat_map<Key, PostingRun> that Snapshot uses today, against a candidate
// layout, both built from the same keys and postings of generated entries and probed by the
// same loops. Nothing in engine/ uses the candidate; it is here so that the figures that argue
// for it can be remade.
//
// The candidate, KeyTable: open addressing over 64-byte buckets of four 16-byte slots. A slot
// holds the key packed into 96 bits (the 2-bit key type and the 30 high bits of a USCC in
// `top`, the 60 low bits in `lo`; an ID number or 工商注册号 has no high bits) and the offset
// of its postings, whose first word holds the two counts (subject, related). The bucket is
// hash * buckets >> 64 (any table size, no power-of-two rounding), probing goes to the next
// bucket when one is full, and a bucket with a free slot ends a miss. A lookup is one cache
// line (rarely two; a bucket that a key passed over when full is marked, so a miss rarely
// reads more than one), and since the bucket is known from the hash alone, FindBatch hashes a
// batch first and prefetches each bucket a few keys ahead of probing it.
#include <benchmark/benchmark.h>

#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/ids.h"
#include "engine/snapshot.h"
#include "tools/generator.h"

namespace credlist {
namespace {

// Large arrays in transparent huge pages (2 MiB) where the kernel offers them on request
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise): random probes into a table of
// hundreds of MB then miss the TLB far less often.
bool g_huge_pages = std::getenv("CREDLIST_NO_HUGE_PAGES") == nullptr;

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (!g_huge_pages || bytes < (1 << 21)) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + (1 << 21) - 1) & ~size_t{(1 << 21) - 1};
    void* p = std::aligned_alloc(1 << 21, rounded);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (!g_huge_pages || n * sizeof(T) < (1 << 21))
      ::operator delete(p);
    else
      std::free(p);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

// The value of Snapshot's key map before it kept single postings in the map (bench/README.md).
struct PostingRun {
  uint32_t offset;
  uint16_t subject;
  uint16_t related;
};

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class KeyTable {
 public:
  struct Slot {
    uint64_t lo;
    uint32_t top;  // 0: free
    uint32_t offset;
  };
  struct alignas(64) Bucket {
    Slot slots[4];
  };

  // keys[i] has postings[offsets[i]...]; keys are distinct.
  KeyTable(const std::vector<Key>& keys, const std::vector<uint32_t>& offsets,
           const std::vector<uint32_t>& postings, double load)
      : postings_(postings.begin(), postings.end()) {
    buckets_count_ = std::max<uint64_t>(1, static_cast<uint64_t>(keys.size() / (4 * load)) + 1);
    buckets_.assign(buckets_count_, Bucket{});
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint32_t top = Top(keys[i]);
      for (uint64_t b = BucketOf(keys[i]);; b = b + 1 == buckets_count_ ? 0 : b + 1) {
        Slot* free = nullptr;
        for (Slot& s : buckets_[b].slots)
          if (s.top == 0) {
            free = &s;
            break;
          }
        if (free) {
          *free = {keys[i].lo, top, offsets[i]};
          break;
        }
        buckets_[b].slots[0].offset |= kOverflow;  // a key went past this full bucket
      }
    }
  }

  size_t MemoryBytes() const {
    return buckets_count_ * sizeof(Bucket) + postings_.capacity() * sizeof(uint32_t);
  }
  size_t TableBytes() const { return buckets_count_ * sizeof(Bucket); }

  Hits Find(const Key& key) const { return Probe(key, BucketOf(key)); }

  void FindBatch(const Key* keys, size_t n, Hits* out) const {
    constexpr size_t kAhead = 16;
    uint64_t buckets[1024];
    for (size_t done = 0; done < n; done += 1024) {
      const size_t m = std::min<size_t>(1024, n - done);
      for (size_t i = 0; i < m; ++i) buckets[i] = BucketOf(keys[done + i]);
      for (size_t i = 0; i < std::min(kAhead, m); ++i) __builtin_prefetch(&buckets_[buckets[i]]);
      for (size_t i = 0; i < m; ++i) {
        if (i + kAhead < m) __builtin_prefetch(&buckets_[buckets[i + kAhead]]);
        out[done + i] = Probe(keys[done + i], buckets[i]);
      }
    }
  }

 public:
  static uint32_t Top(const Key& k) {
    return static_cast<uint32_t>((k.hi >> 60) << 30 | (k.hi & 0x3FFFFFFF));
  }

 private:
  uint64_t BucketOf(const Key& k) const {
    const uint64_t h = Mix(k.lo ^ Mix(k.hi));
    return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * buckets_count_) >> 64);
  }
  Hits Probe(const Key& key, uint64_t b) const {
    const uint32_t top = Top(key);
    for (;;) {
      const Bucket& bucket = buckets_[b];
      for (const Slot& s : bucket.slots) {
        if (s.lo == key.lo && s.top == top) {
          const uint32_t* p = postings_.data() + (s.offset & ~kOverflow);
          const uint32_t subject = p[0] >> 16, related = p[0] & 0xFFFF;
          return {{p + 1, subject}, {p + 1 + subject, related}};
        }
        if (s.top == 0) return {};
      }
      if (!(bucket.slots[0].offset & kOverflow)) return {};
      b = b + 1 == buckets_count_ ? 0 : b + 1;
    }
  }

  static constexpr uint32_t kOverflow = 1u << 31;  // in slots[0].offset of a bucket

  std::vector<Bucket, HugePageAllocator<Bucket>> buckets_;
  uint64_t buckets_count_ = 0;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> postings_;
};

// The same slots with the group layout of boost's table (and of Abseil's): groups of 15 slots
// whose 7-bit fingerprints sit in a separate 16-byte word (the 16th byte marks overflow), so a
// miss reads the small fingerprint array only, and a hit one fingerprint word and one slot; a
// key with a single posting (most keys) keeps it in its slot instead of the postings array.
// Positions come from the hash alone, so FindBatch prefetches the fingerprints of key i + 16,
// the slot of key i + 8 (found by its fingerprints) and the postings of key i + 4 (found by its
// slot) while it finishes key i.
class TaggedKeyTable {
 public:
  using Slot = KeyTable::Slot;
  struct alignas(16) Tags {
    uint8_t tag[15];   // 0: free, else 0x80 | 7 bits of the hash
    uint8_t overflow;  // bit h % 8: a key of that hash went past this full group
  };

  TaggedKeyTable(const std::vector<Key>& keys, const std::vector<uint32_t>& offsets,
                 const std::vector<uint32_t>& postings, double load)
      : postings_(postings.begin(), postings.end()) {
    groups_ = std::max<uint64_t>(1, static_cast<uint64_t>(keys.size() / (15 * load)) + 1);
    tags_.assign(groups_, Tags{});
    slots_.assign(groups_ * 15, Slot{});
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint64_t h = Hash(keys[i]);
      for (uint64_t g = GroupOf(h);; g = g + 1 == groups_ ? 0 : g + 1) {
        Tags& t = tags_[g];
        int free = -1;
        for (int s = 0; s < 15; ++s)
          if (t.tag[s] == 0) {
            free = s;
            break;
          }
        if (free >= 0) {
          t.tag[free] = TagOf(h);
          // A key with one posting keeps it in the slot: most keys have one, and their lookups
          // then end in the slot's cache line.
          const uint32_t counts = postings[offsets[i]];
          if ((counts >> 16) + (counts & 0xFFFF) == 1)
            slots_[g * 15 + free] = {
                keys[i].lo | kInline | ((counts & 0xFFFF) ? kInlineRelated : 0), Top(keys[i]),
                postings[offsets[i] + 1]};
          else
            slots_[g * 15 + free] = {keys[i].lo, Top(keys[i]), offsets[i]};
          break;
        }
        t.overflow |= static_cast<uint8_t>(1 << (h % 8));
      }
    }
  }

  size_t TableBytes() const { return groups_ * (sizeof(Tags) + 15 * sizeof(Slot)); }

  Hits Find(const Key& key) const {
    const uint64_t h = Hash(key);
    return Probe(key, h, GroupOf(h));
  }

  void FindBatch(const Key* keys, size_t n, Hits* out) const {
    constexpr size_t kTagsAhead = 16, kSlotAhead = 8, kPostingsAhead = 4;
    uint64_t hashes[1024];
    uint64_t groups[1024];
    for (size_t done = 0; done < n; done += 1024) {
      const size_t m = std::min<size_t>(1024, n - done);
      for (size_t i = 0; i < m; ++i) {
        hashes[i] = Hash(keys[done + i]);
        groups[i] = GroupOf(hashes[i]);
        if (i < kTagsAhead) __builtin_prefetch(&tags_[groups[i]]);
      }
      for (size_t i = 0; i < m; ++i) {
        if (i + kTagsAhead < m) __builtin_prefetch(&tags_[groups[i + kTagsAhead]]);
        if (i + kSlotAhead < m) {
          const uint32_t match = Match(tags_[groups[i + kSlotAhead]], hashes[i + kSlotAhead]);
          if (match)
            __builtin_prefetch(&slots_[groups[i + kSlotAhead] * 15 + __builtin_ctz(match)]);
        }
        if (i + kPostingsAhead < m) {
          const uint32_t match =
              Match(tags_[groups[i + kPostingsAhead]], hashes[i + kPostingsAhead]);
          if (match) {
            const Slot& s = slots_[groups[i + kPostingsAhead] * 15 + __builtin_ctz(match)];
            if (!(s.lo & kInline)) __builtin_prefetch(&postings_[s.offset]);
          }
        }
        out[done + i] = Probe(keys[done + i], hashes[i], groups[i]);
      }
    }
  }

 public:
  static uint32_t Top(const Key& k) { return KeyTable::Top(k); }
  static uint64_t Hash(const Key& k) { return Mix(k.lo ^ Mix(k.hi)); }
  static uint8_t TagOf(uint64_t h) { return static_cast<uint8_t>(0x80 | (h & 0x7F)); }
  uint64_t GroupOf(uint64_t h) const {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * groups_) >> 64);
  }
  // Bit s: slot s has the hash's fingerprint.
  static uint32_t Match(const Tags& t, uint64_t h) {
    const __m128i tags = _mm_load_si128(reinterpret_cast<const __m128i*>(&t));
    const uint32_t m = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(tags, _mm_set1_epi8(static_cast<char>(TagOf(h))))));
    return m & 0x7FFF;
  }
  Hits Probe(const Key& key, uint64_t h, uint64_t g) const {
    const uint32_t top = Top(key);
    for (;;) {
      const Tags& t = tags_[g];
      for (uint32_t m = Match(t, h); m; m &= m - 1) {
        const Slot& s = slots_[g * 15 + __builtin_ctz(m)];
        if ((s.lo & ~(kInline | kInlineRelated)) == key.lo && s.top == top) {
          if (s.lo & kInline) {
            if (s.lo & kInlineRelated) return {{}, {&s.offset, 1}};
            return {{&s.offset, 1}, {}};
          }
          const uint32_t* p = postings_.data() + s.offset;
          const uint32_t subject = p[0] >> 16, related = p[0] & 0xFFFF;
          return {{p + 1, subject}, {p + 1 + subject, related}};
        }
      }
      if (!(t.overflow & (1 << (h % 8)))) return {};
      g = g + 1 == groups_ ? 0 : g + 1;
    }
  }

  // Spare high bits of Slot::lo (a packed key uses 60): the slot's offset is the key's only
  // posting, a subject's or (kInlineRelated) a related one.
  static constexpr uint64_t kInline = uint64_t{1} << 63, kInlineRelated = uint64_t{1} << 62;

  uint64_t groups_ = 0;
  std::vector<Tags, HugePageAllocator<Tags>> tags_;
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> postings_;
};

// Both tables over the same data, and the probe keys.
struct Fixture {
  // As Snapshot builds it, in huge pages too, so that the comparison is of layouts.
  boost::unordered_flat_map<Key, PostingRun, KeyHash, std::equal_to<Key>,
                            HugePageAllocator<std::pair<const Key, PostingRun>>>
      map;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> map_postings;
  std::unique_ptr<KeyTable> table;
  std::unique_ptr<TaggedKeyTable> tagged;
  std::vector<Key> hits, misses;
  size_t distinct = 0;
  uint64_t entries = 0;
};

constexpr size_t kProbeKeys = 1 << 20;

const Fixture& Data(uint64_t n) {
  static std::map<uint64_t, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& slot = fixtures[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  f.entries = n;
  struct Pair {
    Key key;
    uint32_t posting;  // top bit: related
  };
  std::vector<Pair> pairs;
  pairs.reserve(n * 21 / 10);
  uint32_t i = 0;
  GenerateEntries(n, 42, [&](const Entry& e) {
    if (!e.uscc.empty()) pairs.push_back({e.uscc, i});
    if (!e.reg_no.empty()) pairs.push_back({e.reg_no, i});
    if (!e.id_number.empty()) pairs.push_back({e.id_number, i});
    if (!e.legal_rep_id.empty() && !(e.legal_rep_id == e.id_number))
      pairs.push_back({e.legal_rep_id, i | 1u << 31});
    ++i;
  });
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.key.hi != b.key.hi) return a.key.hi < b.key.hi;
    if (a.key.lo != b.key.lo) return a.key.lo < b.key.lo;
    return a.posting < b.posting;
  });
  std::vector<Key> keys;
  std::vector<uint32_t> offsets, postings;
  f.map.reserve(pairs.size());  // what SnapshotBuilder::Build does
  for (size_t a = 0; a < pairs.size();) {
    size_t b = a;
    uint16_t subject = 0, related = 0;
    const auto map_offset = static_cast<uint32_t>(f.map_postings.size());
    const auto offset = static_cast<uint32_t>(postings.size());
    postings.push_back(0);
    for (; b < pairs.size() && pairs[b].key == pairs[a].key; ++b) {
      (pairs[b].posting >> 31 ? related : subject) += 1;
      f.map_postings.push_back(pairs[b].posting & ~(1u << 31));
      postings.push_back(pairs[b].posting & ~(1u << 31));
    }
    postings[offset] = static_cast<uint32_t>(subject) << 16 | related;
    f.map.emplace(pairs[a].key, PostingRun{map_offset, subject, related});
    keys.push_back(pairs[a].key);
    offsets.push_back(offset);
    a = b;
  }
  f.distinct = keys.size();
  for (size_t k = 0; k < kProbeKeys; ++k) f.hits.push_back(keys[Mix(k) % keys.size()]);
  pairs.clear();
  pairs.shrink_to_fit();
  f.table = std::make_unique<KeyTable>(keys, offsets, postings, 0.8);
  f.tagged = std::make_unique<TaggedKeyTable>(keys, offsets, postings, 0.875);
  GenerateEntries(std::min<uint64_t>(n, kProbeKeys), 43, [&](const Entry& e) {
    for (const Key& k : {e.uscc, e.reg_no, e.id_number, e.legal_rep_id})
      if (!k.empty() && f.misses.size() < kProbeKeys && !f.map.contains(k)) f.misses.push_back(k);
  });
  std::fprintf(
      stderr,
      "%llu entries, %zu keys: flat_map %.1f bytes/entry (%zu buckets), KeyTable %.1f "
      "bytes/entry\n",
      static_cast<unsigned long long>(n), f.distinct,
      static_cast<double>(f.map.bucket_count() * (sizeof(std::pair<Key, PostingRun>) + 1)) /
          static_cast<double>(n),
      f.map.bucket_count(),
      static_cast<double>(f.table->TableBytes() + 4 * f.distinct) / static_cast<double>(n));
  return f;
}

Hits MapFind(const Fixture& f, const Key& key) {
  auto it = f.map.find(key);
  if (it == f.map.end()) return {};
  const uint32_t* p = f.map_postings.data() + it->second.offset;
  return {{p, it->second.subject}, {p + it->second.subject, it->second.related}};
}

// Bytes of the key table per entry; the candidates' postings carry one more word per key (the
// counts), which is counted here too.
double KeyBytesPerEntry(const Fixture& f, int kind) {
  const double bytes =
      kind == 0
          ? static_cast<double>(f.map.bucket_count() * (sizeof(std::pair<Key, PostingRun>) + 1))
      : kind == 1 ? static_cast<double>(f.table->TableBytes() + 4 * f.distinct)
                  : static_cast<double>(f.tagged->TableBytes() + 4 * f.distinct);
  return bytes / static_cast<double>(f.entries);
}

Hits FindIn(const Fixture& f, int kind, const Key& key) {
  return kind == 0 ? MapFind(f, key) : kind == 1 ? f.table->Find(key) : f.tagged->Find(key);
}

template <int kKind, bool kHit>
void BM_Find(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const std::vector<Key>& keys = kHit ? f.hits : f.misses;
  size_t i = 0;
  for (auto _ : state) {
    Hits h = FindIn(f, kKind, keys[i]);
    // Read the first posting, as Check() does: the postings are part of every answer.
    uint32_t first = h.subject.empty() ? (h.related.empty() ? 0 : h.related[0]) : h.subject[0];
    benchmark::DoNotOptimize(first);
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["key_bytes_per_entry"] = KeyBytesPerEntry(f, kKind);
}

template <int kKind>
void BM_FindBatch(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  constexpr size_t kBatch = 1024;
  std::vector<Hits> out(kBatch);
  size_t i = 0;
  for (auto _ : state) {
    if (kKind == 1) {
      f.table->FindBatch(f.hits.data() + i, kBatch, out.data());
    } else if (kKind == 2) {
      f.tagged->FindBatch(f.hits.data() + i, kBatch, out.data());
    } else {
      for (size_t k = 0; k < kBatch; ++k) out[k] = MapFind(f, f.hits[i + k]);
    }
    // Read each answer's first posting, as Check() does.
    uint32_t sum = 0;
    for (const Hits& h : out) sum += h.subject.empty() ? 0 : h.subject[0];
    benchmark::DoNotOptimize(sum);
    i += kBatch;
    if (i + kBatch > f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatch));
  state.counters["key_bytes_per_entry"] = KeyBytesPerEntry(f, kKind);
}

#define SIZES ->Arg(1'000'000)->Arg(10'000'000)
BENCHMARK(BM_Find<0, true>)->Name("FlatMap/FindHit") SIZES;
BENCHMARK(BM_Find<1, true>)->Name("KeyTable/FindHit") SIZES;
BENCHMARK(BM_Find<2, true>)->Name("TaggedKeyTable/FindHit") SIZES;
BENCHMARK(BM_Find<0, false>)->Name("FlatMap/FindMiss") SIZES;
BENCHMARK(BM_Find<1, false>)->Name("KeyTable/FindMiss") SIZES;
BENCHMARK(BM_Find<2, false>)->Name("TaggedKeyTable/FindMiss") SIZES;
BENCHMARK(BM_FindBatch<0>)->Name("FlatMap/FindBatch") SIZES;
BENCHMARK(BM_FindBatch<1>)->Name("KeyTable/FindBatch") SIZES;
BENCHMARK(BM_FindBatch<2>)->Name("TaggedKeyTable/FindBatch") SIZES;

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
