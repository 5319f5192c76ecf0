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

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "engine/catalog.h"
#include "engine/check.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/screen.h"

namespace credlist {

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kOther };

struct Request {
  Method method = Method::kGet;
  std::string_view target;  // path and query, as received
  std::string_view body;
  std::string_view content_type;
  std::string_view authorization;
};

struct Response {
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string body;  // reused across requests: cleared, never shrunk
  Route route = Route::kOther;
  void Reset() {
    status = 200;
    content_type = "application/json";
    body.clear();
    route = Route::kOther;
  }
};

// Per-thread scratch state: one per server thread, never shared.
struct Worker {
  explicit Worker(const Catalog& catalog, Metrics& metrics)
      : snapshot(catalog), metrics(metrics.NewShard()) {}
  SnapshotHandle snapshot;
  Metrics::Shard& metrics;
  CheckResult check;
  simdjson::ondemand::parser json;
  std::string padded;  // request bodies copied with simdjson's padding
  std::vector<Key> keys;
  std::vector<Hits> hits;
};

class Router {
 public:
  Router(const Catalog& catalog, Authenticator& auth, Metrics& metrics);

  void Handle(const Request& req, Worker& worker, Response* res);

  // Whether the request is a bulk screen, which the server streams.
  static bool IsScreen(Method method, std::string_view target);
  // For a screen: checks the caller and the query, then makes the Screener; otherwise fills
  // *res with the error and returns null.
  std::unique_ptr<Screener> StartScreen(const Request& req, Worker& worker, Response* res);

  void set_ready(bool ready) { ready_.store(ready, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

 private:
  void GetSubject(std::string_view key, std::string_view query, const Principal& who, Worker& w,
                  Response* res);
  void PostCheck(const Request& req, const Principal& who, Worker& w, Response* res);
  void Health(Response* res);
  void Ready(Response* res);
  void RenderMetrics(Worker& w, Response* res);

  const Catalog& catalog_;
  Authenticator& auth_;
  Metrics& metrics_;
  std::atomic<bool> ready_{false};
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
