// The generator's throughput (tools/generator.h): entries made in memory, and entries written as
// NDJSON (to /dev/null, so that the disk is not what is measured). See bench/README.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "tools/generator.h"

namespace credlist {
namespace {

// GenerateEntries alone: what the lookup benchmarks pay to make their entries.
void BM_GenerateEntries(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    uint64_t bytes = 0;
    GenerateEntries(n, 42, [&](const Entry& e) { bytes += e.name.size(); });
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// GenerateEntries and AppendEntryNdjson on one thread, no I/O.
void BM_AppendEntryNdjson(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  std::string out;
  uint64_t bytes = 0;
  for (auto _ : state) {
    GenerateEntries(n, 42, [&](const Entry& e) {
      out.clear();
      AppendEntryNdjson(e, &out);
      bytes += out.size();
    });
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// WriteNdjson to /dev/null: what `credlist generate` does, on all cores. Real time, since the
// work is spread over threads.
void BM_WriteNdjson(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  std::FILE* devnull = std::fopen("/dev/null", "wb");
  for (auto _ : state) {
    Status s = WriteNdjson(n, 42, devnull);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  std::fclose(devnull);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_GenerateEntries)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AppendEntryNdjson)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteNdjson)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
