// End-to-end: the public list pages (GET /v1/lists/{list}), the quarterly publication (GET
// /v1/publications/{quarter}) read as Excel reads a CSV, and `credlist export` giving the same
// bytes, on the real binary over generated entries, the fixture and a few of this test's own.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kCourt[] = "市中级人民法院";
constexpr char kPersonId[] = "210802198001010019";
constexpr char kNewUscc[] = "91210882432268561A";

// Today in Asia/Shanghai, and its quarter.
struct Calendar {
  int year, month, day;
  std::string quarter;        // 2026Q4
  std::string quarter_first;  // 2026-10-01
  std::string today;
};
Calendar Now() {
  const std::time_t t = std::time(nullptr) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  Calendar c{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, "", "", ""};
  const int q = (c.month - 1) / 3 + 1;
  c.quarter = std::to_string(c.year) + "Q" + std::to_string(q);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-01", c.year, (q - 1) * 3 + 1);
  c.quarter_first = buf;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  c.today = buf;
  return c;
}

// The day `offset` days from today in Asia/Shanghai, YYYY-MM-DD.
std::string DayFromToday(int offset) {
  const std::time_t t = std::time(nullptr) + 8 * 3600 + offset * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// Red entries that came into force in 2025Q1, a quarter long past, whose validity has partly
// ended (relative to the real today, so that the test holds whatever day it runs): entry_id,
// USCC, name, valid_from, valid_until (empty: open-ended).
struct PastEntry {
  std::string id, uscc, name, from, until;
};
std::vector<PastEntry> PastQuarterEntries() {
  return {
      {"R-PAST-1", "91210802770000015R", "营口往季甲建材有限公司", "2025-02-10", "2025-08-01"},
      {"R-PAST-2", "91210802770000023L", "营口往季乙建材有限公司", "2025-02-11", ""},
      {"R-PAST-3", "91210802770000031F", "营口往季丙建材有限公司", "2025-02-12", DayFromToday(1)},
      {"R-PAST-4", "9121080277000004X7", "营口往季丁建材有限公司", "2025-02-13", DayFromToday(0)},
      {"R-PAST-5", "912108027700000587", "营口往季戊建材有限公司", "2025-02-14", ""},
  };
}

// RFC 4180, as Excel reads a CSV: rows of cells; *crlf is false if a record ends in a bare LF.
std::vector<std::vector<std::string>> ParseCsv(std::string_view s, bool* crlf) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  *crlf = true;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        rows.back().back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      rows.emplace_back(1);
      ++i;
    } else if (c == '\n') {
      *crlf = false;
      rows.emplace_back(1);
    } else {
      rows.back().back().push_back(c);
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

// Runs of [0-9Xx] of length 15 or 18 in `body`: every certificate number it could show whole.
std::vector<std::string> NumberLike(std::string_view body) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < body.size()) {
    size_t j = i;
    while (j < body.size() &&
           ((body[j] >= '0' && body[j] <= '9') || body[j] == 'X' || body[j] == 'x'))
      ++j;
    if (j - i == 15 || j - i == 18) out.emplace_back(body.substr(i, j - i));
    i = j == i ? i + 1 : j;
  }
  return out;
}

class ListsE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cal_ = Now();
    dir_ = new TempDir();
    const std::string generated = dir_->File("generated.ndjson");
    Output gen = RunCli({"generate", "--entries", "3000", "--seed", "7", "--out", generated});
    ASSERT_EQ(gen.status, 0) << gen.err;
    const std::string q = cal_.quarter_first;
    const std::string own = dir_->File("own.ndjson");
    WriteFile(
        own,
        R"({"entry_id":"B-LISTS-1","list":"black","category":"失信被执行人","subject_type":"natural_person","name":"张三丰","id_type":"居民身份证","id_number":")" +
            std::string(kPersonId) +
            R"(","conduct":"有履行能力而拒不履行, 含逗号与\"引号\"","outcome":"限制高消费","department":"市中级人民法院","basis":"最高人民法院关于公布失信被执行人名单信息的若干规定","decided_on":")" +
            q + R"(","valid_from":")" + q +
            R"(","valid_until":null,"memoranda":["P06"]})"
            "\n"
            R"({"entry_id":"R-LISTS-1","list":"red","category":"纳税信用A级纳税人","subject_type":"legal_person","name":"营口守信建设有限公司","uscc":"91210803MA0Q3C4D10","legal_rep":"李四","legal_rep_id_number":"210803197512120027","conduct":"连续三年纳税信用评价为A级","outcome":"享受联合激励措施","department":"市税务局","basis":"纳税信用管理办法","decided_on":")" +
            q + R"(","valid_from":")" + q +
            R"(","valid_until":null,"memoranda":["R01"]})"
            "\n" +
            [] {
              std::string lines;
              for (const PastEntry& e : PastQuarterEntries())
                lines +=
                    R"({"entry_id":")" + e.id +
                    R"(","list":"red","category":"纳税信用A级纳税人","subject_type":"legal_person","name":")" +
                    e.name + R"(","uscc":")" + e.uscc +
                    R"(","conduct":"按期纳税","outcome":"享受联合激励措施","department":"市税务局","basis":"纳税信用管理办法","decided_on":")" +
                    e.from + R"(","valid_from":")" + e.from + R"(","valid_until":)" +
                    (e.until.empty() ? std::string("null") : "\"" + e.until + "\"") + "}\n";
              return lines;
            }());
    Output load = RunCli(
        {"load", generated, SourcePath("tests/e2e/entries.ndjson"), own, "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    // Every certificate number of the data: none may show whole to anyone.
    std::ifstream in(generated);
    for (std::string line; std::getline(in, line);) {
      auto j = Json(line);
      for (const char* k : {"id_number", "legal_rep_id_number"}) {
        std::string_view v;
        if (!j[k].get_string().get(v)) numbers_.insert(std::string(v));
      }
    }
    numbers_.insert(kPersonId);
    numbers_.insert("210803197512120027");
    numbers_.insert("210804199005050031");
    numbers_.insert("21088119650707004X");

    auto token = [](const std::vector<std::string>& args) {
      Output out = RunCli(args);
      EXPECT_EQ(out.status, 0) << out.err;
      return out.out.substr(0, out.out.find('\n'));
    };
    checker_ = token({"token", "add", "--data", dir_->path(), "--role", "checker"});
    court_ = token(
        {"token", "add", "--data", dir_->path(), "--role", "department", "--department", kCourt});
    tax_ = token({"token", "add", "--data", dir_->path(), "--role", "department", "--department",
                  "市税务局"});
    server_ = new Server(dir_->path());

    // The life cycle: a black entry whose publicity ended (in force by itself) this quarter,
    // when the quarter has begun long enough; and the exit of R-LISTS-1 (an announcement).
    if (cal_.day > 2 || cal_.month % 3 != 1) {
      HttpResponse r = server_->Post(
          "/v1/entries",
          R"({"entry_id":"B-LISTS-LIVE","list":"black","category":"失信被执行人","subject_type":"legal_person","name":"营口测试贸易有限公司","uscc":")" +
              std::string(kNewUscc) + R"(","department":"市中级人民法院","decided_on":")" + q +
              R"(","memoranda":["P06"]})",
          "application/json", court_);
      ASSERT_EQ(r.status, 201) << r.body;
      std::string until = q;
      until[until.size() - 1] = '2';  // the quarter's second day
      r = server_->Post("/v1/entries/B-LISTS-LIVE/publicize",
                        R"({"from":")" + q + R"(","until":")" + until + R"("})", "application/json",
                        court_);
      ASSERT_EQ(r.status, 200) << r.body;
      live_ = true;
    }
    // R-PAST-5 exits today: out of 2025Q1's entries, in this quarter's announcements.
    HttpResponse past = server_->Post("/v1/entries/R-PAST-5/exit",
                                      R"({"reason":"standard_changed","note":"认定标准调整"})",
                                      "application/json", tax_);
    ASSERT_EQ(past.status, 200) << past.body;
    HttpResponse r = server_->Post("/v1/entries/R-LISTS-1/exit",
                                   R"({"reason":"standard_changed","note":"认定标准调整"})",
                                   "application/json", tax_);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  // Every entry of a list page by page, as `token` sees them; checks the pages' shape.
  static std::vector<std::string> AllPages(const std::string& list, const std::string& filter,
                                           int page_size, const std::string& token,
                                           std::vector<std::string>* bodies = nullptr) {
    std::vector<std::string> ids;
    int64_t total = -1;
    for (int page = 1;; ++page) {
      HttpResponse r = server_->Get("/v1/lists/" + list + "?page=" + std::to_string(page) +
                                        "&page_size=" + std::to_string(page_size) + filter,
                                    token);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      if (bodies) bodies->push_back(r.body);
      auto j = Json(r.body);
      EXPECT_EQ(Str(j["list"]), list);
      EXPECT_EQ(int64_t(j["page"]), page);
      EXPECT_EQ(int64_t(j["page_size"]), page_size);
      if (total < 0) total = int64_t(j["total"]);
      EXPECT_EQ(int64_t(j["total"]), total);
      simdjson::dom::array entries = j["entries"];
      for (auto e : entries) ids.push_back(Str(e["entry_id"]));
      if (entries.size() < static_cast<size_t>(page_size)) break;
    }
    EXPECT_EQ(static_cast<int64_t>(ids.size()), total);
    return ids;
  }

  static Calendar cal_;
  static TempDir* dir_;
  static Server* server_;
  static std::string checker_, court_, tax_;
  static std::set<std::string> numbers_;
  static bool live_;
};
Calendar ListsE2E::cal_;
TempDir* ListsE2E::dir_ = nullptr;
Server* ListsE2E::server_ = nullptr;
std::string ListsE2E::checker_, ListsE2E::court_, ListsE2E::tax_;
std::set<std::string> ListsE2E::numbers_;
bool ListsE2E::live_ = false;

TEST_F(ListsE2E, PagesCoverTheListOnceInAStableOrder) {
  const std::vector<std::string> ids = AllPages("black", "", 37, "");
  ASSERT_GT(ids.size(), 100u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());  // no repeats
  EXPECT_EQ(AllPages("black", "", 500, ""), ids);  // the same order whatever the page size
  // This test's own entries: the natural person loaded, the live entry in force by itself; the
  // exited red entry is gone; the expired and exited entries of the fixture are not listed.
  auto has = [&](const std::vector<std::string>& v, const std::string& id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  EXPECT_TRUE(has(ids, "B-LISTS-1"));
  EXPECT_EQ(has(ids, "B-LISTS-LIVE"), live_);
  if (live_) {
    EXPECT_EQ(ids.back(), "B-LISTS-LIVE");  // live entries after the snapshot's
  }
  EXPECT_FALSE(has(ids, "B-2108-0000002"));  // expired 2026-06-01
  EXPECT_FALSE(has(ids, "B-2108-0000004"));  // exited
  EXPECT_FALSE(has(AllPages("red", "", 500, ""), "R-LISTS-1"));
}

TEST_F(ListsE2E, FiltersIntersect) {
  const std::vector<std::string> all = AllPages("black", "", 500, "");
  std::vector<std::string> bodies;
  const std::vector<std::string> court =
      AllPages("black", "&department=" + UrlEncode(kCourt), 100, "", &bodies);
  ASSERT_GT(court.size(), 0u);
  EXPECT_LT(court.size(), all.size());
  for (const std::string& body : bodies)
    for (auto e : simdjson::dom::array(Json(body)["entries"]))
      EXPECT_EQ(Str(e["department"]), kCourt);
  bodies.clear();
  const std::vector<std::string> both =
      AllPages("black",
               "&department=" + UrlEncode(kCourt) + "&category=" + UrlEncode("失信被执行人") +
                   "&memorandum=P06",
               100, "", &bodies);
  EXPECT_LE(both.size(), court.size());
  EXPECT_GT(both.size(), 0u);
  for (const std::string& body : bodies)
    for (auto e : simdjson::dom::array(Json(body)["entries"])) {
      EXPECT_EQ(Str(e["category"]), "失信被执行人");
      bool p06 = false;
      for (auto m : simdjson::dom::array(e["memoranda"])) p06 = p06 || Str(m) == "P06";
      EXPECT_TRUE(p06);
    }
  // Unknown department: an empty page, not an error. Bad values: 400 naming the field.
  HttpResponse r = server_->Get("/v1/lists/black?department=" + UrlEncode("无此部门"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(int64_t(Json(r.body)["total"]), 0);
  r = server_->Get("/v1/lists/black?page_size=501");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_NE(r.body.find(R"("field":"page_size")"), std::string::npos) << r.body;
  r = server_->Get("/v1/lists/black?page=0");
  EXPECT_NE(r.body.find(R"("field":"page")"), std::string::npos) << r.body;
}

TEST_F(ListsE2E, NoWholeCertificateNumberInAnyAnonymousBody) {
  std::vector<std::string> bodies;
  for (const char* list : {"red", "black", "watch"}) AllPages(list, "", 500, "", &bodies);
  for (int year = 2019; year <= cal_.year; ++year)
    for (int q = 1; q <= 4; ++q)
      for (const char* list : {"red", "black"})
        for (const char* format : {"csv", "json"}) {
          HttpResponse r = server_->Get("/v1/publications/" + std::to_string(year) + "Q" +
                                        std::to_string(q) + "?list=" + list + "&format=" + format);
          ASSERT_EQ(r.status, 200) << r.body;
          bodies.push_back(r.body);
        }
  size_t scanned = 0;
  for (const std::string& body : bodies) {
    scanned += body.size();
    for (const std::string& n : NumberLike(body))
      EXPECT_EQ(numbers_.count(n), 0u) << "a whole certificate number: " << n;
  }
  EXPECT_GT(scanned, 100000u);
  // A token holder sees them whole on the list pages.
  std::vector<std::string> full;
  AllPages("black", "", 500, checker_, &full);
  bool whole = false;
  for (const std::string& body : full) whole = whole || body.find(kPersonId) != std::string::npos;
  EXPECT_TRUE(whole);
}

TEST_F(ListsE2E, PublicationReadsAsExcelReadsIt) {
  HttpResponse r = server_->Get("/v1/publications/" + cal_.quarter + "?list=black&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/csv; charset=utf-8");
  ASSERT_TRUE(r.body.starts_with("\xEF\xBB\xBF")) << "a UTF-8 BOM first";
  bool crlf = false;
  const auto rows = ParseCsv(std::string_view(r.body).substr(3), &crlf);
  EXPECT_TRUE(crlf) << "every record ends in CRLF";
  ASSERT_GE(rows.size(), 2u);
  const std::vector<std::string> header = {
      "黑名单类型",   "企业名称", "法定代表人", "统一社会信用代码", "工商注册登记号",
      "违法失信行为", "处罚结果", "认定部门",   "认定依据",         "认定日期",
      "处罚有效期",   "姓名",     "证件类型",   "证件号码"};
  EXPECT_EQ(rows[0], header);
  bool person = false, live = false;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << i;
    if (rows[i][11] == "张**") {
      person = true;
      EXPECT_EQ(rows[i][1], "");
      EXPECT_EQ(rows[i][5], "有履行能力而拒不履行, 含逗号与\"引号\"");
      EXPECT_EQ(rows[i][12], "居民身份证");
      EXPECT_EQ(rows[i][13], "210802********0019");
      EXPECT_EQ(rows[i][10], cal_.quarter_first + "至长期");
    }
    live = live || rows[i][3] == kNewUscc;
  }
  EXPECT_TRUE(person) << r.body;
  EXPECT_EQ(live, live_);
  // The quarter's exits: the red entry exited today.
  r = server_->Get("/v1/publications/" + cal_.quarter + "?list=red&format=json");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r.body);
  bool exited = false;
  for (auto a : simdjson::dom::array(j["announcements"]))
    exited = exited ||
             (Str(a["entry"]["uscc"]) == "91210803MA0Q3C4D10" &&
              Str(a["exit_reason"]) == "standard_changed" && Str(a["exited_on"]) == cal_.today);
  EXPECT_TRUE(exited) << r.body;
  // Bad values.
  r = server_->Get("/v1/publications/2026Q5?list=red");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"quarter")"), std::string::npos) << r.body;
  r = server_->Get("/v1/publications/" + cal_.quarter + "?list=watch");
  EXPECT_NE(r.body.find(R"("field":"list")"), std::string::npos) << r.body;
  r = server_->Get("/v1/publications/" + cal_.quarter + "?list=red&format=xls");
  EXPECT_NE(r.body.find(R"("field":"format")"), std::string::npos) << r.body;
}

TEST_F(ListsE2E, ExportGivesTheBytesOfTheHttpPublication) {
  for (const char* list : {"red", "black"}) {
    for (const char* format : {"csv", "json"}) {
      HttpResponse r =
          server_->Get("/v1/publications/" + cal_.quarter + "?list=" + list + "&format=" + format);
      ASSERT_EQ(r.status, 200);
      Output out = RunCli({"export", "--data", dir_->path(), "--quarter", cal_.quarter, "--list",
                           list, "--format", format});
      ASSERT_EQ(out.status, 0) << out.err;
      EXPECT_EQ(out.out, r.body) << list << " " << format;
    }
  }
  HttpResponse r =
      server_->Get("/v1/publications/" + cal_.quarter + "?list=red&format=csv&part=announcements");
  const std::string file = dir_->File("announcements.csv");
  Output out = RunCli({"export", "--data", dir_->path(), "--quarter", cal_.quarter, "--list", "red",
                       "--part", "announcements", "--out", file});
  ASSERT_EQ(out.status, 0) << out.err;
  std::ifstream in(file, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, r.body);
  EXPECT_NE(written.find("认定标准发生改变"), std::string::npos) << written;
  // Usage errors: exit status 2, the flag named.
  out = RunCli({"export", "--data", dir_->path(), "--quarter", "2026Q7", "--list", "red"});
  EXPECT_EQ(out.status, 2);
  EXPECT_NE(out.err.find("--quarter"), std::string::npos) << out.err;
  out = RunCli({"export", "--data", dir_->path(), "--quarter", cal_.quarter, "--list", "watch"});
  EXPECT_EQ(out.status, 2);
  out = RunCli({"export", "--help"});
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.out.find("--quarter"), std::string::npos);
}

// A quarter whose entries have partly expired or exited since (issue: the 2026Q2 red
// publication of 2026-12-04 listed an entry valid 2026-04-08至2026-10-07). Of 2025Q1's red
// entries only those that count today are rows: R-PAST-2 (open-ended) and R-PAST-3 (valid until
// tomorrow, exclusive: today is its last day); not R-PAST-1 (ended in 2025), R-PAST-4 (today is
// its valid_until: it no longer counts) nor R-PAST-5 (exited today). The same through the CSV,
// the JSON, `credlist export`, the list page and the name search.
TEST_F(ListsE2E, PublicationOmitsExpiredEntries) {
  const std::vector<PastEntry> past = PastQuarterEntries();
  const std::string tomorrow_last = DayFromToday(0);  // R-PAST-3's last day in force
  HttpResponse r = server_->Get("/v1/publications/2025Q1?list=red&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.body.starts_with(
      "\xEF\xBB\xBF红名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,守信行为,"
      "获得奖励,认定部门,认定依据,认定日期,有效期,姓名,证件类型,证件号码\r\n"))
      << r.body;
  // Our two rows, whole (rows of the generated entries of 2025Q1 may lie around them).
  EXPECT_NE(
      r.body.find("\r\n纳税信用A级纳税人,营口往季乙建材有限公司,,91210802770000023L,,按期纳税,"
                  "享受联合激励措施,市税务局,纳税信用管理办法,2025-02-11,2025-02-11至长期,,,"
                  "\r\n"),
      std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find("\r\n纳税信用A级纳税人,营口往季丙建材有限公司,,91210802770000031F,,按期纳税,"
                  "享受联合激励措施,市税务局,纳税信用管理办法,2025-02-12,2025-02-12至" +
                  tomorrow_last + ",,,\r\n"),
      std::string::npos)
      << r.body;
  // And no other of ours, in the order they came into force.
  bool crlf = false;
  const auto rows = ParseCsv(std::string_view(r.body).substr(3), &crlf);
  std::vector<std::string> ours;
  for (const auto& row : rows)
    for (const PastEntry& e : past)
      if (row.size() > 3 && row[3] == e.uscc) ours.push_back(e.id);
  EXPECT_EQ(ours, (std::vector<std::string>{"R-PAST-2", "R-PAST-3"})) << r.body;

  // JSON: the same two, no other of ours.
  r = server_->Get("/v1/publications/2025Q1?list=red&format=json");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r.body);
  std::vector<std::string> json_ours;
  for (auto e : simdjson::dom::array(j["entries"]))
    for (const PastEntry& p : past)
      if (Str(e["uscc"]) == p.uscc) json_ours.push_back(p.id);
  EXPECT_EQ(json_ours, (std::vector<std::string>{"R-PAST-2", "R-PAST-3"})) << r.body;
  // The exit of R-PAST-5 is announced in this quarter, with its row.
  r = server_->Get("/v1/publications/" + cal_.quarter + "?list=red&format=json&part=announcements");
  ASSERT_EQ(r.status, 200) << r.body;
  j = Json(r.body);
  bool announced = false;
  for (auto a : simdjson::dom::array(j["announcements"]))
    announced = announced || Str(a["entry"]["uscc"]) == "912108027700000587";
  EXPECT_TRUE(announced) << r.body;

  // `credlist export` of the same day: the same bytes.
  for (const char* format : {"csv", "json"}) {
    r = server_->Get(std::string("/v1/publications/2025Q1?list=red&format=") + format);
    Output out = RunCli({"export", "--data", dir_->path(), "--quarter", "2025Q1", "--list", "red",
                         "--format", format});
    ASSERT_EQ(out.status, 0) << out.err;
    EXPECT_EQ(out.out, r.body) << format;
  }

  // The list page and the name search of anyone: the same two count today.
  const std::vector<std::string> listed =
      AllPages("red", "&department=" + UrlEncode("市税务局"), 500, "");
  for (const PastEntry& e : past) {
    const bool counts = e.id == "R-PAST-2" || e.id == "R-PAST-3";
    EXPECT_EQ(std::count(listed.begin(), listed.end(), e.id), counts ? 1 : 0) << e.id;
    HttpResponse s = server_->Get("/v1/search?limit=100&name=" + UrlEncode(e.name));
    ASSERT_EQ(s.status, 200) << s.body;
    bool found = false;
    for (auto hit : simdjson::dom::array(Json(s.body)["results"]))
      found = found || Str(hit["entry_id"]) == e.id;
    EXPECT_EQ(found, counts) << e.id << " " << s.body;
  }
}

}  // namespace
}  // namespace credlist::e2e
