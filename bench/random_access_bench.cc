// What the machine does with random memory accesses, the floor under every lookup figure
// (bench/README.md): one random 64-byte line of a 1 GiB array per probe, with 4 KiB pages or
// transparent huge pages (2 MiB, asked for with madvise), prefetched 16 probes ahead
// (throughput) or each waiting for the one before (latency).
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kBytes = size_t{1} << 30;
constexpr size_t kLines = kBytes / 64;

struct Memory {
  char* bytes;
  std::vector<uint64_t> lines;  // random line numbers
  explicit Memory(bool huge) {
    bytes = static_cast<char*>(std::aligned_alloc(size_t{1} << 21, kBytes));
    if (huge) madvise(bytes, kBytes, MADV_HUGEPAGE);
    std::memset(bytes, 1, kBytes);
    uint64_t x = 1;
    lines.resize(1 << 22);
    for (uint64_t& l : lines) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      l = (x >> 20) % kLines;
    }
  }
};

const Memory& Data(bool huge) {
  static Memory* memory[2] = {nullptr, nullptr};
  if (!memory[huge]) memory[huge] = new Memory(huge);
  return *memory[huge];
}

void BM_RandomLines(benchmark::State& state) {
  const Memory& m = Data(state.range(0) != 0);
  const size_t n = m.lines.size();
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    __builtin_prefetch(m.bytes + m.lines[(i + 16) % n] * 64);
    sum += static_cast<uint64_t>(m.bytes[m.lines[i] * 64]);
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "2 MiB pages" : "4 KiB pages");
}

void BM_DependentLines(benchmark::State& state) {
  const Memory& m = Data(state.range(0) != 0);
  const size_t n = m.lines.size();
  size_t i = 0, line = 0;
  for (auto _ : state) {
    line = (m.lines[i] + (m.bytes[line * 64] & 1)) % kLines;  // waits for the last load
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(line);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "2 MiB pages" : "4 KiB pages");
}

BENCHMARK(BM_RandomLines)->Arg(0)->Arg(1);
BENCHMARK(BM_DependentLines)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
