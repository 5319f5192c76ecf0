// The quarterly publication (engine/publication.h) as an .xlsx workbook: the entries on a sheet
// named after the list (红名单 or 黑名单), the exit announcements (退出公告) on a second; with
// part=entries or part=announcements, that sheet alone.
//
// The cells are exactly those of the CSV form, masking included: the document is made by
// engine/publication.h as CSV (the same row builder, the same selection) and each CSV row
// becomes a row of text cells (formats/xlsx_writer.h). So the engine keeps no dependency on
// the xlsx library, and the two forms cannot disagree.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/publication.h"

namespace credlist {

// Gives the CSV document of a spec (a cache's, or WritePublication's).
using PublicationCsvFn = std::function<std::shared_ptr<const std::string>(const PublicationSpec&)>;

// `spec.format` is ignored (the parts are asked as CSV); the workbook is appended to *out.
Status WritePublicationXlsx(const PublicationSpec& spec, const PublicationCsvFn& csv,
                            std::string* out);
// "publication-2026Q3-red.xlsx"
std::string PublicationXlsxFilename(const PublicationSpec& spec);

}  // namespace credlist
