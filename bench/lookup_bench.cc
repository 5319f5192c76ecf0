// Lookups in a Snapshot of generated entries (tools/generator.h): single hits and misses, batch
// lookups, and Check() (a hit and its list status on a day). One figure per operation; the
// snapshot of each size is built once, on first use, and its size in memory is reported with
// every figure (bytes_per_entry: Snapshot::MemoryBytes() / entries; rss_per_entry: growth of
// the process's resident set over the build / entries). See bench/README.md for the figures.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/date.h"
#include "engine/ids.h"
#include "engine/lifecycle.h"
#include "engine/snapshot.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr uint64_t kSeed = 42;
constexpr size_t kSampleKeys = 1 << 20;  // keys per kind of probe, in random order
constexpr size_t kBatch = 1024;

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void Shuffle(std::vector<Key>* keys, uint64_t seed) {
  for (size_t i = keys->size(); i > 1; --i) std::swap((*keys)[i - 1], (*keys)[Mix(seed + i) % i]);
}

struct Fixture {
  std::shared_ptr<const Snapshot> snap;
  std::vector<Key> hits;    // keys of listed subjects and legal representatives
  std::vector<Key> misses;  // valid identifiers of the same shape that are not in the snapshot
  std::vector<std::string> hit_texts;
  double build_seconds = 0;
  double bytes_per_entry = 0;
  double rss_per_entry = 0;
};

// The snapshot of n generated entries and its probe keys, built on first use and kept.
const Fixture& Data(uint64_t n) {
  static std::map<uint64_t, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& slot = fixtures[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;

  malloc_trim(0);
  const size_t rss_before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  const uint64_t every = std::max<uint64_t>(1, n / kSampleKeys);
  {
    SnapshotBuilder builder;
    uint64_t i = 0;
    GenerateEntries(n, kSeed, [&](const Entry& e) {
      builder.Add(e);
      if (i++ % every != 0 || f.hits.size() >= kSampleKeys) return;
      // One of the entry's keys, as a caller would ask: mostly the subject's own identifiers,
      // sometimes its legal representative's ID number (`related`).
      const Key candidates[] = {e.uscc, e.reg_no, e.id_number, e.legal_rep_id};
      const Key* pick = nullptr;
      for (uint64_t r = Mix(i), tries = 0; tries < 4 && pick == nullptr; ++tries, r >>= 2)
        if (!candidates[r & 3].empty()) pick = &candidates[r & 3];
      f.hits.push_back(pick ? *pick : (e.uscc.empty() ? e.id_number : e.uscc));
    });
    f.snap = builder.Build(DayFromCivil(2026, 11, 1));
  }
  f.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  malloc_trim(0);
  f.rss_per_entry = static_cast<double>(ResidentBytes() - rss_before) / static_cast<double>(n);
  f.bytes_per_entry =
      static_cast<double>(f.snap->MemoryBytes()) / static_cast<double>(f.snap->size());
  Shuffle(&f.hits, 1);

  // Misses: the identifiers of another seed's data set (same shapes, same divisions), less any
  // that happen to be in this snapshot.
  GenerateEntries(std::min<uint64_t>(n, kSampleKeys), kSeed + 1, [&](const Entry& e) {
    for (const Key& k : {e.uscc, e.reg_no, e.id_number, e.legal_rep_id}) {
      if (k.empty() || f.misses.size() >= kSampleKeys) continue;
      const Hits h = f.snap->Find(k);
      if (h.subject.empty() && h.related.empty()) f.misses.push_back(k);
    }
  });
  Shuffle(&f.misses, 2);

  f.hit_texts.reserve(f.hits.size());
  for (const Key& k : f.hits) f.hit_texts.push_back(FormatKey(k));
  std::fprintf(stderr,
               "snapshot of %llu entries: built in %.1f s, %.1f bytes/entry (MemoryBytes), "
               "%.1f bytes/entry (RSS growth)\n",
               static_cast<unsigned long long>(n), f.build_seconds, f.bytes_per_entry,
               f.rss_per_entry);
  const Snapshot::MemoryParts m = f.snap->Memory();
  const auto per_entry = [n](size_t bytes) {
    return static_cast<double>(bytes) / static_cast<double>(n);
  };
  std::fprintf(stderr,
               "  bytes/entry: records %.1f, profiles %.2f, arena %.1f, key maps %.1f (%zu keys in "
               "%zu slots, %zu map(s)), postings %.1f, entry-id index %.1f, bitmaps %.2f; "
               "FindBatch prefetch hints %s\n",
               per_entry(m.records), per_entry(m.profiles), per_entry(m.arena), per_entry(m.keys),
               m.key_count, m.key_slots, m.key_maps, per_entry(m.postings),
               per_entry(m.entry_index), per_entry(m.bitmaps), m.batch_hints ? "on" : "off");
  return f;
}

void Report(benchmark::State& state, const Fixture& f) {
  state.counters["entries"] = static_cast<double>(f.snap->size());
  state.counters["bytes_per_entry"] = f.bytes_per_entry;
  state.counters["rss_per_entry"] = f.rss_per_entry;
  state.counters["build_s"] = f.build_seconds;
}

// Independent lookups one after another: the core may overlap their cache misses, as a
// server's loop over requests would.
void BM_FindHit(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  size_t i = 0;
  for (auto _ : state) {
    Hits h = snap.Find(f.hits[i]);
    benchmark::DoNotOptimize(h);
    if (++i == f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

void BM_FindMiss(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  size_t i = 0;
  for (auto _ : state) {
    Hits h = snap.Find(f.misses[i]);
    benchmark::DoNotOptimize(h);
    if (++i == f.misses.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

// Each lookup waits for the one before it (the next key depends on its result): the latency
// of one lookup, with no overlap.
void BM_FindHitLatency(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  size_t i = 0;
  for (auto _ : state) {
    const Hits h = snap.Find(f.hits[i]);
    i += 1 + (h.subject.size() + h.related.size() == 0);  // always 1, but the core must wait
    if (i >= f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

void BM_FindMissLatency(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  size_t i = 0;
  for (auto _ : state) {
    const Hits h = snap.Find(f.misses[i]);
    i += 1 + (h.subject.size() + h.related.size() != 0);
    if (i >= f.misses.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

// FindBatch over 1024 keys (hits); items are keys.
void BM_FindBatch(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  std::vector<Hits> out(kBatch);
  size_t i = 0;
  for (auto _ : state) {
    snap.FindBatch(f.hits.data() + i, kBatch, out.data());
    benchmark::DoNotOptimize(out.data());
    i += kBatch;
    if (i + kBatch > f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatch));
  Report(state, f);
}

// Check(): the lookup and the status of the subject on a day (entries that count, conflict,
// related entries), for a parsed key.
void BM_Check(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  const Day day = DayFromCivil(2026, 11, 1);
  CheckResult result;
  size_t i = 0;
  for (auto _ : state) {
    LookupKey key;
    key.keys[0] = f.hits[i];
    key.count = 1;
    Check(snap, key, day, &result);
    benchmark::DoNotOptimize(result.status);
    if (++i == f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

// Check() with a live overlay (engine/live.h) beside the snapshot, as a server with a life
// cycle has one: 5000 entries submitted through the ledger for keys the snapshot lacks, and
// 5000 snapshot entries exited (so superseded). The same keys as BM_Check: the difference is
// what the overlay costs a check.
std::shared_ptr<const LiveOverlay> LiveFor(const Fixture& f) {
  static std::map<const Fixture*, std::shared_ptr<const LiveOverlay>> built;
  auto& slot = built[&f];
  if (slot) return slot;
  Ledger ledger(f.snap, LedgerOptions{});
  const Actor admin{"bench", "admin", ""};
  const Clock clock{DayFromCivil(2026, 11, 1), 0};
  for (size_t i = 0; i < 5000 && i < f.misses.size(); ++i) {
    Entry e;
    e.entry_id = "LIVE-" + std::to_string(i);
    e.list = ListKind::kBlack;
    e.name = "营口压测贸易有限公司";
    e.department = "市中级人民法院";
    const Key& k = f.misses[i];
    (k.type() == KeyType::kUscc    ? e.uscc
     : k.type() == KeyType::kRegNo ? e.reg_no
                                   : e.id_number) = k;
    e.decided_on = e.valid_from = DayFromCivil(2026, 1, 1);
    std::vector<Submission> one;
    one.push_back(Submission{std::move(e), Severity::kNone});
    if (ledger.Submit(std::move(one), admin, clock).ok())
      ledger.Publicize("LIVE-" + std::to_string(i), DayFromCivil(2026, 1, 1),
                       DayFromCivil(2026, 1, 9), admin, clock);
  }
  for (size_t i = 0; i < 5000 && i < f.hits.size(); ++i) {
    const Hits h = f.snap->Find(f.hits[i * 2 % f.hits.size()]);
    if (h.subject.empty()) continue;
    const std::string id(f.snap->str(f.snap->record(h.subject[0]).entry_id()));
    ledger.Exit(id, ExitReason::kStandardChanged, "", std::nullopt, admin, clock);
  }
  ledger.TakeChange();
  slot = ledger.overlay();
  std::fprintf(stderr, "live overlay: %zu entries\n", slot->size());
  return slot;
}

void BM_CheckWithLive(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  const auto live = LiveFor(f);
  const Day day = DayFromCivil(2026, 11, 1);
  CheckResult result;
  size_t i = 0;
  for (auto _ : state) {
    LookupKey key;
    key.keys[0] = f.hits[i];
    key.count = 1;
    Check(snap, live.get(), key, day, &result);
    benchmark::DoNotOptimize(result.status);
    if (++i == f.hits.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

// The same from the key's text, as a request brings it: ParseLookupKey, then Check().
void BM_ParseAndCheck(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const Snapshot& snap = *f.snap;
  const Day day = DayFromCivil(2026, 11, 1);
  CheckResult result;
  size_t i = 0;
  for (auto _ : state) {
    Result<LookupKey> key = ParseLookupKey(f.hit_texts[i]);
    Check(snap, *key, day, &result);
    benchmark::DoNotOptimize(result.status);
    if (++i == f.hit_texts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  Report(state, f);
}

#define CREDLIST_SIZES ->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kNanosecond)
BENCHMARK(BM_FindHit) CREDLIST_SIZES;
BENCHMARK(BM_FindMiss) CREDLIST_SIZES;
BENCHMARK(BM_FindHitLatency) CREDLIST_SIZES;
BENCHMARK(BM_FindMissLatency) CREDLIST_SIZES;
BENCHMARK(BM_FindBatch) CREDLIST_SIZES;
BENCHMARK(BM_Check) CREDLIST_SIZES;
BENCHMARK(BM_CheckWithLive) CREDLIST_SIZES;
BENCHMARK(BM_ParseAndCheck) CREDLIST_SIZES;

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
