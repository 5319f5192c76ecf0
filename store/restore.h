// Restore: the snapshot of everything a store holds (serve at start, check, screen).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "engine/snapshot.h"
#include "store/store.h"

namespace credlist {

// Reads every stored entry into a new snapshot, as of `today` for its conflict count. The store
// yields entries in write order, superseded ones included (store.h); SnapshotBuilder replaces an
// entry by a later one with the same entry_id, so the snapshot holds the current entries only.
Result<std::shared_ptr<const Snapshot>> RestoreSnapshot(Store& store, Day today);

// The snapshot image of a data directory (docs/data-directory.md, "Snapshot image").
inline constexpr char kSnapshotImageFileName[] = "snapshot.img";
std::string SnapshotImagePath(const std::string& data_dir);

struct Restored {
  std::shared_ptr<const Snapshot> snapshot;
  // The store's Store::EntriesTag read before its entries: the snapshot holds at least what it
  // names (an image written with it is stale, never wrong, if a load committed meanwhile).
  std::string tag;
  bool from_image = false;
  // Why the image was not used when there was one (stale, corrupt, ...); empty otherwise.
  std::string image_note;
};

// The snapshot of the store of `data_dir`: its image when the image is current (same
// EntriesTag) and sound, else rebuilt from the store (RestoreSnapshot). Never writes.
Result<Restored> RestoreSnapshotOrImage(Store& store, const std::string& data_dir, Day today);

// Writes the image of `restored` (which must not be from_image) into `data_dir`, atomically,
// and removes temporary files that an interrupted write left. Stops when *cancel becomes true.
Status SaveSnapshotImage(const Restored& restored, const std::string& data_dir,
                         const std::atomic<bool>* cancel = nullptr);

}  // namespace credlist
