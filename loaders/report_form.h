// The 报送表 CSV loader: the seed's 附件 1 forms, 营口市“红名单”报送表（1） and
// 营口市“黑名单”报送表（2）, as a department fills them in Excel and saves them as CSV.
//
// Encoding: UTF-8 with or without a BOM, or GBK/GB18030 (loaders/encoding.h decides). In a
// file that is not UTF-8, a '?' in a name (企业名称, 姓名, 法定代表人) is what a GBK writer
// puts for a character it cannot encode (䶮, 𠮷): a warning in LoadReport::warnings naming the
// row and field, asking for GB18030 or UTF-8; with LoadOptions::strict, an error of the row.
// Layout: RFC 4180 CSV (loaders/csv.h). The header row is the first of the first 10 non-empty
// records that names at least two known columns; records above it (a title such as
// 营口市“黑名单”报送表(2)) are ignored. Header cells are matched after removing all whitespace
// (the seed prints "法定代 表人"), full-width forms, '*' marks and a trailing "(…)" note.
//
//   header                               field                  notes
//   红名单类型 / 黑名单类型 / 重点关注名单类型  category              the column used says the list
//   名单                                 list                   红/红名单/red, 黑/黑名单/black,
//                                                               重点关注/重点关注名单/watch
//   企业名称                              name
//   姓名                                  name                   when 企业名称 is empty
//   法定代表人                            legal_rep
//   法定代表人证件号码                     legal_rep_id_number    optional
//   统一社会信用代码                       uscc
//   工商注册登记号 (工商注册号)             reg_no
//   证件类型 / 证件号码                    id_type / id_number    a 证件类型 of 统一社会信用代码 or
//                                                               工商注册号 puts the number there
//   守信行为 / 违法失信行为                 conduct
//   获得奖励 / 处罚结果                    outcome
//   认定部门                              department             LoadOptions::department fills it
//   认定依据                              basis
//   认定日期                              decided_on             loaders/dates.h forms
//   有效期 / 处罚有效期                    valid_from, valid_until  loaders/dates.h forms
//   备忘录                                memoranda             ids split on 、，,；; or spaces
//
// Required columns: a list (a …类型 column or 名单), a name (企业名称 or 姓名), an identifier
// (统一社会信用代码, 工商注册登记号 or 证件号码) and 认定日期; a header without them, or with a
// column twice, is a whole-file error naming the column. Other columns (序号, 备注, …) are
// ignored, as are cells beyond the header's width.
//
// Rows: numbered by the physical line where they start (the header's line counts; a quoted
// cell with line breaks spans several lines). A row whose cells are all empty is skipped and
// not counted. Each row becomes EntryFields and goes through MakeEntry (engine/validate.h),
// which gives it a stable entry_id derived from its content. A bad row is reported with its
// line and, for every bad cell of it (not only the first: loaders/entry_errors.h), the API
// field and a reason that names the Chinese header; the other rows still load.
//
// The returned Status is an error for the whole file (unreadable, not UTF-8 nor GBK, no usable
// header, a quoted field never closed); entries already handed to the sink then belong to an
// incomplete load. LoadOptions::progress is called every few MiB. Files are read in blocks.
// Separate calls are independent; one call runs on the caller's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "loaders/load.h"

namespace credlist {

class FormReader;

// The form's rules applied to rows of cells from any source (the CSV reader above, a sheet of
// an .xlsx: loaders/xlsx_form.h): the header search, the columns, each row's validation.
// Add rows in order, each with the number reported in its errors (a CSV line, a sheet row);
// `numbers`, when not empty, flags the cells a spreadsheet stored as numbers: such a cell in an
// identifier column is rejected unless it is an integer of at most 15 digits (Excel keeps 15
// significant digits). Finish() gives the whole-file error, if any.
class ReportFormRows {
 public:
  ReportFormRows(const LoadOptions& options, const EntrySink& sink, LoadReport* report);
  ~ReportFormRows();
  void Add(uint64_t row, std::span<const std::string_view> cells,
           std::span<const bool> numbers = {});
  // False once a whole-file error (a bad header) stops the read: later rows are ignored.
  bool ok() const;
  Status Finish();

 private:
  std::unique_ptr<FormReader> form_;
};

Status LoadReportForm(std::string_view data, const LoadOptions& options, const EntrySink& sink,
                      LoadReport* report);

Status LoadReportFormFile(const std::string& path, const LoadOptions& options,
                          const EntrySink& sink, LoadReport* report);

}  // namespace credlist
