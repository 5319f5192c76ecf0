// Name search (engine/name_search.h) over a Snapshot of generated entries: the latency of one
// NameIndex::Search as an anonymous caller makes it (limit 10, entries in force on the day),
// for three kinds of query, and the index's build time and memory. See bench/README.md.
//
// Each iteration is one query, timed alone; the counters p50_us and p99_us (wall) and
// p50_cpu_us and p99_cpu_us (the thread's CPU time) are percentiles over all of them (Google
// Benchmark's own figure is the mean). top1 and top5 are the fractions of
// queries whose bidder (the name the query was made from) is the first result, or among the
// first five. Queries, 4096 a kind, are made from the names of legal persons in force on the
// day, spread over the data:
//   - exact: the name as it is;
//   - typo: its middle character replaced by 垚 (in no generated name);
//   - brackets: its first two characters in full-width brackets, a space after them:
//     （营口） 鑫华贸易有限公司, which normalises to the name itself.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/date.h"
#include "engine/name_search.h"
#include "engine/snapshot.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr uint64_t kSeed = 42;
constexpr size_t kQueries = 4096;

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

Day BenchDay() { return DayFromCivil(2026, 11, 1); }

// CPU time of this thread, in µs: on a machine shared with others, wall time also counts the
// time the thread waited for a core.
double ThreadMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

enum Kind { kExact, kTypo, kBrackets, kKinds };

struct Query {
  std::string text;
  std::string target;  // the bidder's normalised name
};

struct Fixture {
  std::shared_ptr<const Snapshot> snap;
  std::unique_ptr<NameIndex> index;
  std::vector<Query> queries[kKinds];
  double snapshot_build_s = 0;
  double build_s = 0;
  double bytes_per_entry = 0;
  double rss_per_entry = 0;
};

std::string Utf8(const std::u32string& cps) {
  std::string out;
  for (char32_t c : cps) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | c >> 6));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | c >> 12));
      out.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

const Fixture& Data(uint64_t n) {
  static std::map<uint64_t, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& slot = fixtures[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;

  auto start = std::chrono::steady_clock::now();
  {
    SnapshotBuilder builder;
    GenerateEntries(n, kSeed, [&](const Entry& e) { builder.Add(e); });
    f.snap = builder.Build(BenchDay());
  }
  f.snapshot_build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  malloc_trim(0);
  const size_t rss_before = ResidentBytes();
  start = std::chrono::steady_clock::now();
  f.index = NameIndex::Build(*f.snap);
  f.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  malloc_trim(0);
  f.rss_per_entry = static_cast<double>(ResidentBytes() - rss_before) / static_cast<double>(n);
  f.bytes_per_entry =
      static_cast<double>(f.index->MemoryBytes()) / static_cast<double>(f.snap->size());

  const NameIndex::MemoryParts p = f.index->Memory();
  auto per = [n](size_t bytes) { return static_cast<double>(bytes) / static_cast<double>(n); };
  std::fprintf(stderr,
               "search index, %llu entries: built in %.2f s (%u threads; snapshot %.1f s), "
               "%.1f B/entry (RSS growth %.1f B/entry); %zu distinct names, %zu bigrams, %zu "
               "postings; per entry: names %.1f, text %.1f, entries %.1f, exact %.1f, postings "
               "%.1f, bigrams of names %.1f\n",
               static_cast<unsigned long long>(n), f.build_s, std::thread::hardware_concurrency(),
               f.snapshot_build_s, f.bytes_per_entry, f.rss_per_entry, p.distinct_names, p.bigrams,
               p.posting_entries, per(p.names), per(p.text), per(p.entries), per(p.exact),
               per(p.postings), per(p.name_grams));

  // Bidders: legal persons spread over the whole snapshot.
  const size_t stride = std::max<size_t>(1, f.snap->size() / (kQueries * 2));
  std::u32string cps;
  for (size_t i = 0; i < f.snap->size() && f.queries[kExact].size() < kQueries; i += stride) {
    const EntryRecord& r = f.snap->record(static_cast<uint32_t>(i));
    if (r.subject_type() != SubjectType::kLegalPerson || !f.snap->Counts(i, BenchDay()))
      continue;  // a bidder an anonymous caller can find
    const std::string_view name = f.snap->str(r.name());
    NormaliseNameTo(name, &cps);
    if (cps.size() < 6) continue;
    const std::string target = Utf8(cps);
    f.queries[kExact].push_back({std::string(name), target});
    std::u32string typo = cps;
    typo[typo.size() / 2] = U'垚';
    f.queries[kTypo].push_back({Utf8(typo), target});
    f.queries[kBrackets].push_back(
        {"（" + Utf8(cps.substr(0, 2)) + "） " + Utf8(cps.substr(2)), target});
  }
  return f;
}

void BM_Search(benchmark::State& state, Kind kind) {
  const Fixture& f = Data(static_cast<uint64_t>(state.range(0)));
  const std::vector<Query>& queries = f.queries[kind];
  const Snapshot& snap = *f.snap;
  NameSearchOptions options;
  options.limit = 10;
  const Day day = BenchDay();
  options.accept = [&snap, day](uint32_t i) { return snap.Counts(i, day); };
  std::vector<double> micros, cpu_micros;
  size_t q = 0, results = 0, top1 = 0, top5 = 0;
  for (auto _ : state) {
    const Query& query = queries[q++ % queries.size()];
    const double cpu_start = ThreadMicros();
    const auto start = std::chrono::steady_clock::now();
    std::vector<NameMatch> r = f.index->Search(query.text, options);
    const auto took = std::chrono::steady_clock::now() - start;
    cpu_micros.push_back(ThreadMicros() - cpu_start);
    micros.push_back(std::chrono::duration<double, std::micro>(took).count());
    benchmark::DoNotOptimize(r.data());
    results += r.size();
    // Whether the bidder's name is first, or in the first five (outside the timing).
    for (size_t k = 0; k < r.size() && k < 5; ++k) {
      if (NormaliseName(snap.str(snap.record(r[k].id).name())) != query.target) continue;
      top1 += k == 0;
      ++top5;
      break;
    }
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
  state.counters["max_us"] = micros.empty() ? 0.0 : micros.back();
  state.counters["results"] = static_cast<double>(results) / count;
  state.counters["top1"] = static_cast<double>(top1) / count;
  state.counters["top5"] = static_cast<double>(top5) / count;
  state.counters["entries"] = static_cast<double>(snap.size());
  state.counters["bytes_per_entry"] = f.bytes_per_entry;
  state.counters["rss_per_entry"] = f.rss_per_entry;
  state.counters["build_s"] = f.build_s;
}

void BM_SearchExact(benchmark::State& state) { BM_Search(state, kExact); }
void BM_SearchTypo(benchmark::State& state) { BM_Search(state, kTypo); }
void BM_SearchBrackets(benchmark::State& state) { BM_Search(state, kBrackets); }

BENCHMARK(BM_SearchExact)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SearchTypo)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SearchBrackets)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
