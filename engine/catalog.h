// Catalog: the current Snapshot, published atomically.
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

#include "engine/snapshot.h"

namespace credlist {

class Catalog {
 public:
  Catalog();
  void Publish(std::shared_ptr<const Snapshot> snapshot);
  std::shared_ptr<const Snapshot> Current() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
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
      seen_ = g;
    }
    return *held_;
  }

 private:
  const Catalog& catalog_;
  std::shared_ptr<const Snapshot> held_;
  uint64_t seen_ = ~uint64_t{0};
};

}  // namespace credlist
