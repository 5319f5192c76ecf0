#include "engine/validate.h"

#include <xxhash.h>

#include <cstdio>

namespace credlist {
namespace {

// "'text' rest": a field's value in an error (built in one buffer).
std::string Quoted(std::string_view text, std::string_view rest) {
  std::string out;
  out.reserve(text.size() + rest.size() + 3);
  out.append(1, '\'').append(text).append("' ").append(rest);
  return out;
}

// Parses an optional ISO date field into `out`; kNoDay when empty.
Status ParseDateField(std::string_view text, const char* field, Day* out) {
  if (text.empty()) return Status::Ok();
  auto d = ParseIsoDate(text);
  if (!d) return Status::Invalid(field, Quoted(text, "is not a date of the form YYYY-MM-DD"));
  *out = *d;
  return Status::Ok();
}

}  // namespace

std::string DerivedEntryId(const EntryFields& f) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  const std::string_view parts[] = {
      f.list,       f.category,   f.subject_type, f.name,      f.uscc,
      f.reg_no,     f.id_type,    f.id_number,    f.legal_rep, f.legal_rep_id_number,
      f.conduct,    f.outcome,    f.department,   f.basis,     f.decided_on,
      f.valid_from, f.valid_until};
  for (std::string_view p : parts) {
    XXH3_64bits_update(st, p.data(), p.size());
    XXH3_64bits_update(st, "\x1f", 1);
  }
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  char buf[24];
  std::snprintf(buf, sizeof buf, "L-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status FillEntry(const EntryFields& f, Entry* out) {
  Entry& e = *out;
  if (f.list.empty()) return Status::Invalid("list", "is required (red, black or watch)");
  auto list = ParseListKind(f.list);
  if (!list) return Status::Invalid("list", Quoted(f.list, "is not red, black or watch"));
  e.list = *list;

  if (f.name.empty()) return Status::Invalid("name", "is required");
  e.name.assign(f.name);
  e.uscc = e.reg_no = e.id_number = e.legal_rep_id = Key{};
  if (f.uscc.empty() && f.reg_no.empty() && f.id_number.empty())
    return Status::Invalid("uscc", "a subject needs at least one of uscc, reg_no, id_number");
  if (!f.uscc.empty()) {
    auto k = ParseUscc(f.uscc, "uscc");
    if (!k.ok()) return k.status();
    e.uscc = *k;
  }
  if (!f.reg_no.empty()) {
    auto k = ParseRegNo(f.reg_no, "reg_no");
    if (!k.ok()) return k.status();
    e.reg_no = *k;
  }
  if (!f.id_number.empty()) {
    auto k = ParseIdNumber(f.id_number, "id_number");
    if (!k.ok()) return k.status();
    e.id_number = *k;
    e.id_type.assign(f.id_type.empty() ? std::string_view("居民身份证") : f.id_type);
  } else {
    e.id_type.assign(f.id_type);
  }
  if (!f.legal_rep_id_number.empty()) {
    auto k = ParseIdNumber(f.legal_rep_id_number, "legal_rep_id_number");
    if (!k.ok()) return k.status();
    e.legal_rep_id = *k;
  }

  if (f.subject_type.empty()) {
    e.subject_type = !e.id_number.empty() && e.uscc.empty() && e.reg_no.empty()
                         ? SubjectType::kNaturalPerson
                         : SubjectType::kLegalPerson;
  } else {
    auto t = ParseSubjectType(f.subject_type);
    if (!t)
      return Status::Invalid(
          "subject_type",
          Quoted(f.subject_type, "is not legal_person, natural_person or other_org"));
    e.subject_type = *t;
  }
  if (e.subject_type == SubjectType::kNaturalPerson && e.id_number.empty())
    return Status::Invalid("id_number", "a natural person needs an ID number");

  e.category.assign(f.category);
  e.legal_rep.assign(f.legal_rep);
  e.conduct.assign(f.conduct);
  e.outcome.assign(f.outcome);
  e.department.assign(f.department);
  e.basis.assign(f.basis);

  e.decided_on = e.valid_from = kNoDay;
  if (Status s = ParseDateField(f.decided_on, "decided_on", &e.decided_on); !s.ok()) return s;
  if (Status s = ParseDateField(f.valid_from, "valid_from", &e.valid_from); !s.ok()) return s;
  Day until = kNoDay;
  if (Status s = ParseDateField(f.valid_until, "valid_until", &until); !s.ok()) return s;
  if (e.valid_from == kNoDay) e.valid_from = e.decided_on;
  e.valid_until = until == kNoDay ? kForever : until;
  if (e.valid_from != kNoDay && e.valid_until <= e.valid_from)
    return Status::Invalid("valid_until",
                           "must be after valid_from (" + FormatDate(e.valid_from) + ")");

  e.memoranda = 0;
  for (std::string_view m : f.memoranda) {
    auto idx = ParseMemorandumId(m);
    if (!idx)
      return Status::Invalid("memoranda",
                             Quoted(m, "is not a memorandum id (P01-P43, R01-R05, J01-J03)"));
    e.memoranda |= uint64_t{1} << *idx;
  }

  e.state = State::kInForce;
  e.exit_reason = ExitReason::kNone;
  e.in_force_on = e.exited_on = kNoDay;
  if (!f.state.empty()) {
    auto st = ParseState(f.state);
    if (!st) return Status::Invalid("state", Quoted(f.state, "is not a state"));
    e.state = *st;
  }
  if (!f.exit_reason.empty()) {
    auto r = ParseExitReason(f.exit_reason);
    if (!r) return Status::Invalid("exit_reason", Quoted(f.exit_reason, "is not an exit reason"));
    // The store's chunk format keeps the reasons of a loaded record in 3 bits; a watch
    // entry's escalation happens in the life cycle (engine/lifecycle.h), not in a snapshot.
    if (*r == ExitReason::kEscalatedToBlack)
      return Status::Invalid("exit_reason",
                             "escalated_to_black is set by the life cycle, not loaded");
    e.exit_reason = *r;
  }
  if (e.state == State::kExited && e.exit_reason == ExitReason::kNone)
    return Status::Invalid("exit_reason", "is required for an exited entry");

  if (f.entry_id.empty())
    e.entry_id = DerivedEntryId(f);
  else
    e.entry_id.assign(f.entry_id);
  if (e.entry_id.size() > 128) return Status::Invalid("entry_id", "is longer than 128 bytes");
  return Status::Ok();
}

Result<Entry> MakeEntry(const EntryFields& f) {
  Entry e;
  if (Status s = FillEntry(f, &e); !s.ok()) return s;
  return e;
}

}  // namespace credlist
