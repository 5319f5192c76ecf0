// The public list pages (engine/list_index.h, GET /v1/lists/{list}) over a Snapshot of
// generated entries and a live overlay of 1000 entries: one page of 50 as the handler makes
// it (ListIndex::Page, then the entries as masked JSON), for several kinds of query, and the
// index's build time and memory. See bench/README.md "List pages".
//
// Each iteration is one page, timed alone; the counters p50_us and p99_us (wall) and
// p50_cpu_us and p99_cpu_us (the thread's CPU time) are percentiles over all of them (Google
// Benchmark's own figure is the mean). Kinds, all on the black list:
//   - first: page 1, no filter;
//   - any: a page drawn uniformly from all of the list's pages, no filter;
//   - department: a random page of the commonest department's entries;
//   - memorandum: a random page of P06's entries;
//   - three: a random page of department ∩ category ∩ memorandum (its commonest category,
//     P06);
//   - new combination: page 1 of a combination of two or three filters not asked before on
//     that day: every combination of the black list's (department, category, memorandum) with
//     entries in force, in a shuffled order; after each round, the index's in-force bitmaps
//     are built again for the day (untimed, see SettleAllocator), so that nothing an earlier
//     page of the round left behind (an index's cache, if it had one) serves the next round.
// The list benchmarks use only ListIndex::Build, InForceOn, Page and MemoryBytes, so that the
// same file measures an earlier design of the index. Then the quarterly publication, made
// (BM_PublicationCsv) and from its cache (BM_PublicationCsvCached).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/date.h"
#include "engine/json_writer.h"
#include "engine/list_index.h"
#include "engine/publication.h"
#include "engine/publication_cache.h"
#include "engine/snapshot.h"
#include "server/encode.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr uint64_t kSeed = 42;
constexpr uint32_t kPageSize = 50;
constexpr size_t kLive = 1000;

Day BenchDay() { return DayFromCivil(2026, 11, 1); }

double ThreadMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

enum Kind { kFirst, kAny, kDepartment, kMemorandum, kThree, kKinds };

struct Fixture {
  std::shared_ptr<const Snapshot> snap;
  std::shared_ptr<const LiveOverlay> live;
  std::unique_ptr<ListIndex> index;
  ListQuery queries[kKinds];
  uint64_t totals[kKinds] = {};
  std::vector<ListQuery> combinations;  // two or three filters, page 1, shuffled
  size_t classes = 0;                   // distinct (department, category, memoranda) on black
  double build_s = 0, in_force_s = 0, bytes_per_entry = 0, rss_per_entry = 0;
};

const Fixture& Data(uint64_t n) {
  static std::map<uint64_t, std::unique_ptr<Fixture>> fixtures;
  if (auto it = fixtures.find(n); it != fixtures.end()) return *it->second;
  fixtures.clear();  // one data set in memory at a time
  Fixture& f = *(fixtures[n] = std::make_unique<Fixture>());
  {
    SnapshotBuilder builder;
    GenerateEntries(n, kSeed, [&](const Entry& e) { builder.Add(e); });
    f.snap = builder.Build(BenchDay());
  }
  const Snapshot& snap = *f.snap;

  malloc_trim(0);
  const size_t rss_before = ResidentBytes();
  auto start = std::chrono::steady_clock::now();
  f.index = ListIndex::Build(snap);
  f.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  start = std::chrono::steady_clock::now();
  f.index->InForceOn(snap, BenchDay());
  f.in_force_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  malloc_trim(0);
  f.rss_per_entry = static_cast<double>(ResidentBytes() - rss_before) / static_cast<double>(n);
  f.bytes_per_entry = static_cast<double>(f.index->MemoryBytes()) / static_cast<double>(n);

  // The live overlay: half of it supersedes snapshot entries, half is new.
  OverlayEditor ed(std::make_shared<LiveOverlay>());
  std::mt19937_64 rng(7);
  for (size_t k = 0; k < kLive; ++k) {
    const auto base = static_cast<uint32_t>(rng() % snap.size());
    auto e = std::make_shared<LiveEntry>();
    e->entry = snap.ToEntry(base);
    if (k % 2 == 0) {
      e->base_index = base;
    } else {
      e->entry.entry_id = "L-" + std::to_string(k);
      e->entry.in_force_on = BenchDay() - 10;
    }
    ed.Put(e);
  }
  f.live = ed.Finish();

  // The commonest department and, within it, category of the black list.
  std::map<std::string, uint64_t> departments, categories;
  const Roaring& black = snap.list_bitmap(ListKind::kBlack);
  for (uint32_t i : black)
    departments[std::string(snap.str(snap.profile(snap.record(i)).department))]++;
  const std::string department =
      std::max_element(departments.begin(), departments.end(), [](auto& a, auto& b) {
        return a.second < b.second;
      })->first;
  for (uint32_t i : black) {
    const EntryProfile& p = snap.profile(snap.record(i));
    if (snap.str(p.department) == department) categories[std::string(snap.str(p.category))]++;
  }
  const std::string category =
      std::max_element(categories.begin(), categories.end(), [](auto& a, auto& b) {
        return a.second < b.second;
      })->first;
  for (int k = 0; k < kKinds; ++k) {
    ListQuery& q = f.queries[k];
    q.list = ListKind::kBlack;
    q.page_size = kPageSize;
    q.day = BenchDay();
    if (k == kDepartment || k == kThree) q.department = department;
    if (k == kMemorandum || k == kThree) q.memorandum = *ParseMemorandumId("P06");
    if (k == kThree) q.category = category;
    f.totals[k] = f.index->Page(snap, *f.live, q).total;
  }

  // Every combination of two or three filters of the black list's entries that has entries in
  // force on the day.
  std::map<uint32_t, uint32_t> profiles;  // a profile of the black list: an entry of it
  for (uint32_t i : black) profiles.emplace(snap.record(i).profile(), i);
  std::set<std::tuple<std::string, std::string, uint64_t>> classes;
  for (const auto& [profile, i] : profiles) {
    const EntryProfile& p = snap.profile(snap.record(i));
    classes.emplace(snap.str(p.department), snap.str(p.category), p.memoranda);
  }
  f.classes = classes.size();
  std::set<std::tuple<std::string, std::string, int>> combinations;
  for (const auto& [dep, cat, memoranda] : classes) {
    combinations.emplace(dep, cat, -1);
    for (uint64_t m = memoranda; m != 0; m &= m - 1) {
      const int bit = __builtin_ctzll(m);
      combinations.emplace(dep, "", bit);
      combinations.emplace("", cat, bit);
      combinations.emplace(dep, cat, bit);
    }
  }
  for (const auto& [dep, cat, memo] : combinations) {
    ListQuery q = f.queries[kFirst];
    q.department = dep;
    q.category = cat;
    q.memorandum = memo;
    const int filters = !dep.empty() + !cat.empty() + (memo >= 0);
    if (filters >= 2 && f.index->Page(snap, *f.live, q).total > 0) f.combinations.push_back(q);
  }
  std::shuffle(f.combinations.begin(), f.combinations.end(), std::mt19937_64(5));
  std::fprintf(stderr,
               "list index, %llu entries: built in %.2f s, in force on the day in %.2f s; %.2f "
               "B/entry (RSS growth %.2f B/entry); black %llu in %zu classes, department %s %llu, "
               "P06 %llu, %s + %s + P06 %llu; %zu combinations of two or three filters\n",
               static_cast<unsigned long long>(n), f.build_s, f.in_force_s, f.bytes_per_entry,
               f.rss_per_entry, static_cast<unsigned long long>(f.totals[kAny]), f.classes,
               department.c_str(), static_cast<unsigned long long>(f.totals[kDepartment]),
               static_cast<unsigned long long>(f.totals[kMemorandum]), department.c_str(),
               category.c_str(), static_cast<unsigned long long>(f.totals[kThree]),
               f.combinations.size());
  return f;
}

// Pages timed one by one: what GET /v1/lists/{list} does for anyone (the page, then its
// entries as masked JSON), wall and thread CPU time.
class PageTimer {
 public:
  explicit PageTimer(const Fixture& f) : f_(f) {}

  void Time(const ListQuery& q) {
    const double cpu_start = ThreadMicros();
    const auto start = std::chrono::steady_clock::now();
    const ListPage page = f_.index->Page(*f_.snap, *f_.live, q);
    body_.clear();
    JsonWriter out(&body_);
    out.BeginObject().Key("total").Int(static_cast<int64_t>(page.total));
    out.Key("entries").BeginArray();
    for (uint32_t i : page.entries) WriteEntry(*f_.snap, i, Visibility::kPublic, out);
    for (const LiveEntry* e : page.live) WriteEntry(*e, Visibility::kPublic, out);
    out.EndArray().EndObject();
    const auto took = std::chrono::steady_clock::now() - start;
    cpu_micros_.push_back(ThreadMicros() - cpu_start);
    micros_.push_back(std::chrono::duration<double, std::micro>(took).count());
    rows_ += page.entries.size() + page.live.size();
    benchmark::DoNotOptimize(body_.data());
  }

  // p50_us, p99_us, p50_cpu_us, p99_cpu_us, max_cpu_us, rows (per page).
  void Report(benchmark::State& state) {
    std::sort(micros_.begin(), micros_.end());
    std::sort(cpu_micros_.begin(), cpu_micros_.end());
    auto pct = [](const std::vector<double>& v, double p) {
      return v.empty() ? 0.0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
    };
    state.counters["p50_us"] = pct(micros_, 0.50);
    state.counters["p99_us"] = pct(micros_, 0.99);
    state.counters["p50_cpu_us"] = pct(cpu_micros_, 0.50);
    state.counters["p99_cpu_us"] = pct(cpu_micros_, 0.99);
    state.counters["max_cpu_us"] = pct(cpu_micros_, 1.0);
    state.counters["rows"] =
        static_cast<double>(rows_) / static_cast<double>(std::max<size_t>(1, micros_.size()));
  }

 private:
  const Fixture& f_;
  std::string body_;
  std::vector<double> micros_, cpu_micros_;
  size_t rows_ = 0;
};

void BM_ListPage(benchmark::State& state, Kind kind) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  ListQuery q = f.queries[kind];
  const uint64_t pages = std::max<uint64_t>(1, (f.totals[kind] + kPageSize - 1) / kPageSize);
  std::mt19937_64 rng(11);
  PageTimer timer(f);
  for (auto _ : state) {
    q.page = kind == kFirst ? 1 : 1 + rng() % pages;
    timer.Time(q);
  }
  timer.Report(state);
  state.counters["total"] = static_cast<double>(f.totals[kind]);
  state.counters["entries"] = static_cast<double>(f.snap->size());
  state.counters["build_s"] = f.build_s;
  state.counters["in_force_s"] = f.in_force_s;
  state.counters["bytes_per_entry"] = f.bytes_per_entry;
}

// After a day's bitmaps are freed (InForceOn for another day), glibc's malloc sorts the freed
// chunks into its bins on the allocations that follow (up to 10,000 chunks a call): a one-off
// cost of the rebuild, up to ~0.5 ms, that would otherwise fall on whichever page comes next.
// Paid here, untimed, with the rebuild: large requests, which walk all the freed chunks first.
void SettleAllocator() {
  for (int i = 0; i < 16; ++i) {
    void* p = std::malloc(size_t{64} << 20);
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
}

// Page 1 of a combination not asked before on the day (see the top of this file).
void BM_ListNewCombination(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  if (f.combinations.empty()) {
    state.SkipWithError("no combinations");
    return;
  }
  PageTimer timer(f);
  size_t next = 0;
  for (auto _ : state) {
    if (next == f.combinations.size()) {
      state.PauseTiming();
      f.index->InForceOn(*f.snap, BenchDay() + 1);
      f.index->InForceOn(*f.snap, BenchDay());
      SettleAllocator();
      next = 0;
      state.ResumeTiming();
    }
    timer.Time(f.combinations[next++]);
  }
  timer.Report(state);
  state.counters["combinations"] = static_cast<double>(f.combinations.size());
}

// The quarterly publication of the black list for 2026Q3 as CSV (engine/publication.h): one
// whole document per iteration.
void BM_PublicationCsv(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  auto spec = MakePublicationSpec("2026Q3", "black", "csv", "", BenchDay());
  std::string doc;
  size_t bytes = 0;
  for (auto _ : state) {
    doc.clear();
    WritePublication(*f.snap, *f.live, *spec, &doc);
    bytes = doc.size();
    benchmark::DoNotOptimize(doc.data());
  }
  size_t rows = 0;
  for (char c : doc) rows += c == '\n';
  state.counters["rows"] = static_cast<double>(rows - 1);
  state.counters["bytes"] = static_cast<double>(bytes);
}

// The same document from a PublicationCache (engine/publication_cache.h) after the first
// request, copied into a response body as GET /v1/publications does.
void BM_PublicationCsvCached(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  auto spec = MakePublicationSpec("2026Q3", "black", "csv", "", BenchDay());
  PublicationCache cache;
  cache.Get(*f.snap, *f.live, *spec);
  std::string body;
  for (auto _ : state) {
    body.clear();
    body.append(*cache.Get(*f.snap, *f.live, *spec));
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["bytes"] = static_cast<double>(body.size());
  state.counters["made"] = static_cast<double>(cache.made());
}

void BM_ListFirst(benchmark::State& state) { BM_ListPage(state, kFirst); }
void BM_ListAny(benchmark::State& state) { BM_ListPage(state, kAny); }
void BM_ListDepartment(benchmark::State& state) { BM_ListPage(state, kDepartment); }
void BM_ListMemorandum(benchmark::State& state) { BM_ListPage(state, kMemorandum); }
void BM_ListThreeFilters(benchmark::State& state) { BM_ListPage(state, kThree); }

// Grouped by size, so that each data set is built once.
BENCHMARK(BM_ListFirst)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListAny)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListDepartment)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListMemorandum)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListThreeFilters)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListNewCombination)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PublicationCsv)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PublicationCsvCached)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListFirst)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListAny)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListDepartment)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListMemorandum)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListThreeFilters)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListNewCombination)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PublicationCsv)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PublicationCsvCached)->Arg(10000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
