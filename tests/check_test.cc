// Checks (engine/check) and publishing (engine/catalog): when an entry counts, the status
// order, conflicts, both readings of a key, `related`, and readers racing a writer.
#include "engine/check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/catalog.h"
#include "tests/case_table.h"
#include "tests/engine_test_util.h"

namespace credlist {
namespace {

using testing::CaseRow;
using testing::D;
using testing::IdKey;
using testing::NthUscc;
using testing::ReadCases;
using testing::RegKey;
using testing::TestEntry;
using testing::UsccKey;

LookupKey Lookup(std::string_view text) {
  auto k = ParseLookupKey(text);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : LookupKey{};
}

std::vector<std::string> EntryIds(const Snapshot& snap, const std::vector<uint32_t>& v) {
  std::vector<std::string> out;
  for (uint32_t i : v) out.emplace_back(snap.str(snap.record(i).entry_id()));
  std::sort(out.begin(), out.end());
  return out;
}

Day DateCell(const std::string& cell, Day absent) { return cell == "-" ? absent : D(cell); }

TEST(CheckTable, CountsOn) {
  const std::vector<CaseRow> rows = ReadCases("counts_on.tsv");
  EXPECT_GE(rows.size(), 25u);
  for (const CaseRow& row : rows) {
    SCOPED_TRACE(row.Where());
    ASSERT_EQ(row.cells.size(), 7u);
    const auto state = ParseState(row[0]);
    ASSERT_TRUE(state.has_value()) << row[0];
    const Day in_force_on = DateCell(row[1], kNoDay);
    const Day exited_on = DateCell(row[2], kNoDay);
    const Day valid_from = DateCell(row[3], kNoDay);
    const Day valid_until = DateCell(row[4], kForever);
    const Day day = D(row[5]);
    ASSERT_TRUE(row[6] == "yes" || row[6] == "no");
    const bool want = row[6] == "yes";
    EXPECT_EQ(CountsOn(*state, in_force_on, exited_on, valid_from, valid_until, day), want);

    // The same through a snapshot and a check.
    Entry e = TestEntry("B-1", ListKind::kBlack);
    e.uscc = UsccKey("914403001922038216");
    e.state = *state;
    e.exit_reason = *state == State::kExited ? ExitReason::kRepaired : ExitReason::kNone;
    e.in_force_on = in_force_on;
    e.exited_on = exited_on;
    e.valid_from = valid_from;
    e.valid_until = valid_until;
    SnapshotBuilder b;
    b.Add(e);
    auto snap = b.Build(day);
    CheckResult r;
    Check(*snap, Lookup("914403001922038216"), day, &r);
    EXPECT_EQ(r.status, want ? ListStatus::kBlack : ListStatus::kClear);
    EXPECT_EQ(r.entries.size(), want ? 1u : 0u);
  }
}

// "red", "black/expired", ...: an entry of the subject 914403001922038216 as the
// table says (the n-th of the row).
Entry StatusEntry(const std::string& spec, int n) {
  const size_t slash = spec.find('/');
  const auto list = ParseListKind(spec.substr(0, slash));
  EXPECT_TRUE(list.has_value()) << spec;
  Entry e = TestEntry("E-" + std::to_string(n), list.value_or(ListKind::kRed));
  e.uscc = UsccKey("914403001922038216");
  const std::string how = slash == std::string::npos ? "" : spec.substr(slash + 1);
  if (how == "expired") {
    e.valid_until = D("2026-01-01");
  } else if (how == "exited") {
    e.state = State::kExited;
    e.exit_reason = ExitReason::kRepaired;
    e.exited_on = D("2026-02-01");
  } else if (how == "publicity") {
    e.state = State::kPublicity;
  } else {
    EXPECT_EQ(how, "") << spec;
  }
  return e;
}

TEST(CheckTable, Status) {
  const Day day = D("2026-11-24");
  for (const CaseRow& row : ReadCases("check_status.tsv")) {
    SCOPED_TRACE(row.Where() + " " + row[0]);
    SnapshotBuilder b;
    int counting = 0;
    if (row[0] != "-") {
      std::istringstream specs(row[0]);
      std::string spec;
      for (int n = 0; specs >> spec; ++n) {
        b.Add(StatusEntry(spec, n));
        counting += spec.find('/') == std::string::npos;
      }
    }
    auto snap = b.Build(day);
    CheckResult r;
    Check(*snap, Lookup("914403001922038216"), day, &r);
    EXPECT_EQ(ListStatusName(r.status), row[1]);
    EXPECT_EQ(r.conflict, row[2] == "yes");
    EXPECT_EQ(r.entries.size(), static_cast<size_t>(counting));
    EXPECT_EQ(snap->conflicts(), row[2] == "yes" ? 1u : 0u);
    EXPECT_EQ(r.key_type, KeyType::kUscc);
    EXPECT_EQ(FormatKey(r.key), "914403001922038216");
  }
}

TEST(Check, StatusNamesAndOrder) {
  EXPECT_EQ(ListStatusName(ListStatus::kClear), "clear");
  EXPECT_EQ(ListStatusName(ListStatus::kRed), "red");
  EXPECT_EQ(ListStatusName(ListStatus::kWatch), "watch");
  EXPECT_EQ(ListStatusName(ListStatus::kBlack), "black");
  EXPECT_LT(ListStatus::kClear, ListStatus::kRed);
  EXPECT_LT(ListStatus::kRed, ListStatus::kWatch);
  EXPECT_LT(ListStatus::kWatch, ListStatus::kBlack);
}

// An unknown subject is clear, with no entries, and keeps the key it was asked by.
TEST(Check, UnknownSubjectIsClear) {
  SnapshotBuilder b;
  Entry e = TestEntry("B-1", ListKind::kBlack);
  e.uscc = UsccKey("914403001922038216");
  b.Add(e);
  auto snap = b.Build(D("2026-01-01"));
  CheckResult r;
  Check(*snap, Lookup("9144030071526726XG"), D("2026-01-01"), &r);
  EXPECT_EQ(r.status, ListStatus::kClear);
  EXPECT_FALSE(r.conflict);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(r.related.empty());
  EXPECT_EQ(r.key_type, KeyType::kUscc);
  EXPECT_EQ(FormatKey(r.key), "9144030071526726XG");
}

// A result object is reused across checks: nothing of the last check remains.
TEST(Check, ReusedResultStartsClean) {
  SnapshotBuilder b;
  Entry red = TestEntry("R-1", ListKind::kRed);
  red.uscc = UsccKey("914403001922038216");
  Entry black = TestEntry("B-1", ListKind::kBlack);
  black.uscc = red.uscc;
  black.legal_rep_id = IdKey("11010519491231002X");
  b.Add(red);
  b.Add(black);
  auto snap = b.Build(D("2026-01-01"));
  CheckResult r;
  Check(*snap, Lookup("914403001922038216"), D("2026-01-01"), &r);
  ASSERT_EQ(r.status, ListStatus::kBlack);
  ASSERT_TRUE(r.conflict);
  Check(*snap, Lookup("11010519491231002X"), D("2026-01-01"), &r);
  EXPECT_EQ(r.status, ListStatus::kClear);  // related entries do not set the status
  EXPECT_FALSE(r.conflict);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(EntryIds(*snap, r.related), std::vector<std::string>{"B-1"});
  EXPECT_EQ(r.key_type, KeyType::kIdNumber);
  Check(*snap, Lookup("91330100716105852F"), D("2026-01-01"), &r);
  EXPECT_EQ(r.status, ListStatus::kClear);
  EXPECT_TRUE(r.related.empty());
  EXPECT_EQ(r.key_type, KeyType::kUscc);
}

// A person's check lists, as `related`, the entries where the person is the legal
// representative and that count on the day.
TEST(Check, RelatedEntriesCountOnTheDayToo) {
  const Key person = IdKey("11010519491231002X");
  SnapshotBuilder b;
  Entry own = TestEntry("W-own", ListKind::kWatch);
  own.subject_type = SubjectType::kNaturalPerson;
  own.id_number = person;
  Entry company = TestEntry("B-company", ListKind::kBlack);
  company.uscc = UsccKey("914403001922038216");
  company.legal_rep_id = person;
  Entry old_company = TestEntry("B-old", ListKind::kBlack);
  old_company.uscc = UsccKey("9144030071526726XG");
  old_company.legal_rep_id = person;
  old_company.valid_until = D("2026-01-01");
  for (const Entry& e : {own, company, old_company}) b.Add(e);
  auto snap = b.Build(D("2026-11-24"));

  CheckResult r;
  Check(*snap, Lookup("110105491231002"), D("2026-11-24"), &r);  // the old 15-digit form
  EXPECT_EQ(r.status, ListStatus::kWatch);
  EXPECT_EQ(EntryIds(*snap, r.entries), std::vector<std::string>{"W-own"});
  EXPECT_EQ(EntryIds(*snap, r.related), std::vector<std::string>{"B-company"});
  EXPECT_EQ(r.key_type, KeyType::kIdNumber);

  Check(*snap, Lookup("11010519491231002X"), D("2025-06-01"), &r);
  EXPECT_EQ(EntryIds(*snap, r.related), (std::vector<std::string>{"B-company", "B-old"}));
}

// 110105491231002 reads as the old ID number 11010519491231002X and as a 工商注册号: the check
// looks both up and reports the entries of both; key_type is the first reading with entries.
TEST(Check, BothReadingsOfAFifteenDigitKey) {
  const LookupKey both = Lookup("110105491231002");
  ASSERT_EQ(both.count, 2);
  const Day day = D("2026-11-24");

  SnapshotBuilder company_only;
  Entry company = TestEntry("R-company", ListKind::kRed);
  company.reg_no = RegKey("110105491231002");
  company_only.Add(company);
  auto s1 = company_only.Build(day);
  CheckResult r;
  Check(*s1, both, day, &r);
  EXPECT_EQ(r.status, ListStatus::kRed);
  EXPECT_EQ(r.key_type, KeyType::kRegNo);
  EXPECT_EQ(FormatKey(r.key), "110105491231002");

  SnapshotBuilder both_listed;
  both_listed.Add(company);
  Entry person = TestEntry("B-person", ListKind::kBlack);
  person.subject_type = SubjectType::kNaturalPerson;
  person.id_number = IdKey("11010519491231002X");
  both_listed.Add(person);
  auto s2 = both_listed.Build(day);
  Check(*s2, both, day, &r);
  EXPECT_EQ(r.status, ListStatus::kBlack);
  EXPECT_EQ(r.key_type, KeyType::kIdNumber);
  EXPECT_EQ(FormatKey(r.key), "11010519491231002X");
  EXPECT_EQ(EntryIds(*s2, r.entries), (std::vector<std::string>{"B-person", "R-company"}));

  SnapshotBuilder none;
  auto s3 = none.Build(day);
  Check(*s3, both, day, &r);
  EXPECT_EQ(r.status, ListStatus::kClear);
  EXPECT_EQ(r.key_type, KeyType::kIdNumber);  // the first reading when nothing is found
}

// An 18-digit key that is both a valid USCC and a valid ID number finds the company by its
// USCC (it used to be read as an ID number only: a silent miss).
TEST(Check, BothReadingsOfAnEighteenCharacterKey) {
  const Day day = D("2026-11-24");
  SnapshotBuilder b;
  Entry company = TestEntry("B-yanqing", ListKind::kBlack);
  company.uscc = UsccKey("911101199001012379");
  b.Add(company);
  auto snap = b.Build(day);
  CheckResult r;
  Check(*snap, Lookup("911101199001012379"), day, &r);
  EXPECT_EQ(r.status, ListStatus::kBlack);
  EXPECT_EQ(r.key_type, KeyType::kUscc);
  EXPECT_EQ(EntryIds(*snap, r.entries), std::vector<std::string>{"B-yanqing"});
}

// CheckHits on hits found by FindBatch gives what Check gives.
TEST(Check, CheckHitsEqualsCheck) {
  SnapshotBuilder b;
  for (int i = 0; i < 300; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), static_cast<ListKind>(i % 3));
    e.uscc = UsccKey(NthUscc(i / 2));
    if (i % 4 == 0) e.valid_until = D("2026-01-01");
    b.Add(e);
  }
  const Day day = D("2026-11-24");
  auto snap = b.Build(day);
  std::vector<LookupKey> lookups;
  std::vector<Key> keys;
  for (int i = 0; i < 200; ++i) {
    lookups.push_back(Lookup(NthUscc(i)));
    keys.push_back(lookups.back().keys[0]);
  }
  std::vector<Hits> hits(keys.size());
  snap->FindBatch(keys.data(), keys.size(), hits.data());
  CheckResult a, b2;
  int listed = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    Check(*snap, lookups[i], day, &a);
    CheckHits(*snap, &hits[i], lookups[i], day, &b2);
    EXPECT_EQ(a.status, b2.status) << i;
    EXPECT_EQ(a.conflict, b2.conflict) << i;
    EXPECT_EQ(a.entries, b2.entries) << i;
    EXPECT_EQ(a.key, b2.key) << i;
    listed += a.status != ListStatus::kClear;
  }
  EXPECT_GT(listed, 100);
  EXPECT_LT(listed, 200);
}

TEST(Catalog, StartsEmptyAndPublishes) {
  Catalog catalog;
  EXPECT_EQ(catalog.generation(), 0u);
  ASSERT_NE(catalog.Current(), nullptr);
  EXPECT_EQ(catalog.Current()->size(), 0u);

  SnapshotHandle handle(catalog);
  const Snapshot& empty = handle.Get();
  EXPECT_EQ(empty.size(), 0u);

  SnapshotBuilder b;
  Entry e = TestEntry("B-1", ListKind::kBlack);
  e.uscc = UsccKey("914403001922038216");
  b.Add(e);
  auto one = b.Build(Today());
  catalog.Publish(one);
  EXPECT_EQ(catalog.generation(), 1u);
  EXPECT_EQ(catalog.Current(), one);
  EXPECT_EQ(empty.size(), 0u);  // the handle still holds what it gave out
  const Snapshot& now = handle.Get();
  EXPECT_EQ(&now, one.get());
  EXPECT_EQ(now.size(), 1u);
  EXPECT_EQ(&handle.Get(), one.get());  // no publish: the same snapshot

  SnapshotHandle other(catalog);  // a new handle sees the current one at once
  EXPECT_EQ(&other.Get(), one.get());
  catalog.Publish(SnapshotBuilder().Build(Today()));
  EXPECT_EQ(catalog.generation(), 2u);
  EXPECT_EQ(handle.Get().size(), 0u);
  EXPECT_EQ(other.Get().size(), 0u);
}

// Readers on their own SnapshotHandles while a writer publishes snapshot after snapshot: every
// read sees one whole generation (its size, its entries, its index and its bitmaps agree) and
// generations never go backwards for a reader. Also runs under ASan/UBSan in CI.
TEST(Catalog, ReadersSeeWholeSnapshotsWhileWriterPublishes) {
  constexpr int kGenerations = 150;
  constexpr int kReaders = 4;
  const Key shared = UsccKey("914403001922038216");
  auto size_of = [](int g) { return 20 + (g * 37) % 200; };
  auto build = [&](int g) {
    SnapshotBuilder b;
    const std::string tag = "gen-" + std::to_string(g);
    for (int i = 0; i < size_of(g); ++i) {
      Entry e = TestEntry(tag + "-" + std::to_string(i), i % 2 ? ListKind::kRed : ListKind::kBlack);
      e.category = tag;
      e.uscc = i == 0 ? shared : UsccKey(NthUscc(i));
      b.Add(e);
    }
    return b.Build(D("2026-01-01"));
  };
  Catalog catalog;
  catalog.Publish(build(0));

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<long> reads(kReaders, 0);
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      SnapshotHandle handle(catalog);
      int last = -1;
      auto check_one = [&] {
        const Snapshot& s = handle.Get();
        const std::string tag(s.str(s.profile(s.record(0)).category));
        const int g = std::stoi(tag.substr(4));
        bool ok = g >= last && s.size() == static_cast<size_t>(size_of(g));
        for (uint32_t i = 0; ok && i < s.size(); i += 7)
          ok = s.str(s.profile(s.record(i)).category) == tag &&
               s.FindEntry(tag + "-" + std::to_string(i)) == static_cast<int64_t>(i);
        const Hits h = s.Find(shared);
        ok = ok && h.subject.size() == 1 && h.subject[0] == 0;
        ok = ok && s.list_bitmap(ListKind::kRed).cardinality() +
                           s.list_bitmap(ListKind::kBlack).cardinality() ==
                       s.size();
        if (!ok) failures.fetch_add(1);
        last = g;
        ++reads[t];
        return g;
      };
      while (!done.load(std::memory_order_acquire)) check_one();
      if (check_one() != kGenerations) failures.fetch_add(1);  // sees the last one at the end
    });
  }
  for (int g = 1; g <= kGenerations; ++g) catalog.Publish(build(g));
  done.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(catalog.generation(), static_cast<uint64_t>(kGenerations + 1));
  for (long n : reads) EXPECT_GT(n, 0);
}

}  // namespace
}  // namespace credlist
