#include "server/router.h"

#include "engine/json_writer.h"
#include "engine/list_index.h"
#include "engine/name_search.h"
#include "engine/publication_cache.h"
#include "server/policy_handler.h"

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

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

void Router::Handle(const Request& req, Worker& w, Response* res) {
  res->Reset();
  const size_t q = req.target.find('?');
  const std::string_view path = req.target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : req.target.substr(q + 1);
  const bool get = req.method == Method::kGet || req.method == Method::kHead;

  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    res->route = path == "/healthz"  ? Route::kHealth
                 : path == "/readyz" ? Route::kReady
                                     : Route::kMetrics;
    if (!get) return WriteProblem(405, "use GET", res);
    if (path == "/healthz") return Health(res);
    if (path == "/readyz") return Ready(res);
    return RenderMetrics(w, res);
  }

  Principal who;
  if (Status s = auth_.Authenticate(req.authorization, &who); !s.ok()) return WriteProblem(s, res);

  res->route = Route::kEntries;
  if (HandleLifecycle(req, path, query, who, w, res)) return;
  res->route = Route::kOther;

  constexpr std::string_view kSubjects = "/v1/subjects/";
  if (path.starts_with(kSubjects)) {
    res->route = Route::kSubjects;
    if (!get) return WriteProblem(405, "use GET", res);
    return GetSubject(path.substr(kSubjects.size()), query, who, w, res);
  }
  if (path == "/v1/check") {
    res->route = Route::kCheck;
    if (req.method != Method::kPost) return WriteProblem(405, "use POST", res);
    return PostCheck(req, who, w, res);
  }
  if (path == "/v1/search") {
    res->route = Route::kSearch;
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
    res->route = Route::kPolicy;
    return HandlePolicy(req, path, query, who, policy_, w, res);
  }
  WriteProblem(404, "no such resource: " + std::string(path), res);
}

}  // namespace credlist
