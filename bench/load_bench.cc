// Load throughput: NDJSON and 报送表 CSV parsed and validated into entries (issue target:
// >= 1M NDJSON entries/s). The input is generated once in memory; the sink only counts, so
// the figure is the loaders' own cost. BM_LoadNdjsonParallel is what `credlist load` runs
// (loaders/parallel_ndjson.h), by worker threads; `credlist load` adds the store's write on
// another thread (bench/README.md).
#include <benchmark/benchmark.h>

#include <string>

#include "loaders/ndjson.h"
#include "loaders/parallel_ndjson.h"
#include "loaders/report_form.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr uint64_t kEntries = 200000;

const std::string& Ndjson() {
  static const std::string data = [] {
    std::string out;
    GenerateEntries(kEntries, 5, [&](const Entry& e) { AppendEntryNdjson(e, &out); });
    return out;
  }();
  return data;
}

// The black entries of the same data as a 报送表 (2), with the natural-person columns.
uint64_t report_form_rows = 0;
const std::string& ReportForm() {
  static const std::string data = [] {
    std::string out =
        "黑名单类型,企业名称,姓名,法定代表人,统一社会信用代码,工商注册登记号,违法失信行为,"
        "处罚结果,认定部门,认定依据,认定日期,处罚有效期,证件类型,证件号码\n";
    auto field = [&](std::string_view s) {
      out.push_back('"');
      for (char c : s) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
      }
      out.append("\",");
    };
    GenerateEntries(kEntries, 5, [&](const Entry& e) {
      if (e.list != ListKind::kBlack) return;
      ++report_form_rows;
      const bool person = e.subject_type == SubjectType::kNaturalPerson;
      field(e.category);
      field(person ? "" : e.name);
      field(person ? e.name : "");
      field(e.legal_rep);
      field(FormatKey(e.uscc));
      field(FormatKey(e.reg_no));
      field(e.conduct);
      field(e.outcome);
      field(e.department);
      field(e.basis);
      field(FormatDate(e.decided_on));
      field(e.valid_until == kForever ? "长期" : FormatDate(e.valid_until - 1));
      field(person ? e.id_type : "");
      out += FormatKey(e.id_number);
      out.push_back('\n');
    });
    return out;
  }();
  return data;
}

void BM_LoadNdjson(benchmark::State& state) {
  const std::string& data = Ndjson();
  for (auto _ : state) {
    LoadReport report;
    uint64_t n = 0;
    Status s = LoadNdjson(
        data, {}, [&](Entry&&) { ++n; }, &report);
    if (!s.ok() || report.rejected) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_LoadNdjson)->Unit(benchmark::kMillisecond)->UseRealTime();

// Slices of 1 MiB, so that the 120 MB input makes enough of them for the threads.
void BM_LoadNdjsonParallel(benchmark::State& state) {
  const std::string& data = Ndjson();
  ParallelOptions parallel;
  parallel.threads = static_cast<unsigned>(state.range(0));
  parallel.slice_bytes = size_t{1} << 20;
  for (auto _ : state) {
    LoadReport report;
    uint64_t n = 0;
    Status s = LoadNdjsonParallel(
        data, {}, parallel, [&](std::vector<Entry>&& batch) { n += batch.size(); }, &report);
    if (!s.ok() || report.rejected || n != kEntries) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_LoadNdjsonParallel)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_LoadReportForm(benchmark::State& state) {
  const std::string& data = ReportForm();
  for (auto _ : state) {
    LoadReport report;
    uint64_t n = 0;
    Status s = LoadReportForm(
        data, {}, [&](Entry&&) { ++n; }, &report);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    if (report.rejected)
      state.SkipWithError(
          ("rejected: " + std::to_string(report.rejected) + " " +
           (report.errors.empty() ? "" : report.errors[0].field + ": " + report.errors[0].reason))
              .c_str());
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * report_form_rows);
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_LoadReportForm)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace credlist

BENCHMARK_MAIN();
