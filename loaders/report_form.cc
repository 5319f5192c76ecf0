#include "loaders/report_form.h"

#include "loaders/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/validate.h"
#include "loaders/csv.h"
#include "loaders/dates.h"
#include "loaders/encoding.h"
#include "loaders/entry_errors.h"

namespace credlist {
namespace {

constexpr size_t kBlockBytes = size_t{4} << 20;  // read, and progress, this much at a time
constexpr int kHeaderSearchRecords = 10;

// The logical columns of a row.
enum Col : int {
  kCategory,
  kList,
  kOrgName,
  kPersonName,
  kLegalRep,
  kLegalRepId,
  kUscc,
  kRegNo,
  kIdType,
  kIdNumber,
  kConduct,
  kOutcome,
  kDepartment,
  kBasis,
  kDecidedOn,
  kValidity,
  kMemoranda,
  kCols,
};

struct HeaderDef {
  std::string_view header;
  Col col;
  int list;  // the ListKind a category column implies; -1 for other columns
};

constexpr int kNoList = -1;
constexpr int kRed = static_cast<int>(ListKind::kRed);
constexpr int kBlack = static_cast<int>(ListKind::kBlack);
constexpr int kWatch = static_cast<int>(ListKind::kWatch);

constexpr std::array<HeaderDef, 23> kHeaders = {{
    {"红名单类型", kCategory, kRed},         {"黑名单类型", kCategory, kBlack},
    {"重点关注名单类型", kCategory, kWatch}, {"名单", kList, kNoList},
    {"企业名称", kOrgName, kNoList},         {"姓名", kPersonName, kNoList},
    {"法定代表人", kLegalRep, kNoList},      {"法定代表人证件号码", kLegalRepId, kNoList},
    {"统一社会信用代码", kUscc, kNoList},    {"工商注册登记号", kRegNo, kNoList},
    {"工商注册号", kRegNo, kNoList},         {"证件类型", kIdType, kNoList},
    {"证件号码", kIdNumber, kNoList},        {"守信行为", kConduct, kNoList},
    {"违法失信行为", kConduct, kNoList},     {"获得奖励", kOutcome, kNoList},
    {"处罚结果", kOutcome, kNoList},         {"认定部门", kDepartment, kNoList},
    {"认定依据", kBasis, kNoList},           {"认定日期", kDecidedOn, kNoList},
    {"有效期", kValidity, kNoList},          {"处罚有效期", kValidity, kNoList},
    {"备忘录", kMemoranda, kNoList},
}};

// The API field of each logical column, and the header named when a row lacks the column.
constexpr std::array<std::string_view, kCols> kColField = {
    "category",   "list",   "name",       "name",        "legal_rep", "legal_rep_id_number",
    "uscc",       "reg_no", "id_type",    "id_number",   "conduct",   "outcome",
    "department", "basis",  "decided_on", "valid_until", "memoranda"};
constexpr std::array<std::string_view, kCols> kColHeader = {"名单类型",
                                                            "名单",
                                                            "企业名称",
                                                            "姓名",
                                                            "法定代表人",
                                                            "法定代表人证件号码",
                                                            "统一社会信用代码",
                                                            "工商注册登记号",
                                                            "证件类型",
                                                            "证件号码",
                                                            "守信行为/违法失信行为",
                                                            "获得奖励/处罚结果",
                                                            "认定部门",
                                                            "认定依据",
                                                            "认定日期",
                                                            "有效期",
                                                            "备忘录"};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The length of a Unicode space at the start of `s` (ASCII, U+3000, U+00A0), or 0.
size_t SpaceAt(std::string_view s) {
  if (s.empty()) return 0;
  if (IsAsciiSpace(s[0])) return 1;
  if (s.starts_with("\xE3\x80\x80")) return 3;
  if (s.starts_with("\xC2\xA0")) return 2;
  return 0;
}

std::string_view TrimCell(std::string_view s) {
  while (size_t n = SpaceAt(s)) s.remove_prefix(n);
  for (;;) {
    if (!s.empty() && IsAsciiSpace(s.back())) {
      s.remove_suffix(1);
    } else if (s.ends_with("\xE3\x80\x80")) {
      s.remove_suffix(3);
    } else if (s.ends_with("\xC2\xA0")) {
      s.remove_suffix(2);
    } else {
      return s;
    }
  }
}

// A header cell as matched: no whitespace anywhere, full-width forms as ASCII, no '*' marks,
// no trailing "(…)" note.
std::string NormalizeHeader(std::string_view cell) {
  std::string s = NormalizeFormText(cell);
  std::string out;
  out.reserve(s.size());
  std::string_view rest = s;
  while (!rest.empty()) {
    if (size_t n = SpaceAt(rest)) {
      rest.remove_prefix(n);
      continue;
    }
    if (rest.starts_with(kUtf8Bom)) {  // U+FEFF, left by a conversion
      rest.remove_prefix(kUtf8Bom.size());
      continue;
    }
    if (rest[0] != '*') out.push_back(rest[0]);
    rest.remove_prefix(1);
  }
  if (out.ends_with(')')) {
    if (size_t open = out.rfind('('); open != std::string::npos && open > 0) out.resize(open);
  }
  return out;
}

const HeaderDef* FindHeader(std::string_view normalized) {
  for (const HeaderDef& h : kHeaders)
    if (h.header == normalized) return &h;
  return nullptr;
}

std::optional<ListKind> ParseListCell(std::string_view s) {
  static constexpr std::pair<std::string_view, ListKind> kNames[] = {
      {"红", ListKind::kRed},         {"红名单", ListKind::kRed},
      {"red", ListKind::kRed},        {"黑", ListKind::kBlack},
      {"黑名单", ListKind::kBlack},   {"black", ListKind::kBlack},
      {"重点关注", ListKind::kWatch}, {"重点关注名单", ListKind::kWatch},
      {"watch", ListKind::kWatch},
  };
  std::string lower(s);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const auto& [name, kind] : kNames)
    if (lower == name) return kind;
  return std::nullopt;
}

// "9.14403E+17": what Excel shows, and saves, for a long number in a General cell.
bool LooksScientific(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i >= s.size() || (s[i] != 'E' && s[i] != 'e')) return false;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  return digits() && i == s.size();
}

// An integer of at most 15 digits: a number Excel keeps exactly (a 15-digit 工商注册号).
bool IsShortInteger(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Splits a 备忘录 cell on 、，,；; and spaces.
void SplitMemoranda(std::string_view s, std::vector<std::string_view>* out) {
  static constexpr std::string_view kSeparators[] = {"、", "，", "；", "\xE3\x80\x80",
                                                     ",",  ";",  " ",  "\t"};
  size_t start = 0, i = 0;
  while (i < s.size()) {
    size_t sep = 0;
    for (std::string_view p : kSeparators) {
      if (s.substr(i).starts_with(p)) {
        sep = p.size();
        break;
      }
    }
    if (sep == 0) {
      ++i;
      continue;
    }
    if (i > start) out->push_back(s.substr(start, i - start));
    i += sep;
    start = i;
  }
  if (i > start) out->push_back(s.substr(start, i - start));
}

// A physical column the header names.
struct Column {
  size_t index;        // 0-based position in the row
  std::string header;  // as written, normalised
  const HeaderDef* def;
};

// A row's value for a logical column: the first non-empty cell of its columns.
struct Cell {
  std::string_view text;
  const Column* from = nullptr;  // nullptr when the file has no such column
  bool number = false;           // a spreadsheet kept it as a number
};

}  // namespace

// Named (not in the anonymous namespace) so that ReportFormRows can hold one.
class FormReader {
 public:
  FormReader(const LoadOptions& options, const EntrySink& sink, LoadReport* report)
      : options_(options), sink_(sink), report_(report) {}

  // The encoding the rows were decoded from, once known (before the first row: the header
  // holds non-ASCII text, which decides it).
  void SetEncoding(TextEncoding encoding) {
    not_utf8_ = encoding != TextEncoding::kUtf8 && encoding != TextEncoding::kUnknown;
  }

  // Whether rows are still wanted (no whole-file error so far).
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // `numbers` (empty, or one flag per cell) says which cells a spreadsheet stored as numbers.
  void Record(uint64_t line, std::span<const std::string_view> cells,
              std::span<const bool> numbers = {}) {
    if (!status_.ok()) return;
    bool any = false;
    for (std::string_view c : cells) any = any || !TrimCell(c).empty();
    if (!any) return;
    if (header_found_) {
      numbers_ = numbers;
      Row(line, cells);
      return;
    }
    ++records_seen_;
    std::vector<std::string> headers;
    int known = 0;
    for (std::string_view c : cells) {
      headers.push_back(NormalizeHeader(c));
      if (FindHeader(headers.back())) ++known;
    }
    if (first_line_ == 0) {
      first_line_ = line;
      first_headers_ = headers;
    }
    if (known >= 2) {
      status_ = SetHeader(line, headers);
      header_found_ = status_.ok();
    } else if (records_seen_ >= kHeaderSearchRecords) {
      status_ = NoHeader();
    }
  }

  // Ends the file: an error when it had no usable header.
  Status Finish() {
    if (status_.ok() && !header_found_) status_ = NoHeader();
    return status_;
  }

 private:
  Status NoHeader() {
    if (first_line_ == 0) return Status::Invalid("", "the file has no header row (it is empty)");
    // Report what the first row, the likeliest header, lacks.
    Status s = SetHeader(first_line_, first_headers_);
    if (!s.ok())
      return Status::Invalid(s.field(), "no header row found in the first " +
                                            std::to_string(kHeaderSearchRecords) + " rows; " +
                                            s.reason());
    return Status::Invalid("", "no header row found");
  }

  Status SetHeader(uint64_t line, const std::vector<std::string>& headers) {
    for (auto& c : columns_) c.clear();
    std::vector<size_t> seen(kHeaders.size(), SIZE_MAX);
    for (size_t i = 0; i < headers.size(); ++i) {
      const HeaderDef* def = FindHeader(headers[i]);
      if (!def) continue;  // unknown columns are ignored
      size_t& first = seen[static_cast<size_t>(def - kHeaders.data())];
      if (first != SIZE_MAX)
        return Status::Invalid(std::string(kColField[def->col]),
                               "the header (line " + std::to_string(line) + ") has " +
                                   std::string(def->header) + " twice (columns " +
                                   std::to_string(first + 1) + " and " + std::to_string(i + 1) +
                                   ")");
      first = i;
      columns_[def->col].push_back(Column{i, headers[i], def});
    }
    std::string missing;
    std::string field;
    auto require = [&](bool present, std::string_view f, std::string_view what) {
      if (present) return;
      if (field.empty()) field = f;
      if (!missing.empty()) missing += "; ";
      missing += what;
    };
    require(!columns_[kCategory].empty() || !columns_[kList].empty(), "list",
            "红名单类型, 黑名单类型 or 名单 (which list the rows are on)");
    require(!columns_[kOrgName].empty() || !columns_[kPersonName].empty(), "name",
            "企业名称 or 姓名");
    require(!columns_[kUscc].empty() || !columns_[kRegNo].empty() || !columns_[kIdNumber].empty(),
            "uscc", "统一社会信用代码, 工商注册登记号 or 证件号码");
    require(!columns_[kDecidedOn].empty(), "decided_on", "认定日期");
    if (!missing.empty())
      return Status::Invalid(
          field, "the header (line " + std::to_string(line) + ") has no column " + missing);
    return Status::Ok();
  }

  Cell Get(Col col, std::span<const std::string_view> cells) const {
    Cell cell;
    for (const Column& c : columns_[col]) {
      if (!cell.from) cell.from = &c;
      if (c.index >= cells.size()) continue;
      const std::string_view text = TrimCell(cells[c.index]);
      if (!text.empty()) return Cell{text, &c, c.index < numbers_.size() && numbers_[c.index]};
    }
    return cell;
  }

  // The header of `col` as this file writes it.
  std::string_view HeaderOf(Col col) const {
    if (used_[col]) return used_[col]->header;
    if (!columns_[col].empty()) return columns_[col].front().header;
    return kColHeader[col];
  }

  // An error of the current row, in the column `col`: the row is rejected at its end, with
  // every error found.
  void Bad(uint64_t line, std::string_view field, Col col, const std::string& reason) {
    BadField(line, field, std::string(HeaderOf(col)) + ": " + reason);
  }
  void BadField(uint64_t line, std::string_view field, std::string reason) {
    row_errors_.push_back({line, std::string(field), std::move(reason)});
    replaced_.push_back(field);  // callers pass static names: literals or kColField
  }

  // The column an API field of MakeEntry's errors comes from.
  Col ColOfField(std::string_view field) const {
    if (field == "name") return used_[kPersonName] && !used_[kOrgName] ? kPersonName : kOrgName;
    if (field == "valid_from") return kValidity;
    if (field == "list") return columns_[kList].empty() ? kCategory : kList;
    for (int c = 0; c < kCols; ++c)
      if (kColField[c] == field) return static_cast<Col>(c);
    return kCols;
  }

  // A '?' in a name of a file that is not UTF-8: what a GBK writer puts for a character it
  // cannot encode (a 生僻字 such as 䶮). A warning, or with LoadOptions::strict an error.
  void CheckLostCharacters(uint64_t line, Col col, std::string_view text) {
    if (!not_utf8_) return;
    const auto marks = std::count(text.begin(), text.end(), '?');
    if (marks == 0) return;
    const std::string reason =
        std::string(HeaderOf(col)) + ": '" + std::string(text) + "' has " +
        (marks == 1 ? std::string("a '?'") : std::to_string(marks) + " '?'") +
        ", which is what a GBK writer puts for a character it cannot encode (a rare character "
        "such as 䶮); save the file as GB18030 or UTF-8 (CSV UTF-8) to keep the name";
    if (options_.strict)
      BadField(line, kColField[col], reason);
    else
      report_->Warn(line, std::string(kColField[col]), reason);
  }

  // One row of cells, validated; a function of the cells alone (with the header, and the
  // encoding they were decoded from), whatever they were read from. Every bad cell is reported, not
  // only the first: a cell found bad is replaced by a valid stand-in (loaders/entry_errors.h) so
  // that the other cells are still checked, by this function and by MakeEntry.
  void Row(uint64_t line, std::span<const std::string_view> cells) {
    ++report_->rows;
    std::vector<std::string_view> memoranda = std::move(fields_.memoranda);
    memoranda.clear();
    fields_ = EntryFields{};
    fields_.memoranda = std::move(memoranda);
    row_errors_.clear();
    replaced_.clear();
    Cell cell[kCols];
    for (int c = 0; c < kCols; ++c) {
      cell[c] = Get(static_cast<Col>(c), cells);
      used_[c] = cell[c].text.empty() ? nullptr : cell[c].from;
    }

    // The list: 名单 where given, else the …类型 column the category is in.
    std::optional<ListKind> list;
    bool list_bad = false;
    if (!cell[kList].text.empty()) {
      list = ParseListCell(cell[kList].text);
      if (!list) {
        Bad(line, "list", kList,
            "'" + std::string(cell[kList].text) +
                "' is not 红, 黑 or 重点关注 (red, black, watch)");
        list_bad = true;
      }
    }
    if (const Column* from = used_[kCategory]) {
      const auto implied = static_cast<ListKind>(from->def->list);
      if (list && *list != implied) {
        Bad(line, "list", kList,
            "'" + std::string(cell[kList].text) + "' contradicts the category's column " +
                from->header);
        list_bad = true;
      }
      list = implied;
    }
    if (!list && columns_[kCategory].size() == 1)
      list = static_cast<ListKind>(columns_[kCategory].front().def->list);
    if (!list && !list_bad)
      Bad(line, "list", columns_[kList].empty() ? kCategory : kList,
          "is empty: the row's list (红, 黑 or 重点关注) is unknown");
    if (list && !list_bad)
      fields_.list = ListKindName(*list);
    else
      ReplaceWithValid("list", &fields_);
    fields_.category = cell[kCategory].text;

    fields_.name = !cell[kOrgName].text.empty() ? cell[kOrgName].text : cell[kPersonName].text;
    if (fields_.name.empty()) {
      Bad(line, "name", columns_[kOrgName].empty() ? kPersonName : kOrgName, "is empty");
      ReplaceWithValid("name", &fields_);
    }
    for (Col c : {kOrgName, kPersonName, kLegalRep}) CheckLostCharacters(line, c, cell[c].text);
    fields_.legal_rep = cell[kLegalRep].text;
    fields_.conduct = cell[kConduct].text;
    fields_.outcome = cell[kOutcome].text;
    fields_.basis = cell[kBasis].text;
    fields_.department =
        !cell[kDepartment].text.empty() ? cell[kDepartment].text : options_.department;

    // Identifiers.
    fields_.uscc = cell[kUscc].text;
    fields_.reg_no = cell[kRegNo].text;
    fields_.id_type = cell[kIdType].text;
    fields_.id_number = cell[kIdNumber].text;
    fields_.legal_rep_id_number = cell[kLegalRepId].text;
    if (!fields_.id_number.empty()) {
      // A generic 证件类型/证件号码 pair may carry an organisation's number.
      std::string_view* target = nullptr;
      const std::string type = NormalizeHeader(fields_.id_type);
      if (type == "统一社会信用代码") target = &fields_.uscc;
      if (type == "工商注册号" || type == "工商注册登记号" || type == "营业执照注册号")
        target = &fields_.reg_no;
      if (target) {
        if (target->empty()) {
          *target = fields_.id_number;
        } else if (*target != fields_.id_number) {
          Bad(line, "id_number", kIdNumber,
              "'" + std::string(fields_.id_number) + "' is a " + type +
                  " that differs from the row's own (" + std::string(*target) + ")");
        }
        fields_.id_number = {};
        fields_.id_type = {};
      }
    }
    if (fields_.uscc.empty() && fields_.reg_no.empty() && fields_.id_number.empty()) {
      std::string which;
      for (Col c : {kUscc, kRegNo, kIdNumber}) {
        if (columns_[c].empty()) continue;
        if (!which.empty()) which += ", ";
        which += HeaderOf(c);
      }
      BadField(line, "uscc", which + ": all empty; a subject needs at least one identifier");
      ReplaceWithValid("uscc", &fields_);
    }
    for (Col c : {kUscc, kRegNo, kIdNumber, kLegalRepId}) {
      if (cell[c].number && !IsShortInteger(cell[c].text)) {
        Bad(line, kColField[c], c,
            "'" + std::string(cell[c].text) +
                "' is a number in the sheet, and Excel keeps only 15 significant digits of a "
                "number: its digits may be lost; format the column as text (文本) and enter the "
                "identifiers again from the original records");
        ReplaceWithValid(kColField[c], &fields_);
      } else if (LooksScientific(cell[c].text)) {
        Bad(line, kColField[c], c,
            "'" + std::string(cell[c].text) +
                "' is a number Excel shortened to scientific notation: its digits are lost; take "
                "the number from the original record and enter it in a column formatted as text "
                "(文本)");
        ReplaceWithValid(kColField[c], &fields_);
      }
    }

    // Dates. A validity is read against 认定日期 when that is good; else against the first of
    // all days, so that only its own faults show (a duration still reads, an end date is
    // never "before" a 认定日期 that could not be read).
    Day decided = kNoDay;
    if (cell[kDecidedOn].text.empty()) {
      Bad(line, "decided_on", kDecidedOn, "is empty");
    } else if (Result<Day> d = ParseFormDate(cell[kDecidedOn].text, "decided_on"); !d.ok()) {
      Bad(line, "decided_on", kDecidedOn, d.status().reason());
    } else {
      decided = *d;
      decided_on_ = FormatDate(decided);
      fields_.decided_on = decided_on_;
    }
    Result<Validity> validity =
        ParseValidity(cell[kValidity].text, decided != kNoDay ? decided : DayFromCivil(1, 1, 1));
    if (!validity.ok()) {
      // A static name: the Status dies with `validity`.
      Bad(line, validity.status().field() == "valid_from" ? "valid_from" : "valid_until", kValidity,
          validity.status().reason());
    } else if (decided != kNoDay) {
      valid_from_ = FormatDate(validity->valid_from);
      valid_until_ = FormatDate(validity->valid_until);  // "" when open-ended
      fields_.valid_from = valid_from_;
      fields_.valid_until = valid_until_;
    }

    SplitMemoranda(cell[Col::kMemoranda].text, &fields_.memoranda);

    Status made = FillEntry(fields_, &entry_);
    if (made.ok() && row_errors_.empty()) {
      sink_(std::move(entry_));
      entry_ = Entry{};
      ++report_->loaded;
      return;
    }
    for (const Status& s : EntryFieldErrors(fields_, made, replaced_)) {
      const Col col = ColOfField(s.field());
      if (col == kCols)
        row_errors_.push_back({line, s.field(), s.reason()});
      else
        row_errors_.push_back({line, s.field(), std::string(HeaderOf(col)) + ": " + s.reason()});
    }
    // In the order found: this function's checks, then MakeEntry's.
    report_->Reject(line, std::move(row_errors_[0].field), std::move(row_errors_[0].reason));
    for (size_t i = 1; i < row_errors_.size(); ++i)
      report_->AddError(line, std::move(row_errors_[i].field), std::move(row_errors_[i].reason));
  }

  const LoadOptions& options_;
  const EntrySink& sink_;
  LoadReport* report_;
  Status status_;
  bool header_found_ = false;
  int records_seen_ = 0;
  uint64_t first_line_ = 0;
  std::vector<std::string> first_headers_;
  std::vector<Column> columns_[kCols];
  const Column* used_[kCols] = {};
  bool not_utf8_ = false;          // the file was decoded from GBK/GB18030
  std::span<const bool> numbers_;  // of the row being read
  EntryFields fields_;
  Entry entry_;
  std::vector<RowError> row_errors_;        // the current row's
  std::vector<std::string_view> replaced_;  // the fields of row_errors_ (static names)
  std::string decided_on_, valid_from_, valid_until_;
};

namespace {

// Calls options.progress once per kBlockBytes of input.
void Progress(const LoadOptions& options, uint64_t done, uint64_t total) {
  if (options.progress) options.progress(done, total);
}

}  // namespace

ReportFormRows::ReportFormRows(const LoadOptions& options, const EntrySink& sink,
                               LoadReport* report)
    : form_(std::make_unique<FormReader>(options, sink, report)) {}
ReportFormRows::~ReportFormRows() = default;

void ReportFormRows::Add(uint64_t row, std::span<const std::string_view> cells,
                         std::span<const bool> numbers) {
  form_->Record(row, cells, numbers);
}
bool ReportFormRows::ok() const { return form_->ok(); }
Status ReportFormRows::Finish() { return form_->Finish(); }

Status LoadReportForm(std::string_view data, const LoadOptions& options, const EntrySink& sink,
                      LoadReport* report) {
  std::string storage;
  TextEncoding encoding = TextEncoding::kUnknown;
  Result<std::string_view> text = DecodeToUtf8(data, &storage, &encoding);
  if (!text.ok()) return text.status();
  FormReader form(options, sink, report);
  form.SetEncoding(encoding);
  CsvReader csv;
  const CsvReader::RecordFn on_record =
      [&](uint64_t line, std::span<const std::string_view> cells) { form.Record(line, cells); };
  // In blocks, for progress; the CSV reader carries records across them.
  for (size_t pos = 0; pos < text->size() && form.ok(); pos += kBlockBytes) {
    if (Status s = csv.Feed(text->substr(pos, kBlockBytes), on_record); !s.ok()) return s;
    Progress(options, std::min(pos + kBlockBytes, text->size()), text->size());
  }
  if (!form.ok()) return form.status();
  if (Status s = csv.Finish(on_record); !s.ok()) return s;
  return form.Finish();
}

Status LoadReportFormFile(const std::string& path, const LoadOptions& options,
                          const EntrySink& sink, LoadReport* report) {
  auto file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  const int fd = file->fd();
  const uint64_t total = file->size();

  FormReader form(options, sink, report);
  CsvReader csv;
  TextDecoder decoder;
  const CsvReader::RecordFn on_record =
      [&](uint64_t line, std::span<const std::string_view> cells) { form.Record(line, cells); };
  auto block = std::make_unique<char[]>(kBlockBytes);
  std::string utf8;
  uint64_t done = 0;
  for (;;) {
    const ssize_t n = ::read(fd, block.get(), kBlockBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Io(path + ": " + std::strerror(errno));
    }
    utf8.clear();
    if (n == 0) {
      if (Status s = decoder.Finish(&utf8); !s.ok()) return s;
    } else if (Status s = decoder.Feed(std::string_view(block.get(), n), &utf8); !s.ok()) {
      return s;
    }
    form.SetEncoding(decoder.encoding());
    if (Status s = csv.Feed(utf8, on_record); !s.ok()) return s;
    if (!form.ok()) return form.status();
    done += static_cast<uint64_t>(n);
    Progress(options, done, total);
    if (n == 0) break;
  }
  if (Status s = csv.Finish(on_record); !s.ok()) return s;
  return form.Finish();
}

}  // namespace credlist
