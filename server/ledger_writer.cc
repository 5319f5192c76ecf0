#include "server/ledger_writer.h"

#include <chrono>

namespace credlist {
namespace {

// Hits kept for the next commit after failed ones, at most.
constexpr size_t kMaxRetainedHits = 1 << 20;

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
  std::vector<AuditRecord> audit;
  std::vector<std::shared_ptr<FeedbackRequest>> feedback;
  CheckLogBatch checks;  // what a failed commit left is tried again with the next batch
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
      audit.swap(audit_);
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
    audit.clear();
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
    checks.counts.clear();
    checks.hits.clear();
  } else if (checks.hits.size() > kMaxRetainedHits) {
    checks.hits.clear();  // the store has been failing for long: stop holding memory
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
