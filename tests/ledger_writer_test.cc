// The life cycle's writer thread (server/ledger_writer.h) over a store whose commits can be
// made to fail: what a failed batch leaves behind, and what it keeps for the next one.
#include "server/ledger_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <string>

#include "engine/catalog.h"
#include "engine/snapshot.h"
#include "store/ledger_store.h"

namespace credlist {
namespace {

// A real ledger store whose commits fail while `failing` is set, storing nothing then.
class FlakyStore : public LedgerStore {
 public:
  FlakyStore(std::unique_ptr<LedgerStore> real, std::atomic<bool>* failing)
      : real_(std::move(real)), failing_(failing) {}
  Status Commit(const LedgerChange& change, const std::vector<AuditRecord>& audit,
                CheckLogBatch* checks) override {
    if (failing_->load()) return Status::Io("ledger store: the disk is full (injected)");
    return real_->Commit(change, audit, checks);
  }
  Status Restore(Ledger* ledger) override { return real_->Restore(ledger); }
  Result<std::vector<AuditRecord>> ReadAudit(const AuditQuery& query) override {
    return real_->ReadAudit(query);
  }
  Result<std::vector<DepartmentChecks>> ReadDepartmentChecks(Day from, Day to) override {
    return real_->ReadDepartmentChecks(from, to);
  }

 private:
  std::unique_ptr<LedgerStore> real_;
  std::atomic<bool>* failing_;
};

class LedgerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("credlist-ledger-writer-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = OpenLedgerStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    base_ = SnapshotBuilder().Build(Today());
    catalog_.Publish(base_);
    writer_ = std::make_unique<LedgerWriter>(
        catalog_, std::make_unique<FlakyStore>(std::move(*store), &failing_),
        [base = base_](LedgerStore& st) -> Result<std::unique_ptr<Ledger>> {
          auto l = std::make_unique<Ledger>(base, LedgerOptions{});
          if (Status s = st.Restore(l.get()); !s.ok()) return s;
          return l;
        });
    ASSERT_TRUE(writer_->Start().ok());
  }
  void TearDown() override {
    if (writer_) writer_->Stop();
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Waits for a batch that includes everything queued so far; its commit's outcome.
  Status Sync() {
    std::promise<Status> done;
    writer_->PostRead([&](const Status& commit, LedgerStore&) { done.set_value(commit); });
    return done.get_future().get();
  }
  std::vector<AuditRecord> StoredAudit() {
    std::promise<Result<std::vector<AuditRecord>>> done;
    writer_->PostRead([&](const Status&, LedgerStore& st) { done.set_value(st.ReadAudit({})); });
    auto got = done.get_future().get();
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<AuditRecord>{};
  }

  static AuditRecord Check(const std::string& check_id) {
    AuditRecord a;
    a.at_ms = 1'780'000'000'000;
    a.token_id = "t-1";
    a.role = "department";
    a.department = "营口市市场监督管理局";
    a.route = "check";
    a.subject = "210802199001011235";
    a.status = "black";
    a.check_id = check_id;
    return a;
  }

  std::filesystem::path dir_;
  std::atomic<bool> failing_{false};
  std::shared_ptr<const Snapshot> base_;
  Catalog catalog_;
  std::unique_ptr<LedgerWriter> writer_;
};

// A check was answered whether or not its audit record could be stored at once: the record is
// kept through failed commits and stored by the first one that succeeds, once.
TEST_F(LedgerWriterTest, AuditRecordsOfAFailedCommitAreStoredByTheNextOne) {
  writer_->Audit(Check("c-1"));
  ASSERT_TRUE(Sync().ok());

  failing_ = true;
  writer_->Audit(Check("c-2"));
  EXPECT_FALSE(Sync().ok());
  writer_->Audit(Check("c-3"));
  EXPECT_FALSE(Sync().ok());
  failing_ = false;
  ASSERT_TRUE(Sync().ok());

  std::vector<std::string> ids;
  for (const AuditRecord& a : StoredAudit()) ids.push_back(a.check_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"c-1", "c-2", "c-3"}));
  ASSERT_TRUE(Sync().ok());
  EXPECT_EQ(StoredAudit().size(), 3u);  // not stored twice
}

// The check log's hits behave alike: counted for their department after the store recovers.
TEST_F(LedgerWriterTest, CheckLogHitsOfAFailedCommitAreStoredByTheNextOne) {
  failing_ = true;
  CheckHit hit;
  hit.check_id = "c-9";
  hit.at_ms = 1'780'000'000'000;
  hit.day = Today();
  hit.department = "营口市市场监督管理局";
  hit.token_id = "t-1";
  hit.route = "check";
  hit.scenario = "procurement";
  hit.subject = "91210802MA0QD1E2XK";
  hit.status = "black";
  hit.measures = {"M001"};
  writer_->LogHit(hit);
  EXPECT_FALSE(Sync().ok());
  failing_ = false;
  ASSERT_TRUE(Sync().ok());
  std::promise<Result<std::vector<DepartmentChecks>>> done;
  writer_->PostRead([&](const Status&, LedgerStore& st) {
    done.set_value(st.ReadDepartmentChecks(kNoDay, kNoDay));
  });
  auto rows = done.get_future().get();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  uint64_t hits = 0;
  for (const DepartmentChecks& d : *rows)
    if (d.department == hit.department) hits += d.hits_with_measures;
  EXPECT_EQ(hits, 1u);
}

}  // namespace
}  // namespace credlist
