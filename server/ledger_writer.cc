#include "server/ledger_writer.h"

#include <chrono>
#include <cstdio>

namespace credlist {
namespace {

// What a failing store may leave waiting for the next batch, at most (audit records and
// check-log hits: reads that were answered, so they are kept and tried again, not dropped).
constexpr size_t kMaxRetained = 1 << 20;

template <typename T>
void DropRetained(const char* what, std::vector<T>* v) {
  std::fprintf(stderr, "credlist: error: the ledger store keeps failing: %zu %s dropped\n",
               v->size(), what);
  v->clear();
}

}  // namespace

Clock SystemClock() {
  const auto now = std::chrono::system_clock::now();
  return Clock{
      Today(),
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()};
}

LedgerWriter::LedgerWriter(Catalog& catalog, std::unique_ptr<LedgerStore> store, Restorer restore)
    : catalog_(catalog), store_(std::move(store)), restore_(std::move(restore)) {}

LedgerWriter::~LedgerWriter() { Stop(); }

Status LedgerWriter::Start() {
  auto ledger = restore_(*store_);
  if (!ledger.ok()) return ledger.status();
  ledger_ = std::move(*ledger);
  // What the calendar did while the server was down.
  ledger_->Settle(SystemClock());
  const LedgerChange change = ledger_->TakeChange();
  if (!change.empty())
    if (Status s = store_->Commit(change, {}); !s.ok()) return s;
  catalog_.PublishLive(ledger_->overlay());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void LedgerWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LedgerWriter::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void LedgerWriter::Audit(AuditRecord record) {
  bool first;
  {
    std::lock_guard lock(mu_);
    first = audit_.empty();
    audit_.push_back(std::move(record));
  }
  if (first) wake_.notify_one();
}

void LedgerWriter::LogHit(CheckHit hit) {
  bool first;
  {
    std::lock_guard lock(mu_);
    first = hits_.empty();
    hits_.push_back(std::move(hit));
  }
  if (first) wake_.notify_one();
}

void LedgerWriter::PostFeedback(std::shared_ptr<FeedbackRequest> request,
                                std::function<void(const Status& commit)> done) {
  {
    std::lock_guard lock(mu_);
    feedback_.push_back(request);
    tasks_.push_back(Task{
        [](Ledger&, const Clock&) {},
        [request, done = std::move(done)](const Status& commit, LedgerStore&) { done(commit); }});
  }
  wake_.notify_one();
}

void LedgerWriter::PostRead(std::function<void(const Status& commit, LedgerStore&)> read) {
  {
    std::lock_guard lock(mu_);
    sync_counts_ = true;
    tasks_.push_back(Task{[](Ledger&, const Clock&) {}, std::move(read)});
  }
  wake_.notify_one();
}

void LedgerWriter::Run() {
  std::vector<Task> tasks;
  std::vector<AuditRecord> audit;  // what a failed commit left is tried again with the next batch
  std::vector<std::shared_ptr<FeedbackRequest>> feedback;
  CheckLogBatch checks;  // the same
  Day settled = kNoDay;
  auto counted = std::chrono::steady_clock::now();
  for (;;) {
    bool sync = false, last = false;
    {
      std::unique_lock lock(mu_);
      // A second at most between looks at the calendar: a day that turns settles at once.
      wake_.wait_for(lock, std::chrono::seconds(1),
                     [&] { return stop_ || !tasks_.empty() || !audit_.empty() || !hits_.empty(); });
      last = stop_ && tasks_.empty() && audit_.empty() && hits_.empty();
      tasks.swap(tasks_);
      if (audit.empty()) {
        audit.swap(audit_);
      } else {
        for (AuditRecord& a : audit_) audit.push_back(std::move(a));
        audit_.clear();
      }
      feedback.swap(feedback_);
      if (checks.hits.empty()) {
        checks.hits.swap(hits_);
      } else {
        for (CheckHit& h : hits_) checks.hits.push_back(std::move(h));
        hits_.clear();
      }
      sync = sync_counts_;
      sync_counts_ = false;
    }
    const auto now = std::chrono::steady_clock::now();
    const Day today = Today();
    if (sync || last || now - counted >= kCountsEvery) {
      counted = now;
      for (CheckCount& c : counters_.Take(today)) checks.counts.push_back(std::move(c));
    }
    for (const auto& f : feedback) checks.feedback.push_back(f.get());
    if (!tasks.empty() || !audit.empty() || !checks.empty() || today != settled) {
      settled = today;
      RunBatch(tasks, audit, checks);
    }
    tasks.clear();
    feedback.clear();
    checks.feedback.clear();
    if (last) return;
  }
}

void LedgerWriter::RunBatch(std::vector<Task>& tasks, std::vector<AuditRecord>& audit,
                            CheckLogBatch& checks) {
  const Clock clock = SystemClock();
  ledger_->Settle(clock);
  for (Task& t : tasks) t.apply(*ledger_, clock);
  const LedgerChange change = ledger_->TakeChange();
  Status commit = Status::Ok();
  if (!change.empty() || !audit.empty() || !checks.empty())
    commit = store_->Commit(change, audit, &checks);
  if (commit.ok()) {
    audit.clear();
    checks.counts.clear();
    checks.hits.clear();
  } else {
    // The store has been failing for long: stop holding memory.
    if (audit.size() > kMaxRetained) DropRetained("audit records", &audit);
    if (checks.hits.size() > kMaxRetained) DropRetained("check-log hits", &checks.hits);
  }
  if (commit.ok()) {
    if (!change.empty()) catalog_.PublishLive(ledger_->overlay());
  } else {
    // Nothing of the batch is stored: start again from what is.
    auto ledger = restore_(*store_);
    if (ledger.ok()) ledger_ = std::move(*ledger);
  }
  for (Task& t : tasks) t.done(commit, *store_);
}

}  // namespace credlist
