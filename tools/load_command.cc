// credlist load: files or a PostgreSQL table into a data directory, all or nothing.
#include <unistd.h>

#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "loaders/load.h"
#include "loaders/ndjson.h"
#include "loaders/postgres.h"
#include "loaders/report_form.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kHelp[] =
    R"(usage: credlist load FILE... --data DIR [--format csv|ndjson] [--department NAME]
                     [--replace] [--skip-invalid]
       credlist load --postgres CONNINFO --table T --data DIR [--replace] [--skip-invalid]

Validates every record and writes the valid ones to the data directory in one transaction.
A rejected record is reported as FILE:ROW: field: reason. Unless --skip-invalid, a load with
any rejected record loads nothing and exits 1. An entry whose entry_id is already stored
replaces it. At the end: rows, loaded, rejected, and the subjects that are on the red and the
black list at once (a snapshot is taken as decided: no cross-check runs).

  --data DIR          the data directory (created when missing)
  --format F          csv (the seed's 报送表, UTF-8 or GBK) or ndjson; default: by extension
  --department NAME   the 认定部门 of records that name none
  --replace           the load replaces everything stored (entries not in it are removed)
  --skip-invalid      load the valid records even when some are rejected
  --postgres CONNINFO take a snapshot of a PostgreSQL table (libpq connection string)
  --table T           the table (or schema.table) to take with --postgres
)";

std::string FormatOf(const std::string& path, const std::string& given) {
  if (!given.empty()) return given;
  auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".csv") || ends(".CSV")) return "csv";
  return "ndjson";
}

// A progress line on a terminal, at most ten times a second.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(2)) {}
  ~Progress() {
    if (shown_) std::fputc('\n', stderr);
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    if (total > 0)
      std::fprintf(stderr, "\r%s: %3.0f%% (%.1f of %.1f MB)", label_.c_str(), 100.0 * done / total,
                   done / 1e6, total / 1e6);
    else
      std::fprintf(stderr, "\r%s: %llu rows", label_.c_str(),
                   static_cast<unsigned long long>(done));
    std::fflush(stderr);
  }

 private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// Subjects with a red and a black entry that count today, among the loaded entries.
uint64_t CountConflicts(const std::vector<Entry>& entries) {
  boost::unordered_flat_map<Key, uint8_t, KeyHash> flags;
  const Day today = Today();
  for (const Entry& e : entries) {
    if (e.list == ListKind::kWatch) continue;
    if (!CountsOn(e.state, e.in_force_on, e.exited_on, e.valid_from, e.valid_until, today))
      continue;
    const Key k = !e.uscc.empty() ? e.uscc : !e.id_number.empty() ? e.id_number : e.reg_no;
    flags[k] |= e.list == ListKind::kRed ? 1 : 2;
  }
  uint64_t n = 0;
  for (const auto& [k, f] : flags) n += f == 3;
  return n;
}

}  // namespace

int RunLoad(int argc, char** argv) {
  Args args(argc, argv, 0, {"format", "department", "postgres", "table"},
            {"replace", "skip-invalid"});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kHelp, stdout), 0;
  if (!args.Has("data")) return Usage("load needs --data DIR");
  const bool pg = args.Has("postgres");
  if (pg && !args.Has("table")) return Usage("--postgres needs --table T");
  if (!pg && args.Has("table")) return Usage("--table goes with --postgres");
  if (!pg && args.operands().empty())
    return Usage("load needs FILE... or --postgres CONNINFO --table T");
  if (pg && !args.operands().empty()) return Usage("give files or --postgres, not both");
  const std::string format = args.Get("format");
  if (!format.empty() && format != "csv" && format != "ndjson")
    return Usage("--format: '%s' is not csv or ndjson", format.c_str());

  auto store = OpenSqliteStore(args.Get("data"), SqliteStoreOptions{});
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());

  const auto started = std::chrono::steady_clock::now();
  std::vector<Entry> entries;
  LoadReport total;
  bool failed = false;
  auto run = [&](const std::string& source, auto&& load) {
    LoadReport report;
    Progress progress(source);
    LoadOptions options;
    options.department = args.Get("department");
    options.progress = [&](uint64_t done, uint64_t all) { progress(done, all); };
    Status s = load(
        options, [&](Entry&& e) { entries.push_back(std::move(e)); }, &report);
    for (const RowError& e : report.errors)
      std::fprintf(stderr, "%s:%llu: %s: %s\n", source.c_str(),
                   static_cast<unsigned long long>(e.row),
                   e.field.empty() ? "record" : e.field.c_str(), e.reason.c_str());
    if (report.rejected > report.errors.size())
      std::fprintf(stderr, "%s: %llu more rejected rows not shown\n", source.c_str(),
                   static_cast<unsigned long long>(report.rejected - report.errors.size()));
    if (!s.ok()) {
      std::fprintf(stderr, "credlist: %s: %s\n", source.c_str(), s.ToString().c_str());
      failed = true;
    }
    total.rows += report.rows;
    total.loaded += report.loaded;
    total.rejected += report.rejected;
  };

  if (pg) {
    const std::string table = args.Get("table");
    run("postgres:" + table, [&](const LoadOptions& o, const EntrySink& sink, LoadReport* r) {
      return LoadPostgresTable(args.Get("postgres"), table, o, sink, r);
    });
  } else {
    for (const std::string& path : args.operands()) {
      const bool csv = FormatOf(path, format) == "csv";
      run(path, [&](const LoadOptions& o, const EntrySink& sink, LoadReport* r) {
        return csv ? LoadReportFormFile(path, o, sink, r) : LoadNdjsonFile(path, o, sink, r);
      });
    }
  }

  auto summary = [&](uint64_t loaded) {
    std::printf(
        "rows: %llu\nloaded: %llu\nrejected: %llu\n", static_cast<unsigned long long>(total.rows),
        static_cast<unsigned long long>(loaded), static_cast<unsigned long long>(total.rejected));
  };
  if (failed) {
    summary(0);
    return Fail("nothing loaded");
  }
  if (total.rejected > 0 && !args.Has("skip-invalid")) {
    summary(0);
    return Fail("%llu rejected rows: nothing loaded (use --skip-invalid to load the valid ones)",
                static_cast<unsigned long long>(total.rejected));
  }
  if (Status s = (*store)->PutEntries(entries, args.Has("replace")); !s.ok()) {
    summary(0);
    return Fail("%s: nothing loaded", s.ToString().c_str());
  }
  summary(entries.size());
  const uint64_t conflicts = CountConflicts(entries);
  if (conflicts > 0)
    std::printf("conflicts: %llu subjects are on the red and the black list at once\n",
                static_cast<unsigned long long>(conflicts));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "loaded %zu entries in %.2f s\n", entries.size(), secs);
  return 0;
}

}  // namespace credlist
