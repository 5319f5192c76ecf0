// End-to-end: .xlsx in and out of the real binary. Loading a workbook made by LibreOffice
// (tests/data/xlsx), the format sniffed by content, screening an .xlsx over HTTP and from the
// command line, the screen's answer and the publication as .xlsx, read back here with libzip and
// expat (not with the code under test).
#include <expat.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/e2e/harness.h"

namespace credlist::e2e {
namespace {

constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One cell of a sheet: its type attribute (t) and its text.
struct SheetCell {
  std::string type, text;
};
struct Sheet {
  std::map<std::string, SheetCell> cells;  // by reference, "A1"
  std::string frozen_at;                   // the pane's topLeftCell, when frozen
  std::vector<std::string> bold_styles;    // unused by the checks below; kept simple
};

std::string ZipPart(const std::string& bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* zip = src ? zip_open_from_source(src, ZIP_RDONLY, &error) : nullptr;
  if (!zip) {
    if (src) zip_source_free(src);
    ADD_FAILURE() << "not a zip";
    return {};
  }
  std::string out;
  if (zip_file_t* f = zip_fopen(zip, name.c_str(), 0)) {
    char buf[4096];
    zip_int64_t n;
    while ((n = zip_fread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    zip_fclose(f);
  } else {
    ADD_FAILURE() << "no part " << name;
  }
  zip_discard(zip);
  return out;
}

// The cells of xl/worksheets/sheetN.xml (inline strings or numbers: what libxlsxwriter writes).
Sheet ReadSheet(const std::string& xlsx, int n) {
  struct State {
    Sheet sheet;
    std::string ref, type, text;
    bool in_text = false;
  } st;
  const std::string xml = ZipPart(xlsx, "xl/worksheets/sheet" + std::to_string(n) + ".xml");
  XML_Parser p = XML_ParserCreate(nullptr);
  XML_SetUserData(p, &st);
  XML_SetElementHandler(
      p,
      [](void* u, const XML_Char* name, const XML_Char** attrs) {
        auto& s = *static_cast<State*>(u);
        const std::string n(name);
        auto attr = [&](const char* want) {
          for (int i = 0; attrs[i]; i += 2)
            if (std::string(attrs[i]) == want) return std::string(attrs[i + 1]);
          return std::string();
        };
        if (n == "c") {
          s.ref = attr("r");
          s.type = attr("t");
          s.text.clear();
        } else if (n == "t" || n == "v") {
          s.in_text = true;
        } else if (n == "pane" && attr("state") == "frozen") {
          s.sheet.frozen_at = attr("topLeftCell");
        }
      },
      [](void* u, const XML_Char* name) {
        auto& s = *static_cast<State*>(u);
        const std::string n(name);
        if (n == "t" || n == "v") s.in_text = false;
        if (n == "c") s.sheet.cells[s.ref] = {s.type, s.text};
      });
  XML_SetCharacterDataHandler(p, [](void* u, const XML_Char* t, int len) {
    auto& s = *static_cast<State*>(u);
    if (s.in_text) s.text.append(t, static_cast<size_t>(len));
  });
  EXPECT_EQ(XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1), XML_STATUS_OK);
  XML_ParserFree(p);
  return st.sheet;
}

// The form's red sheet: rows 5, 6 and 7 rejected with their Excel row numbers; nothing loaded.
TEST(XlsxE2E, LoadReportsRejectedRowsByExcelRowNumber) {
  TempDir dir;
  const std::string path = SourcePath("tests/data/xlsx/report_form.xlsx");
  Output o = RunCli({"load", path, "--data", dir.path()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "rows: 6\nloaded: 0\nrejected: 3\n");
  EXPECT_NE(o.err.find(path + ":5: uscc: 统一社会信用代码: '9.12108812811205e+17' is a number in "
                              "the sheet"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(path + ":6: decided_on: 认定日期: '2025-13-01'"), std::string::npos);
  EXPECT_NE(o.err.find(path + ":7: name: 企业名称: is empty"), std::string::npos);
  o = RunCli({"load", path, "--data", dir.path(), "--skip-invalid"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "rows: 6\nloaded: 3\nrejected: 3\n");
}

// An .xlsx without extension is a workbook; --format xlsx and --sheet choose the same.
TEST(XlsxE2E, LoadSniffsWorkbookWithoutExtension) {
  TempDir dir;
  WriteFile(dir.File("form"), ReadFile(SourcePath("tests/data/xlsx/report_form.xlsx")));
  Output o = RunCli({"load", dir.File("form"), "--sheet", "黑名单", "--data", dir.path()});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "rows: 2\nloaded: 2\nrejected: 0\n");
  o = RunCli(
      {"load", dir.File("form"), "--format", "xlsx", "--sheet", "黑名单", "--data", dir.path()});
  EXPECT_EQ(o.status, 0) << o.err;
}

// A CSV saved as .txt loads as CSV (it was read as NDJSON: every row "not valid JSON").
TEST(XlsxE2E, LoadSniffsCsvSavedAsTxt) {
  TempDir dir;
  WriteFile(dir.File("form.txt"), ReadFile(SourcePath("data/sample_report_form.csv")));
  Output o = RunCli({"load", dir.File("form.txt"), "--data", dir.path()});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.substr(0, o.out.find("conflicts")), "rows: 16\nloaded: 16\nrejected: 0\n");
}

class XlsxScreen : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    Output load =
        RunCli({"load", SourcePath("data/sample_report_form.csv"), "--data", dir_->path()});
    ASSERT_EQ(load.status, 0) << load.err;
    token_ = AddToken(dir_->path(), "checker");
    server_ = new Server(dir_->path(), {"--screen-xlsx-limit", "1"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static TempDir* dir_;
  static Server* server_;
  static std::string token_;
};
TempDir* XlsxScreen::dir_ = nullptr;
Server* XlsxScreen::server_ = nullptr;
std::string XlsxScreen::token_;

// The lines of an NDJSON answer by their "row" (the summary under 0).
std::map<int64_t, std::string> ByRow(const std::string& ndjson) {
  std::map<int64_t, std::string> out;
  std::istringstream in(ndjson);
  for (std::string line; std::getline(in, line);) {
    Doc d(line);
    simdjson::dom::element row;
    out[d.root["row"].get(row) ? 0 : Int(row)] = line;
  }
  return out;
}

// The sheet keeps 15 significant digits of 210802198506120037: 2.1080219850612e+17.
constexpr char kNumericIdReason[] =
    "'2.1080219850612e+17' is a number in the sheet, and Excel keeps only 15 significant digits "
    "of a number; format the column as text (文本) and enter the keys again";

// screen.xlsx: rows 1, 3, 4 (a 15-digit 工商注册号 kept as a number) and 5 are hits; row 2, an
// 18-digit ID number kept as a number, is invalid with the reason.
TEST_F(XlsxScreen, ScreenXlsxBodyOverHttp) {
  const std::string body = ReadFile(SourcePath("tests/data/xlsx/screen.xlsx"));
  HttpResponse r = server_->Post("/v1/screen", body, kXlsxType, token_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto rows = ByRow(r.body);
  ASSERT_EQ(rows.size(), 6u) << r.body;
  Doc invalid(rows[2]);
  EXPECT_EQ(Str(invalid.root["key"]), "2.1080219850612e+17");
  EXPECT_EQ(Str(invalid.root["error"]["field"]), "key");
  EXPECT_EQ(Str(invalid.root["error"]["reason"]), kNumericIdReason);
  for (int64_t hit : {1, 3, 4, 5}) {
    Doc d(rows[hit]);
    EXPECT_EQ(Str(d.root["status"]), "black") << rows[hit];
  }
  Doc four(rows[4]);
  EXPECT_EQ(Str(four.root["key"]), "210802100000004");
  Doc summary(rows[0]);
  EXPECT_EQ(Int(summary.root["summary"]["rows"]), 5);
  EXPECT_EQ(Int(summary.root["summary"]["hits"]), 4);
  EXPECT_EQ(Int(summary.root["summary"]["invalid"]), 1);

  // The command line gives the same lines, the file sniffed by content.
  Output o = RunCli({"screen", "--data", dir_->path(), SourcePath("tests/data/xlsx/screen.xlsx")});
  EXPECT_EQ(o.status, 0) << o.err;
  auto cli = ByRow(o.out);
  ASSERT_EQ(cli.size(), 6u);
  EXPECT_EQ(cli[2], rows[2]);
  Doc cli_summary(cli[0]);
  EXPECT_EQ(Int(cli_summary.root["summary"]["hits"]), 4);
}

// Accept: the xlsx type gives the result as a workbook of text cells.
TEST_F(XlsxScreen, ScreenAnswerAsXlsxWhenAccepted) {
  const std::string body = ReadFile(SourcePath("tests/data/xlsx/screen.xlsx"));
  HttpResponse r = server_->Send(
      "POST", "/v1/screen", body,
      {{"Content-Type", kXlsxType}, {"Authorization", "Bearer " + token_}, {"Accept", kXlsxType}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], kXlsxType);
  EXPECT_EQ(r.headers["content-disposition"], "attachment; filename=\"screen.xlsx\"");
  Sheet s = ReadSheet(r.body, 1);
  EXPECT_EQ(s.cells["A1"].text, "行");
  EXPECT_EQ(s.cells["B1"].text, "查询标识");
  EXPECT_EQ(s.frozen_at, "A2");
  // Row 2 of the sheet: screen row 1, a hit on 91210802MA0Y3K201T.
  EXPECT_EQ(s.cells["A2"].text, "1");
  EXPECT_EQ(s.cells["A2"].type, "inlineStr");
  EXPECT_EQ(s.cells["B2"].text, "91210802MA0Y3K201T");
  EXPECT_EQ(s.cells["D2"].text, "black");
  // Screen row 2: invalid, its numeric key shown as the sheet kept it, as text.
  EXPECT_EQ(s.cells["A3"].text, "2");
  EXPECT_EQ(s.cells["B3"].text, "2.1080219850612e+17");
  EXPECT_EQ(s.cells["B3"].type, "inlineStr");
  EXPECT_EQ(s.cells["D3"].text, "invalid");
  EXPECT_EQ(s.cells["M3"].text, std::string("key: ") + kNumericIdReason);
  Sheet summary = ReadSheet(r.body, 2);
  EXPECT_EQ(summary.cells["A3"].text, "hits");
  EXPECT_EQ(summary.cells["B3"].text, "4");
}

// Past --screen-xlsx-limit (1 MiB here): 413 before the body is read, and counted.
TEST_F(XlsxScreen, ScreenXlsxPastTheLimitIs413) {
  std::string body = ReadFile(SourcePath("tests/data/xlsx/screen.xlsx"));
  body.resize(size_t{2} << 20, ' ');
  HttpResponse r = server_->Post("/v1/screen", body, kXlsxType, token_);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("larger than 1 MiB"), std::string::npos) << r.body;
  HttpResponse m = server_->Get("/metrics");
  EXPECT_NE(m.body.find("credlist_screen_xlsx_too_large_total 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("credlist_screen_xlsx_limit_bytes 1048576\n"), std::string::npos);
}

// An all-digit USCC, a date and a masked ID number are text cells of the publication's .xlsx
// (a CSV opened in Excel shows 9.14403001922038E+17); export gives the same cells.
TEST(XlsxE2E, PublicationXlsxKeepsIdentifiersAndDatesAsText) {
  TempDir dir;
  WriteFile(
      dir.File("e.ndjson"),
      R"({"list":"black","category":"失信被执行人","subject_type":"legal_person","name":"深圳数字有限公司","uscc":"914403001922038216","legal_rep":"李四","department":"市中级人民法院","decided_on":"2026-04-10","valid_from":"2026-04-10","valid_until":"2029-04-10"})"
      "\n"
      R"({"list":"black","category":"失信被执行人","subject_type":"natural_person","name":"张三","id_type":"居民身份证","id_number":"210802198506120037","department":"市中级人民法院","decided_on":"2026-05-06","valid_from":"2026-05-06","valid_until":"2029-05-06"})"
      "\n");
  Output load = RunCli({"load", dir.File("e.ndjson"), "--data", dir.path()});
  ASSERT_EQ(load.status, 0) << load.err;
  Output csv = RunCli({"export", "--data", dir.path(), "--quarter", "2026Q2", "--list", "black"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  Server server(dir.path());
  HttpResponse r = server.Get("/v1/publications/2026Q2?list=black&format=xlsx");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], kXlsxType);
  EXPECT_EQ(r.headers["content-disposition"],
            "attachment; filename=\"publication-2026Q2-black.xlsx\"");
  Sheet s = ReadSheet(r.body, 1);
  EXPECT_EQ(s.frozen_at, "A2");
  // The header is the CSV's; find the columns by it.
  std::map<std::string, char> col;
  for (char c = 'A'; c <= 'N'; ++c) col[s.cells[std::string(1, c) + "1"].text] = c;
  ASSERT_TRUE(col.count("统一社会信用代码"));
  ASSERT_TRUE(col.count("认定日期"));
  ASSERT_TRUE(col.count("证件号码"));
  auto cell = [&](const char* header, int row) {
    return s.cells[std::string(1, col[header]) + std::to_string(row)];
  };
  EXPECT_EQ(cell("统一社会信用代码", 2).text, "914403001922038216");
  EXPECT_EQ(cell("统一社会信用代码", 2).type, "inlineStr");
  EXPECT_EQ(cell("认定日期", 2).text, "2026-04-10");
  EXPECT_EQ(cell("认定日期", 2).type, "inlineStr");
  EXPECT_EQ(cell("证件号码", 3).text, "210802********0037");  // masked as in the CSV
  EXPECT_EQ(cell("证件号码", 3).type, "inlineStr");
  EXPECT_NE(csv.out.find("210802********0037"), std::string::npos);
  EXPECT_EQ(csv.out.find("210802198506120037"), std::string::npos);
  // No cell anywhere is a number.
  for (const auto& [ref, c] : s.cells) EXPECT_EQ(c.type, "inlineStr") << ref;
  Sheet announcements = ReadSheet(r.body, 2);
  EXPECT_FALSE(announcements.cells["A1"].text.empty());

  Output x = RunCli({"export", "--data", dir.path(), "--quarter", "2026Q2", "--list", "black",
                     "--format", "xlsx", "--out", dir.File("p.xlsx")});
  ASSERT_EQ(x.status, 0) << x.err;
  Sheet exported = ReadSheet(ReadFile(dir.File("p.xlsx")), 1);
  HttpResponse bad = server.Get("/v1/publications/2026Q2?list=black&format=xls");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'xls' is not csv, json or xlsx"), std::string::npos) << bad.body;
  EXPECT_EQ(exported.cells.size(), s.cells.size());
  for (const auto& [ref, c] : s.cells) EXPECT_EQ(exported.cells[ref].text, c.text) << ref;
}

}  // namespace
}  // namespace credlist::e2e
