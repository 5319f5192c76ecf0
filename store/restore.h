// Restore: the snapshot of everything a store holds (serve at start, check, screen).
#pragma once

#include <memory>

#include "engine/snapshot.h"
#include "store/store.h"

namespace credlist {

// Reads every stored entry into a new snapshot, as of `today` for its conflict count.
Result<std::shared_ptr<const Snapshot>> RestoreSnapshot(Store& store, Day today);

}  // namespace credlist
