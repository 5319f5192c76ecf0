#include "formats/publication_xlsx.h"

#include <vector>

#include "formats/xlsx_writer.h"
#include "loaders/csv.h"
#include "loaders/encoding.h"

namespace credlist {
namespace {

// One CSV document as one sheet: its first record is the header.
Status CsvToSheet(std::string_view csv, std::string_view sheet, XlsxTableWriter& w) {
  CsvReader reader;
  Status status;
  bool header = true;
  std::vector<std::string_view> cells;
  const CsvReader::RecordFn on_record = [&](uint64_t, std::span<const std::string_view> f) {
    if (!status.ok()) return;
    status = header ? w.AddSheet(sheet, f) : w.AddRow(f);
    header = false;
  };
  if (Status s = reader.Feed(StripUtf8Bom(csv), on_record); !s.ok()) return s;
  if (Status s = reader.Finish(on_record); !s.ok()) return s;
  return status;
}

}  // namespace

Status WritePublicationXlsx(const PublicationSpec& spec, const PublicationCsvFn& csv,
                            std::string* out) {
  auto writer = XlsxTableWriter::Create();
  if (!writer.ok()) return writer.status();
  PublicationSpec part = spec;
  part.format = PublicationFormat::kCsv;
  if (spec.part != PublicationPart::kAnnouncements) {
    part.part = PublicationPart::kEntries;
    const auto doc = csv(part);
    if (Status s = CsvToSheet(*doc, spec.list == ListKind::kRed ? "红名单" : "黑名单", **writer);
        !s.ok())
      return s;
  }
  if (spec.part != PublicationPart::kEntries) {
    part.part = PublicationPart::kAnnouncements;
    const auto doc = csv(part);
    if (Status s = CsvToSheet(*doc, "退出公告", **writer); !s.ok()) return s;
  }
  return (*writer)->Finish(out);
}

std::string PublicationXlsxFilename(const PublicationSpec& spec) {
  return "publication-" + QuarterName(spec.quarter) + "-" +
         (spec.list == ListKind::kRed ? "red" : "black") + ".xlsx";
}

}  // namespace credlist
