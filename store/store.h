// Store: the durable state of a data directory (DESIGN.md §1, store/).
//
// One SQLite database, `credlist.db` in WAL mode, in the data directory; the directory is
// created on first use. It keeps every entry that was loaded or submitted, a record of each
// load, and the API tokens (as SHA-256 hashes only). A write returns only after its transaction
// is committed: a caller that saw OK may acknowledge it, and after a crash (kill -9) the store
// holds exactly the committed writes. A Store is used by one thread at a time (the server
// serialises writes).
//
// Entries are kept in the order they were written, in chunks of a few thousand
// (store/entry_codec.h), not one row per entry_id: a write appends, and an entry with a known
// entry_id supersedes the stored one without rewriting it. Superseded entries are dropped
// later, by compaction: after a commit that may have made superseded entries more than half
// of the stored ones, the store counts them and, if so, rewrites the chunks that hold them,
// in a transaction of its own (docs/data-directory.md, "Compaction").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

struct TokenRecord {
  std::string token_id;  // short public id of the token, shown by `token list`
  std::string hash;      // hex SHA-256 of the secret token
  std::string role;      // checker | department | admin
  std::string department;
  std::string created_at;  // ISO 8601 UTC
  bool revoked = false;
};

// One write transaction of entries (one load), fed one entry at a time, so that a load of
// millions of rows need not hold them all in memory. Nothing is visible to anyone until Commit
// returns OK; a writer destroyed without a successful Commit rolls everything back. After a
// failed Add or Commit the transaction is rolled back already and the writer only reports that
// failure again. While a writer is open, its Store is used for nothing else, and it must not
// outlive it. One thread at a time.
class EntryWriter {
 public:
  virtual ~EntryWriter() = default;
  // An entry with a known entry_id replaces the stored one (the last one wins in a writer).
  // Refused (InvalidArgument, and the transaction rolled back): an empty entry_id, one longer
  // than 65535 bytes, an enum value outside its enum. Every other value is stored exactly as
  // given.
  virtual Status Add(const Entry& entry) = 0;
  // Commits the entries and the load's record; OK means durable. Then, when compaction is due,
  // runs it in a second transaction before returning: its outcome is compaction_status(), not
  // Commit's, since the entries are committed whatever it does.
  virtual Status Commit() = 0;
  // Entries added so far.
  virtual uint64_t added() const = 0;
  // What the load is, for its record in the `loads` table (e.g. the files, "postgres:TABLE");
  // the value set last before Commit counts. Empty (the default): none recorded.
  virtual void SetSource(std::string_view source) = 0;
  // The outcome of the compaction that the last Commit ran: OK when it ran well or none was
  // due. A failed compaction leaves the store as it was (and valid); the next commit tries
  // again.
  virtual const Status& compaction_status() const = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes all entries in one transaction: all of them are there afterwards or none is.
  // An entry with a known entry_id replaces the stored one. With `replace_all`, every entry
  // not in `entries` is removed in the same transaction (`load --replace`).
  virtual Status PutEntries(const std::vector<Entry>& entries, bool replace_all) = 0;
  // The same as a streaming write: BeginEntries, Add each entry, Commit. With `replace_all`,
  // the entries not added are removed at Commit. Waits for another process's write first.
  virtual Result<std::unique_ptr<EntryWriter>> BeginEntries(bool replace_all) = 0;
  // Calls fn for every stored entry, in the order they were written, all from one committed
  // state. An entry_id may come more than once: a later entry with the same entry_id
  // supersedes every earlier one, so the last one seen is the current entry (SnapshotBuilder
  // applies exactly that; compaction keeps superseded entries to about half of what fn sees).
  // The entry is valid during the call only (the store reuses it, so that reading allocates
  // nothing per entry): copy what you keep. fn must not call the store. A corrupt chunk is an
  // IoError naming it, after fn has seen the entries before it.
  virtual Status ForEachEntry(const std::function<void(const Entry&)>& fn) = 0;
  // How many entries ForEachEntry would yield now (superseded ones too): cheap, no entry is
  // read. 0 when this store cannot tell.
  virtual Result<uint64_t> StoredEntries() { return uint64_t{0}; }
  // The number of current entries (distinct entry_ids). Reads every stored entry_id: about
  // 0.2 s per million stored entries, and about 30 bytes of memory per current entry.
  virtual Result<uint64_t> CountEntries() = 0;
  // A short text naming the stored entries as they are now: it changes with every commit that
  // changes what ForEachEntry yields (a load, `--replace`, compaction), and two stores with the
  // same text hold the same entries. The snapshot image records it to tell whether it is
  // current (docs/data-directory.md, "Snapshot image"). Cheap: no entry is read. Empty: this
  // store cannot tell (an image is then never taken as current).
  virtual Result<std::string> EntriesTag() { return std::string(); }

  virtual Status AddToken(const TokenRecord& token) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens() = 0;
  // Not found: a NotFound status.
  virtual Status RevokeToken(const std::string& token_id) = 0;
};

// Opens (creating when needed) the store of a data directory.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir);

}  // namespace credlist
