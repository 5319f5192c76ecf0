// End-to-end: feedback and supervision (seed 四 and 七(四); API.md "Supervision rows"). A
// procurement centre checks a black company, gets its measures and a check id, says what it did
// about one of them, and the credit office's figures show the hit still lacking feedback.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kBlackUscc[] = "91210802MA0Q1A2B6M";  // B-2108-0000001, 市中级人民法院, P06
constexpr char kCleanUscc[] = "91210882432268561A";  // no entry in the fixture
constexpr char kProcurement[] = "市采购中心";

// The field a problem+json names.
std::string ErrorField(const HttpResponse& r) {
  Doc d(r.body);
  simdjson::dom::element e;
  if (d.root["errors"].at(0)["field"].get(e)) return "<none>";
  return Str(e);
}

// The row of `department` in a JSON report.
struct Row {
  int64_t checks = -1, hits = -1, with_measures = -1, without_feedback = -1;
  std::string rate;
  int64_t red = -1, black = -1, watch = -1;
};
std::map<std::string, Row> Rows(const std::string& body, std::vector<std::string>* order) {
  Doc d(body);
  std::map<std::string, Row> out;
  for (auto r : d.root["departments"]) {
    Row row;
    row.checks = Int(r["checks"]);
    row.hits = Int(r["hits"]);
    row.with_measures = Int(r["hits_with_measures"]);
    row.without_feedback = Int(r["hits_without_feedback"]);
    double rate;
    row.rate = r["feedback_rate"].is_null()                ? "null"
               : r["feedback_rate"].get_double().get(rate) ? "<bad>"
                                                           : std::to_string(rate);
    row.red = Int(r["entries"]["red"]);
    row.black = Int(r["entries"]["black"]);
    row.watch = Int(r["entries"]["watch"]);
    if (order) order->push_back(Str(r["department"]));
    out[Str(r["department"])] = row;
  }
  return out;
}

class FeedbackE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    Output load = RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir_.path()});
    ASSERT_EQ(load.status, 0) << load.err;
    procurement_ = AddToken(dir_.path(), "checker", kProcurement);
    tax_ = AddToken(dir_.path(), "checker", "市税务局");
    admin_ = AddToken(dir_.path(), "admin");
    server_ = std::make_unique<Server>(dir_.path());
  }
  HttpResponse Feedback(const std::string& body, const std::string& token) {
    return server_->Post("/v1/feedback", body, "application/json", token);
  }
  static std::string FeedbackBody(const std::string& check_id, const std::string& measure_id,
                                  const std::string& action, const std::string& note = "") {
    std::string b = R"({"check_id":")" + check_id + R"(","measure_id":")" + measure_id +
                    R"(","action":")" + action + "\"";
    if (!note.empty()) b += R"(,"note":")" + note + "\"";
    return b + "}";
  }

  TempDir dir_;
  std::string procurement_, tax_, admin_;
  std::unique_ptr<Server> server_;
};

TEST_F(FeedbackE2E, ProcurementCheckFeedbackAndTheSupervisionFigures) {
  // The check: black, with the measures of procurement and a check id.
  HttpResponse r = server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?scenario=procurement",
                                procurement_);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string check_id;
  std::vector<std::string> measures;
  {
    Doc d(r.body);
    EXPECT_EQ(Str(d.root["status"]), "black");
    check_id = Str(d.root["check_id"]);
    for (auto m : d.root["measures"]) measures.push_back(Str(m["measure_id"]));
  }
  ASSERT_FALSE(check_id.empty());
  ASSERT_GE(measures.size(), 2u) << r.body;
  ASSERT_NE(std::find(measures.begin(), measures.end(), "P06-03"), measures.end()) << r.body;
  // A hit with no scenario (no measures) and a clean check: counted, nothing to answer.
  ASSERT_EQ(server_->Get(std::string("/v1/subjects/") + kBlackUscc, procurement_).status, 200);
  r = server_->Post("/v1/check",
                    std::string(R"({"keys":[")") + kCleanUscc + R"("],"scenario":"procurement"})",
                    "application/json", procurement_);
  ASSERT_EQ(r.status, 200) << r.body;
  // Anonymous checks count for nobody.
  ASSERT_EQ(
      server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?scenario=procurement").status,
      200);

  // Feedback on P06-03 (限制参与政府采购活动): stored, and the same again changes nothing.
  const std::string body = FeedbackBody(check_id, "P06-03", "applied", "投标资格不予通过");
  r = Feedback(body, procurement_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  const std::string first = r.body;
  {
    Doc d(r.body);
    EXPECT_EQ(Str(d.root["check_id"]), check_id);
    EXPECT_EQ(Str(d.root["measure_id"]), "P06-03");
    EXPECT_EQ(Str(d.root["action"]), "applied");
    EXPECT_EQ(Str(d.root["note"]), "投标资格不予通过");
    EXPECT_EQ(Str(d.root["department"]), kProcurement);
  }
  r = Feedback(body, procurement_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, first);  // the same answer: the first recording stands

  // Roles, and what the feedback may name.
  EXPECT_EQ(Feedback(body, "").status, 401);
  r = Feedback(FeedbackBody(check_id, "P06-03", "applied"), tax_);
  EXPECT_EQ(r.status, 403) << r.body;  // another department's check
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(
      Feedback(FeedbackBody("c0000000000000000000", "P06-03", "applied"), procurement_).status,
      404);
  EXPECT_EQ(Feedback(FeedbackBody(check_id, "P06-04", "applied"), procurement_).status,
            404);  // bidding: not listed in a procurement check
  r = Feedback(R"({"measure_id":"P06-03","action":"applied"})", procurement_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "check_id");
  r = Feedback(R"({"check_id":")" + check_id + R"(","action":"applied"})", procurement_);
  EXPECT_EQ(ErrorField(r), "measure_id");
  r = Feedback(FeedbackBody(check_id, "P06-03", "done"), procurement_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "action");
  r = Feedback(R"({"check_id":")" + check_id + R"(","measure_id":3,"action":"applied"})",
               procurement_);
  EXPECT_EQ(ErrorField(r), "measure_id");
  r = Feedback(
      R"({"check_id":")" + check_id + R"(","measure_id":"P06-03","action":"applied","note":7})",
      procurement_);
  EXPECT_EQ(ErrorField(r), "note");
  r = Feedback("not json", procurement_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "body");

  // The figures: one check with measures, one measure of it still unanswered.
  EXPECT_EQ(server_->Get("/v1/stats/departments").status, 401);
  EXPECT_EQ(server_->Get("/v1/stats/departments", procurement_).status, 403);
  r = server_->Get("/v1/stats/departments?from=2026-13-01", admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r), "from");
  EXPECT_EQ(ErrorField(server_->Get("/v1/stats/departments?format=xls", admin_)), "format");
  r = server_->Get("/v1/stats/departments", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> order;
  auto rows = Rows(r.body, &order);
  ASSERT_TRUE(rows.count(kProcurement)) << r.body;
  const Row& p = rows[kProcurement];
  EXPECT_EQ(p.checks, 3);
  EXPECT_EQ(p.hits, 2);
  EXPECT_EQ(p.with_measures, 1);
  EXPECT_EQ(p.without_feedback, 1);
  EXPECT_EQ(p.rate, std::to_string(0.0));
  EXPECT_EQ(order.front(), kProcurement) << "the unanswered come first: " << r.body;
  // The deciding side: the court's black entry, the tax bureau's red one.
  ASSERT_TRUE(rows.count("市中级人民法院")) << r.body;
  EXPECT_GE(rows["市中级人民法院"].black, 1);
  EXPECT_EQ(rows["市中级人民法院"].checks, 0);
  EXPECT_EQ(rows["市中级人民法院"].rate, "null");
  EXPECT_GE(rows["市税务局"].red, 1);
  // A range with no checks in it: the department checked nothing and decided nothing.
  rows = Rows(server_->Get("/v1/stats/departments?from=2001-01-01&to=2001-12-31", admin_).body,
              nullptr);
  EXPECT_FALSE(rows.count(kProcurement));
  EXPECT_GE(rows["市中级人民法院"].black, 1);

  r = server_->Get("/v1/stats/departments?format=csv", admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/csv; charset=utf-8");
  ASSERT_EQ(r.body.rfind("\xEF\xBB\xBF", 0), 0u) << "a UTF-8 BOM for Excel";
  const std::string header =
      "department,hits_without_feedback,checks,hits,hits_with_measures,feedback_rate,"
      "entries_red,entries_black,entries_watch\r\n";
  EXPECT_EQ(r.body.substr(3, header.size()), header);
  const std::string line = r.body.substr(3 + header.size());
  EXPECT_EQ(line.substr(0, line.find("\r\n")), std::string(kProcurement) + ",1,3,2,1,0.0000,0,0,0")
      << r.body;

  // Every listed measure answered: no hit without feedback. Another action replaces one.
  for (const std::string& m : measures) {
    if (m == "P06-03") continue;
    r = Feedback(FeedbackBody(check_id, m, "not_applicable"), procurement_);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  r = Feedback(FeedbackBody(check_id, "P06-03", "other", "移交采购监管部门"), procurement_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Doc(r.body).root["action"]), "other");
  rows = Rows(server_->Get("/v1/stats/departments", admin_).body, nullptr);
  EXPECT_EQ(rows[kProcurement].without_feedback, 0);
  EXPECT_EQ(rows[kProcurement].rate, std::to_string(1.0));

  // The publication of the quarter the entry came into force (2025-03-01): the same subject,
  // in the 报送表 (2) layout that Excel opens.
  r = server_->Get("/v1/publications/2025Q1?list=black&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.starts_with("\xEF\xBB\xBF黑名单类型,企业名称,")) << r.body;
  EXPECT_NE(r.body.find(kBlackUscc), std::string::npos) << r.body;

  // One more check, counted in memory only, then a clean stop: the stop commits it, and the
  // command line reads the figures with no server.
  ASSERT_EQ(server_->Get(std::string("/v1/subjects/") + kCleanUscc, procurement_).status, 200);
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  Output out = RunCli({"stats", "--data", dir_.path(), "--format", "csv"});
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_NE(out.out.find(std::string(kProcurement) + ",0,4,2,1,1.0000,0,0,0"), std::string::npos)
      << out.out;
  out = RunCli({"stats", "--data", dir_.path(), "--from", "2001-01-01", "--to", "2001-01-31"});
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_FALSE(Rows(out.out, nullptr).count(kProcurement)) << out.out;
  EXPECT_EQ(RunCli({"stats", "--data", dir_.path(), "--format", "xls"}).status, 2);
  EXPECT_EQ(RunCli({"stats", "--help"}).status, 0);
}

TEST_F(FeedbackE2E, ScreeningCountsEveryRowForTheDepartment) {
  const std::string csv =
      std::string("key\n") + kBlackUscc + "\n" + kCleanUscc + "\n" + kCleanUscc + "\nnot-a-key\n";
  HttpResponse r =
      server_->Send("POST", "/v1/screen?scenario=procurement", csv,
                    {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + procurement_}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto rows = Rows(server_->Get("/v1/stats/departments", admin_).body, nullptr);
  EXPECT_EQ(rows[kProcurement].checks, 3);  // the invalid row is no check
  EXPECT_EQ(rows[kProcurement].hits, 1);
  EXPECT_EQ(rows[kProcurement].with_measures, 1);
  EXPECT_EQ(rows[kProcurement].without_feedback, 1);
}

}  // namespace
}  // namespace credlist::e2e
