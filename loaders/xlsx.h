// An .xlsx workbook (Office Open XML, as Excel, WPS and LibreOffice save it) read as rows of
// cells, for the 报送表 loader (loaders/report_form.h) and the screen (server/screen.h).
//
// The zip is opened with libzip and each part is parsed with expat as it is inflated, so a
// sheet is never held whole: memory is the shared-string table plus one row. Read:
//   - xl/workbook.xml (sheet names, in tab order; the 1904 date system flag) and its rels (the
//     part of each sheet);
//   - xl/sharedStrings.xml (phonetic runs <rPh> are left out, rich-text runs joined);
//   - xl/styles.xml: which cell formats (cellXfs) show dates. A format is a date when its
//     numFmtId is a built-in date or time format (14-22, 45-47, and 27-36, 50-58 of the CJK
//     locales) or a custom format code with a y, m or d token outside quotes, brackets and
//     escapes ("yyyy年m月d日" is a date, "0.00" and "[Red]0" are not);
//   - the sheet: cells of type s (shared string), inlineStr, str (a formula's text), n (number,
//     the default), b (boolean, TRUE/FALSE), d (ISO 8601 text) and e (an error such as #N/A).
// A number in a date format is a date whatever the format shows: it is given as YYYY-MM-DD
// (the day of its serial, any time of day dropped). Other numbers are given as the shortest
// text that reads back to the same double, integers below 10^15 without exponent.
//
// Rows are numbered as the sheet does (1-based, the r attribute of <row>; rows the file leaves
// out are rows of empty cells and are not passed). Cells are placed by their reference (A1,
// AB7), so a row's span has an entry for every column up to its last non-empty cell.
//
// Errors (Status, field "file" or "sheet"): not a zip, a missing part, malformed XML, a sheet
// name not in the workbook (the names found are listed). Rows already passed then belong to
// an incomplete read. One call is independent of another; a call runs on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

enum class XlsxCellKind : uint8_t { kEmpty, kText, kNumber, kDate, kBool, kError };

struct XlsxCell {
  XlsxCellKind kind = XlsxCellKind::kEmpty;
  std::string_view text;  // as described above; valid during the callback only
};

struct XlsxReadOptions {
  std::string sheet;  // a sheet's name; empty: the first sheet in tab order
  // Called with the sheet's compressed bytes read and their total, now and then. May be empty.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// row: the sheet's 1-based row number.
using XlsxRowFn = std::function<void(uint64_t row, std::span<const XlsxCell> cells)>;

// A workbook held in memory (an HTTP body).
Status ReadXlsx(std::string_view bytes, const XlsxReadOptions& options, const XlsxRowFn& on_row);
// A workbook file.
Status ReadXlsxFile(const std::string& path, const XlsxReadOptions& options,
                    const XlsxRowFn& on_row);

// Whether bytes start as a zip file (PK\3\4), which is how an .xlsx starts.
inline bool LooksLikeZip(std::string_view head) { return head.starts_with("PK\x03\x04"); }

// The date of an Excel serial day number (1900 system, with its phantom 1900-02-29; or the 1904
// system), as YYYY-MM-DD; empty when out of range.
std::string ExcelSerialDate(double serial, bool date1904);
// Whether a number format shows a date (see above).
bool IsDateFormat(int num_fmt_id, std::string_view format_code);

}  // namespace credlist
