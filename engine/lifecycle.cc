#include "engine/lifecycle.h"

#include <algorithm>
#include <cstdio>

#include "engine/json_writer.h"

namespace credlist {
namespace {

const Actor& SystemActor() {
  static const Actor kSystem{"system", "system", ""};
  return kSystem;
}

Status Denied(std::string reason) {
  return Status::Make(StatusCode::kPermissionDenied, "", std::move(reason));
}

std::string Quoted(std::string_view id) { return "'" + std::string(id) + "'"; }

// In force now or until its exit: in_force, or under review after it came into force.
bool InForce(const LiveEntry& e) {
  const State s = e.entry.state;
  return s == State::kInForce || (s == State::kUnderReview && e.review_from == State::kInForce);
}

// The first day an entry counts (its start for the severity bounds and for backdated exits).
Day StartOf(const Entry& e) {
  if (e.in_force_on != kNoDay) return std::max(e.in_force_on, e.valid_from);
  return e.valid_from;
}

std::string Payload(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [k, v] : kv) w.Key(k).String(v);
  w.EndObject();
  // The members only, without the braces (Event::payload).
  return out.size() > 2 ? out.substr(1, out.size() - 2) : std::string();
}

std::string StateProblem(const LiveEntry& e, std::string_view what) {
  return "entry " + Quoted(e.entry.entry_id) + " is " + std::string(StateName(e.entry.state)) +
         ": " + std::string(what);
}

}  // namespace

Ledger::Ledger(std::shared_ptr<const Snapshot> base, LedgerOptions options)
    : base_(std::move(base)),
      options_(std::move(options)),
      published_(std::make_shared<const LiveOverlay>()),
      editor_(std::make_unique<OverlayEditor>(published_)) {}

// --- restore ---------------------------------------------------------------------------------

namespace {
uint64_t SuffixNumber(std::string_view id) {
  const size_t dash = id.rfind('-');
  uint64_t n = 0;
  for (size_t i = dash == std::string_view::npos ? 0 : dash + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  return n;
}
}  // namespace

void Ledger::RestoreEntry(LiveEntry entry) {
  entry.base_index = base_->FindEntry(entry.entry.entry_id);
  auto e = std::make_shared<const LiveEntry>(std::move(entry));
  editor_->Put(e);
  Track(*e);
}

void Ledger::RestoreObjection(Objection o) {
  next_objection_ = std::max(next_objection_, SuffixNumber(o.objection_id) + 1);
  objections_[o.objection_id] = std::move(o);
}

void Ledger::RestoreRepair(RepairApplication r) {
  next_repair_ = std::max(next_repair_, SuffixNumber(r.repair_id) + 1);
  repairs_[r.repair_id] = std::move(r);
}

void Ledger::RestoreAnnouncement(Announcement a) {
  next_announcement_ = std::max(next_announcement_, a.seq + 1);
  editor_->Announce(std::move(a));
}

void Ledger::FinishRestore() {
  published_ = editor_->Finish();
  editor_ = std::make_unique<OverlayEditor>(published_);
}

// --- reading ---------------------------------------------------------------------------------

LivePtr Ledger::FindEntry(std::string_view entry_id) const {
  if (LivePtr e = editor_->FindEntry(entry_id)) return e;
  const int64_t i = base_->FindEntry(entry_id);
  if (i < 0) return nullptr;
  auto e = std::make_shared<LiveEntry>();
  e->entry = base_->ToEntry(static_cast<uint32_t>(i));
  e->base_index = i;
  return e;
}

const Objection* Ledger::FindObjection(std::string_view id) const {
  const auto it = objections_.find(std::string(id));
  return it == objections_.end() ? nullptr : &it->second;
}

const RepairApplication* Ledger::FindRepair(std::string_view id) const {
  const auto it = repairs_.find(std::string(id));
  return it == repairs_.end() ? nullptr : &it->second;
}

std::vector<LivePtr> Ledger::SubjectEntries(const Entry& e) const {
  std::vector<LivePtr> out;
  auto seen = [&](std::string_view id) {
    if (id == e.entry_id) return true;
    for (const LivePtr& p : out)
      if (p->entry.entry_id == id) return true;
    return false;
  };
  for (const Key* key : {&e.uscc, &e.reg_no, &e.id_number}) {
    if (key->empty()) continue;
    for (uint32_t i : base_->Find(*key).subject) {
      if (editor_->Superseded(i) || seen(base_->str(base_->record(i).entry_id()))) continue;
      auto adopted = std::make_shared<LiveEntry>();
      adopted->entry = base_->ToEntry(i);
      adopted->base_index = i;
      out.push_back(std::move(adopted));
    }
    if (const LivePostings* live = editor_->Find(*key))
      for (const LiveEntry* p : live->subject)
        if (!seen(p->entry.entry_id)) out.push_back(editor_->FindEntry(p->entry.entry_id));
  }
  return out;
}

// --- writing ---------------------------------------------------------------------------------

std::shared_ptr<LiveEntry> Ledger::Editable(std::string_view entry_id) const {
  LivePtr cur = FindEntry(entry_id);
  return cur ? std::make_shared<LiveEntry>(*cur) : nullptr;
}

void Ledger::Put(std::shared_ptr<LiveEntry> e) {
  const LivePtr before = editor_->FindEntry(e->entry.entry_id);
  const bool exits =
      e->entry.state == State::kExited &&
      (!before ? e->base_index < 0 ||
                     base_->record(static_cast<uint32_t>(e->base_index)).state() != State::kExited
               : before->entry.state != State::kExited);
  LivePtr frozen = std::move(e);
  editor_->Put(frozen);
  change_.entries.push_back(frozen);
  Track(*frozen);
  if (exits) {
    Announcement a;
    a.seq = next_announcement_++;
    a.at_ms = frozen->history.empty() ? 0 : frozen->history.back().at_ms;
    a.exited_on = frozen->entry.exited_on;
    a.entry = frozen;
    editor_->Announce(a);
    change_.announcements.push_back(std::move(a));
  }
}

void Ledger::Track(const LiveEntry& e) {
  const Entry& x = e.entry;
  if (x.state == State::kPublicity && e.open_objections == 0 && e.publicity_until != kNoDay)
    publicity_due_.emplace(e.publicity_until, x.entry_id);
  if (InForce(e) && x.valid_until != kForever) expiry_due_.emplace(x.valid_until, x.entry_id);
}

void Ledger::AddEvent(LiveEntry& e, std::string event, Day on, const Actor& who, const Clock& clock,
                      std::string reason, std::string payload) {
  Event ev;
  ev.event = std::move(event);
  ev.on = on;
  ev.at_ms = clock.now_ms;
  ev.actor = who.id.empty() ? who.role : who.id;
  ev.role = who.role;
  ev.department = who.department;
  ev.reason = std::move(reason);
  ev.payload = std::move(payload);
  e.history.push_back(std::move(ev));
}

Status Ledger::CheckDepartment(const Entry& e, const Actor& who) const {
  if (who.admin()) return Status::Ok();
  if (who.department_role() && who.department == e.department) return Status::Ok();
  if (who.department_role())
    return Denied("entry " + Quoted(e.entry_id) + " belongs to " + e.department + ", not to " +
                  who.department);
  return Denied("only the deciding department or an admin may do this");
}

std::string Ledger::NextId(const char* prefix, uint64_t* counter) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%06llu", prefix,
                static_cast<unsigned long long>((*counter)++));
  return buf;
}

void Ledger::ExitEntry(LiveEntry& e, ExitReason reason, Day on, std::string note, const Actor& who,
                       const Clock& clock) {
  e.entry.state = State::kExited;
  e.entry.exit_reason = reason;
  e.entry.exited_on = std::max(on, StartOf(e.entry));
  e.exit_note = note;
  e.open_objections = 0;
  AddEvent(e, "exited", e.entry.exited_on, who, clock, std::string(ExitReasonName(reason)),
           note.empty() ? std::string() : Payload({{"note", note}}));
}

void Ledger::ComeIntoForce(LiveEntry& e, Day on, const Actor& who, const Clock& clock) {
  e.entry.state = State::kInForce;
  e.entry.in_force_on = on;
  AddEvent(e, "confirmed", on, who, clock, who.role == "system" ? "publicity ended" : "");
  // 交叉比对: a black or watch entry in force ends the subject's red entries, and a black one
  // its watch entries, from the same day.
  const ListKind list = e.entry.list;
  if (list == ListKind::kRed) return;
  for (const LivePtr& other : SubjectEntries(e.entry)) {
    const ListKind ol = other->entry.list;
    ExitReason reason;
    if (ol == ListKind::kRed) {
      reason = ExitReason::kListedBlackOrWatch;
    } else if (ol == ListKind::kWatch && list == ListKind::kBlack) {
      reason = ExitReason::kEscalatedToBlack;
    } else {
      continue;
    }
    if (!InForce(*other) || other->entry.exited_on != kNoDay || other->entry.valid_until <= on)
      continue;
    auto copy = std::make_shared<LiveEntry>(*other);
    ExitEntry(*copy, reason, on, "", SystemActor(), clock);
    copy->history.back().payload = Payload({{"because_of", e.entry.entry_id}});
    Put(std::move(copy));
  }
}

Result<std::vector<LivePtr>> Ledger::Submit(std::vector<Submission> items, const Actor& who,
                                            const Clock& clock) {
  // Everything is checked before anything changes.
  if (!who.admin() && !who.department_role())
    return Denied("entries are submitted by a department or an admin");
  for (size_t i = 0; i < items.size(); ++i) {
    Entry& e = items[i].entry;
    const std::string at = items.size() == 1 ? "" : "entries[" + std::to_string(i) + "].";
    if (who.department_role()) {
      if (e.department.empty()) e.department = who.department;
      if (e.department != who.department)
        return Denied(at + "department: a " + who.department + " token submits " + who.department +
                      " entries only, not " + e.department);
    } else if (e.department.empty()) {
      return Status::Invalid(at + "department", "is required (认定部门)");
    }
    for (size_t j = 0; j < i; ++j)
      if (items[j].entry.entry_id == e.entry_id)
        return Status::Invalid(at + "entry_id", Quoted(e.entry_id) + " comes twice in the batch");
    if (LivePtr known = FindEntry(e.entry_id))
      return Status::Conflict("entry " + Quoted(e.entry_id) + " exists already (" +
                              std::string(StateName(known->entry.state)) + ")");
  }
  std::vector<LivePtr> out;
  for (Submission& item : items) {
    auto e = std::make_shared<LiveEntry>();
    e->entry = std::move(item.entry);
    Entry& x = e->entry;
    x.state = State::kSubmitted;
    x.exit_reason = ExitReason::kNone;
    x.in_force_on = kNoDay;
    x.exited_on = kNoDay;
    e->severity = item.severity;
    if (const int max = SeverityMaxMonths(item.severity); max > 0) {
      const Day start = x.decided_on != kNoDay ? x.decided_on : x.valid_from;
      x.valid_until = std::min(x.valid_until, AddMonths(start, max));
    }
    AddEvent(*e, "submitted", clock.today, who, clock);
    if (x.list == ListKind::kRed) {
      for (const LivePtr& other : SubjectEntries(x)) {
        if (other->entry.list == ListKind::kRed || !LiveCounts(*other, clock.today)) continue;
        x.state = State::kRejected;
        e->reject_reason = "交叉比对: the subject has an in-force " +
                           std::string(ListKindName(other->entry.list)) + " entry " +
                           Quoted(other->entry.entry_id);
        AddEvent(*e, "rejected", clock.today, SystemActor(), clock, e->reject_reason);
        break;
      }
    }
    Put(e);
    out.push_back(std::move(e));
  }
  return out;
}

Result<LivePtr> Ledger::Notify(std::string_view entry_id, Day notified_on, std::string channel,
                               const Actor& who, const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  const State st = e->entry.state;
  if (st != State::kSubmitted && st != State::kPublicity && st != State::kUnderReview)
    return Status::Conflict(StateProblem(*e, "prior notice comes before it is in force"));
  e->notified_on = notified_on;
  e->notice_channel = std::move(channel);
  AddEvent(*e, "notified", notified_on, who, clock, "",
           e->notice_channel.empty() ? std::string() : Payload({{"channel", e->notice_channel}}));
  Put(e);
  return FindEntry(entry_id);
}

Result<LivePtr> Ledger::Publicize(std::string_view entry_id, std::optional<Day> from,
                                  std::optional<Day> until, const Actor& who, const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  if (e->entry.state != State::kSubmitted)
    return Status::Conflict(StateProblem(*e, "only a submitted entry enters publicity"));
  if (e->entry.subject_type == SubjectType::kNaturalPerson && e->entry.list == ListKind::kBlack &&
      e->notified_on == kNoDay)
    return Status::Conflict("entry " + Quoted(entry_id) +
                            " is a natural person's black entry: record the prior notice "
                            "(事前告知, POST /v1/entries/{id}/notify) before publicity");
  const Day f = from.value_or(clock.today);
  const Day u =
      until ? *until : options_.calendar.AddWorkingDays(f, options_.publicity_working_days);
  if (u < f) return Status::Invalid("until", "is before from (" + FormatDate(f) + ")");
  e->entry.state = State::kPublicity;
  e->publicity_from = f;
  e->publicity_until = u;
  AddEvent(*e, "publicized", f, who, clock, "",
           Payload({{"from", FormatDate(f)}, {"until", FormatDate(u)}}));
  Put(e);
  Settle(clock);  // a window that ended already: in force from the day after it
  return FindEntry(entry_id);
}

Result<LivePtr> Ledger::Confirm(std::string_view entry_id, const Actor& who, const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  if (e->entry.state == State::kInForce && e->confirmed_by_system)
    return FindEntry(entry_id);  // confirmed by itself the day after its publicity
  if (e->entry.state == State::kUnderReview)
    return Status::Conflict(StateProblem(*e, "an objection is open; it is decided first"));
  if (e->entry.state != State::kPublicity)
    return Status::Conflict(StateProblem(*e, "only an entry in publicity is confirmed"));
  if (clock.today <= e->publicity_until)
    return Status::Conflict("entry " + Quoted(entry_id) + " is in publicity until " +
                            FormatDate(e->publicity_until) + "; it can be confirmed from " +
                            FormatDate(e->publicity_until + 1));
  ComeIntoForce(*e, e->publicity_until + 1, who, clock);
  Put(e);
  return FindEntry(entry_id);
}

Result<LivePtr> Ledger::Exit(std::string_view entry_id, ExitReason reason, std::string note,
                             std::optional<Day> on, const Actor& who, const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  if (!InForce(*e)) return Status::Conflict(StateProblem(*e, "only an entry in force exits"));
  const Day day = on.value_or(clock.today);
  if (day < StartOf(e->entry))
    return Status::Invalid(
        "on", "is before the entry came into force (" + FormatDate(StartOf(e->entry)) + ")");
  for (auto& [id, o] : objections_) {
    if (o.entry_id != entry_id || o.status != "open") continue;
    o.status = "closed";
    o.reply = "the entry exited (" + std::string(ExitReasonName(reason)) + ")";
    change_.objections.push_back(o);
  }
  ExitEntry(*e, reason, day, std::move(note), who, clock);
  Put(e);
  return FindEntry(entry_id);
}

Result<Objection> Ledger::Object(std::string_view entry_id, Objection o, const Actor& who,
                                 const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  const State st = e->entry.state;
  if (st != State::kPublicity && st != State::kInForce && st != State::kUnderReview)
    return Status::Conflict(
        StateProblem(*e, "objections are heard while an entry is in publicity or in force"));
  o.objection_id = NextId("OBJ", &next_objection_);
  o.entry_id = e->entry.entry_id;
  o.filed_ms = clock.now_ms;
  o.filed_on = clock.today;
  o.status = "open";
  if (st != State::kUnderReview) {
    e->review_from = st;
    e->entry.state = State::kUnderReview;
  }
  ++e->open_objections;
  AddEvent(*e, "objected", clock.today, who, clock, o.reason,
           Payload({{"objection_id", o.objection_id}, {"objector", o.objector}}));
  Put(e);
  objections_[o.objection_id] = o;
  change_.objections.push_back(o);
  return o;
}

Result<Objection> Ledger::DecideObjection(std::string_view objection_id, bool upheld,
                                          std::string reply, std::string correction,
                                          const Actor& who, const Clock& clock) {
  const auto it = objections_.find(std::string(objection_id));
  if (it == objections_.end()) return Status::NotFound("no objection " + Quoted(objection_id));
  Objection o = it->second;
  auto e = Editable(o.entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(o.entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  if (o.status != "open")
    return Status::Conflict("objection " + Quoted(objection_id) + " is " + o.status + " already");
  if (e->entry.state != State::kUnderReview)  // it expired meanwhile, say
    return Status::Conflict(StateProblem(*e, "the objection can no longer change it"));
  o.status = upheld ? "upheld" : "dismissed";
  o.reply = std::move(reply);
  o.correction = std::move(correction);
  o.decided_by = who.id.empty() ? who.role : who.id;
  o.decided_ms = clock.now_ms;
  // The decision goes back to the objector and to the party (seed 六).
  AddEvent(*e, upheld ? "objection_upheld" : "objection_dismissed", clock.today, who, clock,
           o.reply, Payload({{"objection_id", o.objection_id}, {"fed_back_to", "objector,party"}}));
  if (upheld) {
    if (!o.correction.empty()) {
      e->corrections.push_back({o.correction, o.objection_id, clock.today});
      const bool red = e->entry.list == ListKind::kRed;
      AddEvent(*e, "corrected", clock.today, who, clock,
               red ? "benefits to recover" : "written apology and clarification",
               Payload({{"text", o.correction}}));
    }
    if (InForce(*e)) {
      ExitEntry(*e, ExitReason::kObjectionUpheld, clock.today, "", who, clock);
    } else {
      e->entry.state = State::kCancelled;
      e->open_objections = 0;
      AddEvent(*e, "cancelled", clock.today, who, clock, "objection_upheld");
    }
    for (auto& [id, other] : objections_) {
      if (other.entry_id != o.entry_id || other.status != "open" || id == o.objection_id) continue;
      other.status = "closed";
      other.reply = "another objection was upheld (" + o.objection_id + ")";
      change_.objections.push_back(other);
    }
  } else if (e->open_objections > 0 && --e->open_objections == 0) {
    e->entry.state = e->review_from;
    if (e->entry.state == State::kPublicity && clock.today > e->publicity_until)
      ComeIntoForce(*e, clock.today, SystemActor(), clock);
  }
  Put(e);
  it->second = o;
  change_.objections.push_back(o);
  return o;
}

Result<RepairApplication> Ledger::ApplyRepair(std::string_view entry_id, RepairApplication r,
                                              const Actor& who, const Clock& clock) {
  auto e = Editable(entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(entry_id));
  if (e->entry.list == ListKind::kRed)
    return Status::Conflict("entry " + Quoted(entry_id) + " is a red entry: nothing to repair");
  if (!InForce(*e)) return Status::Conflict(StateProblem(*e, "only an entry in force is repaired"));
  if (const int min = SeverityMinMonths(e->severity); min > 0) {
    const Day start = e->entry.decided_on != kNoDay ? e->entry.decided_on : StartOf(e->entry);
    const Day earliest = AddMonths(start, min);
    if (clock.today < earliest)
      return Status::Conflict("entry " + Quoted(entry_id) + " is graded " +
                              std::string(SeverityName(e->severity)) +
                              ": a repair is possible from " + FormatDate(earliest) +
                              " (at least " + std::to_string(min) + " months of publication)");
  }
  for (const auto& [id, other] : repairs_)
    if (other.entry_id == entry_id && other.status == "open")
      return Status::Conflict("entry " + Quoted(entry_id) + " has an open repair application " +
                              Quoted(id));
  r.repair_id = NextId("REP", &next_repair_);
  r.entry_id = e->entry.entry_id;
  r.filed_ms = clock.now_ms;
  r.filed_on = clock.today;
  r.status = "open";
  AddEvent(*e, "repair_applied", clock.today, who, clock, r.reason,
           Payload({{"repair_id", r.repair_id}, {"applicant", r.applicant}}));
  Put(e);
  repairs_[r.repair_id] = r;
  change_.repairs.push_back(r);
  return r;
}

Result<RepairApplication> Ledger::DecideRepair(std::string_view repair_id, bool approved,
                                               std::string reply, const Actor& who,
                                               const Clock& clock) {
  const auto it = repairs_.find(std::string(repair_id));
  if (it == repairs_.end()) return Status::NotFound("no repair application " + Quoted(repair_id));
  RepairApplication r = it->second;
  auto e = Editable(r.entry_id);
  if (!e) return Status::NotFound("no entry " + Quoted(r.entry_id));
  if (Status s = CheckDepartment(e->entry, who); !s.ok()) return s;
  if (r.status != "open")
    return Status::Conflict("repair application " + Quoted(repair_id) + " is " + r.status +
                            " already");
  if (approved && !InForce(*e))
    return Status::Conflict(StateProblem(*e, "only an entry in force is repaired"));
  r.status = approved ? "approved" : "refused";
  r.reply = std::move(reply);
  r.decided_by = who.id.empty() ? who.role : who.id;
  r.decided_ms = clock.now_ms;
  AddEvent(*e, approved ? "repair_approved" : "repair_refused", clock.today, who, clock, r.reply,
           Payload({{"repair_id", r.repair_id}}));
  if (approved) ExitEntry(*e, ExitReason::kRepaired, clock.today, "", who, clock);
  Put(e);
  it->second = r;
  change_.repairs.push_back(r);
  return r;
}

void Ledger::Settle(const Clock& clock) {
  while (!publicity_due_.empty() && publicity_due_.begin()->first < clock.today) {
    const auto [until, id] = *publicity_due_.begin();
    publicity_due_.erase(publicity_due_.begin());
    const LivePtr cur = editor_->FindEntry(id);
    if (!cur || cur->entry.state != State::kPublicity || cur->open_objections != 0 ||
        cur->publicity_until != until)
      continue;  // moved on since it was queued
    auto e = std::make_shared<LiveEntry>(*cur);
    e->confirmed_by_system = true;
    ComeIntoForce(*e, until + 1, SystemActor(), clock);
    Put(std::move(e));
  }
  while (!expiry_due_.empty() && expiry_due_.begin()->first <= clock.today) {
    const auto [end, id] = *expiry_due_.begin();
    expiry_due_.erase(expiry_due_.begin());
    const LivePtr cur = editor_->FindEntry(id);
    if (!cur || !InForce(*cur) || cur->entry.valid_until != end) continue;
    auto e = std::make_shared<LiveEntry>(*cur);
    ExitEntry(*e, ExitReason::kExpired, end, "", SystemActor(), clock);
    Put(std::move(e));
  }
}

LedgerChange Ledger::TakeChange() {
  published_ = editor_->Finish();
  editor_ = std::make_unique<OverlayEditor>(published_);
  return std::exchange(change_, {});
}

}  // namespace credlist
