// Catalog: the current Snapshot and live overlay (engine/live.h), published atomically.
//
// A writer (a load, a restart) builds a new snapshot beside the old one and calls Publish();
// readers keep serving from the snapshot they hold until they pick up the new one. A reader
// thread keeps a SnapshotHandle and calls Get() per request: the common case is one atomic
// load of the generation counter, with no lock and no reference-count traffic; only after a
// publish does the handle take the mutex once to copy the new pointer.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "engine/live.h"
#include "engine/snapshot.h"

namespace credlist {

class Catalog {
 public:
  Catalog();
  void Publish(std::shared_ptr<const Snapshot> snapshot);
  // The life cycle's writer publishes each committed write batch (readers see it at once).
  void PublishLive(std::shared_ptr<const LiveOverlay> live);
  std::shared_ptr<const Snapshot> Current() const;
  std::shared_ptr<const LiveOverlay> CurrentLive() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
  std::shared_ptr<const LiveOverlay> live_;
  std::atomic<uint64_t> generation_{0};
};

// One reader thread's view of a Catalog. Not thread-safe: one per thread.
class SnapshotHandle {
 public:
  explicit SnapshotHandle(const Catalog& catalog) : catalog_(catalog) {}
  const Snapshot& Get() {
    const uint64_t g = catalog_.generation();
    if (g != seen_) {
      held_ = catalog_.Current();
      live_ = catalog_.CurrentLive();
      seen_ = g;
    }
    return *held_;
  }
  // The live overlay of the same generation as the last Get(): call Get() first.
  const LiveOverlay& Live() const { return *live_; }

 private:
  const Catalog& catalog_;
  std::shared_ptr<const Snapshot> held_;
  std::shared_ptr<const LiveOverlay> live_;
  uint64_t seen_ = ~uint64_t{0};
};

}  // namespace credlist
