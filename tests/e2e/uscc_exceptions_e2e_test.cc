// End-to-end: known non-conforming USCCs (data/uscc_exceptions.txt, DESIGN.md §2). Xiamen's
// 91350203M0001QKT19 fails its check character but is a real code: it is loaded (NDJSON and
// CSV), found by checks over HTTP and the command line, screened and submitted, and a check says
// "code_conforms":false. A data directory's own uscc_exceptions.txt adds codes; a code listed
// nowhere is rejected as before.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kXiamen[] = "91350203M0001QKT19";      // built in
constexpr char kOfficeCode[] = "91210802MA0QD1E2XA";  // listed in the data directory only
constexpr char kConforming[] = "91210802MA0QD1E2XK";

std::string BlackRecord(const std::string& id, const std::string& uscc) {
  return R"({"entry_id":")" + id + R"(","list":"black","category":"失信被执行人",)" +
         R"("subject_type":"legal_person","name":"厦门测试贸易有限公司","uscc":")" + uscc +
         R"(","department":"市中级人民法院","decided_on":"2025-03-01","memoranda":["P06"]})";
}

// Loading: the built-in code is accepted; the office's code only once the data directory
// lists it; a bad exceptions file stops the load, naming its line.
TEST(UsccExceptionsE2E, KnownNonConformingCodesLoadAndUnlistedOnesDoNot) {
  TempDir dir;
  WriteFile(dir.File("a.ndjson"), BlackRecord("B-X-1", kXiamen) + "\n");
  Output load = RunCli({"load", dir.File("a.ndjson"), "--data", dir.path()});
  EXPECT_EQ(load.status, 0) << load.err;

  WriteFile(dir.File("b.ndjson"), BlackRecord("B-X-2", kOfficeCode) + "\n");
  load = RunCli({"load", dir.File("b.ndjson"), "--data", dir.path()});
  EXPECT_NE(load.status, 0);
  EXPECT_NE(load.err.find("its check character (position 18)"), std::string::npos) << load.err;
  EXPECT_EQ(load.err.find("should be"), std::string::npos) << load.err;

  WriteFile(dir.File("uscc_exceptions.txt"),
            "# the credit office's additions\n" + std::string(kOfficeCode) + "  # a test\n");
  load = RunCli({"load", dir.File("b.ndjson"), "--data", dir.path()});
  EXPECT_EQ(load.status, 0) << load.out << load.err;

  // CSV (报送表) too.
  WriteFile(dir.File("c.csv"),
            "黑名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,违法失信行为,处罚结果,"
            "认定部门,认定依据,认定日期,处罚有效期\n"
            "失信被执行人,厦门某某有限公司,张某,9135-0203-M000-1QKT-19,,拒不履行,纳入名单,"
            "厦门市中级人民法院,规定,2025-03-01,2027-02-28\n");
  load = RunCli({"load", dir.File("c.csv"), "--data", dir.path()});
  EXPECT_EQ(load.status, 0) << load.out << load.err;

  WriteFile(dir.File("uscc_exceptions.txt"), "91210802MA0QD1E2XK\n");
  load = RunCli({"load", dir.File("b.ndjson"), "--data", dir.path()});
  EXPECT_NE(load.status, 0);
  EXPECT_NE(load.err.find("uscc_exceptions.txt line 1"), std::string::npos) << load.err;
  EXPECT_NE(load.err.find("needs no exception"), std::string::npos) << load.err;
}

class UsccExceptionsServe : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("uscc_exceptions.txt"), std::string(kOfficeCode) + "\n");
    WriteFile(dir_.File("a.ndjson"),
              BlackRecord("B-X-1", kXiamen) + "\n" + BlackRecord("B-X-2", kConforming) + "\n");
    Output load = RunCli({"load", dir_.File("a.ndjson"), "--data", dir_.path()});
    ASSERT_EQ(load.status, 0) << load.err;
    checker_ = AddToken(dir_.path(), "checker");
    court_ = AddToken(dir_.path(), "department", "市中级人民法院");
    server_ = std::make_unique<Server>(dir_.path());
  }
  TempDir dir_;
  std::string checker_, court_;
  std::unique_ptr<Server> server_;
};

TEST_F(UsccExceptionsServe, CheckOfAnExceptionSaysCodeConformsFalse) {
  auto r = server_->Get(std::string("/v1/subjects/") + kXiamen);
  ASSERT_EQ(r.status, 200) << r.body;
  Doc d(r.body);
  EXPECT_EQ(Str(d.root["status"]), "black");
  EXPECT_EQ(Str(d.root["key"]), kXiamen);
  bool conforms = true;
  ASSERT_FALSE(d.root["code_conforms"].get_bool().get(conforms)) << r.body;
  EXPECT_FALSE(conforms);
  // A conforming code's check has no such member.
  r = server_->Get(std::string("/v1/subjects/") + kConforming);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("code_conforms"), std::string::npos) << r.body;
  // The office's code: clear, but accepted and flagged.
  r = server_->Get(std::string("/v1/subjects/") + kOfficeCode);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("code_conforms":false)"), std::string::npos) << r.body;
  // A code listed nowhere is still a 400.
  EXPECT_EQ(server_->Get("/v1/subjects/91350203M0001QKT18").status, 400);

  r = server_->Post("/v1/check", std::string(R"({"keys":[")") + kXiamen + "\"]}",
                    "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("code_conforms":false)"), std::string::npos) << r.body;

  r = server_->Post("/v1/screen", std::string("key\n") + kXiamen + "\n", "text/csv", checker_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("status":"black")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("hits":1)"), std::string::npos) << r.body;

  // The command line: the same data directory, the same exceptions.
  Output check = RunCli({"check", "--data", dir_.path(), kXiamen, kOfficeCode});
  EXPECT_EQ(check.status, 0) << check.err;
  EXPECT_NE(check.out.find(R"("code_conforms":false,"status":"black")"), std::string::npos)
      << check.out;
}

TEST_F(UsccExceptionsServe, LifeCycleSubmissionAcceptsAnException) {
  auto r = server_->Post("/v1/entries",
                         R"({"entry_id":"B-X-9","list":"black","category":"失信被执行人",)"
                         R"("subject_type":"legal_person","name":"厦门测试有限公司","uscc":")" +
                             std::string(kOfficeCode) +
                             R"(","department":"市中级人民法院","decided_on":"2026-10-01"})",
                         "application/json", court_);
  EXPECT_EQ(r.status, 201) << r.body;
  // The life-cycle record is read back through the same checks: by the command line, and by
  // the server at its next start.
  Output check = RunCli({"check", "--data", dir_.path(), kOfficeCode});
  EXPECT_EQ(check.status, 0) << check.err << check.out;
  server_->Stop(SIGTERM);
  server_ = std::make_unique<Server>(dir_.path());
  EXPECT_EQ(server_->Get("/readyz").status, 200);
  r = server_->Post("/v1/entries",
                    R"({"entry_id":"B-X-10","list":"black","category":"失信被执行人",)"
                    R"("subject_type":"legal_person","name":"厦门测试有限公司",)"
                    R"("uscc":"91350203M0001QKT18","department":"市中级人民法院",)"
                    R"("decided_on":"2026-10-01"})",
                    "application/json", court_);
  EXPECT_EQ(r.status, 400) << r.body;
}

}  // namespace
}  // namespace credlist::e2e
