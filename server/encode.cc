#include "server/encode.h"

#include "engine/live_json.h"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace credlist {
namespace {

void WriteName(JsonWriter& w, std::string_view name, bool mask, std::string* scratch) {
  if (!mask) {
    w.StringOrNull(name);
    return;
  }
  if (name.empty()) {
    w.Null();
    return;
  }
  scratch->clear();
  AppendMaskedName(name, scratch);
  w.String(*scratch);
}

void WriteNumber(JsonWriter& w, const Key& key, bool mask, std::string* scratch) {
  if (key.empty()) {
    w.Null();
    return;
  }
  char buf[18];
  const std::string_view text(buf, FormatKeyTo(key, buf));
  if (!mask) {
    w.String(text);
    return;
  }
  scratch->clear();
  AppendMaskedNumber(text, scratch);
  w.String(*scratch);
}

// The measures of a check, from the memoranda of the entries that count: the policy keeps them
// pre-encoded, so this is a few appends.
void WriteMeasures(const Snapshot& snap, const CheckResult& r, const Policy& policy, int scenario,
                   JsonWriter& w) {
  thread_local std::string json;
  json.clear();
  policy.AppendSubjectJson(scenario, SubjectListsOf(snap, r), &json);
  w.RawMembers(json);
}

}  // namespace

SubjectLists SubjectListsOf(const Snapshot& snap, const CheckResult& r) {
  SubjectLists lists;
  for (uint32_t i : r.entries) {
    const EntryRecord& e = snap.record(i);
    lists.Add(e.list(), snap.profile(e).memoranda);
  }
  for (const LiveEntry* e : r.live_entries) lists.Add(e->entry.list, e->entry.memoranda);
  return lists;
}

void WriteEntry(const Snapshot& snap, uint32_t index, Visibility vis, JsonWriter& w) {
  const EntryRecord& r = snap.record(index);
  const EntryProfile& p = snap.profile(r);
  const EntryDates dates = snap.dates(index);
  const bool mask = vis == Visibility::kPublic;
  const bool person = r.subject_type() == SubjectType::kNaturalPerson;
  thread_local std::string scratch;
  w.BeginObject();
  w.Key("entry_id").String(snap.str(r.entry_id()));
  w.Key("list").String(ListKindName(r.list()));
  w.Key("category").StringOrNull(snap.str(p.category));
  w.Key("subject_type").String(SubjectTypeName(r.subject_type()));
  w.Key("name");
  WriteName(w, snap.str(r.name()), mask && person, &scratch);
  w.Key("uscc");
  WriteNumber(w, r.uscc(), false, &scratch);
  w.Key("reg_no");
  WriteNumber(w, r.reg_no(), false, &scratch);
  w.Key("id_type").StringOrNull(snap.str(p.id_type));
  w.Key("id_number");
  WriteNumber(w, r.id_number(), mask, &scratch);
  w.Key("legal_rep");
  WriteName(w, snap.str(r.legal_rep()), mask, &scratch);
  w.Key("legal_rep_id_number");
  WriteNumber(w, r.legal_rep_id(), mask, &scratch);
  w.Key("conduct").StringOrNull(snap.str(p.conduct));
  w.Key("outcome").StringOrNull(snap.str(p.outcome));
  w.Key("department").StringOrNull(snap.str(p.department));
  w.Key("basis").StringOrNull(snap.str(p.basis));
  char date[16];
  auto write_date = [&](const char* name, Day d) {
    w.Key(name);
    if (d == kNoDay || d == kForever) {
      w.Null();
      return;
    }
    w.String(std::string_view(date, FormatDateTo(d, date)));
  };
  write_date("decided_on", dates.decided_on);
  write_date("valid_from", dates.valid_from);
  write_date("valid_until", dates.valid_until);
  w.Key("memoranda").BeginArray();
  for (uint64_t m = p.memoranda; m != 0; m &= m - 1) {
    const std::string id = MemorandumId(__builtin_ctzll(m));
    w.String(id);
  }
  w.EndArray();
  w.Key("state").String(StateName(r.state()));
  if (r.exit_reason() != ExitReason::kNone)
    w.Key("exit_reason").String(ExitReasonName(r.exit_reason()));
  w.EndObject();
}

void WriteEntry(const LiveEntry& e, Visibility vis, JsonWriter& w) {
  w.BeginObject();
  WriteShownEntryMembers(e, Today(), vis == Visibility::kPublic, w);
  w.EndObject();
}

void WriteCheckMembers(const Snapshot& snap, const CheckResult& r, Day as_of,
                       std::string_view check_id, Visibility vis, JsonWriter& w,
                       const MeasureContext& measures) {
  thread_local std::string scratch;
  w.Key("key");
  WriteNumber(w, r.key, vis == Visibility::kPublic && r.key_type == KeyType::kIdNumber, &scratch);
  w.Key("key_type").String(KeyTypeName(r.key_type));
  // Only a known exception (data/uscc_exceptions.txt) says so; conforming codes omit it. A
  // parsed USCC fails to conform exactly when it is listed there (the list refuses conforming
  // codes), and a search of that short list costs less, on every check and screen row, than
  // formatting the key and checking it again.
  if (r.key_type == KeyType::kUscc && InstalledUsccExceptions().Contains(r.key))
    w.Key("code_conforms").Bool(false);
  w.Key("status").String(ListStatusName(r.status));
  w.Key("conflict").Bool(r.conflict);
  char date[16];
  w.Key("as_of").String(std::string_view(date, FormatDateTo(as_of, date)));
  w.Key("check_id").String(check_id);
  w.Key("entries").BeginArray();
  for (uint32_t i : r.entries) WriteEntry(snap, i, vis, w);
  for (const LiveEntry* e : r.live_entries) WriteEntry(*e, vis, w);
  w.EndArray();
  w.Key("related").BeginArray();
  for (uint32_t i : r.related) WriteEntry(snap, i, vis, w);
  for (const LiveEntry* e : r.live_related) WriteEntry(*e, vis, w);
  w.EndArray();
  w.Key("measures").BeginArray();
  if (measures.policy != nullptr && measures.scenario >= 0)
    WriteMeasures(snap, r, *measures.policy, measures.scenario, w);
  w.EndArray();
}

std::string_view NextCheckId(char (&buf)[24]) {
  // A per-process prefix from the start time, and a counter: ids never repeat within a
  // process and differ between processes started at different microseconds.
  static const uint32_t prefix =
      static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count() ^
                            std::chrono::system_clock::now().time_since_epoch().count());
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  const int len = std::snprintf(buf, sizeof buf, "c%08x%012llx", prefix,
                                static_cast<unsigned long long>(n & 0xFFFFFFFFFFFFull));
  return {buf, static_cast<size_t>(len)};
}

}  // namespace credlist
