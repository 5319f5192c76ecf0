#include "store/restore.h"

namespace credlist {

Result<std::shared_ptr<const Snapshot>> RestoreSnapshot(Store& store, Day today) {
  SnapshotBuilder builder;
  Status s = store.ForEachEntry([&](const Entry& e) { builder.Add(e); });
  if (!s.ok()) return s;
  return builder.Build(today);
}

}  // namespace credlist
