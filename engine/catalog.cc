#include "engine/catalog.h"

namespace credlist {

Catalog::Catalog()
    : current_(SnapshotBuilder().Build(Today())), live_(std::make_shared<const LiveOverlay>()) {}

void Catalog::Publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(mu_);
    current_ = std::move(snapshot);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void Catalog::PublishLive(std::shared_ptr<const LiveOverlay> live) {
  {
    std::lock_guard lock(mu_);
    live_ = std::move(live);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const LiveOverlay> Catalog::CurrentLive() const {
  std::lock_guard lock(mu_);
  return live_;
}

std::shared_ptr<const Snapshot> Catalog::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace credlist
