#include "engine/supervision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/json_writer.h"
#include "engine/live.h"
#include "engine/snapshot.h"

namespace credlist {

std::string_view FeedbackActionName(FeedbackAction a) {
  switch (a) {
    case FeedbackAction::kApplied:
      return "applied";
    case FeedbackAction::kNotApplicable:
      return "not_applicable";
    case FeedbackAction::kOther:
      return "other";
  }
  return "other";
}

std::optional<FeedbackAction> ParseFeedbackAction(std::string_view s) {
  if (s == "applied") return FeedbackAction::kApplied;
  if (s == "not_applicable") return FeedbackAction::kNotApplicable;
  if (s == "other") return FeedbackAction::kOther;
  return std::nullopt;
}

std::vector<DepartmentEntries> CountEntriesByDepartment(const Snapshot& snap,
                                                        const LiveOverlay* live, Day day) {
  // By the department's arena offset first (a million entries, a few dozen departments),
  // then by its text: two entries may hold the same name at different offsets.
  boost::unordered_flat_map<uint32_t, std::array<uint64_t, kListKinds>> by_offset;
  for (uint32_t i = 0; i < snap.size(); ++i) {
    if (!snap.Counts(i, day)) continue;
    if (live != nullptr && live->Superseded(i)) continue;
    const EntryRecord& r = snap.record(i);
    ++by_offset[snap.profile(r).department][static_cast<int>(r.list())];
  }
  std::map<std::string, std::array<uint64_t, kListKinds>, std::less<>> by_name;
  for (const auto& [offset, lists] : by_offset) {
    auto& sum = by_name[std::string(snap.str(offset))];
    for (int k = 0; k < kListKinds; ++k) sum[k] += lists[k];
  }
  if (live != nullptr) {
    live->ForEachEntry([&](const LivePtr& e) {
      if (!LiveCounts(*e, day)) return;
      ++by_name[e->entry.department][static_cast<int>(e->entry.list)];
    });
  }
  std::vector<DepartmentEntries> out;
  out.reserve(by_name.size());
  for (auto& [name, lists] : by_name) out.push_back(DepartmentEntries{name, lists});
  return out;
}

std::optional<double> SupervisionRow::feedback_rate() const {
  if (checks.hits_with_measures == 0) return std::nullopt;
  const uint64_t answered =
      checks.hits_with_measures - std::min(checks.hits_without_feedback, checks.hits_with_measures);
  return static_cast<double>(answered) / static_cast<double>(checks.hits_with_measures);
}

std::vector<SupervisionRow> SupervisionRows(std::vector<DepartmentChecks> checks,
                                            std::vector<DepartmentEntries> entries) {
  std::map<std::string, SupervisionRow, std::less<>> by_name;
  for (DepartmentChecks& c : checks) {
    SupervisionRow& row = by_name[c.department];
    row.checks.checks += c.checks;
    row.checks.hits += c.hits;
    row.checks.hits_with_measures += c.hits_with_measures;
    row.checks.hits_without_feedback += c.hits_without_feedback;
  }
  for (const DepartmentEntries& e : entries) {
    SupervisionRow& row = by_name[e.department];
    for (int k = 0; k < kListKinds; ++k) row.entries[k] += e.lists[k];
  }
  std::vector<SupervisionRow> rows;
  rows.reserve(by_name.size());
  for (auto& [name, row] : by_name) {
    row.checks.department = name;
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const SupervisionRow& a, const SupervisionRow& b) {
    if (a.checks.hits_without_feedback != b.checks.hits_without_feedback)
      return a.checks.hits_without_feedback > b.checks.hits_without_feedback;
    return a.checks.hits_with_measures > b.checks.hits_with_measures;
  });  // stable: by department within a tie, as the map gave them
  return rows;
}

namespace {

// Four decimals: a share, not a measurement.
double Rounded(double v) { return std::round(v * 10000.0) / 10000.0; }

void WriteDay(JsonWriter& w, Day d) {
  if (d == kNoDay)
    w.Null();
  else
    w.String(FormatDate(d));
}

void AppendCsvField(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

void WriteSupervisionJson(const std::vector<SupervisionRow>& rows, const SupervisionPeriod& period,
                          std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("from");
  WriteDay(w, period.from);
  w.Key("to");
  WriteDay(w, period.to);
  w.Key("entries_on");
  WriteDay(w, period.entries_on);
  w.Key("departments").BeginArray();
  for (const SupervisionRow& r : rows) {
    const DepartmentChecks& c = r.checks;
    w.BeginObject();
    w.Key("department").String(c.department);
    w.Key("checks").Int(static_cast<int64_t>(c.checks));
    w.Key("hits").Int(static_cast<int64_t>(c.hits));
    w.Key("hits_with_measures").Int(static_cast<int64_t>(c.hits_with_measures));
    w.Key("hits_without_feedback").Int(static_cast<int64_t>(c.hits_without_feedback));
    w.Key("feedback_rate");
    if (const auto rate = r.feedback_rate())
      w.Double(Rounded(*rate));
    else
      w.Null();
    w.Key("entries").BeginObject();
    for (int k = 0; k < kListKinds; ++k)
      w.Key(ListKindName(static_cast<ListKind>(k))).Int(static_cast<int64_t>(r.entries[k]));
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteSupervisionCsv(const std::vector<SupervisionRow>& rows, std::string* out) {
  out->append("\xEF\xBB\xBF");
  out->append(
      "department,hits_without_feedback,checks,hits,hits_with_measures,feedback_rate,"
      "entries_red,entries_black,entries_watch\r\n");
  char buf[32];
  for (const SupervisionRow& r : rows) {
    const DepartmentChecks& c = r.checks;
    AppendCsvField(c.department, out);
    for (uint64_t v : {c.hits_without_feedback, c.checks, c.hits, c.hits_with_measures}) {
      out->push_back(',');
      out->append(std::to_string(v));
    }
    out->push_back(',');
    if (const auto rate = r.feedback_rate()) {
      const int n = std::snprintf(buf, sizeof buf, "%.4f", Rounded(*rate));
      out->append(buf, static_cast<size_t>(n));
    }
    for (uint64_t v : r.entries) {
      out->push_back(',');
      out->append(std::to_string(v));
    }
    out->append("\r\n");
  }
}

}  // namespace credlist
