// The .xlsx reader and the 报送表 read from a workbook: real files made by LibreOffice
// (tests/data/xlsx/README.md), checked against what a person reads in them.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/ids.h"
#include "loaders/report_form.h"
#include "loaders/sniff.h"
#include "loaders/xlsx.h"
#include "loaders/xlsx_form.h"

namespace credlist {
namespace {

std::string Source(const std::string& relative) {
  return std::string(CREDLIST_SOURCE_DIR) + "/" + relative;
}

struct Loaded {
  Status status;
  LoadReport report;
  std::vector<Entry> entries;
};

Loaded LoadXlsx(const std::string& path, const std::string& sheet = "") {
  Loaded l;
  l.status = LoadReportFormXlsxFile(
      Source(path), sheet, {}, [&l](Entry&& e) { l.entries.push_back(std::move(e)); }, &l.report);
  return l;
}

std::string Until(Day d) { return d == kForever ? "open" : FormatDate(d); }

TEST(Xlsx, DateFormatsBuiltinAndCustom) {
  for (int id : {14, 15, 17, 22, 27, 31, 36, 45, 47, 50, 57, 58}) EXPECT_TRUE(IsDateFormat(id, ""));
  for (int id : {0, 1, 2, 10, 11, 12, 37, 44, 49, 59}) EXPECT_FALSE(IsDateFormat(id, ""));
  EXPECT_TRUE(IsDateFormat(166, "yyyy/m/d"));
  EXPECT_TRUE(IsDateFormat(167, "yyyy\\年m\\月d\\日"));
  EXPECT_TRUE(IsDateFormat(168, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"));
  EXPECT_FALSE(IsDateFormat(164, "General"));
  EXPECT_FALSE(IsDateFormat(165, "0.00_);[Red]\\(0.00\\)"));
  EXPECT_FALSE(IsDateFormat(169, "\"day\"0"));  // d inside quotes
  EXPECT_FALSE(IsDateFormat(170, "[Red]0"));    // d inside brackets
  EXPECT_FALSE(IsDateFormat(171, "0\\d"));      // an escaped d
}

TEST(Xlsx, SerialDatesCountExcelsPhantomLeapDay) {
  EXPECT_EQ(ExcelSerialDate(1, false), "1900-01-01");
  EXPECT_EQ(ExcelSerialDate(59, false), "1900-02-28");
  EXPECT_EQ(ExcelSerialDate(60, false), "");  // 1900-02-29, which never was
  EXPECT_EQ(ExcelSerialDate(61, false), "1900-03-01");
  EXPECT_EQ(ExcelSerialDate(45717, false), "2025-03-01");
  EXPECT_EQ(ExcelSerialDate(45717.75, false), "2025-03-01");  // a time of day is dropped
  EXPECT_EQ(ExcelSerialDate(0, true), "1904-01-01");
  EXPECT_EQ(ExcelSerialDate(0, false), "");
}

TEST(Xlsx, SniffDecidesByContentNotName) {
  EXPECT_EQ(SniffFormat("PK\x03\x04rest"), InputFormat::kXlsx);
  EXPECT_EQ(SniffFormat("{\"list\":\"red\"}\n"), InputFormat::kNdjson);
  EXPECT_EQ(SniffFormat("\xEF\xBB\xBF \r\n {\"a\":1}"), InputFormat::kNdjson);
  EXPECT_EQ(SniffFormat("\xEF\xBB\xBF黑名单类型,企业名称\r\n"), InputFormat::kCsv);
  EXPECT_EQ(SniffFormat(""), InputFormat::kCsv);
  EXPECT_EQ(*SniffFileFormat(Source("tests/data/xlsx/report_form.xlsx")), InputFormat::kXlsx);
  EXPECT_EQ(*SniffFileFormat(Source("data/sample_report_form.csv")), InputFormat::kCsv);
  EXPECT_EQ(*SniffFileFormat(Source("data/sample.ndjson")), InputFormat::kNdjson);
}

// Sheet 红名单: a title row, a header with Alt+Enter breaks (统一社会⏎信用代码), 序号, date
// cells in yyyy/m/d and yyyy年m月d日 formats, a 15-digit 工商注册号 kept as a number (it
// survives), an 18-digit USCC kept as a number (rejected), a bad text date, and a row with only
// its 序号.
TEST(Xlsx, ReportFormSheetEntriesAndRejectedRowsByExcelRow) {
  Loaded l = LoadXlsx("tests/data/xlsx/report_form.xlsx");
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.report.rows, 6u);
  EXPECT_EQ(l.report.loaded, 3u);
  ASSERT_EQ(l.entries.size(), 3u);
  const Entry& a = l.entries[0];  // row 3
  EXPECT_EQ(a.list, ListKind::kRed);
  EXPECT_EQ(a.category, "A级纳税人");
  EXPECT_EQ(a.name, "营口鑫盛达商贸有限公司");
  EXPECT_EQ(FormatKey(a.uscc), "91210802MA0Y3K201T");
  EXPECT_EQ(FormatKey(a.reg_no), "210802100000004");  // a number cell of 15 digits
  EXPECT_EQ(FormatDate(a.decided_on), "2025-03-01");  // a date cell shown as 2025/3/1
  EXPECT_EQ(Until(a.valid_until), "2028-03-01");      // 3年
  const Entry& b = l.entries[1];                      // row 4
  EXPECT_EQ(b.name, "营口港润物流有限公司");
  EXPECT_EQ(FormatKey(b.reg_no), "210803100079198");
  EXPECT_EQ(FormatDate(b.decided_on), "2025-04-15");  // text 2025年4月15日
  EXPECT_EQ(Until(b.valid_until), "2028-04-15");      // a date cell 2028年4月14日, the last day
  const Entry& c = l.entries[2];                      // row 8
  EXPECT_EQ(c.category, "诚信示范企业");
  EXPECT_EQ(FormatKey(c.reg_no), "210881100316767");
  EXPECT_EQ(FormatDate(c.decided_on), "2025-07-01");
  EXPECT_EQ(Until(c.valid_until), "open");  // 长期

  // Every bad cell of a row is reported: row 7 has neither a name, nor an identifier, nor a date.
  ASSERT_EQ(l.report.errors.size(), 5u);
  EXPECT_EQ(l.report.errors[0].row, 5u);
  EXPECT_EQ(l.report.errors[0].field, "uscc");
  EXPECT_EQ(l.report.errors[0].reason,
            "统一社会信用代码: '9.12108812811205e+17' is a number in the sheet, and Excel keeps "
            "only 15 significant digits of a number: its digits may be lost; format the column "
            "as text (文本) and enter the identifiers again from the original records");
  EXPECT_EQ(l.report.errors[1].row, 6u);
  EXPECT_EQ(l.report.errors[1].field, "decided_on");
  EXPECT_NE(l.report.errors[1].reason.find("认定日期: '2025-13-01'"), std::string::npos)
      << l.report.errors[1].reason;
  EXPECT_EQ(l.report.errors[2].row, 7u);
  EXPECT_EQ(l.report.errors[2].field, "name");
  EXPECT_EQ(l.report.errors[2].reason, "企业名称: is empty");
  EXPECT_EQ(l.report.errors[3].row, 7u);
  EXPECT_EQ(l.report.errors[3].field, "uscc");
  EXPECT_EQ(l.report.errors[4].row, 7u);
  EXPECT_EQ(l.report.errors[4].field, "decided_on");
  EXPECT_EQ(l.report.errors[4].reason, "认定日期: is empty");
}

// Sheet 黑名单: a 名单 column (黑, 黑名单) and no title row.
TEST(Xlsx, SecondSheetByNameWithListColumn) {
  Loaded l = LoadXlsx("tests/data/xlsx/report_form.xlsx", "黑名单");
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.report.rejected, 0u);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].list, ListKind::kBlack);
  EXPECT_EQ(FormatKey(l.entries[0].uscc), "91210804MA10B4N22Q");
  EXPECT_EQ(FormatDate(l.entries[0].decided_on), "2025-05-20");
  EXPECT_EQ(Until(l.entries[0].valid_until), "2028-05-20");
  EXPECT_EQ(l.entries[1].list, ListKind::kBlack);
  EXPECT_EQ(FormatDate(l.entries[1].decided_on), "2024-11-18");
  EXPECT_EQ(Until(l.entries[1].valid_until), "open");
}

TEST(Xlsx, UnknownSheetNamesTheSheets) {
  Loaded l = LoadXlsx("tests/data/xlsx/report_form.xlsx", "Sheet9");
  EXPECT_EQ(l.status.field(), "sheet");
  EXPECT_EQ(l.status.reason(),
            "the workbook has no sheet named 'Sheet9' (its sheets: 红名单, 黑名单)");
}

TEST(Xlsx, NotAZipIsAWholeFileError) {
  Loaded l;
  l.status = LoadReportFormXlsx(
      "PK\x03\x04 not really", "", {}, [](Entry&&) {}, &l.report);
  EXPECT_FALSE(l.status.ok());
  EXPECT_EQ(l.status.field(), "file");
}

// data/sample_report_form.csv converted by LibreOffice (its dates became date cells, its
// 工商注册登记号 numbers): the same entries, the same entry_ids, as the CSV.
TEST(Xlsx, WorkbookFromCsvLoadsTheSameEntriesAsTheCsv) {
  Loaded x = LoadXlsx("tests/data/xlsx/sample_report_form.xlsx");
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  Loaded c;
  c.status = LoadReportFormFile(
      Source("data/sample_report_form.csv"), {},
      [&c](Entry&& e) { c.entries.push_back(std::move(e)); }, &c.report);
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(x.report.rejected, 0u);
  ASSERT_EQ(x.entries.size(), c.entries.size());
  ASSERT_EQ(x.entries.size(), 16u);
  for (size_t i = 0; i < x.entries.size(); ++i) {
    EXPECT_EQ(x.entries[i].entry_id, c.entries[i].entry_id) << i;
    EXPECT_EQ(x.entries[i].decided_on, c.entries[i].decided_on) << i;
    EXPECT_EQ(x.entries[i].valid_until, c.entries[i].valid_until) << i;
    EXPECT_EQ(x.entries[i].reg_no, c.entries[i].reg_no) << i;
  }
}

}  // namespace
}  // namespace credlist
