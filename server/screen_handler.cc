// POST /v1/screen: the checks before a bulk screen starts streaming.
#include "engine/policy.h"
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
  } else {
    WriteProblem(415, "POST /v1/screen takes text/csv or application/x-ndjson", res);
    return nullptr;
  }
  return std::make_unique<Screener>(catalog_.Current(), as_of, Visibility::kFull, format);
}

}  // namespace credlist
