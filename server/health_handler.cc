// GET /healthz, /readyz, /metrics and /openapi.json.
#include "server/openapi.h"
#include "server/router.h"

namespace credlist {

void Router::Health(Response* res) { res->body = "{\"status\":\"ok\"}"; }

void Router::Ready(Response* res) {
  if (ready()) {
    res->body = "{\"status\":\"ready\"}";
    return;
  }
  WriteProblem(503, "the snapshot is still loading", res);
}

void Router::GetOpenApi(Response* res) { res->body.assign(OpenApiJson()); }

void Router::RenderMetrics(Worker& w, Response* res) {
  res->content_type = "text/plain; version=0.0.4";
  res->body = metrics_.Render(w.snapshot.Get());
}

}  // namespace credlist
