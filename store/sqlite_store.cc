#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace credlist {
namespace {

// Identifies credlist.db files (PRAGMA application_id): "CRDL".
constexpr int32_t kApplicationId = 0x4352444C;

// Migration i takes the schema from version i to version i + 1, in the transaction that also
// sets PRAGMA user_version. Append only: a released migration is never edited.
constexpr std::string_view kMigrations[] = {
    // 1: entries (one row per entry_id), their packed form, API tokens (hashes only).
    R"sql(
CREATE TABLE entries (
  id                  INTEGER PRIMARY KEY,      -- links to entries_packed; survives VACUUM
  entry_id            TEXT NOT NULL UNIQUE CHECK (entry_id <> ''),
  list                TEXT NOT NULL,            -- red | black | watch
  category            TEXT,
  subject_type        TEXT NOT NULL,            -- legal_person | natural_person | other_org
  name                TEXT NOT NULL,
  uscc                TEXT,                     -- canonical 18 characters; NULL when absent
  reg_no              TEXT,                     -- 15 digits
  id_type             TEXT,
  id_number           TEXT,                     -- 18 characters
  legal_rep           TEXT,
  legal_rep_id_number TEXT,
  conduct             TEXT,
  outcome             TEXT,
  department          TEXT,
  basis               TEXT,
  decided_on          TEXT,                     -- YYYY-MM-DD; NULL when absent
  valid_from          TEXT,
  valid_until         TEXT,                     -- exclusive; NULL: no end
  memoranda           INTEGER NOT NULL,         -- bit i: memorandum i (P01 = bit 0)
  state               TEXT NOT NULL,
  exit_reason         TEXT,                     -- NULL unless exited
  in_force_on         TEXT,
  exited_on           TEXT
) STRICT;
-- The same entries in the compact form that credlist reads at start, one row per row of
-- `entries` (same id), written in the same transactions. Not for reading by hand.
CREATE TABLE entries_packed (
  id     INTEGER PRIMARY KEY,
  packed BLOB NOT NULL
) STRICT;
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

// The columns of `entries`, in the order the statements below bind and read them.
enum EntryColumn {
  kColEntryId,
  kColList,
  kColCategory,
  kColSubjectType,
  kColName,
  kColUscc,
  kColRegNo,
  kColIdType,
  kColIdNumber,
  kColLegalRep,
  kColLegalRepId,
  kColConduct,
  kColOutcome,
  kColDepartment,
  kColBasis,
  kColDecidedOn,
  kColValidFrom,
  kColValidUntil,
  kColMemoranda,
  kColState,
  kColExitReason,
  kColInForceOn,
  kColExitedOn,
  kEntryColumns
};

constexpr const char* kColumnNames[kEntryColumns] = {"entry_id",
                                                     "list",
                                                     "category",
                                                     "subject_type",
                                                     "name",
                                                     "uscc",
                                                     "reg_no",
                                                     "id_type",
                                                     "id_number",
                                                     "legal_rep",
                                                     "legal_rep_id_number",
                                                     "conduct",
                                                     "outcome",
                                                     "department",
                                                     "basis",
                                                     "decided_on",
                                                     "valid_from",
                                                     "valid_until",
                                                     "memoranda",
                                                     "state",
                                                     "exit_reason",
                                                     "in_force_on",
                                                     "exited_on"};

std::string ColumnList() {
  std::string s;
  for (int i = 0; i < kEntryColumns; ++i) {
    if (i) s += ", ";
    s += kColumnNames[i];
  }
  return s;
}

// Inserts or updates the row of an entry, or changes nothing when the entry is stored already
// and unchanged: a reload of the same snapshot then only reads. The typed columns render every
// field exactly, so equal columns mean an equal entry. (No RETURNING id: it would make SQLite
// keep a statement journal, which wrote ten times the data.)
std::string UpsertEntrySql() {
  std::string s = "INSERT INTO entries (" + ColumnList() + ") VALUES (";
  for (int i = 0; i < kEntryColumns; ++i) s += i ? ", ?" : "?";
  s += ") ON CONFLICT (entry_id) DO UPDATE SET ";
  for (int i = 1; i < kEntryColumns; ++i) {
    if (i > 1) s += ", ";
    s += std::string(kColumnNames[i]) + " = excluded." + kColumnNames[i];
  }
  s += " WHERE ";
  for (int i = 1; i < kEntryColumns; ++i) {
    if (i > 1) s += " OR ";
    s += std::string(kColumnNames[i]) + " IS NOT excluded." + kColumnNames[i];
  }
  return s;
}

constexpr char kEntryIdSql[] = "SELECT id FROM entries WHERE entry_id = ?";
constexpr char kUpsertPackedSql[] =
    "INSERT INTO entries_packed (id, packed) VALUES (?, ?) "
    "ON CONFLICT (id) DO UPDATE SET packed = excluded.packed";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

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

Result<StmtPtr> Prepare(sqlite3* db, const std::string& sql, std::string_view op,
                        unsigned flags = 0) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1), flags, &st, nullptr) !=
      SQLITE_OK)
    return SqliteError(db, op);
  return StmtPtr(st);
}

// Runs a PRAGMA (or any query) that returns one integer.
Result<int64_t> QueryInt(sqlite3* db, const char* sql, std::string_view op) {
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

// --- Dates and keys as text ------------------------------------------------------------------

// YYYY-MM-DD into out[10]; false when the day is not in years 0001-9999.
bool FormatIsoDay(Day day, char* out) {
  static const Day kMin = DayFromCivil(1, 1, 1), kMax = DayFromCivil(9999, 12, 31);
  if (day < kMin || day > kMax) return false;
  const CivilDate c = CivilFromDay(day);
  out[0] = static_cast<char>('0' + c.year / 1000);
  out[1] = static_cast<char>('0' + c.year / 100 % 10);
  out[2] = static_cast<char>('0' + c.year / 10 % 10);
  out[3] = static_cast<char>('0' + c.year % 10);
  out[4] = '-';
  out[5] = static_cast<char>('0' + c.month / 10);
  out[6] = static_cast<char>('0' + c.month % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + c.day / 10);
  out[9] = static_cast<char>('0' + c.day % 10);
  return true;
}

// The identifier columns and the key type each holds (as MakeEntry fills them).
struct KeyColumn {
  int column;
  KeyType type;
  Key Entry::*member;
};
constexpr KeyColumn kKeyColumns[] = {
    {kColUscc, KeyType::kUscc, &Entry::uscc},
    {kColRegNo, KeyType::kRegNo, &Entry::reg_no},
    {kColIdNumber, KeyType::kIdNumber, &Entry::id_number},
    {kColLegalRepId, KeyType::kIdNumber, &Entry::legal_rep_id},
};

// The date columns, and which sentinel NULL stands for in each.
struct DateColumn {
  int column;
  Day Entry::*member;
  Day null_value;
};
constexpr DateColumn kDateColumns[] = {
    {kColDecidedOn, &Entry::decided_on, kNoDay},     {kColValidFrom, &Entry::valid_from, kNoDay},
    {kColValidUntil, &Entry::valid_until, kForever}, {kColInForceOn, &Entry::in_force_on, kNoDay},
    {kColExitedOn, &Entry::exited_on, kNoDay},
};

// The entry's fields as the text the row holds. Lives until the statement has been stepped:
// every text is bound without a copy.
struct EntryText {
  char keys[std::size(kKeyColumns)][18];
  size_t key_sizes[std::size(kKeyColumns)];
  char dates[std::size(kDateColumns)][10];
};

Status Unstorable(const Entry& e, const char* field, const std::string& why) {
  return Status::Invalid(field, "entry '" + e.entry_id + "' cannot be stored: " + why);
}

// Checks that the entry has a row form that reads back as the same Entry, and renders its
// keys and dates.
Status RenderEntry(const Entry& e, EntryText* t) {
  if (static_cast<int>(e.list) > 2) return Unstorable(e, "list", "unknown list kind");
  if (static_cast<int>(e.subject_type) > 2)
    return Unstorable(e, "subject_type", "unknown subject type");
  if (static_cast<int>(e.state) > 6) return Unstorable(e, "state", "unknown state");
  if (static_cast<int>(e.exit_reason) > 7)
    return Unstorable(e, "exit_reason", "unknown exit reason");
  for (size_t i = 0; i < std::size(kKeyColumns); ++i) {
    const KeyColumn& k = kKeyColumns[i];
    const Key& key = e.*k.member;
    t->key_sizes[i] = 0;
    if (key.empty()) continue;
    if (key.type() != k.type)
      return Unstorable(e, kColumnNames[k.column],
                        "holds a key of type " + std::string(KeyTypeName(key.type())));
    t->key_sizes[i] = FormatKeyTo(key, t->keys[i]);
  }
  for (size_t i = 0; i < std::size(kDateColumns); ++i) {
    const DateColumn& d = kDateColumns[i];
    const Day day = e.*d.member;
    if (day == d.null_value) continue;
    if (!FormatIsoDay(day, t->dates[i]))
      return Unstorable(
          e, kColumnNames[d.column],
          day == kNoDay || day == kForever
              ? std::string(day == kNoDay ? "no day" : "forever") + " is not allowed here"
              : "day " + std::to_string(day) + " is not in years 0001-9999");
  }
  return Status::Ok();
}

// --- Binding and reading columns ---------------------------------------------------------------

int BindText(sqlite3_stmt* st, int column, std::string_view s) {
  return sqlite3_bind_text(st, column + 1, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}
// Empty text is stored as NULL: "absent" reads the same in sqlite3 and in credlist.
int BindOptionalText(sqlite3_stmt* st, int column, std::string_view s) {
  return s.empty() ? sqlite3_bind_null(st, column + 1) : BindText(st, column, s);
}

int BindEntry(sqlite3_stmt* st, const Entry& e, const EntryText& t) {
  int rc = SQLITE_OK;
  auto ok = [&rc](int r) {
    if (r != SQLITE_OK && rc == SQLITE_OK) rc = r;
  };
  ok(BindText(st, kColEntryId, e.entry_id));
  ok(BindText(st, kColList, ListKindName(e.list)));
  ok(BindOptionalText(st, kColCategory, e.category));
  ok(BindText(st, kColSubjectType, SubjectTypeName(e.subject_type)));
  ok(BindText(st, kColName, e.name));
  ok(BindOptionalText(st, kColIdType, e.id_type));
  ok(BindOptionalText(st, kColLegalRep, e.legal_rep));
  ok(BindOptionalText(st, kColConduct, e.conduct));
  ok(BindOptionalText(st, kColOutcome, e.outcome));
  ok(BindOptionalText(st, kColDepartment, e.department));
  ok(BindOptionalText(st, kColBasis, e.basis));
  for (size_t i = 0; i < std::size(kKeyColumns); ++i)
    ok(BindOptionalText(st, kKeyColumns[i].column, std::string_view(t.keys[i], t.key_sizes[i])));
  for (size_t i = 0; i < std::size(kDateColumns); ++i) {
    const DateColumn& d = kDateColumns[i];
    ok(e.*d.member == d.null_value ? sqlite3_bind_null(st, d.column + 1)
                                   : BindText(st, d.column, std::string_view(t.dates[i], 10)));
  }
  ok(sqlite3_bind_int64(st, kColMemoranda + 1, static_cast<sqlite3_int64>(e.memoranda)));
  ok(BindText(st, kColState, StateName(e.state)));
  ok(BindOptionalText(st, kColExitReason, ExitReasonName(e.exit_reason)));
  return rc;
}

std::string_view ColumnText(sqlite3_stmt* st, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, column));
  if (p == nullptr) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, column)));
}

// A TEXT or BLOB value without the copy that sqlite3_column_text makes to add a terminator.
std::string_view ColumnBytes(sqlite3_stmt* st, int column) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, column));
  if (p == nullptr) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, column)));
}

// --- The packed form ---------------------------------------------------------------------------
//
// What credlist reads back at start (entries_packed.packed): reading and parsing the 23 typed
// columns costs about 1 us a row, this form a few hundred ns with SQLite's own work included.
// Little-endian:
//   u8 format (kPackedFormat), u8 list, u8 subject_type, u8 state, u8 exit_reason,
//   u8 key mask (bit i: kKeyColumns[i] present), u64 memoranda,
//   i32 x 5 days (kDateColumns order, kNoDay and kForever as they are),
//   u64 hi, u64 lo for each present key,
//   varint length and bytes of each of kPackedStrings (entry_id first).
static_assert(std::endian::native == std::endian::little, "the packed form is little-endian");
constexpr uint8_t kPackedFormat = 1;

constexpr std::string Entry::*kPackedStrings[] = {
    &Entry::entry_id, &Entry::category, &Entry::name,       &Entry::id_type, &Entry::legal_rep,
    &Entry::conduct,  &Entry::outcome,  &Entry::department, &Entry::basis,
};

template <typename T>
void PutFixed(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The entry has passed RenderEntry.
void PackEntry(const Entry& e, std::string* out) {
  out->clear();
  uint8_t mask = 0;
  for (size_t i = 0; i < std::size(kKeyColumns); ++i)
    if (!(e.*kKeyColumns[i].member).empty()) mask |= static_cast<uint8_t>(1u << i);
  const char head[] = {static_cast<char>(kPackedFormat),  static_cast<char>(e.list),
                       static_cast<char>(e.subject_type), static_cast<char>(e.state),
                       static_cast<char>(e.exit_reason),  static_cast<char>(mask)};
  out->append(head, sizeof head);
  PutFixed<uint64_t>(out, e.memoranda);
  for (const DateColumn& d : kDateColumns) PutFixed<int32_t>(out, e.*d.member);
  for (size_t i = 0; i < std::size(kKeyColumns); ++i) {
    if (!(mask & (1u << i))) continue;
    PutFixed<uint64_t>(out, (e.*kKeyColumns[i].member).hi);
    PutFixed<uint64_t>(out, (e.*kKeyColumns[i].member).lo);
  }
  for (auto member : kPackedStrings) {
    const std::string& s = e.*member;
    PutVarint(out, s.size());
    out->append(s);
  }
}

// Reads a packed entry with every bound checked; a failed read leaves ok() false.
class PackedReader {
 public:
  explicit PackedReader(std::string_view bytes) : p_(bytes.data()), end_(p_ + bytes.size()) {}
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }

  template <typename T>
  T Fixed() {
    T v{};
    if (static_cast<size_t>(end_ - p_) < sizeof(T)) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  void String(std::string* s) {
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      if (p_ == end_ || shift > 63) {
        ok_ = false;
        return;
      }
      const auto b = static_cast<uint8_t>(*p_++);
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (n > static_cast<size_t>(end_ - p_)) {
      ok_ = false;
      return;
    }
    s->assign(p_, n);
    p_ += n;
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// Fills every field of `e`; on failure returns what is wrong.
std::string UnpackEntry(std::string_view packed, Entry* e) {
  PackedReader r(packed);
  const auto format = r.Fixed<uint8_t>();
  if (!r.ok()) return "empty packed value";
  if (format != kPackedFormat) return "unknown packed format " + std::to_string(format);
  const auto list = r.Fixed<uint8_t>(), subject = r.Fixed<uint8_t>(), state = r.Fixed<uint8_t>(),
             exit = r.Fixed<uint8_t>(), mask = r.Fixed<uint8_t>();
  if (list > 2 || subject > 2 || state > 6 || exit > 7 || mask >= 1u << std::size(kKeyColumns))
    return "bad enum or key mask";
  e->list = static_cast<ListKind>(list);
  e->subject_type = static_cast<SubjectType>(subject);
  e->state = static_cast<State>(state);
  e->exit_reason = static_cast<ExitReason>(exit);
  e->memoranda = r.Fixed<uint64_t>();
  for (const DateColumn& d : kDateColumns) e->*d.member = r.Fixed<int32_t>();
  for (size_t i = 0; i < std::size(kKeyColumns); ++i) {
    Key& k = e->*kKeyColumns[i].member;
    k = Key{};
    if (!(mask & (1u << i))) continue;
    k.hi = r.Fixed<uint64_t>();
    k.lo = r.Fixed<uint64_t>();
  }
  for (auto member : kPackedStrings) r.String(&(e->*member));
  if (!r.ok()) return "truncated packed value";
  if (!r.at_end()) return "trailing bytes in packed value";
  return "";
}

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

// --- The store ---------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  Status Prepare() {
    auto upsert = credlist::Prepare(db_.get(), UpsertEntrySql(), "prepare entries upsert",
                                    SQLITE_PREPARE_PERSISTENT);
    if (!upsert.ok()) return upsert.status();
    upsert_entry_ = std::move(*upsert);
    auto packed = credlist::Prepare(db_.get(), kUpsertPackedSql, "prepare entries_packed upsert",
                                    SQLITE_PREPARE_PERSISTENT);
    if (!packed.ok()) return packed.status();
    upsert_packed_ = std::move(*packed);
    auto query = credlist::Prepare(db_.get(), kEntryIdSql, "prepare entry id query",
                                   SQLITE_PREPARE_PERSISTENT);
    if (!query.ok()) return query.status();
    entry_id_query_ = std::move(*query);
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
    // One read transaction: the entries of one committed state, and their count to check
    // that the two tables agree.
    if (Status s = Exec(db_.get(), "BEGIN", kOp); !s.ok()) return s;
    struct End {  // reads only: nothing to undo, and ending it cannot fail
      sqlite3* db;
      ~End() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
    } end{db_.get()};
    return ReadEntries(fn);
  }

  Result<uint64_t> CountEntries() override {
    auto n = QueryInt(db_.get(), "SELECT count(*) FROM entries", "CountEntries");
    if (!n.ok()) return n.status();
    return static_cast<uint64_t>(*n);
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

  Status ReadEntries(const std::function<void(const Entry&)>& fn) {
    static constexpr std::string_view kOp = "ForEachEntry";
    auto st = credlist::Prepare(db_.get(), "SELECT id, packed FROM entries_packed", kOp);
    if (!st.ok()) return st.status();
    Entry e;  // reused: its strings keep their buffers from row to row
    uint64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      if (const std::string why = UnpackEntry(ColumnBytes(st->get(), 1), &e); !why.empty()) {
        return Status::Io("sqlite store: " + std::string(kOp) + ": entries_packed row " +
                          std::to_string(sqlite3_column_int64(st->get(), 0)) + ": " + why);
      }
      ++rows;
      fn(e);
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp);
    auto count = QueryInt(db_.get(), "SELECT count(*) FROM entries", kOp);
    if (!count.ok()) return count.status();
    if (static_cast<uint64_t>(*count) != rows) {
      return Status::Io("sqlite store: " + std::string(kOp) + ": entries has " +
                        std::to_string(*count) + " rows but entries_packed " +
                        std::to_string(rows) +
                        ": the file was changed by hand; load the entries again");
    }
    return Status::Ok();
  }

  // Writes one entry's typed row and, when it is new or changed, its packed row.
  Status PutEntry(const Entry& e, const EntryText& text, std::string* packed) {
    static constexpr std::string_view kOp = "PutEntries";
    sqlite3_stmt* st = upsert_entry_.get();
    if (BindEntry(st, e, text) != SQLITE_OK)
      return SqliteError(db_.get(), kOp, "entry '" + e.entry_id + "'");
    const sqlite3_int64 last_id = sqlite3_last_insert_rowid(db_.get());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp, "entry '" + e.entry_id + "'");
    if (sqlite3_changes(db_.get()) == 0) return Status::Ok();  // stored already, unchanged
    // A new row has a new rowid. Otherwise the row was updated (or, after a replace_all, given
    // the rowid that the previous insert had): look its id up.
    sqlite3_int64 id = sqlite3_last_insert_rowid(db_.get());
    if (id == last_id) {
      sqlite3_stmt* q = entry_id_query_.get();
      BindText(q, 0, e.entry_id);
      rc = sqlite3_step(q);
      if (rc == SQLITE_ROW) id = sqlite3_column_int64(q, 0);
      sqlite3_reset(q);
      if (rc != SQLITE_ROW) return SqliteError(db_.get(), kOp, "entry '" + e.entry_id + "' id");
    }

    PackEntry(e, packed);
    sqlite3_stmt* pst = upsert_packed_.get();
    sqlite3_bind_int64(pst, 1, id);
    sqlite3_bind_blob(pst, 2, packed->data(), static_cast<int>(packed->size()), SQLITE_STATIC);
    rc = sqlite3_step(pst);
    sqlite3_reset(pst);
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), kOp, "entry '" + e.entry_id + "' packed");
    return Status::Ok();
  }

  // Declared first so that it is destroyed last, after the statements.
  DbPtr db_;
  StmtPtr upsert_entry_;
  StmtPtr upsert_packed_;
  StmtPtr entry_id_query_;
};

class SqliteEntryWriter final : public EntryWriter {
 public:
  explicit SqliteEntryWriter(SqliteStore* store) : store_(store), txn_(store->db_.get()) {}

  Status Begin(bool replace_all) {
    if (Status s = txn_.Begin(kOp); !s.ok()) return s;
    // Clearing the tables and inserting the batch is the fastest atomic replacement: SQLite
    // frees a whole table's pages at once (the truncate optimisation) instead of row by row.
    if (replace_all) {
      return Exec(store_->db_.get(), "DELETE FROM entries; DELETE FROM entries_packed", kOp);
    }
    return Status::Ok();
  }

  Status Add(const Entry& e) override {
    if (!failed_.ok()) return failed_;
    Status s = RenderEntry(e, &text_);
    if (s.ok()) s = store_->PutEntry(e, text_, &packed_);
    if (!s.ok()) return Fail(std::move(s));
    ++added_;
    return Status::Ok();
  }

  Status Commit() override {
    if (!failed_.ok()) return failed_;
    if (Status s = txn_.Commit(kOp); !s.ok()) return Fail(std::move(s));
    return Status::Ok();
  }

  uint64_t added() const override { return added_; }

 private:
  static constexpr std::string_view kOp = "PutEntries";

  // Rolls back at once, so that the write lock is not held until the writer is destroyed.
  Status Fail(Status s) {
    failed_ = s;
    txn_.Rollback();
    return s;
  }

  SqliteStore* store_;
  WriteTransaction txn_;
  EntryText text_;
  std::string packed_;
  uint64_t added_ = 0;
  Status failed_;
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
  if (*version == kSqliteSchemaVersion) return Status::Ok();

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
  if (Status s = CreateDirectory(data_dir); !s.ok()) return s;
  const std::string path = (fs::path(data_dir) / kSqliteFileName).string();

  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return Status::Io("sqlite store: open " + path + ": " +
                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);

  const std::string op = "open " + path;
  // page_size only takes effect on a new file. 32 KiB pages halve the CPU of a bulk load and
  // of the scan at start against 4 KiB (fewer, larger writes and B-tree pages); a one-entry
  // write costs a few such pages.
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

  auto store = std::make_unique<SqliteStore>(std::move(db));
  if (Status s = store->Prepare(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir) {
  return OpenSqliteStore(data_dir, SqliteStoreOptions{});
}

}  // namespace credlist
