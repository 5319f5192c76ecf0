#include "server/metrics.h"

#include <cstdio>
#include <iterator>

#include "engine/snapshot.h"

namespace credlist {
namespace {

constexpr const char* kRouteNames[] = {
    "subjects",      "check",   "screen",   "healthz", "readyz", "metrics",
    "other",         "entries", "search",   "policy",  "lists",  "publications",
    "announcements", "audit",   "feedback", "stats",   "openapi"};
static_assert(std::size(kRouteNames) == kRoutes, "one label per Route");

void Append(std::string* out, const char* fmt, auto... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, fmt, args...);
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace

std::string_view RouteName(Route route) { return kRouteNames[static_cast<int>(route)]; }

void Metrics::Shard::Record(Route route, unsigned status, std::chrono::nanoseconds took) {
  const auto r = static_cast<int>(route);
  const unsigned cls = status / 100 >= 1 && status / 100 <= 5 ? status / 100 - 1 : 4;
  requests[r][cls].fetch_add(1, std::memory_order_relaxed);
  const double s = std::chrono::duration<double>(took).count();
  size_t b = 0;
  while (b < kBuckets.size() && s > kBuckets[b]) ++b;
  latency[r][b].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns[r].fetch_add(static_cast<uint64_t>(took.count()), std::memory_order_relaxed);
}

Metrics::Shard& Metrics::NewShard() {
  std::lock_guard lock(mu_);
  return shards_.emplace_back();
}

void Metrics::RecordLoad(double seconds, uint64_t entries) {
  std::lock_guard lock(mu_);
  last_load_seconds_ = seconds;
  ++loads_;
}

std::string Metrics::Render(const Snapshot& snap) const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(8192);
  out += "# HELP credlist_requests_total HTTP requests by route and status class.\n";
  out += "# TYPE credlist_requests_total counter\n";
  for (int r = 0; r < kRoutes; ++r)
    for (int c = 0; c < 5; ++c) {
      uint64_t n = 0;
      for (const Shard& s : shards_) n += s.requests[r][c].load(std::memory_order_relaxed);
      if (n)
        Append(&out, "credlist_requests_total{route=\"%s\",code=\"%dxx\"} %llu\n", kRouteNames[r],
               c + 1, static_cast<unsigned long long>(n));
    }
  out += "# HELP credlist_request_duration_seconds Time from request header to response.\n";
  out += "# TYPE credlist_request_duration_seconds histogram\n";
  for (int r = 0; r < kRoutes; ++r) {
    uint64_t cumulative = 0, sum_ns = 0;
    for (const Shard& s : shards_) sum_ns += s.latency_sum_ns[r].load(std::memory_order_relaxed);
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      for (const Shard& s : shards_) cumulative += s.latency[r][b].load(std::memory_order_relaxed);
      if (b < kBuckets.size())
        Append(&out, "credlist_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
               kRouteNames[r], kBuckets[b], static_cast<unsigned long long>(cumulative));
      else
        Append(&out, "credlist_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
               kRouteNames[r], static_cast<unsigned long long>(cumulative));
    }
    Append(&out, "credlist_request_duration_seconds_sum{route=\"%s\"} %.9f\n", kRouteNames[r],
           static_cast<double>(sum_ns) / 1e9);
    Append(&out, "credlist_request_duration_seconds_count{route=\"%s\"} %llu\n", kRouteNames[r],
           static_cast<unsigned long long>(cumulative));
  }
  uint64_t rows = 0;
  for (const Shard& s : shards_) rows += s.screen_rows.load(std::memory_order_relaxed);
  out += "# HELP credlist_screen_rows_total Rows screened by /v1/screen.\n";
  out += "# TYPE credlist_screen_rows_total counter\n";
  Append(&out, "credlist_screen_rows_total %llu\n", static_cast<unsigned long long>(rows));
  uint64_t too_large = 0;
  for (const Shard& s : shards_)
    too_large += s.screen_xlsx_too_large.load(std::memory_order_relaxed);
  out += "# HELP credlist_screen_xlsx_too_large_total .xlsx bodies /v1/screen refused (413).\n";
  out += "# TYPE credlist_screen_xlsx_too_large_total counter\n";
  Append(&out, "credlist_screen_xlsx_too_large_total %llu\n",
         static_cast<unsigned long long>(too_large));
  out += "# HELP credlist_screen_xlsx_limit_bytes The largest .xlsx body /v1/screen takes.\n";
  out += "# TYPE credlist_screen_xlsx_limit_bytes gauge\n";
  Append(&out, "credlist_screen_xlsx_limit_bytes %llu\n",
         static_cast<unsigned long long>(screen_xlsx_limit_.load(std::memory_order_relaxed)));
  out += "# HELP credlist_entries Entries in the current snapshot by list.\n";
  out += "# TYPE credlist_entries gauge\n";
  for (ListKind l : {ListKind::kRed, ListKind::kBlack, ListKind::kWatch})
    Append(&out, "credlist_entries{list=\"%s\"} %llu\n", std::string(ListKindName(l)).c_str(),
           static_cast<unsigned long long>(snap.list_bitmap(l).cardinality()));
  out += "# HELP credlist_conflicts Subjects on the red and the black list at once.\n";
  out += "# TYPE credlist_conflicts gauge\n";
  Append(&out, "credlist_conflicts %llu\n", static_cast<unsigned long long>(snap.conflicts()));
  out += "# HELP credlist_snapshot_bytes Resident bytes of the index.\n";
  out += "# TYPE credlist_snapshot_bytes gauge\n";
  Append(&out, "credlist_snapshot_bytes %zu\n", snap.MemoryBytes());
  out += "# HELP credlist_load_seconds Duration of the last snapshot load.\n";
  out += "# TYPE credlist_load_seconds gauge\n";
  Append(&out, "credlist_load_seconds %.6f\n", last_load_seconds_);
  out += "# HELP credlist_loads_total Snapshot loads since start.\n";
  out += "# TYPE credlist_loads_total counter\n";
  Append(&out, "credlist_loads_total %llu\n", static_cast<unsigned long long>(loads_));
  return out;
}

}  // namespace credlist
