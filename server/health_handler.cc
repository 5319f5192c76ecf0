// GET /healthz, /readyz, /metrics and /openapi.json.
#include "server/openapi.h"
#include "server/router.h"

namespace credlist {

void Router::Health(Response* res) { res->body = "{\"status\":\"ok\"}"; }

void Router::Ready(Response* res) {
  if (Serving(*catalog_.Current())) {
    res->body = "{\"status\":\"ready\"}";
    return;
  }
  WriteProblem(503,
               ready() ? "no loaded snapshot: the data directory holds no entries"
                       : "the snapshot is still loading",
               res);
}

bool Router::RefuseWithoutSnapshot(bool serving, Response* res) {
  if (serving) return false;
  WriteProblem(503, "no snapshot is loaded yet: checks are answered once /readyz answers 200", res);
  return true;
}

void Router::GetOpenApi(Response* res) { res->body.assign(OpenApiJson()); }

void Router::RenderMetrics(Worker& w, Response* res) {
  res->content_type = "text/plain; version=0.0.4";
  res->body = metrics_.Render(w.snapshot.Get());
}

}  // namespace credlist
