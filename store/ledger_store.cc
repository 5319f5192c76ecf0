#include "store/ledger_store.h"

#include <simdjson.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/live_json.h"
#include "engine/validate.h"
#include "store/sqlite_handles.h"
#include "store/sqlite_store.h"

namespace credlist {
namespace {

namespace dom = simdjson::dom;

using DbPtr = SqliteDb;
using StmtPtr = SqliteStmt;

Status Fail(sqlite3* db, std::string_view op) {
  return Status::Io("ledger store: " + std::string(op) + ": " + sqlite3_errmsg(db));
}

Status Exec(sqlite3* db, const char* sql, std::string_view op) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? Status::Ok()
                                                                       : Fail(db, op);
}

void Bind(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void BindOptional(sqlite3_stmt* st, int i, std::string_view s) {
  if (s.empty())
    sqlite3_bind_null(st, i);
  else
    Bind(st, i, s);
}

std::string_view Column(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i))) : "";
}

// --- documents -------------------------------------------------------------------------------

std::string_view Str(dom::object o, std::string_view key) {
  std::string_view v;
  return o[key].get_string().get(v) == simdjson::SUCCESS ? v : std::string_view{};
}
int64_t Int(dom::object o, std::string_view key) {
  int64_t v = 0;
  return o[key].get_int64().get(v) == simdjson::SUCCESS ? v : 0;
}
bool Bool(dom::object o, std::string_view key) {
  bool v = false;
  return o[key].get_bool().get(v) == simdjson::SUCCESS && v;
}
Day Date(dom::object o, std::string_view key) {
  const std::string_view s = Str(o, key);
  if (s.empty()) return kNoDay;
  const auto d = ParseIsoDate(s);
  return d ? *d : kNoDay;
}
std::vector<std::string> Strings(dom::object o, std::string_view key) {
  std::vector<std::string> out;
  dom::array a;
  if (o[key].get_array().get(a) != simdjson::SUCCESS) return out;
  for (dom::element x : a) {
    std::string_view s;
    if (x.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

Status Corrupt(std::string_view table, std::string_view key, std::string_view why) {
  return Status::Io("ledger store: " + std::string(table) + " row '" + std::string(key) +
                    "' cannot be read: " + std::string(why));
}

Result<LiveEntry> ParseLiveEntry(dom::object o, std::string_view table, std::string_view key) {
  EntryFields f;
  for (const EntryTextField& field : kDecisionFields) f.*field.member = Str(o, field.name);
  const std::vector<std::string> memoranda = Strings(o, "memoranda");
  for (const std::string& m : memoranda) f.memoranda.push_back(m);
  auto entry = MakeEntry(f);
  if (!entry.ok()) return Corrupt(table, key, entry.status().ToString());
  LiveEntry e;
  e.entry = std::move(*entry);
  const auto state = ParseState(Str(o, "state"));
  if (!state) return Corrupt(table, key, "no state");
  e.entry.state = *state;
  if (const std::string_view r = Str(o, "exit_reason"); !r.empty()) {
    const auto reason = ParseExitReason(r);
    if (!reason) return Corrupt(table, key, "exit_reason '" + std::string(r) + "'");
    e.entry.exit_reason = *reason;
  }
  e.entry.in_force_on = Date(o, "in_force_on");
  e.entry.exited_on = Date(o, "exited_on");
  if (const auto from = ParseState(Str(o, "review_from"))) e.review_from = *from;
  e.open_objections = static_cast<uint32_t>(Int(o, "open_objections"));
  e.confirmed_by_system = Bool(o, "confirmed_by_system");
  if (const auto sev = ParseSeverity(Str(o, "severity"))) e.severity = *sev;
  e.notified_on = Date(o, "notified_on");
  e.notice_channel = Str(o, "notice_channel");
  dom::object pub;
  if (o["publicity"].get_object().get(pub) == simdjson::SUCCESS) {
    e.publicity_from = Date(pub, "from");
    e.publicity_until = Date(pub, "until");
  }
  e.reject_reason = Str(o, "reject_reason");
  e.exit_note = Str(o, "exit_note");
  dom::array arr;
  if (o["corrections"].get_array().get(arr) == simdjson::SUCCESS) {
    for (dom::element x : arr) {
      dom::object c;
      if (x.get_object().get(c) != simdjson::SUCCESS) continue;
      e.corrections.push_back(
          {std::string(Str(c, "text")), std::string(Str(c, "objection_id")), Date(c, "on")});
    }
  }
  if (o["history"].get_array().get(arr) == simdjson::SUCCESS) {
    for (dom::element x : arr) {
      dom::object h;
      if (x.get_object().get(h) != simdjson::SUCCESS) continue;
      Event ev;
      ev.event = Str(h, "event");
      ev.on = Date(h, "on");
      ev.at_ms = Int(h, "at_ms");
      ev.actor = Str(h, "actor");
      ev.role = Str(h, "role");
      ev.department = Str(h, "department");
      ev.reason = Str(h, "reason");
      ev.payload = Str(h, "payload");
      e.history.push_back(std::move(ev));
    }
  }
  return e;
}

Objection ParseObjection(dom::object o) {
  Objection x;
  x.objection_id = Str(o, "objection_id");
  x.entry_id = Str(o, "entry_id");
  x.status = Str(o, "status");
  x.objector = Str(o, "objector");
  x.contact = Str(o, "contact");
  x.reason = Str(o, "reason");
  x.materials = Strings(o, "materials");
  x.filed_ms = Int(o, "filed_ms");
  x.filed_on = Date(o, "filed_on");
  x.reply = Str(o, "reply");
  x.correction = Str(o, "correction");
  x.decided_by = Str(o, "decided_by");
  x.decided_ms = Int(o, "decided_ms");
  return x;
}

RepairApplication ParseRepair(dom::object o) {
  RepairApplication x;
  x.repair_id = Str(o, "repair_id");
  x.entry_id = Str(o, "entry_id");
  x.status = Str(o, "status");
  x.applicant = Str(o, "applicant");
  x.reason = Str(o, "reason");
  x.materials = Strings(o, "materials");
  x.filed_ms = Int(o, "filed_ms");
  x.filed_on = Date(o, "filed_on");
  x.reply = Str(o, "reply");
  x.decided_by = Str(o, "decided_by");
  x.decided_ms = Int(o, "decided_ms");
  return x;
}

std::string StoredEntry(const LiveEntry& e) {
  std::string doc;
  JsonWriter w(&doc);
  WriteLiveEntry(e, LiveJsonStyle{.mask = false, .stored = true}, w);
  return doc;
}

// --- the store -------------------------------------------------------------------------------

class SqliteLedgerStore final : public LedgerStore {
 public:
  explicit SqliteLedgerStore(DbPtr db) : db_(std::move(db)) {}

  Status Prepare() {
    static constexpr const char* kSql[] = {
        "INSERT INTO live_entries (entry_id, doc) VALUES (?1, ?2) "
        "ON CONFLICT (entry_id) DO UPDATE SET doc = excluded.doc",
        "INSERT INTO objections (objection_id, entry_id, doc) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (objection_id) DO UPDATE SET doc = excluded.doc",
        "INSERT INTO repairs (repair_id, entry_id, doc) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (repair_id) DO UPDATE SET doc = excluded.doc",
        "INSERT INTO announcements (seq, at_ms, exited_on, doc) VALUES (?1, ?2, ?3, ?4)",
        "INSERT INTO audit (at_ms, token_id, role, department, route, scenario, subject, "
        "status, check_id, auth_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        "INSERT INTO check_counts (day, department, checks, hits) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (day, department) DO UPDATE SET checks = checks + excluded.checks, "
        "hits = hits + excluded.hits",
        "INSERT INTO check_hits (check_id, at_ms, day, department, token_id, route, scenario, "
        "subject, status, measures, measure_count) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
        "SELECT department, measures FROM check_hits WHERE check_id = ?1",
        "SELECT action, note, at_ms, token_id, department FROM feedback "
        "WHERE check_id = ?1 AND measure_id = ?2",
        "INSERT INTO feedback (check_id, measure_id, action, note, at_ms, token_id, department) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (check_id, measure_id) DO UPDATE SET "
        "action = excluded.action, note = excluded.note, at_ms = excluded.at_ms, "
        "token_id = excluded.token_id, department = excluded.department",
    };
    for (size_t i = 0; i < std::size(kSql); ++i) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v3(db_.get(), kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
          SQLITE_OK)
        return Fail(db_.get(), "prepare");
      stmts_[i].reset(st);
    }
    return Status::Ok();
  }

  Status Commit(const LedgerChange& change, const std::vector<AuditRecord>& audit,
                CheckLogBatch* checks) override {
    sqlite3* db = db_.get();
    if (Status s = Exec(db, "BEGIN IMMEDIATE", "commit"); !s.ok()) return s;
    Status s = Write(change, audit);
    if (s.ok() && checks != nullptr) s = WriteChecks(checks);
    if (s.ok()) s = Exec(db, "COMMIT", "commit");
    if (!s.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

  Status Restore(Ledger* ledger) override {
    sqlite3* db = db_.get();
    if (Status s = Exec(db, "BEGIN", "restore"); !s.ok()) return s;
    Status s = Read(ledger);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (s.ok()) ledger->FinishRestore();
    return s;
  }

  Result<std::vector<AuditRecord>> ReadAudit(const AuditQuery& q) override {
    sqlite3* db = db_.get();
    std::string sql =
        "SELECT at_ms, token_id, role, department, route, scenario, subject, status, check_id, "
        "auth_ref FROM audit WHERE at_ms >= ?1";
    if (!q.subject.empty()) sql += " AND subject = ?2";
    sql += " ORDER BY seq LIMIT " + std::to_string(q.limit);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
      return Fail(db, "read audit");
    StmtPtr st(raw);
    sqlite3_bind_int64(raw, 1, q.since_ms);
    if (!q.subject.empty()) Bind(raw, 2, q.subject);
    std::vector<AuditRecord> out;
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      AuditRecord r;
      r.at_ms = sqlite3_column_int64(raw, 0);
      r.token_id = Column(raw, 1);
      r.role = Column(raw, 2);
      r.department = Column(raw, 3);
      r.route = Column(raw, 4);
      r.scenario = Column(raw, 5);
      r.subject = Column(raw, 6);
      r.status = Column(raw, 7);
      r.check_id = Column(raw, 8);
      r.auth_ref = Column(raw, 9);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return Fail(db, "read audit");
    return out;
  }

 private:
  enum {
    kEntry,
    kObjection,
    kRepair,
    kAnnouncement,
    kAudit,
    kCheckCount,
    kCheckHit,
    kFindHit,
    kFindFeedback,
    kFeedback,
    kStatements
  };

  Status Step(int which, std::string_view op) {
    sqlite3_stmt* st = stmts_[which].get();
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? Status::Ok() : Fail(db_.get(), op);
  }

  // A document row (objection, repair): its id, its entry's id and its JSON.
  Status WriteDocument(int which, std::string_view id, std::string_view entry_id,
                       const std::string& doc, std::string_view op) {
    sqlite3_stmt* st = stmts_[which].get();
    Bind(st, 1, id);
    Bind(st, 2, entry_id);
    Bind(st, 3, doc);
    return Step(which, op);
  }

  Status Write(const LedgerChange& change, const std::vector<AuditRecord>& audit) {
    // An entry changed twice in the batch: its last version is the one that counts.
    std::unordered_set<std::string_view> written;
    for (size_t i = change.entries.size(); i-- > 0;) {
      const LiveEntry& e = *change.entries[i];
      if (!written.insert(e.entry.entry_id).second) continue;
      sqlite3_stmt* st = stmts_[kEntry].get();
      Bind(st, 1, e.entry.entry_id);
      Bind(st, 2, StoredEntry(e));
      if (Status s = Step(kEntry, "write entry"); !s.ok()) return s;
    }
    std::string doc;
    for (const Objection& o : change.objections) {
      doc.clear();
      JsonWriter w(&doc);
      WriteObjection(o, w);
      if (Status s = WriteDocument(kObjection, o.objection_id, o.entry_id, doc, "write objection");
          !s.ok())
        return s;
    }
    for (const RepairApplication& r : change.repairs) {
      doc.clear();
      JsonWriter w(&doc);
      WriteRepair(r, w);
      if (Status s = WriteDocument(kRepair, r.repair_id, r.entry_id, doc, "write repair"); !s.ok())
        return s;
    }
    for (const Announcement& a : change.announcements) {
      sqlite3_stmt* st = stmts_[kAnnouncement].get();
      sqlite3_bind_int64(st, 1, static_cast<int64_t>(a.seq));
      sqlite3_bind_int64(st, 2, a.at_ms);
      Bind(st, 3, FormatDate(a.exited_on));
      Bind(st, 4, StoredEntry(*a.entry));
      if (Status s = Step(kAnnouncement, "write announcement"); !s.ok()) return s;
    }
    for (const AuditRecord& r : audit) {
      sqlite3_stmt* st = stmts_[kAudit].get();
      sqlite3_bind_int64(st, 1, r.at_ms);
      Bind(st, 2, r.token_id);
      Bind(st, 3, r.role);
      BindOptional(st, 4, r.department);
      Bind(st, 5, r.route);
      BindOptional(st, 6, r.scenario);
      Bind(st, 7, r.subject);
      Bind(st, 8, r.status);
      BindOptional(st, 9, r.check_id);
      BindOptional(st, 10, r.auth_ref);
      if (Status s = Step(kAudit, "write audit"); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status WriteChecks(CheckLogBatch* checks) {
    for (const CheckCount& c : checks->counts) {
      sqlite3_stmt* st = stmts_[kCheckCount].get();
      Bind(st, 1, FormatDate(c.day));
      Bind(st, 2, c.department);
      sqlite3_bind_int64(st, 3, static_cast<int64_t>(c.checks));
      sqlite3_bind_int64(st, 4, static_cast<int64_t>(c.hits));
      if (Status s = Step(kCheckCount, "write check counts"); !s.ok()) return s;
    }
    std::string measures;
    for (const CheckHit& h : checks->hits) {
      measures.clear();
      JsonWriter w(&measures);
      w.BeginArray();
      for (const std::string& m : h.measures) w.String(m);
      w.EndArray();
      sqlite3_stmt* st = stmts_[kCheckHit].get();
      Bind(st, 1, h.check_id);
      sqlite3_bind_int64(st, 2, h.at_ms);
      Bind(st, 3, FormatDate(h.day));
      Bind(st, 4, h.department);
      Bind(st, 5, h.token_id);
      Bind(st, 6, h.route);
      Bind(st, 7, h.scenario);
      Bind(st, 8, h.subject);
      Bind(st, 9, h.status);
      Bind(st, 10, measures);
      sqlite3_bind_int64(st, 11, static_cast<int64_t>(h.measures.size()));
      if (Status s = Step(kCheckHit, "write check hit"); !s.ok()) return s;
    }
    for (FeedbackRequest* f : checks->feedback)
      if (Status s = RecordFeedback(f); !s.ok()) return s;
    return Status::Ok();
  }

  // Checks one feedback against its hit and records it. The request's outcome says what
  // came of it; the Status returned is the store's own failure only.
  Status RecordFeedback(FeedbackRequest* req) {
    const Feedback& f = req->feedback;
    req->created = req->replaced = false;
    std::string department, measures;
    {
      sqlite3_stmt* st = stmts_[kFindHit].get();
      Bind(st, 1, f.check_id);
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        department = Column(st, 0);
        measures = Column(st, 1);
      }
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db_.get(), "read check hit");
      if (rc == SQLITE_DONE) {
        req->outcome = Status::NotFound("no check '" + f.check_id +
                                        "' that listed measures: feedback answers the measures "
                                        "of a hit checked by a department's token");
        return Status::Ok();
      }
    }
    dom::element doc;
    dom::array listed;
    if (parser_.parse(measures).get(doc) != simdjson::SUCCESS ||
        doc.get_array().get(listed) != simdjson::SUCCESS)
      return Corrupt("check_hits", f.check_id, "measures is not a JSON array");
    bool found = false;
    for (dom::element m : listed) {
      std::string_view id;
      if (m.get_string().get(id) == simdjson::SUCCESS && id == f.measure_id) found = true;
    }
    if (!found) {
      req->outcome = Status::NotFound("measure '" + f.measure_id + "' was not listed in check '" +
                                      f.check_id + "'");
      return Status::Ok();
    }
    if (!req->any_department && department != req->department) {
      req->outcome = Status::Make(StatusCode::kPermissionDenied, "",
                                  "check '" + f.check_id + "' was made by " + department +
                                      (req->department.empty() ? std::string(", not by this token")
                                                               : ", not by " + req->department));
      return Status::Ok();
    }
    req->outcome = Status::Ok();
    {
      sqlite3_stmt* st = stmts_[kFindFeedback].get();
      Bind(st, 1, f.check_id);
      Bind(st, 2, f.measure_id);
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        Feedback old;
        old.check_id = f.check_id;
        old.measure_id = f.measure_id;
        old.action = ParseFeedbackAction(Column(st, 0)).value_or(FeedbackAction::kOther);
        old.note = Column(st, 1);
        old.at_ms = sqlite3_column_int64(st, 2);
        old.token_id = Column(st, 3);
        old.department = Column(st, 4);
        req->stored = std::move(old);
      }
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db_.get(), "read feedback");
      if (rc == SQLITE_ROW) {
        // The same answer again changes nothing (a client's retry); another replaces it.
        if (req->stored.action == f.action && req->stored.note == f.note) return Status::Ok();
        req->replaced = true;
      } else {
        req->created = true;
      }
    }
    req->stored = f;
    req->stored.department = department;
    sqlite3_stmt* st = stmts_[kFeedback].get();
    Bind(st, 1, f.check_id);
    Bind(st, 2, f.measure_id);
    Bind(st, 3, FeedbackActionName(f.action));
    BindOptional(st, 4, f.note);
    sqlite3_bind_int64(st, 5, f.at_ms);
    Bind(st, 6, f.token_id);
    Bind(st, 7, department);
    return Step(kFeedback, "write feedback");
  }

  Result<std::vector<DepartmentChecks>> ReadDepartmentChecks(Day from, Day to) override {
    sqlite3* db = db_.get();
    const std::string lo = from == kNoDay ? "0000-00-00" : FormatDate(from);
    const std::string hi = to == kNoDay ? "9999-99-99" : FormatDate(to);
    std::map<std::string, DepartmentChecks, std::less<>> by_name;
    // The counts of the checks with no hit row, then the hit rows, each with whether some
    // listed measure has no feedback (feedback rows exist only for listed measures).
    static constexpr const char* kQueries[] = {
        "SELECT department, SUM(checks), SUM(hits), 0, 0 FROM check_counts "
        "WHERE day BETWEEN ?1 AND ?2 GROUP BY department",
        "SELECT h.department, COUNT(*), COUNT(*), COUNT(*), "
        "SUM((SELECT COUNT(*) FROM feedback f WHERE f.check_id = h.check_id) < h.measure_count) "
        "FROM check_hits h WHERE h.day BETWEEN ?1 AND ?2 GROUP BY h.department",
    };
    if (Status s = Exec(db, "BEGIN", "read check log"); !s.ok()) return s;
    Status s = Status::Ok();
    for (const char* sql : kQueries) {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
        s = Fail(db, "read check log");
        break;
      }
      StmtPtr st(raw);
      Bind(raw, 1, lo);
      Bind(raw, 2, hi);
      int rc;
      while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        DepartmentChecks& d = by_name[std::string(Column(raw, 0))];
        d.checks += static_cast<uint64_t>(sqlite3_column_int64(raw, 1));
        d.hits += static_cast<uint64_t>(sqlite3_column_int64(raw, 2));
        d.hits_with_measures += static_cast<uint64_t>(sqlite3_column_int64(raw, 3));
        d.hits_without_feedback += static_cast<uint64_t>(sqlite3_column_int64(raw, 4));
      }
      if (rc != SQLITE_DONE) {
        s = Fail(db, "read check log");
        break;
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (!s.ok()) return s;
    std::vector<DepartmentChecks> out;
    out.reserve(by_name.size());
    for (auto& [name, d] : by_name) {
      d.department = name;
      out.push_back(std::move(d));
    }
    return out;
  }

  // Calls fn(key, object) for every row of `sql` (key, doc).
  template <typename F>
  Status ForEachDoc(const char* sql, std::string_view table, F&& fn) {
    sqlite3* db = db_.get();
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return Fail(db, "restore");
    StmtPtr st(raw);
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      const std::string key(Column(raw, 0));
      dom::element doc;
      if (parser_.parse(Column(raw, 1)).get(doc) != simdjson::SUCCESS)
        return Corrupt(table, key, "not JSON");
      dom::object o;
      if (doc.get_object().get(o) != simdjson::SUCCESS) return Corrupt(table, key, "not an object");
      if (Status s = fn(key, o); !s.ok()) return s;
    }
    return rc == SQLITE_DONE ? Status::Ok() : Fail(db, "restore");
  }

  Status Read(Ledger* ledger) {
    Status s = ForEachDoc("SELECT entry_id, doc FROM live_entries ORDER BY rowid", "live_entries",
                          [&](const std::string& key, dom::object o) -> Status {
                            auto e = ParseLiveEntry(o, "live_entries", key);
                            if (!e.ok()) return e.status();
                            ledger->RestoreEntry(std::move(*e));
                            return Status::Ok();
                          });
    if (!s.ok()) return s;
    s = ForEachDoc("SELECT objection_id, doc FROM objections ORDER BY rowid", "objections",
                   [&](const std::string&, dom::object o) {
                     ledger->RestoreObjection(ParseObjection(o));
                     return Status::Ok();
                   });
    if (!s.ok()) return s;
    s = ForEachDoc("SELECT repair_id, doc FROM repairs ORDER BY rowid", "repairs",
                   [&](const std::string&, dom::object o) {
                     ledger->RestoreRepair(ParseRepair(o));
                     return Status::Ok();
                   });
    if (!s.ok()) return s;
    return ForEachDoc("SELECT seq, doc, at_ms, exited_on FROM announcements ORDER BY seq",
                      "announcements", [&](const std::string& key, dom::object o) -> Status {
                        auto e = ParseLiveEntry(o, "announcements", key);
                        if (!e.ok()) return e.status();
                        Announcement a;
                        a.seq = std::stoull(key);
                        a.exited_on = e->entry.exited_on;
                        a.at_ms = e->history.empty() ? 0 : e->history.back().at_ms;
                        a.entry = std::make_shared<const LiveEntry>(std::move(*e));
                        ledger->RestoreAnnouncement(std::move(a));
                        return Status::Ok();
                      });
  }

  DbPtr db_;
  StmtPtr stmts_[kStatements];
  dom::parser parser_;
};

}  // namespace

namespace {

// Identifies ledger.db files (PRAGMA application_id): "CRLG".
constexpr int32_t kLedgerApplicationId = 0x43524C47;
constexpr int kLedgerSchemaVersion = 1;

constexpr char kLedgerSchema[] = R"sql(
CREATE TABLE live_entries (
  entry_id TEXT NOT NULL PRIMARY KEY,
  doc      TEXT NOT NULL                     -- the entry, its life-cycle state and history
) STRICT;
CREATE TABLE objections (
  objection_id TEXT NOT NULL PRIMARY KEY,
  entry_id     TEXT NOT NULL,
  doc          TEXT NOT NULL
) STRICT;
CREATE TABLE repairs (
  repair_id TEXT NOT NULL PRIMARY KEY,
  entry_id  TEXT NOT NULL,
  doc       TEXT NOT NULL
) STRICT;
CREATE TABLE announcements (
  seq       INTEGER PRIMARY KEY,             -- publication order
  at_ms     INTEGER NOT NULL,
  exited_on TEXT NOT NULL,
  doc       TEXT NOT NULL                    -- the entry as it exited
) STRICT;
CREATE TABLE audit (
  seq        INTEGER PRIMARY KEY,
  at_ms      INTEGER NOT NULL,               -- Unix milliseconds
  token_id   TEXT NOT NULL,
  role       TEXT NOT NULL,
  department TEXT,
  route      TEXT NOT NULL,                  -- subjects, check, screen
  scenario   TEXT,
  subject    TEXT NOT NULL,                  -- the ID number checked
  status     TEXT NOT NULL,                  -- the check's status
  check_id   TEXT,
  auth_ref   TEXT                            -- the authorisation the caller cited
) STRICT;
CREATE INDEX audit_by_subject ON audit (subject, at_ms);
CREATE INDEX audit_by_time ON audit (at_ms);
CREATE TABLE check_counts (
  day        TEXT NOT NULL,                  -- YYYY-MM-DD, Asia/Shanghai
  department TEXT NOT NULL,                  -- the checking department (its token's)
  checks     INTEGER NOT NULL,               -- checks with no row in check_hits
  hits       INTEGER NOT NULL,               -- of those, the hits (status not clear)
  PRIMARY KEY (day, department)
) STRICT, WITHOUT ROWID;
CREATE TABLE check_hits (
  check_id      TEXT NOT NULL PRIMARY KEY,   -- as the check result gave it
  at_ms         INTEGER NOT NULL,
  day           TEXT NOT NULL,
  department    TEXT NOT NULL,
  token_id      TEXT NOT NULL,
  route         TEXT NOT NULL,               -- subjects, check, screen
  scenario      TEXT NOT NULL,
  subject       TEXT NOT NULL,               -- the key checked
  status        TEXT NOT NULL,               -- black, watch, red
  measures      TEXT NOT NULL,               -- the measure ids listed, a JSON array
  measure_count INTEGER NOT NULL
) STRICT;
CREATE INDEX check_hits_by_day ON check_hits (day, department);
CREATE TABLE feedback (
  check_id   TEXT NOT NULL,
  measure_id TEXT NOT NULL,                  -- one of the check's measures
  action     TEXT NOT NULL,                  -- applied, not_applicable, other
  note       TEXT,
  at_ms      INTEGER NOT NULL,               -- when this answer was recorded
  token_id   TEXT NOT NULL,
  department TEXT NOT NULL,                  -- the check's department
  PRIMARY KEY (check_id, measure_id)
) STRICT, WITHOUT ROWID;
)sql";

Result<int64_t> PragmaInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return Fail(db, sql);
  StmtPtr st(raw);
  if (sqlite3_step(raw) != SQLITE_ROW) return Fail(db, sql);
  return static_cast<int64_t>(sqlite3_column_int64(raw, 0));
}

// Creates the schema of a new file, or checks that of an existing one.
Status EnsureSchema(sqlite3* db, const std::string& path) {
  auto version = PragmaInt(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto app = PragmaInt(db, "PRAGMA application_id");
  if (!app.ok()) return app.status();
  if (*version == kLedgerSchemaVersion && *app == kLedgerApplicationId) return Status::Ok();
  if (*version > kLedgerSchemaVersion)
    return Status::Io(path + " has schema version " + std::to_string(*version) +
                      ", newer than this credlist knows: use a newer credlist; the file was not "
                      "changed");
  if (*app != 0 && *app != kLedgerApplicationId)
    return Status::Io(path + " is not a credlist ledger (application_id " + std::to_string(*app) +
                      ")");
  if (Status s = Exec(db, "BEGIN IMMEDIATE", "create " + path); !s.ok()) return s;
  version = PragmaInt(db, "PRAGMA user_version");  // another process may have made it
  Status s = version.ok() ? Status::Ok() : version.status();
  if (s.ok() && *version == 0) {
    s = Exec(db, kLedgerSchema, "create " + path);
    const std::string set = "PRAGMA user_version = " + std::to_string(kLedgerSchemaVersion) +
                            "; PRAGMA application_id = " + std::to_string(kLedgerApplicationId);
    if (s.ok()) s = Exec(db, set.c_str(), "create " + path);
  }
  if (s.ok()) return Exec(db, "COMMIT", "create " + path);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

}  // namespace

Result<std::unique_ptr<LedgerStore>> OpenLedgerStore(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = (std::filesystem::path(data_dir) / kLedgerFileName).string();
  // Personal data and the audit log: owner only, whatever the umask.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    ::close(fd);
  else if (errno != EEXIST)
    return Status::Io("ledger store: cannot create " + path + ": " + std::strerror(errno));
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK)
    return Status::Io("ledger store: open " + path + ": " +
                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 30000);
  // Small pages: a write changes a document or two, and a commit writes only the pages it
  // changed. WAL with synchronous=FULL: a commit is one append and one fsync.
  if (Status s = Exec(raw,
                      "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
                      "PRAGMA synchronous = FULL; PRAGMA secure_delete = FAST;",
                      "open " + path);
      !s.ok())
    return s;
  if (Status s = EnsureSchema(raw, path); !s.ok()) return s;
  auto store = std::make_unique<SqliteLedgerStore>(std::move(db));
  if (Status s = store->Prepare(); !s.ok()) return s;
  return std::unique_ptr<LedgerStore>(std::move(store));
}

Result<std::shared_ptr<const LiveOverlay>> ReadLiveOverlay(const std::string& data_dir,
                                                           std::shared_ptr<const Snapshot> base) {
  auto store = OpenLedgerStore(data_dir);
  if (!store.ok()) return store.status();
  Ledger ledger(std::move(base), LedgerOptions{});
  if (Status s = (*store)->Restore(&ledger); !s.ok()) return s;
  return ledger.overlay();
}

}  // namespace credlist
