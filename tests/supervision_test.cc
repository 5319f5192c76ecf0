// Feedback and supervision: the check counters (server/check_log.h), the supervision rows
// (engine/supervision.h), and the check log of the ledger store (store/ledger_store.h).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "engine/live.h"
#include "engine/snapshot.h"
#include "engine/supervision.h"
#include "server/check_log.h"
#include "store/ledger_store.h"
#include "tests/engine_test_util.h"

namespace credlist {
namespace {

using testing::D;

// --- CheckCounters ---------------------------------------------------------------------------

std::map<std::pair<Day, std::string>, std::pair<uint64_t, uint64_t>> Sum(
    const std::vector<CheckCount>& counts) {
  std::map<std::pair<Day, std::string>, std::pair<uint64_t, uint64_t>> out;
  for (const CheckCount& c : counts) {
    auto& v = out[{c.day, c.department}];
    v.first += c.checks;
    v.second += c.hits;
  }
  return out;
}

TEST(CheckCounters, CountsPerDepartmentAndResetsOnTake) {
  CheckCounters c;
  const Day today = D("2026-11-24");
  c.Add("市采购中心", today, 1, 1);
  c.Add("市采购中心", today, 1, 0);
  c.Add("市税务局", today, 3, 0);
  auto got = Sum(c.Take(today));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[std::make_pair(today, std::string("市采购中心"))], std::make_pair(2ul, 1ul));
  EXPECT_EQ(got[std::make_pair(today, std::string("市税务局"))], std::make_pair(3ul, 0ul));
  EXPECT_TRUE(c.Take(today).empty());  // taken once
  c.Add("市税务局", today, 1, 0);
  got = Sum(c.Take(today));
  EXPECT_EQ(got[std::make_pair(today, std::string("市税务局"))], std::make_pair(1ul, 0ul));
}

TEST(CheckCounters, YesterdaysCountsKeepTheirDayAcrossMidnight) {
  CheckCounters c;
  const Day yesterday = D("2026-11-23"), today = D("2026-11-24");
  c.Add("市采购中心", yesterday, 5, 2);  // counted at 23:59:59.9, taken after midnight
  c.Add("市采购中心", today, 1, 1);
  auto got = Sum(c.Take(today));
  EXPECT_EQ(got[std::make_pair(yesterday, std::string("市采购中心"))], std::make_pair(5ul, 2ul));
  EXPECT_EQ(got[std::make_pair(today, std::string("市采购中心"))], std::make_pair(1ul, 1ul));
}

TEST(CheckCounters, ManyThreadsLoseNothing) {
  CheckCounters c;
  const Day today = D("2026-11-24");
  constexpr int kThreads = 12, kPerThread = 20000;
  const std::string departments[] = {"市采购中心", "市税务局", "市市场监督管理局"};
  std::vector<CheckCount> taken;
  std::atomic<bool> done{false};
  // A taker running meanwhile, as the writer does. One Take may see a check whose hit the
  // next one sees, but never a hit before its check: what has been taken (and committed)
  // never holds more hits than checks.
  std::thread taker([&] {
    std::map<std::string, std::pair<uint64_t, uint64_t>> so_far;
    while (!done.load()) {
      for (CheckCount& x : c.Take(today)) {
        auto& [checks, hits] = so_far[x.department];
        checks += x.checks;
        hits += x.hits;
        EXPECT_LE(hits, checks) << "a hit taken before its check";
        taken.push_back(std::move(x));
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) c.Add(departments[(t + i) % 3], today, 1, i % 2);
    });
  for (auto& t : threads) t.join();
  done = true;
  taker.join();
  for (CheckCount& x : c.Take(today)) taken.push_back(std::move(x));
  uint64_t checks = 0, hits = 0;
  for (const CheckCount& x : taken) {
    checks += x.checks;
    hits += x.hits;
    EXPECT_EQ(x.day, today);
  }
  EXPECT_EQ(checks, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(hits, uint64_t{kThreads} * kPerThread / 2);
}

TEST(CheckCounters, ATableFullOfDepartmentsDropsAndSaysSo) {
  CheckCounters c;
  const Day today = D("2026-11-24");
  for (size_t i = 0; i < CheckCounters::kMaxDepartments; ++i)
    c.Add("dept-" + std::to_string(i), today, 1, 0);
  EXPECT_EQ(c.dropped(), 0u);
  c.Add("one too many", today, 2, 0);
  EXPECT_EQ(c.dropped(), 2u);
  c.Add("dept-7", today, 1, 0);  // known ones still count
  EXPECT_EQ(Sum(c.Take(today)).size(), CheckCounters::kMaxDepartments);
}

// --- Supervision rows --------------------------------------------------------------------------

DepartmentChecks Checks(std::string d, uint64_t checks, uint64_t hits, uint64_t hwm, uint64_t hwf) {
  return DepartmentChecks{std::move(d), checks, hits, hwm, hwf};
}

TEST(SupervisionRows, EitherSideMakesARowAndTheUnansweredComeFirst) {
  std::vector<DepartmentChecks> checks = {Checks("市采购中心", 10, 4, 3, 1),
                                          Checks("市税务局", 5, 2, 2, 2),
                                          Checks("市住建局", 7, 0, 0, 0)};
  DepartmentEntries court{"市中级人民法院", {0, 12, 1}};
  DepartmentEntries tax{"市税务局", {30, 2, 0}};
  const auto rows = SupervisionRows(checks, {court, tax});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].checks.department, "市税务局");  // 2 without feedback
  EXPECT_EQ(rows[0].entries, (std::array<uint64_t, 3>{30, 2, 0}));
  EXPECT_EQ(rows[1].checks.department, "市采购中心");  // 1
  EXPECT_EQ(rows[1].entries, (std::array<uint64_t, 3>{0, 0, 0}));
  // Ties at 0: more hits with measures first, then by name.
  EXPECT_EQ(rows[2].checks.department, "市中级人民法院");
  EXPECT_EQ(rows[2].checks.checks, 0u);
  EXPECT_EQ(rows[3].checks.department, "市住建局");

  EXPECT_DOUBLE_EQ(*rows[1].feedback_rate(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*rows[0].feedback_rate(), 0.0);
  EXPECT_FALSE(rows[2].feedback_rate().has_value());  // no hit with measures: no rate
}

TEST(SupervisionRows, JsonHasTheContractsMembers) {
  const auto rows = SupervisionRows({Checks("市采购中心", 10, 4, 3, 1)},
                                    {DepartmentEntries{"市采购中心", {1, 2, 3}}});
  std::string out;
  WriteSupervisionJson(rows, SupervisionPeriod{D("2026-11-01"), kNoDay, D("2026-11-24")}, &out);
  EXPECT_EQ(out, R"({"from":"2026-11-01","to":null,"entries_on":"2026-11-24","departments":[)"
                 R"({"department":"市采购中心","checks":10,"hits":4,"hits_with_measures":3,)"
                 R"("hits_without_feedback":1,"feedback_rate":0.6667,)"
                 R"("entries":{"red":1,"black":2,"watch":3}}]})");
}

TEST(SupervisionRows, CsvStartsWithABomAndPutsTheUnansweredSecond) {
  const auto rows =
      SupervisionRows({Checks("市采购中心", 10, 4, 3, 1), Checks("a,\"b\"", 1, 0, 0, 0)}, {});
  std::string out;
  WriteSupervisionCsv(rows, &out);
  EXPECT_EQ(out,
            "\xEF\xBB\xBF"
            "department,hits_without_feedback,checks,hits,hits_with_measures,feedback_rate,"
            "entries_red,entries_black,entries_watch\r\n"
            "市采购中心,1,10,4,3,0.6667,0,0,0\r\n"
            "\"a,\"\"b\"\"\",0,1,0,0,,0,0,0\r\n");
}

TEST(SupervisionRows, EntriesInForceCountPerDecidingDepartmentWithTheLiveOverlay) {
  const Day today = D("2026-11-24");
  SnapshotBuilder b;
  Entry e1 = testing::TestEntry("B-1", ListKind::kBlack);
  e1.uscc = testing::UsccKey(testing::NthUscc(1));
  Entry e2 = testing::TestEntry("B-2", ListKind::kBlack);
  e2.uscc = testing::UsccKey(testing::NthUscc(2));
  Entry r1 = testing::TestEntry("R-1", ListKind::kRed);
  r1.uscc = testing::UsccKey(testing::NthUscc(3));
  r1.department = "市税务局";
  Entry old = testing::TestEntry("B-3", ListKind::kBlack);  // expired
  old.uscc = testing::UsccKey(testing::NthUscc(4));
  old.valid_until = D("2026-01-01");
  for (const Entry& e : {e1, e2, r1, old}) b.Add(e);
  auto snap = b.Build(today);

  auto by = [](const std::vector<DepartmentEntries>& v) {
    std::map<std::string, std::array<uint64_t, 3>> m;
    for (const auto& d : v) m[d.department] = d.lists;
    return m;
  };
  auto got = by(CountEntriesByDepartment(*snap, nullptr, today));
  EXPECT_EQ(got["营口市中级人民法院"], (std::array<uint64_t, 3>{0, 2, 0}));
  EXPECT_EQ(got["市税务局"], (std::array<uint64_t, 3>{1, 0, 0}));

  // B-2 exited through the life cycle (it supersedes the snapshot's), and a new watch entry.
  OverlayEditor edit(std::make_shared<LiveOverlay>());
  auto exited = std::make_shared<LiveEntry>();
  exited->entry = e2;
  exited->entry.state = State::kExited;
  exited->entry.exit_reason = ExitReason::kRepaired;
  exited->entry.exited_on = D("2026-11-01");
  exited->base_index = snap->FindEntry("B-2");
  ASSERT_GE(exited->base_index, 0);
  edit.Put(exited);
  auto watch = std::make_shared<LiveEntry>();
  watch->entry = testing::TestEntry("W-1", ListKind::kWatch);
  watch->entry.uscc = testing::UsccKey(testing::NthUscc(5));
  watch->entry.department = "市市场监督管理局";
  watch->entry.in_force_on = D("2026-11-01");
  edit.Put(watch);
  auto live = edit.Finish();
  got = by(CountEntriesByDepartment(*snap, live.get(), today));
  EXPECT_EQ(got["营口市中级人民法院"], (std::array<uint64_t, 3>{0, 1, 0}));
  EXPECT_EQ(got["市市场监督管理局"], (std::array<uint64_t, 3>{0, 0, 1}));
}

// --- The check log of the ledger store ---------------------------------------------------------

class CheckLogStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/credlist_supervision_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = OpenLedgerStore(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static CheckHit Hit(std::string id, std::string dept, Day day) {
    CheckHit h;
    h.check_id = std::move(id);
    h.at_ms = 1;
    h.day = day;
    h.department = std::move(dept);
    h.token_id = "t1";
    h.route = "subjects";
    h.scenario = "procurement";
    h.subject = "91210802MA0Q1A2B6M";
    h.status = "black";
    h.measures = {"P06-01", "P06-02"};
    return h;
  }
  FeedbackRequest Feedback(std::string check, std::string measure, FeedbackAction a,
                           std::string dept, std::string note = "") {
    FeedbackRequest r;
    r.feedback.check_id = std::move(check);
    r.feedback.measure_id = std::move(measure);
    r.feedback.action = a;
    r.feedback.note = std::move(note);
    r.feedback.at_ms = ++now_;
    r.feedback.token_id = "t1";
    r.department = std::move(dept);
    return r;
  }
  Status Commit(CheckLogBatch& batch) { return store_->Commit(LedgerChange{}, {}, &batch); }
  Status Record(FeedbackRequest& r) {
    CheckLogBatch batch;
    batch.feedback.push_back(&r);
    return Commit(batch);
  }
  std::map<std::string, DepartmentChecks> Read(Day from, Day to) {
    auto got = store_->ReadDepartmentChecks(from, to);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::map<std::string, DepartmentChecks> m;
    if (got.ok())
      for (auto& d : *got) m[d.department] = d;
    return m;
  }

  std::string dir_;
  std::unique_ptr<LedgerStore> store_;
  int64_t now_ = 1000;
};

TEST_F(CheckLogStore, FeedbackIsMatchedAgainstTheHitAndItsMeasures) {
  const Day day = D("2026-11-24");
  CheckLogBatch batch;
  batch.hits.push_back(Hit("c1", "市采购中心", day));
  // Feedback in the same batch as its hit: the hit is written first.
  FeedbackRequest first = Feedback("c1", "P06-01", FeedbackAction::kApplied, "市采购中心");
  batch.feedback.push_back(&first);
  ASSERT_TRUE(Commit(batch).ok());
  ASSERT_TRUE(first.outcome.ok()) << first.outcome.ToString();
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.stored.department, "市采购中心");

  // The same again: nothing changes, the first recording stands.
  FeedbackRequest again = Feedback("c1", "P06-01", FeedbackAction::kApplied, "市采购中心");
  ASSERT_TRUE(Record(again).ok());
  EXPECT_TRUE(again.outcome.ok());
  EXPECT_FALSE(again.created);
  EXPECT_FALSE(again.replaced);
  EXPECT_EQ(again.stored.at_ms, first.stored.at_ms);

  FeedbackRequest unknown = Feedback("c9", "P06-01", FeedbackAction::kApplied, "市采购中心");
  ASSERT_TRUE(Record(unknown).ok());
  EXPECT_EQ(unknown.outcome.code(), StatusCode::kNotFound);
  FeedbackRequest unlisted = Feedback("c1", "P07-01", FeedbackAction::kApplied, "市采购中心");
  ASSERT_TRUE(Record(unlisted).ok());
  EXPECT_EQ(unlisted.outcome.code(), StatusCode::kNotFound);
  FeedbackRequest other = Feedback("c1", "P06-02", FeedbackAction::kApplied, "市税务局");
  ASSERT_TRUE(Record(other).ok());
  EXPECT_EQ(other.outcome.code(), StatusCode::kPermissionDenied);
  FeedbackRequest admin = Feedback("c1", "P06-02", FeedbackAction::kNotApplicable, "");
  admin.any_department = true;
  ASSERT_TRUE(Record(admin).ok());
  EXPECT_TRUE(admin.outcome.ok());
  EXPECT_TRUE(admin.created);

  // Another action replaces the answer.
  FeedbackRequest change =
      Feedback("c1", "P06-01", FeedbackAction::kOther, "市采购中心", "deferred to the panel");
  ASSERT_TRUE(Record(change).ok());
  EXPECT_TRUE(change.replaced);
  EXPECT_EQ(change.stored.action, FeedbackAction::kOther);
  EXPECT_EQ(change.stored.note, "deferred to the panel");
}

TEST_F(CheckLogStore, DepartmentChecksAddCountsHitsAndMissingFeedback) {
  const Day d1 = D("2026-11-23"), d2 = D("2026-11-24");
  CheckLogBatch batch;
  batch.counts = {CheckCount{d1, "市采购中心", 10, 2}, CheckCount{d2, "市采购中心", 5, 1},
                  CheckCount{d2, "市税务局", 3, 0}};
  batch.hits = {Hit("a", "市采购中心", d1), Hit("b", "市采购中心", d2), Hit("c", "市采购中心", d2)};
  ASSERT_TRUE(Commit(batch).ok());
  // b answered in full, c in part, a not at all.
  FeedbackRequest f1 = Feedback("b", "P06-01", FeedbackAction::kApplied, "市采购中心");
  FeedbackRequest f2 = Feedback("b", "P06-02", FeedbackAction::kNotApplicable, "市采购中心");
  FeedbackRequest f3 = Feedback("c", "P06-01", FeedbackAction::kApplied, "市采购中心");
  CheckLogBatch fb;
  fb.feedback = {&f1, &f2, &f3};
  // Counts add up across commits.
  fb.counts = {CheckCount{d2, "市采购中心", 1, 0}};
  ASSERT_TRUE(Commit(fb).ok());

  auto all = Read(kNoDay, kNoDay);
  ASSERT_EQ(all.size(), 2u);
  const DepartmentChecks& p = all["市采购中心"];
  EXPECT_EQ(p.checks, 16u + 3u);  // the counted ones and the three hits with measures
  EXPECT_EQ(p.hits, 3u + 3u);
  EXPECT_EQ(p.hits_with_measures, 3u);
  EXPECT_EQ(p.hits_without_feedback, 2u);
  EXPECT_EQ(all["市税务局"].checks, 3u);

  auto one_day = Read(d2, d2);
  EXPECT_EQ(one_day["市采购中心"].checks, 6u + 2u);
  EXPECT_EQ(one_day["市采购中心"].hits_with_measures, 2u);
  EXPECT_EQ(one_day["市采购中心"].hits_without_feedback, 1u);
  EXPECT_TRUE(Read(D("2026-12-01"), kNoDay).empty());
}

}  // namespace
}  // namespace credlist
