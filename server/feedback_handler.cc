// Feedback and supervision over HTTP (API.md; engine/supervision.h): the check log that the
// check handlers feed, POST /v1/feedback, and GET /v1/stats/departments.
//
// Feedback is checked for its form here, then handed to the LedgerWriter, which checks it
// against the stored hit and records it inside its next group commit; the answer leaves once
// that is committed. The statistics read the ledger on the writer's thread, after a commit
// that includes every check counted so far, and count the entries in force on this thread
// from the published snapshot and live overlay.
#include <simdjson.h>

#include <cstdio>

#include "engine/json_writer.h"
#include "engine/live_json.h"
#include "engine/supervision.h"
#include "server/json_body.h"
#include "server/ledger_writer.h"
#include "server/router.h"

namespace credlist {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxNoteLength = 4000;  // bytes of UTF-8

Status Unauthenticated(std::string_view what) {
  return Status::Make(StatusCode::kUnauthenticated, "",
                      std::string(what) + " needs a bearer token (Authorization: Bearer ...)");
}

Status Forbidden(std::string reason) {
  return Status::Make(StatusCode::kPermissionDenied, "", std::move(reason));
}

Reply ProblemReply(const Status& s) {
  Response r;
  WriteProblem(s, &r);
  return Reply{r.status, r.content_type, std::move(r.body)};
}

// A string member: Ok with "" when absent or null, an error naming the field otherwise.
Status StringMember(dom::object o, std::string_view key, size_t max, std::string* out) {
  dom::element v;
  if (o[key].get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  std::string_view s;
  if (v.get_string().get(s)) return Status::Invalid(key, "must be a string");
  if (s.size() > max)
    return Status::Invalid(key, "is longer than " + std::to_string(max) + " bytes");
  *out = std::string(s);
  return Status::Ok();
}

// The body of POST /v1/feedback, or the first field that is wrong.
Result<Feedback> ParseFeedback(const Request& req) {
  thread_local dom::parser parser;
  dom::element doc;
  if (Status s = ParseJsonBody(req.body, /*empty_is_object=*/true, parser, &doc); !s.ok()) return s;
  dom::object o;
  if (doc.get_object().get(o)) return Status::Invalid("body", "must be a JSON object");
  Feedback f;
  std::string action;
  for (Status s : {StringMember(o, "check_id", kMaxIdLength, &f.check_id),
                   StringMember(o, "measure_id", kMaxIdLength, &f.measure_id),
                   StringMember(o, "action", kMaxIdLength, &action),
                   StringMember(o, "note", kMaxNoteLength, &f.note)})
    if (!s.ok()) return s;
  if (f.check_id.empty()) return Status::Invalid("check_id", "is required");
  if (f.measure_id.empty()) return Status::Invalid("measure_id", "is required");
  if (action.empty())
    return Status::Invalid("action", "is required (applied, not_applicable or other)");
  const auto a = ParseFeedbackAction(action);
  if (!a)
    return Status::Invalid("action",
                           "'" + action + "' is not an action (applied, not_applicable, other)");
  f.action = *a;
  return f;
}

void WriteFeedback(const Feedback& f, JsonWriter& w) {
  w.BeginObject();
  w.Key("check_id").String(f.check_id);
  w.Key("measure_id").String(f.measure_id);
  w.Key("action").String(FeedbackActionName(f.action));
  w.Key("note").StringOrNull(f.note);
  w.Key("department").String(f.department);
  w.Key("token_id").String(f.token_id);
  w.Key("recorded_at").String(FormatInstant(f.at_ms));
  w.EndObject();
}

Status ParseDay(const std::string& text, std::string_view field, Day* out) {
  if (text.empty()) return Status::Ok();
  const auto d = ParseIsoDate(text);
  if (!d) return Status::Invalid(field, "'" + text + "' is not a date of the form YYYY-MM-DD");
  *out = *d;
  return Status::Ok();
}

void PostFeedback(LedgerWriter* ledger, const Request& req, const Principal& who, Response* res) {
  if (who.role == Role::kAnyone) return WriteProblem(Unauthenticated("feedback"), res);
  if (ledger == nullptr) return WriteProblem(503, "this server does not take writes", res);
  if (req.responder == nullptr) return WriteProblem(500, "no transport to answer a write", res);
  const std::string_view type = req.content_type.substr(0, req.content_type.find(';'));
  if (!type.empty() && type != "application/json" && !type.ends_with("+json"))
    return WriteProblem(415, "the body must be application/json", res);
  auto parsed = ParseFeedback(req);
  if (!parsed.ok()) return WriteProblem(parsed.status(), res);
  auto request = std::make_shared<FeedbackRequest>();
  request->feedback = std::move(*parsed);
  request->feedback.at_ms = SystemClock().now_ms;
  request->feedback.token_id = who.token_id;
  request->department = who.department;
  request->any_department = who.role == Role::kAdmin;
  auto send = req.responder->Later();
  res->deferred = true;
  ledger->PostFeedback(request, [request, send = std::move(send)](const Status& commit) {
    if (!commit.ok()) return send(ProblemReply(commit));
    if (!request->outcome.ok()) return send(ProblemReply(request->outcome));
    Reply reply{request->created ? 201u : 200u, "application/json", {}};
    JsonWriter out(&reply.body);
    WriteFeedback(request->stored, out);
    send(std::move(reply));
  });
}

void GetDepartmentStats(LedgerWriter* ledger, const Request& req, std::string_view query,
                        const Principal& who, Worker& w, Response* res) {
  if (who.role == Role::kAnyone)
    return WriteProblem(Unauthenticated("the supervision figures"), res);
  if (who.role != Role::kAdmin)
    return WriteProblem(Forbidden("the supervision figures are for admin tokens only"), res);
  std::string from_text, to_text, format = "json";
  QueryParam(query, "from", &from_text);
  QueryParam(query, "to", &to_text);
  QueryParam(query, "format", &format);
  SupervisionPeriod period;
  if (Status s = ParseDay(from_text, "from", &period.from); !s.ok()) return WriteProblem(s, res);
  if (Status s = ParseDay(to_text, "to", &period.to); !s.ok()) return WriteProblem(s, res);
  if (period.from != kNoDay && period.to != kNoDay && period.to < period.from)
    return WriteProblem(Status::Invalid("to", "is before from"), res);
  if (format != "json" && format != "csv")
    return WriteProblem(Status::Invalid("format", "'" + format + "' is not json or csv"), res);
  if (ledger == nullptr || req.responder == nullptr)
    return WriteProblem(503, "this server keeps no check log", res);
  // The entries side here, from what readers see now: a pass over the snapshot that would
  // otherwise hold up the writer.
  period.entries_on = Today();
  const Snapshot& snap = w.snapshot.Get();
  auto entries = std::make_shared<std::vector<DepartmentEntries>>(
      CountEntriesByDepartment(snap, &w.snapshot.Live(), period.entries_on));
  auto send = req.responder->Later();
  res->deferred = true;
  ledger->PostRead([period, entries, csv = format == "csv", send = std::move(send)](
                       const Status& commit, LedgerStore& store) {
    if (!commit.ok()) return send(ProblemReply(commit));
    auto checks = store.ReadDepartmentChecks(period.from, period.to);
    if (!checks.ok()) return send(ProblemReply(checks.status()));
    const auto rows = SupervisionRows(std::move(*checks), std::move(*entries));
    Reply reply{200, csv ? "text/csv; charset=utf-8" : "application/json", {}};
    if (csv)
      WriteSupervisionCsv(rows, &reply.body);
    else
      WriteSupervisionJson(rows, period, &reply.body);
    send(std::move(reply));
  });
}

}  // namespace

void Router::HandleSupervision(const Request& req, std::string_view path, std::string_view query,
                               const Principal& who, Worker& w, Response* res) {
  const bool get = req.method == Method::kGet || req.method == Method::kHead;
  if (path == "/v1/feedback") {
    if (req.method != Method::kPost) return WriteProblem(405, "use POST", res);
    return PostFeedback(ledger_, req, who, res);
  }
  if (!get) return WriteProblem(405, "use GET", res);
  GetDepartmentStats(ledger_, req, query, who, w, res);
}

void Router::LogCheck(const Principal& who, std::string_view route, std::string_view scenario,
                      const MeasureContext& measures, const Snapshot& snap, const CheckResult& r,
                      std::string_view check_id) {
  if (ledger_ == nullptr || who.department.empty()) return;
  const bool hit = r.status != ListStatus::kClear;
  if (hit && measures.policy != nullptr && measures.scenario >= 0) {
    thread_local std::vector<uint16_t> listed;
    listed.clear();
    measures.policy->AppendForSubject(measures.scenario, SubjectListsOf(snap, r), &listed);
    if (!listed.empty()) {
      // A hit with measures: a row of its own, which feedback is matched against.
      const Clock clock = SystemClock();
      CheckHit h;
      h.check_id = check_id;
      h.at_ms = clock.now_ms;
      h.day = clock.today;
      h.department = who.department;
      h.token_id = who.token_id;
      h.route = route;
      h.scenario = scenario;
      h.subject = FormatKey(r.key);
      h.status = ListStatusName(r.status);
      h.measures.reserve(listed.size());
      for (uint16_t i : listed) h.measures.push_back(measures.policy->measures()[i].id);
      ledger_->LogHit(std::move(h));
      return;
    }
  }
  ledger_->counters().Add(who.department, Today(), 1, hit ? 1 : 0);
}

}  // namespace credlist
