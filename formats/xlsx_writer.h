// XlsxTableWriter: tables of text written as an .xlsx workbook (libxlsxwriter), for the
// publication (GET /v1/publications/{q}?format=xlsx, `credlist export --format xlsx`) and the
// screen's result (POST /v1/screen with Accept: the xlsx type).
//
// Every cell is a TEXT cell (a string, in a column formatted as text, @): an identifier such as
// an all-digit USCC, a masked number or a date stays as written, where a CSV opened in Excel
// turns 912108812811205xxx into 9.12108812811205E+17 and loses digits. Each sheet has a bold
// header row, frozen, and columns as wide as their longest cell (a CJK character counts 2;
// at most 80). Sheets are written row by row in libxlsxwriter's constant-memory mode, to a
// temporary file (libxlsxwriter writes files, not buffers) that Finish reads back and removes.
//
// This module lives apart from engine/ (which depends on no outside library but its own) and
// loaders/ (which read). One writer per document, one thread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace credlist {

inline constexpr std::string_view kXlsxContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

class XlsxTableWriter {
 public:
  // A workbook on a temporary file in $TMPDIR (else /tmp).
  static Result<std::unique_ptr<XlsxTableWriter>> Create();
  ~XlsxTableWriter();

  // Starts a sheet (names longer than 31 characters are cut, as Excel requires).
  Status AddSheet(std::string_view name, std::span<const std::string_view> header);
  // One row of the current sheet; empty cells stay blank.
  Status AddRow(std::span<const std::string_view> cells);
  // Closes the workbook and appends its bytes to *out.
  Status Finish(std::string* out);

 private:
  XlsxTableWriter() = default;
  void EndSheet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How wide a cell shows: 1 per ASCII character, 2 per wider (CJK) one.
double DisplayWidth(std::string_view utf8);

}  // namespace credlist
