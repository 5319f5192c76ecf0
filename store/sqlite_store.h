// SqliteStore: the embedded Store of a data directory, one SQLite file (docs/data-directory.md).
//
// `DIR/credlist.db` (created with mode 0600: it holds personal data and token hashes) in WAL
// mode with synchronous=FULL: a write returns OK only after its transaction is in the
// write-ahead log and fsync'ed, so it survives a crash of the process (kill -9) and of the
// machine; a failed write leaves nothing behind. The schema is versioned by PRAGMA
// user_version and migrated forward in code when the store is opened; a file written by a
// newer credlist is refused, never modified.
//
// Entries are kept as chunks (store/entry_codec.h) in `entry_chunks`, in write order, each
// tagged with the load that wrote it; `loads` records every load (when, what, how many,
// whether it replaced everything). EntryWriter::Add buffers nothing but the chunk being
// encoded: a full chunk is inserted at once (one B-tree row of a few hundred KB), the last
// partial one at Commit. Compaction (store.h) rewrites the chunks that hold superseded
// entries. Change entries through credlist only: a chunk edited by hand fails its checksum.
//
// Thread-safety: a Store object is used by one thread at a time (store.h). Several processes
// and several Store objects may open the same directory: SQLite serialises their writes (a
// writer waits up to `busy_timeout_ms` for another one) and a reader sees committed
// transactions only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.h"

namespace credlist {

// The schema version (PRAGMA user_version) this build creates, migrates to and understands.
// 1: loads, entry_chunks, entry_counts, tokens.
inline constexpr int kSqliteSchemaVersion = 1;

// The file name of the database inside the data directory.
inline constexpr char kSqliteFileName[] = "credlist.db";

struct SqliteStoreOptions {
  // How long a write waits for another process's write transaction before it fails with
  // "database is locked". A load holds the lock while it writes (about 0.5 s per million
  // entries, plus the time its loader takes), so a write during a long load can still fail.
  // Compaction never waits: it is skipped, and tried again at the next commit.
  int busy_timeout_ms = 30000;
  // SQLite's page cache of this connection. The server keeps its index in memory anyway and
  // reads the store only at start.
  int cache_mib = 64;
  // A writer inserts a chunk when it holds this many entries or this many bytes, whichever
  // comes first (at least 1 entry). Larger chunks write and read a little faster and cost the
  // writer more memory; compaction rewrites whole chunks.
  uint32_t chunk_entries = 4096;
  uint32_t chunk_bytes = 4 << 20;
  // Whether a missing data directory and database are created. Only the commands that write a
  // new store (load, token add) create one; the others open an existing one, so that a mistyped
  // --data fails instead of answering from a new, empty store.
  bool create = true;
};

// Opens the store of `data_dir`, creating the directory (and its parents) and the database when
// missing. Fails with an Io status that names the path when the directory cannot be made, the
// file is not a credlist database, or its schema is newer than kSqliteSchemaVersion.
// With options.create false, creates nothing (no directory, no database, no WAL file): a
// directory that does not exist or holds no credlist.db is an Io status naming the path.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                               const SqliteStoreOptions& options);

// Opens the store of a data directory that holds loaded entries, for the commands that read
// one (check, screen, export, stats, serve): options.create is ignored (nothing is created),
// and a directory that does not exist, holds no credlist.db, or whose store holds no entry is
// refused with an Io status naming the path and what to do. Without it, a mistyped --data
// would answer "clear" for every key.
Result<std::unique_ptr<Store>> OpenLoadedSqliteStore(const std::string& data_dir,
                                                     SqliteStoreOptions options = {});

}  // namespace credlist
