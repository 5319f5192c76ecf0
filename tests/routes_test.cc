// The route table (server/router.h Routes()): the OpenAPI document and the router agree on
// what the API serves, each route is answered by a handler, and each route has its own label
// in /metrics.
#include <simdjson.h>

#include <set>
#include <string>
#include <utility>

#include "server/openapi.h"
#include "tests/router_test_util.h"

namespace credlist {
namespace {

using testing::RouterTest;
using Operation = std::pair<std::string, std::string>;  // {"GET", "/v1/search"}

std::set<Operation> DocumentedOperations() {
  std::set<Operation> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(OpenApiJson()).get(doc), simdjson::SUCCESS);
  simdjson::dom::object paths;
  EXPECT_EQ(doc["paths"].get_object().get(paths), simdjson::SUCCESS);
  for (auto [path, item] : paths) {
    simdjson::dom::object ops;
    EXPECT_EQ(item.get_object().get(ops), simdjson::SUCCESS) << path;
    for (auto [method, op] : ops) {
      std::string m(method);
      if (m == "parameters" || m == "summary" || m == "description") continue;
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(m, std::string(path));
    }
  }
  return out;
}

std::set<Operation> RoutedOperations() {
  std::set<Operation> out;
  for (const RouteInfo& r : Routes())
    out.emplace(std::string(MethodName(r.method)), std::string(r.path));
  return out;
}

TEST(OpenApi, DocumentIsJsonOfVersion31) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(OpenApiJson()).get(doc), simdjson::SUCCESS);
  std::string_view version;
  ASSERT_EQ(doc["openapi"].get_string().get(version), simdjson::SUCCESS);
  EXPECT_EQ(version, "3.1.0");
  // A quoted YAML scalar stays a string, a plain number stays a number.
  std::string_view info_version;
  EXPECT_EQ(doc["info"]["version"].get_string().get(info_version), simdjson::SUCCESS);
  int64_t max_limit = 0;
  EXPECT_EQ(
      doc["paths"]["/v1/search"]["get"]["parameters"].at(2)["schema"]["maximum"].get_int64().get(
          max_limit),
      simdjson::SUCCESS);
  EXPECT_EQ(max_limit, 100);
}

TEST(OpenApi, EveryRouteIsDocumented) {
  const std::set<Operation> documented = DocumentedOperations();
  for (const Operation& op : RoutedOperations())
    EXPECT_TRUE(documented.contains(op))
        << op.first << " " << op.second << " is not in docs/openapi.yaml";
}

TEST(OpenApi, EveryDocumentedOperationIsRouted) {
  const std::set<Operation> routed = RoutedOperations();
  for (const Operation& op : DocumentedOperations())
    EXPECT_TRUE(routed.contains(op)) << op.first << " " << op.second << " is not routed";
  EXPECT_GE(routed.size(), 28u);
}

TEST(Routes, TemplatesMatchOneSegmentEach) {
  ASSERT_NE(MatchRoute("/v1/subjects/91210804949375618C"), nullptr);
  EXPECT_EQ(MatchRoute("/v1/subjects/91210804949375618C")->path, "/v1/subjects/{key}");
  EXPECT_EQ(MatchRoute("/v1/entries/B-1/publicize")->path, "/v1/entries/{id}/publicize");
  EXPECT_EQ(MatchRoute("/v1/entries")->path, "/v1/entries");
  EXPECT_EQ(MatchRoute("/v1/subjects/a/b"), nullptr);
  EXPECT_EQ(MatchRoute("/v1/entries/B-1/bogus"), nullptr);
  EXPECT_EQ(MatchRoute("/v1/check/"), nullptr);
  EXPECT_EQ(MatchRoute("/v1"), nullptr);
  EXPECT_EQ(MatchRoute(""), nullptr);
}

// The path of a route with its "{name}" segments filled in.
std::string Concrete(std::string_view pattern) {
  std::string out;
  while (!pattern.empty()) {
    const size_t open = pattern.find('{');
    out += pattern.substr(0, open);
    if (open == std::string_view::npos) break;
    const size_t close = pattern.find('}', open);
    const std::string_view name = pattern.substr(open + 1, close - open - 1);
    out += name == "key"       ? "91210804949375618C"
           : name == "list"    ? "red"
           : name == "quarter" ? "2026Q3"
                               : "X-1";
    pattern.remove_prefix(close + 1);
  }
  return out;
}

class RoutesTest : public RouterTest {
 protected:
  Response Send(Method method, const std::string& target) {
    Request req;
    req.method = method;
    req.target = target;
    req.body = "{}";
    req.content_type = "application/json";
    Response res;
    router_.Handle(req, worker_, &res);
    return res;
  }
};

// A route the table knows reaches its handler: no "no such resource", no 405.
TEST_F(RoutesTest, EveryRouteReachesItsHandler) {
  for (const RouteInfo& r : Routes()) {
    const std::string target = Concrete(r.path);
    if (r.method == Method::kPost && r.path == "/v1/screen") {
      EXPECT_TRUE(Router::IsScreen(r.method, target));  // streamed by the server
      continue;
    }
    const Response res = Send(r.method, target);
    EXPECT_NE(res.status, 405u) << MethodName(r.method) << " " << target << ": " << res.body;
    EXPECT_EQ(res.body.find("no such resource"), std::string::npos)
        << MethodName(r.method) << " " << target << ": " << res.body;
    EXPECT_EQ(res.route, r.route) << target;
  }
}

TEST_F(RoutesTest, UnknownPathIs404AndLabelledOther) {
  for (const char* target : {"/v1/nothing", "/v1/entries/B-1/bogus", "/v1/subjects/a/b", "/"}) {
    const Response res = Send(Method::kGet, target);
    EXPECT_EQ(res.status, 404u) << target;
    EXPECT_EQ(res.route, Route::kOther) << target;
  }
}

TEST_F(RoutesTest, WrongMethodIs405) {
  EXPECT_EQ(Send(Method::kDelete, "/v1/check").status, 405u);
  EXPECT_EQ(Send(Method::kGet, "/v1/screen").status, 405u);
  EXPECT_EQ(Send(Method::kPost, "/openapi.json").status, 405u);
  EXPECT_EQ(Send(Method::kPost, "/v1/lists/red").status, 405u);
}

// Lists, publications, feedback, stats and announcements were all counted as "other".
TEST_F(RoutesTest, MetricsLabelEachResourceOnItsOwn) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/lists/red", "lists"},
      {"/v1/publications/2026Q3?list=red", "publications"},
      {"/v1/feedback", "feedback"},
      {"/v1/stats/departments", "stats"},
      {"/v1/announcements", "announcements"},
      {"/v1/audit", "audit"},
      {"/v1/memoranda", "policy"},
      {"/v1/measures", "policy"},
      {"/openapi.json", "openapi"},
      {"/v1/search?name=x", "search"},
      {"/v1/entries/X-1", "entries"},
  };
  for (const auto& [target, label] : cases)
    EXPECT_EQ(RouteName(Get(target).route), label) << target;
  EXPECT_EQ(RouteName(Get("/v1/nothing").route), "other");
}

TEST_F(RoutesTest, OpenApiJsonIsServedToAnyone) {
  const Response res = Get("/openapi.json");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body, OpenApiJson());
}

}  // namespace
}  // namespace credlist
