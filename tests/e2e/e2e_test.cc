// End-to-end: the real binary, its command line and its HTTP contract (API.md, DESIGN.md §8).
#include <gtest/gtest.h>
#include <iconv.h>

#include <signal.h>
#include <simdjson.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kBlackUscc[] = "91210802MA0Q1A2B6M";
constexpr char kBlackRegNo[] = "210800000123459";
constexpr char kRedUscc[] = "91210803MA0Q3C4D10";
constexpr char kWatchUscc[] = "91210804MA0Q5E6F7C";
constexpr char kConflictUscc[] = "91210881MA0Q9J0K5L";
constexpr char kRepId[] = "210802198001010019";     // legal rep of the black and the watch company
constexpr char kPersonId[] = "210804199005050031";  // a natural person, black until 2026-06-01
constexpr char kRepairedId[] = "21088119650707004X";
constexpr char kUnknownUscc[] = "914403001922038216";

// One data directory with the fixture loaded, one server, shared by the tests of this suite.
class E2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    Output load = RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    // The summary of API.md, and the subject on the red and the black list at once (kConflictUscc).
    EXPECT_EQ(load.out,
              "rows: 7\nloaded: 7\nrejected: 0\n"
              "conflicts: 1 subjects are on the red and the black list at once\n");
    token_ = AddToken(dir_->path(), "checker");
    server_ = new Server(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static TempDir* dir_;
  static Server* server_;
  static std::string token_;
};
TempDir* E2E::dir_ = nullptr;
Server* E2E::server_ = nullptr;
std::string E2E::token_;

TEST_F(E2E, HealthAndReadiness) {
  EXPECT_EQ(server_->Get("/healthz").status, 200);
  EXPECT_EQ(server_->Get("/readyz").status, 200);
}

TEST_F(E2E, BlackSubjectByUsccAndRegNo) {
  for (const char* key : {kBlackUscc, kBlackRegNo}) {
    auto r = server_->Get(std::string("/v1/subjects/") + key + "?as_of=2026-01-15");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = Json(r.body);
    EXPECT_EQ(Str(j["status"]), "black");
    EXPECT_EQ(Str(j["as_of"]), "2026-01-15");
    EXPECT_EQ(Str(j["entries"].at(0)["entry_id"]), "B-2108-0000001");
    EXPECT_EQ(Str(j["entries"].at(0)["memoranda"].at(0)), "P06");
    EXPECT_FALSE(Str(j["check_id"]).empty());
  }
  auto j = Json(server_->Get(std::string("/v1/subjects/") + kBlackUscc).body);
  EXPECT_EQ(Str(j["key_type"]), "uscc");
}

TEST_F(E2E, FullWidthAndLowerCaseKeysAreNormalised) {
  // ９１２１０８０２ma0q1a2b6m: full-width digits and lower case, URL-encoded.
  const std::string key =
      "%EF%BC%99%EF%BC%91%EF%BC%92%EF%BC%91%EF%BC%90%EF%BC%98%EF%BC%90%EF%BC%92ma0q1a2b6m";
  auto r = server_->Get("/v1/subjects/" + key);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body)["key"]), kBlackUscc);
}

TEST_F(E2E, RedWatchClearAndStatusOrder) {
  EXPECT_EQ(Str(Json(server_->Get(std::string("/v1/subjects/") + kRedUscc).body)["status"]), "red");
  auto w = Json(server_->Get(std::string("/v1/subjects/") + kWatchUscc + "?as_of=2026-01-01").body);
  EXPECT_EQ(Str(w["status"]), "watch");
  auto r = server_->Get(std::string("/v1/subjects/") + kUnknownUscc);
  ASSERT_EQ(r.status, 200);
  auto c = Json(r.body);
  EXPECT_EQ(Str(c["status"]), "clear");
  EXPECT_EQ(c["entries"].get_array().size(), 0u);
}

TEST_F(E2E, ValidityAndAsOf) {
  // The natural person is black from 2024-06-01 until 2026-06-01 (exclusive).
  auto before = Json(
      server_->Get(std::string("/v1/subjects/") + kPersonId + "?as_of=2024-05-31", token_).body);
  EXPECT_EQ(Str(before["status"]), "clear");
  auto during = Json(
      server_->Get(std::string("/v1/subjects/") + kPersonId + "?as_of=2026-05-31", token_).body);
  EXPECT_EQ(Str(during["status"]), "black");
  auto after = Json(
      server_->Get(std::string("/v1/subjects/") + kPersonId + "?as_of=2026-06-01", token_).body);
  EXPECT_EQ(Str(after["status"]), "clear");
  // An exited entry never counts.
  auto exited = Json(
      server_->Get(std::string("/v1/subjects/") + kRepairedId + "?as_of=2024-01-01", token_).body);
  EXPECT_EQ(Str(exited["status"]), "clear");
}

TEST_F(E2E, RelatedThroughTheLegalRepresentative) {
  auto j =
      Json(server_->Get(std::string("/v1/subjects/") + kRepId + "?as_of=2026-01-01", token_).body);
  EXPECT_EQ(Str(j["status"]), "clear");
  ASSERT_EQ(j["related"].get_array().size(), 2u);
  EXPECT_EQ(Str(j["related"].at(0)["legal_rep"]), "张三丰");
}

TEST_F(E2E, ConflictFlag) {
  auto j = Json(server_->Get(std::string("/v1/subjects/") + kConflictUscc).body);
  EXPECT_EQ(Str(j["status"]), "black");
  EXPECT_TRUE(j["conflict"].get_bool().value());
  auto k = Json(server_->Get(std::string("/v1/subjects/") + kBlackUscc).body);
  EXPECT_FALSE(k["conflict"].get_bool().value());
}

TEST_F(E2E, AnonymousCallersSeeNaturalPersonsMasked) {
  auto r = server_->Get(std::string("/v1/subjects/") + kPersonId + "?as_of=2026-01-01");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find(kPersonId), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("王小明"), std::string::npos) << r.body;
  auto j = Json(r.body);
  EXPECT_EQ(Str(j["entries"].at(0)["name"]), "王**");
  EXPECT_EQ(Str(j["entries"].at(0)["id_number"]), "210804********0031");
  EXPECT_EQ(Str(j["key"]), "210804********0031");
  // Legal representatives are natural persons too.
  auto c = server_->Get(std::string("/v1/subjects/") + kBlackUscc);
  EXPECT_EQ(c.body.find(kRepId), std::string::npos) << c.body;
  EXPECT_EQ(Str(Json(c.body)["entries"].at(0)["legal_rep"]), "张**");
  // A legal person's name and USCC are public.
  EXPECT_EQ(Str(Json(c.body)["entries"].at(0)["name"]), "营口示例贸易有限公司");
  // A token holder sees them in full.
  auto t = Json(
      server_->Get(std::string("/v1/subjects/") + kPersonId + "?as_of=2026-01-01", token_).body);
  EXPECT_EQ(Str(t["entries"].at(0)["name"]), "王小明");
  EXPECT_EQ(Str(t["entries"].at(0)["id_number"]), kPersonId);
}

TEST_F(E2E, AMistypedIdNumberIsMaskedInAnonymousErrors) {
  // One wrong check character: still somebody's ID number, so never echoed to anyone in full.
  const std::string typo = "21080419900505003X";
  auto r = server_->Get("/v1/subjects/" + typo);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find(typo), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("210804********003X"), std::string::npos) << r.body;
  r = server_->Post("/v1/check", R"({"keys":["21080419900505003X"]})", "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find(typo), std::string::npos) << r.body;
  // A token holder gets the reason as it is.
  r = server_->Get("/v1/subjects/" + typo, token_);
  EXPECT_NE(r.body.find(typo), std::string::npos) << r.body;
}

TEST_F(E2E, BadCheckCharacterIs400NamingTheKey) {
  auto r = server_->Get("/v1/subjects/91210802MA0Q1A2B6N");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  auto j = Json(r.body);
  EXPECT_EQ(j["status"].get_int64().value(), 400);
  EXPECT_EQ(Str(j["errors"].at(0)["field"]), "key");
  EXPECT_EQ(server_->Get("/v1/subjects/210804199005050032").status, 400);
  EXPECT_EQ(server_->Get("/v1/subjects/12345").status, 400);
  EXPECT_EQ(server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?as_of=2026-02-30").status,
            400);
  EXPECT_EQ(server_->Get(std::string("/v1/subjects/") + kBlackUscc + "?scenario=lottery").status,
            400);
}

TEST_F(E2E, BatchCheckKeepsOrderAndReportsBadKeysInPlace) {
  const std::string body = std::string("{\"keys\":[\"") + kBlackUscc + "\",\"bad\",\"" + kRedUscc +
                           "\",\"" + kUnknownUscc + "\"],\"as_of\":\"2026-01-01\"}";
  auto r = server_->Post("/v1/check", body, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = Json(r.body)["results"];
  ASSERT_EQ(results.get_array().size(), 4u);
  EXPECT_EQ(Str(results.at(0)["status"]), "black");
  EXPECT_EQ(Str(results.at(1)["error"]["field"]), "keys[1]");
  EXPECT_EQ(Str(results.at(2)["status"]), "red");
  EXPECT_EQ(Str(results.at(3)["status"]), "clear");
}

TEST_F(E2E, MalformedJsonIs400) {
  auto r = server_->Post("/v1/check", "{\"keys\":[", "application/json");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(server_->Post("/v1/check", "{\"as_of\":\"2026-01-01\"}", "application/json").status,
            400);
  EXPECT_EQ(server_->Post("/v1/check", "{\"keys\":[1]}", "application/json").status, 400);
  EXPECT_EQ(server_->Post("/v1/check", "keys=1", "text/plain").status, 415);
}

// POST /v1/check: a malformed body says so and where, not "keys[1]: must be a string" nor
// "the body must be a JSON object" (the offsets are worked by hand).
TEST_F(E2E, MalformedCheckBodySaysMalformedJsonAndTheByteOffset) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"keys":["91210802MA0Q1A2B6M",})", "30"},  // a trailing comma
      {R"({"keys":["a",})", "13"},
      {R"({"keys":["a"])", "13"},            // truncated
      {R"({"keys":["a"]} trailing)", "15"},  // garbage after the object
      {"", "0"},                             // an empty body
      {"   ", "3"},                          // only whitespace
  };
  for (const auto& [body, offset] : cases) {
    auto r = server_->Post("/v1/check", body, "application/json", token_);
    EXPECT_EQ(r.status, 400) << body << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    Doc d(r.body);
    const std::string detail = Str(d.root["detail"]);
    EXPECT_EQ(detail.rfind("body: malformed JSON at byte " + offset + ": ", 0), 0u)
        << body << " -> " << detail;
  }
  // Well-formed JSON of the wrong shape keeps its own, precise errors.
  auto r = server_->Post("/v1/check", "[\"a\"]", "application/json", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Json(r.body)["detail"]), "the body must be a JSON object");
  r = server_->Post("/v1/check", R"({"keys":["a",1]})", "application/json", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(Json(r.body)["detail"]), "keys[1]: must be a string");
}

TEST_F(E2E, OversizeBodyIs413) {
  std::string body = "{\"keys\":[\"" + std::string(17 << 20, 'x') + "\"]}";
  auto r = server_->Post("/v1/check", body, "application/json");
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);
  EXPECT_EQ(server_->Get("/healthz").status, 200);
}

TEST_F(E2E, UnknownPathIs404) {
  auto r = server_->Get("/v2/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
}

TEST_F(E2E, ScreenNeedsAToken) {
  EXPECT_EQ(server_->Post("/v1/screen", "key\n", "text/csv").status, 401);
  EXPECT_EQ(server_->Post("/v1/screen", "key\n", "text/csv", "cl_not-a-token").status, 401);
}

TEST_F(E2E, ScreenCsvStreamsHitsAndSummary) {
  const std::string csv = std::string("统一社会信用代码,企业名称\n") + kBlackUscc + ",甲\n" +
                          kUnknownUscc + ",乙\nnot-a-key,丙\n" + kRedUscc + ",丁\n";
  auto r = server_->Post("/v1/screen?as_of=2026-01-01", csv, "text/csv", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  std::vector<std::string> lines;
  for (size_t at = 0; at < r.body.size();) {
    const size_t nl = r.body.find('\n', at);
    lines.push_back(r.body.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << r.body;
  EXPECT_EQ(Json(lines[0])["row"].get_int64().value(), 1);
  EXPECT_EQ(Str(Json(lines[0])["status"]), "black");
  EXPECT_EQ(Json(lines[1])["row"].get_int64().value(), 3);
  EXPECT_EQ(Str(Json(lines[1])["error"]["field"]), "key");
  EXPECT_EQ(Json(lines[2])["row"].get_int64().value(), 4);
  auto s = Json(lines[3])["summary"];
  EXPECT_EQ(s["rows"].get_int64().value(), 4);
  EXPECT_EQ(s["hits"].get_int64().value(), 2);
  EXPECT_EQ(s["invalid"].get_int64().value(), 1);
}

std::string ToGbk(const std::string& utf8) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  std::string out(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  char* o = out.data();
  size_t in_left = utf8.size(), out_left = out.size();
  iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

TEST_F(E2E, ScreenGbkCsvAsExcelSavesIt) {
  const std::string csv =
      ToGbk(std::string("企业名称,统一社会信用代码\r\n营口甲,") + kBlackUscc + "\r\n");
  ASSERT_EQ(csv.find("统一社会信用代码"), std::string::npos);  // really GBK
  auto r = server_->Post("/v1/screen?as_of=2026-01-01", csv, "text/csv", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"name\":\"营口甲\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("{\"summary\":{\"rows\":1,\"hits\":1,\"invalid\":0}}"), std::string::npos);
}

TEST_F(E2E, ScreenCsvWithoutAKeyColumnIs400) {
  auto r = server_->Post("/v1/screen", "name,phone\n甲,1\n", "text/csv", token_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
}

// Content-Length: 0 used to close the connection with nothing sent.
TEST_F(E2E, ScreenWithAnEmptyBodyIs400) {
  for (const char* type : {"text/csv", "application/x-ndjson"}) {
    auto r = server_->Post("/v1/screen", "", type, token_);
    EXPECT_EQ(r.status, 400) << type << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << type;
    EXPECT_EQ(Str(Json(r.body)["detail"]),
              "body: is empty: send the rows to screen (a CSV with its header row, or NDJSON)");
  }
  EXPECT_EQ(server_->Get("/healthz").status, 200);
}

TEST_F(E2E, ScreenNdjson) {
  const std::string body = std::string("{\"key\":\"") + kWatchUscc +
                           "\",\"name\":\"x\"}\n{\"key\":\"" + kUnknownUscc + "\"}\n{oops\n";
  auto r = server_->Post("/v1/screen?as_of=2026-01-01", body, "application/x-ndjson", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"status\":\"watch\""), std::string::npos);
  EXPECT_NE(r.body.find("{\"summary\":{\"rows\":3,\"hits\":1,\"invalid\":1}}"), std::string::npos)
      << r.body;
}

TEST_F(E2E, MetricsArePrometheusText) {
  server_->Get("/healthz");
  auto r = server_->Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("credlist_requests_total{route=\"healthz\",code=\"2xx\"}"),
            std::string::npos);
  EXPECT_NE(r.body.find("credlist_entries{list=\"black\"} 4"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("credlist_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(E2E, KeepAliveServesManyRequestsOnOneConnection) {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  net::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  stream.connect(
      {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < 50; ++i) {
    http::request<http::empty_body> req{http::verb::get, std::string("/v1/subjects/") + kBlackUscc,
                                        11};
    req.set(http::field::host, "x");
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    ASSERT_EQ(res.result_int(), 200u);
    ASSERT_TRUE(res.keep_alive());
  }
}

TEST(Timeouts, ASlowHeaderAndAnIdleConnectionAreClosed) {
  TempDir dir;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  Server server(dir.path(), {"--header-timeout", "1", "--idle-timeout", "2"});
  namespace net = boost::asio;
  auto closed_after = [&](const std::string& send) {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())});
    if (!send.empty()) net::write(s, net::buffer(send));
    const auto start = std::chrono::steady_clock::now();
    char buf[256];
    boost::system::error_code ec;
    while (!ec) s.read_some(net::buffer(buf), ec);  // until the server closes
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const double header = closed_after("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never ends
  EXPECT_GE(header, 0.8);
  EXPECT_LT(header, 1.9);
  const double idle = closed_after("");
  EXPECT_GE(idle, 1.8);
  EXPECT_LT(idle, 3.5);
}

// ---- the command line -------------------------------------------------------------------

TEST(Cli, HelpAnswers) {
  for (const char* cmd : {"generate", "load", "serve", "check", "screen", "token"}) {
    Output o = RunCli({cmd, "--help"});
    EXPECT_EQ(o.status, 0) << cmd;
    EXPECT_NE(o.out.find("usage: credlist"), std::string::npos) << cmd;
  }
  EXPECT_EQ(RunCli({"frobnicate"}).status, 2);
  EXPECT_EQ(RunCli({"load", "--data"}).status, 2);
  EXPECT_EQ(RunCli({"serve", "--data", "x", "--bogus"}).status, 2);
}

TEST(Cli, ABadRowLoadsNothingUnlessSkipInvalid) {
  TempDir dir;
  Output o = RunCli({"load", SourcePath("tests/e2e/bad_row.ndjson"), "--data", dir.path()});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("bad_row.ndjson:2: uscc:"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("rejected: 1"), std::string::npos) << o.out;
  // Nothing loaded: the directory holds no entries, so a check refuses it (never "clear").
  Output c = RunCli({"check", "--data", dir.path(), "91210802MA0Q1A2B6M"});
  EXPECT_EQ(c.status, 1) << c.out;
  EXPECT_EQ(c.out.find("\"status\":\"black\""), std::string::npos) << c.out;
  EXPECT_NE(c.err.find("holds no loaded entries"), std::string::npos) << c.err;

  Output s = RunCli(
      {"load", SourcePath("tests/e2e/bad_row.ndjson"), "--data", dir.path(), "--skip-invalid"});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("loaded: 2"), std::string::npos) << s.out;
  Output c2 = RunCli({"check", "--data", dir.path(), "91210802MA0Q1A2B6M"});
  EXPECT_NE(c2.out.find("\"status\":\"black\""), std::string::npos) << c2.out;
}

TEST(Cli, GbkReportFormLoadsLikeUtf8) {
  TempDir a, b;
  Output u = RunCli({"load", SourcePath("data/sample_report_form.csv"), "--data", a.path()});
  ASSERT_EQ(u.status, 0) << u.err;
  Output g = RunCli({"load", SourcePath("data/sample_report_form_gbk.csv"), "--data", b.path()});
  ASSERT_EQ(g.status, 0) << g.err;
  EXPECT_EQ(u.out, g.out);
}

// A '?' in a name of a GBK file is a character the writer lost: the load warns on stderr with
// the row and field and counts the warnings in its summary; --strict rejects those rows.
TEST(Cli, LoadWarnsOfLostCharactersAndStrictRejects) {
  TempDir a, b;
  const std::string file = SourcePath("tests/data/gbk_lost_characters.csv");
  Output w = RunCli({"load", file, "--data", a.path()});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(w.out, "rows: 3\nloaded: 3\nrejected: 0\nwarnings: 2\n");
  EXPECT_NE(
      w.err.find("gbk_lost_characters.csv:2: name: warning: 企业名称: '营口市李?商贸有限公司' "
                 "has a '?'"),
      std::string::npos)
      << w.err;
  EXPECT_NE(w.err.find("gbk_lost_characters.csv:3: legal_rep: warning: 法定代表人: '李?明'"),
            std::string::npos)
      << w.err;

  Output s = RunCli({"load", file, "--data", b.path(), "--strict"});
  EXPECT_EQ(s.status, 1);
  EXPECT_EQ(s.out, "rows: 3\nloaded: 0\nrejected: 2\n");
  EXPECT_NE(s.err.find("gbk_lost_characters.csv:2: name: 企业名称:"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.find("warning:"), std::string::npos) << s.err;
}

// Every bad cell of a row is printed, each on its own line; the row counts once.
TEST(Cli, LoadPrintsEveryBadCellOfARow) {
  TempDir dir;
  const std::string path = dir.File("form.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "黑名单类型,企业名称,统一社会信用代码,认定日期,处罚有效期\n"
        << "失信被执行人,营口某某贸易有限公司," << kUnknownUscc << ",46027,3/9/2026\n";
  }
  Output o = RunCli({"load", path, "--data", dir.path()});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.out.find("rejected: 1\n"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("form.csv:2: decided_on: 认定日期: '46027' looks like an Excel date serial "
                       "for 2026-01-05"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("form.csv:2: valid_until: 处罚有效期: '3/9/2026' has its year last"),
            std::string::npos)
      << o.err;
}

TEST(Cli, CheckAndScreenFromTheCommandLine) {
  TempDir dir;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  Output c =
      RunCli({"check", "--data", dir.path(), "--as-of", "2026-01-01", kBlackUscc, kUnknownUscc});
  ASSERT_EQ(c.status, 0) << c.err;
  const size_t nl = c.out.find('\n');
  EXPECT_EQ(Str(Json(c.out.substr(0, nl))["status"]), "black");
  EXPECT_EQ(Str(Json(c.out.substr(nl + 1, c.out.find('\n', nl + 1) - nl - 1))["status"]), "clear");
  EXPECT_EQ(RunCli({"check", "--data", dir.path(), "91210802MA0Q1A2B6N"}).status, 1);

  WriteFile(dir.File("in.ndjson"), std::string("{\"key\":\"") + kBlackUscc + "\"}\n");
  Output s = RunCli({"screen", "--data", dir.path(), dir.File("in.ndjson")});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("{\"summary\":{\"rows\":1,\"hits\":1,\"invalid\":0}}"), std::string::npos)
      << s.out;
}

TEST(Cli, TokensAreStoredAsHashesAndCanBeRevoked) {
  TempDir dir;
  // serve refuses a directory with no loaded entries: load a small file first.
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  Output add = RunCli({"token", "add", "--data", dir.path(), "--role", "admin"});
  ASSERT_EQ(add.status, 0) << add.err;
  const std::string token = add.out.substr(0, add.out.find('\n'));
  EXPECT_EQ(add.out, token + "\n");  // alone on its line
  Output list = RunCli({"token", "list", "--data", dir.path()});
  EXPECT_EQ(list.out.find(token), std::string::npos);
  EXPECT_EQ(RunCli({"token", "add", "--data", dir.path(), "--role", "department"}).status, 2);
  EXPECT_EQ(RunCli({"token", "add", "--data", dir.path(), "--role", "king"}).status, 2);

  Server server(dir.path());
  EXPECT_EQ(server.Post("/v1/screen", "key\n", "text/csv", token).status, 200);
  const std::string id = list.out.substr(list.out.find('\n') + 1, 12);
  ASSERT_EQ(RunCli({"token", "revoke", "--data", dir.path(), id}).status, 0);
  sleep(2);
  EXPECT_EQ(server.Post("/v1/screen", "key\n", "text/csv", token).status, 401);
}

TEST(Cli, RestartAfterKillAnswersTheSame) {
  TempDir dir;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  std::string before;
  {
    Server server(dir.path());
    before = server.Get(std::string("/v1/subjects/") + kBlackUscc + "?as_of=2026-01-01", "").body;
    EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
  }
  Server again(dir.path());
  std::string after =
      again.Get(std::string("/v1/subjects/") + kBlackUscc + "?as_of=2026-01-01", "").body;
  // check_id differs per check; everything else is the same.
  auto strip = [](std::string s) {
    const size_t at = s.find("\"check_id\":\"");
    return s.erase(at, s.find('"', at + 12) + 1 - at);
  };
  EXPECT_EQ(strip(before), strip(after));
  EXPECT_EQ(again.Stop(SIGTERM), 0);
}

// ---- a data directory that is not there, or holds nothing: refused, never "clear" --------

// The names in `dir` (empty when it does not exist).
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The reading commands on `data`: each must fail, name the path and answer nothing.
void ExpectEveryReaderRefuses(const TempDir& tmp, const std::string& data, const std::string& why) {
  WriteFile(tmp.File("in.csv"), std::string("key\n") + kBlackUscc + "\n");
  const std::vector<std::vector<std::string>> commands = {
      {"check", "--data", data, kBlackUscc},
      {"screen", "--data", data, tmp.File("in.csv")},
      {"export", "--data", data, "--quarter", "2026Q1", "--list", "black"},
      {"stats", "--data", data},
      {"serve", "--data", data, "--listen", "127.0.0.1:0"},
  };
  for (const auto& args : commands) {
    Output o = RunCli(args);
    EXPECT_EQ(o.status, 1) << args[0] << ": " << o.out << o.err;
    EXPECT_EQ(o.out.find("clear"), std::string::npos) << args[0] << ": " << o.out;
    EXPECT_EQ(o.out.find("ready"), std::string::npos) << args[0] << ": " << o.out;
    EXPECT_NE(o.err.find("data directory " + data + " " + why), std::string::npos)
        << args[0] << ": " << o.err;
  }
}

TEST(Cli, ReadersRefuseAMissingDataDirectoryAndCreateNothing) {
  TempDir real;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", real.path()}).status,
            0);
  // A mistyped --data beside the real one: the key is black there, but this is no answer.
  const std::string typo = real.path() + "-typo";
  ExpectEveryReaderRefuses(real, typo, "does not exist");
  EXPECT_FALSE(std::filesystem::exists(typo));
  const std::string nested = real.File("no/such/dir");
  ExpectEveryReaderRefuses(real, nested, "does not exist");
  EXPECT_FALSE(std::filesystem::exists(real.File("no")));
  // token list and revoke do not create one either; token add does (and load).
  EXPECT_EQ(RunCli({"token", "list", "--data", typo}).status, 1);
  EXPECT_EQ(RunCli({"token", "revoke", "--data", typo, "t-1"}).status, 1);
  EXPECT_FALSE(std::filesystem::exists(typo));
  Output c = RunCli({"check", "--data", real.path(), "--as-of", "2026-01-01", kBlackUscc});
  EXPECT_NE(c.out.find("\"status\":\"black\""), std::string::npos) << c.out;
}

TEST(Cli, ReadersRefuseADataDirectoryWithNoLoadedEntries) {
  TempDir tmp;
  // An empty directory: no credlist.db.
  const std::string empty = tmp.File("empty");
  std::filesystem::create_directory(empty);
  ExpectEveryReaderRefuses(tmp, empty, "holds no credlist database");
  EXPECT_TRUE(Listing(empty).empty());
  // Tokens only: a database, but no load.
  const std::string tokens = tmp.File("tokens");
  AddToken(tokens, "checker");
  const std::vector<std::string> before = Listing(tokens);
  ExpectEveryReaderRefuses(tmp, tokens, "holds no loaded entries");
  EXPECT_EQ(Listing(tokens), before);  // no ledger, no snapshot image, no measures
  // The harness's server sees it exit instead of getting ready.
  EXPECT_THROW(Server server(tokens), std::runtime_error);
}

// ---- load: a load of nothing is a failure -------------------------------------------------

TEST(Cli, LoadThatRejectsEveryRowExitsNonZero) {
  TempDir dir;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  // Three rows, each with a USCC whose check character is wrong.
  std::string bad;
  for (const char* id : {"X-1", "X-2", "X-3"})
    bad += std::string(R"({"entry_id":")") + id +
           R"(","list":"black","category":"失信被执行人","subject_type":"legal_person",)"
           R"("name":"营口测试贸易有限公司","uscc":"91210802MA0Q1A2B6N",)"
           R"("department":"市中级人民法院","decided_on":"2026-01-01"})"
           "\n";
  WriteFile(dir.File("bad.ndjson"), bad);
  for (bool replace : {false, true}) {
    std::vector<std::string> args = {"load", dir.File("bad.ndjson"), "--data", dir.path(),
                                     "--skip-invalid"};
    if (replace) args.push_back("--replace");
    Output o = RunCli(args);
    EXPECT_EQ(o.status, 1) << o.out << o.err;
    EXPECT_EQ(o.out, "rows: 3\nloaded: 0\nrejected: 3\n");  // the summary still prints
    EXPECT_NE(o.err.find("all 3 rows were rejected: nothing loaded"), std::string::npos) << o.err;
  }
  // Nothing was committed: --replace did not empty the store.
  Output c = RunCli({"check", "--data", dir.path(), "--as-of", "2026-01-01", kBlackUscc});
  EXPECT_NE(c.out.find("\"status\":\"black\""), std::string::npos) << c.out << c.err;
}

TEST(Cli, LoadOfAFileWithNoRowsExitsNonZero) {
  TempDir dir;
  WriteFile(dir.File("empty.ndjson"), "");
  WriteFile(dir.File("header_only.csv"),
            "黑名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,违法失信行为,"
            "处罚结果,认定部门,认定依据,认定日期,处罚有效期\n");
  for (const char* name : {"empty.ndjson", "header_only.csv"}) {
    Output o = RunCli({"load", dir.File(name), "--data", dir.File("data"), "--skip-invalid"});
    EXPECT_EQ(o.status, 1) << name << ": " << o.out << o.err;
    EXPECT_EQ(o.out, "rows: 0\nloaded: 0\nrejected: 0\n") << name;
    EXPECT_NE(o.err.find(dir.File(name) + ": holds no rows"), std::string::npos) << o.err;
  }
  EXPECT_EQ(RunCli({"check", "--data", dir.File("data"), kBlackUscc}).status, 1);
}

// ---- serve: a port another process holds is refused ---------------------------------------

TEST(Cli, ASecondServerOnABusyPortIsRefused) {
  TempDir dir;
  ASSERT_EQ(RunCli({"load", SourcePath("tests/e2e/entries.ndjson"), "--data", dir.path()}).status,
            0);
  Server first(dir.path(), {"--threads", "2"});
  const std::string listen = "127.0.0.1:" + std::to_string(first.port());
  // Bounded: the harness's server throws when the process exits before it is ready.
  ASSERT_THROW(Server second(dir.path(), {"--listen", listen}), std::runtime_error);
  Output o = RunCli({"serve", "--data", dir.path(), "--listen", listen});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find(listen + " is in use by another process"), std::string::npos) << o.err;
  // The first server still answers every request (none goes to another process), each on a
  // new connection, over both of its threads.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(first.Get("/readyz").status, 200) << i;
}

}  // namespace
}  // namespace credlist::e2e
