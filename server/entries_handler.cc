// The life cycle over HTTP (API.md "Life cycle"): submissions, transitions, objections,
// repairs, the entry with its history, exit announcements and the audit log.
//
// Writes are parsed and checked for their form here, on the HTTP thread, then handed to the
// LedgerWriter (server/ledger_writer.h) as a task that owns everything it needs; the response
// is deferred until the writer has committed. Reads (an entry, the announcements) come from
// the published snapshot and live overlay, never from the writer, so they never wait.
#include <simdjson.h>

#include "engine/live_json.h"
#include "engine/masking.h"
#include "engine/validate.h"
#include "server/json_body.h"
#include "server/ledger_writer.h"
#include "server/router.h"

namespace credlist {
namespace {

namespace dom = simdjson::dom;

std::string MaskedName(std::string_view name) {
  std::string out;
  AppendMaskedName(name, &out);
  return out;
}
std::string MaskedNumber(std::string_view number) {
  std::string out;
  AppendMaskedNumber(number, &out);
  return out;
}

Actor ActorOf(const Principal& who) {
  return Actor{who.token_id, std::string(RoleName(who.role)), who.department};
}

Status Unauthenticated(std::string_view what) {
  return Status::Make(StatusCode::kUnauthenticated, "",
                      std::string(what) + " needs a bearer token (Authorization: Bearer ...)");
}

Status Forbidden(std::string reason) {
  return Status::Make(StatusCode::kPermissionDenied, "", std::move(reason));
}

// The roles of a department-or-admin route: 401 for anyone, 403 for a checker.
Status NeedDepartment(const Principal& who, std::string_view what) {
  if (who.role == Role::kAnyone) return Unauthenticated(what);
  if (who.role == Role::kChecker)
    return Forbidden(std::string(what) + " is for a department or admin token");
  return Status::Ok();
}

// A request body as one JSON object. An empty body is an empty object.
Status ParseBody(const Request& req, dom::parser& parser, dom::object* out) {
  const std::string_view base = req.content_type.substr(0, req.content_type.find(';'));
  if (!base.empty() && base != "application/json" && !base.ends_with("+json"))
    return Status::Make(StatusCode::kInvalidArgument, "body", "must be application/json");
  dom::element doc;
  if (Status s = ParseJsonBody(req.body, /*empty_is_object=*/true, parser, &doc); !s.ok()) return s;
  if (doc.get_object().get(*out)) return Status::Invalid("body", "must be a JSON object");
  return Status::Ok();
}

// An optional string member: "" when absent or null; an error naming the field otherwise.
Status OptString(dom::object o, std::string_view key, std::string_view field_prefix,
                 std::string* out) {
  dom::element v;
  if (o[key].get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  std::string_view s;
  if (v.get_string().get(s))
    return Status::Invalid(std::string(field_prefix) + std::string(key), "must be a string");
  *out = std::string(s);
  return Status::Ok();
}

Status OptDate(dom::object o, std::string_view key, std::optional<Day>* out) {
  std::string text;
  if (Status s = OptString(o, key, "", &text); !s.ok()) return s;
  if (text.empty()) return Status::Ok();
  const auto d = ParseIsoDate(text);
  if (!d) return Status::Invalid(key, "'" + text + "' is not a date of the form YYYY-MM-DD");
  *out = *d;
  return Status::Ok();
}

Status OptStrings(dom::object o, std::string_view key, std::vector<std::string>* out) {
  dom::element v;
  if (o[key].get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  dom::array arr;
  if (v.get_array().get(arr)) return Status::Invalid(key, "must be an array of strings");
  size_t i = 0;
  for (dom::element x : arr) {
    std::string_view s;
    if (x.get_string().get(s))
      return Status::Invalid(std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
    out->emplace_back(s);
    ++i;
  }
  return Status::Ok();
}

Status RequiredBool(dom::object o, std::string_view key, bool* out) {
  dom::element v;
  if (o[key].get(v) != simdjson::SUCCESS || v.is_null()) return Status::Invalid(key, "is required");
  if (v.get_bool().get(*out)) return Status::Invalid(key, "must be true or false");
  return Status::Ok();
}

// One submitted entry: the record's fields (API.md "Input records") through MakeEntry, and
// severity. `prefix` names the entry in a batch ("entries[3].").
Result<Submission> ParseSubmission(dom::object o, const std::string& prefix) {
  std::string text[std::size(kDecisionFields)], severity;
  EntryFields f;
  for (size_t i = 0; i < std::size(kDecisionFields); ++i) {
    if (Status s = OptString(o, kDecisionFields[i].name, prefix, &text[i]); !s.ok()) return s;
    f.*kDecisionFields[i].member = text[i];
  }
  if (Status s = OptString(o, "severity", prefix, &severity); !s.ok()) return s;
  std::vector<std::string> memoranda;
  if (Status s = OptStrings(o, "memoranda", &memoranda); !s.ok())
    return Status::Invalid(prefix + s.field(), s.reason());
  for (const std::string& m : memoranda) f.memoranda.push_back(m);
  if (f.list.empty()) return Status::Invalid(prefix + "list", "is required (red, black or watch)");
  auto entry = MakeEntry(f);
  if (!entry.ok()) return Status::Invalid(prefix + entry.status().field(), entry.status().reason());
  Submission sub{std::move(*entry), Severity::kNone};
  if (!severity.empty()) {
    const auto sev = ParseSeverity(severity);
    if (!sev)
      return Status::Invalid(prefix + "severity",
                             "'" + severity + "' is not a severity (minor, general, serious)");
    sub.severity = *sev;
  }
  return sub;
}

std::string EntryJson(const LiveEntry& e, Day today) {
  std::string body;
  JsonWriter w(&body);
  WriteLiveEntry(e, LiveJsonStyle{.mask = false, .stored = false, .today = today}, w);
  return body;
}

Reply ProblemReply(const Status& s) {
  Response r;
  WriteProblem(s, &r);
  return Reply{r.status, r.content_type, std::move(r.body)};
}

// 201 with what `write` makes of the created value, or the refusal.
template <typename T, typename Write>
Reply CreatedReply(Result<T> r, Write write) {
  if (!r.ok()) return ProblemReply(r.status());
  Reply reply{201, "application/json", {}};
  JsonWriter out(&reply.body);
  write(*r, out);
  return reply;
}

// A writer task whose reply is made by `apply` (a status and a body) and sent after the
// commit; a failed commit replaces it with the store's error.
void Defer(LedgerWriter& writer, const Request& req, Response* res,
           std::function<Reply(Ledger&, const Clock&)> apply) {
  auto send = req.responder->Later();
  auto pending = std::make_shared<Reply>();
  res->deferred = true;
  writer.Post(
      LedgerWriter::Task{[pending, apply = std::move(apply)](Ledger& ledger, const Clock& clock) {
                           *pending = apply(ledger, clock);
                         },
                         [pending, send = std::move(send)](const Status& commit, LedgerStore&) {
                           send(commit.ok() ? std::move(*pending) : ProblemReply(commit));
                         }});
}

Reply EntryReply(const Result<LivePtr>& r, const Clock& clock, unsigned status = 200) {
  if (!r.ok()) return ProblemReply(r.status());
  return Reply{status, "application/json", EntryJson(**r, clock.today)};
}

// "/a/b/c" after a prefix: the id and the action ("" when none).
std::pair<std::string_view, std::string_view> SplitIdAction(std::string_view rest) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, ""};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace

bool Router::HandleLifecycle(const Request& req, std::string_view path, std::string_view query,
                             const Principal& who, Worker& w, Response* res) {
  constexpr std::string_view kEntries = "/v1/entries", kObjections = "/v1/objections/",
                             kRepairs = "/v1/repairs/";
  const bool lifecycle = path == kEntries || path.starts_with("/v1/entries/") ||
                         path.starts_with(kObjections) || path.starts_with(kRepairs) ||
                         path == "/v1/announcements" || path == "/v1/audit";
  if (!lifecycle) return false;
  const bool get = req.method == Method::kGet || req.method == Method::kHead;

  if (path == "/v1/announcements") {
    if (!get) return WriteProblem(405, "use GET", res), true;
    return GetAnnouncements(query, who, w, res), true;
  }
  if (path == "/v1/audit") {
    if (!get) return WriteProblem(405, "use GET", res), true;
    if (who.role == Role::kAnyone) return WriteProblem(Unauthenticated("the audit log"), res), true;
    if (who.role != Role::kAdmin)
      return WriteProblem(Forbidden("the audit log is for admin tokens only"), res), true;
    return GetAudit(req, query, res), true;
  }
  if (path.starts_with("/v1/entries/") && get) {
    const auto [id, action] = SplitIdAction(path.substr(kEntries.size() + 1));
    if (!action.empty()) return WriteProblem(404, "no such resource", res), true;
    return GetEntry(PercentDecode(id), who, w, res), true;
  }
  if (req.method != Method::kPost) return WriteProblem(405, "use POST", res), true;
  if (ledger_ == nullptr) return WriteProblem(503, "this server does not take writes", res), true;
  if (req.responder == nullptr)
    return WriteProblem(500, "no transport to answer a write", res), true;

  // Who may call comes before what the body says: 401 and 403 first.
  const bool by_anyone = path.starts_with("/v1/entries/") &&
                         (path.ends_with("/objections") || path.ends_with("/repairs"));
  if (!by_anyone) {
    const std::string_view what = path == kEntries                   ? "submitting entries"
                                  : path.starts_with("/v1/entries/") ? "a life-cycle transition"
                                                                     : "a decision";
    if (Status s = NeedDepartment(who, what); !s.ok()) return WriteProblem(s, res), true;
  }
  thread_local dom::parser parser;
  dom::object body;
  if (Status s = ParseBody(req, parser, &body); !s.ok()) {
    if (s.field() == "body" && s.reason().starts_with("must be application"))
      return WriteProblem(415, "the body must be application/json", res), true;
    return WriteProblem(s, res), true;
  }
  const Actor actor = ActorOf(who);

  if (path == kEntries) {
    std::vector<Submission> items;
    dom::array arr;
    const bool batch = body["entries"].get_array().get(arr) == simdjson::SUCCESS;
    if (batch) {
      size_t i = 0;
      for (dom::element x : arr) {
        const std::string prefix = "entries[" + std::to_string(i++) + "].";
        dom::object o;
        if (x.get_object().get(o))
          return WriteProblem(
                     Status::Invalid(prefix.substr(0, prefix.size() - 1), "must be an object"),
                     res),
                 true;
        auto sub = ParseSubmission(o, prefix);
        if (!sub.ok()) return WriteProblem(sub.status(), res), true;
        items.push_back(std::move(*sub));
      }
      if (items.empty()) return WriteProblem(Status::Invalid("entries", "is empty"), res), true;
    } else {
      auto sub = ParseSubmission(body, "");
      if (!sub.ok()) return WriteProblem(sub.status(), res), true;
      items.push_back(std::move(*sub));
    }
    Defer(*ledger_, req, res,
          [items = std::move(items), actor, batch](Ledger& l, const Clock& clock) mutable {
            const LiveJsonStyle style{.mask = false, .stored = false, .today = clock.today};
            return CreatedReply(l.Submit(std::move(items), actor, clock),
                                [&](const std::vector<LivePtr>& entries, JsonWriter& out) {
                                  if (batch) out.BeginObject().Key("entries").BeginArray();
                                  for (const LivePtr& e : entries) WriteLiveEntry(*e, style, out);
                                  if (batch) out.EndArray().EndObject();
                                });
          });
    return true;
  }

  if (path.starts_with("/v1/entries/")) {
    const auto [raw_id, action] = SplitIdAction(path.substr(kEntries.size() + 1));
    std::string id = PercentDecode(raw_id);
    if (action == "objections" || action == "repairs") {
      // Anyone may object or apply (seed 六: the party or anyone else).
      std::string name, contact, reason;
      std::vector<std::string> materials;
      const bool objection = action == "objections";
      for (Status s :
           {OptString(body, objection ? "objector" : "applicant", "", &name),
            OptString(body, "contact", "", &contact), OptString(body, "reason", "", &reason),
            OptStrings(body, "materials", &materials)})
        if (!s.ok()) return WriteProblem(s, res), true;
      if (reason.empty()) return WriteProblem(Status::Invalid("reason", "is required"), res), true;
      if (objection) {
        Objection o;
        o.objector = std::move(name);
        o.contact = std::move(contact);
        o.reason = std::move(reason);
        o.materials = std::move(materials);
        const bool mask = who.role == Role::kAnyone;
        Defer(*ledger_, req, res,
              [id, o = std::move(o), actor, mask](Ledger& l, const Clock& clock) mutable {
                return CreatedReply(l.Object(id, std::move(o), actor, clock),
                                    [mask](Objection& x, JsonWriter& out) {
                                      if (mask) {  // the objector may be a natural person
                                        x.objector = MaskedName(x.objector);
                                        x.contact = MaskedNumber(x.contact);
                                      }
                                      WriteObjection(x, out);
                                    });
              });
      } else {
        RepairApplication a;
        a.applicant = std::move(name);
        a.reason = std::move(reason);
        a.materials = std::move(materials);
        const bool mask = who.role == Role::kAnyone;
        Defer(*ledger_, req, res,
              [id, a = std::move(a), actor, mask](Ledger& l, const Clock& clock) mutable {
                return CreatedReply(l.ApplyRepair(id, std::move(a), actor, clock),
                                    [mask](RepairApplication& x, JsonWriter& out) {
                                      if (mask) x.applicant = MaskedName(x.applicant);
                                      WriteRepair(x, out);
                                    });
              });
      }
      return true;
    }
    if (action == "notify") {
      std::optional<Day> on;
      std::string channel;
      if (Status s = OptDate(body, "notified_on", &on); !s.ok()) return WriteProblem(s, res), true;
      if (Status s = OptString(body, "channel", "", &channel); !s.ok())
        return WriteProblem(s, res), true;
      Defer(*ledger_, req, res, [id, on, channel, actor](Ledger& l, const Clock& clock) {
        return EntryReply(l.Notify(id, on.value_or(clock.today), channel, actor, clock), clock);
      });
      return true;
    }
    if (action == "publicize") {
      std::optional<Day> from, until;
      if (Status s = OptDate(body, "from", &from); !s.ok()) return WriteProblem(s, res), true;
      if (Status s = OptDate(body, "until", &until); !s.ok()) return WriteProblem(s, res), true;
      Defer(*ledger_, req, res, [id, from, until, actor](Ledger& l, const Clock& clock) {
        return EntryReply(l.Publicize(id, from, until, actor, clock), clock);
      });
      return true;
    }
    if (action == "confirm") {
      Defer(*ledger_, req, res, [id, actor](Ledger& l, const Clock& clock) {
        return EntryReply(l.Confirm(id, actor, clock), clock);
      });
      return true;
    }
    if (action == "exit") {
      std::string reason_text, note;
      std::optional<Day> on;
      for (Status s : {OptString(body, "reason", "", &reason_text),
                       OptString(body, "note", "", &note), OptDate(body, "on", &on)})
        if (!s.ok()) return WriteProblem(s, res), true;
      if (reason_text.empty())
        return WriteProblem(Status::Invalid("reason", "is required"), res), true;
      const auto reason = ParseExitReason(reason_text);
      if (!reason)
        return WriteProblem(
                   Status::Invalid("reason", "'" + reason_text + "' is not an exit reason (" +
                                                 "objection_upheld, expired, "
                                                 "standard_changed, "
                                                 "listed_black_or_watch, improper_use, "
                                                 "repaired, law_specific)"),
                   res),
               true;
      Defer(*ledger_, req, res, [id, reason, note, on, actor](Ledger& l, const Clock& clock) {
        return EntryReply(l.Exit(id, *reason, note, on, actor, clock), clock);
      });
      return true;
    }
    return WriteProblem(404, "no such resource", res), true;
  }

  // Decisions: /v1/objections/{id}/decision, /v1/repairs/{id}/decision.
  const bool objection = path.starts_with(kObjections);
  const auto [raw_id, action] =
      SplitIdAction(path.substr((objection ? kObjections : kRepairs).size()));
  if (action != "decision") return WriteProblem(404, "no such resource", res), true;
  std::string id = PercentDecode(raw_id);
  bool yes = false;
  std::string reply_text, correction;
  if (Status s = RequiredBool(body, objection ? "upheld" : "approved", &yes); !s.ok())
    return WriteProblem(s, res), true;
  if (Status s = OptString(body, "reply", "", &reply_text); !s.ok())
    return WriteProblem(s, res), true;
  if (Status s = OptString(body, "correction", "", &correction); !s.ok())
    return WriteProblem(s, res), true;
  Defer(*ledger_, req, res,
        [id, yes, reply_text, correction, actor, objection](Ledger& l, const Clock& clock) {
          Reply reply{200, "application/json", {}};
          JsonWriter out(&reply.body);
          std::string entry_id;
          if (objection) {
            auto r = l.DecideObjection(id, yes, reply_text, correction, actor, clock);
            if (!r.ok()) return ProblemReply(r.status());
            entry_id = r->entry_id;
            WriteObjection(*r, out);
          } else {
            auto r = l.DecideRepair(id, yes, reply_text, actor, clock);
            if (!r.ok()) return ProblemReply(r.status());
            entry_id = r->entry_id;
            WriteRepair(*r, out);
          }
          // The entry as the decision left it, inside the decision's object.
          if (LivePtr e = l.FindEntry(entry_id)) {
            reply.body.pop_back();
            reply.body += ",\"entry\":";
            reply.body += EntryJson(*e, clock.today);
            reply.body += '}';
          }
          return reply;
        });
  return true;
}

void Router::GetEntry(const std::string& id, const Principal& who, Worker& w, Response* res) {
  if (Status s = NeedDepartment(who, "an entry's history"); !s.ok()) return WriteProblem(s, res);
  const Snapshot& snap = w.snapshot.Get();
  const LiveOverlay& live = w.snapshot.Live();
  LivePtr e = live.FindEntry(id);
  if (!e) {
    const int64_t i = snap.FindEntry(id);
    if (i < 0) return WriteProblem(404, "no entry '" + id + "'", res);
    auto loaded = std::make_shared<LiveEntry>();
    loaded->entry = snap.ToEntry(static_cast<uint32_t>(i));
    e = std::move(loaded);
  }
  if (who.role == Role::kDepartment && who.department != e->entry.department)
    return WriteProblem(Forbidden("entry '" + id + "' belongs to " + e->entry.department +
                                  ", not to " + who.department),
                        res);
  JsonWriter out(&res->body);
  WriteLiveEntry(*e, LiveJsonStyle{.mask = false, .stored = false, .today = Today()}, out);
}

void Router::GetAnnouncements(std::string_view query, const Principal& who, Worker& w,
                              Response* res) {
  std::string since_text, limit_text;
  QueryParam(query, "since", &since_text);
  QueryParam(query, "limit", &limit_text);
  Day since = kNoDay;
  if (!since_text.empty()) {
    const auto d = ParseIsoDate(since_text);
    if (!d)
      return WriteProblem(
          Status::Invalid("since", "'" + since_text + "' is not a date of the form YYYY-MM-DD"),
          res);
    since = *d;
  }
  size_t limit = 1000;
  if (!limit_text.empty()) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(limit_text.c_str(), &end, 10);
    if (*end != '\0' || v == 0 || v > 10000)
      return WriteProblem(Status::Invalid("limit", "must be a number from 1 to 10000"), res);
    limit = v;
  }
  w.snapshot.Get();
  const LiveOverlay& live = w.snapshot.Live();
  const bool mask = who.role == Role::kAnyone;
  JsonWriter out(&res->body);
  out.BeginObject().Key("announcements").BeginArray();
  size_t n = 0;
  for (size_t i = 0; i < live.announcements() && n < limit; ++i) {
    const Announcement& a = live.announcement(i);
    if (since != kNoDay && a.exited_on < since) continue;
    ++n;
    out.BeginObject();
    out.Key("seq").Int(static_cast<int64_t>(a.seq));
    out.Key("published_at").String(FormatInstant(a.at_ms));
    out.Key("exited_on").String(FormatDate(a.exited_on));
    out.Key("exit_reason").String(ExitReasonName(a.entry->entry.exit_reason));
    if (!a.entry->exit_note.empty()) out.Key("note").String(a.entry->exit_note);
    out.Key("entry").BeginObject();
    WriteEntryMembers(a.entry->entry, mask, out);
    out.EndObject();
    if (!a.entry->corrections.empty()) {
      out.Key("correction").String(a.entry->corrections.back().text);
    }
    out.EndObject();
  }
  out.EndArray().EndObject();
}

void Router::GetAudit(const Request& req, std::string_view query, Response* res) {
  if (ledger_ == nullptr || req.responder == nullptr)
    return WriteProblem(503, "this server keeps no audit log", res);
  std::string subject_text, since_text;
  QueryParam(query, "subject", &subject_text);
  QueryParam(query, "since", &since_text);
  AuditQuery q;
  if (!subject_text.empty()) {
    auto key = ParseIdNumber(subject_text, "subject");
    if (!key.ok()) return WriteProblem(key.status(), res);
    q.subject = FormatKey(*key);
  }
  if (!since_text.empty()) {
    const auto d = ParseIsoDate(since_text);
    if (!d)
      return WriteProblem(
          Status::Invalid("since", "'" + since_text + "' is not a date of the form YYYY-MM-DD"),
          res);
    q.since_ms = (static_cast<int64_t>(*d) * 86400 - 8 * 3600) * 1000;  // 00:00 in Shanghai
  }
  // Through the writer: the records queued before this request are committed first.
  auto send = req.responder->Later();
  res->deferred = true;
  ledger_->Post(
      LedgerWriter::Task{[](Ledger&, const Clock&) {},
                         [q, send = std::move(send)](const Status& commit, LedgerStore& store) {
                           if (!commit.ok()) return send(ProblemReply(commit));
                           auto records = store.ReadAudit(q);
                           if (!records.ok()) return send(ProblemReply(records.status()));
                           Reply reply{200, "application/json", {}};
                           JsonWriter out(&reply.body);
                           out.BeginObject().Key("records").BeginArray();
                           for (const AuditRecord& r : *records) {
                             out.BeginObject();
                             out.Key("at").String(FormatInstant(r.at_ms));
                             out.Key("token_id").String(r.token_id);
                             out.Key("role").String(r.role);
                             out.Key("department").StringOrNull(r.department);
                             out.Key("route").String(r.route);
                             out.Key("scenario").StringOrNull(r.scenario);
                             out.Key("subject").String(r.subject);
                             out.Key("status").String(r.status);
                             out.Key("check_id").StringOrNull(r.check_id);
                             out.Key("auth_ref").StringOrNull(r.auth_ref);
                             out.EndObject();
                           }
                           out.EndArray().EndObject();
                           send(std::move(reply));
                         }});
}

void Router::RecordAudit(const Principal& who, std::string_view route, std::string_view scenario,
                         const CheckResult& r, std::string_view check_id,
                         std::string_view auth_ref) {
  if (ledger_ == nullptr || !Audited(who, r)) return;
  AuditRecord a;
  a.at_ms = SystemClock().now_ms;
  a.token_id = who.token_id;
  a.role = RoleName(who.role);
  a.department = who.department;
  a.route = route;
  a.scenario = scenario;
  a.subject = FormatKey(r.key);
  a.status = ListStatusName(r.status);
  a.check_id = check_id;
  a.auth_ref = auth_ref;
  ledger_->Audit(std::move(a));
}

}  // namespace credlist
