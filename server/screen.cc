#include "server/screen.h"

#include <algorithm>
#include <memory>

#include "loaders/xlsx.h"

namespace credlist {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Screener::Screener(std::shared_ptr<const Snapshot> snap, Day as_of, Visibility vis,
                   ScreenFormat format)
    : hold_(std::move(snap)), snap_(*hold_), as_of_(as_of), vis_(vis), format_(format) {
  rows_.reserve(kBatch);
  keys_.reserve(kBatch * 2);
  hits_.resize(kBatch * 2);
}

Status Screener::Feed(std::string_view bytes, std::string* out) {
  if (!error_.ok()) return error_;
  out_ = out;
  if (format_ == ScreenFormat::kXlsx) {
    if (xlsx_.size() + bytes.size() > xlsx_limit_) {
      xlsx_.clear();
      error_ = Status::Make(StatusCode::kTooLarge, "body",
                            "the .xlsx is larger than " + std::to_string(xlsx_limit_ >> 20) +
                                " MiB, the server's limit (serve --screen-xlsx-limit); send it "
                                "as CSV, which streams, or split it");
    } else {
      xlsx_.append(bytes);
    }
    return error_;
  }
  if (format_ == ScreenFormat::kCsv) {
    decoded_.clear();
    Status s = decoder_.Feed(bytes, &decoded_);
    if (s.ok())
      s = csv_.Feed(decoded_, [this](uint64_t line, std::span<const std::string_view> f) {
        OnCsvRecord(line, f);
      });
    if (!s.ok() && error_.ok()) error_ = s;
  } else {
    while (!bytes.empty()) {
      const size_t nl = bytes.find('\n');
      if (nl == std::string_view::npos) {
        partial_line_.append(bytes);
        break;
      }
      if (partial_line_.empty()) {
        OnNdjsonLine(bytes.substr(0, nl));
      } else {
        partial_line_.append(bytes.substr(0, nl));
        OnNdjsonLine(partial_line_);
        partial_line_.clear();
      }
      bytes.remove_prefix(nl + 1);
    }
  }
  if (rows_.size() >= kBatch) Flush();
  return error_;
}

Status Screener::Finish(std::string* out) {
  out_ = out;
  if (!error_.ok()) return error_;
  if (format_ == ScreenFormat::kXlsx) {
    std::vector<std::string_view> texts;
    std::unique_ptr<bool[]> numbers;  // std::vector<bool> has no span
    size_t numbers_size = 0;
    Status s = ReadXlsx(xlsx_, {}, [&](uint64_t, std::span<const XlsxCell> cells) {
      texts.clear();
      if (cells.size() > numbers_size) {
        numbers = std::make_unique<bool[]>(cells.size());
        numbers_size = cells.size();
      }
      for (size_t i = 0; i < cells.size(); ++i) {
        texts.push_back(cells[i].text);
        numbers[i] = cells[i].kind == XlsxCellKind::kNumber;
      }
      OnSheetRow(texts, std::span<const bool>(numbers.get(), cells.size()));
    });
    std::string().swap(xlsx_);
    if (!s.ok() && error_.ok()) error_ = Status::Invalid("body", s.reason());
    if (!have_header_ && error_.ok())
      error_ = Status::Invalid("body", "the sheet has no header row");
  } else if (format_ == ScreenFormat::kCsv) {
    auto on_record = [this](uint64_t line, std::span<const std::string_view> f) {
      OnCsvRecord(line, f);
    };
    decoded_.clear();
    Status s = decoder_.Finish(&decoded_);
    if (s.ok()) s = csv_.Feed(decoded_, on_record);
    if (s.ok()) s = csv_.Finish(on_record);
    if (!s.ok() && error_.ok()) error_ = s;
    if (!have_header_ && error_.ok()) error_ = Status::Invalid("body", "the CSV has no header row");
  } else if (!partial_line_.empty()) {
    OnNdjsonLine(partial_line_);
    partial_line_.clear();
  }
  if (!error_.ok()) return error_;
  Flush();
  JsonWriter w(out);
  w.BeginObject().Key("summary").BeginObject();
  w.Key("rows").Int(static_cast<int64_t>(summary_.rows));
  w.Key("hits").Int(static_cast<int64_t>(summary_.hits));
  w.Key("invalid").Int(static_cast<int64_t>(summary_.invalid));
  w.EndObject().EndObject();
  out->push_back('\n');
  return Status::Ok();
}

void Screener::SetHeader(std::span<const std::string_view> fields) {
  {
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string_view h = Trim(fields[i]);
      if (h == "key")
        key_col_ = static_cast<int>(i);
      else if (h == "统一社会信用代码" || h == "证件号码" || h == "uscc" || h == "id_number") {
        if (key_col_ < 0)
          key_col_ = static_cast<int>(i);
        else if (alt_key_col_ < 0)
          alt_key_col_ = static_cast<int>(i);
      } else if (h == "name" || h == "企业名称" || h == "姓名" || h == "名称") {
        if (name_col_ < 0) name_col_ = static_cast<int>(i);
      }
    }
    if (key_col_ < 0) {
      error_ = Status::Invalid(
          "key", std::string(format_ == ScreenFormat::kXlsx ? "the sheet's" : "the CSV") +
                     " header has no column named key, 统一社会信用代码 or 证件号码");
      return;
    }
    have_header_ = true;
  }
}

namespace {

// An integer of at most 15 digits: a number Excel keeps exactly.
bool IsShortInteger(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

void Screener::OnSheetRow(std::span<const std::string_view> cells, std::span<const bool> numbers) {
  if (!error_.ok()) return;
  if (!have_header_) return SetHeader(cells);
  auto field = [&](int col) {
    return col >= 0 && static_cast<size_t>(col) < cells.size() ? Trim(cells[col])
                                                               : std::string_view();
  };
  int col = key_col_;
  std::string_view key = field(key_col_);
  if (key.empty()) key = field(col = alt_key_col_);
  if (!key.empty() && numbers[col] && !IsShortInteger(key)) {
    ++summary_.rows;
    AddInvalid(key, Status::Invalid("key", "'" + std::string(key) +
                                               "' is a number in the sheet, and Excel keeps only "
                                               "15 significant digits of a number; format the "
                                               "column as text (文本) and enter the keys again"));
  } else {
    AddRow(key, field(name_col_));
  }
  if (rows_.size() >= kBatch) Flush();
}

void Screener::OnCsvRecord(uint64_t line, std::span<const std::string_view> fields) {
  if (!error_.ok()) return;
  if (!have_header_) return SetHeader(fields);
  if (fields.size() == 1 && Trim(fields[0]).empty()) return;  // a blank line
  auto field = [&](int col) {
    return col >= 0 && static_cast<size_t>(col) < fields.size() ? Trim(fields[col])
                                                                : std::string_view();
  };
  std::string_view key = field(key_col_);
  if (key.empty()) key = field(alt_key_col_);
  AddRow(key, field(name_col_));
  if (rows_.size() >= kBatch) Flush();
}

void Screener::OnNdjsonLine(std::string_view line) {
  if (Trim(line).empty()) return;
  padded_.assign(line);
  padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  std::string_view key, name;
  auto parse = [&]() -> Status {
    if (json_.iterate(padded_.data(), line.size(), padded_.size()).get(doc))
      return Status::Invalid("json", "the line is not JSON");
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return Status::Invalid("json", "the line is not a JSON object");
    for (auto member : obj) {
      std::string_view k;
      if (member.unescaped_key().get(k)) return Status::Invalid("json", "malformed member name");
      if (k == "key") {
        if (member.value().get_string().get(key)) return Status::Invalid("key", "must be a string");
      } else if (k == "name") {
        auto v = member.value();
        if (v.is_null()) continue;
        if (v.get_string().get(name)) return Status::Invalid("name", "must be a string");
      }
    }
    if (key.empty()) return Status::Invalid("key", "is required");
    return Status::Ok();
  };
  Status s = parse();
  if (!s.ok()) {
    ++summary_.rows;
    AddInvalid(key.empty() ? std::string_view() : key, s);
  } else {
    AddRow(key, name);
  }
  if (rows_.size() >= kBatch) Flush();
}

void Screener::AddInvalid(std::string_view key, const Status& why) {
  Flush();  // the rows before this one first: output stays in row order
  ++summary_.invalid;
  JsonWriter w(out_);
  w.BeginObject().Key("row").Int(static_cast<int64_t>(summary_.rows));
  w.Key("key").StringOrNull(key);
  w.Key("error")
      .BeginObject()
      .Key("field")
      .String(why.field())
      .Key("reason")
      .String(why.reason())
      .EndObject();
  w.EndObject();
  out_->push_back('\n');
}

void Screener::AddRow(std::string_view key, std::string_view name) {
  ++summary_.rows;
  auto parsed = ParseLookupKey(key, "key");
  if (!parsed.ok()) {
    AddInvalid(key, parsed.status());
    return;
  }
  Row r;
  r.row = summary_.rows;
  r.key = *parsed;
  r.first_hit = static_cast<uint32_t>(keys_.size());
  r.name_off = static_cast<uint32_t>(names_.size());
  r.name_len = static_cast<uint32_t>(name.size());
  names_.append(name);
  for (int k = 0; k < r.key.count; ++k) keys_.push_back(r.key.keys[k]);
  rows_.push_back(r);
}

void Screener::Flush() {
  if (rows_.empty()) return;
  if (hits_.size() < keys_.size()) hits_.resize(keys_.size());
  snap_.FindBatch(keys_.data(), keys_.size(), hits_.data());
  char id_buf[24];
  const uint64_t hits_before = summary_.hits;
  for (const Row& r : rows_) {
    CheckHits(snap_, live_.get(), &hits_[r.first_hit], r.key, as_of_, &result_);
    if (result_.status == ListStatus::kClear) continue;
    ++summary_.hits;
    JsonWriter w(out_);
    w.BeginObject().Key("row").Int(static_cast<int64_t>(r.row));
    if (r.name_len) w.Key("name").String(std::string_view(names_).substr(r.name_off, r.name_len));
    const std::string_view check_id = NextCheckId(id_buf);
    const MeasureContext measures{policy_.get(), scenario_};
    WriteCheckMembers(snap_, result_, as_of_, check_id, vis_, w, measures);
    if (on_hit_) on_hit_(result_, check_id, snap_, measures);
    w.EndObject();
    out_->push_back('\n');
  }
  if (on_checked_) on_checked_(rows_.size(), summary_.hits - hits_before);
  rows_.clear();
  keys_.clear();
  names_.clear();
}

}  // namespace credlist
