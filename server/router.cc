#include "server/router.h"

#include "engine/json_writer.h"
#include "engine/list_index.h"
#include "engine/name_search.h"
#include "engine/publication_cache.h"
#include "server/openapi.h"
#include "server/policy_handler.h"

#include <algorithm>

namespace credlist {
namespace {

std::string_view TitleOf(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

constexpr RouteInfo kRouteTable[] = {
    {Method::kGet, "/v1/subjects/{key}", Route::kSubjects},
    {Method::kPost, "/v1/check", Route::kCheck},
    {Method::kPost, "/v1/screen", Route::kScreen},
    {Method::kGet, "/v1/search", Route::kSearch},
    {Method::kGet, "/v1/lists/{list}", Route::kLists},
    {Method::kGet, "/v1/publications/{quarter}", Route::kPublications},
    {Method::kGet, "/v1/announcements", Route::kAnnouncements},
    {Method::kPost, "/v1/entries", Route::kEntries},
    {Method::kGet, "/v1/entries/{id}", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/notify", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/publicize", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/confirm", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/exit", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/objections", Route::kEntries},
    {Method::kPost, "/v1/entries/{id}/repairs", Route::kEntries},
    {Method::kPost, "/v1/objections/{id}/decision", Route::kEntries},
    {Method::kPost, "/v1/repairs/{id}/decision", Route::kEntries},
    {Method::kGet, "/v1/audit", Route::kAudit},
    {Method::kPost, "/v1/feedback", Route::kFeedback},
    {Method::kGet, "/v1/stats/departments", Route::kStats},
    {Method::kGet, "/v1/memoranda", Route::kPolicy},
    {Method::kGet, "/v1/departments", Route::kPolicy},
    {Method::kGet, "/v1/measures", Route::kPolicy},
    {Method::kPut, "/v1/measures", Route::kPolicy},
    {Method::kGet, "/healthz", Route::kHealth},
    {Method::kGet, "/readyz", Route::kReady},
    {Method::kGet, "/metrics", Route::kMetrics},
    {Method::kGet, "/openapi.json", Route::kOpenApi},
};

// Whether `path` has the template's segments, "{...}" matching any one segment.
bool Matches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() && !path.empty()) {
    const size_t p_end = std::min(pattern.find('/', 1), pattern.size());
    const size_t s_end = std::min(path.find('/', 1), path.size());
    const std::string_view p = pattern.substr(0, p_end), s = path.substr(0, s_end);
    if (!(p.starts_with("/{") && p.ends_with("}")) && p != s) return false;
    pattern.remove_prefix(p_end);
    path.remove_prefix(s_end);
  }
  return pattern.empty() && path.empty();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::span<const RouteInfo> Routes() { return kRouteTable; }

const RouteInfo* MatchRoute(std::string_view path) {
  for (const RouteInfo& r : kRouteTable)
    if (Matches(r.path, path)) return &r;
  return nullptr;
}

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

unsigned HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kIoError:
      break;
  }
  return 500;
}

void WriteProblem(unsigned status, std::string_view detail, std::string_view field,
                  std::string_view reason, Response* res) {
  res->status = status;
  res->content_type = "application/problem+json";
  res->body.clear();
  JsonWriter w(&res->body);
  w.BeginObject();
  w.Key("type").String("about:blank");
  w.Key("title").String(TitleOf(status));
  w.Key("status").Int(status);
  w.Key("detail").String(detail);
  if (!field.empty()) {
    w.Key("errors").BeginArray().BeginObject();
    w.Key("field").String(field).Key("reason").String(reason);
    w.EndObject().EndArray();
  }
  w.EndObject();
}

void WriteProblem(unsigned status, std::string_view detail, Response* res) {
  WriteProblem(status, detail, "", "", res);
}

void WriteProblem(const Status& s, Response* res) {
  const unsigned status = HttpStatusOf(s.code());
  if (s.code() == StatusCode::kInvalidArgument && !s.field().empty())
    return WriteProblem(status, s.ToString(), s.field(), s.reason(), res);
  WriteProblem(status, s.reason(), res);
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool QueryParam(std::string_view query, std::string_view name, std::string* out) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      *out = eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

Router::Router(const Catalog& catalog, Authenticator& auth, Metrics& metrics)
    : catalog_(catalog),
      auth_(auth),
      metrics_(metrics),
      names_(std::make_shared<NameIndexCache>(catalog)),
      lists_(std::make_shared<ListIndexCache>()),
      publications_(std::make_shared<PublicationCache>()) {}

bool Router::IsScreen(Method method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return method == Method::kPost && path == "/v1/screen";
}

size_t Router::BodyLimit(Method, std::string_view) const { return body_limit_; }

void Router::Handle(const Request& req, Worker& w, Response* res) {
  res->Reset();
  const size_t q = req.target.find('?');
  const std::string_view path = req.target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : req.target.substr(q + 1);
  const bool get = req.method == Method::kGet || req.method == Method::kHead;

  const RouteInfo* route = MatchRoute(path);
  if (route == nullptr) return WriteProblem(404, "no such resource: " + std::string(path), res);
  res->route = route->route;

  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) return WriteProblem(405, "use GET", res);
    if (path == "/healthz") return Health(res);
    if (path == "/readyz") return Ready(res);
    return RenderMetrics(w, res);
  }

  Principal who;
  if (Status s = auth_.Authenticate(req.authorization, &who); !s.ok()) return WriteProblem(s, res);

  if (path == "/openapi.json") {
    if (!get) return WriteProblem(405, "use GET", res);
    return GetOpenApi(res);
  }
  // The server streams POST /v1/screen itself (IsScreen, StartScreen).
  if (path == "/v1/screen") {
    if (req.method != Method::kPost) return WriteProblem(405, "use POST", res);
    return WriteProblem(500, "screening is streamed by the server, not answered here", res);
  }
  if (HandleLifecycle(req, path, query, who, w, res)) return;

  constexpr std::string_view kSubjects = "/v1/subjects/";
  if (path.starts_with(kSubjects)) {
    if (!get) return WriteProblem(405, "use GET", res);
    return GetSubject(path.substr(kSubjects.size()), query, who, w, res);
  }
  if (path == "/v1/check") {
    if (req.method != Method::kPost) return WriteProblem(405, "use POST", res);
    return PostCheck(req, who, w, res);
  }
  if (path == "/v1/search") {
    if (!get) return WriteProblem(405, "use GET", res);
    return Search(query, who, res);
  }
  constexpr std::string_view kLists = "/v1/lists/";
  if (path.starts_with(kLists)) {
    if (!get) return WriteProblem(405, "use GET", res);
    return GetList(path.substr(kLists.size()), query, who, w, res);
  }
  constexpr std::string_view kPublications = "/v1/publications/";
  if (path.starts_with(kPublications)) {
    if (!get) return WriteProblem(405, "use GET", res);
    return GetPublication(path.substr(kPublications.size()), query, w, res);
  }
  if (path == "/v1/feedback" || path == "/v1/stats/departments")
    return HandleSupervision(req, path, query, who, w, res);
  if (IsPolicyPath(path)) {
    return HandlePolicy(req, path, query, who, policy_, w, res);
  }
  WriteProblem(404, "no such resource: " + std::string(path), res);
}

}  // namespace credlist
