// The cost of measures in a check (DESIGN.md §5): a check of a listed subject without a
// scenario, and the same check with one, so that its result lists the measures of the policy
// shipped in data/. Two levels: the engine alone (Check, then Policy::AppendForSubject) and
// what a server thread does per check short of HTTP (Check, then the JSON of the result with
// WriteCheckMembers). Arg 0: no scenario; arg 1: scenario "procurement". See bench/README.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/date.h"
#include "engine/policy.h"
#include "engine/snapshot.h"
#include "server/encode.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr uint64_t kEntries = 1000000;
constexpr size_t kKeys = 1 << 18;

struct Fixture {
  std::shared_ptr<const Snapshot> snap;
  std::shared_ptr<const Policy> policy;
  std::vector<Key> keys;  // the subjects' own identifiers, in random order
};

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

const Fixture& Data() {
  static std::unique_ptr<Fixture> f;
  if (f) return *f;
  f = std::make_unique<Fixture>();
  PolicyError error;
  f->policy = Policy::Load(std::string(CREDLIST_SOURCE_DIR) + "/data", &error);
  if (f->policy == nullptr) {
    std::fprintf(stderr, "policy: %s\n", error.ToStatus().ToString().c_str());
    std::abort();
  }
  SnapshotBuilder builder;
  const uint64_t every = kEntries / kKeys;
  uint64_t i = 0;
  GenerateEntries(kEntries, 42, [&](const Entry& e) {
    builder.Add(e);
    if (i++ % every == 0 && f->keys.size() < kKeys)
      f->keys.push_back(!e.uscc.empty() ? e.uscc : !e.id_number.empty() ? e.id_number : e.reg_no);
  });
  f->snap = builder.Build(DayFromCivil(2026, 11, 1));
  for (size_t k = f->keys.size(); k > 1; --k) std::swap(f->keys[k - 1], f->keys[Mix(k) % k]);
  return *f;
}

const Day kDay = DayFromCivil(2026, 11, 1);

void BM_CheckWithMeasures(benchmark::State& state) {
  const Fixture& f = Data();
  const int scenario = state.range(0) ? *ScenarioIndex("procurement") : -1;
  CheckResult result;
  std::vector<uint16_t> measures;
  size_t i = 0, listed = 0, hits = 0;
  for (auto _ : state) {
    LookupKey key;
    key.keys[0] = f.keys[i];
    key.count = 1;
    Check(*f.snap, key, kDay, &result);
    if (scenario >= 0) {
      measures.clear();
      SubjectLists lists;
      for (uint32_t e : result.entries) {
        const EntryRecord& r = f.snap->record(e);
        lists.Add(r.list(), f.snap->profile(r).memoranda);
      }
      f.policy->AppendForSubject(scenario, lists, &measures);
      listed += measures.size();
    }
    hits += result.status != ListStatus::kClear;
    benchmark::DoNotOptimize(measures.data());
    if (++i == f.keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_rate"] = double(hits) / double(state.iterations());
  state.counters["measures_per_check"] = double(listed) / double(state.iterations());
}

void BM_CheckAndEncode(benchmark::State& state) {
  const Fixture& f = Data();
  const MeasureContext measures =
      state.range(0) ? MeasureContext{f.policy.get(), *ScenarioIndex("procurement")}
                     : MeasureContext{};
  CheckResult result;
  std::string out;
  size_t i = 0, bytes = 0;
  char id[24];
  for (auto _ : state) {
    LookupKey key;
    key.keys[0] = f.keys[i];
    key.count = 1;
    Check(*f.snap, key, kDay, &result);
    out.clear();
    JsonWriter w(&out);
    w.BeginObject();
    WriteCheckMembers(*f.snap, result, kDay, NextCheckId(id), Visibility::kFull, w, measures);
    w.EndObject();
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
    if (++i == f.keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_check"] = double(bytes) / double(state.iterations());
}

BENCHMARK(BM_CheckWithMeasures)->Arg(0)->Arg(1);
BENCHMARK(BM_CheckAndEncode)->Arg(0)->Arg(1);

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
