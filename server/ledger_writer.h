// LedgerWriter: the one thread that writes the life cycle (engine/lifecycle.h).
//
// HTTP threads hand it tasks; it runs them in batches: Settle (what the calendar did by
// itself), each task's apply on the Ledger, one store transaction for everything the batch
// changed plus the audit records queued meanwhile (group commit), then the new live overlay
// published to the Catalog, and only then each task's done, which answers its client. So a
// write is acknowledged only once committed, and readers see it before its acknowledgement
// leaves. A failed commit answers every task of the batch with the error and rebuilds the
// Ledger from the store, so nothing half-applied stays in memory; the audit records and
// check-log hits of that batch record reads that were answered, so they are kept and tried
// again with the next batch (up to a million of each; beyond, they are dropped with an error
// on stderr).
//
// The check log rides along (engine/supervision.h): the hits that listed measures are queued
// like audit records; the per-department counts (CheckCounters, lock-free on the check path)
// are taken and committed at most every kCountsEvery, and before each PostRead; feedback is
// checked against the stored hits and recorded inside the batch's transaction.
//
// Thread-safe: Post, Audit, LogHit, PostFeedback, PostRead and counters() may be called from
// any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/audit.h"
#include "engine/catalog.h"
#include "engine/lifecycle.h"
#include "engine/supervision.h"
#include "server/check_log.h"
#include "store/ledger_store.h"

namespace credlist {

class LedgerWriter {
 public:
  struct Task {
    // Runs on the writer thread, before the commit; a refused command changes nothing.
    std::function<void(Ledger&, const Clock&)> apply;
    // Runs on the writer thread after the commit (or its failure): answers the client.
    std::function<void(const Status& commit, LedgerStore&)> done;
  };
  // Makes a ledger restored from the store (at start, and after a failed commit).
  using Restorer = std::function<Result<std::unique_ptr<Ledger>>(LedgerStore&)>;

  LedgerWriter(Catalog& catalog, std::unique_ptr<LedgerStore> store, Restorer restore);
  ~LedgerWriter();

  // Restores the ledger, publishes its overlay, and starts the thread.
  Status Start();
  void Stop();

  void Post(Task task);
  // Queued and committed with the next batch, within a few milliseconds.
  void Audit(AuditRecord record);

  // How often the check counts are committed when nothing asks for them sooner.
  static constexpr std::chrono::milliseconds kCountsEvery{1000};
  // The checks of each department, counted in memory by the server threads.
  CheckCounters& counters() { return counters_; }
  // A hit whose result listed measures: queued and committed like an audit record.
  void LogHit(CheckHit hit);
  // Records `request` in the next batch's transaction; `done` runs on the writer thread after
  // the commit, and the request then holds its outcome.
  void PostFeedback(std::shared_ptr<FeedbackRequest> request,
                    std::function<void(const Status& commit)> done);
  // Runs `read` on the writer thread after a commit that includes every check counted so far.
  void PostRead(std::function<void(const Status& commit, LedgerStore&)> read);

 private:
  void Run();
  void RunBatch(std::vector<Task>& tasks, std::vector<AuditRecord>& audit, CheckLogBatch& checks);

  Catalog& catalog_;
  std::unique_ptr<LedgerStore> store_;
  Restorer restore_;
  std::unique_ptr<Ledger> ledger_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Task> tasks_;
  std::vector<AuditRecord> audit_;
  std::vector<CheckHit> hits_;
  std::vector<std::shared_ptr<FeedbackRequest>> feedback_;
  bool sync_counts_ = false;
  CheckCounters counters_;
  bool stop_ = false;
  std::thread thread_;
};

// The clock of the life cycle: today in Asia/Shanghai and the Unix milliseconds now.
Clock SystemClock();

}  // namespace credlist
