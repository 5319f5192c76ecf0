// POST /v1/screen: the checks before a bulk screen starts streaming.
#include "engine/policy.h"
#include "formats/xlsx_writer.h"
#include "server/ledger_writer.h"
#include "server/policy_handler.h"
#include "server/router.h"

namespace credlist {

std::unique_ptr<Screener> Router::StartScreen(const Request& req, Worker& w, Response* res) {
  res->Reset();
  res->route = Route::kScreen;
  Principal who;
  if (Status s = auth_.Authenticate(req.authorization, &who); !s.ok()) {
    WriteProblem(s, res);
    return nullptr;
  }
  if (who.role == Role::kAnyone) {
    WriteProblem(401, "POST /v1/screen needs a token (role checker or above)", res);
    return nullptr;
  }
  const size_t q = req.target.find('?');
  const std::string_view query = q == std::string_view::npos ? "" : req.target.substr(q + 1);
  std::string as_of_text, scenario;
  QueryParam(query, "as_of", &as_of_text);
  QueryParam(query, "scenario", &scenario);
  Day as_of = Today();
  if (!as_of_text.empty()) {
    auto d = ParseIsoDate(as_of_text);
    if (!d) {
      WriteProblem(
          Status::Invalid("as_of", "'" + as_of_text + "' is not a date of the form YYYY-MM-DD"),
          res);
      return nullptr;
    }
    as_of = *d;
  }
  if (!scenario.empty() && !IsScenario(scenario)) {
    WriteProblem(Status::Invalid("scenario", "'" + scenario + "' is not a scenario"), res);
    return nullptr;
  }
  const std::string_view type = req.content_type.substr(0, req.content_type.find(';'));
  ScreenFormat format;
  if (type == "text/csv") {
    format = ScreenFormat::kCsv;
  } else if (type == "application/x-ndjson" || type == "application/ndjson" ||
             type == "application/jsonl") {
    format = ScreenFormat::kNdjson;
  } else if (type == kXlsxContentType) {
    format = ScreenFormat::kXlsx;
  } else {
    WriteProblem(415,
                 "POST /v1/screen takes text/csv, application/x-ndjson or an .xlsx (" +
                     std::string(kXlsxContentType) + ")",
                 res);
    return nullptr;
  }
  std::shared_ptr<const Snapshot> snap = catalog_.Current();
  if (RefuseWithoutSnapshot(Serving(*snap), res)) return nullptr;
  std::shared_ptr<const Policy> policy;
  if (policy_ != nullptr && !scenario.empty()) policy = policy_->catalog.Current();
  auto screener = std::make_unique<Screener>(snap, as_of, Visibility::kFull, format);
  if (policy) screener->set_measures(policy, *ScenarioIndex(scenario));
  screener->set_live(catalog_.CurrentLive());
  if (ledger_ != nullptr) {
    std::string auth_ref;
    QueryParam(query, "auth_ref", &auth_ref);
    screener->set_on_hit(
        [this, who, scenario, auth_ref](const CheckResult& r, std::string_view check_id,
                                        const Snapshot& snap, const MeasureContext& measures) {
          RecordAudit(who, "screen", scenario, r, check_id, auth_ref);
          LogCheck(who, "screen", scenario, measures, snap, r, check_id);
        });
    if (!who.department.empty()) {
      // The hits were counted one by one above; here the rows that were not hits.
      screener->set_on_checked(
          [this, department = who.department](uint64_t checked, uint64_t hits) {
            ledger_->counters().Add(department, Today(), checked - hits, 0);
          });
    }
  }
  return screener;
}

}  // namespace credlist
