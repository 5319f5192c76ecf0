#include "store/restore.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "engine/snapshot_image.h"

namespace credlist {

Result<std::shared_ptr<const Snapshot>> RestoreSnapshot(Store& store, Day today) {
  SnapshotBuilder builder;
  if (auto n = store.StoredEntries(); n.ok()) builder.Reserve(*n);
  Status s = store.ForEachEntry([&](const Entry& e) { builder.Add(e); });
  if (!s.ok()) return s;
  return builder.Build(today);
}

std::string SnapshotImagePath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kSnapshotImageFileName).string();
}

Result<Restored> RestoreSnapshotOrImage(Store& store, const std::string& data_dir, Day today) {
  Restored out;
  auto tag = store.EntriesTag();
  if (!tag.ok()) return tag.status();
  out.tag = *tag;
  if (!out.tag.empty()) {
    auto image = SnapshotImage::Read(SnapshotImagePath(data_dir), out.tag, today);
    if (image.ok()) {
      out.snapshot = *image;
      out.from_image = true;
      return out;
    }
    if (image.status().code() != StatusCode::kNotFound) out.image_note = image.status().reason();
  }
  auto snap = RestoreSnapshot(store, today);
  if (!snap.ok()) return snap.status();
  out.snapshot = *snap;
  return out;
}

Status SaveSnapshotImage(const Restored& restored, const std::string& data_dir,
                         const std::atomic<bool>* cancel) {
  if (restored.tag.empty() || restored.snapshot == nullptr)
    return Status::Io("snapshot image: the store names no state to tag it with");
  // Temporary files of writes that were killed (snapshot.img.tmp-PID-N).
  std::error_code ec;
  const std::string prefix = std::string(kSnapshotImageFileName) + ".tmp-";
  for (const auto& f : std::filesystem::directory_iterator(data_dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM))
      continue;  // its writer still runs
    std::filesystem::remove(f.path(), ec);
  }
  return SnapshotImage::Write(*restored.snapshot, SnapshotImagePath(data_dir), restored.tag,
                              cancel);
}

}  // namespace credlist
