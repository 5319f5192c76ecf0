// The index (engine/snapshot): the string arena, building, lookups by every identifier,
// `related`, replacing by entry_id, bitmaps, batch lookups and the conflict count.
#include "engine/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/engine_test_util.h"

namespace credlist {
namespace {

using testing::D;
using testing::IdKey;
using testing::NthIdNumber;
using testing::NthRegNo;
using testing::NthUscc;
using testing::RegKey;
using testing::TestEntry;
using testing::UsccKey;

std::vector<uint32_t> Sorted(std::span<const uint32_t> s) {
  std::vector<uint32_t> v(s.begin(), s.end());
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<uint32_t> Ids(std::initializer_list<int64_t> v) {
  std::vector<uint32_t> out;
  for (int64_t i : v) out.push_back(static_cast<uint32_t>(i));
  std::sort(out.begin(), out.end());
  return out;
}

// Whether `key` is one of the record's own identifiers.
bool HasKey(const EntryRecord& r, const Key& key) {
  switch (key.type()) {
    case KeyType::kUscc:
      return r.uscc() == key;
    case KeyType::kRegNo:
      return r.reg_no() == key;
    case KeyType::kIdNumber:
      return r.id_number() == key;
    case KeyType::kNone:
      break;
  }
  return false;
}

std::vector<uint32_t> BitmapValues(const Roaring& r) {
  std::vector<uint32_t> v;
  for (uint32_t x : r) v.push_back(x);
  return v;
}

// Varint lengths change at 128 and 16384 bytes; offset 0 is the empty string.
TEST(StringArena, RoundTripAcrossVarintBoundaries) {
  StringArena arena;
  EXPECT_EQ(arena.Add(""), 0u);
  EXPECT_EQ(arena.Get(0), "");
  std::vector<std::string> strings;
  for (size_t n : {1, 2, 127, 128, 129, 255, 256, 16383, 16384, 16385, 20000}) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + (i * 7 + n) % 26));
    strings.push_back(s);
  }
  strings.push_back(std::string("\0\x80\xff", 3));  // any bytes, NUL included
  strings.push_back("营口市中级人民法院");
  std::vector<uint32_t> offsets;
  for (const std::string& s : strings) offsets.push_back(arena.Add(s));
  for (size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE(strings[i].size());
    EXPECT_GT(offsets[i], 0u);
    if (i > 0) {
      EXPECT_GT(offsets[i], offsets[i - 1]);
    }
    const std::string_view got = arena.Get(offsets[i]);
    EXPECT_EQ(got.size(), strings[i].size());
    EXPECT_EQ(got, strings[i]);
  }
  // 1 byte of length up to 127, 2 up to 16383, 3 beyond.
  EXPECT_EQ(offsets[3] - offsets[2], 1u + 127u);
  EXPECT_EQ(offsets[4] - offsets[3], 2u + 128u);
  EXPECT_EQ(offsets[8] - offsets[7], 2u + 16383u);
  EXPECT_EQ(offsets[9] - offsets[8], 3u + 16384u);
  arena.ShrinkToFit();
  for (size_t i = 0; i < strings.size(); ++i) EXPECT_EQ(arena.Get(offsets[i]), strings[i]);
}

TEST(Snapshot, EmptySnapshot) {
  auto snap = SnapshotBuilder().Build(D("2026-01-01"));
  EXPECT_EQ(snap->size(), 0u);
  const Hits h = snap->Find(UsccKey("914403001922038216"));
  EXPECT_TRUE(h.subject.empty());
  EXPECT_TRUE(h.related.empty());
  EXPECT_EQ(snap->FindEntry("B-1"), -1);
  EXPECT_EQ(snap->conflicts(), 0u);
  for (ListKind k : {ListKind::kRed, ListKind::kBlack, ListKind::kWatch})
    EXPECT_EQ(snap->list_bitmap(k).cardinality(), 0u);
}

// A 个体工商户 has a USCC, a 工商注册号 and its operator's ID number: each reaches the same
// entries, and only those.
TEST(Snapshot, EveryIdentifierReachesTheSameEntries) {
  const Key uscc = UsccKey("92210802MA0QD1E2XG");
  SnapshotBuilder b;
  Entry other = TestEntry("B-other", ListKind::kBlack);
  other.uscc = UsccKey("914403001922038216");
  b.Add(other);
  for (const char* id : {"B-1", "R-1"}) {
    Entry e = TestEntry(id, id[0] == 'B' ? ListKind::kBlack : ListKind::kRed);
    e.uscc = uscc;
    e.reg_no = RegKey("210802100000123");
    e.id_number = IdKey("210802199001011235");
    b.Add(e);
  }
  Entry reg_only = TestEntry("W-1", ListKind::kWatch);
  reg_only.reg_no = RegKey("210800000000008");
  b.Add(reg_only);
  auto snap = b.Build(D("2026-01-01"));
  ASSERT_EQ(snap->size(), 4u);

  const std::vector<uint32_t> want = Ids({snap->FindEntry("B-1"), snap->FindEntry("R-1")});
  for (const Key& k :
       {uscc, RegKey("210802100000123"), IdKey("210802199001011235"), IdKey("210802900101123")}) {
    SCOPED_TRACE(FormatKey(k));
    const Hits h = snap->Find(k);
    EXPECT_EQ(Sorted(h.subject), want);
    EXPECT_TRUE(h.related.empty());
  }
  EXPECT_EQ(Sorted(snap->Find(RegKey("210800000000008")).subject), Ids({snap->FindEntry("W-1")}));
  EXPECT_EQ(Sorted(snap->Find(UsccKey("914403001922038216")).subject),
            Ids({snap->FindEntry("B-other")}));
  EXPECT_TRUE(snap->Find(UsccKey("9144030071526726XG")).subject.empty());
  EXPECT_TRUE(snap->Find(RegKey("110108000000016")).subject.empty());
}

// A person's ID number finds the entries where the person is the legal representative, as
// `related`; an entry where the subject represents itself is not repeated there.
TEST(Snapshot, RelatedByLegalRepresentative) {
  const Key person = IdKey("11010519491231002X");
  SnapshotBuilder b;
  Entry company = TestEntry("B-company", ListKind::kBlack);
  company.uscc = UsccKey("914403001922038216");
  company.legal_rep = "张三";
  company.legal_rep_id = person;
  Entry company2 = TestEntry("R-company2", ListKind::kRed);
  company2.uscc = UsccKey("9144030071526726XG");
  company2.legal_rep_id = person;
  Entry self = TestEntry("B-self", ListKind::kBlack);
  self.subject_type = SubjectType::kNaturalPerson;
  self.id_number = person;
  self.legal_rep_id = person;
  Entry own = TestEntry("W-own", ListKind::kWatch);
  own.subject_type = SubjectType::kNaturalPerson;
  own.id_number = person;
  for (const Entry& e : {company, company2, self, own}) b.Add(e);
  auto snap = b.Build(D("2026-01-01"));

  const Hits h = snap->Find(person);
  EXPECT_EQ(Sorted(h.subject), Ids({snap->FindEntry("B-self"), snap->FindEntry("W-own")}));
  EXPECT_EQ(Sorted(h.related), Ids({snap->FindEntry("B-company"), snap->FindEntry("R-company2")}));
  // The company's own key has no related entries.
  const Hits c = snap->Find(company.uscc);
  EXPECT_EQ(Sorted(c.subject), Ids({snap->FindEntry("B-company")}));
  EXPECT_TRUE(c.related.empty());
  // A representative with no entries of their own.
  SnapshotBuilder b2;
  b2.Add(company);
  auto snap2 = b2.Build(D("2026-01-01"));
  EXPECT_TRUE(snap2->Find(person).subject.empty());
  EXPECT_EQ(Sorted(snap2->Find(person).related), Ids({0}));
}

// API.md: loading a known entry_id replaces the entry; the size does not change and the old
// identifiers no longer find it.
TEST(Snapshot, SecondAddWithSameEntryIdWins) {
  SnapshotBuilder b;
  Entry first = TestEntry("B-1", ListKind::kBlack);
  first.uscc = UsccKey("914403001922038216");
  first.name = "旧名称";
  Entry keep = TestEntry("B-2", ListKind::kBlack);
  keep.uscc = UsccKey("91330100716105852F");
  Entry second = TestEntry("B-1", ListKind::kRed);
  second.uscc = UsccKey("9144030071526726XG");
  second.name = "新名称";
  b.Add(first);
  b.Add(keep);
  EXPECT_EQ(b.size(), 2u);
  b.Add(second);
  EXPECT_EQ(b.size(), 2u);
  auto snap = b.Build(D("2026-01-01"));
  ASSERT_EQ(snap->size(), 2u);
  const int64_t i = snap->FindEntry("B-1");
  ASSERT_GE(i, 0);
  EXPECT_EQ(snap->str(snap->record(i).name()), "新名称");
  EXPECT_EQ(snap->record(i).list(), ListKind::kRed);
  EXPECT_TRUE(snap->Find(first.uscc).subject.empty());
  EXPECT_EQ(Sorted(snap->Find(second.uscc).subject), Ids({i}));
  EXPECT_EQ(Sorted(snap->Find(keep.uscc).subject), Ids({snap->FindEntry("B-2")}));
  EXPECT_EQ(snap->list_bitmap(ListKind::kRed).cardinality(), 1u);
  EXPECT_EQ(snap->list_bitmap(ListKind::kBlack).cardinality(), 1u);
}

TEST(Snapshot, FindEntryByEntryId) {
  SnapshotBuilder b;
  for (int i = 0; i < 1000; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    b.Add(e);
  }
  auto snap = b.Build(D("2026-01-01"));
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "E-" + std::to_string(i);
    const int64_t at = snap->FindEntry(id);
    ASSERT_GE(at, 0) << id;
    EXPECT_EQ(snap->str(snap->record(at).entry_id()), id);
    EXPECT_EQ(snap->record(at).uscc(), UsccKey(NthUscc(i)));
  }
  EXPECT_EQ(snap->FindEntry("E-1000"), -1);
  EXPECT_EQ(snap->FindEntry(""), -1);
  EXPECT_EQ(snap->FindEntry("e-1"), -1);
}

// Every field of an Entry survives the compact record.
TEST(Snapshot, ToEntryKeepsEveryField) {
  Entry e = TestEntry("B-2108-0000001", ListKind::kWatch);
  e.category = "重点关注";
  e.subject_type = SubjectType::kOtherOrg;
  e.name = "营口某某协会";
  e.uscc = UsccKey("51210800MA0QD1E2XT");
  e.reg_no = RegKey("210802100000123");
  e.id_number = IdKey("11010519491231002X");
  e.id_type = "居民身份证";
  e.legal_rep = "李四";
  e.legal_rep_id = IdKey("210802199001011235");
  e.conduct = "违法行为";
  e.outcome = "罚款";
  e.department = "营口市市场监督管理局";
  e.basis = "依据";
  e.decided_on = D("2025-02-20");
  e.valid_from = D("2025-03-01");
  e.valid_until = D("2027-03-01");
  e.memoranda = (uint64_t{1} << 50) | 1;
  e.state = State::kExited;
  e.exit_reason = ExitReason::kRepaired;
  e.in_force_on = D("2025-03-02");
  e.exited_on = D("2026-01-01");
  SnapshotBuilder b;
  b.Add(e);
  auto snap = b.Build(D("2026-01-01"));
  const Entry got = snap->ToEntry(0);
  EXPECT_EQ(got.entry_id, e.entry_id);
  EXPECT_EQ(got.list, e.list);
  EXPECT_EQ(got.category, e.category);
  EXPECT_EQ(got.subject_type, e.subject_type);
  EXPECT_EQ(got.name, e.name);
  EXPECT_EQ(got.uscc, e.uscc);
  EXPECT_EQ(got.reg_no, e.reg_no);
  EXPECT_EQ(got.id_number, e.id_number);
  EXPECT_EQ(got.id_type, e.id_type);
  EXPECT_EQ(got.legal_rep, e.legal_rep);
  EXPECT_EQ(got.legal_rep_id, e.legal_rep_id);
  EXPECT_EQ(got.conduct, e.conduct);
  EXPECT_EQ(got.outcome, e.outcome);
  EXPECT_EQ(got.department, e.department);
  EXPECT_EQ(got.basis, e.basis);
  EXPECT_EQ(got.decided_on, e.decided_on);
  EXPECT_EQ(got.valid_from, e.valid_from);
  EXPECT_EQ(got.valid_until, e.valid_until);
  EXPECT_EQ(got.memoranda, e.memoranda);
  EXPECT_EQ(got.state, e.state);
  EXPECT_EQ(got.exit_reason, e.exit_reason);
  EXPECT_EQ(got.in_force_on, e.in_force_on);
  EXPECT_EQ(got.exited_on, e.exited_on);

  // Absent identifiers stay absent.
  SnapshotBuilder b2;
  Entry bare = TestEntry("B-bare", ListKind::kBlack);
  bare.reg_no = RegKey("110108000000016");
  b2.Add(bare);
  const Entry got2 = b2.Build(D("2026-01-01"))->ToEntry(0);
  EXPECT_TRUE(got2.uscc.empty());
  EXPECT_TRUE(got2.id_number.empty());
  EXPECT_TRUE(got2.legal_rep_id.empty());
  EXPECT_EQ(got2.reg_no, bare.reg_no);
  EXPECT_EQ(got2.valid_until, kForever);
}

// Equal texts are stored once; each record still reads its own.
TEST(Snapshot, SharedStringsReadBack) {
  SnapshotBuilder b;
  for (int i = 0; i < 100; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    e.department = i % 2 ? "营口市税务局" : "营口市中级人民法院";
    e.name = "公司" + std::to_string(i);
    b.Add(e);
  }
  auto snap = b.Build(D("2026-01-01"));
  for (uint32_t i = 0; i < 100; ++i) {
    const EntryRecord& r = snap->record(i);
    EXPECT_EQ(snap->str(snap->profile(r).department),
              i % 2 ? "营口市税务局" : "营口市中级人民法院");
    EXPECT_EQ(snap->str(r.name()), "公司" + std::to_string(i));
    EXPECT_EQ(snap->profile(r).department, snap->profile(snap->record(i % 2)).department);
  }
}

TEST(Snapshot, ListBitmaps) {
  SnapshotBuilder b;
  std::vector<uint32_t> want[kListKinds];
  for (int i = 0; i < 3000; ++i) {
    const auto list = static_cast<ListKind>((i * 7 + i / 13) % 3);
    Entry e = TestEntry("E-" + std::to_string(i), list);
    e.uscc = UsccKey(NthUscc(i));
    if (i % 5 == 0) e.state = State::kRejected;  // every entry is in its list's bitmap
    b.Add(e);
    want[static_cast<int>(list)].push_back(static_cast<uint32_t>(i));
  }
  auto snap = b.Build(D("2026-01-01"));
  uint64_t total = 0;
  for (int l = 0; l < kListKinds; ++l) {
    const Roaring& r = snap->list_bitmap(static_cast<ListKind>(l));
    EXPECT_EQ(r.cardinality(), want[l].size());
    EXPECT_EQ(BitmapValues(r), want[l]);
    total += r.cardinality();
  }
  EXPECT_EQ(total, snap->size());
  const Roaring both = snap->list_bitmap(ListKind::kRed) & snap->list_bitmap(ListKind::kBlack);
  EXPECT_EQ(both.cardinality(), 0u);
}

// FindBatch gives exactly what Find gives, key by key, for hits and misses of every type.
TEST(Snapshot, FindBatchEqualsFind) {
  SnapshotBuilder b;
  for (int i = 0; i < 6000; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), static_cast<ListKind>(i % 3));
    if (i % 3 == 0) e.uscc = UsccKey(NthUscc(i / 6));  // two entries a subject
    if (i % 3 == 1) e.reg_no = RegKey(NthRegNo(i));
    if (i % 3 == 2) e.id_number = IdKey(NthIdNumber(i));
    if (i % 7 == 0) e.legal_rep_id = IdKey(NthIdNumber(i + 1));
    b.Add(e);
  }
  auto snap = b.Build(D("2026-01-01"));
  // Half the keys are an entry's own identifier (or its legal representative's), half miss.
  std::mt19937 rng(7);
  std::vector<Key> keys;
  for (int k = 0; k < 10000; ++k) {
    const int i = static_cast<int>(rng() % 6000);
    const int n = rng() % 2 ? i : 100000 + i;
    switch (i % 3) {
      case 0:
        keys.push_back(UsccKey(NthUscc(n == i ? i / 6 : n)));
        break;
      case 1:
        keys.push_back(RegKey(NthRegNo(n)));
        break;
      default:
        keys.push_back(IdKey(NthIdNumber(n)));  // some are also a legal representative
    }
  }
  // The key map's layout is the one FindBatch prefetches by (boost 1.81); when it is not,
  // FindBatch still answers right, only slower: this says so.
  EXPECT_TRUE(snap->Memory().batch_hints);
  std::vector<Hits> batch(keys.size());
  snap->FindBatch(keys.data(), keys.size(), batch.data());
  size_t hits = 0, misses = 0, related = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Hits one = snap->Find(keys[i]);
    ASSERT_EQ(Sorted(batch[i].subject), Sorted(one.subject)) << i;
    ASSERT_EQ(Sorted(batch[i].related), Sorted(one.related)) << i;
    (one.subject.empty() && one.related.empty() ? misses : hits)++;
    related += !one.related.empty();
    for (uint32_t e : one.subject) EXPECT_TRUE(HasKey(snap->record(e), keys[i])) << i;
    for (uint32_t e : one.related) EXPECT_EQ(snap->record(e).legal_rep_id(), keys[i]) << i;
  }
  EXPECT_GT(hits, 4000u);
  EXPECT_GT(misses, 4000u);
  EXPECT_GT(related, 0u);
}

// A builder started from a snapshot keeps its entries; the base does not change.
TEST(Snapshot, BuilderFromBaseKeepsEntries) {
  SnapshotBuilder b;
  for (int i = 0; i < 50; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    e.legal_rep_id = IdKey(NthIdNumber(i));
    b.Add(e);
  }
  auto base = b.Build(D("2026-01-01"));

  SnapshotBuilder next(*base);
  EXPECT_EQ(next.size(), 50u);
  Entry changed = TestEntry("E-7", ListKind::kRed);
  changed.uscc = UsccKey(NthUscc(1007));
  next.Add(changed);
  Entry added = TestEntry("E-new", ListKind::kWatch);
  added.reg_no = RegKey(NthRegNo(1));
  next.Add(added);
  auto snap = next.Build(D("2026-01-01"));

  ASSERT_EQ(snap->size(), 51u);
  EXPECT_GT(snap->version(), base->version());
  for (int i = 0; i < 50; ++i) {
    if (i == 7) continue;
    const Hits h = snap->Find(UsccKey(NthUscc(i)));
    ASSERT_EQ(h.subject.size(), 1u) << i;
    EXPECT_EQ(snap->str(snap->record(h.subject[0]).entry_id()), "E-" + std::to_string(i));
    EXPECT_EQ(Sorted(snap->Find(IdKey(NthIdNumber(i))).related), Sorted(h.subject));
  }
  EXPECT_TRUE(snap->Find(UsccKey(NthUscc(7))).subject.empty());
  EXPECT_EQ(snap->Find(UsccKey(NthUscc(1007))).subject.size(), 1u);
  EXPECT_TRUE(snap->Find(IdKey(NthIdNumber(7))).related.empty());  // E-7 lost its legal rep
  EXPECT_EQ(snap->Find(RegKey(NthRegNo(1))).subject.size(), 1u);
  EXPECT_EQ(snap->list_bitmap(ListKind::kBlack).cardinality(), 49u);
  EXPECT_EQ(snap->list_bitmap(ListKind::kRed).cardinality(), 1u);
  EXPECT_EQ(snap->list_bitmap(ListKind::kWatch).cardinality(), 1u);

  // The base is as it was.
  ASSERT_EQ(base->size(), 50u);
  EXPECT_EQ(base->Find(UsccKey(NthUscc(7))).subject.size(), 1u);
  EXPECT_EQ(base->FindEntry("E-new"), -1);
  EXPECT_EQ(base->list_bitmap(ListKind::kBlack).cardinality(), 50u);
}

TEST(Snapshot, VersionsIncreaseAndMemoryGrows) {
  SnapshotBuilder small;
  auto a = small.Build(D("2026-01-01"));
  SnapshotBuilder big;
  for (int i = 0; i < 1000; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    big.Add(e);
  }
  auto c = big.Build(D("2026-01-01"));
  EXPECT_GT(c->version(), a->version());
  EXPECT_GT(c->MemoryBytes(), a->MemoryBytes());
  EXPECT_GE(c->MemoryBytes(), 1000 * sizeof(EntryRecord));
}

// Every shape of postings a key can have (snapshot_internal::RunShape: one posting kept in the
// map, the common shapes, and the counted ones) reads back exactly, by Find and by FindBatch.
TEST(Snapshot, EveryRunShapeReadsBack) {
  SnapshotBuilder b;
  int next = 0;
  struct Want {
    Key key;
    std::vector<std::string> subject, related;
  };
  std::vector<Want> wants;
  for (int subject = 0; subject <= 7; ++subject) {
    for (int related = 0; related <= 7; ++related) {
      if (subject + related == 0) continue;
      const int person = static_cast<int>(wants.size());
      Want w{IdKey(NthIdNumber(person)), {}, {}};
      for (int k = 0; k < subject; ++k) {
        Entry e = TestEntry("S-" + std::to_string(next++), ListKind::kBlack);
        e.subject_type = SubjectType::kNaturalPerson;
        e.id_number = w.key;
        w.subject.push_back(e.entry_id);
        b.Add(e);
      }
      for (int k = 0; k < related; ++k) {
        Entry e = TestEntry("L-" + std::to_string(next), ListKind::kRed);
        e.uscc = UsccKey(NthUscc(next++));
        e.legal_rep_id = w.key;
        w.related.push_back(e.entry_id);
        b.Add(e);
      }
      wants.push_back(std::move(w));
    }
  }
  // A subject with many entries.
  Want big{RegKey(NthRegNo(1)), {}, {}};
  for (int k = 0; k < 300; ++k) {
    Entry e = TestEntry("G-" + std::to_string(k), ListKind::kWatch);
    e.reg_no = big.key;
    big.subject.push_back(e.entry_id);
    b.Add(e);
  }
  wants.push_back(big);
  auto snap = b.Build(D("2026-01-01"));

  auto texts = [&](std::span<const uint32_t> postings) {
    std::vector<std::string> out;
    for (uint32_t i : postings) out.emplace_back(snap->str(snap->record(i).entry_id()));
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<Key> keys;
  for (Want& w : wants) {
    std::sort(w.subject.begin(), w.subject.end());
    std::sort(w.related.begin(), w.related.end());
    keys.push_back(w.key);
  }
  std::vector<Hits> batch(keys.size());
  snap->FindBatch(keys.data(), keys.size(), batch.data());
  for (size_t i = 0; i < wants.size(); ++i) {
    SCOPED_TRACE(::testing::Message()
                 << wants[i].subject.size() << " + " << wants[i].related.size());
    const Hits h = snap->Find(wants[i].key);
    EXPECT_EQ(texts(h.subject), wants[i].subject);
    EXPECT_EQ(texts(h.related), wants[i].related);
    EXPECT_EQ(texts(batch[i].subject), wants[i].subject);
    EXPECT_EQ(texts(batch[i].related), wants[i].related);
  }
}

// A Key that no parser makes (bits beyond a USCC's 90, lo beyond 60 bits, an unknown type) is
// in no snapshot; Find and FindBatch say so rather than finding a key it resembles.
TEST(Snapshot, KeysNoParserMakesAreNotFound) {
  const Key uscc = UsccKey("914403001922038216");
  const Key id = IdKey("11010519491231002X");
  SnapshotBuilder b;
  Entry e = TestEntry("B-1", ListKind::kBlack);
  e.uscc = uscc;
  e.legal_rep_id = id;
  b.Add(e);
  auto snap = b.Build(D("2026-01-01"));
  ASSERT_EQ(snap->Find(uscc).subject.size(), 1u);
  ASSERT_EQ(snap->Find(id).related.size(), 1u);
  const std::vector<Key> odd = {
      Key{uscc.hi | uint64_t{1} << 40, uscc.lo}, Key{uscc.hi, uscc.lo | uint64_t{1} << 62},
      Key{id.hi, id.lo | uint64_t{1} << 60},
      Key{(id.hi & ~(uint64_t{15} << 60)) | uint64_t{9} << 60, id.lo}, Key{0, id.lo}};
  std::vector<Hits> batch(odd.size());
  snap->FindBatch(odd.data(), odd.size(), batch.data());
  for (size_t i = 0; i < odd.size(); ++i) {
    SCOPED_TRACE(i);
    const Hits h = snap->Find(odd[i]);
    EXPECT_TRUE(h.subject.empty() && h.related.empty());
    EXPECT_TRUE(batch[i].subject.empty() && batch[i].related.empty());
  }
}

// Entries with the same category, conduct, outcome, department, basis, id_type and memoranda
// share one profile; any difference makes another.
TEST(Snapshot, ProfilesAreShared) {
  SnapshotBuilder b;
  for (int i = 0; i < 6; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    e.conduct = "拒不履行";
    if (i == 4) e.memoranda = 1;
    if (i == 5) e.basis = "其他依据";
    b.Add(e);
  }
  auto snap = b.Build(D("2026-01-01"));
  const uint32_t first = snap->record(0).profile();
  for (uint32_t i = 1; i < 4; ++i) EXPECT_EQ(snap->record(i).profile(), first);
  EXPECT_NE(snap->record(4).profile(), first);
  EXPECT_NE(snap->record(5).profile(), first);
  EXPECT_NE(snap->record(4).profile(), snap->record(5).profile());
  EXPECT_EQ(snap->profile(snap->record(4)).memoranda, 1u);
  EXPECT_EQ(snap->str(snap->profile(snap->record(5)).basis), "其他依据");
  EXPECT_EQ(snap->str(snap->profile(snap->record(5)).conduct), "拒不履行");
}

// Dates are kept in 16 bits when they fit (1970-01-01 to 2149-06-04, kNoDay, kForever) and
// beside the record otherwise: either way dates() and ToEntry give them back, and Counts() is
// CountsOn() on them, for every state and on any day.
TEST(Snapshot, DatesAndCountsMatchCountsOn) {
  const Day edges[] = {kNoDay,          kForever, -719468, -1,     0,      1,      D("2025-03-01"),
                       D("2026-01-01"), 0xFFFC,   0xFFFD,  0xFFFE, 0xFFFF, 100000, 2932896};
  const State states[] = {State::kSubmitted,   State::kRejected, State::kPublicity,
                          State::kUnderReview, State::kInForce,  State::kCancelled,
                          State::kExited};
  std::mt19937 rng(11);
  auto pick = [&] { return edges[rng() % std::size(edges)]; };
  std::vector<Entry> entries;
  SnapshotBuilder b;
  for (int i = 0; i < 3000; ++i) {
    Entry e = TestEntry("E-" + std::to_string(i), ListKind::kBlack);
    e.uscc = UsccKey(NthUscc(i));
    e.state = states[rng() % std::size(states)];
    if (rng() % 3) {  // mostly ordinary dates
      e.decided_on = D("2024-01-01") + static_cast<Day>(rng() % 900);
      e.valid_from = e.decided_on + static_cast<Day>(rng() % 3);
      e.valid_until = rng() % 4 ? e.valid_from + static_cast<Day>(rng() % 1000) : kForever;
      e.in_force_on = rng() % 2 ? kNoDay : e.valid_from + static_cast<Day>(rng() % 30);
      e.exited_on = rng() % 2 ? kNoDay : e.valid_from + static_cast<Day>(rng() % 600);
    } else {
      e.decided_on = pick();
      e.valid_from = pick();
      e.valid_until = pick();
      e.in_force_on = pick();
      e.exited_on = pick();
    }
    entries.push_back(e);
    b.Add(e);
  }
  // Replacing an entry swaps wide dates for narrow ones and back.
  entries[0].decided_on = -5;
  b.Add(entries[0]);
  entries[1].decided_on = D("2025-01-01");
  entries[1].valid_from = D("2025-01-01");
  entries[1].valid_until = D("2026-01-01");
  entries[1].in_force_on = kNoDay;
  entries[1].exited_on = kNoDay;
  b.Add(entries[1]);
  auto snap = b.Build(D("2026-01-01"));
  ASSERT_EQ(snap->size(), entries.size());
  std::vector<Day> days(std::begin(edges), std::end(edges));
  for (int k = 0; k < 40; ++k) days.push_back(D("2024-01-01") + static_cast<Day>(rng() % 1800));
  for (uint32_t i = 0; i < snap->size(); ++i) {
    const Entry& e = entries[i];
    const EntryDates d = snap->dates(i);
    ASSERT_EQ(d.decided_on, e.decided_on) << i;
    ASSERT_EQ(d.valid_from, e.valid_from) << i;
    ASSERT_EQ(d.valid_until, e.valid_until) << i;
    ASSERT_EQ(d.in_force_on, e.in_force_on) << i;
    ASSERT_EQ(d.exited_on, e.exited_on) << i;
    const Entry got = snap->ToEntry(i);
    ASSERT_EQ(got.decided_on, e.decided_on) << i;
    ASSERT_EQ(got.exited_on, e.exited_on) << i;
    for (Day day : days)
      ASSERT_EQ(snap->Counts(i, day),
                CountsOn(e.state, e.in_force_on, e.exited_on, e.valid_from, e.valid_until, day))
          << i << " on " << day;
  }
}

// conflicts(): subjects with a red and a black entry that both count on the build day, each
// counted once, whichever identifiers their entries carry.
struct ConflictCase {
  const char* name;
  std::vector<Entry> entries;
  uint64_t want;
};

TEST(Snapshot, ConflictsCountEachSubjectOnce) {
  const Key u = UsccKey("914403001922038216");
  const Key u2 = UsccKey("9144030071526726XG");
  const Key r = RegKey("110108000000016");
  const Key p = IdKey("11010519491231002X");
  auto entry = [](const char* id, ListKind list, Key uscc, Key reg, Key idn) {
    Entry e = TestEntry(id, list);
    e.uscc = uscc;
    e.reg_no = reg;
    e.id_number = idn;
    return e;
  };
  Entry expired = entry("B-old", ListKind::kBlack, u, r, {});
  expired.valid_until = D("2025-12-31");
  Entry related_black = entry("B-rel", ListKind::kBlack, u2, {}, {});
  related_black.legal_rep_id = p;
  const ListKind red = ListKind::kRed, black = ListKind::kBlack, watch = ListKind::kWatch;
  const std::vector<ConflictCase> cases = {
      {"red only", {entry("R", red, u, r, {})}, 0},
      {"red and black by USCC and reg_no",
       {entry("R", red, u, r, {}), entry("B", black, u, r, {})},
       1},
      {"red and black by USCC only", {entry("R", red, u, {}, {}), entry("B", black, u, {}, {})}, 1},
      {"red and black by 工商注册号 only",
       {entry("R", red, {}, r, {}), entry("B", black, {}, r, {})},
       1},
      {"red and black by ID number", {entry("R", red, {}, {}, p), entry("B", black, {}, {}, p)}, 1},
      {"ID number and 工商注册号 together",
       {entry("R", red, {}, r, p), entry("B", black, {}, r, p)},
       1},
      {"all three identifiers", {entry("R", red, u, r, p), entry("B", black, u, r, p)}, 1},
      {"red with USCC and reg_no, black with reg_no only",
       {entry("R", red, u, r, {}), entry("B", black, {}, r, {})},
       1},
      {"red and watch", {entry("R", red, u, r, {}), entry("W", watch, u, r, {})}, 0},
      {"black no longer counts", {entry("R", red, u, r, {}), expired}, 0},
      {"two subjects",
       {entry("R", red, u, {}, {}), entry("B", black, u, {}, {}), entry("R2", red, {}, {}, p),
        entry("B2", black, {}, {}, p)},
       2},
      {"black only as legal representative", {entry("R", red, {}, {}, p), related_black}, 0},
  };
  for (const ConflictCase& c : cases) {
    SnapshotBuilder b;
    for (const Entry& e : c.entries) b.Add(e);
    EXPECT_EQ(b.Build(D("2026-01-01"))->conflicts(), c.want) << c.name;
  }
}

}  // namespace
}  // namespace credlist
