#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "store/entry_codec.h"
#include "store/sqlite_handles.h"

namespace credlist {
namespace {

// Identifies credlist.db files (PRAGMA application_id): "CRDL".
constexpr int32_t kApplicationId = 0x4352444C;

// Migration i takes the schema from version i to version i + 1, in the transaction that also
// sets PRAGMA user_version. Append only: a released migration is never edited.
constexpr std::string_view kMigrations[] = {
    // 1: loads, entry chunks, the counts that decide compaction, API tokens (hashes only).
    R"sql(
CREATE TABLE loads (
  seq          INTEGER PRIMARY KEY,          -- in commit order
  started_at   TEXT NOT NULL,                -- ISO 8601 UTC: the write transaction began
  committed_at TEXT NOT NULL,                -- ISO 8601 UTC: just before it committed
  source       TEXT,                         -- what was loaded (files, postgres:TABLE); NULL
  entries      INTEGER NOT NULL,             -- entries the load wrote
  replace_all  INTEGER NOT NULL CHECK (replace_all IN (0, 1))  -- 1: removed all before it
) STRICT;
CREATE TABLE entry_chunks (
  seq      INTEGER PRIMARY KEY,              -- write order: a later entry supersedes
  load_seq INTEGER NOT NULL REFERENCES loads (seq),
  entries  INTEGER NOT NULL CHECK (entries > 0),
  body     BLOB NOT NULL                     -- store/entry_codec.h
) STRICT;
-- One row: what decides when to count superseded entries (docs/data-directory.md).
CREATE TABLE entry_counts (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  current_entries INTEGER NOT NULL,  -- distinct entry_ids: counted, or a load's size since
  stored_at_count INTEGER NOT NULL   -- sum(entry_chunks.entries) when last counted
) STRICT;
INSERT INTO entry_counts VALUES (1, 0, 0);
CREATE TABLE tokens (
  token_id   TEXT NOT NULL PRIMARY KEY CHECK (token_id <> ''),
  hash       TEXT NOT NULL UNIQUE,              -- hex SHA-256 of the secret
  role       TEXT NOT NULL,
  department TEXT,
  created_at TEXT NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  revoked_at TEXT
) STRICT;
)sql",
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion,
              "kSqliteSchemaVersion must count the migrations");

// The longest entry_id the store takes (the loaders allow 128 bytes); EntryIdSet packs it.
constexpr size_t kMaxEntryIdBytes = 0xFFFF;

constexpr char kInsertLoadSql[] =
    "INSERT INTO loads (started_at, committed_at, source, entries, replace_all) "
    "VALUES (?1, ?1, NULL, 0, ?2)";
constexpr char kFinishLoadSql[] =
    "UPDATE loads SET committed_at = ?1, source = ?2, entries = ?3 WHERE seq = ?4";
constexpr char kInsertChunkSql[] =
    "INSERT INTO entry_chunks (load_seq, entries, body) VALUES (?, ?, ?)";
constexpr char kStoredSql[] = "SELECT coalesce(sum(entries), 0) FROM entry_chunks";
constexpr char kCountsSql[] =
    "SELECT current_entries, stored_at_count FROM entry_counts WHERE id = 1";
constexpr char kSetCountsSql[] =
    "UPDATE entry_counts SET current_entries = ?1, stored_at_count = ?2 WHERE id = 1";

using DbPtr = SqliteDb;
using StmtPtr = SqliteStmt;

// Every SQLite failure, as the one kind of status the store returns for it.
Status SqliteError(sqlite3* db, std::string_view op, std::string_view detail = "") {
  std::string msg = "sqlite store: ";
  msg += op;
  msg += ": ";
  msg += sqlite3_errmsg(db);
  if (!detail.empty()) {
    msg += " (";
    msg += detail;
    msg += ")";
  }
  return Status::Io(std::move(msg));
}

Status Exec(sqlite3* db, const char* sql, std::string_view op) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return SqliteError(db, op);
  return Status::Ok();
}

Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql, std::string_view op,
                        unsigned flags = 0) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &st, nullptr) !=
      SQLITE_OK)
    return SqliteError(db, op);
  return StmtPtr(st);
}

// Steps a statement that returns nothing and resets it.
Status StepDone(sqlite3* db, sqlite3_stmt* st, std::string_view op) {
  const int rc = sqlite3_step(st);
  Status s = rc == SQLITE_DONE ? Status::Ok() : SqliteError(db, op);
  sqlite3_reset(st);
  return s;
}

// Runs a PRAGMA (or any query) that returns one integer.
Result<int64_t> QueryInt(sqlite3* db, std::string_view sql, std::string_view op) {
  auto st = Prepare(db, sql, op);
  if (!st.ok()) return st.status();
  if (sqlite3_step(st->get()) != SQLITE_ROW) return SqliteError(db, op);
  return static_cast<int64_t>(sqlite3_column_int64(st->get(), 0));
}

// A write transaction: BEGIN IMMEDIATE takes the write lock at once (waiting for another
// writer up to the busy timeout), so it cannot fail later for want of it. Rolled back unless
// committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite3* db) : db_(db) {}
  ~WriteTransaction() { Rollback(); }
  void Rollback() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    open_ = false;
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  Status Begin(std::string_view op) {
    if (Status s = Exec(db_, "BEGIN IMMEDIATE", op); !s.ok()) return s;
    open_ = true;
    return Status::Ok();
  }
  Status Commit(std::string_view op) {
    if (Status s = Exec(db_, "COMMIT", op); !s.ok()) return s;  // still open: rolled back
    open_ = false;
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

// A read transaction: every statement in it sees one committed state. Ending it cannot fail.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) {}
  ~ReadTransaction() {
    if (open_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  Status Begin(std::string_view op) {
    if (Status s = Exec(db_, "BEGIN", op); !s.ok()) return s;
    open_ = true;
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

int BindText(sqlite3_stmt* st, int column, std::string_view s) {
  return sqlite3_bind_text(st, column + 1, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}
// Empty text is stored as NULL: "absent" reads the same in sqlite3 and in credlist.
int BindOptionalText(sqlite3_stmt* st, int column, std::string_view s) {
  return s.empty() ? sqlite3_bind_null(st, column + 1) : BindText(st, column, s);
}

std::string_view ColumnText(sqlite3_stmt* st, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, column));
  if (p == nullptr) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, column)));
}

// A chunk's body through incremental blob I/O: one handle, moved from row to row
// (sqlite3_blob_reopen compiles nothing), and one buffer, reused, so that reading or writing a
// chunk costs one copy and no allocation (a BLOB column value costs a fresh buffer of its size
// and a second copy). Must be closed before the transaction ends.
class ChunkBody {
 public:
  ChunkBody(sqlite3* db, bool write) : db_(db), write_(write) {}
  ~ChunkBody() { Close(); }
  ChunkBody(const ChunkBody&) = delete;
  ChunkBody& operator=(const ChunkBody&) = delete;

  void Close() {
    if (blob_) sqlite3_blob_close(blob_);
    blob_ = nullptr;
  }

  // Reads the body of chunk `seq`; the view is valid until the next Read.
  Result<std::string_view> Read(int64_t seq, std::string_view op) {
    if (Status s = Open(seq, op); !s.ok()) return s;
    const int size = sqlite3_blob_bytes(blob_);
    if (static_cast<size_t>(size) > capacity_) {
      capacity_ = static_cast<size_t>(size) + static_cast<size_t>(size) / 4;
      buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
    }
    if (sqlite3_blob_read(blob_, buffer_.get(), size, 0) != SQLITE_OK)
      return Status::Io("sqlite store: " + std::string(op) + ": entry_chunks row " +
                        std::to_string(seq) + ": " + sqlite3_errmsg(db_));
    return std::string_view(buffer_.get(), static_cast<size_t>(size));
  }

  // Writes `body` over the zeroblob of the same size that row `seq` was inserted with.
  Status Write(int64_t seq, std::string_view body, std::string_view op) {
    if (Status s = Open(seq, op); !s.ok()) return s;
    if (sqlite3_blob_write(blob_, body.data(), static_cast<int>(body.size()), 0) != SQLITE_OK)
      return Status::Io("sqlite store: " + std::string(op) + ": entry_chunks row " +
                        std::to_string(seq) + ": " + sqlite3_errmsg(db_));
    return Status::Ok();
  }

 private:
  Status Open(int64_t seq, std::string_view op) {
    const int rc =
        blob_ ? sqlite3_blob_reopen(blob_, seq)
              : sqlite3_blob_open(db_, "main", "entry_chunks", "body", seq, write_ ? 1 : 0, &blob_);
    if (rc == SQLITE_OK) return Status::Ok();
    Status s = Status::Io("sqlite store: " + std::string(op) + ": entry_chunks row " +
                          std::to_string(seq) + ": " + sqlite3_errmsg(db_));
    Close();  // after a failed reopen the handle is of no more use
    return s;
  }

  sqlite3* db_;
  bool write_;
  sqlite3_blob* blob_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
};

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool IsUniqueViolation(sqlite3* db) {
  const int rc = sqlite3_extended_errcode(db);
  return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE;
}

// --- Counting entry_ids ----------------------------------------------------------------------

// A set of entry_ids, for counting them and finding superseded ones: millions of them, each
// looked up once, so the cost is the cache misses. The ids' bytes go to one arena (a 2-byte
// size, then the bytes); the table is open addressing with linear probing over 64-bit slots
// (the top 24 bits of the id's XXH3-64, the arena offset + 1 below them; 0 is empty), at most
// 3/4 full, and a chunk's ids are hashed first so that their slots are prefetched ahead of the
// probes. Equal tags are told apart by comparing the bytes. About 8-16 bytes of table and
// size + 2 bytes of arena per id.
class EntryIdSet {
 public:
  // Sized for `expected` ids without growing (it grows when there are more).
  explicit EntryIdSet(uint64_t expected) {
    size_t capacity = 64;
    while (capacity / 4 * 3 < expected) capacity *= 2;
    slots_ = Slots(capacity);
  }
  EntryIdSet(const EntryIdSet&) = delete;
  EntryIdSet& operator=(const EntryIdSet&) = delete;

  uint64_t size() const { return size_; }

  // Adds ids[n - 1], ..., ids[0], in that order (the newest first); calls seen(i) for each
  // ids[i] that was in the set already. Each id has at most kMaxEntryIdBytes.
  template <typename Seen>
  void AddNewestFirst(std::span<const std::string_view> ids, Seen&& seen) {
    constexpr size_t kAhead = 12;
    hashes_.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) hashes_[i] = XXH3_64bits(ids[i].data(), ids[i].size());
    for (size_t i = ids.size(); i-- > 0;) {
      if (i >= kAhead) __builtin_prefetch(&slots_[hashes_[i - kAhead] & slots_.mask()]);
      if (!Add(ids[i], hashes_[i])) seen(i);
    }
  }

 private:
  static constexpr int kTagShift = 40;
  static constexpr uint64_t kOffsetMask = (uint64_t{1} << kTagShift) - 1;

  std::string_view Text(uint64_t slot) const {
    const size_t at = (slot & kOffsetMask) - 1;
    uint16_t size;
    std::memcpy(&size, arena_.data() + at, 2);
    return std::string_view(arena_.data() + at + 2, size);
  }

  // False when `id` is there already.
  bool Add(std::string_view id, uint64_t hash) {
    const uint64_t tag = hash >> kTagShift << kTagShift;
    for (size_t i = hash & slots_.mask();; i = (i + 1) & slots_.mask()) {
      const uint64_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = tag | (arena_.size() + 1);
        const auto size = static_cast<uint16_t>(id.size());
        arena_.append(reinterpret_cast<const char*>(&size), 2);
        arena_.append(id);
        if (++size_ > slots_.size() / 4 * 3) Grow();
        return true;
      }
      if ((slot & ~kOffsetMask) == tag && Text(slot) == id) return false;
    }
  }

  void Grow() {
    Slots old(slots_.size() * 2);
    std::swap(old, slots_);
    for (size_t n = 0; n < old.size(); ++n) {
      const uint64_t slot = old[n];
      if (slot == 0) continue;
      const std::string_view text = Text(slot);
      size_t i = XXH3_64bits(text.data(), text.size()) & slots_.mask();
      while (slots_[i] != 0) i = (i + 1) & slots_.mask();
      slots_[i] = slot;
    }
  }

  // The table: zeroed memory of a power-of-two number of slots. Big tables get their own
  // mapping in transparent huge pages where the kernel allows it (MADV_HUGEPAGE), which halves
  // the cost of a probe: with 4 KiB pages most probes also miss the TLB.
  class Slots {
   public:
    Slots() = default;
    explicit Slots(size_t count) : count_(count), bytes_(count * sizeof(uint64_t)) {
      if (bytes_ >= kHugePage) {
        bytes_ = (bytes_ + kHugePage - 1) / kHugePage * kHugePage;
        void* p = ::mmap(nullptr, bytes_ + kHugePage, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        // Aligned to 2 MiB, the slack before and after returned.
        auto* base = static_cast<char*>(p);
        const auto misalign = reinterpret_cast<uintptr_t>(base) % kHugePage;
        char* aligned = base + (misalign ? kHugePage - misalign : 0);
        if (aligned > base) ::munmap(base, static_cast<size_t>(aligned - base));
        const size_t tail = static_cast<size_t>(base + bytes_ + kHugePage - (aligned + bytes_));
        if (tail) ::munmap(aligned + bytes_, tail);
        ::madvise(aligned, bytes_, MADV_HUGEPAGE);  // a hint: failing is harmless
        data_ = reinterpret_cast<uint64_t*>(aligned);
        mapped_ = true;
      } else {
        small_.assign(count, 0);
        data_ = small_.data();
      }
    }
    ~Slots() {
      if (mapped_) ::munmap(data_, bytes_);
    }
    Slots(Slots&& o) noexcept { *this = std::move(o); }
    Slots& operator=(Slots&& o) noexcept {
      std::swap(data_, o.data_);
      std::swap(count_, o.count_);
      std::swap(bytes_, o.bytes_);
      std::swap(mapped_, o.mapped_);
      small_.swap(o.small_);
      return *this;
    }
    size_t size() const { return count_; }
    size_t mask() const { return count_ - 1; }
    uint64_t& operator[](size_t i) { return data_[i]; }
    uint64_t operator[](size_t i) const { return data_[i]; }

   private:
    static constexpr size_t kHugePage = size_t{1} << 21;
    uint64_t* data_ = nullptr;
    size_t count_ = 0;
    size_t bytes_ = 0;
    bool mapped_ = false;
    std::vector<uint64_t> small_;
  };

  Slots slots_;
  uint64_t size_ = 0;
  std::string arena_;
  std::vector<uint64_t> hashes_;  // of the chunk being added
};

// A chunk that holds superseded entries: its indices (ascending) of them.
struct StaleChunk {
  int64_t seq;
  int64_t load_seq;
  int64_t entries;
  std::vector<uint32_t> superseded;
};

// The counts that decide compaction (entry_counts).
struct Counts {
  int64_t current = 0;
  int64_t stored_at_count = 0;
};

// Whether superseded entries may be more than half of `stored`, and enough has been written
// since the last count to pay for counting again (a quarter of what was counted then): the
// count costs a scan of everything, so it is done at most once per 25 % growth.
bool CountIsDue(int64_t stored, const Counts& c) {
  return stored > 2 * c.current && 4 * stored >= 5 * c.stored_at_count;
}

// --- The store ---------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(DbPtr db, const SqliteStoreOptions& options) : db_(std::move(db)), options_(options) {
    options_.chunk_entries = std::max<uint32_t>(options_.chunk_entries, 1);
  }

  Status Prepare() {
    struct {
      StmtPtr* stmt;
      const char* sql;
    } const statements[] = {
        {&insert_load_, kInsertLoadSql},
        {&finish_load_, kFinishLoadSql},
        {&insert_chunk_, kInsertChunkSql},
    };
    for (const auto& s : statements) {
      auto st = credlist::Prepare(db_.get(), s.sql, "prepare", SQLITE_PREPARE_PERSISTENT);
      if (!st.ok()) return st.status();
      *s.stmt = std::move(*st);
    }
    return Status::Ok();
  }

  Status PutEntries(const std::vector<Entry>& entries, bool replace_all) override {
    auto writer = BeginEntries(replace_all);
    if (!writer.ok()) return writer.status();
    for (const Entry& e : entries) {
      if (Status s = (*writer)->Add(e); !s.ok()) return s;
    }
    return (*writer)->Commit();
  }

  Result<std::unique_ptr<EntryWriter>> BeginEntries(bool replace_all) override;

  Status ForEachEntry(const std::function<void(const Entry&)>& fn) override {
    static constexpr std::string_view kOp = "ForEachEntry";
    ReadTransaction txn(db_.get());
    if (Status s = txn.Begin(kOp); !s.ok()) return s;
    auto st =
        credlist::Prepare(db_.get(), "SELECT seq, entries FROM entry_chunks ORDER BY seq", kOp);
    if (!st.ok()) return st.status();
    ChunkBody reader(db_.get(), false);
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      const int64_t seq = sqlite3_column_int64(st->get(), 0);
      auto body = reader.Read(seq, kOp);
      if (!body.ok()) return body.status();
      if (Status s = CheckChunk(seq, sqlite3_column_int64(st->get(), 1), *body, kOp); !s.ok())
        return s;
      if (Status s = DecodeEntryChunk(*body, fn); !s.ok()) return ChunkError(seq, s, kOp);
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp);
    return Status::Ok();
  }

  Result<uint64_t> StoredEntries() override {
    auto n = Stored("StoredEntries");
    if (!n.ok()) return n.status();
    return static_cast<uint64_t>(*n);
  }

  Result<uint64_t> CountEntries() override {
    static constexpr std::string_view kOp = "CountEntries";
    ReadTransaction txn(db_.get());
    if (Status s = txn.Begin(kOp); !s.ok()) return s;
    // Sized for the entries as last counted (or estimated): it grows if there are more.
    auto counts = ReadCounts(kOp);
    if (!counts.ok()) return counts.status();
    EntryIdSet ids(static_cast<uint64_t>(counts->current));
    int64_t stored = 0;
    if (Status s = CollectIds(&ids, nullptr, &stored, kOp); !s.ok()) return s;
    return ids.size();
  }

  // Every load's record (never deleted; each commit of a load adds one) and every chunk's row
  // (compaction deletes and adds chunks, and removes stored entries), hashed: lengths only,
  // so no chunk is read.
  Result<std::string> EntriesTag() override {
    static constexpr std::string_view kOp = "EntriesTag";
    ReadTransaction txn(db_.get());
    if (Status s = txn.Begin(kOp); !s.ok()) return s;
    XXH64_hash_t hash = 0;
    int64_t counts[3] = {0, 0, 0};  // loads, chunks, stored entries
    int64_t last_load = 0;
    const char* const queries[] = {
        "SELECT seq, started_at, committed_at, coalesce(source, ''), entries, replace_all "
        "FROM loads ORDER BY seq",
        "SELECT seq, load_seq, entries, length(body) FROM entry_chunks ORDER BY seq"};
    for (int q = 0; q < 2; ++q) {
      auto st = credlist::Prepare(db_.get(), queries[q], kOp);
      if (!st.ok()) return st.status();
      int rc;
      while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
        const int columns = sqlite3_column_count(st->get());
        for (int c = 0; c < columns; ++c) {
          const std::string_view text = ColumnText(st->get(), c);
          const uint64_t size = text.size();
          hash = XXH3_64bits_withSeed(&size, sizeof size, hash);
          hash = XXH3_64bits_withSeed(text.data(), text.size(), hash);
        }
        ++counts[q];
        if (q == 0) last_load = sqlite3_column_int64(st->get(), 0);
        if (q == 1) counts[2] += sqlite3_column_int64(st->get(), 2);
      }
      if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp);
    }
    char tag[160];
    std::snprintf(tag, sizeof tag,
                  "sqlite schema %d, load %lld of %lld, %lld chunks, %lld stored, %016llx",
                  kSqliteSchemaVersion, static_cast<long long>(last_load),
                  static_cast<long long>(counts[0]), static_cast<long long>(counts[1]),
                  static_cast<long long>(counts[2]), static_cast<unsigned long long>(hash));
    return std::string(tag);
  }

  Status AddToken(const TokenRecord& token) override {
    static constexpr std::string_view kOp = "AddToken";
    if (token.token_id.empty()) return Status::Invalid("token_id", "is required");
    if (token.hash.empty()) return Status::Invalid("hash", "is required");
    if (token.role != "checker" && token.role != "department" && token.role != "admin")
      return Status::Invalid("role", "'" + token.role + "' is not checker, department or admin");
    auto st = credlist::Prepare(db_.get(),
                                "INSERT INTO tokens (token_id, hash, role, department, created_at, "
                                "revoked, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                kOp);
    if (!st.ok()) return st.status();
    const std::string created_at = token.created_at.empty() ? UtcNow() : token.created_at;
    const std::string revoked_at = token.revoked ? created_at : std::string();
    sqlite3_stmt* s = st->get();  // BindText counts parameters from 0
    BindText(s, 0, token.token_id);
    BindText(s, 1, token.hash);
    BindText(s, 2, token.role);
    BindOptionalText(s, 3, token.department);
    BindText(s, 4, created_at);
    sqlite3_bind_int(s, 5 + 1, token.revoked ? 1 : 0);
    BindOptionalText(s, 6, revoked_at);
    if (sqlite3_step(s) != SQLITE_DONE) {
      if (IsUniqueViolation(db_.get()))
        return Status::Conflict("a token with this token_id or hash exists (" +
                                std::string(sqlite3_errmsg(db_.get())) + ")");
      return SqliteError(db_.get(), kOp, "token '" + token.token_id + "'");
    }
    return Status::Ok();
  }

  Result<std::vector<TokenRecord>> ListTokens() override {
    static constexpr std::string_view kOp = "ListTokens";
    auto st = credlist::Prepare(db_.get(),
                                "SELECT token_id, hash, role, department, created_at, revoked "
                                "FROM tokens ORDER BY created_at, token_id",
                                kOp);
    if (!st.ok()) return st.status();
    std::vector<TokenRecord> out;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      TokenRecord t;
      t.token_id = ColumnText(st->get(), 0);
      t.hash = ColumnText(st->get(), 1);
      t.role = ColumnText(st->get(), 2);
      t.department = ColumnText(st->get(), 3);
      t.created_at = ColumnText(st->get(), 4);
      t.revoked = sqlite3_column_int(st->get(), 5) != 0;
      out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp);
    return out;
  }

  Status RevokeToken(const std::string& token_id) override {
    static constexpr std::string_view kOp = "RevokeToken";
    auto st =
        credlist::Prepare(db_.get(),
                          "UPDATE tokens SET revoked = 1, revoked_at = coalesce(revoked_at, ?) "
                          "WHERE token_id = ?",
                          kOp);
    if (!st.ok()) return st.status();
    const std::string now = UtcNow();
    BindText(st->get(), 0, now);
    BindText(st->get(), 1, token_id);
    if (sqlite3_step(st->get()) != SQLITE_DONE)
      return SqliteError(db_.get(), kOp, "token '" + token_id + "'");
    if (sqlite3_changes(db_.get()) == 0) return Status::NotFound("no token '" + token_id + "'");
    return Status::Ok();
  }

 private:
  friend class SqliteEntryWriter;

  static Status ChunkError(int64_t seq, const Status& s, std::string_view op) {
    return Status::Io("sqlite store: " + std::string(op) + ": entry_chunks row " +
                      std::to_string(seq) + ": " + s.reason() +
                      "; the file was damaged or changed by hand: load the entries again");
  }

  // The row's entry count against the chunk's own.
  static Status CheckChunk(int64_t seq, int64_t entries, std::string_view body,
                           std::string_view op) {
    const uint32_t in_chunk = EntryChunkEntries(body);
    if (in_chunk != 0 && in_chunk == entries) return Status::Ok();
    if (in_chunk == 0) {  // no valid header: the codec says why (version, size)
      std::vector<std::string_view> ids;
      if (Status s = DecodeEntryChunkIds(body, &ids); !s.ok()) return ChunkError(seq, s, op);
    }
    return ChunkError(seq,
                      Status::Io("the row says " + std::to_string(entries) +
                                 " entries, its chunk " + std::to_string(in_chunk)),
                      op);
  }

  Result<int64_t> Stored(std::string_view op) { return QueryInt(db_.get(), kStoredSql, op); }

  Result<Counts> ReadCounts(std::string_view op) {
    auto st = credlist::Prepare(db_.get(), kCountsSql, op);
    if (!st.ok()) return st.status();
    if (sqlite3_step(st->get()) != SQLITE_ROW) return SqliteError(db_.get(), op, "entry_counts");
    return Counts{sqlite3_column_int64(st->get(), 0), sqlite3_column_int64(st->get(), 1)};
  }

  Status WriteCounts(const Counts& c, std::string_view op) {
    auto st = credlist::Prepare(db_.get(), kSetCountsSql, op);
    if (!st.ok()) return st.status();
    sqlite3_bind_int64(st->get(), 1, c.current);
    sqlite3_bind_int64(st->get(), 2, c.stored_at_count);
    return StepDone(db_.get(), st->get(), op);
  }

  // Inserts a chunk row: a zeroblob of the body's size, then the body written over it through
  // `writer` (closed by the caller before the transaction ends).
  Status InsertChunk(int64_t load_seq, uint32_t entries, std::string_view body, ChunkBody* writer,
                     std::string_view op) {
    if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
      return Status::Io("sqlite store: " + std::string(op) + ": a chunk of " +
                        std::to_string(body.size()) + " bytes");
    sqlite3_stmt* st = insert_chunk_.get();
    sqlite3_bind_int64(st, 1, load_seq);
    sqlite3_bind_int64(st, 2, entries);
    sqlite3_bind_zeroblob(st, 3, static_cast<int>(body.size()));
    if (Status s = StepDone(db_.get(), st, op); !s.ok()) return s;
    return writer->Write(sqlite3_last_insert_rowid(db_.get()), body, op);
  }

  // Reads every stored entry_id into *ids, newest chunk first, within the caller's
  // transaction. With `stale`, also lists the chunks that hold superseded entries (an entry
  // with a later one of the same entry_id). *stored: the entries read.
  Status CollectIds(EntryIdSet* ids, std::vector<StaleChunk>* stale, int64_t* stored,
                    std::string_view op) {
    auto st = credlist::Prepare(
        db_.get(), "SELECT seq, load_seq, entries FROM entry_chunks ORDER BY seq DESC", op);
    if (!st.ok()) return st.status();
    ChunkBody reader(db_.get(), false);
    std::vector<std::string_view> chunk_ids;
    *stored = 0;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      const int64_t seq = sqlite3_column_int64(st->get(), 0);
      const int64_t entries = sqlite3_column_int64(st->get(), 2);
      auto body = reader.Read(seq, op);
      if (!body.ok()) return body.status();
      if (Status s = CheckChunk(seq, entries, *body, op); !s.ok()) return s;
      chunk_ids.clear();
      if (Status s = DecodeEntryChunkIds(*body, &chunk_ids); !s.ok()) return ChunkError(seq, s, op);
      for (std::string_view id : chunk_ids) {
        if (id.size() > kMaxEntryIdBytes)
          return ChunkError(
              seq, Status::Io("an entry_id of " + std::to_string(id.size()) + " bytes"), op);
      }
      StaleChunk chunk{seq, sqlite3_column_int64(st->get(), 1), entries, {}};
      // Newest first: within a chunk too, the last entry of an entry_id is the current one.
      ids->AddNewestFirst(chunk_ids,
                          [&](size_t i) { chunk.superseded.push_back(static_cast<uint32_t>(i)); });
      *stored += entries;
      if (stale && !chunk.superseded.empty()) {
        std::reverse(chunk.superseded.begin(), chunk.superseded.end());
        stale->push_back(std::move(chunk));
      }
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), op);
    return Status::Ok();
  }

  // Counts the entries and, when superseded ones are more than half of them, rewrites every
  // chunk that holds one: its current entries go to new chunks (grouped by load; the order of
  // current entries does not matter, as no two share an entry_id), the chunk is deleted. One
  // transaction, which never waits for another writer: when one is busy, nothing is done.
  Status Compact() {
    static constexpr std::string_view kOp = "compact";
    sqlite3* db = db_.get();
    WriteTransaction txn(db);
    sqlite3_busy_timeout(db, 0);
    Status begun = txn.Begin(kOp);
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    if (!begun.ok()) {
      const int rc = sqlite3_extended_errcode(db) & 0xFF;
      return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? Status::Ok() : begun;
    }
    // Another process may have counted or compacted since: decide again under the lock.
    auto stored_now = Stored(kOp);
    if (!stored_now.ok()) return stored_now.status();
    auto counts = ReadCounts(kOp);
    if (!counts.ok()) return counts.status();
    if (!CountIsDue(*stored_now, *counts)) return Status::Ok();

    std::vector<StaleChunk> stale;
    int64_t stored = 0;
    uint64_t current = 0;
    {
      EntryIdSet ids(static_cast<uint64_t>(counts->current));  // freed before the rewrite
      if (Status s = CollectIds(&ids, &stale, &stored, kOp); !s.ok()) return s;
      current = ids.size();
    }
    const int64_t superseded = stored - static_cast<int64_t>(current);
    if (2 * superseded > stored) {
      if (Status s = Rewrite(std::move(stale), kOp); !s.ok()) return s;
      auto after = Stored(kOp);
      if (!after.ok()) return after.status();
      if (*after != static_cast<int64_t>(current))
        return Status::Io("sqlite store: compact: " + std::to_string(*after) +
                          " entries after the rewrite, expected " + std::to_string(current));
      stored = *after;
    }
    if (Status s = WriteCounts({static_cast<int64_t>(current), stored}, kOp); !s.ok()) return s;
    return txn.Commit(kOp);
  }

  Status Rewrite(std::vector<StaleChunk> stale, std::string_view op) {
    sqlite3* db = db_.get();
    std::sort(stale.begin(), stale.end(), [](const StaleChunk& a, const StaleChunk& b) {
      return a.load_seq != b.load_seq ? a.load_seq < b.load_seq : a.seq < b.seq;
    });
    auto remove = credlist::Prepare(db, "DELETE FROM entry_chunks WHERE seq = ?", op);
    if (!remove.ok()) return remove.status();

    EntryChunkEncoder encoder;
    ChunkBody writer(db, true);
    int64_t encoder_load = -1;
    Status failed;
    auto flush = [&] {
      if (encoder.entries() == 0 || !failed.ok()) return;
      failed = InsertChunk(encoder_load, encoder.entries(), encoder.Finish(), &writer, op);
      encoder.Reset();
    };
    ChunkBody reader(db, false);
    for (const StaleChunk& chunk : stale) {
      if (chunk.load_seq != encoder_load) flush();
      encoder_load = chunk.load_seq;
      if (chunk.superseded.size() < static_cast<size_t>(chunk.entries)) {
        auto body = reader.Read(chunk.seq, op);
        if (!body.ok()) return body.status();
        size_t next = 0;
        uint32_t index = 0;
        Status decoded = DecodeEntryChunk(*body, [&](const Entry& e) {
          if (next < chunk.superseded.size() && chunk.superseded[next] == index) {
            ++next;
          } else if (failed.ok()) {
            failed = encoder.Add(e);
            if (encoder.entries() >= options_.chunk_entries ||
                encoder.bytes() >= options_.chunk_bytes)
              flush();
          }
          ++index;
        });
        if (!decoded.ok()) return ChunkError(chunk.seq, decoded, op);
      }
      if (!failed.ok()) return failed;
      reader.Close();  // before its row goes
      writer.Close();
      sqlite3_bind_int64(remove->get(), 1, chunk.seq);
      if (Status s = StepDone(db, remove->get(), op); !s.ok()) return s;
    }
    flush();
    writer.Close();
    return failed;
  }

  // Declared first so that it is destroyed last, after the statements.
  DbPtr db_;
  SqliteStoreOptions options_;
  StmtPtr insert_load_;
  StmtPtr finish_load_;
  StmtPtr insert_chunk_;
};

class SqliteEntryWriter final : public EntryWriter {
 public:
  explicit SqliteEntryWriter(SqliteStore* store)
      : store_(store), txn_(store->db_.get()), body_(store->db_.get(), true) {}
  ~SqliteEntryWriter() override { body_.Close(); }  // before txn_ rolls back

  Status Begin(bool replace_all) {
    sqlite3* db = store_->db_.get();
    if (Status s = txn_.Begin(kOp); !s.ok()) return s;
    if (replace_all) {
      // Every chunk goes; the loads stay, as the record of what was loaded when.
      if (Status s = Exec(db, "DELETE FROM entry_chunks", kOp); !s.ok()) return s;
    } else {
      auto stored = store_->Stored(kOp);
      if (!stored.ok()) return stored.status();
      stored_before_ = *stored;
    }
    auto counts = store_->ReadCounts(kOp);
    if (!counts.ok()) return counts.status();
    counts_ = *counts;
    sqlite3_stmt* st = store_->insert_load_.get();
    const std::string now = UtcNow();
    BindText(st, 0, now);
    sqlite3_bind_int(st, 2, replace_all ? 1 : 0);
    if (Status s = StepDone(db, st, kOp); !s.ok()) return s;
    load_seq_ = sqlite3_last_insert_rowid(db);
    return Status::Ok();
  }

  Status Add(const Entry& e) override {
    if (!failed_.ok()) return failed_;
    if (committed_) return Status::Io("sqlite store: PutEntries: committed already");
    if (e.entry_id.empty()) return Fail(Status::Invalid("entry_id", "is empty"));
    if (e.entry_id.size() > kMaxEntryIdBytes)
      return Fail(Status::Invalid("entry_id",
                                  "is longer than " + std::to_string(kMaxEntryIdBytes) + " bytes"));
    if (Status s = encoder_.Add(e); !s.ok()) return Fail(std::move(s));
    ++added_;
    if (encoder_.entries() >= store_->options_.chunk_entries ||
        encoder_.bytes() >= store_->options_.chunk_bytes)
      return Flush();
    return Status::Ok();
  }

  Status Commit() override {
    if (!failed_.ok()) return failed_;
    if (committed_) return Status::Io("sqlite store: PutEntries: committed already");
    sqlite3* db = store_->db_.get();
    if (encoder_.entries() > 0) {
      if (Status s = Flush(); !s.ok()) return s;
    }
    body_.Close();
    sqlite3_stmt* st = store_->finish_load_.get();
    const std::string now = UtcNow();
    BindText(st, 0, now);
    BindOptionalText(st, 1, source_);
    sqlite3_bind_int64(st, 3, static_cast<sqlite3_int64>(added_));
    sqlite3_bind_int64(st, 4, load_seq_);
    if (Status s = StepDone(db, st, kOp); !s.ok()) return Fail(std::move(s));

    // The counts that decide compaction. A load is taken to hold distinct entry_ids (a
    // snapshot does): after one into an empty store, the count is its size.
    const int64_t stored = stored_before_ + static_cast<int64_t>(added_);
    Counts counts = counts_;
    if (stored_before_ == 0) {
      counts = {stored, stored};
    } else {
      counts.current = std::max(counts.current, static_cast<int64_t>(added_));
    }
    if (Status s = store_->WriteCounts(counts, kOp); !s.ok()) return Fail(std::move(s));
    if (Status s = txn_.Commit(kOp); !s.ok()) return Fail(std::move(s));
    committed_ = true;
    if (CountIsDue(stored, counts)) compaction_ = store_->Compact();
    return Status::Ok();
  }

  uint64_t added() const override { return added_; }
  void SetSource(std::string_view source) override { source_ = source; }
  const Status& compaction_status() const override { return compaction_; }

 private:
  static constexpr std::string_view kOp = "PutEntries";

  Status Flush() {
    Status s = store_->InsertChunk(load_seq_, encoder_.entries(), encoder_.Finish(), &body_, kOp);
    encoder_.Reset();
    if (!s.ok()) return Fail(std::move(s));
    return Status::Ok();
  }

  // Rolls back at once, so that the write lock is not held until the writer is destroyed.
  Status Fail(Status s) {
    failed_ = s;
    body_.Close();
    txn_.Rollback();
    return s;
  }

  SqliteStore* store_;
  WriteTransaction txn_;
  ChunkBody body_;  // after txn_: closed first
  EntryChunkEncoder encoder_;
  int64_t load_seq_ = 0;
  int64_t stored_before_ = 0;  // entries in the store before this load
  Counts counts_;
  std::string source_;
  uint64_t added_ = 0;
  bool committed_ = false;
  Status failed_;
  Status compaction_;
};

Result<std::unique_ptr<EntryWriter>> SqliteStore::BeginEntries(bool replace_all) {
  auto writer = std::make_unique<SqliteEntryWriter>(this);
  if (Status s = writer->Begin(replace_all); !s.ok()) return s;
  return std::unique_ptr<EntryWriter>(std::move(writer));
}

// Creates `dir` and its missing parents, each made durable by an fsync of its parent: SQLite
// makes the files inside durable, not the directory's own entry.
Status CreateDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path = fs::absolute(dir, ec);
  if (ec) return Status::Io("data directory " + dir + ": " + ec.message());
  std::vector<fs::path> missing;
  for (fs::path p = path; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(path, ec);
  if (ec) return Status::Io("cannot create data directory " + dir + ": " + ec.message());
  if (!fs::is_directory(path, ec))
    return Status::Io("data directory " + dir + " is not a directory");
  for (const fs::path& p : missing) {
    const int fd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return Status::Io("cannot sync " + p.parent_path().string() + ": " + why);
    }
    ::close(fd);
  }
  return Status::Ok();
}

// For a store that must exist: the directory and its database, or an error naming what is
// missing. Checks only: creates nothing.
Status CheckExisting(const std::string& dir, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status d = fs::status(dir, ec);
  if (d.type() == fs::file_type::not_found)
    return Status::Io("data directory " + dir +
                      " does not exist: check --data, or load a file into it first (credlist load "
                      "--data " +
                      dir + " FILE)");
  if (ec) return Status::Io("data directory " + dir + ": " + ec.message());
  if (d.type() != fs::file_type::directory)
    return Status::Io("data directory " + dir + " is not a directory");
  const fs::file_status f = fs::status(path, ec);
  if (f.type() == fs::file_type::not_found)
    return Status::Io("data directory " + dir + " holds no credlist database (" + kSqliteFileName +
                      "): check --data, or load a file into it first");
  if (ec) return Status::Io(path + ": " + ec.message());
  if (f.type() != fs::file_type::regular) return Status::Io(path + " is not a file");
  return Status::Ok();
}

// Creates the database file, empty and readable by its owner only, unless it exists: SQLite
// would create it with 0644, and gives its -wal and -shm files the mode of the database.
Status CreateDatabaseFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return Status::Io("cannot create " + path + ": " + std::strerror(errno));
  }
  // The mode asked for is subject to the umask, which can only remove bits.
  ::close(fd);
  return Status::Ok();
}

// Brings the schema to kSqliteSchemaVersion, or refuses a newer one.
Status Migrate(sqlite3* db, const std::string& path) {
  static constexpr std::string_view kOp = "migrate";
  // Reading first avoids taking the write lock when there is nothing to do, so that a process
  // may open the store while another one is loading.
  auto version = QueryInt(db, "PRAGMA user_version", kOp);
  if (!version.ok()) return version.status();
  auto app = QueryInt(db, "PRAGMA application_id", kOp);
  if (!app.ok()) return app.status();
  auto newer = [&](int64_t v) {
    return Status::Io(path + " has schema version " + std::to_string(v) +
                      ", newer than this credlist knows (" + std::to_string(kSqliteSchemaVersion) +
                      "): use a newer credlist build; the file was not changed");
  };
  auto foreign = [&](int64_t id) {
    return Status::Io(path + " is not a credlist database (application_id " + std::to_string(id) +
                      ")");
  };
  if (*app != 0 && *app != kApplicationId) return foreign(*app);
  if (*version > kSqliteSchemaVersion) return newer(*version);
  if (*version == kSqliteSchemaVersion) {
    // Development builds wrote another schema 1 (typed entry rows) before any release.
    auto chunks = QueryInt(
        db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'entry_chunks'",
        kOp);
    if (!chunks.ok()) return chunks.status();
    if (*chunks == 0)
      return Status::Io(path +
                        " was written by a development build of credlist with another schema: "
                        "load the data into a new data directory");
    return Status::Ok();
  }

  WriteTransaction txn(db);
  if (Status s = txn.Begin(kOp); !s.ok()) return s;
  // Another process may have migrated meanwhile: read again under the write lock.
  version = QueryInt(db, "PRAGMA user_version", kOp);
  if (!version.ok()) return version.status();
  if (*version > kSqliteSchemaVersion) return newer(*version);
  if (*version == 0) {
    auto tables = QueryInt(db, "SELECT count(*) FROM sqlite_schema", kOp);
    if (!tables.ok()) return tables.status();
    if (*tables != 0) return foreign(*app);  // some other SQLite database
  }
  for (int64_t v = *version; v < kSqliteSchemaVersion; ++v) {
    const std::string sql(kMigrations[v]);
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      return SqliteError(db, kOp, "to version " + std::to_string(v + 1));
  }
  const std::string set = "PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion) +
                          "; PRAGMA application_id = " + std::to_string(kApplicationId);
  if (Status s = Exec(db, set.c_str(), kOp); !s.ok()) return s;
  return txn.Commit(kOp);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                               const SqliteStoreOptions& options) {
  namespace fs = std::filesystem;
  if (data_dir.empty()) return Status::Io("no data directory given");
  const std::string path = (fs::path(data_dir) / kSqliteFileName).string();
  if (options.create) {
    if (Status s = CreateDirectory(data_dir); !s.ok()) return s;
    if (Status s = CreateDatabaseFile(path); !s.ok()) return s;
  } else if (Status s = CheckExisting(data_dir, path); !s.ok()) {
    return s;
  }

  sqlite3* raw = nullptr;
  // Without SQLITE_OPEN_CREATE when nothing may be created: a file removed since the check
  // above is an error, not a new empty database.
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
      nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return Status::Io("sqlite store: open " + path + ": " +
                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);

  const std::string op = "open " + path;
  // page_size only takes effect on a new file. 32 KiB pages: a chunk of a few hundred KB is a
  // short chain of overflow pages, read and written in few system calls.
  // secure_delete = FAST: Debian builds SQLite with secure_delete on, which writes zeros over
  // every freed page; `load --replace` frees them all and refills them at once.
  const std::string pragmas =
      "PRAGMA page_size = 32768; PRAGMA synchronous = FULL; "
      "PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864; "
      "PRAGMA secure_delete = FAST; PRAGMA cache_size = -" +
      std::to_string(options.cache_mib * 1024) + ";";
  if (Status s = Exec(db.get(), pragmas.c_str(), op); !s.ok()) return s;
  // WAL: readers never block the writer, and a commit is one append and one fsync.
  {
    auto st = credlist::Prepare(db.get(), "PRAGMA journal_mode = WAL", op);
    if (!st.ok()) return st.status();
    if (sqlite3_step(st->get()) != SQLITE_ROW) return SqliteError(db.get(), op);
    const std::string_view mode = ColumnText(st->get(), 0);
    if (mode != "wal")
      return Status::Io("sqlite store: " + op + ": cannot use WAL mode (journal mode is " +
                        std::string(mode) + ")");
  }
  if (Status s = Migrate(db.get(), path); !s.ok()) return s;

  auto store = std::make_unique<SqliteStore>(std::move(db), options);
  if (Status s = store->Prepare(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir) {
  return OpenSqliteStore(data_dir, SqliteStoreOptions{});
}

Result<std::unique_ptr<Store>> OpenLoadedSqliteStore(const std::string& data_dir,
                                                     SqliteStoreOptions options) {
  options.create = false;
  auto store = OpenSqliteStore(data_dir, options);
  if (!store.ok()) return store.status();
  auto stored = (*store)->StoredEntries();
  if (!stored.ok()) return stored.status();
  if (*stored == 0)
    return Status::Io("data directory " + data_dir +
                      " holds no loaded entries: load a file into it first (credlist load --data " +
                      data_dir + " FILE)");
  return store;
}

}  // namespace credlist
