#include "formats/xlsx_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace credlist {

struct XlsxTableWriter::Impl {
  std::string path;
  lxw_workbook* book = nullptr;
  lxw_worksheet* sheet = nullptr;
  lxw_format* header = nullptr;
  lxw_format* text = nullptr;
  lxw_row_t row = 0;
  std::vector<double> widths;
  std::string scratch;  // a NUL-terminated copy of a cell
};

double DisplayWidth(std::string_view s) {
  double w = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += n == 1 ? 1 : n == 2 ? 1 : 2;  // Latin-1 and the like are narrow; CJK is wide
    i += n;
  }
  return w;
}

Result<std::unique_ptr<XlsxTableWriter>> XlsxTableWriter::Create() {
  std::unique_ptr<XlsxTableWriter> w(new XlsxTableWriter);
  w->impl_ = std::make_unique<Impl>();
  const char* dir = std::getenv("TMPDIR");
  std::string templ = std::string(dir && *dir ? dir : "/tmp") + "/credlist-xlsx-XXXXXX";
  const int fd = ::mkstemp(templ.data());
  if (fd < 0)
    return Status::Io("a temporary file for the .xlsx: " + std::string(std::strerror(errno)));
  ::close(fd);
  w->impl_->path = templ;
  lxw_workbook_options options = {};
  options.constant_memory = LXW_TRUE;  // rows go to disk as they come
  options.tmpdir = nullptr;
  w->impl_->book = workbook_new_opt(templ.c_str(), &options);
  if (!w->impl_->book) return Status::Io("cannot start an .xlsx workbook");
  w->impl_->header = workbook_add_format(w->impl_->book);
  format_set_bold(w->impl_->header);
  format_set_num_format(w->impl_->header, "@");
  w->impl_->text = workbook_add_format(w->impl_->book);
  format_set_num_format(w->impl_->text, "@");
  return w;
}

XlsxTableWriter::~XlsxTableWriter() {
  if (!impl_) return;
  if (impl_->book) workbook_close(impl_->book);  // frees it; the file is removed below
  if (!impl_->path.empty()) ::unlink(impl_->path.c_str());
}

void XlsxTableWriter::EndSheet() {
  Impl& m = *impl_;
  if (!m.sheet) return;
  for (size_t c = 0; c < m.widths.size(); ++c)
    worksheet_set_column(m.sheet, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                         std::clamp(m.widths[c] + 2, 6.0, 80.0), m.text);
  m.sheet = nullptr;
}

Status XlsxTableWriter::AddSheet(std::string_view name, std::span<const std::string_view> header) {
  Impl& m = *impl_;
  EndSheet();
  // At most 31 characters (not bytes), whole UTF-8 sequences.
  std::string cut;
  size_t chars = 0;
  for (size_t i = 0; i < name.size() && chars < 31; ++chars) {
    const auto c = static_cast<unsigned char>(name[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    cut.append(name.substr(i, n));
    i += n;
  }
  m.sheet = workbook_add_worksheet(m.book, cut.c_str());
  if (!m.sheet) return Status::Invalid("sheet", "cannot add a sheet named '" + cut + "'");
  m.row = 0;
  m.widths.assign(header.size(), 0);
  worksheet_freeze_panes(m.sheet, 1, 0);
  for (size_t c = 0; c < header.size(); ++c) {
    m.scratch.assign(header[c]);
    worksheet_write_string(m.sheet, 0, static_cast<lxw_col_t>(c), m.scratch.c_str(), m.header);
    m.widths[c] = DisplayWidth(header[c]);
  }
  m.row = 1;
  return Status::Ok();
}

Status XlsxTableWriter::AddRow(std::span<const std::string_view> cells) {
  Impl& m = *impl_;
  if (!m.sheet) return Status::Invalid("sheet", "a row before any sheet");
  if (m.row >= LXW_ROW_MAX)
    return Status::Make(StatusCode::kTooLarge, "", "more rows than a sheet holds");
  if (m.widths.size() < cells.size()) m.widths.resize(cells.size(), 0);
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].empty()) continue;
    m.scratch.assign(cells[c]);
    const lxw_error e = worksheet_write_string(m.sheet, m.row, static_cast<lxw_col_t>(c),
                                               m.scratch.c_str(), m.text);
    if (e != LXW_NO_ERROR) return Status::Io(std::string("writing a cell: ") + lxw_strerror(e));
    m.widths[c] = std::max(m.widths[c], DisplayWidth(cells[c]));
  }
  ++m.row;
  return Status::Ok();
}

Status XlsxTableWriter::Finish(std::string* out) {
  Impl& m = *impl_;
  EndSheet();
  const lxw_error e = workbook_close(m.book);
  m.book = nullptr;
  if (e != LXW_NO_ERROR) return Status::Io(std::string("writing the .xlsx: ") + lxw_strerror(e));
  const int fd = ::open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Io("reading the .xlsx back: " + std::string(std::strerror(errno)));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::Io("reading the .xlsx back: " + std::string(std::strerror(err)));
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::Ok();
}

}  // namespace credlist
