// End-to-end: what a newcomer meets first. The OpenAPI document the server answers, the
// /metrics label of each resource, and `credlist token list` in the order its help gives.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

class Tour : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    Output load = RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    checker_ = AddToken(dir_->path(), "checker", "市采购中心");
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
TempDir* Tour::dir_ = nullptr;
Server* Tour::server_ = nullptr;
std::string Tour::checker_;

TEST_F(Tour, OpenApiJsonIsTheDocumentOfThisApi) {
  HttpResponse r = server_->Get("/openapi.json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  Doc d(r.body);
  EXPECT_EQ(Str(d.root["openapi"]), "3.1.0");
  EXPECT_EQ(Str(d.root["paths"]["/v1/search"]["get"]["operationId"]), "searchNames");
  // Non-ASCII text survives the YAML → JSON → C++ literal path byte for byte.
  EXPECT_NE(r.body.find("认定 → 公示 → 发布 → 退出"), std::string::npos);
}

// These five were all counted as route="other".
TEST_F(Tour, MetricsCountListsPublicationsFeedbackStatsAndAnnouncementsApart) {
  EXPECT_EQ(server_->Get("/v1/lists/black").status, 200);
  EXPECT_EQ(server_->Get("/v1/publications/2026Q3?list=black&format=json").status, 200);
  EXPECT_EQ(server_->Get("/v1/announcements").status, 200);
  EXPECT_EQ(server_->Post("/v1/feedback", "{}", "application/json", checker_).status, 400);
  EXPECT_EQ(server_->Get("/v1/stats/departments").status, 401);
  const std::string m = server_->Get("/metrics").body;
  for (const char* line : {"credlist_requests_total{route=\"lists\",code=\"2xx\"} 1\n",
                           "credlist_requests_total{route=\"publications\",code=\"2xx\"} 1\n",
                           "credlist_requests_total{route=\"announcements\",code=\"2xx\"} 1\n",
                           "credlist_requests_total{route=\"feedback\",code=\"4xx\"} 1\n",
                           "credlist_requests_total{route=\"stats\",code=\"4xx\"} 1\n"})
    EXPECT_NE(m.find(line), std::string::npos) << line << m;
  EXPECT_EQ(m.find("credlist_requests_total{route=\"other\""), std::string::npos) << m;
}

// The header and the rows give the columns the help names, in its order.
TEST(TourCli, TokenListColumnsAreThoseItsHelpNames) {
  Output help = RunCli({"token", "--help"});
  ASSERT_EQ(help.status, 0);
  const std::string flat = std::regex_replace(help.out, std::regex("\\s+"), " ");
  EXPECT_NE(flat.find("id, role, created, state (active or revoked), department"),
            std::string::npos)
      << help.out;

  TempDir dir;
  AddToken(dir.path(), "checker", "市采购中心");
  Output list = RunCli({"token", "list", "--data", dir.path()});
  ASSERT_EQ(list.status, 0) << list.err;
  const std::regex header(R"(id +role +created +state +department\n)");
  const std::regex row(
      R"([0-9a-f]{12} +checker +\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S* +active +市采购中心\n)");
  const size_t nl = list.out.find('\n');
  EXPECT_TRUE(std::regex_match(list.out.substr(0, nl + 1), header)) << list.out;
  EXPECT_TRUE(std::regex_match(list.out.substr(nl + 1), row)) << list.out;

  const std::string id = list.out.substr(nl + 1, 12);
  ASSERT_EQ(RunCli({"token", "revoke", "--data", dir.path(), id}).status, 0);
  list = RunCli({"token", "list", "--data", dir.path()});
  EXPECT_NE(list.out.find(" revoked "), std::string::npos) << list.out;
}

}  // namespace
}  // namespace credlist::e2e
