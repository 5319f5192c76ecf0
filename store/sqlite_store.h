// SqliteStore: the embedded Store of a data directory, one SQLite file (docs/data-directory.md).
//
// `DIR/credlist.db` in WAL mode with synchronous=FULL: a write returns OK only after its
// transaction is in the write-ahead log and fsync'ed, so it survives a crash of the process
// (kill -9) and of the machine; a failed write leaves nothing behind. The schema is versioned
// by PRAGMA user_version and migrated forward in code when the store is opened; a file written
// by a newer credlist is refused, never modified.
//
// Each entry is kept twice, in one transaction: as a row of typed columns in `entries`
// (identifiers in canonical text, dates as YYYY-MM-DD, enums by their API names) for operators
// to query with sqlite3, and as a compact row of `entries_packed`, which is what ForEachEntry
// reads, because parsing typed columns back costs several times more at start-up. Change
// entries through credlist only: ForEachEntry notices rows deleted by hand, not rows edited.
//
// Thread-safety: a Store object is used by one thread at a time (store.h). Several processes
// and several Store objects may open the same directory: SQLite serialises their writes (a
// writer waits up to `busy_timeout_ms` for another one) and a reader sees committed
// transactions only.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace credlist {

// The schema version (PRAGMA user_version) this build creates, migrates to and understands.
// 1: entries, tokens.
inline constexpr int kSqliteSchemaVersion = 1;

// The file name of the database inside the data directory.
inline constexpr char kSqliteFileName[] = "credlist.db";

struct SqliteStoreOptions {
  // How long a write waits for another process's write transaction before it fails with
  // "database is locked". A `credlist load` of millions of entries holds the lock for seconds.
  int busy_timeout_ms = 30000;
  // SQLite's page cache of this connection. Larger speeds up big batches a little; the server
  // keeps its index in memory anyway and reads the store only at start.
  int cache_mib = 64;
};

// Opens the store of `data_dir`, creating the directory (and its parents) and the database when
// missing. Fails with an Io status that names the path when the directory cannot be made, the
// file is not a credlist database, or its schema is newer than kSqliteSchemaVersion.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                               const SqliteStoreOptions& options);

}  // namespace credlist
