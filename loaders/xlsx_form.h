// The 报送表 as an .xlsx workbook: one sheet's rows (loaders/xlsx.h) through the form's rules
// (ReportFormRows, loaders/report_form.h), so that a sheet and its CSV load the same entries.
//
// The sheet: the first in tab order, or the one named by `sheet`. Rows are numbered as Excel
// shows them (the sheet's 1-based row numbers, title rows included). A date cell becomes the
// date it shows, whatever its number format; a number in an identifier column is rejected
// unless it is an integer of at most 15 digits (report_form.h). Errors as LoadReportForm's,
// plus the workbook's own (not a zip, no such sheet: field file or sheet).
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"
#include "loaders/load.h"

namespace credlist {

Status LoadReportFormXlsx(std::string_view bytes, const std::string& sheet,
                          const LoadOptions& options, const EntrySink& sink, LoadReport* report);
Status LoadReportFormXlsxFile(const std::string& path, const std::string& sheet,
                              const LoadOptions& options, const EntrySink& sink,
                              LoadReport* report);

}  // namespace credlist
