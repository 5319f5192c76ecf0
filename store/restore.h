// Restore: the snapshot of everything a store holds (serve at start, check, screen).
#pragma once

#include <memory>

#include "engine/snapshot.h"
#include "store/store.h"

namespace credlist {

// Reads every stored entry into a new snapshot, as of `today` for its conflict count. The store
// yields entries in write order, superseded ones included (store.h); SnapshotBuilder replaces an
// entry by a later one with the same entry_id, so the snapshot holds the current entries only.
Result<std::shared_ptr<const Snapshot>> RestoreSnapshot(Store& store, Day today);

}  // namespace credlist
