// The public list pages (engine/list_index.h, GET /v1/lists/{list}) over a Snapshot of
// generated entries and a live overlay of 1000 entries: one page of 50 as the handler makes
// it (ListIndex::Page, then the entries as masked JSON), for four kinds of query, and the
// index's build time and memory. See bench/README.md "List pages".
//
// Each iteration is one page, timed alone; the counters p50_us and p99_us (wall) and
// p50_cpu_us and p99_cpu_us (the thread's CPU time) are percentiles over all of them (Google
// Benchmark's own figure is the mean). Kinds, all on the black list:
//   - first: page 1, no filter;
//   - any: a page drawn uniformly from all of the list's pages, no filter;
//   - department: a random page of the commonest department's entries;
//   - three: a random page of department ∩ category ∩ memorandum (its commonest category,
//     P06).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/date.h"
#include "engine/json_writer.h"
#include "engine/list_index.h"
#include "engine/publication.h"
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

enum Kind { kFirst, kAny, kDepartment, kThree, kKinds };

struct Fixture {
  std::shared_ptr<const Snapshot> snap;
  std::shared_ptr<const LiveOverlay> live;
  std::unique_ptr<ListIndex> index;
  ListQuery queries[kKinds];
  uint64_t totals[kKinds] = {};
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
    if (k == kThree) {
      q.category = category;
      q.memorandum = *ParseMemorandumId("P06");
    }
    f.totals[k] = f.index->Page(snap, *f.live, q).total;
  }
  std::fprintf(stderr,
               "list index, %llu entries: built in %.2f s, in force on the day in %.2f s; %.2f "
               "B/entry (RSS growth %.2f B/entry); black %llu, department %s %llu, "
               "+ %s + P06 %llu\n",
               static_cast<unsigned long long>(n), f.build_s, f.in_force_s, f.bytes_per_entry,
               f.rss_per_entry, static_cast<unsigned long long>(f.totals[kAny]), department.c_str(),
               static_cast<unsigned long long>(f.totals[kDepartment]), category.c_str(),
               static_cast<unsigned long long>(f.totals[kThree]));
  return f;
}

void BM_ListPage(benchmark::State& state, Kind kind) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  ListQuery q = f.queries[kind];
  const uint64_t pages = std::max<uint64_t>(1, (f.totals[kind] + kPageSize - 1) / kPageSize);
  std::mt19937_64 rng(11);
  std::string body;
  std::vector<double> micros, cpu_micros;
  size_t rows = 0;
  for (auto _ : state) {
    q.page = kind == kFirst ? 1 : 1 + rng() % pages;
    const double cpu_start = ThreadMicros();
    const auto start = std::chrono::steady_clock::now();
    // What GET /v1/lists/{list} does for anyone.
    const ListPage page = f.index->Page(*f.snap, *f.live, q);
    body.clear();
    JsonWriter out(&body);
    out.BeginObject().Key("total").Int(static_cast<int64_t>(page.total));
    out.Key("entries").BeginArray();
    for (uint32_t i : page.entries) WriteEntry(*f.snap, i, Visibility::kPublic, out);
    for (const LiveEntry* e : page.live) WriteEntry(*e, Visibility::kPublic, out);
    out.EndArray().EndObject();
    const auto took = std::chrono::steady_clock::now() - start;
    cpu_micros.push_back(ThreadMicros() - cpu_start);
    micros.push_back(std::chrono::duration<double, std::micro>(took).count());
    rows += page.entries.size() + page.live.size();
    benchmark::DoNotOptimize(body.data());
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v.empty() ? 0.0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
  };
  const double count = static_cast<double>(std::max<size_t>(1, micros.size()));
  state.counters["p50_us"] = pct(micros, 0.50);
  state.counters["p99_us"] = pct(micros, 0.99);
  state.counters["p50_cpu_us"] = pct(cpu_micros, 0.50);
  state.counters["p99_cpu_us"] = pct(cpu_micros, 0.99);
  state.counters["rows"] = static_cast<double>(rows) / count;
  state.counters["total"] = static_cast<double>(f.totals[kind]);
  state.counters["entries"] = static_cast<double>(f.snap->size());
  state.counters["build_s"] = f.build_s;
  state.counters["in_force_s"] = f.in_force_s;
  state.counters["bytes_per_entry"] = f.bytes_per_entry;
}

// The first page of a new combination of three filters costs one more thing than the pages
// after it: the intersection, which pages then share (ListIndex::InForce::Intersection). Each
// iteration here is that intersection alone, under a key never used before.
void BM_IntersectionCold(benchmark::State& state) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const ListQuery& q = f.queries[kThree];
  const auto in_force = f.index->InForceOn(*f.snap, q.day);
  std::vector<const Roaring*> filters;
  uint64_t unused = 0;
  if (!f.index->FilterBitmaps(*in_force, q, &filters, &unused) || filters.size() != 3) {
    state.SkipWithError("filters not found");
    return;
  }
  std::vector<double> cpu_micros;
  uint64_t key = uint64_t{1} << 60;
  for (auto _ : state) {
    const double cpu_start = ThreadMicros();
    auto r = in_force->Intersection(key++, filters);
    cpu_micros.push_back(ThreadMicros() - cpu_start);
    benchmark::DoNotOptimize(r.get());
  }
  std::sort(cpu_micros.begin(), cpu_micros.end());
  auto pct = [&](double p) {
    return cpu_micros.empty()
               ? 0.0
               : cpu_micros[static_cast<size_t>(p * static_cast<double>(cpu_micros.size() - 1))];
  };
  state.counters["p50_cpu_us"] = pct(0.5);
  state.counters["p99_cpu_us"] = pct(0.99);
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

void BM_ListFirst(benchmark::State& state) { BM_ListPage(state, kFirst); }
void BM_ListAny(benchmark::State& state) { BM_ListPage(state, kAny); }
void BM_ListDepartment(benchmark::State& state) { BM_ListPage(state, kDepartment); }
void BM_ListThreeFilters(benchmark::State& state) { BM_ListPage(state, kThree); }

// Grouped by size, so that each data set is built once.
BENCHMARK(BM_ListFirst)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListAny)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListDepartment)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListThreeFilters)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntersectionCold)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PublicationCsv)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListFirst)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListAny)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListDepartment)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ListThreeFilters)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntersectionCold)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PublicationCsv)->Arg(10000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
