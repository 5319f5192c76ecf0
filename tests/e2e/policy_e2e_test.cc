// End-to-end: the policy catalogue over HTTP (DESIGN.md §5) and the measures a check lists, on
// the real binary with the policy files it finds by default (the source tree's data/).
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

// Subjects of tests/e2e/entries.ndjson.
constexpr char kBlackUscc[] = "91210802MA0Q1A2B6M";     // black, P06, 2025-03-01 to 2028-03-01
constexpr char kRedUscc[] = "91210803MA0Q3C4D10";       // red, R01
constexpr char kConflictUscc[] = "91210881MA0Q9J0K5L";  // red and black (P15) at once
constexpr char kPersonId[] = "210804199005050031";      // black (P06, P31) until 2026-06-01
constexpr char kRepairedId[] = "21088119650707004X";    // black, exited (repaired)

// measure_id -> the measure object's memorandum (or "null") for a check result.
std::map<std::string, std::string> Measures(simdjson::dom::element result) {
  std::map<std::string, std::string> out;
  simdjson::dom::array arr;
  EXPECT_EQ(result["measures"].get_array().get(arr), simdjson::SUCCESS);
  for (auto m : arr) {
    const std::string id = Str(m["measure_id"]);
    EXPECT_EQ(out.count(id), 0u) << "measure listed twice: " << id;
    out[id] = m["memorandum"].is_null() ? "null" : Str(m["memorandum"]);
    EXPECT_FALSE(Str(m["text"]).empty());
    EXPECT_NE(Str(m["kind"]), "<not a string>");
  }
  return out;
}

std::string ReadSource(const std::string& relative) {
  std::ifstream in(SourcePath(relative), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PolicyE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    Output load = RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    checker_ = AddToken(dir_->path(), "checker");
    server_ = new Server(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static TempDir* dir_;
  static Server* server_;
  static std::string checker_;
};
TempDir* PolicyE2E::dir_ = nullptr;
Server* PolicyE2E::server_ = nullptr;
std::string PolicyE2E::checker_;

TEST_F(PolicyE2E, Memoranda) {
  auto r = server_->Get("/v1/memoranda");
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  EXPECT_EQ(int64_t(d.root["counts"]["punish"]), 43);
  EXPECT_EQ(int64_t(d.root["counts"]["reward"]), 5);
  EXPECT_EQ(int64_t(d.root["counts"]["joint"]), 3);
  simdjson::dom::array arr = d.root["memoranda"];
  ASSERT_EQ(arr.size(), 51u);
  EXPECT_EQ(Str(arr.at(0)["id"]), "P01");
  EXPECT_EQ(Str(arr.at(5)["id"]), "P06");
  EXPECT_EQ(Str(arr.at(5)["doc_no"]), "发改财金〔2016〕141号");
  EXPECT_EQ(Str(arr.at(5)["lead_departments"].at(0)), "市中级人民法院");
  EXPECT_EQ(Str(arr.at(43)["id"]), "R01");
  EXPECT_EQ(Str(arr.at(43)["kind"]), "reward");
  EXPECT_EQ(Str(arr.at(50)["id"]), "J03");
  EXPECT_EQ(Str(arr.at(50)["doc_no"]), "发改财金〔2018〕331 号");
  EXPECT_EQ(server_->Post("/v1/memoranda", "{}", "application/json").status, 405);
}

TEST_F(PolicyE2E, Departments) {
  auto r = server_->Get("/v1/departments");
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  simdjson::dom::array duties = d.root["duties"];
  EXPECT_EQ(duties.size(), 28u);
  EXPECT_EQ(int64_t(duties.at(21)["duty"]), 22);
  EXPECT_EQ(Str(duties.at(21)["departments"].at(0)), "市税务局");
  std::set<std::string> memoranda;
  for (auto m : duties.at(21)["memoranda"]) memoranda.insert(Str(m));
  EXPECT_EQ(memoranda, (std::set<std::string>{"P03", "P15", "R01"}));
  simdjson::dom::array departments = d.root["departments"];
  EXPECT_EQ(departments.size(), 30u);
}

TEST_F(PolicyE2E, MeasuresByScenario) {
  auto r = server_->Get("/v1/measures?scenario=procurement");
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  EXPECT_EQ(Str(d.root["scenario"]), "procurement");
  simdjson::dom::array arr = d.root["measures"];
  ASSERT_GT(arr.size(), 20u);
  bool p06 = false;
  for (auto m : arr) {
    bool in = false;
    for (auto s : m["scenarios"]) in |= Str(s) == "procurement";
    EXPECT_TRUE(in) << Str(m["measure_id"]);
    p06 |= Str(m["measure_id"]) == "P06-03";
  }
  EXPECT_TRUE(p06);

  auto all = server_->Get("/v1/measures");
  ASSERT_EQ(all.status, 200);
  Doc a(all.body);
  EXPECT_GT(simdjson::dom::array(a.root["measures"]).size(), arr.size());

  auto one = server_->Get("/v1/measures?memorandum=P06&kind=punish&scenario=hiring");
  ASSERT_EQ(one.status, 200);
  Doc o(one.body);
  std::set<std::string> ids;
  for (auto m : o.root["measures"]) ids.insert(Str(m["measure_id"]));
  EXPECT_EQ(ids, (std::set<std::string>{"P06-06", "P06-07"}));

  auto bad = server_->Get("/v1/measures?scenario=lottery");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.headers["content-type"], "application/problem+json");
  Doc b(bad.body);
  EXPECT_EQ(Str(b.root["errors"].at(0)["field"]), "scenario");
}

TEST_F(PolicyE2E, CheckOfABlackSubjectListsItsMeasures) {
  auto r = server_->Get(std::string("/v1/subjects/") + kBlackUscc +
                        "?as_of=2026-01-15&scenario=procurement");
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  EXPECT_EQ(Str(d.root["status"]), "black");
  const auto m = Measures(d.root);
  ASSERT_TRUE(m.count("P06-03")) << r.body;  // 限制参与政府采购活动
  EXPECT_EQ(m.at("P06-03"), "P06");
  EXPECT_TRUE(m.count("G-P02"));  // 市场性约束和惩戒
  EXPECT_EQ(m.at("G-P02"), "null");
  EXPECT_FALSE(m.count("P06-04"));  // bidding, not procurement
  for (auto x : d.root["measures"]) EXPECT_EQ(Str(x["kind"]), "punish");

  // No scenario: the field is there and empty, as before.
  Doc none(server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?as_of=2026-01-15").body);
  EXPECT_TRUE(Measures(none.root).empty());
  EXPECT_EQ(server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?scenario=lottery").status,
            400);
}

TEST_F(PolicyE2E, NoMeasuresOnceExpiredOrExited) {
  const std::string base = std::string("/v1/subjects/") + kPersonId;
  Doc before(server_->Get(base + "?as_of=2026-05-31&scenario=public_service", checker_).body);
  EXPECT_EQ(Str(before.root["status"]), "black");
  const auto m = Measures(before.root);
  EXPECT_TRUE(m.count("P31-01"));  // 限制不动产交易
  EXPECT_TRUE(m.count("P06-08"));  // 限制高消费
  // valid_until 2026-06-01: the entry has expired, and so have its measures.
  for (const char* day : {"2026-06-01", "2026-11-27"}) {
    Doc after(server_->Get(base + "?as_of=" + day + "&scenario=public_service", checker_).body);
    EXPECT_EQ(Str(after.root["status"]), "clear") << day;
    EXPECT_TRUE(Measures(after.root).empty()) << day;
  }
  Doc exited(server_
                 ->Get(std::string("/v1/subjects/") + kRepairedId +
                           "?as_of=2024-01-01&scenario=procurement",
                       checker_)
                 .body);
  EXPECT_TRUE(Measures(exited.root).empty());
}

TEST_F(PolicyE2E, PostCheckAndScreenWithScenario) {
  const std::string body = std::string("{\"keys\":[\"") + kBlackUscc + "\",\"" + kRedUscc +
                           "\",\"" + kConflictUscc + "\",\"914403001922038216\"]," +
                           "\"as_of\":\"2026-01-15\",\"scenario\":\"procurement\"}";
  auto r = server_->Post("/v1/check", body, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  simdjson::dom::array results = d.root["results"];
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(Measures(results.at(0)).count("P06-03"));
  const auto red = Measures(results.at(1));
  EXPECT_TRUE(red.count("R01-04")) << r.body;  // 纳税信用A级: 政府采购中同等条件下优先
  EXPECT_TRUE(red.count("G-R04"));
  // Red and black at once: punished (P15), never rewarded.
  const auto conflict = Measures(results.at(2));
  EXPECT_TRUE(conflict.count("P15-03"));
  for (auto x : results.at(2)["measures"]) EXPECT_NE(Str(x["kind"]), "reward");
  EXPECT_TRUE(Measures(results.at(3)).empty());  // clear

  auto bad = server_->Post("/v1/check", std::string("{\"keys\":[],\"scenario\":\"x\"}"),
                           "application/json");
  EXPECT_EQ(bad.status, 400);

  auto s = server_->Post("/v1/screen?as_of=2026-01-15&scenario=bidding",
                         std::string("{\"key\":\"") + kBlackUscc + "\"}\n", "application/x-ndjson",
                         checker_);
  ASSERT_EQ(s.status, 200) << s.body;
  Doc line(s.body.substr(0, s.body.find('\n')));
  EXPECT_EQ(int64_t(line.root["row"]), 1);
  EXPECT_TRUE(Measures(line.root).count("P06-04")) << s.body;  // 招标投标
  EXPECT_FALSE(Measures(line.root).count("P09-01"));           // the entry names P06 alone
}

// PUT /v1/measures: roles, a refused file changes nothing, a good one is swapped in at once
// and outlives a restart. On its own data directory and server.
TEST(PolicyPutE2E, RolesValidationSwapAndRestart) {
  TempDir dir;
  Output load = RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()});
  ASSERT_EQ(load.status, 0) << load.err;
  const std::string admin = AddToken(dir.path(), "admin");
  const std::string checker = AddToken(dir.path(), "checker");
  const std::string department = AddToken(dir.path(), "department", "市中级人民法院");
  auto server = std::make_unique<Server>(dir.path());
  auto put = [&](const std::string& body, const std::string& token) {
    std::map<std::string, std::string> h = {{"Content-Type", "text/tab-separated-values"}};
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    return server->Send("PUT", "/v1/measures", body, h);
  };
  const std::string shipped = ReadSource("data/measures.tsv");
  const std::string mine =
      "measure_id\tmemorandum\tkind\tscenarios\ttext\n"
      "YK-1\tP06\tpunish\tprocurement\t营口市：限制参与本市政府采购活动\n"
      "YK-2\tgeneral\tpunish\tall\t依法依规采取约束和惩戒\n";

  EXPECT_EQ(put(mine, "").status, 401);
  EXPECT_EQ(put(mine, checker).status, 403);
  EXPECT_EQ(put(mine, department).status, 403);

  auto bad = put(std::string(mine) + "YK-3\tP06\tpunish\tlottery\t限制\n", admin);
  ASSERT_EQ(bad.status, 400) << bad.body;
  {
    Doc b(bad.body);
    EXPECT_EQ(Str(b.root["errors"].at(0)["field"]), "scenarios");
    EXPECT_EQ(int64_t(b.root["errors"].at(0)["line"]), 4);
    EXPECT_NE(Str(b.root["errors"].at(0)["reason"]).find("lottery"), std::string::npos);
  }
  const std::string black =
      std::string("/v1/subjects/") + kBlackUscc + "?as_of=2026-01-15&scenario=procurement";
  {
    Doc d(server->Get(black).body);
    EXPECT_TRUE(Measures(d.root).count("P06-03"));  // unchanged
  }

  auto ok = put(mine, admin);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto check_mine = [&] {
    Doc d(server->Get(black).body);
    const auto m = Measures(d.root);
    EXPECT_EQ(m.size(), 2u) << d.text;
    EXPECT_TRUE(m.count("YK-1"));
    EXPECT_TRUE(m.count("YK-2"));
    Doc all(server->Get("/v1/measures").body);
    EXPECT_EQ(simdjson::dom::array(all.root["measures"]).size(), 2u);
    Doc memoranda(server->Get("/v1/memoranda").body);  // the catalogue is kept
    EXPECT_EQ(simdjson::dom::array(memoranda.root["memoranda"]).size(), 51u);
  };
  check_mine();

  // Kept in the data directory: a restart serves the same measures.
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  server = std::make_unique<Server>(dir.path());
  check_mine();

  ASSERT_EQ(put(shipped, admin).status, 200);
  Doc d(server->Get(black).body);
  EXPECT_TRUE(Measures(d.root).count("P06-03"));
}

}  // namespace
}  // namespace credlist::e2e
