// Metrics: request counters and latency histograms, rendered as Prometheus text (/metrics).
//
// Each server thread records into its own Metrics::Shard (relaxed atomics on its own cache
// lines), so recording never contends; Render() sums the shards. Record from the shard's own
// thread; Render from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace credlist {

class Snapshot;

// The label of a request in /metrics: one per resource of the API (server/router.h Routes()
// maps each path to one), kOther for a path the router does not know.
enum class Route : uint8_t {
  kSubjects,
  kCheck,
  kScreen,
  kHealth,
  kReady,
  kMetrics,
  kOther,
  kEntries,  // the life cycle: /v1/entries, objections, repairs
  kSearch,
  kPolicy,  // memoranda, departments, measures
  kLists,
  kPublications,
  kAnnouncements,
  kAudit,
  kFeedback,
  kStats,
  kOpenApi,
};
inline constexpr int kRoutes = 17;
// The `route` label of each Route, in the enum's order: "subjects", ..., "openapi".
std::string_view RouteName(Route route);

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0};
  struct alignas(64) Shard {
    std::atomic<uint64_t> requests[kRoutes][5] = {};  // by status class 1xx..5xx
    std::atomic<uint64_t> latency[kRoutes][kBuckets.size() + 1] = {};
    std::atomic<uint64_t> latency_sum_ns[kRoutes] = {};
    std::atomic<uint64_t> screen_rows{0};
    std::atomic<uint64_t> screen_xlsx_too_large{0};  // .xlsx bodies refused with 413
    void Record(Route route, unsigned status, std::chrono::nanoseconds took);
  };

  Shard& NewShard();
  void RecordLoad(double seconds, uint64_t entries);
  // The largest .xlsx body /v1/screen takes (serve --screen-xlsx-limit), shown as a gauge.
  void SetScreenXlsxLimit(uint64_t bytes) { screen_xlsx_limit_ = bytes; }
  // Prometheus text exposition format 0.0.4.
  std::string Render(const Snapshot& snap) const;

 private:
  mutable std::mutex mu_;
  std::deque<Shard> shards_;  // stable addresses
  double last_load_seconds_ = 0;
  uint64_t loads_ = 0;
  std::atomic<uint64_t> screen_xlsx_limit_{0};
};

}  // namespace credlist
