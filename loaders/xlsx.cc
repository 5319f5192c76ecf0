#include "loaders/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/date.h"

namespace credlist {
namespace {

constexpr size_t kReadBlock = 64 << 10;
constexpr char kNsSep = '\x01';  // expat joins a namespace URI and a local name with it

// The local part of an expat name ("uri\1row" → "row").
std::string_view Local(const XML_Char* name) {
  std::string_view s(name);
  const size_t sep = s.rfind(kNsSep);
  return sep == std::string_view::npos ? s : s.substr(sep + 1);
}

// The attribute with local name `want`, or empty.
std::string_view Attr(const XML_Char** attrs, std::string_view want) {
  for (int i = 0; attrs[i]; i += 2)
    if (Local(attrs[i]) == want) return attrs[i + 1];
  return {};
}

int ToInt(std::string_view s, int fallback) {
  int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() ? v : fallback;
}

// The handler of one XML part.
class PartHandler {
 public:
  virtual ~PartHandler() = default;
  virtual void Start(std::string_view name, const XML_Char** attrs) = 0;
  virtual void End(std::string_view name) = 0;
  virtual void Text(std::string_view text) {}
  // A stop asked by the handler (a callback's own error); parsing ends with it.
  Status stop;
};

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

class Workbook {
 public:
  explicit Workbook(zip_t* zip) : zip_(zip) {}

  bool Has(const std::string& part) const {
    return zip_name_locate(zip_.get(), part.c_str(), ZIP_FL_NOCASE) >= 0;
  }

  // Parses `part` with `h`, inflating it block by block.
  Status Parse(const std::string& part, PartHandler& h,
               const std::function<void(uint64_t, uint64_t)>& progress = {}) {
    const zip_int64_t index = zip_name_locate(zip_.get(), part.c_str(), ZIP_FL_NOCASE);
    if (index < 0) return Status::Invalid("file", "the workbook has no part " + part);
    zip_stat_t st;
    zip_stat_init(&st);
    const uint64_t total =
        zip_stat_index(zip_.get(), index, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    zip_file_t* f = zip_fopen_index(zip_.get(), index, 0);
    if (!f) return Status::Invalid("file", part + ": " + zip_strerror(zip_.get()));
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> close(f, zip_fclose);
    std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(
        XML_ParserCreateNS(nullptr, kNsSep), XML_ParserFree);
    XML_Parser p = parser.get();
    XML_SetUserData(p, &h);
    XML_SetElementHandler(
        p,
        [](void* u, const XML_Char* name, const XML_Char** attrs) {
          static_cast<PartHandler*>(u)->Start(Local(name), attrs);
        },
        [](void* u, const XML_Char* name) { static_cast<PartHandler*>(u)->End(Local(name)); });
    XML_SetCharacterDataHandler(p, [](void* u, const XML_Char* s, int len) {
      static_cast<PartHandler*>(u)->Text(std::string_view(s, static_cast<size_t>(len)));
    });
    auto block = std::make_unique<char[]>(kReadBlock);
    uint64_t done = 0;
    for (;;) {
      const zip_int64_t n = zip_fread(f, block.get(), kReadBlock);
      if (n < 0) return Status::Invalid("file", part + ": " + zip_file_strerror(f));
      const bool last = n == 0;
      if (XML_Parse(p, block.get(), static_cast<int>(n), last) == XML_STATUS_ERROR) {
        if (!h.stop.ok()) return h.stop;
        return Status::Invalid("file", part + ": malformed XML at line " +
                                           std::to_string(XML_GetCurrentLineNumber(p)) + ": " +
                                           XML_ErrorString(XML_GetErrorCode(p)));
      }
      if (!h.stop.ok()) return h.stop;
      done += static_cast<uint64_t>(n);
      if (progress) progress(done, total);
      if (last) return Status::Ok();
    }
  }

 private:
  ZipPtr zip_;
};

// xl/workbook.xml: the sheets in tab order and the date system.
class WorkbookPart : public PartHandler {
 public:
  struct Sheet {
    std::string name, rel_id;
  };
  std::vector<Sheet> sheets;
  bool date1904 = false;

  void Start(std::string_view name, const XML_Char** attrs) override {
    if (name == "sheet") {
      sheets.push_back({std::string(Attr(attrs, "name")), std::string(Attr(attrs, "id"))});
    } else if (name == "workbookPr") {
      const std::string_view v = Attr(attrs, "date1904");
      date1904 = v == "1" || v == "true";
    }
  }
  void End(std::string_view) override {}
};

// xl/_rels/workbook.xml.rels: relationship id → part.
class RelsPart : public PartHandler {
 public:
  std::unordered_map<std::string, std::string> targets;
  void Start(std::string_view name, const XML_Char** attrs) override {
    if (name == "Relationship")
      targets[std::string(Attr(attrs, "Id"))] = std::string(Attr(attrs, "Target"));
  }
  void End(std::string_view) override {}
};

// xl/sharedStrings.xml.
class SharedStringsPart : public PartHandler {
 public:
  std::vector<std::string> strings;
  void Start(std::string_view name, const XML_Char**) override {
    if (name == "si") {
      strings.emplace_back();
      in_si_ = true;
    } else if (name == "rPh") {
      in_phonetic_ = true;
    } else if (name == "t") {
      in_t_ = in_si_ && !in_phonetic_;
    }
  }
  void End(std::string_view name) override {
    if (name == "si") in_si_ = false;
    if (name == "rPh") in_phonetic_ = false;
    if (name == "t") in_t_ = false;
  }
  void Text(std::string_view s) override {
    if (in_t_) strings.back().append(s);
  }

 private:
  bool in_si_ = false, in_phonetic_ = false, in_t_ = false;
};

// xl/styles.xml: whether each cell format (the s of a cell) shows a date.
class StylesPart : public PartHandler {
 public:
  std::vector<bool> xf_is_date;
  void Start(std::string_view name, const XML_Char** attrs) override {
    if (name == "numFmt") {
      custom_[ToInt(Attr(attrs, "numFmtId"), -1)] = std::string(Attr(attrs, "formatCode"));
    } else if (name == "cellXfs") {
      in_cell_xfs_ = true;
    } else if (name == "xf" && in_cell_xfs_) {
      const int id = ToInt(Attr(attrs, "numFmtId"), 0);
      const auto it = custom_.find(id);
      xf_is_date.push_back(IsDateFormat(id, it == custom_.end() ? "" : it->second));
    }
  }
  void End(std::string_view name) override {
    if (name == "cellXfs") in_cell_xfs_ = false;
  }

 private:
  std::unordered_map<int, std::string> custom_;
  bool in_cell_xfs_ = false;
};

// "AB12" → 27 (0-based column), or -1.
int ColumnOf(std::string_view ref) {
  int col = 0;
  size_t i = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) col = col * 26 + (ref[i] - 'A' + 1);
  if (i == 0 || col > 16384) return -1;
  return col - 1;
}

std::string NumberText(double v) {
  char buf[40];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  // As Excel shows it: 15 significant digits (9.12108812811205e+17).
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 15);
  return std::string(buf, r.ptr);
}

// A worksheet, row by row.
class SheetPart : public PartHandler {
 public:
  SheetPart(const std::vector<std::string>& strings, const std::vector<bool>& date_xf,
            bool date1904, const XlsxRowFn& on_row)
      : strings_(strings), date_xf_(date_xf), date1904_(date1904), on_row_(on_row) {}

  void Start(std::string_view name, const XML_Char** attrs) override {
    if (name == "row") {
      const int r = ToInt(Attr(attrs, "r"), 0);
      row_ = r > 0 ? static_cast<uint64_t>(r) : row_ + 1;
      width_ = 0;
      next_col_ = 0;
    } else if (name == "c") {
      const int col = ColumnOf(Attr(attrs, "r"));
      col_ = col >= 0 ? col : next_col_;
      next_col_ = col_ + 1;
      type_ = Attr(attrs, "t");
      const int s = ToInt(Attr(attrs, "s"), 0);
      date_style_ = s >= 0 && static_cast<size_t>(s) < date_xf_.size() && date_xf_[s];
      value_.clear();
      in_value_ = in_inline_ = in_phonetic_ = false;
    } else if (name == "v") {
      in_value_ = true;
    } else if (name == "is") {
      in_inline_ = true;
    } else if (name == "rPh") {
      in_phonetic_ = true;
    } else if (name == "t" && in_inline_ && !in_phonetic_) {
      in_value_ = true;
    }
  }

  void End(std::string_view name) override {
    if (name == "v" || name == "t") {
      in_value_ = false;
    } else if (name == "rPh") {
      in_phonetic_ = false;
    } else if (name == "is") {
      in_inline_ = false;
    } else if (name == "c") {
      EndCell();
    } else if (name == "row") {
      EndRow();
    }
  }

  void Text(std::string_view s) override {
    if (in_value_) value_.append(s);
  }

 private:
  void Set(XlsxCellKind kind, std::string text) {
    if (static_cast<size_t>(col_) >= cells_.size()) {
      cells_.resize(col_ + 1);
      texts_.resize(col_ + 1);
    }
    for (size_t c = width_; c < static_cast<size_t>(col_); ++c)
      cells_[c].kind = XlsxCellKind::kEmpty;
    texts_[col_] = std::move(text);
    cells_[col_].kind = kind;
    width_ = std::max<size_t>(width_, col_ + 1);
  }

  void EndCell() {
    if (value_.empty()) return;  // <c r="B2" s="3"/>: formatted, but empty
    if (type_ == "s") {
      const int i = ToInt(value_, -1);
      if (i < 0 || static_cast<size_t>(i) >= strings_.size()) {
        stop = Status::Invalid("file", "row " + std::to_string(row_) + ": shared string " + value_ +
                                           " is not in the workbook's table");
        return;
      }
      Set(XlsxCellKind::kText, strings_[i]);
    } else if (type_ == "inlineStr" || type_ == "str") {
      Set(XlsxCellKind::kText, value_);
    } else if (type_ == "b") {
      Set(XlsxCellKind::kBool, value_ == "1" ? "TRUE" : "FALSE");
    } else if (type_ == "e") {
      Set(XlsxCellKind::kError, value_);
    } else if (type_ == "d") {
      Set(XlsxCellKind::kDate, value_.substr(0, 10));
    } else {
      double v = 0;
      auto r = std::from_chars(value_.data(), value_.data() + value_.size(), v);
      if (r.ec != std::errc()) {
        Set(XlsxCellKind::kText, value_);
        return;
      }
      if (date_style_) {
        std::string date = ExcelSerialDate(v, date1904_);
        if (!date.empty()) return Set(XlsxCellKind::kDate, std::move(date));
      }
      Set(XlsxCellKind::kNumber, NumberText(v));
    }
  }

  void EndRow() {
    bool any = false;
    for (size_t c = 0; c < width_; ++c) {
      cells_[c].text = cells_[c].kind == XlsxCellKind::kEmpty ? std::string_view() : texts_[c];
      any = any || !cells_[c].text.empty();
    }
    if (any) on_row_(row_, std::span<const XlsxCell>(cells_.data(), width_));
  }

  const std::vector<std::string>& strings_;
  const std::vector<bool>& date_xf_;
  const bool date1904_;
  const XlsxRowFn& on_row_;
  uint64_t row_ = 0;
  size_t width_ = 0;
  int col_ = 0, next_col_ = 0;
  std::string type_, value_;
  bool date_style_ = false, in_value_ = false, in_inline_ = false, in_phonetic_ = false;
  std::vector<XlsxCell> cells_;
  std::vector<std::string> texts_;
};

// "worksheets/sheet1.xml" (relative to xl/) or "/xl/worksheets/sheet1.xml" → the zip name.
std::string PartName(std::string_view target) {
  if (target.starts_with("/")) return std::string(target.substr(1));
  return "xl/" + std::string(target);
}

Status ReadWorkbook(zip_t* zip, const XlsxReadOptions& options, const XlsxRowFn& on_row) {
  Workbook book(zip);
  WorkbookPart wb;
  if (Status s = book.Parse("xl/workbook.xml", wb); !s.ok()) return s;
  if (wb.sheets.empty()) return Status::Invalid("file", "the workbook has no sheet");
  const WorkbookPart::Sheet* sheet = &wb.sheets.front();
  if (!options.sheet.empty()) {
    sheet = nullptr;
    std::string names;
    for (const auto& s : wb.sheets) {
      if (s.name == options.sheet) sheet = &s;
      names += (names.empty() ? "" : ", ") + s.name;
    }
    if (!sheet)
      return Status::Invalid("sheet", "the workbook has no sheet named '" + options.sheet +
                                          "' (its sheets: " + names + ")");
  }
  RelsPart rels;
  if (Status s = book.Parse("xl/_rels/workbook.xml.rels", rels); !s.ok()) return s;
  const auto target = rels.targets.find(sheet->rel_id);
  if (target == rels.targets.end())
    return Status::Invalid("file", "sheet '" + sheet->name + "' has no part in the workbook");
  SharedStringsPart strings;
  if (book.Has("xl/sharedStrings.xml"))
    if (Status s = book.Parse("xl/sharedStrings.xml", strings); !s.ok()) return s;
  StylesPart styles;
  if (book.Has("xl/styles.xml"))
    if (Status s = book.Parse("xl/styles.xml", styles); !s.ok()) return s;
  SheetPart rows(strings.strings, styles.xf_is_date, wb.date1904, on_row);
  return book.Parse(PartName(target->second), rows, options.progress);
}

Status ZipError(zip_error_t* error, std::string_view what) {
  std::string reason =
      std::string(what) + " is not an .xlsx workbook (a zip): " + zip_error_strerror(error);
  zip_error_fini(error);
  return Status::Invalid("file", std::move(reason));
}

}  // namespace

bool IsDateFormat(int id, std::string_view code) {
  if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
      (id >= 50 && id <= 58))
    return true;
  if (id < 164 && code.empty()) return false;
  // A y, m or d outside "quoted text", [brackets] (colours, locales, elapsed time), \escapes
  // and the character after _ or * (padding).
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') {
      const size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) return false;
      i = close;
    } else if (c == '[') {
      const size_t close = code.find(']', i + 1);
      if (close == std::string_view::npos) return false;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;
    } else if (c == 'y' || c == 'Y' || c == 'm' || c == 'M' || c == 'd' || c == 'D') {
      return true;
    }
  }
  return false;
}

std::string ExcelSerialDate(double serial, bool date1904) {
  if (!std::isfinite(serial) || serial < 0 || serial > 2958466) return {};
  const long days = static_cast<long>(std::floor(serial));
  Day day;
  if (date1904) {
    day = DayFromCivil(1904, 1, 1) + static_cast<Day>(days);
  } else {
    // Day 1 is 1900-01-01; Excel counts a 1900-02-29 (day 60) that never was.
    if (days < 1 || days == 60) return {};
    day = (days < 60 ? DayFromCivil(1899, 12, 31) : DayFromCivil(1899, 12, 30)) +
          static_cast<Day>(days);
  }
  return FormatDate(day);
}

Status ReadXlsx(std::string_view bytes, const XlsxReadOptions& options, const XlsxRowFn& on_row) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!src) return ZipError(&error, "the body");
  zip_t* zip = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (!zip) {
    zip_source_free(src);
    return ZipError(&error, "the body");
  }
  zip_error_fini(&error);
  return ReadWorkbook(zip, options, on_row);
}

Status ReadXlsxFile(const std::string& path, const XlsxReadOptions& options,
                    const XlsxRowFn& on_row) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!zip) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    return ZipError(&error, path);
  }
  return ReadWorkbook(zip, options, on_row);
}

}  // namespace credlist
