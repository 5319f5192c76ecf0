// Store: the durable state of a data directory (DESIGN.md §1, store/).
//
// One SQLite database, `credlist.db` in WAL mode, in the data directory; the directory is
// created on first use. It keeps every entry that was loaded or submitted, and the API tokens
// (as SHA-256 hashes only). A write returns only after its transaction is committed: a caller
// that saw OK may acknowledge it, and after a crash (kill -9) the store holds exactly the
// committed writes. A Store is used by one thread at a time (the server serialises writes).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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

// One write transaction of entries, fed one entry at a time, so that a load of millions of
// rows need not hold them all in memory. Nothing is visible to anyone until Commit returns OK;
// a writer destroyed without a successful Commit rolls everything back. After a failed Add
// the transaction is rolled back already and the writer only reports that failure again.
// While a writer is open, its Store is used for nothing else, and it must not outlive it.
class EntryWriter {
 public:
  virtual ~EntryWriter() = default;
  // An entry with a known entry_id replaces the stored one (the last one wins in a writer).
  virtual Status Add(const Entry& entry) = 0;
  virtual Status Commit() = 0;
  // Entries added so far.
  virtual uint64_t added() const = 0;
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
  // Calls fn for every stored entry, in no particular order, all from one committed state.
  // The entry is valid during the call only (the store reuses it for the next row, so that
  // reading allocates nothing per entry): copy what you keep. fn must not call the store.
  virtual Status ForEachEntry(const std::function<void(const Entry&)>& fn) = 0;
  virtual Result<uint64_t> CountEntries() = 0;

  virtual Status AddToken(const TokenRecord& token) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens() = 0;
  // Not found: a NotFound status.
  virtual Status RevokeToken(const std::string& token_id) = 0;
};

// Opens (creating when needed) the store of a data directory.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir);

}  // namespace credlist
