#include "loaders/xlsx_form.h"

#include <memory>
#include <vector>

#include "loaders/report_form.h"
#include "loaders/xlsx.h"

namespace credlist {
namespace {

// Hands each sheet row to the form as text cells, flagging the numbers.
class SheetToForm {
 public:
  SheetToForm(const LoadOptions& options, const EntrySink& sink, LoadReport* report)
      : form_(options, sink, report) {}

  XlsxRowFn fn() {
    return [this](uint64_t row, std::span<const XlsxCell> cells) {
      if (!form_.ok()) return;
      texts_.clear();
      if (cells.size() > flags_size_) {
        flags_ = std::make_unique<bool[]>(cells.size());  // std::vector<bool> has no span
        flags_size_ = cells.size();
      }
      for (size_t i = 0; i < cells.size(); ++i) {
        texts_.push_back(cells[i].text);
        flags_[i] = cells[i].kind == XlsxCellKind::kNumber;
      }
      form_.Add(row, texts_, std::span<const bool>(flags_.get(), cells.size()));
    };
  }
  // The read's error, else the form's (no usable header).
  Status Finish(const Status& read) {
    if (!read.ok()) return form_.ok() ? read : form_.Finish();
    return form_.Finish();
  }

 private:
  ReportFormRows form_;
  std::vector<std::string_view> texts_;
  std::unique_ptr<bool[]> flags_;
  size_t flags_size_ = 0;
};

}  // namespace

Status LoadReportFormXlsx(std::string_view bytes, const std::string& sheet,
                          const LoadOptions& options, const EntrySink& sink, LoadReport* report) {
  SheetToForm reader(options, sink, report);
  XlsxReadOptions xo{.sheet = sheet, .progress = options.progress};
  return reader.Finish(ReadXlsx(bytes, xo, reader.fn()));
}

Status LoadReportFormXlsxFile(const std::string& path, const std::string& sheet,
                              const LoadOptions& options, const EntrySink& sink,
                              LoadReport* report) {
  SheetToForm reader(options, sink, report);
  XlsxReadOptions xo{.sheet = sheet, .progress = options.progress};
  return reader.Finish(ReadXlsxFile(path, xo, reader.fn()));
}

}  // namespace credlist
