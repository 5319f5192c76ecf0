// Router: from a request to a response, with no knowledge of sockets (STYLE.md).
//
// The HTTP server parses a request into a Request, asks the Router, and writes the Response.
// Handlers live in one file per resource (subjects_handler.cc, health_handler.cc,
// screen.cc); errors are problem+json (RFC 9457) built by WriteProblem. Streaming bulk
// screening is the one route the server drives itself (IsScreen), through a Screener the
// router makes. The Router is shared by all server threads; each thread passes its own
// Worker, which holds everything a request may scribble on.
#pragma once

#include <simdjson.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/catalog.h"
#include "engine/check.h"
#include "engine/policy.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/screen.h"

namespace credlist {

class LedgerWriter;

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kOther };

// A response that comes later: a write is answered once the life cycle's writer has committed
// it (server/ledger_writer.h), on the writer's thread.
struct Reply {
  unsigned status = 200;
  std::string_view content_type = "application/json";  // a literal
  std::string body;
  unsigned retry_after = 0;  // seconds; non-zero: a Retry-After header (429, 503)
};
// The transport's side of a deferred response: Later() gives a callback that sends the reply
// when called, once, from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual std::function<void(Reply)> Later() = 0;
};

// The client's address as 16 bytes (IPv4 as ::ffff:a.b.c.d), for limits kept per client.
struct ClientAddress {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const ClientAddress&) const = default;
};

struct Request {
  Method method = Method::kGet;
  std::string_view target;  // path and query, as received
  std::string_view body;
  std::string_view content_type;
  std::string_view authorization;
  std::string_view accept;         // the Accept header (POST /v1/screen may ask for an .xlsx)
  Responder* responder = nullptr;  // null where no response can come later (tests)
  ClientAddress client;            // the peer of the connection
};

struct Response {
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string body;      // reused across requests: cleared, never shrunk
  std::string filename;  // set: Content-Disposition: attachment; filename="…" (a download)
  Route route = Route::kOther;
  unsigned retry_after = 0;  // seconds; non-zero: a Retry-After header (429, 503)
  bool deferred = false;     // the handler answers later, through Request::responder
  void Reset() {
    deferred = false;
    retry_after = 0;
    status = 200;
    content_type = "application/json";
    body.clear();
    filename.clear();
    route = Route::kOther;
  }
};

// Per-thread scratch state: one per server thread, never shared.
struct Worker {
  explicit Worker(const Catalog& catalog, Metrics& metrics)
      : snapshot(catalog), metrics(metrics.NewShard()) {}
  SnapshotHandle snapshot;
  PolicyHandle policy;  // the policy catalogue's current version (server/policy_handler.h)
  Metrics::Shard& metrics;
  CheckResult check;
  simdjson::ondemand::parser json;
  std::string padded;  // request bodies copied with simdjson's padding
  std::vector<Key> keys;
  std::vector<Hits> hits;
};

// One operation the Router answers: its method (GET answers HEAD too), its path as
// docs/openapi.yaml writes it ("{name}" stands for one path segment), and its label in
// /metrics. The table of them is the one list of what the API serves: Handle answers 404 for
// a path that no route matches, /metrics labels requests by it, and a test holds it and the
// OpenAPI document to each other.
struct RouteInfo {
  Method method;
  std::string_view path;
  Route route;
};

// Every route, in the order of docs/openapi.yaml.
std::span<const RouteInfo> Routes();
// The first route whose path template matches `path` (a path without its query), whatever its
// method; null when none does.
const RouteInfo* MatchRoute(std::string_view path);
std::string_view MethodName(Method method);  // "GET", ...

struct PolicyService;
class NameIndexCache;    // engine/name_search.h
class ListIndexCache;    // engine/list_index.h
class PublicationCache;  // engine/publication_cache.h

class Router {
 public:
  Router(const Catalog& catalog, Authenticator& auth, Metrics& metrics);

  void Handle(const Request& req, Worker& worker, Response* res);

  // Whether the request is a bulk screen, which the server streams.
  static bool IsScreen(Method method, std::string_view target);
  // The largest body the request may have (not a screen, which streams): the transport reads
  // no more and answers 413 past it. Set before serving.
  size_t BodyLimit(Method method, std::string_view target) const;
  void set_body_limit(size_t bytes) { body_limit_ = bytes; }
  // For a screen: checks the caller and the query, then makes the Screener; otherwise fills
  // *res with the error and returns null.
  std::unique_ptr<Screener> StartScreen(const Request& req, Worker& worker, Response* res);

  // The policy catalogue (memoranda, departments, measures); without one, checks list no
  // measures and the policy routes answer 503. Set before serving.
  void set_policy(PolicyService* policy) { policy_ = policy; }

  // The life cycle's writer (server/ledger_writer.h); without one, writes answer 503 and
  // checks are not audited. Set before serving.
  void set_ledger(LedgerWriter* ledger) { ledger_ = ledger; }

  void set_ready(bool ready) { ready_.store(ready, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Whether `snap` may answer checks: the server is ready and a loaded snapshot (one holding
  // entries) is published. Without one, a check would answer "clear" for every key, so /readyz
  // and the check and screen routes answer 503 instead (serve also refuses to start on a data
  // directory with no loaded entries).
  bool Serving(const Snapshot& snap) const { return ready() && snap.size() > 0; }

 private:
  void GetSubject(std::string_view key, std::string_view query, const Principal& who, Worker& w,
                  Response* res);
  void PostCheck(const Request& req, const Principal& who, Worker& w, Response* res);
  // GET /v1/search (search_handler.cc).
  void Search(std::string_view query, const Principal& who, Response* res);
  // GET /v1/lists/{list} and GET /v1/publications/{quarter} (lists_handler.cc).
  void GetList(std::string_view list, std::string_view query, const Principal& who, Worker& w,
               Response* res);
  void GetPublication(std::string_view quarter, std::string_view query, Worker& w, Response* res);
  // The life cycle (entries_handler.cc): true when `path` is one of its routes.
  bool HandleLifecycle(const Request& req, std::string_view path, std::string_view query,
                       const Principal& who, Worker& w, Response* res);
  void GetEntry(const std::string& id, const Principal& who, Worker& w, Response* res);
  void GetAnnouncements(std::string_view query, const Principal& who, Worker& w, Response* res);
  void GetAudit(const Request& req, std::string_view query, Response* res);
  // Feedback and supervision (feedback_handler.cc): POST /v1/feedback and
  // GET /v1/stats/departments.
  void HandleSupervision(const Request& req, std::string_view path, std::string_view query,
                         const Principal& who, Worker& w, Response* res);
  // The check log (engine/supervision.h): counts a check by a token that names a department,
  // and keeps a hit whose result listed measures. No lock, no allocation, unless it is such a
  // hit.
  void LogCheck(const Principal& who, std::string_view route, std::string_view scenario,
                const MeasureContext& measures, const Snapshot& snap, const CheckResult& r,
                std::string_view check_id);
  // Audit (PIPL): a check of a natural person by a token holder, recorded when Audited.
  static bool Audited(const Principal& who, const CheckResult& r) {
    return who.role != Role::kAnyone && r.key_type == KeyType::kIdNumber;
  }
  void RecordAudit(const Principal& who, std::string_view route, std::string_view scenario,
                   const CheckResult& r, std::string_view check_id, std::string_view auth_ref);
  void Health(Response* res);
  void GetOpenApi(Response* res);
  void Ready(Response* res);
  // A 503 when !Serving(snap): true when it answered so.
  static bool RefuseWithoutSnapshot(bool serving, Response* res);
  void RenderMetrics(Worker& w, Response* res);

  const Catalog& catalog_;
  Authenticator& auth_;
  Metrics& metrics_;
  std::atomic<bool> ready_{false};
  size_t body_limit_ = 16 << 20;
  // The name index beside the current snapshot, built by its own watcher thread.
  std::shared_ptr<NameIndexCache> names_;
  // The list pages' bitmaps beside the current snapshot, built on first use per version.
  std::shared_ptr<ListIndexCache> lists_;
  // The publications' finished documents, made on first request per snapshot, overlay and spec.
  std::shared_ptr<PublicationCache> publications_;
  PolicyService* policy_ = nullptr;
  LedgerWriter* ledger_ = nullptr;
};

// problem+json: {"type","title","status","detail","errors":[{"field","reason"}]}.
void WriteProblem(unsigned status, std::string_view detail, std::string_view field,
                  std::string_view reason, Response* res);
void WriteProblem(unsigned status, std::string_view detail, Response* res);
void WriteProblem(const Status& s, Response* res);
unsigned HttpStatusOf(StatusCode code);

// Query string helpers: the value of `name` in "a=1&b=2", percent-decoded into *out.
bool QueryParam(std::string_view query, std::string_view name, std::string* out);
std::string PercentDecode(std::string_view s);

}  // namespace credlist
