// The life-cycle scenarios of tests/cases/lifecycle.txt, one test per scenario: each line a
// command and the answer it must get, or the state an entry or a subject must be in.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/lifecycle.h"
#include "tests/engine_test_util.h"

namespace credlist {
namespace {

using testing::D;
using testing::IdKey;
using testing::NthIdNumber;
using testing::NthUscc;
using testing::UsccKey;

constexpr char kCourt[] = "营口市中级人民法院";
constexpr char kTax[] = "营口市税务局";

struct Scenario {
  std::string name;
  std::vector<std::pair<int, std::string>> lines;  // line number, text
};

// gtest names a failing scenario by its title.
void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

std::vector<Scenario> ReadScenarios() {
  std::ifstream in(std::string(CREDLIST_SOURCE_DIR) + "/tests/cases/lifecycle.txt");
  EXPECT_TRUE(in.good()) << "tests/cases/lifecycle.txt";
  std::vector<Scenario> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("== ", 0) == 0) {
      out.push_back({line.substr(3), {}});
    } else if (!out.empty()) {
      out.back().lines.emplace_back(n, line);
    }
  }
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

// k=v words after the first `skip` ones.
std::map<std::string, std::string> Options(const std::vector<std::string>& w, size_t skip) {
  std::map<std::string, std::string> kv;
  for (size_t i = skip; i < w.size(); ++i) {
    const size_t eq = w[i].find('=');
    if (eq != std::string::npos) kv[w[i].substr(0, eq)] = w[i].substr(eq + 1);
  }
  return kv;
}

Key Subject(const std::string& s) {
  const int n = s[1] - '0';
  return s[0] == 'c' ? UsccKey(NthUscc(n)) : IdKey(NthIdNumber(n));
}

Entry NewEntry(const std::string& id, const std::string& list, const std::string& subject) {
  Entry e;
  e.entry_id = id;
  e.list = *ParseListKind(list);
  e.category = "失信被执行人";
  e.department = kCourt;
  e.decided_on = e.valid_from = D("2025-03-01");
  if (subject[0] == 'c') {
    e.name = "营口某某贸易有限公司";
    e.uscc = Subject(subject);
  } else {
    e.subject_type = SubjectType::kNaturalPerson;
    e.name = "张三丰";
    e.id_number = Subject(subject);
  }
  return e;
}

Actor ActorNamed(const std::string& name) {
  if (name == "court") return Actor{"tok-court", "department", kCourt};
  if (name == "tax") return Actor{"tok-tax", "department", kTax};
  if (name == "admin") return Actor{"tok-admin", "admin", ""};
  return Actor{"", "anyone", ""};
}

std::string Outcome(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "400 " + s.field();
    case StatusCode::kPermissionDenied:
      return "403";
    case StatusCode::kNotFound:
      return "404";
    case StatusCode::kConflict:
      return "409";
    default:
      return "other: " + s.ToString();
  }
}

class Runner {
 public:
  void Run(const Scenario& sc) {
    SnapshotBuilder builder;
    size_t i = 0;
    for (; i < sc.lines.size() && sc.lines[i].second.rfind("load ", 0) == 0; ++i) {
      const auto w = Words(sc.lines[i].second);
      Entry e = NewEntry(w[1], w[2], w[3]);
      if (Options(w, 4)["dept"] == "tax") e.department = kTax;
      e.state = State::kInForce;
      builder.Add(e);
    }
    base_ = builder.Build(D("2026-01-01"));
    ledger_ = std::make_unique<Ledger>(base_, LedgerOptions{});
    for (; i < sc.lines.size(); ++i) {
      SCOPED_TRACE("tests/cases/lifecycle.txt:" + std::to_string(sc.lines[i].first) + ": " +
                   sc.lines[i].second);
      Line(sc.lines[i].second);
    }
  }

 private:
  void Line(const std::string& text) {
    const auto w = Words(text);
    if (w[0] == "on") {
      clock_ = Clock{D(w[1]), clock_.now_ms + 1000};
    } else if (w[0] == "state") {
      LivePtr e = ledger_->FindEntry(w[1]);
      ASSERT_NE(e, nullptr) << "no entry " << w[1];
      EXPECT_EQ(StateName(EffectiveState(*e, clock_.today)), w[2]);
      for (const auto& [k, v] : Options(w, 3)) {
        std::string got;
        if (k == "exit_reason") got = ExitReasonName(e->entry.exit_reason);
        if (k == "in_force_on") got = FormatDate(e->entry.in_force_on);
        if (k == "exited_on") got = FormatDate(e->entry.exited_on);
        if (k == "until") got = FormatDate(e->publicity_until);
        EXPECT_EQ(got, v) << k;
      }
    } else if (w[0] == "status") {
      ledger_->TakeChange();
      LookupKey key;
      key.keys[0] = Subject(w[1]);
      key.count = 1;
      CheckResult r;
      Check(*base_, ledger_->overlay().get(), key, D(w[2]), &r);
      EXPECT_EQ(ListStatusName(r.status), w[3]);
    } else {
      const size_t arrow = text.find(" -> ");
      ASSERT_NE(arrow, std::string::npos) << "no '-> RESULT'";
      EXPECT_EQ(Command(Words(text.substr(0, arrow))), text.substr(arrow + 4));
    }
  }

  std::string Command(const std::vector<std::string>& w) {
    const Actor who = ActorNamed(w[0]);
    const std::string& cmd = w[1];
    const std::string& id = w[2];
    auto kv = Options(w, 3);
    auto day = [&](const char* k) -> std::optional<Day> {
      if (!kv.count(k)) return std::nullopt;
      return D(kv[k]);
    };
    if (cmd == "submit") {
      Submission s{NewEntry(id, w[3], w[4]), Severity::kNone};
      if (kv.count("severity")) s.severity = *ParseSeverity(kv["severity"]);
      if (kv.count("decided")) s.entry.decided_on = s.entry.valid_from = D(kv["decided"]);
      if (kv.count("valid_until")) s.entry.valid_until = D(kv["valid_until"]);
      std::vector<Submission> v;
      v.push_back(std::move(s));
      return Outcome(ledger_->Submit(std::move(v), who, clock_).status());
    }
    if (cmd == "notify")
      return Outcome(
          ledger_->Notify(id, day("on").value_or(clock_.today), "书面告知", who, clock_).status());
    if (cmd == "publicize")
      return Outcome(ledger_->Publicize(id, day("from"), day("until"), who, clock_).status());
    if (cmd == "confirm") return Outcome(ledger_->Confirm(id, who, clock_).status());
    if (cmd == "exit")
      return Outcome(
          ledger_->Exit(id, *ParseExitReason(kv["reason"]), "", day("on"), who, clock_).status());
    if (cmd == "object") {
      Objection o;
      o.reason = "异议";
      auto r = ledger_->Object(id, o, who, clock_);
      if (r.ok()) objection_ = r->objection_id;
      return Outcome(r.status());
    }
    if (cmd == "uphold" || cmd == "dismiss")
      return Outcome(
          ledger_->DecideObjection(objection_, cmd == "uphold", "", "", who, clock_).status());
    if (cmd == "repair") {
      RepairApplication a;
      a.reason = "已整改";
      auto r = ledger_->ApplyRepair(id, a, who, clock_);
      if (r.ok()) repair_ = r->repair_id;
      return Outcome(r.status());
    }
    if (cmd == "approve" || cmd == "refuse")
      return Outcome(ledger_->DecideRepair(repair_, cmd == "approve", "", who, clock_).status());
    if (cmd == "settle") {
      ledger_->Settle(clock_);
      return "ok";
    }
    return "unknown command " + cmd;
  }

  std::shared_ptr<const Snapshot> base_;
  std::unique_ptr<Ledger> ledger_;
  Clock clock_{D("2026-11-02"), 1'790'000'000'000};
  std::string objection_, repair_;
};

class LifecycleCase : public ::testing::TestWithParam<Scenario> {};

TEST_P(LifecycleCase, Runs) { Runner().Run(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Scenarios, LifecycleCase, ::testing::ValuesIn(ReadScenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return "s" + std::to_string(info.index + 1);
                         });

TEST(LifecycleCases, TheTableHasScenarios) { EXPECT_GE(ReadScenarios().size(), 10u); }

}  // namespace
}  // namespace credlist
