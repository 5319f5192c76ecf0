// GET /v1/subjects/{key} and POST /v1/check: one check and a batch of checks.
#include "engine/json_writer.h"
#include "engine/policy.h"
#include "server/json_body.h"
#include "server/policy_handler.h"
#include "server/router.h"

namespace credlist {
namespace {

// as_of (default today) and scenario, from the query string or a JSON body.
Status ParseAsOf(std::string_view text, Day* as_of) {
  if (text.empty()) {
    *as_of = Today();
    return Status::Ok();
  }
  auto d = ParseIsoDate(text);
  if (!d)
    return Status::Invalid("as_of",
                           "'" + std::string(text) + "' is not a date of the form YYYY-MM-DD");
  *as_of = *d;
  return Status::Ok();
}

Status CheckScenario(std::string_view scenario) {
  if (scenario.empty() || IsScenario(scenario)) return Status::Ok();
  return Status::Invalid("scenario", "'" + std::string(scenario) +
                                         "' is not a scenario (licensing, penalty, inspection, "
                                         "fiscal_funds, financing, hiring, procurement, bidding, "
                                         "commendation, public_service)");
}

Visibility VisibilityOf(const Principal& who) {
  return who.role == Role::kAnyone ? Visibility::kPublic : Visibility::kFull;
}

// The error of a key that did not parse, for an anonymous caller: the key, which may be a
// mistyped ID number (personal data), masked where the reason quotes it.
Status MaskKeyIn(const Status& s, std::string_view raw) {
  std::string reason = s.reason();
  for (const std::string& text : {std::string(raw), NormalizeIdentifier(raw)}) {
    if (text.empty()) continue;
    std::string masked;
    AppendMaskedNumber(text, &masked);
    for (size_t at = reason.find(text); at != std::string::npos;
         at = reason.find(text, at + masked.size()))
      reason.replace(at, text.size(), masked);
  }
  return Status::Make(s.code(), s.field(), std::move(reason));
}

bool IsJson(std::string_view content_type) {
  const std::string_view base = content_type.substr(0, content_type.find(';'));
  return base.empty() || base == "application/json" || base.ends_with("+json");
}

}  // namespace

void Router::GetSubject(std::string_view raw_key, std::string_view query, const Principal& who,
                        Worker& w, Response* res) {
  thread_local std::string as_of_text, scenario, key_text;
  as_of_text.clear();
  scenario.clear();
  QueryParam(query, "as_of", &as_of_text);
  QueryParam(query, "scenario", &scenario);
  Day as_of;
  if (Status s = ParseAsOf(as_of_text, &as_of); !s.ok()) return WriteProblem(s, res);
  if (Status s = CheckScenario(scenario); !s.ok()) return WriteProblem(s, res);
  const bool encoded = raw_key.find('%') != std::string_view::npos;
  if (encoded) key_text = PercentDecode(raw_key);
  auto key = ParseLookupKey(encoded ? std::string_view(key_text) : raw_key, "key");
  if (!key.ok()) {
    if (who.role == Role::kAnyone)
      return WriteProblem(MaskKeyIn(key.status(), encoded ? std::string_view(key_text) : raw_key),
                          res);
    return WriteProblem(key.status(), res);
  }

  const Snapshot& snap = w.snapshot.Get();
  if (RefuseWithoutSnapshot(Serving(snap), res)) return;
  Check(snap, &w.snapshot.Live(), *key, as_of, &w.check);
  char id[24];
  const std::string_view check_id = NextCheckId(id);
  const MeasureContext measures = MeasuresFor(policy_, w, scenario);
  JsonWriter out(&res->body);
  out.BeginObject();
  WriteCheckMembers(snap, w.check, as_of, check_id, VisibilityOf(who), out, measures);
  out.EndObject();
  LogCheck(who, "subjects", scenario, measures, snap, w.check, check_id);
  if (Audited(who, w.check)) {
    std::string auth_ref;
    QueryParam(query, "auth_ref", &auth_ref);
    RecordAudit(who, "subjects", scenario, w.check, check_id, auth_ref);
  }
}

void Router::PostCheck(const Request& req, const Principal& who, Worker& w, Response* res) {
  if (!IsJson(req.content_type))
    return WriteProblem(415, "POST /v1/check takes application/json", res);
  // On-Demand parses lazily and would take a syntax error for a wrong type (or not see garbage
  // after the object): the whole body is validated first, so a malformed one says where.
  {
    thread_local simdjson::dom::parser validator;
    simdjson::dom::element root;
    if (Status s = ParseJsonBody(req.body, /*empty_is_object=*/false, validator, &root); !s.ok())
      return WriteProblem(s, res);
  }
  w.padded.assign(req.body);
  w.padded.resize(req.body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (w.json.iterate(w.padded.data(), req.body.size(), w.padded.size()).get(doc) ||
      doc.get_object().get(obj))
    return WriteProblem(400, "the body must be a JSON object", "body", "not a JSON object", res);

  // Collect the members first: keys as raw strings, then the options.
  thread_local std::vector<std::string> raw_keys;
  raw_keys.clear();
  std::string as_of_text, scenario, auth_ref;
  bool have_keys = false;
  for (auto member : obj) {
    std::string_view name;
    if (member.unescaped_key().get(name))
      return WriteProblem(400, "malformed JSON", "body", "malformed JSON", res);
    auto value = member.value();
    if (name == "keys") {
      simdjson::ondemand::array arr;
      if (value.get_array().get(arr))
        return WriteProblem(400, "keys: must be an array of strings", "keys",
                            "must be an array of strings", res);
      have_keys = true;
      size_t i = 0;
      for (auto item : arr) {
        std::string_view k;
        if (item.get_string().get(k)) {
          const std::string field = "keys[" + std::to_string(i) + "]";
          return WriteProblem(400, field + ": must be a string", field, "must be a string", res);
        }
        raw_keys.emplace_back(k);
        ++i;
      }
    } else if (name == "as_of" || name == "scenario" || name == "auth_ref") {
      if (value.is_null()) continue;
      std::string_view v;
      if (value.get_string().get(v)) {
        const std::string field(name);
        return WriteProblem(400, field + ": must be a string", field, "must be a string", res);
      }
      (name == "as_of" ? as_of_text : name == "scenario" ? scenario : auth_ref) = std::string(v);
    }
    // Other members are skipped by the iteration itself.
  }
  if (!have_keys) return WriteProblem(400, "keys: is required", "keys", "is required", res);
  Day as_of;
  if (Status s = ParseAsOf(as_of_text, &as_of); !s.ok()) return WriteProblem(s, res);
  if (Status s = CheckScenario(scenario); !s.ok()) return WriteProblem(s, res);

  // Parse every key, probe them all as one batch, then write the results in input order.
  thread_local std::vector<Result<LookupKey>> parsed;
  parsed.clear();
  w.keys.clear();
  for (size_t i = 0; i < raw_keys.size(); ++i) {
    parsed.push_back(ParseLookupKey(raw_keys[i], "keys[" + std::to_string(i) + "]"));
    if (parsed.back().ok())
      for (int k = 0; k < parsed.back()->count; ++k) w.keys.push_back(parsed.back()->keys[k]);
  }
  const Snapshot& snap = w.snapshot.Get();
  if (RefuseWithoutSnapshot(Serving(snap), res)) return;
  w.hits.resize(w.keys.size());
  snap.FindBatch(w.keys.data(), w.keys.size(), w.hits.data());

  const Visibility vis = VisibilityOf(who);
  const MeasureContext measures = MeasuresFor(policy_, w, scenario);
  JsonWriter out(&res->body);
  out.BeginObject().Key("results").BeginArray();
  size_t next_hit = 0;
  char id[24];
  for (size_t i = 0; i < parsed.size(); ++i) {
    out.BeginObject();
    if (!parsed[i].ok()) {
      const Status s = vis == Visibility::kPublic ? MaskKeyIn(parsed[i].status(), raw_keys[i])
                                                  : parsed[i].status();
      out.Key("key");
      if (vis == Visibility::kPublic) {  // a mistyped ID number is still personal data
        thread_local std::string masked;
        masked.clear();
        AppendMaskedNumber(NormalizeIdentifier(raw_keys[i]), &masked);
        out.String(masked);
      } else {
        out.String(raw_keys[i]);
      }
      out.Key("error")
          .BeginObject()
          .Key("field")
          .String(s.field())
          .Key("reason")
          .String(s.reason())
          .EndObject();
    } else {
      CheckHits(snap, &w.snapshot.Live(), &w.hits[next_hit], *parsed[i], as_of, &w.check);
      next_hit += static_cast<size_t>(parsed[i]->count);
      const std::string_view check_id = NextCheckId(id);
      WriteCheckMembers(snap, w.check, as_of, check_id, vis, out, measures);
      RecordAudit(who, "check", scenario, w.check, check_id, auth_ref);
      LogCheck(who, "check", scenario, measures, snap, w.check, check_id);
    }
    out.EndObject();
  }
  out.EndArray().EndObject();
}

}  // namespace credlist
