#include "engine/policy.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "engine/json_writer.h"

namespace credlist {
namespace {

constexpr size_t kMaxMeasures = 65535;  // indices are uint16_t
constexpr size_t kMaxIdLength = 32;

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// A TSV file as lines of fields: comment (#) and blank lines skipped, the first other line the
// header, which must be exactly `columns`.
class TsvReader {
 public:
  TsvReader(std::string_view file, std::string_view text, std::vector<std::string_view> columns,
            PolicyError* error)
      : file_(file), text_(text), columns_(std::move(columns)), error_(error) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  // Reads the header; false (with the error) when it is missing or wrong.
  bool ReadHeader() {
    std::vector<std::string_view> fields;
    if (!NextLine(&fields, /*header=*/true))
      return ok_ && Fail(0, "", "no header line (expected: " + Expected() + ")");
    if (fields != columns_) return Fail(line_, "", "the header must be: " + Expected());
    return true;
  }
  // The next data line, split into exactly columns().size() fields; false at the end or on
  // error (ok() says which).
  bool Next(std::vector<std::string_view>* fields) { return NextLine(fields, false); }
  bool ok() const { return ok_; }
  int line() const { return line_; }
  bool Fail(int line, std::string_view field, std::string reason) {
    error_->file = std::string(file_);
    error_->line = line;
    error_->field = std::string(field);
    error_->reason = std::move(reason);
    ok_ = false;
    return false;
  }

 private:
  std::string Expected() const {
    std::string s;
    for (std::string_view c : columns_) {
      if (!s.empty()) s += "<TAB>";
      s += c;
    }
    return s;
  }

  bool NextLine(std::vector<std::string_view>* fields, bool header) {
    while (ok_ && pos_ < text_.size()) {
      const size_t nl = text_.find('\n', pos_);
      std::string_view line = text_.substr(pos_, nl == std::string_view::npos ? nl : nl - pos_);
      pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
      ++line_;
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos || line.starts_with('#'))
        continue;
      if (!IsUtf8(line)) return Fail(line_, "", "not valid UTF-8");
      fields->clear();
      size_t start = 0;
      while (true) {
        const size_t tab = line.find('\t', start);
        fields->push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
        if (tab == std::string_view::npos) break;
        start = tab + 1;
      }
      if (header) return true;
      if (fields->size() < columns_.size())
        return Fail(line_, columns_[fields->size()],
                    "missing: the line has " + std::to_string(fields->size()) + " fields, " +
                        std::to_string(columns_.size()) + " expected (tab-separated)");
      if (fields->size() > columns_.size())
        return Fail(line_, "",
                    "the line has " + std::to_string(fields->size()) + " fields, " +
                        std::to_string(columns_.size()) + " expected (a tab inside a field?)");
      for (size_t i = 0; i < fields->size(); ++i) {
        for (char c : (*fields)[i])
          if (static_cast<unsigned char>(c) < 0x20)
            return Fail(line_, columns_[i], "contains a control character");
      }
      return true;
    }
    return false;
  }

  std::string_view file_;
  std::string_view text_;
  std::vector<std::string_view> columns_;
  PolicyError* error_;
  size_t pos_ = 0;
  int line_ = 0;
  bool ok_ = true;
};

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    std::string_view item =
        s.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string ScenarioList() {
  std::string s;
  for (std::string_view k : kScenarios) {
    if (!s.empty()) s += ", ";
    s += k;
  }
  return s;
}

bool ParseMemoranda(std::string_view text, std::vector<Memorandum>* out, PolicyError* error) {
  TsvReader r(kMemorandaFile, text, {"id", "kind", "number", "title", "doc_no"}, error);
  if (!r.ReadHeader()) return false;
  std::vector<std::string_view> f;
  while (r.Next(&f)) {
    const int expected = static_cast<int>(out->size());
    if (expected >= kMemoranda)
      return r.Fail(r.line(), "id",
                    "more than the " + std::to_string(kMemoranda) +
                        " memoranda of 附件 3 (P01-P43, R01-R05, J01-J03)");
    const std::optional<int> index = ParseMemorandumId(f[0]);
    if (!index) return r.Fail(r.line(), "id", "'" + std::string(f[0]) + "' is not a memorandum id");
    if (*index != expected)
      return r.Fail(r.line(), "id",
                    "'" + std::string(f[0]) + "' out of order: " + MemorandumId(expected) +
                        " expected (the seed's order)");
    Memorandum m;
    m.index = *index;
    m.id = std::string(f[0]);
    const MemorandumKind kind = m.id[0] == 'P'   ? MemorandumKind::kPunish
                                : m.id[0] == 'R' ? MemorandumKind::kReward
                                                 : MemorandumKind::kJoint;
    if (f[1] != MemorandumKindName(kind))
      return r.Fail(r.line(), "kind",
                    "'" + std::string(f[1]) + "': " + m.id + " is of kind " +
                        std::string(MemorandumKindName(kind)));
    m.kind = kind;
    const std::optional<int> number = ParseInt(f[2]);
    if (!number || *number != std::stoi(m.id.substr(1)))
      return r.Fail(r.line(), "number",
                    "'" + std::string(f[2]) + "' is not " + m.id + "'s 序号 " +
                        std::to_string(std::stoi(m.id.substr(1))));
    m.number = *number;
    if (f[3].empty()) return r.Fail(r.line(), "title", "is empty");
    if (f[4].empty()) return r.Fail(r.line(), "doc_no", "is empty");
    m.title = std::string(f[3]);
    m.doc_no = std::string(f[4]);
    out->push_back(std::move(m));
  }
  if (!r.ok()) return false;
  if (static_cast<int>(out->size()) != kMemoranda)
    return r.Fail(0, "id",
                  std::to_string(out->size()) + " memoranda; all " + std::to_string(kMemoranda) +
                      " of 附件 3 expected, " + MemorandumId(static_cast<int>(out->size())) +
                      " is the first missing");
  return true;
}

bool ParseDepartments(std::string_view text, std::vector<Duty>* out, PolicyError* error) {
  TsvReader r(kDepartmentsFile, text, {"duty", "departments", "memoranda", "text"}, error);
  if (!r.ReadHeader()) return false;
  std::vector<std::string_view> f;
  while (r.Next(&f)) {
    Duty d;
    const std::optional<int> number = ParseInt(f[0]);
    const int expected = static_cast<int>(out->size()) + 1;
    if (!number || *number != expected)
      return r.Fail(r.line(), "duty",
                    "'" + std::string(f[0]) + "': duty " + std::to_string(expected) +
                        " expected (duties are numbered 1, 2, ... in order)");
    d.number = *number;
    for (std::string_view name : SplitList(f[1])) {
      if (name.empty()) return r.Fail(r.line(), "departments", "an empty department name");
      d.departments.emplace_back(name);
    }
    if (d.departments.empty()) return r.Fail(r.line(), "departments", "is empty");
    for (std::string_view id : SplitList(f[2])) {
      const std::optional<int> index = ParseMemorandumId(id);
      if (!index)
        return r.Fail(r.line(), "memoranda", "'" + std::string(id) + "' is not a memorandum id");
      if (d.memoranda >> *index & 1u)
        return r.Fail(r.line(), "memoranda", std::string(id) + " given twice");
      d.memoranda |= uint64_t{1} << *index;
    }
    if (f[3].empty()) return r.Fail(r.line(), "text", "is empty");
    d.text = std::string(f[3]);
    out->push_back(std::move(d));
  }
  if (!r.ok()) return false;
  if (out->empty()) return r.Fail(0, "duty", "no duties");
  return true;
}

bool IsIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
         c == '_' || c == '.';
}

bool ParseMeasures(std::string_view text, const std::vector<Memorandum>& memoranda,
                   std::vector<Measure>* out, PolicyError* error) {
  TsvReader r(kMeasuresFile, text, {"measure_id", "memorandum", "kind", "scenarios", "text"},
              error);
  if (!r.ReadHeader()) return false;
  std::vector<std::string_view> f;
  std::vector<std::pair<std::string_view, int>> seen;  // id, line
  while (r.Next(&f)) {
    if (out->size() >= kMaxMeasures)
      return r.Fail(r.line(), "", "more than " + std::to_string(kMaxMeasures) + " measures");
    Measure m;
    if (f[0].empty()) return r.Fail(r.line(), "measure_id", "is empty");
    if (f[0].size() > kMaxIdLength || !std::all_of(f[0].begin(), f[0].end(), IsIdChar))
      return r.Fail(r.line(), "measure_id",
                    "'" + std::string(f[0]) + "': at most " + std::to_string(kMaxIdLength) +
                        " characters among A-Z a-z 0-9 - _ .");
    m.id = std::string(f[0]);

    if (f[1] == "general" || f[1].empty()) {
      m.memorandum = kGeneralMeasure;
    } else {
      const std::optional<int> index = ParseMemorandumId(f[1]);
      if (!index)
        return r.Fail(r.line(), "memorandum",
                      "'" + std::string(f[1]) +
                          "' is not a memorandum id (P01-P43, R01-R05, J01-J03) nor 'general'");
      m.memorandum = *index;
    }

    const std::optional<MeasureKind> kind = ParseMeasureKind(f[2]);
    if (!kind)
      return r.Fail(r.line(), "kind",
                    "'" + std::string(f[2]) + "' is not a kind (reward, punish, watch)");
    m.kind = *kind;
    if (m.memorandum != kGeneralMeasure) {
      const MemorandumKind mk = memoranda[m.memorandum].kind;
      if ((mk == MemorandumKind::kReward && m.kind != MeasureKind::kReward) ||
          (mk == MemorandumKind::kPunish && m.kind == MeasureKind::kReward))
        return r.Fail(r.line(), "kind",
                      "'" + std::string(f[2]) + "' measure under " +
                          std::string(MemorandumKindName(mk)) + " memorandum " +
                          memoranda[m.memorandum].id);
    }

    if (f[3] == "all") {
      m.scenarios = static_cast<uint16_t>((1u << kScenarioCount) - 1);
    } else {
      for (std::string_view s : SplitList(f[3])) {
        const std::optional<int> index = ScenarioIndex(s);
        if (!index)
          return r.Fail(
              r.line(), "scenarios",
              "'" + std::string(s) + "' is not a scenario (" + ScenarioList() + ", or all)");
        if (m.AppliesIn(*index))
          return r.Fail(r.line(), "scenarios", std::string(s) + " given twice");
        m.scenarios |= static_cast<uint16_t>(1u << *index);
      }
      if (m.scenarios == 0)
        return r.Fail(r.line(), "scenarios", "is empty (a comma-separated list, or all)");
    }

    std::string_view measure_text = f[4];
    while (measure_text.starts_with(' ')) measure_text.remove_prefix(1);
    while (measure_text.ends_with(' ')) measure_text.remove_suffix(1);
    if (measure_text.empty()) return r.Fail(r.line(), "text", "is empty");
    m.text = std::string(measure_text);
    seen.emplace_back(f[0], r.line());
    out->push_back(std::move(m));
  }
  if (!r.ok()) return false;
  // Ids are unique: a feedback names its measure by id.
  std::vector<std::pair<std::string_view, int>> sorted;
  sorted.reserve(out->size());
  for (size_t i = 0; i < out->size(); ++i) sorted.emplace_back((*out)[i].id, static_cast<int>(i));
  std::sort(sorted.begin(), sorted.end());
  int dup_line = 0;
  std::string dup_id;
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first != sorted[i - 1].first) continue;
    const int line = seen[std::max(sorted[i].second, sorted[i - 1].second)].second;
    if (dup_line == 0 || line < dup_line) {
      dup_line = line;
      dup_id = std::string(sorted[i].first);
    }
  }
  if (dup_line != 0)
    return r.Fail(dup_line, "measure_id", "'" + dup_id + "' is already the id of another measure");
  return true;
}

bool ReadWholeFile(const std::string& path, std::string_view name, std::string* out,
                   PolicyError* error) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in.bad()) {
      *out = std::move(ss).str();
      return true;
    }
  }
  error->file = std::string(name);
  error->line = 0;
  error->field.clear();
  error->reason = "cannot read " + path;
  error->io = true;
  return false;
}

}  // namespace

std::optional<int> ScenarioIndex(std::string_view s) {
  for (int i = 0; i < kScenarioCount; ++i)
    if (kScenarios[i] == s) return i;
  return std::nullopt;
}

std::string_view MemorandumKindName(MemorandumKind k) {
  switch (k) {
    case MemorandumKind::kPunish:
      return "punish";
    case MemorandumKind::kReward:
      return "reward";
    case MemorandumKind::kJoint:
      break;
  }
  return "joint";
}

std::string_view MeasureKindName(MeasureKind k) {
  switch (k) {
    case MeasureKind::kReward:
      return "reward";
    case MeasureKind::kPunish:
      return "punish";
    case MeasureKind::kWatch:
      break;
  }
  return "watch";
}

std::optional<MeasureKind> ParseMeasureKind(std::string_view s) {
  if (s == "reward") return MeasureKind::kReward;
  if (s == "punish") return MeasureKind::kPunish;
  if (s == "watch") return MeasureKind::kWatch;
  return std::nullopt;
}

Status PolicyError::ToStatus() const {
  std::string where = file;
  if (line > 0) where += " line " + std::to_string(line);
  return Status::Make(io ? StatusCode::kIoError : StatusCode::kInvalidArgument, field,
                      where + ": " + reason);
}

std::string PolicyError::ToString() const {
  std::string s = file;
  if (line > 0) s += " line " + std::to_string(line);
  if (!field.empty()) s += ": " + field;
  return s + ": " + reason;
}

std::shared_ptr<const Policy> Policy::Parse(std::string_view memoranda,
                                            std::string_view departments, std::string_view measures,
                                            PolicyError* error) {
  auto p = std::make_shared<Policy>();
  if (!ParseMemoranda(memoranda, &p->memoranda_, error)) return nullptr;
  if (!ParseDepartments(departments, &p->duties_, error)) return nullptr;
  for (const Duty& d : p->duties_)
    for (const std::string& name : d.departments)
      if (std::find(p->departments_.begin(), p->departments_.end(), name) == p->departments_.end())
        p->departments_.push_back(name);
  if (!ParseMeasures(measures, p->memoranda_, &p->measures_, error)) return nullptr;
  p->BuildTable();
  return p;
}

std::shared_ptr<const Policy> Policy::Load(const std::string& dir, PolicyError* error,
                                           const std::string& measures_path) {
  std::string memoranda, departments, measures;
  const std::string base = dir.empty() || dir.ends_with('/') ? dir : dir + "/";
  if (!ReadWholeFile(base + kMemorandaFile, kMemorandaFile, &memoranda, error) ||
      !ReadWholeFile(base + kDepartmentsFile, kDepartmentsFile, &departments, error) ||
      !ReadWholeFile(measures_path.empty() ? base + kMeasuresFile : measures_path, kMeasuresFile,
                     &measures, error))
    return nullptr;
  return Parse(memoranda, departments, measures, error);
}

std::shared_ptr<const Policy> Policy::WithMeasures(std::string_view measures,
                                                   PolicyError* error) const {
  auto p = std::make_shared<Policy>();
  p->memoranda_ = memoranda_;
  p->duties_ = duties_;
  p->departments_ = departments_;
  if (!ParseMeasures(measures, p->memoranda_, &p->measures_, error)) return nullptr;
  p->BuildTable();
  return p;
}

const Memorandum* Policy::FindMemorandum(std::string_view id) const {
  const std::optional<int> index = ParseMemorandumId(id);
  if (!index || *index >= static_cast<int>(memoranda_.size())) return nullptr;
  return &memoranda_[*index];
}

std::vector<std::string_view> Policy::LeadsOf(int index) const {
  std::vector<std::string_view> out;
  for (const Duty& d : duties_)
    if (d.memoranda >> index & 1u)
      for (const std::string& name : d.departments)
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

const Measure* Policy::FindMeasure(std::string_view id) const {
  for (const Measure& m : measures_)
    if (m.id == id) return &m;
  return nullptr;
}

std::vector<const Measure*> Policy::MeasuresIn(int scenario) const {
  std::vector<const Measure*> out;
  for (const Measure& m : measures_)
    if (scenario < 0 || m.AppliesIn(scenario)) out.push_back(&m);
  return out;
}

int Policy::CountMemoranda(MemorandumKind kind) const {
  return static_cast<int>(std::count_if(memoranda_.begin(), memoranda_.end(),
                                        [&](const Memorandum& m) { return m.kind == kind; }));
}

void Policy::BuildTable() {
  flat_.clear();
  json_.assign(static_cast<size_t>(kScenarioCount) * kMeasureKinds * kSlots, std::string());
  std::vector<std::string> objects;  // each measure as a check lists it
  for (const Measure& m : measures_) {
    std::string json;
    JsonWriter w(&json);
    w.BeginObject();
    w.Key("measure_id").String(m.id);
    w.Key("memorandum");
    if (m.memorandum == kGeneralMeasure)
      w.Null();
    else
      w.String(memoranda_[m.memorandum].id);
    w.Key("kind").String(MeasureKindName(m.kind));
    w.Key("text").String(m.text);
    w.EndObject();
    objects.push_back(std::move(json));
  }
  for (int s = 0; s < kScenarioCount; ++s) {
    for (int k = 0; k < kMeasureKinds; ++k) {
      has_[s][k] = 0;
      for (int slot = 0; slot < kSlots; ++slot) {
        const int memorandum = slot == kMemoranda ? kGeneralMeasure : slot;
        Range& range = table_[s][k][slot];
        range.begin = static_cast<uint16_t>(flat_.size());
        for (size_t i = 0; i < measures_.size(); ++i) {
          const Measure& m = measures_[i];
          if (m.memorandum == memorandum && static_cast<int>(m.kind) == k && m.AppliesIn(s))
            flat_.push_back(static_cast<uint16_t>(i));
        }
        range.end = static_cast<uint16_t>(flat_.size());
        std::string& json = json_[(static_cast<size_t>(s) * kMeasureKinds + k) * kSlots + slot];
        for (uint16_t i = range.begin; i < range.end; ++i) {
          if (!json.empty()) json.push_back(',');
          json += objects[flat_[i]];
        }
        if (range.end != range.begin && slot < kMemoranda) has_[s][k] |= uint64_t{1} << slot;
      }
    }
  }
}

void Policy::AppendForEntry(int scenario, ListKind list, uint64_t mask,
                            std::vector<uint16_t>* out) const {
  if (scenario < 0 || scenario >= kScenarioCount) return;
  const int k = static_cast<int>(MeasureKindFor(list));
  const auto& slots = table_[scenario][k];
  for (uint64_t m = mask & has_[scenario][k]; m != 0; m &= m - 1) {
    const Range r = slots[__builtin_ctzll(m)];
    out->insert(out->end(), flat_.begin() + r.begin, flat_.begin() + r.end);
  }
  const Range g = slots[kMemoranda];
  out->insert(out->end(), flat_.begin() + g.begin, flat_.begin() + g.end);
}

void Policy::AppendForSubject(int scenario, const SubjectLists& lists,
                              std::vector<uint16_t>* out) const {
  constexpr int kRed = static_cast<int>(ListKind::kRed);
  const bool rewarded = !lists.present[static_cast<int>(ListKind::kBlack)] &&
                        !lists.present[static_cast<int>(ListKind::kWatch)];
  // Black first, then watch, then red: the strongest list's measures lead.
  for (ListKind list : {ListKind::kBlack, ListKind::kWatch, ListKind::kRed}) {
    const int i = static_cast<int>(list);
    if (!lists.present[i] || (i == kRed && !rewarded)) continue;
    AppendForEntry(scenario, list, lists.memoranda[i], out);
  }
}

void Policy::AppendSubjectJson(int scenario, const SubjectLists& lists, std::string* out) const {
  if (scenario < 0 || scenario >= kScenarioCount) return;
  const bool rewarded = !lists.present[static_cast<int>(ListKind::kBlack)] &&
                        !lists.present[static_cast<int>(ListKind::kWatch)];
  bool first = true;
  for (ListKind list : {ListKind::kBlack, ListKind::kWatch, ListKind::kRed}) {
    const int i = static_cast<int>(list);
    if (!lists.present[i] || (list == ListKind::kRed && !rewarded)) continue;
    const int k = static_cast<int>(MeasureKindFor(list));
    const std::string* slots = &json_[(static_cast<size_t>(scenario) * kMeasureKinds + k) * kSlots];
    auto append = [&](const std::string& json) {
      if (json.empty()) return;
      if (!first) out->push_back(',');
      out->append(json);
      first = false;
    };
    for (uint64_t m = lists.memoranda[i] & has_[scenario][k]; m != 0; m &= m - 1)
      append(slots[__builtin_ctzll(m)]);
    append(slots[kMemoranda]);
  }
}

void PolicyCatalog::Publish(std::shared_ptr<const Policy> policy) {
  std::lock_guard lock(mu_);
  current_ = std::move(policy);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const Policy> PolicyCatalog::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace credlist
