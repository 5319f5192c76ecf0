// The life cycle (engine/lifecycle.h): every transition, every refused one, the cross-check
// consequences, backdated dates, and what readers see through the overlay (engine/live.h).
#include "engine/lifecycle.h"

#include <gtest/gtest.h>

#include "engine/calendar.h"
#include "engine/check.h"
#include "tests/case_table.h"
#include "tests/engine_test_util.h"

namespace credlist {
namespace {

using testing::CaseRow;
using testing::D;
using testing::IdKey;
using testing::NthIdNumber;
using testing::NthUscc;
using testing::ReadCases;
using testing::TestEntry;
using testing::UsccKey;

const Actor kCourt{"tok-court", "department", "营口市中级人民法院"};
const Actor kTax{"tok-tax", "department", "营口市税务局"};
const Actor kAdmin{"tok-admin", "admin", ""};
const Actor kAnyone{"", "anyone", ""};

Clock At(std::string_view day) { return Clock{D(day), 1'790'000'000'000}; }

class LifecycleTest : public ::testing::Test {
 protected:
  // A snapshot with one loaded red entry of company 1 (tax), and the ledger over it.
  void SetUp() override {
    SnapshotBuilder b;
    Entry red = TestEntry("LOADED-RED", ListKind::kRed);
    red.uscc = UsccKey(NthUscc(1));
    red.department = "营口市税务局";
    b.Add(red);
    base_ = b.Build(D("2026-11-02"));
    ledger_ = std::make_unique<Ledger>(base_, LedgerOptions{});
  }

  Submission Black(std::string id, int company) {
    Entry e = TestEntry(std::move(id), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(company));
    e.state = State::kSubmitted;
    return Submission{e, Severity::kNone};
  }
  Submission Person(std::string id, ListKind list, int person) {
    Entry e = TestEntry(std::move(id), list);
    e.subject_type = SubjectType::kNaturalPerson;
    e.name = "张三丰";
    e.id_number = IdKey(NthIdNumber(person));
    return Submission{e, Severity::kNone};
  }

  LivePtr Submit(Submission s, const Actor& who = kCourt, const Clock& clock = At("2026-11-02")) {
    std::vector<Submission> v;
    v.push_back(std::move(s));
    auto r = ledger_->Submit(std::move(v), who, clock);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->front() : nullptr;
  }
  State StateOf(std::string_view id) { return ledger_->FindEntry(id)->entry.state; }
  // The check readers make through the overlay the ledger publishes.
  ListStatus StatusOn(const Key& key, std::string_view day) {
    ledger_->TakeChange();
    LookupKey k;
    k.keys[0] = key;
    k.count = 1;
    CheckResult r;
    Check(*base_, ledger_->overlay().get(), k, D(day), &r);
    return r.status;
  }

  std::shared_ptr<const Snapshot> base_;
  std::unique_ptr<Ledger> ledger_;
};

TEST(WorkCalendar, SevenWorkingDaysSkipWeekendsAndHolidays) {
  WorkCalendar weekends;
  // API.md's example: from Tuesday 2026-11-24, the 7th working day is Wednesday 2026-12-02.
  EXPECT_EQ(weekends.AddWorkingDays(D("2026-11-24"), 7), D("2026-12-02"));
  // From a Saturday: the window starts on Monday.
  EXPECT_EQ(weekends.AddWorkingDays(D("2026-11-28"), 1), D("2026-11-30"));
  auto cal = WorkCalendar::Parse(
      "2026-10-01 holiday\n2026-10-02 holiday # 国庆\n"
      "2026-10-10 workday\n",
      "test");
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  EXPECT_FALSE(cal->IsWorkingDay(D("2026-10-01")));
  EXPECT_TRUE(cal->IsWorkingDay(D("2026-10-10")));  // a Saturday worked (调休)
  // 2026-09-30 (Wed), then 10-05 (Mon) ... : the holidays add days.
  EXPECT_EQ(cal->AddWorkingDays(D("2026-09-30"), 2), D("2026-10-05"));
}

TEST(WorkCalendar, BadLinesNameTheLine) {
  auto r = WorkCalendar::Parse("2026-10-01 holiday\n2026-13-01 holiday\n", "h.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().reason().find("h.txt line 2"), std::string::npos);
  r = WorkCalendar::Parse("2026-10-01 feast\n", "h.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "kind");
}

TEST_F(LifecycleTest, SubmitPublicizeAndConfirmByItself) {
  const Key company = UsccKey(NthUscc(2));
  LivePtr e = Submit(Black("B1", 2));
  EXPECT_EQ(e->entry.state, State::kSubmitted);
  EXPECT_EQ(StatusOn(company, "2026-11-02"), ListStatus::kClear);
  // Default window: 7 working days from today (Monday 2026-11-02 → Tuesday 2026-11-10).
  auto p = ledger_->Publicize("B1", std::nullopt, std::nullopt, kCourt, At("2026-11-02"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->publicity_until, D("2026-11-10"));
  EXPECT_EQ(StatusOn(company, "2026-11-10"), ListStatus::kClear);
  // Readers see it in force the day after the window, before the writer records it.
  EXPECT_EQ(StatusOn(company, "2026-11-11"), ListStatus::kBlack);
  // Confirming inside the window is refused, saying when it becomes possible.
  auto early = ledger_->Confirm("B1", kCourt, At("2026-11-05"));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kConflict);
  EXPECT_NE(early.status().reason().find("2026-11-11"), std::string::npos);
  // Settle records the confirmation, dated the day after the window.
  ledger_->Settle(At("2026-11-20"));
  LivePtr now = ledger_->FindEntry("B1");
  EXPECT_EQ(now->entry.state, State::kInForce);
  EXPECT_EQ(now->entry.in_force_on, D("2026-11-11"));
  EXPECT_EQ(now->history.back().event, "confirmed");
  EXPECT_EQ(now->history.back().actor, "system");
  // An explicit confirm afterwards is answered with the entry, not refused.
  EXPECT_TRUE(ledger_->Confirm("B1", kCourt, At("2026-11-20")).ok());
}

TEST_F(LifecycleTest, ExplicitConfirmAfterTheWindow) {
  Submit(Black("B1", 2));
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-11-02"), D("2026-11-04"), kCourt, At("2026-11-02")).ok());
  auto c = ledger_->Confirm("B1", kCourt, At("2026-11-05"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->entry.state, State::kInForce);
  EXPECT_EQ((*c)->entry.in_force_on, D("2026-11-05"));
  EXPECT_FALSE((*c)->confirmed_by_system);
  // Confirming twice: not allowed from in_force.
  EXPECT_EQ(ledger_->Confirm("B1", kCourt, At("2026-11-06")).status().code(),
            StatusCode::kConflict);
}

TEST_F(LifecycleTest, PastWindowIsInForceFromTheDayAfterAndExitsRedThen) {
  // The loaded red entry of company 1; a black entry whose publicity ended last month.
  Submit(Black("B1", 1));
  auto p = ledger_->Publicize("B1", D("2026-10-13"), D("2026-10-21"), kCourt, At("2026-11-02"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->entry.state, State::kInForce);
  EXPECT_EQ((*p)->entry.in_force_on, D("2026-10-22"));
  LivePtr red = ledger_->FindEntry("LOADED-RED");
  EXPECT_EQ(red->entry.state, State::kExited);
  EXPECT_EQ(red->entry.exit_reason, ExitReason::kListedBlackOrWatch);
  EXPECT_EQ(red->entry.exited_on, D("2026-10-22"));
  const Key company = UsccKey(NthUscc(1));
  EXPECT_EQ(StatusOn(company, "2026-10-21"), ListStatus::kRed);  // as the lists stood then
  EXPECT_EQ(StatusOn(company, "2026-10-22"), ListStatus::kBlack);
  // The red entry's exit was announced.
  const auto change = ledger_->TakeChange();
  (void)change;
  ASSERT_EQ(ledger_->overlay()->announcements(), 1u);
  EXPECT_EQ(ledger_->overlay()->announcement(0).entry->entry.entry_id, "LOADED-RED");
}

TEST_F(LifecycleTest, RedCandidateOfABlackSubjectIsRejected) {
  Submit(Black("B1", 3));
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-09"), kCourt, At("2026-11-02")).ok());
  Entry red = TestEntry("R1", ListKind::kRed);
  red.uscc = UsccKey(NthUscc(3));
  red.department = "营口市税务局";
  LivePtr r = Submit(Submission{red, Severity::kNone}, kTax);
  EXPECT_EQ(r->entry.state, State::kRejected);
  EXPECT_NE(r->reject_reason.find("B1"), std::string::npos);
  // Rejected: nothing more happens to it.
  EXPECT_EQ(
      ledger_->Publicize("R1", std::nullopt, std::nullopt, kTax, At("2026-11-02")).status().code(),
      StatusCode::kConflict);
}

TEST_F(LifecycleTest, WatchEscalatesToBlack) {
  Submission watch = Black("W1", 4);
  watch.entry.list = ListKind::kWatch;
  Submit(watch);
  ASSERT_TRUE(
      ledger_->Publicize("W1", D("2026-09-01"), D("2026-09-09"), kCourt, At("2026-11-02")).ok());
  EXPECT_EQ(StateOf("W1"), State::kInForce);
  Submit(Black("B1", 4));
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  LivePtr w = ledger_->FindEntry("W1");
  EXPECT_EQ(w->entry.state, State::kExited);
  EXPECT_EQ(w->entry.exit_reason, ExitReason::kEscalatedToBlack);
  EXPECT_EQ(w->entry.exited_on, D("2026-10-13"));
}

TEST_F(LifecycleTest, NaturalPersonBlackNeedsPriorNotice) {
  Submit(Person("P1", ListKind::kBlack, 7));
  auto p = ledger_->Publicize("P1", std::nullopt, std::nullopt, kCourt, At("2026-11-02"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kConflict);
  EXPECT_NE(p.status().reason().find("事前告知"), std::string::npos);
  ASSERT_TRUE(ledger_->Notify("P1", D("2026-10-30"), "书面告知", kCourt, At("2026-11-02")).ok());
  p = ledger_->Publicize("P1", std::nullopt, std::nullopt, kCourt, At("2026-11-02"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->notified_on, D("2026-10-30"));
  // A red entry of a person needs none.
  Submit(Person("P2", ListKind::kRed, 8));
  EXPECT_TRUE(ledger_->Publicize("P2", std::nullopt, std::nullopt, kCourt, At("2026-11-02")).ok());
}

TEST_F(LifecycleTest, ObjectionInPublicityUpheldCancels) {
  Submit(Black("B1", 5));
  ASSERT_TRUE(ledger_->Publicize("B1", std::nullopt, std::nullopt, kCourt, At("2026-11-02")).ok());
  Objection o;
  o.objector = "营口某某贸易有限公司";
  o.reason = "已履行";
  o.materials = {"付款凭证.pdf"};
  auto filed = ledger_->Object("B1", o, kAnyone, At("2026-11-03"));
  ASSERT_TRUE(filed.ok()) << filed.status().ToString();
  EXPECT_EQ(StateOf("B1"), State::kUnderReview);
  // Under review in publicity: not listed, and not confirmed by itself after the window.
  ledger_->Settle(At("2026-11-20"));
  EXPECT_EQ(StateOf("B1"), State::kUnderReview);
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(5)), "2026-11-20"), ListStatus::kClear);
  EXPECT_EQ(ledger_->Confirm("B1", kCourt, At("2026-11-20")).status().code(),
            StatusCode::kConflict);
  // Another department may not decide it.
  auto wrong = ledger_->DecideObjection(filed->objection_id, true, "", "", kTax, At("2026-11-20"));
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  auto d = ledger_->DecideObjection(filed->objection_id, true, "异议成立", "致歉并澄清", kCourt,
                                    At("2026-11-21"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "upheld");
  LivePtr e = ledger_->FindEntry("B1");
  EXPECT_EQ(e->entry.state, State::kCancelled);
  ASSERT_EQ(e->corrections.size(), 1u);
  EXPECT_EQ(e->corrections[0].text, "致歉并澄清");
  // Deciding twice is refused.
  EXPECT_EQ(ledger_->DecideObjection(filed->objection_id, false, "", "", kCourt, At("2026-11-21"))
                .status()
                .code(),
            StatusCode::kConflict);
}

TEST_F(LifecycleTest, ObjectionDismissedReturnsWhereItWas) {
  Submit(Black("B1", 6));
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  ASSERT_EQ(StateOf("B1"), State::kInForce);
  auto filed = ledger_->Object("B1", Objection{}, kAnyone, At("2026-11-03"));
  ASSERT_TRUE(filed.ok());
  EXPECT_EQ(StateOf("B1"), State::kUnderReview);
  // Under review after it came into force: still listed.
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(6)), "2026-11-04"), ListStatus::kBlack);
  ASSERT_TRUE(
      ledger_->DecideObjection(filed->objection_id, false, "驳回", "", kCourt, At("2026-11-05"))
          .ok());
  EXPECT_EQ(StateOf("B1"), State::kInForce);
  // Upheld on an entry in force: it exits, dated the decision.
  filed = ledger_->Object("B1", Objection{}, kAnyone, At("2026-11-06"));
  ASSERT_TRUE(
      ledger_->DecideObjection(filed->objection_id, true, "", "", kAdmin, At("2026-11-07")).ok());
  LivePtr e = ledger_->FindEntry("B1");
  EXPECT_EQ(e->entry.state, State::kExited);
  EXPECT_EQ(e->entry.exit_reason, ExitReason::kObjectionUpheld);
  EXPECT_EQ(e->entry.exited_on, D("2026-11-07"));
}

TEST_F(LifecycleTest, RepairAfterTheMinimumExitsRepaired) {
  Submission b = Black("B1", 9);
  b.entry.decided_on = D("2026-09-01");
  b.entry.valid_from = D("2026-09-01");
  b.severity = Severity::kGeneral;  // at least 3 months, at most 1 year
  LivePtr e = Submit(b);
  EXPECT_EQ(e->entry.valid_until, D("2027-09-01"));  // publication stops by itself
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-09-01"), D("2026-09-09"), kCourt, At("2026-11-02")).ok());
  RepairApplication a;
  a.applicant = "营口某某贸易有限公司";
  a.reason = "已整改";
  auto early = ledger_->ApplyRepair("B1", a, kAnyone, At("2026-11-02"));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kConflict);
  EXPECT_NE(early.status().reason().find("2026-12-01"), std::string::npos);
  auto filed = ledger_->ApplyRepair("B1", a, kAnyone, At("2026-12-01"));
  ASSERT_TRUE(filed.ok()) << filed.status().ToString();
  // One open application at a time.
  EXPECT_EQ(ledger_->ApplyRepair("B1", a, kAnyone, At("2026-12-01")).status().code(),
            StatusCode::kConflict);
  auto d = ledger_->DecideRepair(filed->repair_id, true, "准予修复", kCourt, At("2026-12-03"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  LivePtr now = ledger_->FindEntry("B1");
  EXPECT_EQ(now->entry.state, State::kExited);
  EXPECT_EQ(now->entry.exit_reason, ExitReason::kRepaired);
  // As of last week it is still black; as of the repair day it is not.
  const Key company = UsccKey(NthUscc(9));
  EXPECT_EQ(StatusOn(company, "2026-11-26"), ListStatus::kBlack);
  EXPECT_EQ(StatusOn(company, "2026-12-03"), ListStatus::kClear);
}

TEST_F(LifecycleTest, ExitRulesAndDepartments) {
  Submit(Black("B1", 10));
  // Not in force yet.
  EXPECT_EQ(
      ledger_->Exit("B1", ExitReason::kStandardChanged, "", std::nullopt, kCourt, At("2026-11-02"))
          .status()
          .code(),
      StatusCode::kConflict);
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  // Another department: 403; before it came into force: 400 naming `on`.
  EXPECT_EQ(
      ledger_->Exit("B1", ExitReason::kStandardChanged, "", std::nullopt, kTax, At("2026-11-02"))
          .status()
          .code(),
      StatusCode::kPermissionDenied);
  auto bad = ledger_->Exit("B1", ExitReason::kStandardChanged, "", D("2026-10-01"), kCourt,
                           At("2026-11-02"));
  EXPECT_EQ(bad.status().field(), "on");
  auto ok = ledger_->Exit("B1", ExitReason::kStandardChanged, "标准调整", std::nullopt, kCourt,
                          At("2026-11-02"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->entry.exited_on, D("2026-11-02"));
  // Unknown entries and submissions of another department's entries.
  EXPECT_EQ(ledger_->Confirm("NOPE", kCourt, At("2026-11-02")).status().code(),
            StatusCode::kNotFound);
  std::vector<Submission> v;
  v.push_back(Black("B2", 11));
  EXPECT_EQ(ledger_->Submit(std::move(v), kTax, At("2026-11-02")).status().code(),
            StatusCode::kPermissionDenied);
  // A known entry_id cannot be submitted again, and a refused batch changes nothing.
  v.clear();
  v.push_back(Black("B3", 12));
  v.push_back(Black("B1", 12));
  EXPECT_EQ(ledger_->Submit(std::move(v), kCourt, At("2026-11-02")).status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(ledger_->FindEntry("B3"), nullptr);
}

TEST_F(LifecycleTest, ExpiryIsRecordedAndAnnounced) {
  Submission b = Black("B1", 13);
  b.entry.valid_until = D("2026-11-15");
  Submit(b);
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  ledger_->TakeChange();
  ledger_->Settle(At("2026-11-16"));
  const LedgerChange change = ledger_->TakeChange();
  LivePtr e = ledger_->FindEntry("B1");
  EXPECT_EQ(e->entry.state, State::kExited);
  EXPECT_EQ(e->entry.exit_reason, ExitReason::kExpired);
  EXPECT_EQ(e->entry.exited_on, D("2026-11-15"));
  ASSERT_EQ(change.announcements.size(), 1u);
  EXPECT_EQ(change.announcements[0].exited_on, D("2026-11-15"));
}

TEST_F(LifecycleTest, ReadersSeeOnlyPublishedVersions) {
  Submit(Black("B1", 14));
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  ledger_->TakeChange();
  const auto before = ledger_->overlay();
  ASSERT_TRUE(
      ledger_->Exit("B1", ExitReason::kImproperUse, "", std::nullopt, kCourt, At("2026-11-02"))
          .ok());
  // The version a reader holds does not change under it.
  EXPECT_EQ(before->FindEntry("B1")->entry.state, State::kInForce);
  ledger_->TakeChange();
  EXPECT_EQ(ledger_->overlay()->FindEntry("B1")->entry.state, State::kExited);
  EXPECT_EQ(before->FindEntry("B1")->entry.state, State::kInForce);
}

// ---- LiveCounts and EffectiveState against the hand-worked table ----

Day DayCell(const std::string& cell) { return cell == "-" ? kNoDay : D(cell); }

// The entry a row of tests/cases/live_counts.tsv describes.
LiveEntry LiveEntryOf(const CaseRow& row) {
  LiveEntry e;
  e.entry = TestEntry("B-TABLE", ListKind::kBlack);
  const std::optional<State> state = ParseState(row[0]);
  EXPECT_TRUE(state.has_value()) << row.Where();
  e.entry.state = state.value_or(State::kSubmitted);
  e.publicity_until = DayCell(row[1]);
  if (e.publicity_until != kNoDay) e.publicity_from = e.publicity_until - 8;
  e.open_objections = static_cast<uint32_t>(std::stoul(row[2]));
  const std::optional<State> review_from = ParseState(row[3]);
  EXPECT_TRUE(review_from.has_value()) << row.Where();
  e.review_from = review_from.value_or(State::kSubmitted);
  e.entry.in_force_on = DayCell(row[4]);
  e.entry.exited_on = DayCell(row[5]);
  e.entry.valid_from = DayCell(row[6]);
  e.entry.valid_until = row[7] == "-" ? kForever : D(row[7]);
  return e;
}

TEST(LiveTable, LiveCountsAroundTheLastDayOfValidity) {
  int rows = 0;
  for (const CaseRow& row : ReadCases("live_counts.tsv")) {
    ASSERT_GE(row.cells.size(), 11u) << row.Where();
    const LiveEntry e = LiveEntryOf(row);
    EXPECT_EQ(LiveCounts(e, D(row[8])), row[9] == "yes") << row.Where();
    ++rows;
  }
  EXPECT_GE(rows, 25);
}

TEST(LiveTable, EffectiveStateAroundTheLastDayOfValidity) {
  for (const CaseRow& row : ReadCases("live_counts.tsv")) {
    ASSERT_GE(row.cells.size(), 11u) << row.Where();
    const LiveEntry e = LiveEntryOf(row);
    EXPECT_EQ(StateName(EffectiveState(e, D(row[8]))), row[10]) << row.Where();
  }
}

// The writer records an expiry on valid_until itself (the first day the entry no longer
// counts), not the day before and not a day late, whenever it settles.
TEST_F(LifecycleTest, ExpiryIsRecordedOnTheDayValidityEnds) {
  Submission b = Black("B1", 15);
  b.entry.valid_until = D("2026-11-15");  // last day in force: 2026-11-14
  Submit(b);
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  ledger_->TakeChange();

  ledger_->Settle(At("2026-11-14"));  // the day before
  LedgerChange change = ledger_->TakeChange();
  EXPECT_EQ(StateOf("B1"), State::kInForce);
  EXPECT_TRUE(change.announcements.empty());
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(15)), "2026-11-14"), ListStatus::kBlack);
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(15)), "2026-11-15"), ListStatus::kClear);

  ledger_->Settle(At("2026-11-15"));  // the day of
  change = ledger_->TakeChange();
  LivePtr e = ledger_->FindEntry("B1");
  EXPECT_EQ(e->entry.state, State::kExited);
  EXPECT_EQ(e->entry.exit_reason, ExitReason::kExpired);
  EXPECT_EQ(e->entry.exited_on, D("2026-11-15"));
  ASSERT_EQ(change.announcements.size(), 1u);
  EXPECT_EQ(change.announcements[0].exited_on, D("2026-11-15"));
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(15)), "2026-11-14"), ListStatus::kBlack);
  EXPECT_EQ(StatusOn(UsccKey(NthUscc(15)), "2026-11-15"), ListStatus::kClear);

  ledger_->Settle(At("2026-11-16"));  // the day after: nothing more
  EXPECT_TRUE(ledger_->TakeChange().empty());
}

TEST_F(LifecycleTest, ExpirySettledLateIsDatedTheDayValidityEnded) {
  Submission b = Black("B1", 16);
  b.entry.valid_until = D("2026-11-15");
  Submit(b);
  ASSERT_TRUE(
      ledger_->Publicize("B1", D("2026-10-01"), D("2026-10-12"), kCourt, At("2026-11-02")).ok());
  ledger_->TakeChange();
  ledger_->Settle(At("2026-11-20"));
  const LedgerChange change = ledger_->TakeChange();
  EXPECT_EQ(ledger_->FindEntry("B1")->entry.exited_on, D("2026-11-15"));
  ASSERT_EQ(change.announcements.size(), 1u);
  EXPECT_EQ(change.announcements[0].exited_on, D("2026-11-15"));
}

}  // namespace
}  // namespace credlist
