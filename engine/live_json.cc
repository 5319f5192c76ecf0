#include "engine/live_json.h"

#include <cstdio>

#include "engine/ids.h"
#include "engine/lifecycle.h"
#include "engine/masking.h"

namespace credlist {
namespace {

void WriteDate(JsonWriter& w, std::string_view name, Day d) {
  w.Key(name);
  if (d == kNoDay || d == kForever)
    w.Null();
  else
    w.String(FormatDate(d));
}

void WriteName(JsonWriter& w, std::string_view name, bool mask) {
  if (!mask || name.empty()) {
    w.StringOrNull(name);
    return;
  }
  std::string masked;
  AppendMaskedName(name, &masked);
  w.String(masked);
}

void WriteKey(JsonWriter& w, const Key& key, bool mask) {
  if (key.empty()) {
    w.Null();
    return;
  }
  const std::string text = FormatKey(key);
  if (!mask) {
    w.String(text);
    return;
  }
  std::string masked;
  AppendMaskedNumber(text, &masked);
  w.String(masked);
}

}  // namespace

std::string FormatInstant(int64_t unix_ms) {
  constexpr int64_t kShanghai = 8 * 3600 * 1000;
  const int64_t local = unix_ms + kShanghai;
  const int64_t day_ms = 86400 * 1000;
  int64_t day = local / day_ms, ms = local % day_ms;
  if (ms < 0) {
    ms += day_ms;
    --day;
  }
  const CivilDate c = CivilFromDay(static_cast<Day>(day));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", c.year, c.month, c.day,
                static_cast<int>(ms / 3600000), static_cast<int>(ms / 60000 % 60),
                static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000));
  return buf;
}

void WriteEntryMembers(const Entry& e, bool mask, JsonWriter& w) {
  const bool person = mask && e.subject_type == SubjectType::kNaturalPerson;
  w.Key("entry_id").String(e.entry_id);
  w.Key("list").String(ListKindName(e.list));
  w.Key("category").StringOrNull(e.category);
  w.Key("subject_type").String(SubjectTypeName(e.subject_type));
  w.Key("name");
  WriteName(w, e.name, person);
  w.Key("uscc");
  WriteKey(w, e.uscc, false);
  w.Key("reg_no");
  WriteKey(w, e.reg_no, false);
  w.Key("id_type").StringOrNull(e.id_type);
  w.Key("id_number");
  WriteKey(w, e.id_number, mask);
  w.Key("legal_rep");
  WriteName(w, e.legal_rep, mask);
  w.Key("legal_rep_id_number");
  WriteKey(w, e.legal_rep_id, mask);
  w.Key("conduct").StringOrNull(e.conduct);
  w.Key("outcome").StringOrNull(e.outcome);
  w.Key("department").StringOrNull(e.department);
  w.Key("basis").StringOrNull(e.basis);
  WriteDate(w, "decided_on", e.decided_on);
  WriteDate(w, "valid_from", e.valid_from);
  WriteDate(w, "valid_until", e.valid_until);
  w.Key("memoranda").BeginArray();
  for (uint64_t m = e.memoranda; m != 0; m &= m - 1) w.String(MemorandumId(__builtin_ctzll(m)));
  w.EndArray();
  w.Key("state").String(StateName(e.state));
  if (e.exit_reason != ExitReason::kNone)
    w.Key("exit_reason").String(ExitReasonName(e.exit_reason));
}

Entry ShownEntry(const LiveEntry& e, Day today) {
  Entry shown = e.entry;
  shown.state = EffectiveState(e, today);
  if (shown.state == State::kExited && shown.exit_reason == ExitReason::kNone)
    shown.exit_reason = ExitReason::kExpired;
  if (shown.state == State::kInForce && shown.in_force_on == kNoDay && e.publicity_until != kNoDay)
    shown.in_force_on = e.publicity_until + 1;
  return shown;
}

void WriteShownEntryMembers(const LiveEntry& e, Day today, bool mask, JsonWriter& w) {
  // The members written hold no in_force_on: only the state can differ.
  if (EffectiveState(e, today) == e.entry.state)
    WriteEntryMembers(e.entry, mask, w);
  else
    WriteEntryMembers(ShownEntry(e, today), mask, w);
}

void WriteLiveEntry(const LiveEntry& e, const LiveJsonStyle& style, JsonWriter& w) {
  w.BeginObject();
  if (style.stored) {
    WriteEntryMembers(e.entry, false, w);
  } else {
    const Entry shown = ShownEntry(e, style.today);
    WriteEntryMembers(shown, style.mask, w);
    WriteDate(w, "in_force_on", shown.in_force_on);
  }
  if (style.stored) {
    WriteDate(w, "in_force_on", e.entry.in_force_on);
    WriteDate(w, "exited_on", e.entry.exited_on);
    w.Key("review_from").String(StateName(e.review_from));
    w.Key("open_objections").Int(e.open_objections);
    w.Key("confirmed_by_system").Bool(e.confirmed_by_system);
  } else {
    WriteDate(w, "exited_on", e.entry.exited_on);
  }
  if (e.severity != Severity::kNone) w.Key("severity").String(SeverityName(e.severity));
  if (e.notified_on != kNoDay) {
    WriteDate(w, "notified_on", e.notified_on);
    w.Key("notice_channel").StringOrNull(e.notice_channel);
  }
  if (e.publicity_from != kNoDay) {
    w.Key("publicity").BeginObject();
    WriteDate(w, "from", e.publicity_from);
    WriteDate(w, "until", e.publicity_until);
    w.EndObject();
  }
  if (!e.reject_reason.empty()) w.Key("reject_reason").String(e.reject_reason);
  if (!e.exit_note.empty()) w.Key("exit_note").String(e.exit_note);
  if (!e.corrections.empty()) {
    w.Key("corrections").BeginArray();
    for (const Correction& c : e.corrections) {
      w.BeginObject();
      w.Key("kind").String(e.entry.list == ListKind::kRed ? "benefits_to_recover"
                                                          : "apology_and_clarification");
      w.Key("text").String(c.text);
      w.Key("objection_id").StringOrNull(c.objection_id);
      WriteDate(w, "on", c.on);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("history").BeginArray();
  for (const Event& ev : e.history) {
    w.BeginObject();
    w.Key("event").String(ev.event);
    w.Key("at").String(FormatInstant(ev.at_ms));
    if (style.stored) w.Key("at_ms").Int(ev.at_ms);
    WriteDate(w, "on", ev.on);
    w.Key("actor").String(ev.actor);
    w.Key("role").String(ev.role);
    w.Key("department").StringOrNull(ev.department);
    w.Key("reason").StringOrNull(ev.reason);
    if (style.stored)
      w.Key("payload").String(ev.payload);
    else
      w.RawMembers(ev.payload);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

namespace {
void WriteStrings(JsonWriter& w, std::string_view name, const std::vector<std::string>& v) {
  w.Key(name).BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}
}  // namespace

void WriteObjection(const Objection& o, JsonWriter& w) {
  w.BeginObject();
  w.Key("objection_id").String(o.objection_id);
  w.Key("entry_id").String(o.entry_id);
  w.Key("status").String(o.status);
  w.Key("objector").StringOrNull(o.objector);
  w.Key("contact").StringOrNull(o.contact);
  w.Key("reason").StringOrNull(o.reason);
  WriteStrings(w, "materials", o.materials);
  w.Key("filed_at").String(FormatInstant(o.filed_ms));
  w.Key("filed_ms").Int(o.filed_ms);
  WriteDate(w, "filed_on", o.filed_on);
  w.Key("reply").StringOrNull(o.reply);
  w.Key("correction").StringOrNull(o.correction);
  w.Key("decided_by").StringOrNull(o.decided_by);
  w.Key("decided_ms").Int(o.decided_ms);
  w.EndObject();
}

void WriteRepair(const RepairApplication& r, JsonWriter& w) {
  w.BeginObject();
  w.Key("repair_id").String(r.repair_id);
  w.Key("entry_id").String(r.entry_id);
  w.Key("status").String(r.status);
  w.Key("applicant").StringOrNull(r.applicant);
  w.Key("reason").StringOrNull(r.reason);
  WriteStrings(w, "materials", r.materials);
  w.Key("filed_at").String(FormatInstant(r.filed_ms));
  w.Key("filed_ms").Int(r.filed_ms);
  WriteDate(w, "filed_on", r.filed_on);
  w.Key("reply").StringOrNull(r.reply);
  w.Key("decided_by").StringOrNull(r.decided_by);
  w.Key("decided_ms").Int(r.decided_ms);
  w.EndObject();
}

}  // namespace credlist
