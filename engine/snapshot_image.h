// SnapshotImage: a built Snapshot written to one file and read back, so that a restart need not
// rebuild it from the store (docs/data-directory.md, "Snapshot image").
//
// The file holds the snapshot's flat arrays as they are in memory (records, profiles, the
// arena, postings), the key maps' slots and the entry-id index's elements in the order they sit
// in their tables, and the list bitmaps in Roaring's portable format, each section with its
// size and an XXH3-64 of its bytes. Reading copies the arrays back with large sequential reads
// and re-inserts the slots into tables of the sizes they had (boost's tables cannot be stored
// portably): in table order the inserts walk memory sequentially, on two threads.
//
// An image is tagged with a text naming what it reflects (Store::EntriesTag): Read refuses an
// image whose tag differs (stale), and any image that is truncated, corrupt, of another format
// version or of another record layout, with a status saying why; the caller then rebuilds from
// the store. Read recounts conflicts() when the image was built for another day.
//
// Thread-safety: Write reads the snapshot only (snapshots are immutable); several processes may
// write images of the same path at once (each writes its own temporary file; the last rename
// wins, and every rename is of a whole image).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/snapshot.h"
#include "engine/status.h"

namespace credlist {

class SnapshotImage {
 public:
  // The format version, in the header: an image of another version is not read.
  static constexpr uint32_t kFormatVersion = 1;

  // Writes `snap` to `path` atomically: into a temporary file beside it (`path`.tmp-PID-N),
  // fsync'ed, renamed over `path`, then the directory fsync'ed. The file is created with mode
  // 0600 (it holds personal data). When *cancel becomes true the write stops, the temporary
  // file is removed and an Io status returned; `path` is then as it was.
  static Status Write(const Snapshot& snap, const std::string& path, std::string_view tag,
                      const std::atomic<bool>* cancel = nullptr);

  // Reads the image at `path` when its tag is `tag`. NotFound when there is no file; an Io
  // status saying why otherwise (stale, truncated, corrupt, another version or layout).
  static Result<std::shared_ptr<const Snapshot>> Read(const std::string& path, std::string_view tag,
                                                      Day today);

  // The tag of the image at `path` (its header only), for tools and tests.
  static Result<std::string> ReadTag(const std::string& path);

 private:
  // A fingerprint of the record layout the image copies bytes of.
  static uint32_t Layout();
};

}  // namespace credlist
