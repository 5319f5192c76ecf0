// End-to-end: GET /v1/search on the real binary (API.md), over the fixture and a few thousand
// generated entries, and over entries of the life cycle (POST /v1/entries and transitions).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

// The first character of a UTF-8 name, then one '*' per other character.
std::string Masked(std::string_view name) {
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < name.size()) {
    const auto lead = static_cast<unsigned char>(name[i]);
    const size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (first)
      out.append(name.substr(i, n));
    else
      out.push_back('*');
    first = false;
    i += n;
  }
  return out;
}

class SearchE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string generated = dir_->File("generated.ndjson");
    Output gen = RunCli({"generate", "--entries", "3000", "--seed", "11", "--out", generated});
    ASSERT_EQ(gen.status, 0) << gen.err;
    // The generator numbers entries as the fixture does: the fixture's, loaded last, replace
    // the generated entries of the same entry_id.
    Output load =
        RunCli({"load", generated, SourcePath("tests/e2e/entries.ndjson"), "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    Output tok = RunCli({"token", "add", "--data", dir_->path(), "--role", "checker"});
    ASSERT_EQ(tok.status, 0) << tok.err;
    token_ = tok.out.substr(0, tok.out.find('\n'));
    for (auto [department, token] :
         {std::pair{"市中级人民法院", &court_}, std::pair{"市市场监督管理局", &market_}}) {
      Output dep = RunCli({"token", "add", "--data", dir_->path(), "--role", "department",
                           "--department", department});
      ASSERT_EQ(dep.status, 0) << dep.err;
      *token = dep.out.substr(0, dep.out.find('\n'));
    }
    // A natural person of the generated data, in force with no end: its entry id and name.
    std::ifstream in(generated);
    for (std::string line; std::getline(in, line);) {
      auto j = Json(line);
      if (Str(j["subject_type"]) != "natural_person" || !j["valid_until"].is_null() ||
          Str(j["state"]) != "in_force" || Str(j["entry_id"]).substr(7) <= "0000010")
        continue;  // (the fixture replaces the first few entry ids)
      person_id_ = Str(j["entry_id"]);
      person_name_ = Str(j["name"]);
      break;
    }
    server_ = new Server(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static simdjson::dom::array Results(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r.body)["results"].get_array();
  }
  // The rank of entry `id` in the results, or -1.
  static int RankOf(simdjson::dom::array results, const std::string& id) {
    int i = 0;
    for (auto e : results) {
      if (Str(e["entry_id"]) == id) return i;
      ++i;
    }
    return -1;
  }

  static TempDir* dir_;
  static Server* server_;
  static std::string token_, court_, market_, person_id_, person_name_;
};
TempDir* SearchE2E::dir_ = nullptr;
Server* SearchE2E::server_ = nullptr;
std::string SearchE2E::token_, SearchE2E::court_, SearchE2E::market_, SearchE2E::person_id_,
    SearchE2E::person_name_;

TEST_F(SearchE2E, ExactNameFirst) {
  auto r = server_->Get("/v1/search?name=" + UrlEncode("营口示例贸易有限公司"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto j = Json(r.body);
  EXPECT_EQ(Str(j["name"]), "营口示例贸易有限公司");
  auto first = j["results"].at(0);
  EXPECT_EQ(Str(first["entry_id"]), "B-2108-0000001");
  EXPECT_EQ(Str(first["match"]), "exact");
  EXPECT_EQ(double(first["score"]), 1.0);
  EXPECT_EQ(Str(first["list"]), "black");
  EXPECT_EQ(Str(first["uscc"]), "91210802MA0Q1A2B6M");
  EXPECT_EQ(Str(first["legal_rep"]), "张**");  // masked for anyone
}

TEST_F(SearchE2E, OneCharacterDifferentAndOtherBrackets) {
  // 示例 mistyped as 示列: similar, in the top five.
  auto results = Results(server_->Get("/v1/search?name=" + UrlEncode("营口示列贸易有限公司")));
  const int rank = RankOf(results, "B-2108-0000001");
  ASSERT_GE(rank, 0);
  EXPECT_LT(rank, 5);
  EXPECT_EQ(Str(results.at(rank)["match"]), "similar");
  EXPECT_LT(double(results.at(rank)["score"]), 1.0);
  // Full-width brackets and spaces: the same name, exact.
  results = Results(server_->Get("/v1/search?name=" + UrlEncode("营口 示例贸易（有限公司）")));
  ASSERT_GE(results.size(), 1u);
  EXPECT_EQ(Str(results.at(0)["entry_id"]), "B-2108-0000001");
  EXPECT_EQ(Str(results.at(0)["match"]), "exact");
}

TEST_F(SearchE2E, ListFilterAndLimit) {
  auto results = Results(
      server_->Get("/v1/search?list=red&limit=3&name=" + UrlEncode("营口示例贸易有限公司")));
  EXPECT_LE(results.size(), 3u);
  for (auto e : results) EXPECT_EQ(Str(e["list"]), "red");
  EXPECT_EQ(RankOf(results, "B-2108-0000001"), -1);
  results =
      Results(server_->Get("/v1/search?name=" + UrlEncode("有限公司") + "&limit=100", token_));
  EXPECT_EQ(results.size(), 100u);
  results = Results(server_->Get("/v1/search?name=" + UrlEncode("有限公司")));
  EXPECT_EQ(results.size(), 10u);  // the default limit
}

TEST_F(SearchE2E, NaturalPersonsMaskedForAnyoneOnly) {
  ASSERT_FALSE(person_id_.empty()) << "no natural person in force in the generated data";
  auto anyone = Results(server_->Get("/v1/search?limit=100&name=" + UrlEncode(person_name_)));
  const int rank = RankOf(anyone, person_id_);
  ASSERT_GE(rank, 0) << person_name_;
  EXPECT_EQ(Str(anyone.at(rank)["name"]), Masked(person_name_));
  const std::string id = Str(anyone.at(rank)["id_number"]);
  ASSERT_EQ(id.size(), 18u);
  EXPECT_EQ(id.substr(6, 8), "********");
  for (auto e : anyone) {
    if (Str(e["subject_type"]) == "natural_person") {
      EXPECT_EQ(Str(e["name"]), Masked(Str(e["name"])));
    }
  }

  auto checker =
      Results(server_->Get("/v1/search?limit=100&name=" + UrlEncode(person_name_), token_));
  const int full = RankOf(checker, person_id_);
  ASSERT_GE(full, 0);
  EXPECT_EQ(Str(checker.at(full)["name"]), person_name_);
  EXPECT_EQ(Str(checker.at(full)["id_number"]).find('*'), std::string::npos);
}

TEST_F(SearchE2E, OnlyInForceEntriesForAnyone) {
  // 欧阳修文 exited (repaired): a token holder finds the entry, anyone does not.
  const std::string q = "/v1/search?name=" + UrlEncode("欧阳修文");
  EXPECT_EQ(RankOf(Results(server_->Get(q)), "B-2108-0000004"), -1);
  EXPECT_GE(RankOf(Results(server_->Get(q, token_)), "B-2108-0000004"), 0);
}

TEST_F(SearchE2E, EntriesOfTheLifeCycleAreSearchable) {
  const std::string name = "营口寻踪贸易有限公司";
  const std::string q = "/v1/search?name=" + UrlEncode(name);
  auto exact = [](simdjson::dom::array results, const std::string& id) {
    const int rank = RankOf(results, id);
    return rank == 0 && Str(results.at(0)["match"]) == "exact";
  };
  EXPECT_EQ(RankOf(Results(server_->Get(q, token_)), "B-SEARCH-1"), -1);
  // Submitted by the court: a token holder finds it at once; anyone does not (not in force).
  HttpResponse r =
      server_->Post("/v1/entries",
                    R"({"entry_id":"B-SEARCH-1","list":"black","category":"失信被执行人",)"
                    R"("subject_type":"legal_person","name":")" +
                        name +
                        R"(","uscc":"91210882432268561A","department":"市中级人民法院",)"
                        R"("decided_on":"2026-10-01","memoranda":["P06"]})",
                    "application/json", court_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(exact(Results(server_->Get(q, token_)), "B-SEARCH-1"));
  EXPECT_EQ(RankOf(Results(server_->Get(q)), "B-SEARCH-1"), -1);
  // Publicized with a window in the past: in force, and anyone finds it, exact and first.
  r = server_->Post("/v1/entries/B-SEARCH-1/publicize",
                    R"({"from":"2026-10-12","until":"2026-10-20"})", "application/json", court_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = Results(server_->Get(q));
  ASSERT_TRUE(exact(results, "B-SEARCH-1")) << r.body;
  EXPECT_EQ(Str(results.at(0)["state"]), "in_force");
  EXPECT_EQ(Str(results.at(0)["list"]), "black");
  // One character different: similar, in the top five.
  results = Results(server_->Get("/v1/search?name=" + UrlEncode("营口寻宗贸易有限公司")));
  const int rank = RankOf(results, "B-SEARCH-1");
  ASSERT_GE(rank, 0);
  EXPECT_LT(rank, 5);
  EXPECT_EQ(Str(results.at(rank)["match"]), "similar");
}

TEST_F(SearchE2E, ASnapshotEntryExitedIsSearchedInItsLiveVersion) {
  const std::string q = "/v1/search?name=" + UrlEncode("营口关注物流有限公司");
  ASSERT_TRUE(RankOf(Results(server_->Get(q)), "W-2108-0000001") == 0);
  HttpResponse r =
      server_->Post("/v1/entries/W-2108-0000001/exit",
                    R"({"reason":"law_specific","note":"依法撤销"})", "application/json", market_);
  ASSERT_EQ(r.status, 200) << r.body;
  // Anyone: no longer in force, not found. A token holder: once, as it is now.
  EXPECT_EQ(RankOf(Results(server_->Get(q)), "W-2108-0000001"), -1);
  auto results = Results(server_->Get(q, token_));
  ASSERT_EQ(RankOf(results, "W-2108-0000001"), 0);
  EXPECT_EQ(Str(results.at(0)["state"]), "exited");
  EXPECT_EQ(Str(results.at(0)["exit_reason"]), "law_specific");
  int seen = 0;
  for (auto e : results) seen += Str(e["entry_id"]) == "W-2108-0000001";
  EXPECT_EQ(seen, 1);
}

TEST_F(SearchE2E, BadInputIsA400NamingTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"/v1/search", "name"},
      {"/v1/search?name=", "name"},
      {"/v1/search?name=" + UrlEncode("（）"), "name"},
      {"/v1/search?name=a&list=grey", "list"},
      {"/v1/search?name=a&limit=0", "limit"},
      {"/v1/search?name=a&limit=500", "limit"},
      {"/v1/search?name=a&limit=x", "limit"},
  };
  for (const auto& [target, field] : cases) {
    auto r = server_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << target;
    auto j = Json(r.body);
    EXPECT_EQ(Str(j["errors"].at(0)["field"]), field) << target << ": " << r.body;
  }
}

}  // namespace
}  // namespace credlist::e2e
