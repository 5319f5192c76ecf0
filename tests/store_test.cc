// Tests of the SQLite store: round trips, replacement, atomicity, crash safety, tokens and
// schema versions. Each test works in a fresh temporary data directory.
//
// The rate benchmark is disabled by default:
//   CREDLIST_STORE_BENCH_ENTRIES=1000000 store_test --gtest_also_run_disabled_tests
//       --gtest_filter='*Rate*'
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/entry.h"
#include "engine/ids.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace credlist {
namespace {

namespace fs = std::filesystem;

// --- Test data ---------------------------------------------------------------------------------

std::string Digits(uint64_t v, int width) {
  std::string s(width, '0');
  for (int i = width - 1; i >= 0; --i, v /= 10) s[i] = static_cast<char>('0' + v % 10);
  return s;
}

Key Uscc(uint64_t n) {  // a valid USCC of Yingkou (2108xx) for each n < 10^8
  std::string org = Digits(n, 8);
  org += OrgCodeCheckChar(org);
  std::string s = "91210800" + org;
  s += UsccCheckChar(s);
  return *ParseUscc(s);
}

Key IdNumber(uint64_t n) {  // a valid ID number for each n < 2 * 10^7
  const CivilDate birth = CivilFromDay(DayFromCivil(1950, 1, 1) + static_cast<Day>(n % 20000));
  std::string s = "210802" + Digits(birth.year, 4) + Digits(birth.month, 2) + Digits(birth.day, 2) +
                  Digits(n / 20000 % 1000, 3);
  s += IdNumberCheckChar(s);
  return *ParseIdNumber(s);
}

Key RegNo(uint64_t n) {
  std::string s = "210800" + Digits(n, 8);
  s += RegNoCheckDigit(s);
  return *ParseRegNo(s);
}

Day D(int y, int m, int d) { return DayFromCivil(y, m, d); }

// An entry with every field set, different for each n (entry_id "<prefix>-<n>").
Entry MakeEntry(const std::string& prefix, uint64_t n) {
  Entry e;
  e.entry_id = prefix + "-" + std::to_string(n);
  e.list = static_cast<ListKind>(n % 3);
  e.category = n % 2 ? "失信被执行人" : "纳税信用A级纳税人";
  const bool person = n % 5 == 0;
  e.subject_type = person ? SubjectType::kNaturalPerson : SubjectType::kLegalPerson;
  if (person) {
    e.name = "张某" + std::to_string(n);
    e.id_number = IdNumber(n);
    e.id_type = "居民身份证";
  } else {
    e.name = "营口市某某贸易有限公司" + std::to_string(n);
    e.uscc = Uscc(n);
    if (n % 3 == 0) e.reg_no = RegNo(n);
    e.legal_rep = "李某某";
    e.legal_rep_id = IdNumber(n + 7);
  }
  e.conduct = "未按执行通知履行法律文书确定的义务，有履行能力而拒不履行生效法律文书确定义务";
  e.outcome = "纳入失信被执行人名单，限制高消费";
  e.department = "营口市中级人民法院";
  e.basis = "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条";
  e.decided_on = D(2024, 1, 1) + static_cast<Day>(n % 700);
  e.valid_from = e.decided_on;
  e.valid_until = n % 4 == 0 ? kForever : e.decided_on + 3 * 365;
  e.memoranda = (uint64_t{1} << (n % kMemoranda)) | 1;
  e.state = State::kInForce;
  e.in_force_on = e.valid_from + 7;
  return e;
}

std::vector<Entry> MakeBatch(const std::string& prefix, uint64_t first, uint64_t count) {
  std::vector<Entry> out;
  out.reserve(count);
  for (uint64_t n = first; n < first + count; ++n) out.push_back(MakeEntry(prefix, n));
  return out;
}

void ExpectSameEntry(const Entry& a, const Entry& b) {
  SCOPED_TRACE("entry " + a.entry_id);
  EXPECT_EQ(a.entry_id, b.entry_id);
  EXPECT_EQ(a.list, b.list);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.subject_type, b.subject_type);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.uscc, b.uscc) << FormatKey(a.uscc) << " vs " << FormatKey(b.uscc);
  EXPECT_EQ(a.reg_no, b.reg_no) << FormatKey(a.reg_no) << " vs " << FormatKey(b.reg_no);
  EXPECT_EQ(a.id_number, b.id_number) << FormatKey(a.id_number) << " vs " << FormatKey(b.id_number);
  EXPECT_EQ(a.id_type, b.id_type);
  EXPECT_EQ(a.legal_rep, b.legal_rep);
  EXPECT_EQ(a.legal_rep_id, b.legal_rep_id);
  EXPECT_EQ(a.conduct, b.conduct);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.department, b.department);
  EXPECT_EQ(a.basis, b.basis);
  EXPECT_EQ(a.decided_on, b.decided_on);
  EXPECT_EQ(a.valid_from, b.valid_from);
  EXPECT_EQ(a.valid_until, b.valid_until);
  EXPECT_EQ(a.memoranda, b.memoranda);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.exit_reason, b.exit_reason);
  EXPECT_EQ(a.in_force_on, b.in_force_on);
  EXPECT_EQ(a.exited_on, b.exited_on);
}

// --- Fixture -------------------------------------------------------------------------------------

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/credlist_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Store> Open() {
    auto store = OpenSqliteStore(dir_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::map<std::string, Entry> ReadAll(Store& store) {
    std::map<std::string, Entry> out;
    Status s = store.ForEachEntry([&](const Entry& e) {
      EXPECT_TRUE(out.emplace(e.entry_id, e).second) << "entry " << e.entry_id << " read twice";
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Runs SQL on the database file directly, as an operator with sqlite3 would.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/credlist.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  // The typed columns of the entry's row, as an operator reads them with sqlite3.
  void ExpectTypedColumns(const Entry& e) {
    SCOPED_TRACE("typed columns of " + e.entry_id);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/credlist.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db,
                  "SELECT list, category, subject_type, name, uscc, reg_no, id_type, id_number, "
                  "legal_rep, legal_rep_id_number, conduct, outcome, department, basis, "
                  "decided_on, valid_from, valid_until, memoranda, state, exit_reason, "
                  "in_force_on, exited_on FROM entries WHERE entry_id = ?",
                  -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, e.entry_id.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    // NULL reads as "(null)"; an absent value is expected as NULL.
    auto col = [&](int i) -> std::string {
      const auto* p = sqlite3_column_text(st, i);
      return p ? reinterpret_cast<const char*>(p) : "(null)";
    };
    auto opt = [](const std::string& v) { return v.empty() ? std::string("(null)") : v; };
    auto date = [&](Day d) { return opt(FormatDate(d)); };
    EXPECT_EQ(col(0), ListKindName(e.list));
    EXPECT_EQ(col(1), opt(e.category));
    EXPECT_EQ(col(2), SubjectTypeName(e.subject_type));
    EXPECT_EQ(col(3), e.name);
    EXPECT_EQ(col(4), opt(FormatKey(e.uscc)));
    EXPECT_EQ(col(5), opt(FormatKey(e.reg_no)));
    EXPECT_EQ(col(6), opt(e.id_type));
    EXPECT_EQ(col(7), opt(FormatKey(e.id_number)));
    EXPECT_EQ(col(8), opt(e.legal_rep));
    EXPECT_EQ(col(9), opt(FormatKey(e.legal_rep_id)));
    EXPECT_EQ(col(10), opt(e.conduct));
    EXPECT_EQ(col(11), opt(e.outcome));
    EXPECT_EQ(col(12), opt(e.department));
    EXPECT_EQ(col(13), opt(e.basis));
    EXPECT_EQ(col(14), date(e.decided_on));
    EXPECT_EQ(col(15), date(e.valid_from));
    EXPECT_EQ(col(16), date(e.valid_until));  // kForever: NULL
    EXPECT_EQ(sqlite3_column_int64(st, 17), static_cast<int64_t>(e.memoranda));
    EXPECT_EQ(col(18), StateName(e.state));
    EXPECT_EQ(col(19), opt(std::string(ExitReasonName(e.exit_reason))));
    EXPECT_EQ(col(20), date(e.in_force_on));
    EXPECT_EQ(col(21), date(e.exited_on));
    sqlite3_finalize(st);
    sqlite3_close(db);
  }

  std::string root_;
  std::string dir_;
};

// --- Round trips ---------------------------------------------------------------------------------

TEST_F(StoreTest, RoundTripsEveryField) {
  std::vector<Entry> in;
  Entry legal;  // every field set, memoranda bits 0 and 50
  legal.entry_id = "B-2108-0000001";
  legal.list = ListKind::kBlack;
  legal.category = "失信被执行人";
  legal.subject_type = SubjectType::kLegalPerson;
  legal.name = "营口某某贸易有限公司 \"引号\" 'quote'";
  legal.uscc = *ParseUscc("914403001922038216");
  legal.reg_no = RegNo(12345678);
  legal.id_type = "营业执照";
  legal.legal_rep = "张某";
  legal.legal_rep_id = *ParseIdNumber("11010519491231002X");
  legal.conduct = "拒不履行";
  legal.outcome = "限制高消费";
  legal.department = "市中级人民法院";
  legal.basis = "第一条\n第二款";
  legal.decided_on = D(2025, 3, 1);
  legal.valid_from = D(2025, 3, 2);
  legal.valid_until = D(2028, 3, 1);
  legal.memoranda = uint64_t{1} | uint64_t{1} << 50;
  legal.state = State::kExited;
  legal.exit_reason = ExitReason::kRepaired;
  legal.in_force_on = D(2025, 3, 12);
  legal.exited_on = D(2026, 1, 31);
  in.push_back(legal);

  Entry person;  // natural person, open-ended, no dates at all
  person.entry_id = "R-1";
  person.list = ListKind::kRed;
  person.subject_type = SubjectType::kNaturalPerson;
  person.name = "欧阳某某";
  person.id_number = *ParseIdNumber("11010519491231002X");
  person.id_type = "居民身份证";
  person.valid_until = kForever;
  person.state = State::kPublicity;
  in.push_back(person);

  Entry minimal;  // defaults and empty strings
  minimal.entry_id = "W-1";
  minimal.list = ListKind::kWatch;
  minimal.subject_type = SubjectType::kOtherOrg;
  minimal.uscc = *ParseUscc("91330100716105852F");
  in.push_back(minimal);

  // Every value of every enum, extreme dates and the full memoranda mask.
  for (int s = 0; s <= static_cast<int>(State::kExited); ++s) {
    for (int r = 0; r <= static_cast<int>(ExitReason::kLawSpecific); ++r) {
      Entry e = MakeEntry("enum", s * 10 + r);
      e.state = static_cast<State>(s);
      e.exit_reason = static_cast<ExitReason>(r);
      e.decided_on = D(1, 1, 1);
      e.exited_on = D(9999, 12, 31);
      e.memoranda = (uint64_t{1} << kMemoranda) - 1;
      in.push_back(e);
    }
  }

  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutEntries(in, false).ok());
    EXPECT_EQ(*store->CountEntries(), in.size());
  }
  auto store = Open();  // a fresh connection: nothing comes from a cache
  ASSERT_TRUE(store);
  auto out = ReadAll(*store);
  ASSERT_EQ(out.size(), in.size());
  for (const Entry& e : in) ExpectSameEntry(e, out.at(e.entry_id));
  for (const Entry& e : in) ExpectTypedColumns(e);
}

TEST_F(StoreTest, RowsAreReadableWithSqlite) {
  auto store = Open();
  ASSERT_TRUE(store);
  Entry e = MakeEntry("X", 1);
  e.uscc = *ParseUscc("9144030071526726XG");
  e.valid_until = kForever;
  e.memoranda = uint64_t{1} << 5;  // P06
  ASSERT_TRUE(store->PutEntries({e}, false).ok());

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/credlist.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT list, uscc, decided_on, valid_until IS NULL, memoranda, "
                               "state, exit_reason IS NULL, typeof(memoranda) FROM entries",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  auto text = [&](int i) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
  };
  EXPECT_EQ(text(0), "black");
  EXPECT_EQ(text(1), "9144030071526726XG");
  EXPECT_EQ(text(2), "2024-01-02");
  EXPECT_EQ(sqlite3_column_int(st, 3), 1);
  EXPECT_EQ(sqlite3_column_int64(st, 4), 32);
  EXPECT_EQ(text(5), "in_force");
  EXPECT_EQ(sqlite3_column_int(st, 6), 1);
  EXPECT_EQ(text(7), "integer");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(StoreTest, RefusesEntriesWithoutARowForm) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutEntries({MakeEntry("A", 1)}, false).ok());

  Entry wrong_key = MakeEntry("A", 2);
  wrong_key.uscc = IdNumber(3);  // an ID number in the uscc field would read back as a USCC
  Status s = store->PutEntries({MakeEntry("A", 3), wrong_key}, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "uscc");

  Entry no_end = MakeEntry("A", 4);
  no_end.valid_from = kForever;
  s = store->PutEntries({no_end}, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "valid_from");

  Entry far = MakeEntry("A", 5);
  far.decided_on = D(10000, 1, 1);
  s = store->PutEntries({far}, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);

  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), 1u);  // nothing of the refused batches, A-3 included
  EXPECT_TRUE(all.count("A-1"));
}

// --- Replacement ---------------------------------------------------------------------------------

TEST_F(StoreTest, ReplacesByEntryId) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutEntries(MakeBatch("A", 0, 3), false).ok());
  Entry changed = MakeEntry("A", 1);
  changed.state = State::kExited;
  changed.exit_reason = ExitReason::kObjectionUpheld;
  changed.exited_on = D(2026, 5, 1);
  changed.name = "改名后的公司";
  ASSERT_TRUE(store->PutEntries({changed}, false).ok());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), 3u);
  ExpectSameEntry(changed, all.at("A-1"));
  ExpectSameEntry(MakeEntry("A", 0), all.at("A-0"));
}

TEST_F(StoreTest, LastOfDuplicatesInABatchWins) {
  auto store = Open();
  ASSERT_TRUE(store);
  Entry first = MakeEntry("A", 1), second = MakeEntry("A", 1);
  second.name = "第二个";
  ASSERT_TRUE(store->PutEntries({first, second}, false).ok());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.at("A-1").name, "第二个");
}

TEST_F(StoreTest, ReplaceAllKeepsOnlyTheBatch) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutEntries(MakeBatch("A", 0, 100), false).ok());
  std::vector<Entry> batch = MakeBatch("A", 50, 10);  // 50..59 stay, the rest goes
  batch[0].name = "新名称";
  auto more = MakeBatch("B", 0, 5);
  batch.insert(batch.end(), more.begin(), more.end());
  ASSERT_TRUE(store->PutEntries(batch, true).ok());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), batch.size());
  for (const Entry& e : batch) ExpectSameEntry(e, all.at(e.entry_id));
  EXPECT_EQ(*store->CountEntries(), batch.size());

  ASSERT_TRUE(store->PutEntries({}, true).ok());  // an empty snapshot empties the store
  EXPECT_EQ(*store->CountEntries(), 0u);
}

TEST_F(StoreTest, ReplaceAllStartsTheTablesAfresh) {
  // After a replace_all the first new row may get the id the previous insert had.
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutEntries({MakeEntry("A", 1)}, false).ok());
  ASSERT_TRUE(store->PutEntries({MakeEntry("B", 1), MakeEntry("B", 2)}, true).ok());
  ASSERT_TRUE(store->PutEntries({MakeEntry("C", 1)}, true).ok());
  Entry changed = MakeEntry("C", 1);
  changed.name = "又改了";
  ASSERT_TRUE(store->PutEntries({changed, MakeEntry("C", 2)}, false).ok());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), 2u);
  ExpectSameEntry(changed, all.at("C-1"));
  ExpectSameEntry(MakeEntry("C", 2), all.at("C-2"));
  ExpectTypedColumns(changed);
}

TEST_F(StoreTest, ReloadingTheSameEntriesChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto batch = MakeBatch("A", 0, 50);
  ASSERT_TRUE(store->PutEntries(batch, false).ok());
  ASSERT_TRUE(store->PutEntries(batch, false).ok());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), batch.size());
  for (const Entry& e : batch) ExpectSameEntry(e, all.at(e.entry_id));
}

TEST_F(StoreTest, SurvivesVacuum) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutEntries(MakeBatch("A", 0, 100), false).ok());
    ASSERT_TRUE(store->PutEntries(MakeBatch("A", 0, 50), true).ok());  // leaves free pages
  }
  Sql("VACUUM");
  auto store = Open();
  ASSERT_TRUE(store);
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), 50u);
  for (const Entry& e : MakeBatch("A", 0, 50)) ExpectSameEntry(e, all.at(e.entry_id));
}

TEST_F(StoreTest, NoticesRowsDeletedByHand) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutEntries(MakeBatch("A", 0, 3), false).ok());
  }
  Sql("DELETE FROM entries WHERE entry_id = 'A-1'");
  auto store = Open();
  ASSERT_TRUE(store);
  Status s = store->ForEachEntry([](const Entry&) {});
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.reason().find("by hand"), std::string::npos) << s.reason();
}

// --- Atomicity -----------------------------------------------------------------------------------

TEST_F(StoreTest, FailingBatchLeavesEarlierContents) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto before = MakeBatch("A", 0, 20);
  ASSERT_TRUE(store->PutEntries(before, false).ok());

  // SQLite refuses the 501st row (CHECK entry_id <> ''): the 500 rows before it, the changed
  // A-3 among them, are rolled back.
  std::vector<Entry> bad = MakeBatch("B", 0, 500);
  Entry changed = MakeEntry("A", 3);
  changed.name = "不应出现";
  bad.push_back(changed);
  Entry empty_id = MakeEntry("B", 999);
  empty_id.entry_id = "";
  bad.push_back(empty_id);
  bad.push_back(MakeEntry("B", 1000));
  for (bool replace_all : {false, true}) {
    Status s = store->PutEntries(bad, replace_all);
    EXPECT_EQ(s.code(), StatusCode::kIoError);
    EXPECT_NE(s.reason().find("PutEntries"), std::string::npos) << s.reason();
    EXPECT_NE(s.reason().find("CHECK constraint failed"), std::string::npos) << s.reason();
    auto all = ReadAll(*store);
    ASSERT_EQ(all.size(), before.size()) << "replace_all " << replace_all;
    for (const Entry& e : before) ExpectSameEntry(e, all.at(e.entry_id));
  }
  // The store is usable after the failure.
  ASSERT_TRUE(store->PutEntries(MakeBatch("C", 0, 3), false).ok());
  EXPECT_EQ(*store->CountEntries(), before.size() + 3);
}

TEST_F(StoreTest, ReopenSeesCommittedData) {
  const auto batch = MakeBatch("A", 0, 1000);
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutEntries(batch, false).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->CountEntries(), batch.size());
  auto all = ReadAll(*store);
  ASSERT_EQ(all.size(), batch.size());
  for (const Entry& e : batch) ExpectSameEntry(e, all.at(e.entry_id));
}

TEST_F(StoreTest, CreatesTheDirectoryAndItsParents) {
  dir_ = root_ + "/a/b/c";
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(fs::exists(dir_ + "/credlist.db"));
}

TEST_F(StoreTest, SetsWalAndDurabilityPragmas) {
  auto store = Open();
  ASSERT_TRUE(store);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/credlist.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), kSqliteSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(StoreTest, FailsClearlyWhenTheDirectoryIsAFile) {
  std::FILE* f = std::fopen(dir_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().reason().find(dir_), std::string::npos) << store.status().reason();
}

// --- Schema versions -----------------------------------------------------------------------------

TEST_F(StoreTest, RefusesANewerSchema) {
  ASSERT_TRUE(Open());
  Sql("PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion + 1));
  auto store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().reason().find("newer"), std::string::npos) << store.status().reason();
  EXPECT_NE(store.status().reason().find("credlist.db"), std::string::npos);
}

TEST_F(StoreTest, RefusesAnotherSqliteDatabase) {
  fs::create_directories(dir_);
  Sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  auto store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().reason().find("not a credlist database"), std::string::npos)
      << store.status().reason();
}

TEST_F(StoreTest, RefusesAFileThatIsNotSqlite) {
  fs::create_directories(dir_);
  std::FILE* f = std::fopen((dir_ + "/credlist.db").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a database, just some text that is long enough to have a header......",
             f);
  std::fclose(f);
  auto store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().reason().find("credlist.db"), std::string::npos)
      << store.status().reason();
}

// --- Tokens --------------------------------------------------------------------------------------

TEST_F(StoreTest, AddsListsAndRevokesTokens) {
  auto store = Open();
  ASSERT_TRUE(store);
  TokenRecord a{"t1", std::string(64, 'a'), "admin", "", "2026-01-01T00:00:00Z", false};
  TokenRecord b{"t2", std::string(64, 'b'), "department", "市税务局", "", false};
  ASSERT_TRUE(store->AddToken(a).ok());
  ASSERT_TRUE(store->AddToken(b).ok());

  EXPECT_EQ(store->AddToken(a).code(), StatusCode::kConflict);  // same id
  TokenRecord same_hash = b;
  same_hash.token_id = "t3";
  EXPECT_EQ(store->AddToken(same_hash).code(), StatusCode::kConflict);
  TokenRecord bad_role{"t4", std::string(64, 'c'), "root", "", "", false};
  EXPECT_EQ(store->AddToken(bad_role).code(), StatusCode::kInvalidArgument);

  auto list = store->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].token_id, "t1");
  EXPECT_EQ((*list)[0].hash, a.hash);
  EXPECT_EQ((*list)[0].role, "admin");
  EXPECT_EQ((*list)[0].created_at, "2026-01-01T00:00:00Z");
  EXPECT_FALSE((*list)[0].revoked);
  EXPECT_EQ((*list)[1].department, "市税务局");
  EXPECT_EQ((*list)[1].created_at.size(), 20u) << (*list)[1].created_at;  // filled in: now

  ASSERT_TRUE(store->RevokeToken("t2").ok());
  ASSERT_TRUE(store->RevokeToken("t2").ok());  // revoking twice is harmless
  EXPECT_EQ(store->RevokeToken("nope").code(), StatusCode::kNotFound);

  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  list = store->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE((*list)[0].revoked);
  EXPECT_TRUE((*list)[1].revoked);
}

// --- Crash safety --------------------------------------------------------------------------------

// A child process writes batches and reports each acknowledged one on a pipe; the parent kills
// it with SIGKILL at a random moment. Every acknowledged batch must be there in full, and no
// batch may be there in part.
class CrashTest : public StoreTest, public ::testing::WithParamInterface<bool> {};

constexpr int kCrashBatches = 400;
constexpr int kCrashBatchSize = 1000;
constexpr int kCrashRounds = 4;

// Entry ids "r<round>b<batch>-<n>".
std::string CrashPrefix(int round, int batch) {
  return "r" + std::to_string(round) + "b" + std::to_string(batch);
}

TEST_P(CrashTest, KeepsEveryAcknowledgedBatchAndNoPartialOne) {
  const bool replace_all = GetParam();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);

  // The rounds share the data directory: each starts from what the crash before it left.
  for (int round = 0; round < kCrashRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::vector<Entry>> batches;
    for (int b = 0; b < kCrashBatches; ++b)
      batches.push_back(MakeBatch(CrashPrefix(round, b), 0, kCrashBatchSize));

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto store = OpenSqliteStore(dir_);
      if (!store.ok()) _exit(2);
      for (int b = 0; b < kCrashBatches; ++b) {
        if (!(*store)->PutEntries(batches[b], replace_all).ok()) _exit(3);
        const int acked = b + 1;
        if (write(fds[1], &acked, sizeof acked) != sizeof acked) _exit(4);
      }
      _exit(0);
    }
    close(fds[1]);
    const auto kill_after =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1000)(rng));
    const auto start = std::chrono::steady_clock::now();
    int acked = 0, value = 0;
    bool eof = false;
    while (!eof && std::chrono::steady_clock::now() - start < kill_after) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 1) > 0) {
        const ssize_t n = read(fds[0], &value, sizeof value);
        if (n == sizeof value) acked = value;
        if (n <= 0) eof = true;
      }
    }
    kill(pid, SIGKILL);
    // Acks written before the kill count too.
    while (read(fds[0], &value, sizeof value) == sizeof value) acked = value;
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "child failed with exit code " << WEXITSTATUS(status);
    std::printf("  %s round %d: killed after %lld ms, %d batches acknowledged\n",
                replace_all ? "replace_all" : "upsert", round,
                static_cast<long long>(kill_after.count()), acked);

    auto store = Open();
    ASSERT_TRUE(store);
    std::map<std::pair<int, int>, int> per_batch;  // (round, batch) -> entries present
    Status s = store->ForEachEntry([&](const Entry& e) {
      int r = -1, b = -1, i = -1;
      ASSERT_EQ(std::sscanf(e.entry_id.c_str(), "r%db%d-%d", &r, &b, &i), 3) << e.entry_id;
      ++per_batch[{r, b}];
      if (r == round && i == 7) ExpectSameEntry(batches[b][7], e);
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (auto [rb, count] : per_batch) {
      EXPECT_EQ(count, kCrashBatchSize)
          << "round " << rb.first << " batch " << rb.second << " is there in part";
    }
    if (replace_all) {
      // One batch: the last acknowledged, or the next one if it committed before the kill.
      ASSERT_LE(per_batch.size(), 1u);
      if (acked > 0) {
        ASSERT_EQ(per_batch.size(), 1u);
        const auto [r, b] = per_batch.begin()->first;
        EXPECT_EQ(r, round);
        EXPECT_TRUE(b == acked - 1 || b == acked) << "batch " << b << ", acked " << acked;
      }
    } else {
      for (int b = 0; b < acked; ++b) {
        EXPECT_TRUE(per_batch.count({round, b})) << "batch " << b << " lost";
      }
      for (auto [rb, count] : per_batch) {
        if (rb.first == round) {
          EXPECT_LE(rb.second, acked) << "batch " << rb.second;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CrashTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "ReplaceAll" : "Upsert"; });

// --- Rates (disabled by default) -----------------------------------------------------------------

TEST_F(StoreTest, DISABLED_WriteAndReadRate) {
  const char* env = std::getenv("CREDLIST_STORE_BENCH_ENTRIES");
  const uint64_t n = env ? std::stoull(env) : 1000000;
  if (const char* d = std::getenv("CREDLIST_STORE_BENCH_DIR")) dir_ = d;
  std::vector<Entry> entries = MakeBatch("E", 0, n);
  auto store = Open();
  ASSERT_TRUE(store);
  // Wall time and this process's CPU time (user + system): on a busy machine the second is the
  // steadier figure; the first includes waiting for fsync.
  struct Times {
    double wall, cpu;
  };
  auto now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return Times{
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
        ts.tv_sec + ts.tv_nsec * 1e-9};
  };
  auto report = [&](const char* what, Times start) {
    const Times end = now();
    const double wall = end.wall - start.wall, cpu = end.cpu - start.cpu;
    std::printf("%-32s %9llu entries  wall %7.2f s %9.0f/s  cpu %7.2f s %9.0f/s\n", what,
                static_cast<unsigned long long>(n), wall, n / wall, cpu, n / cpu);
  };

  auto t = now();
  ASSERT_TRUE(store->PutEntries(entries, false).ok());
  report("PutEntries into an empty store", t);
  t = now();
  ASSERT_TRUE(store->PutEntries(entries, false).ok());
  report("PutEntries over the same ids", t);
  t = now();
  ASSERT_TRUE(store->PutEntries(entries, true).ok());
  report("PutEntries replace_all", t);

  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  t = now();
  uint64_t seen = 0, bytes = 0;
  ASSERT_TRUE(store
                  ->ForEachEntry([&](const Entry& e) {
                    ++seen;
                    bytes += e.name.size();
                  })
                  .ok());
  report("ForEachEntry", t);
  EXPECT_EQ(seen, n);
  std::printf("database file: %.1f MB (%.0f bytes per entry)\n",
              fs::file_size(dir_ + "/credlist.db") / 1e6,
              static_cast<double>(fs::file_size(dir_ + "/credlist.db")) / n);
}

}  // namespace
}  // namespace credlist
