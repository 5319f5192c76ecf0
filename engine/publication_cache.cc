#include "engine/publication_cache.h"

#include <algorithm>

namespace credlist {

PublicationCache::PublicationCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

PublicationCache::Key PublicationCache::KeyOf(const Snapshot& snap, const LiveOverlay& live,
                                              const PublicationSpec& spec) {
  Key key;
  key.snapshot = snap.version();
  key.overlay = live.version();
  key.year = spec.quarter.year;
  key.quarter = spec.quarter.number;
  key.list = spec.list;
  key.format = spec.format;
  key.part = spec.part;
  key.today = spec.today;
  return key;
}

std::shared_ptr<const std::string> PublicationCache::Get(const Snapshot& snap,
                                                         const LiveOverlay& live,
                                                         const PublicationSpec& spec) {
  const Key key = KeyOf(snap, live, spec);
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(slots_.begin(), slots_.end(),
                           [&](const std::shared_ptr<Slot>& s) { return s->key == key; });
    if (it != slots_.end()) {
      slot = *it;
      slots_.erase(it);
    } else {
      slot = std::make_shared<Slot>(key);
      // Documents of an older state (snapshot and overlay no newer, not both the same): readers
      // have moved on from it.
      std::erase_if(slots_, [&](const std::shared_ptr<Slot>& s) {
        return s->key.snapshot <= key.snapshot && s->key.overlay <= key.overlay &&
               (s->key.snapshot != key.snapshot || s->key.overlay != key.overlay);
      });
      if (slots_.size() >= capacity_) slots_.erase(slots_.begin());
    }
    slots_.push_back(slot);  // the most recently used
  }
  // Outside the lock: other keys are served meanwhile; callers of this key wait here.
  std::call_once(slot->once, [&] {
    auto document = std::make_shared<std::string>();
    WritePublication(snap, live, spec, document.get());
    slot->document = std::move(document);
    made_.fetch_add(1, std::memory_order_relaxed);
  });
  return slot->document;
}

}  // namespace credlist
