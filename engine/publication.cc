#include "engine/publication.h"

#include <algorithm>
#include <array>
#include <vector>

#include "engine/json_writer.h"
#include "engine/live_json.h"
#include "engine/masking.h"

namespace credlist {
namespace {

using Columns = std::array<PublicationColumn, kPublicationColumns>;

// 报送表 (1): 红名单类型 企业名称 法定代表人 统一社会信用代码 工商注册登记号 守信行为 获得奖励
// 认定部门 认定依据 认定日期 有效期; 报送表 (2) the same with 黑名单类型, 违法失信行为, 处罚结果,
// 处罚有效期.
constexpr Columns kRedColumns = {{
    {"category", "红名单类型"},
    {"org_name", "企业名称"},
    {"legal_rep", "法定代表人"},
    {"uscc", "统一社会信用代码"},
    {"reg_no", "工商注册登记号"},
    {"conduct", "守信行为"},
    {"outcome", "获得奖励"},
    {"department", "认定部门"},
    {"basis", "认定依据"},
    {"decided_on", "认定日期"},
    {"validity", "有效期"},
    {"person_name", "姓名"},
    {"id_type", "证件类型"},
    {"id_number", "证件号码"},
}};
constexpr Columns kBlackColumns = {{
    {"category", "黑名单类型"},
    {"org_name", "企业名称"},
    {"legal_rep", "法定代表人"},
    {"uscc", "统一社会信用代码"},
    {"reg_no", "工商注册登记号"},
    {"conduct", "违法失信行为"},
    {"outcome", "处罚结果"},
    {"department", "认定部门"},
    {"basis", "认定依据"},
    {"decided_on", "认定日期"},
    {"validity", "处罚有效期"},
    {"person_name", "姓名"},
    {"id_type", "证件类型"},
    {"id_number", "证件号码"},
}};
constexpr Columns kWatchColumns = [] {
  Columns c = kBlackColumns;
  c[0].header = "重点关注名单类型";
  return c;
}();
constexpr std::array<PublicationColumn, kAnnouncementColumns> kAnnouncementCols = {{
    {"exited_on", "退出日期"},
    {"exit_reason", "退出原因"},
    {"note", "退出说明"},
    {"seq", "公告编号"},
}};

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The fields of an entry a row is made of, from a snapshot record or a live entry.
struct RowSource {
  SubjectType subject_type = SubjectType::kLegalPerson;
  std::string_view category, name, legal_rep, conduct, outcome, department, basis, id_type;
  Key uscc, reg_no, id_number;
  Day decided_on = kNoDay, valid_from = kNoDay, valid_until = kForever;
};

void SetKey(const Key& key, bool mask, std::string* cell) {
  if (key.empty()) return;
  char buf[24];
  const std::string_view text(buf, FormatKeyTo(key, buf));
  if (mask)
    AppendMaskedNumber(text, cell);
  else
    cell->append(text);
}

// 2025-03-01至2028-02-28 (the last day in force), 2025-03-01至长期 when open-ended: forms the
// 报送表 loader reads back (loaders/dates.h).
std::string Validity(Day from, Day until) {
  if (from == kNoDay) return until == kForever || until == kNoDay ? "" : FormatDate(until - 1);
  std::string s = FormatDate(from);
  s += "至";
  s += until == kForever || until == kNoDay ? "长期" : FormatDate(until - 1);
  return s;
}

void MakeRow(const RowSource& e, PublicationRow* row) {
  for (std::string& cell : *row) cell.clear();
  const bool person = e.subject_type == SubjectType::kNaturalPerson;
  (*row)[0] = e.category;
  if (!person) (*row)[1] = e.name;
  if (!e.legal_rep.empty()) AppendMaskedName(e.legal_rep, &(*row)[2]);
  SetKey(e.uscc, false, &(*row)[3]);
  SetKey(e.reg_no, false, &(*row)[4]);
  (*row)[5] = e.conduct;
  (*row)[6] = e.outcome;
  (*row)[7] = e.department;
  (*row)[8] = e.basis;
  if (e.decided_on != kNoDay) (*row)[9] = FormatDate(e.decided_on);
  (*row)[10] = Validity(e.valid_from != kNoDay ? e.valid_from : e.decided_on, e.valid_until);
  if (person) AppendMaskedName(e.name, &(*row)[11]);
  if (!e.id_number.empty()) (*row)[12] = e.id_type;
  SetKey(e.id_number, true, &(*row)[13]);
}

RowSource SourceOf(const Snapshot& snap, uint32_t i) {
  const EntryRecord& r = snap.record(i);
  const EntryProfile& p = snap.profile(r);
  const EntryDates d = snap.dates(i);
  RowSource s;
  s.subject_type = r.subject_type();
  s.category = snap.str(p.category);
  s.name = snap.str(r.name());
  s.legal_rep = snap.str(r.legal_rep());
  s.conduct = snap.str(p.conduct);
  s.outcome = snap.str(p.outcome);
  s.department = snap.str(p.department);
  s.basis = snap.str(p.basis);
  s.id_type = snap.str(p.id_type);
  s.uscc = r.uscc();
  s.reg_no = r.reg_no();
  s.id_number = r.id_number();
  s.decided_on = d.decided_on;
  s.valid_from = d.valid_from;
  s.valid_until = d.valid_until;
  return s;
}

RowSource SourceOf(const Entry& e) {
  RowSource s;
  s.subject_type = e.subject_type;
  s.category = e.category;
  s.name = e.name;
  s.legal_rep = e.legal_rep;
  s.conduct = e.conduct;
  s.outcome = e.outcome;
  s.department = e.department;
  s.basis = e.basis;
  s.id_type = e.id_type;
  s.uscc = e.uscc;
  s.reg_no = e.reg_no;
  s.id_number = e.id_number;
  s.decided_on = e.decided_on;
  s.valid_from = e.valid_from;
  s.valid_until = e.valid_until;
  return s;
}

Day Later(Day a, Day b) {
  if (a == kNoDay) return b;
  if (b == kNoDay) return a;
  return std::max(a, b);
}

// The day a loaded entry came into force.
Day CameIntoForce(const EntryDates& d) { return Later(d.in_force_on, d.valid_from); }

// The day a live entry came into force (kNoDay: it has not).
Day CameIntoForce(const LiveEntry& e) {
  const Entry& x = e.entry;
  if (x.in_force_on != kNoDay) return Later(x.in_force_on, x.valid_from);
  if (x.state == State::kPublicity && e.open_objections == 0 && e.publicity_until != kNoDay)
    return Later(e.publicity_until + 1, x.valid_from);  // confirmed by itself
  if (x.state == State::kInForce || x.state == State::kExited || x.state == State::kUnderReview)
    return x.valid_from;
  return kNoDay;
}

bool InQuarter(Day d, const Quarter& q) { return d != kNoDay && d >= q.first && d < q.end; }

// The output of one document, CSV or JSON.
class Writer {
 public:
  Writer(const PublicationSpec& spec, std::string* out)
      : spec_(spec), out_(out), json_(out), columns_(PublicationColumns(spec.list)) {}

  void BeginEntries() {
    if (csv()) {
      Header(false);
    } else {
      json_.Key("entries").BeginArray();
    }
  }
  void EndEntries() {
    if (!csv()) json_.EndArray();
  }
  void AddEntry(const PublicationRow& row) {
    if (csv()) {
      CsvRow(row, nullptr);
    } else {
      json_.BeginObject();
      Members(row);
      json_.EndObject();
    }
  }

  void BeginAnnouncements() {
    if (csv()) {
      Header(true);
    } else {
      json_.Key("announcements").BeginArray();
    }
  }
  void EndAnnouncements() {
    if (!csv()) json_.EndArray();
  }
  void Announce(const Announcement& a, const PublicationRow& row) {
    const Entry& x = a.entry->entry;
    if (csv()) {
      const std::string extra[kAnnouncementColumns] = {FormatDate(a.exited_on),
                                                       std::string(ExitReasonText(x.exit_reason)),
                                                       a.entry->exit_note, std::to_string(a.seq)};
      CsvRow(row, extra);
      return;
    }
    json_.BeginObject();
    json_.Key("seq").Int(static_cast<int64_t>(a.seq));
    json_.Key("published_at").String(FormatInstant(a.at_ms));
    json_.Key("exited_on").String(FormatDate(a.exited_on));
    json_.Key("exit_reason").String(ExitReasonName(x.exit_reason));
    json_.Key("exit_reason_text").String(ExitReasonText(x.exit_reason));
    json_.Key("note").StringOrNull(a.entry->exit_note);
    json_.Key("entry").BeginObject();
    Members(row);
    json_.EndObject();
    json_.EndObject();
  }

  void BeginDocument() {
    if (csv()) {
      out_->append(kBom);
      return;
    }
    json_.BeginObject();
    json_.Key("quarter").String(QuarterName(spec_.quarter));
    json_.Key("list").String(ListKindName(spec_.list));
    json_.Key("from").String(FormatDate(spec_.quarter.first));
    json_.Key("until").String(FormatDate(spec_.quarter.end - 1));
    json_.Key("as_of").String(FormatDate(spec_.today));
    json_.Key("columns").BeginArray();
    for (const PublicationColumn& c : columns_)
      json_.BeginObject().Key("field").String(c.field).Key("header").String(c.header).EndObject();
    json_.EndArray();
  }
  void EndDocument() {
    if (!csv()) json_.EndObject();
  }

 private:
  bool csv() const { return spec_.format == PublicationFormat::kCsv; }

  void Header(bool announcements) {
    bool first = true;
    for (const PublicationColumn& c : columns_) {
      if (!first) out_->push_back(',');
      first = false;
      AppendCsvCell(c.header, out_);
    }
    if (announcements)
      for (const PublicationColumn& c : AnnouncementColumns()) {
        out_->push_back(',');
        AppendCsvCell(c.header, out_);
      }
    out_->append("\r\n");
  }
  void CsvRow(const PublicationRow& row, const std::string* extra) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out_->push_back(',');
      AppendCsvCell(row[c], out_);
    }
    if (extra != nullptr)
      for (size_t c = 0; c < kAnnouncementColumns; ++c) {
        out_->push_back(',');
        AppendCsvCell(extra[c], out_);
      }
    out_->append("\r\n");
  }
  void Members(const PublicationRow& row) {
    for (size_t c = 0; c < row.size(); ++c) json_.Key(columns_[c].field).StringOrNull(row[c]);
  }

  const PublicationSpec& spec_;
  std::string* out_;
  JsonWriter json_;
  std::span<const PublicationColumn, kPublicationColumns> columns_;
};

}  // namespace

Result<Quarter> ParseQuarter(std::string_view text) {
  auto bad = [&] {
    std::string reason(1, '\'');
    reason.append(text).append("' is not a quarter of the form YYYYQn");
    return Status::Invalid("quarter", std::move(reason));
  };
  if (text.size() != 6 || (text[4] != 'Q' && text[4] != 'q')) return bad();
  int year = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    year = year * 10 + (text[i] - '0');
  }
  if (text[5] < '1' || text[5] > '4' || year < 1970) return bad();
  Quarter q;
  q.year = year;
  q.number = text[5] - '0';
  const int month = (q.number - 1) * 3 + 1;
  q.first = DayFromCivil(year, month, 1);
  q.end = q.number == 4 ? DayFromCivil(year + 1, 1, 1) : DayFromCivil(year, month + 3, 1);
  return q;
}

std::string QuarterName(const Quarter& q) {
  return std::to_string(q.year) + "Q" + std::to_string(q.number);
}

Result<PublicationSpec> MakePublicationSpec(std::string_view quarter, std::string_view list,
                                            std::string_view format, std::string_view part,
                                            Day today) {
  PublicationSpec spec;
  spec.today = today;
  auto q = ParseQuarter(quarter);
  if (!q.ok()) return q.status();
  spec.quarter = *q;
  if (list.empty()) return Status::Invalid("list", "is required: red or black");
  std::optional<ListKind> kind = ParseListKind(list);
  if (!kind) return Status::Invalid("list", "'" + std::string(list) + "' is not red or black");
  if (*kind == ListKind::kWatch)
    return Status::Invalid("list",
                           "the watch list is not centrally published (seed 三(二)1 publishes "
                           "the red and black lists): use red or black");
  spec.list = *kind;
  if (format.empty() || format == "csv") {
    spec.format = PublicationFormat::kCsv;
  } else if (format == "json") {
    spec.format = PublicationFormat::kJson;
  } else {
    return Status::Invalid("format", "'" + std::string(format) + "' is not csv or json");
  }
  if (part.empty()) {
    spec.part = PublicationPart::kDefault;
  } else if (part == "entries") {
    spec.part = PublicationPart::kEntries;
  } else if (part == "announcements") {
    spec.part = PublicationPart::kAnnouncements;
  } else {
    return Status::Invalid("part", "'" + std::string(part) + "' is not entries or announcements");
  }
  return spec;
}

std::span<const PublicationColumn, kPublicationColumns> PublicationColumns(ListKind list) {
  switch (list) {
    case ListKind::kRed:
      return kRedColumns;
    case ListKind::kBlack:
      return kBlackColumns;
    case ListKind::kWatch:
      break;
  }
  return kWatchColumns;
}

std::span<const PublicationColumn, kAnnouncementColumns> AnnouncementColumns() {
  return kAnnouncementCols;
}

std::string_view ExitReasonText(ExitReason reason) {
  switch (reason) {
    case ExitReason::kNone:
      return "";
    case ExitReason::kObjectionUpheld:
      return "经异议处理认定有误";
    case ExitReason::kExpired:
      return "有效期届满";
    case ExitReason::kStandardChanged:
      return "认定标准发生改变";
    case ExitReason::kListedBlackOrWatch:
      return "被列入黑名单或重点关注名单";
    case ExitReason::kImproperUse:
      return "不当利用红名单奖励机制";
    case ExitReason::kRepaired:
      return "信用修复";
    case ExitReason::kLawSpecific:
      return "法律、法规、规章另有规定";
    case ExitReason::kEscalatedToBlack:
      return "转入黑名单";
  }
  return "";
}

std::string_view PublicationContentType(PublicationFormat format) {
  return format == PublicationFormat::kCsv ? "text/csv; charset=utf-8" : "application/json";
}

void AppendCsvCell(std::string_view cell, std::string* out) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(cell);
    return;
  }
  out->push_back('"');
  for (char c : cell) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void ForEachPublishedEntry(const Snapshot& snap, const LiveOverlay& live,
                           const PublicationSpec& spec,
                           const std::function<void(const PublicationRow&)>& fn) {
  // Loaded entries that the life cycle has not taken over, and live entries; by the day they
  // came into force, then entry_id (the same order whichever way the snapshot was built).
  // Each came into force in the quarter (it counted on that day) and counts today: one that
  // has expired or exited since is no longer published (its exit has its announcement).
  struct Item {
    Day day;
    std::string_view entry_id;
    uint32_t index;
    const LiveEntry* live;  // null for a loaded entry
  };
  std::vector<Item> items;
  const Roaring& list = snap.list_bitmap(spec.list);
  constexpr uint32_t kBatch = 4096;
  uint32_t batch[kBatch];
  roaring_uint32_iterator_t it;
  roaring_init_iterator(&list.roaring, &it);
  for (;;) {
    const uint32_t got = roaring_read_uint32_iterator(&it, batch, kBatch);
    if (got == 0) break;
    for (uint32_t j = 0; j < got; ++j) {
      const uint32_t i = batch[j];
      const Day day = CameIntoForce(snap.dates(i));
      if (!InQuarter(day, spec.quarter) || !snap.Counts(i, day) || !snap.Counts(i, spec.today) ||
          live.Superseded(i))
        continue;
      items.push_back({day, snap.str(snap.record(i).entry_id()), i, nullptr});
    }
  }
  live.ForEachEntry([&](const LivePtr& e) {
    if (e->entry.list != spec.list) return;
    const Day day = CameIntoForce(*e);
    if (InQuarter(day, spec.quarter) && LiveCounts(*e, day) && LiveCounts(*e, spec.today))
      items.push_back({day, e->entry.entry_id, 0, e.get()});
  });
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.day != b.day ? a.day < b.day : a.entry_id < b.entry_id;
  });
  PublicationRow row;
  for (const Item& item : items) {
    MakeRow(item.live != nullptr ? SourceOf(item.live->entry) : SourceOf(snap, item.index), &row);
    fn(row);
  }
}

void ForEachPublishedAnnouncement(
    const LiveOverlay& live, const PublicationSpec& spec,
    const std::function<void(const Announcement&, const PublicationRow&)>& fn) {
  PublicationRow row;
  for (size_t i = 0; i < live.announcements(); ++i) {
    const Announcement& a = live.announcement(i);
    if (a.entry == nullptr || a.entry->entry.list != spec.list ||
        !InQuarter(a.exited_on, spec.quarter))
      continue;
    MakeRow(SourceOf(a.entry->entry), &row);
    fn(a, row);
  }
}

void WritePublication(const Snapshot& snap, const LiveOverlay& live, const PublicationSpec& spec,
                      std::string* out) {
  const bool json = spec.format == PublicationFormat::kJson;
  const bool entries =
      spec.part == PublicationPart::kEntries || (spec.part == PublicationPart::kDefault);
  const bool announcements = spec.part == PublicationPart::kAnnouncements ||
                             (spec.part == PublicationPart::kDefault && json);
  Writer w(spec, out);
  w.BeginDocument();
  if (entries) {
    w.BeginEntries();
    ForEachPublishedEntry(snap, live, spec, [&](const PublicationRow& row) { w.AddEntry(row); });
    w.EndEntries();
  }
  if (announcements) {
    w.BeginAnnouncements();
    ForEachPublishedAnnouncement(
        live, spec, [&](const Announcement& a, const PublicationRow& row) { w.Announce(a, row); });
    w.EndAnnouncements();
  }
  w.EndDocument();
}

}  // namespace credlist
