// GET /v1/memoranda, GET /v1/departments, GET /v1/measures, PUT /v1/measures.
#include "server/policy_handler.h"

#include "engine/json_writer.h"
#include "server/router.h"

namespace credlist {
namespace {

void WriteMeasure(const Policy& p, const Measure& m, JsonWriter& w) {
  w.BeginObject();
  w.Key("measure_id").String(m.id);
  w.Key("memorandum");
  if (m.memorandum == kGeneralMeasure)
    w.Null();
  else
    w.String(p.memoranda()[m.memorandum].id);
  w.Key("kind").String(MeasureKindName(m.kind));
  w.Key("scenarios").BeginArray();
  for (int s = 0; s < kScenarioCount; ++s)
    if (m.AppliesIn(s)) w.String(kScenarios[s]);
  w.EndArray();
  w.Key("text").String(m.text);
  w.EndObject();
}

void WriteMemoranda(const Policy& p, Response* res) {
  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("counts").BeginObject();
  for (MemorandumKind k :
       {MemorandumKind::kPunish, MemorandumKind::kReward, MemorandumKind::kJoint})
    w.Key(MemorandumKindName(k)).Int(p.CountMemoranda(k));
  w.EndObject();
  w.Key("memoranda").BeginArray();
  for (const Memorandum& m : p.memoranda()) {
    w.BeginObject();
    w.Key("id").String(m.id);
    w.Key("kind").String(MemorandumKindName(m.kind));
    w.Key("number").Int(m.number);
    w.Key("title").String(m.title);
    w.Key("doc_no").String(m.doc_no);
    w.Key("lead_departments").BeginArray();
    for (std::string_view d : p.LeadsOf(m.index)) w.String(d);
    w.EndArray();
    int measures = 0;
    for (const Measure& x : p.measures()) measures += x.memorandum == m.index;
    w.Key("measures").Int(measures);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteDepartments(const Policy& p, Response* res) {
  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("duties").BeginArray();
  for (const Duty& d : p.duties()) {
    w.BeginObject();
    w.Key("duty").Int(d.number);
    w.Key("departments").BeginArray();
    for (const std::string& name : d.departments) w.String(name);
    w.EndArray();
    w.Key("memoranda").BeginArray();
    for (uint64_t m = d.memoranda; m != 0; m &= m - 1)
      w.String(p.memoranda()[__builtin_ctzll(m)].id);
    w.EndArray();
    w.Key("text").String(d.text);
    w.EndObject();
  }
  w.EndArray();
  w.Key("departments").BeginArray();
  for (const std::string& name : p.departments()) {
    w.BeginObject();
    w.Key("name").String(name);
    w.Key("duties").BeginArray();
    uint64_t leads = 0;
    for (const Duty& d : p.duties()) {
      if (std::find(d.departments.begin(), d.departments.end(), name) == d.departments.end())
        continue;
      w.Int(d.number);
      leads |= d.memoranda;
    }
    w.EndArray();
    w.Key("memoranda").BeginArray();
    for (uint64_t m = leads; m != 0; m &= m - 1) w.String(p.memoranda()[__builtin_ctzll(m)].id);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void GetMeasures(const Policy& p, std::string_view query, Response* res) {
  std::string scenario, memorandum, kind;
  QueryParam(query, "scenario", &scenario);
  QueryParam(query, "memorandum", &memorandum);
  QueryParam(query, "kind", &kind);
  int s = -1;
  if (!scenario.empty()) {
    const std::optional<int> index = ScenarioIndex(scenario);
    if (!index) {
      std::string all;
      for (std::string_view k : kScenarios) all += (all.empty() ? "" : ", ") + std::string(k);
      return WriteProblem(
          Status::Invalid("scenario", "'" + scenario + "' is not a scenario (" + all + ")"), res);
    }
    s = *index;
  }
  int memo = -2;  // any
  if (memorandum == "general") {
    memo = kGeneralMeasure;
  } else if (!memorandum.empty()) {
    const Memorandum* m = p.FindMemorandum(memorandum);
    if (m == nullptr)
      return WriteProblem(
          Status::Invalid("memorandum", "'" + memorandum +
                                            "' is not a memorandum id (P01-P43, R01-R05, "
                                            "J01-J03) nor general"),
          res);
    memo = m->index;
  }
  std::optional<MeasureKind> k;
  if (!kind.empty()) {
    k = ParseMeasureKind(kind);
    if (!k)
      return WriteProblem(
          Status::Invalid("kind", "'" + kind + "' is not a kind (reward, punish, watch)"), res);
  }
  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("scenario").StringOrNull(scenario);
  w.Key("measures").BeginArray();
  for (const Measure* m : p.MeasuresIn(s)) {
    if (memo != -2 && m->memorandum != memo) continue;
    if (k && m->kind != *k) continue;
    WriteMeasure(p, *m, w);
  }
  w.EndArray();
  w.EndObject();
}

void WritePolicyProblem(const PolicyError& e, Response* res) {
  const Status s = e.ToStatus();
  res->status = HttpStatusOf(s.code());
  res->content_type = "application/problem+json";
  res->body.clear();
  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("type").String("about:blank");
  w.Key("title").String(res->status == 400 ? "Bad Request" : "Internal Server Error");
  w.Key("status").Int(res->status);
  w.Key("detail").String(e.ToString());
  w.Key("errors").BeginArray().BeginObject();
  w.Key("field").String(e.field);
  if (e.line > 0) w.Key("line").Int(e.line);
  w.Key("reason").String(e.reason);
  w.EndObject().EndArray();
  w.EndObject();
}

void PutMeasures(const Request& req, const Principal& who, PolicyService& service, Response* res) {
  if (who.role == Role::kAnyone)
    return WriteProblem(401, "PUT /v1/measures needs a token (role admin)", res);
  if (who.role != Role::kAdmin)
    return WriteProblem(403, "PUT /v1/measures is for the admin role (the credit office)", res);
  const std::string_view type = req.content_type.substr(0, req.content_type.find(';'));
  if (!type.empty() && type != "text/tab-separated-values" && type != "text/plain")
    return WriteProblem(415, "PUT /v1/measures takes text/tab-separated-values (a measures.tsv)",
                        res);

  std::lock_guard lock(service.put_mu);
  const std::shared_ptr<const Policy> current = service.catalog.Current();
  if (current == nullptr) return WriteProblem(503, "no policy catalogue is loaded", res);
  PolicyError error;
  std::shared_ptr<const Policy> next = current->WithMeasures(req.body, &error);
  if (next == nullptr) return WritePolicyProblem(error, res);
  if (service.persist) {
    if (Status s = service.persist(req.body); !s.ok()) return WriteProblem(s, res);
  }
  service.catalog.Publish(next);

  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("measures").Int(static_cast<int64_t>(next->measures().size()));
  w.Key("previous").Int(static_cast<int64_t>(current->measures().size()));
  w.EndObject();
}

}  // namespace

bool IsPolicyPath(std::string_view path) {
  return path == "/v1/memoranda" || path == "/v1/departments" || path == "/v1/measures";
}

void HandlePolicy(const Request& req, std::string_view path, std::string_view query,
                  const Principal& who, PolicyService* service, Worker& w, Response* res) {
  const bool get = req.method == Method::kGet || req.method == Method::kHead;
  const bool put = req.method == Method::kPut && path == "/v1/measures";
  if (!get && !put)
    return WriteProblem(405, path == "/v1/measures" ? "use GET or PUT" : "use GET", res);
  if (service == nullptr) return WriteProblem(503, "no policy catalogue is loaded", res);
  if (put) return PutMeasures(req, who, *service, res);
  const Policy* p = w.policy.Get(service->catalog);
  if (p == nullptr) return WriteProblem(503, "no policy catalogue is loaded", res);
  if (path == "/v1/memoranda") return WriteMemoranda(*p, res);
  if (path == "/v1/departments") return WriteDepartments(*p, res);
  return GetMeasures(*p, query, res);
}

MeasureContext MeasuresFor(PolicyService* service, Worker& w, std::string_view scenario) {
  if (service == nullptr || scenario.empty()) return {};
  const std::optional<int> index = ScenarioIndex(scenario);
  if (!index) return {};
  return MeasureContext{w.policy.Get(service->catalog), *index};
}

}  // namespace credlist
