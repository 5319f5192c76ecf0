// credlist load: files or a PostgreSQL table into a data directory, all or nothing.
#include <unistd.h>

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/ids.h"
#include "loaders/load.h"
#include "loaders/parallel_ndjson.h"
#include "loaders/postgres.h"
#include "loaders/report_form.h"
#include "loaders/sniff.h"
#include "loaders/xlsx_form.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kHelp[] =
    R"(usage: credlist load FILE... --data DIR [--format csv|ndjson|xlsx] [--sheet NAME]
                     [--department NAME] [--replace] [--skip-invalid] [--strict]
       credlist load --postgres CONNINFO --table T --data DIR [--replace] [--skip-invalid]

Validates every record and writes the valid ones to the data directory in one transaction.
A rejected record is reported as FILE:ROW: field: reason, one line for each of its bad fields.
A cell that loads but looks damaged is reported as FILE:ROW: field: warning: reason: a '?' in
a name (企业名称, 姓名, 法定代表人) of a GBK file, where a GBK writer lost a character it cannot
encode (save the file as GB18030 or UTF-8 to keep it). Unless --skip-invalid, a load with
any rejected record loads nothing and exits 1. An entry whose entry_id is already stored
replaces it. At the end: rows, loaded, rejected, warnings (when there are any), and the subjects
that are on the red and the black list at once (a snapshot is taken as decided: no
cross-check runs).

  --data DIR          the data directory (created when missing)
  --format F          csv (the seed's 报送表, UTF-8 or GBK), xlsx (the same form as an Excel
                      workbook) or ndjson; default: by content (an NDJSON file starts with {,
                      an .xlsx with PK; anything else is read as CSV), whatever the extension
  --sheet NAME        the sheet of an .xlsx to read (default: the first)
  --department NAME   the 认定部门 of records that name none
  --replace           the load replaces everything stored (entries not in it are removed)
  --skip-invalid      load the valid records even when some are rejected
  --strict            a warning rejects its record (a lost character of a name is an error)
  --postgres CONNINFO take a snapshot of a PostgreSQL table (libpq connection string)
  --table T           the table (or schema.table) to take with --postgres
)";

// The format of `path`: the one given, else what its first bytes say (docs/formats.md).
Result<std::string> FormatOf(const std::string& path, const std::string& given) {
  if (!given.empty()) return given;
  auto format = SniffFileFormat(path);
  if (!format.ok()) return format.status();
  return std::string(InputFormatName(*format));
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
class ConflictCounter {
 public:
  void Add(const Entry& e) {
    if (e.list == ListKind::kWatch) return;
    if (!CountsOn(e.state, e.in_force_on, e.exited_on, e.valid_from, e.valid_until, today_)) return;
    const Key k = !e.uscc.empty() ? e.uscc : !e.id_number.empty() ? e.id_number : e.reg_no;
    flags_[k] |= e.list == ListKind::kRed ? 1 : 2;
  }
  // Subjects with both flags here or in `other`, counted once.
  uint64_t count(const ConflictCounter& other) const {
    const ConflictCounter& big = flags_.size() >= other.flags_.size() ? *this : other;
    const ConflictCounter& small = &big == this ? other : *this;
    uint64_t n = 0;
    for (const auto& [k, f] : big.flags_) {
      const auto it = small.flags_.find(k);
      n += (f | (it == small.flags_.end() ? 0 : it->second)) == 3;
    }
    for (const auto& [k, f] : small.flags_) n += f == 3 && !big.flags_.contains(k);
    return n;
  }

 private:
  const Day today_ = Today();
  boost::unordered_flat_map<Key, uint8_t, KeyHash> flags_;
};

// Parsing and writing overlap: a writer thread hands the entries to the store, in the order
// given, with at most a few batches in flight (memory stays flat). Entries come one at a time
// (Add: the calling thread parses, so the writer also counts conflicts and frees the batches)
// or in whole batches from the parallel NDJSON loader (AddBatch: its calling thread mostly
// waits, so it counts their conflicts, which keeps the writer thread to the store's work; the
// writer gives each batch back to `pool` once written, for the loader to fill again). Used
// from one thread, besides its writer.
class Pipeline {
 public:
  static constexpr size_t kBatch = 4096;
  static constexpr size_t kInFlight = 4;

  Pipeline(EntryWriter& writer, EntryBatchPool& pool)
      : writer_(writer), pool_(pool), thread_([this] { Run(); }) {
    batch_.reserve(kBatch);
  }
  ~Pipeline() { Finish(); }

  void Add(Entry&& e) {
    batch_.push_back(std::move(e));
    if (batch_.size() == kBatch) Hand();
  }
  // A whole batch, after the entries added before it.
  void AddBatch(std::vector<Entry>&& batch) {
    Hand();
    for (const Entry& e : batch) caller_conflicts_.Add(e);
    Push({std::move(batch), /*by_caller=*/true});
  }
  // Waits for the writer; the first store error, if any.
  Status Finish() {
    if (thread_.joinable()) {
      Hand();
      {
        std::lock_guard lock(mu_);
        done_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    return status_;
  }
  // After Finish.
  uint64_t conflicts() const { return writer_conflicts_.count(caller_conflicts_); }

 private:
  struct Batch {
    std::vector<Entry> entries;
    bool by_caller = false;  // conflicts counted by the calling thread; back to the pool after
  };

  void Hand() {
    if (batch_.empty()) return;
    Push({std::move(batch_), /*by_caller=*/false});
    batch_ = {};
    batch_.reserve(kBatch);
  }
  void Push(Batch&& batch) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return queue_.size() < kInFlight; });
      queue_.push_back(std::move(batch));
    }
    cv_.notify_all();
  }
  void Run() {
    for (;;) {
      Batch batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_.notify_all();
      for (const Entry& e : batch.entries) {
        if (!status_.ok()) break;  // keep draining so the loader never blocks
        status_ = writer_.Add(e);
        if (!batch.by_caller) writer_conflicts_.Add(e);
      }
      if (batch.by_caller) pool_.Give(std::move(batch.entries));
    }
  }

  EntryWriter& writer_;
  EntryBatchPool& pool_;
  std::vector<Entry> batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool done_ = false;
  Status status_;
  ConflictCounter writer_conflicts_;  // of the batches from Add, on the writer thread
  ConflictCounter caller_conflicts_;  // of the batches from AddBatch, on the calling thread
  std::thread thread_;
};

}  // namespace

int RunLoad(int argc, char** argv) {
  Args args(argc, argv, 0, {"format", "sheet", "department", "postgres", "table"},
            {"replace", "skip-invalid", "strict"});
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
  if (!format.empty() && format != "csv" && format != "ndjson" && format != "xlsx")
    return Usage("--format: '%s' is not csv, ndjson or xlsx", format.c_str());

  // The data directory's known non-conforming USCCs, before any record is read (and before the
  // directory is created: a bad file changes nothing).
  if (Status s = InstallUsccExceptionsOfDataDir(args.Get("data")); !s.ok())
    return Fail("%s", s.ToString().c_str());
  auto store = OpenSqliteStore(args.Get("data"), SqliteStoreOptions{});
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());

  const auto started = std::chrono::steady_clock::now();
  auto writer = (*store)->BeginEntries(args.Has("replace"));
  if (!writer.ok()) return Fail("%s", writer.status().ToString().c_str());
  EntryBatchPool pool;
  Pipeline pipeline(**writer, pool);
  LoadReport total;
  bool failed = false;
  const EntrySink add = [&](Entry&& e) { pipeline.Add(std::move(e)); };
  const EntryBatchSink add_batch = [&](std::vector<Entry>&& b) { pipeline.AddBatch(std::move(b)); };
  auto run = [&](const std::string& source, auto&& load) {
    LoadReport report;
    Progress progress(source);
    LoadOptions options;
    options.department = args.Get("department");
    options.strict = args.Has("strict");
    options.progress = [&](uint64_t done, uint64_t all) { progress(done, all); };
    Status s = load(options, &report);
    for (const RowError& e : report.errors)
      std::fprintf(stderr, "%s:%llu: %s: %s\n", source.c_str(),
                   static_cast<unsigned long long>(e.row),
                   e.field.empty() ? "record" : e.field.c_str(), e.reason.c_str());
    if (report.errors_unlisted > 0)
      std::fprintf(stderr, "%s: %llu more errors not shown\n", source.c_str(),
                   static_cast<unsigned long long>(report.errors_unlisted));
    for (const RowError& e : report.warnings)
      std::fprintf(stderr, "%s:%llu: %s: warning: %s\n", source.c_str(),
                   static_cast<unsigned long long>(e.row), e.field.c_str(), e.reason.c_str());
    if (report.warned > report.warnings.size())
      std::fprintf(stderr, "%s: %llu more warnings not shown\n", source.c_str(),
                   static_cast<unsigned long long>(report.warned - report.warnings.size()));
    if (!s.ok()) {
      std::fprintf(stderr, "credlist: %s: %s\n", source.c_str(), s.ToString().c_str());
      failed = true;
    } else if (report.rows == 0) {  // an empty file is a mistake, never a load of nothing
      std::fprintf(stderr, "credlist: %s: holds no rows\n", source.c_str());
      failed = true;
    }
    total.rows += report.rows;
    total.loaded += report.loaded;
    total.rejected += report.rejected;
    total.warned += report.warned;
  };

  if (pg) {
    const std::string table = args.Get("table");
    run("postgres:" + table, [&](const LoadOptions& o, LoadReport* r) {
      return LoadPostgresTable(args.Get("postgres"), table, o, add, r);
    });
  } else {
    for (const std::string& path : args.operands()) {
      const Result<std::string> file_format = FormatOf(path, format);
      // NDJSON is parsed on every core (in file order, as one thread would); CSV and xlsx on
      // this one.
      run(path, [&](const LoadOptions& o, LoadReport* r) -> Status {
        if (!file_format.ok()) return file_format.status();
        if (*file_format == "csv") return LoadReportFormFile(path, o, add, r);
        if (*file_format == "xlsx")
          return LoadReportFormXlsxFile(path, args.Get("sheet"), o, add, r);
        return LoadNdjsonFileParallel(path, o, ParallelOptions{.pool = &pool}, add_batch, r);
      });
    }
  }

  auto summary = [&](uint64_t loaded) {
    std::printf(
        "rows: %llu\nloaded: %llu\nrejected: %llu\n", static_cast<unsigned long long>(total.rows),
        static_cast<unsigned long long>(loaded), static_cast<unsigned long long>(total.rejected));
    if (total.warned > 0)
      std::printf("warnings: %llu\n", static_cast<unsigned long long>(total.warned));
  };
  // Nothing is visible until Commit: a failed or refused load drops the writer, which rolls
  // the whole transaction back.
  Status written = pipeline.Finish();
  if (failed) {
    summary(0);
    return Fail("nothing loaded");
  }
  if (total.rejected > 0 && !args.Has("skip-invalid")) {
    summary(0);
    return Fail("%llu rejected rows: nothing loaded (use --skip-invalid to load the valid ones)",
                static_cast<unsigned long long>(total.rejected));
  }
  if (total.loaded == 0) {
    // Every row rejected (--skip-invalid): a script must not take this for a load. Nothing is
    // committed, so that --replace does not empty the store.
    summary(0);
    return Fail("all %llu rows were rejected: nothing loaded",
                static_cast<unsigned long long>(total.rejected));
  }
  if (written.ok()) {
    // The loads table says what was loaded: the files, or the PostgreSQL table.
    std::string source = pg ? "postgres:" + args.Get("table") : "";
    for (const std::string& path : args.operands()) source += (source.empty() ? "" : " ") + path;
    (*writer)->SetSource(source);
    written = (*writer)->Commit();
  }
  if (!written.ok()) {
    summary(0);
    return Fail("%s: nothing loaded", written.ToString().c_str());
  }
  const uint64_t loaded = (*writer)->added();
  if (!(*writer)->compaction_status().ok())  // the load is committed; compaction retries later
    std::fprintf(stderr, "credlist: note: compaction skipped: %s\n",
                 (*writer)->compaction_status().ToString().c_str());
  summary(loaded);
  const uint64_t conflicts = pipeline.conflicts();
  if (conflicts > 0)
    std::printf("conflicts: %llu subjects are on the red and the black list at once\n",
                static_cast<unsigned long long>(conflicts));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "loaded %llu entries in %.2f s (%.0f entries/s)\n",
               static_cast<unsigned long long>(loaded), secs, loaded / std::max(secs, 1e-9));
  return 0;
}

}  // namespace credlist
