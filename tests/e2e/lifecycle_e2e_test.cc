// End-to-end: the life cycle over HTTP (API.md "Life cycle", "Roles"), masking on the
// anonymous endpoints, the audit log, and acknowledged writes surviving kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kRedUscc[] = "91210803MA0Q3C4D10";   // R-2108-0000001, 市税务局, loaded
constexpr char kNewUscc[] = "91210882432268561A";   // no entry in the fixture
constexpr char kPersonId[] = "210802198001010019";  // a legal rep in the fixture, no own entry
constexpr char kCourt[] = "市中级人民法院";

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "<absent>";
  return std::string(s);
}

std::string BlackEntry(const std::string& id, const std::string& uscc) {
  return R"({"entry_id":")" + id + R"(","list":"black","category":"失信被执行人",)" +
         R"("subject_type":"legal_person","name":"营口测试贸易有限公司","uscc":")" + uscc +
         R"(","department":"市中级人民法院","decided_on":"2026-10-01","memoranda":["P06"]})";
}

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(
        RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir_.path()}).status, 0);
    court_ = AddToken(dir_.path(), "department", kCourt);
    tax_ = AddToken(dir_.path(), "department", "市税务局");
    admin_ = AddToken(dir_.path(), "admin");
    checker_ = AddToken(dir_.path(), "checker", "市采购中心");
    server_ = std::make_unique<Server>(dir_.path());
  }
  HttpResponse Post(const std::string& target, const std::string& body, const std::string& token) {
    return server_->Post(target, body, "application/json", token);
  }

  TempDir dir_;
  std::string court_, tax_, admin_, checker_;
  std::unique_ptr<Server> server_;
};

// Every JSON route says that a malformed body is malformed JSON, and where (the byte offset),
// instead of naming a field or calling it "not an object" (issue: misleading JSON errors).
TEST_F(Lifecycle, MalformedJsonBodiesSayMalformedJsonAndTheByteOffset) {
  ASSERT_EQ(Post("/v1/entries", BlackEntry("B-J", kNewUscc), court_).status, 201);
  struct Case {
    std::string body;
    std::string offset;  // worked by hand
  };
  const std::vector<Case> cases = {
      {R"({"reason":"a",})", "14"},         // a trailing comma: the '}' after it
      {R"({"reason":"a")", "13"},           // truncated: the end of the body
      {R"({"reason":"a"} x)", "15"},        // garbage after the object
      {R"({"reason":"a"}{})", "14"},        // a second document
      {"{\"reason\":\"\xC3\x28\"}", "11"},  // invalid UTF-8 in a string
  };
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/v1/entries", court_},
      {"/v1/entries/B-J/publicize", court_},
      {"/v1/entries/B-J/objections", ""},
      {"/v1/entries/B-J/repairs", ""},
      {"/v1/objections/NOPE/decision", court_},
      {"/v1/feedback", checker_},
  };
  for (const auto& [route, token] : routes) {
    for (const Case& c : cases) {
      HttpResponse r = Post(route, c.body, token);
      EXPECT_EQ(r.status, 400) << route << " " << c.body << " " << r.body;
      Doc d(r.body);
      const std::string detail = Str(d.root, "detail");
      EXPECT_EQ(detail.rfind("body: malformed JSON at byte " + c.offset + ": ", 0), 0u)
          << route << " " << c.body << " " << detail;
      EXPECT_EQ(Str(d.root["errors"].at(0), "field"), "body") << route;
    }
    // JSON, but not an object: that is what it says, not "malformed".
    HttpResponse r = Post(route, "[1]", token);
    EXPECT_EQ(r.status, 400) << route;
    EXPECT_EQ(r.body.find("malformed"), std::string::npos) << route << " " << r.body;
    EXPECT_NE(r.body.find("must be a JSON object"), std::string::npos) << route << " " << r.body;
  }
  // Nothing was changed by any of them.
  HttpResponse e = server_->Get("/v1/entries/B-J", court_);
  EXPECT_EQ(Str(Json(e.body), "state"), "submitted") << e.body;
}

TEST_F(Lifecycle, BlackListingEndsTheRedEntryFromTheDayItComesIntoForce) {
  HttpResponse r = Post("/v1/entries", BlackEntry("B-E2E-1", kRedUscc), court_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(Json(r.body), "state"), "submitted");
  // Submitted: not listed yet.
  EXPECT_EQ(Str(Json(server_->Get(std::string("/v1/subjects/") + kRedUscc).body), "status"), "red");
  // A window that ended last month (a city moving its records in): in force the day after.
  r = Post("/v1/entries/B-E2E-1/publicize", R"({"from":"2026-10-12","until":"2026-10-20"})",
           court_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto e = Json(r.body);
  EXPECT_EQ(Str(e, "state"), "in_force");
  EXPECT_EQ(Str(e, "in_force_on"), "2026-10-21");
  auto check = [&](const std::string& as_of) {
    return Str(Json(server_->Get(std::string("/v1/subjects/") + kRedUscc + "?as_of=" + as_of).body),
               "status");
  };
  EXPECT_EQ(check("2026-10-20"), "red");
  EXPECT_EQ(check("2026-10-21"), "black");
  // The red entry exited, dated that day, with an announcement.
  r = server_->Get("/v1/entries/R-2108-0000001", tax_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "state"), "exited");
  EXPECT_EQ(Str(Json(r.body), "exit_reason"), "listed_black_or_watch");
  EXPECT_EQ(Str(Json(r.body), "exited_on"), "2026-10-21");
  r = server_->Get("/v1/announcements?since=2026-10-01");
  EXPECT_NE(r.body.find("R-2108-0000001"), std::string::npos) << r.body;
  // The history of the black entry: every transition, in order.
  r = server_->Get("/v1/entries/B-E2E-1", court_);
  ASSERT_EQ(r.status, 200);
  simdjson::dom::array history;
  ASSERT_EQ(Json(r.body)["history"].get_array().get(history), simdjson::SUCCESS);
  std::vector<std::string> events;
  for (auto ev : history) events.push_back(Str(ev, "event"));
  EXPECT_EQ(events, (std::vector<std::string>{"submitted", "publicized", "confirmed"}));
  // A red candidate for the black subject is rejected by the cross-check.
  std::string red = BlackEntry("R-E2E-1", kRedUscc);
  red.replace(red.find("black"), 5, "red");
  red.replace(red.find("市中级人民法院"), std::string("市中级人民法院").size(), "市税务局");
  r = Post("/v1/entries", red, tax_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(Json(r.body), "state"), "rejected");
  EXPECT_NE(Str(Json(r.body), "reject_reason"), "<absent>");
}

TEST_F(Lifecycle, RolesAndRefusals) {
  // 401 without a token, 403 for a checker, 400 naming the field, 409 from the wrong state.
  EXPECT_EQ(Post("/v1/entries", BlackEntry("B-X", kNewUscc), "").status, 401);
  EXPECT_EQ(Post("/v1/entries", BlackEntry("B-X", kNewUscc), checker_).status, 403);
  HttpResponse r = Post("/v1/entries", BlackEntry("B-X", "91210882432268561B"), court_);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_NE(r.body.find(R"("field":"uscc")"), std::string::npos) << r.body;
  r = Post("/v1/entries",
           R"({"list":"black","name":"x","uscc":")" + std::string(kNewUscc) +
               R"(","department":"市中级人民法院","decided_on":"2026-13-01"})",
           court_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"decided_on")"), std::string::npos) << r.body;
  EXPECT_EQ(Post("/v1/entries", "{not json", court_).status, 400);
  // Another department's entry: 403 to submit, act on and read.
  EXPECT_EQ(Post("/v1/entries", BlackEntry("B-X", kNewUscc), tax_).status, 403);
  ASSERT_EQ(Post("/v1/entries", BlackEntry("B-X", kNewUscc), court_).status, 201);
  EXPECT_EQ(Post("/v1/entries/B-X/publicize", "{}", tax_).status, 403);
  EXPECT_EQ(server_->Get("/v1/entries/B-X", tax_).status, 403);
  EXPECT_EQ(server_->Get("/v1/entries/B-X", "").status, 401);
  EXPECT_EQ(server_->Get("/v1/entries/B-X", admin_).status, 200);
  // 409: confirm before publicity, submit a known id; 404: an unknown entry.
  r = Post("/v1/entries/B-X/confirm", "{}", court_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Post("/v1/entries", BlackEntry("B-X", kNewUscc), court_).status, 409);
  EXPECT_EQ(Post("/v1/entries/NOPE/confirm", "{}", court_).status, 404);
  EXPECT_EQ(Post("/v1/entries/B-X/exit", R"({"reason":"bored"})", court_).status, 400);
  // Default window: 7 working days; confirm inside it is 409.
  r = Post("/v1/entries/B-X/publicize", "{}", court_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "state"), "publicity");
  EXPECT_EQ(Post("/v1/entries/B-X/confirm", "{}", court_).status, 409);
  // A batch with one bad entry changes nothing.
  r = Post("/v1/entries",
           R"({"entries":[)" + BlackEntry("B-Y1", "91210882432268561A") + "," +
               BlackEntry("B-Y2", "91210882432268561B") + "]}",
           court_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("entries[1].uscc"), std::string::npos) << r.body;
  EXPECT_EQ(server_->Get("/v1/entries/B-Y1", court_).status, 404);
}

TEST_F(Lifecycle, ObjectionRepairAndAsOf) {
  ASSERT_EQ(Post("/v1/entries", BlackEntry("B-O", kNewUscc), court_).status, 201);
  ASSERT_EQ(
      Post("/v1/entries/B-O/publicize", R"({"from":"2026-09-01","until":"2026-09-09"})", court_)
          .status,
      200);
  // Anyone may object; the entry is under review and still listed (it was in force).
  HttpResponse r =
      Post("/v1/entries/B-O/objections",
           R"({"objector":"营口测试贸易有限公司","reason":"已履行","materials":["x.pdf"]})", "");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string objection = Str(Json(r.body), "objection_id");
  EXPECT_EQ(Str(Json(server_->Get("/v1/entries/B-O", court_).body), "state"), "under_review");
  // Anyone may not decide it.
  EXPECT_EQ(Post("/v1/objections/" + objection + "/decision", R"({"upheld":false})", "").status,
            401);
  r = Post("/v1/objections/" + objection + "/decision", R"({"upheld":false,"reply":"驳回"})",
           court_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "status"), "dismissed");
  EXPECT_EQ(Post("/v1/objections/" + objection + "/decision", R"({"upheld":true})", court_).status,
            409);
  // Credit repair: applied by anyone, approved by the department: exits `repaired` today.
  r = Post("/v1/entries/B-O/repairs", R"({"applicant":"营口测试贸易有限公司","reason":"已整改"})",
           "");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string repair = Str(Json(r.body), "repair_id");
  r = Post("/v1/repairs/" + repair + "/decision", R"({"approved":true,"reply":"准予"})", court_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto entry = Json(server_->Get("/v1/entries/B-O", court_).body);
  EXPECT_EQ(Str(entry, "state"), "exited");
  EXPECT_EQ(Str(entry, "exit_reason"), "repaired");
  // Clear today; still black as of a day in October.
  EXPECT_EQ(Str(Json(server_->Get(std::string("/v1/subjects/") + kNewUscc).body), "status"),
            "clear");
  EXPECT_EQ(
      Str(Json(server_->Get(std::string("/v1/subjects/") + kNewUscc + "?as_of=2026-10-15").body),
          "status"),
      "black");
}

TEST_F(Lifecycle, NaturalPersonsAreMaskedForAnyoneAndAuditedForTokenHolders) {
  const std::string person =
      R"({"entry_id":"B-P","list":"black","category":"失信被执行人","subject_type":"natural_person",)"
      R"("name":"欧阳修文","id_type":"居民身份证","id_number":")" +
      std::string(kPersonId) + R"(","department":"市中级人民法院","decided_on":"2026-09-01"})";
  ASSERT_EQ(Post("/v1/entries", person, court_).status, 201);
  // No prior notice: publicity is refused.
  HttpResponse r = Post("/v1/entries/B-P/publicize", "{}", court_);
  EXPECT_EQ(r.status, 409) << r.body;
  ASSERT_EQ(
      Post("/v1/entries/B-P/notify", R"({"notified_on":"2026-09-02","channel":"书面告知"})", court_)
          .status,
      200);
  ASSERT_EQ(
      Post("/v1/entries/B-P/publicize", R"({"from":"2026-09-03","until":"2026-09-11"})", court_)
          .status,
      200);
  ASSERT_EQ(
      Post("/v1/entries/B-P/exit", R"({"reason":"law_specific","note":"依法撤销"})", court_).status,
      200);
  // Anonymous bodies never hold the full ID number or the full name.
  for (const std::string& target : {std::string("/v1/subjects/") + kPersonId + "?as_of=2026-10-01",
                                    std::string("/v1/announcements")}) {
    r = server_->Get(target);
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body.find(kPersonId), std::string::npos) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("欧阳修文"), std::string::npos) << target << ": " << r.body;
    EXPECT_NE(r.body.find("欧***"), std::string::npos) << target << ": " << r.body;
  }
  // An objection by the person, anonymously: the answer does not echo the full name either.
  ASSERT_EQ(Post("/v1/entries/B-P2/objections", R"({"reason":"x"})", "").status, 404);
  r = Post("/v1/entries",
           person.substr(0, person.find("B-P")) + "B-P2" + person.substr(person.find("B-P") + 3),
           court_);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(Post("/v1/entries/B-P2/notify", "{}", court_).status, 200);
  ASSERT_EQ(Post("/v1/entries/B-P2/publicize", "{}", court_).status, 200);
  r = Post("/v1/entries/B-P2/objections",
           R"({"objector":"欧阳修文","contact":"13900001234","reason":"不是本人"})", "");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find("欧阳修文"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("13900001234"), std::string::npos) << r.body;
  // A checker's check of the person is audited; only admin reads the log.
  r = server_->Get(std::string("/v1/subjects/") + kPersonId + "?scenario=procurement&auth_ref=CG-1",
                   checker_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(server_->Get("/v1/audit", "").status, 401);
  EXPECT_EQ(server_->Get("/v1/audit", checker_).status, 403);
  r = server_->Get(std::string("/v1/audit?subject=") + kPersonId, admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::array records;
  ASSERT_EQ(Json(r.body)["records"].get_array().get(records), simdjson::SUCCESS);
  ASSERT_EQ(records.size(), 1u) << r.body;
  auto rec = records.at(0).value();
  EXPECT_EQ(Str(rec, "scenario"), "procurement");
  EXPECT_EQ(Str(rec, "department"), "市采购中心");
  EXPECT_EQ(Str(rec, "auth_ref"), "CG-1");
  EXPECT_EQ(Str(rec, "subject"), kPersonId);
  // Anonymous checks are not audited (nobody to name).
  server_->Get(std::string("/v1/subjects/") + kPersonId);
  r = server_->Get(std::string("/v1/audit?subject=") + kPersonId, admin_);
  ASSERT_EQ(Json(r.body)["records"].get_array().get(records), simdjson::SUCCESS);
  EXPECT_EQ(records.size(), 1u);
}

TEST_F(Lifecycle, AcknowledgedWritesSurviveKill9) {
  // Writers on several connections; every acknowledged write must be there after kill -9.
  constexpr int kThreads = 4, kEach = 40;
  std::vector<std::vector<std::string>> acked(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Once the server is killed, requests fail to connect (the harness throws): stop there.
      try {
        for (int i = 0; i < kEach; ++i) {
          const std::string id = "K-" + std::to_string(t) + "-" + std::to_string(i);
          if (Post("/v1/entries", BlackEntry(id, kNewUscc), court_).status != 201) continue;
          if (Post("/v1/entries/" + id + "/publicize",
                   R"({"from":"2026-10-01","until":"2026-10-09"})", court_)
                  .status == 200)
            acked[t].push_back(id);
        }
      } catch (const std::exception&) {
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
  for (auto& th : threads) th.join();
  server_ = std::make_unique<Server>(dir_.path());
  size_t total = 0;
  for (const auto& ids : acked) {
    for (const std::string& id : ids) {
      HttpResponse r = server_->Get("/v1/entries/" + id, court_);
      ASSERT_EQ(r.status, 200) << id;
      EXPECT_EQ(Str(Json(r.body), "state"), "in_force") << id;
      ++total;
    }
  }
  EXPECT_GT(total, 0u);
  EXPECT_EQ(Str(Json(server_->Get(std::string("/v1/subjects/") + kNewUscc).body), "status"),
            "black");
}

}  // namespace
}  // namespace credlist::e2e
