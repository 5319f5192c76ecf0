// The list pages' index (engine/list_index.h), the quarterly publication
// (engine/publication.h), and both routes through the Router.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/list_index.h"
#include "engine/publication.h"
#include "engine/publication_cache.h"
#include "engine/snapshot.h"
#include "loaders/report_form.h"
#include "server/router.h"
#include "tests/engine_test_util.h"
#include "tests/router_test_util.h"

namespace credlist {
namespace {

using testing::D;
using testing::IdKey;
using testing::NthIdNumber;
using testing::NthUscc;
using testing::TestEntry;
using testing::UsccKey;

constexpr const char* kDepartments[] = {"市中级人民法院", "市税务局", "市市场监督管理局",
                                        "营口海关"};
constexpr const char* kCategories[] = {"失信被执行人", "纳税信用A级纳税人", "经营异常名录"};

// A varied set of entries: lists, departments, categories, memoranda and dates in a fixed
// pattern, some expired, some not yet valid, some exited.
std::vector<Entry> VariedEntries(int n) {
  std::vector<Entry> out;
  for (int i = 0; i < n; ++i) {
    Entry e = TestEntry("E-" + std::to_string(100000 + i), static_cast<ListKind>(i % 3));
    e.department = kDepartments[i % 4];
    e.category = kCategories[(i / 3) % 3];
    e.uscc = UsccKey(NthUscc(i));
    e.memoranda = (uint64_t{1} << (i % 5)) | (i % 7 == 0 ? uint64_t{1} << 20 : 0);
    if (i % 11 == 0) e.valid_until = D("2024-01-01");  // expired
    if (i % 13 == 0) e.valid_from = D("2099-01-01");   // not yet valid
    if (i % 17 == 0) {
      e.state = State::kExited;
      e.exit_reason = ExitReason::kRepaired;
      e.exited_on = D("2025-06-01");
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::shared_ptr<const Snapshot> Build(const std::vector<Entry>& entries) {
  SnapshotBuilder b;
  for (const Entry& e : entries) b.Add(e);
  return b.Build(D("2026-11-01"));
}

// Whether an entry counts on `day`, written by hand from API.md ("An entry counts on as_of when
// it was in force on that day (confirmed on or before it, not exited before it) and valid_from
// <= as_of < valid_until") and DESIGN.md §4 (an entry in publicity with no open objection is
// in force from the day after its window), without the engine's own predicates, which are
// what is tested. `live`: the life-cycle fields of a live entry (null for a loaded one).
bool CountsByHand(const Entry& e, Day day, const LiveEntry* live = nullptr) {
  Day confirmed = e.in_force_on;
  switch (e.state) {
    case State::kInForce:
      break;
    case State::kExited:
      if (e.exited_on == kNoDay) return false;  // exited, day unknown: never shown
      break;
    case State::kUnderReview:  // listed only if it was in force when the objection came
      if (live != nullptr && live->review_from != State::kInForce) return false;
      break;
    case State::kPublicity:
      if (live == nullptr || live->open_objections != 0 || live->publicity_until == kNoDay)
        return false;
      confirmed = live->publicity_until + 1;
      break;
    default:  // submitted, rejected, cancelled
      return false;
  }
  if (confirmed != kNoDay && day < confirmed) return false;
  if (e.exited_on != kNoDay && day >= e.exited_on) return false;
  if (e.valid_from != kNoDay && day < e.valid_from) return false;
  if (e.valid_until != kForever && day >= e.valid_until) return false;
  return true;
}

// The page by brute force: every entry checked, in the index's order.
struct Expected {
  uint64_t total = 0;
  std::vector<std::string> ids;  // the page's entry ids
};
Expected BruteForce(const Snapshot& snap, const LiveOverlay& live, const ListQuery& q) {
  std::vector<std::string> all;
  for (uint32_t i = 0; i < snap.size(); ++i) {
    const Entry e = snap.ToEntry(i);
    if (e.list != q.list || !CountsByHand(e, q.day) || live.Superseded(i)) continue;
    if (!q.department.empty() && e.department != q.department) continue;
    if (!q.category.empty() && e.category != q.category) continue;
    if (q.memorandum >= 0 && (e.memoranda >> q.memorandum & 1) == 0) continue;
    all.push_back(e.entry_id);
  }
  std::vector<std::string> lives;
  live.ForEachEntry([&](const LivePtr& p) {
    const Entry& e = p->entry;
    if (e.list != q.list || !CountsByHand(e, q.day, p.get())) return;
    if (!q.department.empty() && e.department != q.department) return;
    if (!q.category.empty() && e.category != q.category) return;
    if (q.memorandum >= 0 && (e.memoranda >> q.memorandum & 1) == 0) return;
    lives.push_back(e.entry_id);
  });
  std::sort(lives.begin(), lives.end());
  all.insert(all.end(), lives.begin(), lives.end());
  Expected x;
  x.total = all.size();
  const uint64_t from = (q.page - 1) * q.page_size;
  for (uint64_t k = from; k < all.size() && k < from + q.page_size; ++k) x.ids.push_back(all[k]);
  return x;
}

std::vector<std::string> Ids(const Snapshot& snap, const ListPage& p) {
  std::vector<std::string> ids;
  for (uint32_t i : p.entries) ids.emplace_back(snap.str(snap.record(i).entry_id()));
  for (const LiveEntry* e : p.live) ids.push_back(e->entry.entry_id);
  return ids;
}

// A live entry over the snapshot: a copy of entry `base` changed by `fn`, superseding it.
LivePtr LiveOf(const Snapshot& snap, uint32_t base, const std::function<void(LiveEntry&)>& fn) {
  auto e = std::make_shared<LiveEntry>();
  e->entry = snap.ToEntry(base);
  e->base_index = base;
  fn(*e);
  return e;
}

TEST(ListIndex, PagesMatchBruteForceWithFiltersAndLiveEntries) {
  const std::vector<Entry> entries = VariedEntries(3000);
  auto snap = Build(entries);
  auto index = ListIndex::Build(*snap);
  EXPECT_EQ(index->version(), snap->version());
  EXPECT_NE(index->department("市税务局"), nullptr);
  EXPECT_EQ(index->department("no such"), nullptr);

  // The life cycle took some entries over: exited ones (dropped), changed ones, new ones.
  OverlayEditor ed(std::make_shared<LiveOverlay>());
  for (uint32_t i = 0; i < 200; i += 7) {
    ed.Put(LiveOf(*snap, i, [&](LiveEntry& e) {
      if (i % 2 == 0) {
        e.entry.state = State::kExited;
        e.entry.exited_on = D("2026-01-01");
      } else {
        e.entry.department = "市税务局";  // moves between filters
      }
    }));
  }
  for (int k = 0; k < 40; ++k) {
    auto e = std::make_shared<LiveEntry>();
    e->entry = TestEntry("L-" + std::to_string(500 + k), static_cast<ListKind>(k % 3));
    e->entry.department = kDepartments[k % 4];
    e->entry.category = kCategories[k % 3];
    e->entry.uscc = UsccKey(NthUscc(90000 + k));
    e->entry.memoranda = uint64_t{1} << (k % 5);
    e->entry.in_force_on = D("2026-10-01");
    if (k % 5 == 0) e->entry.state = State::kPublicity;  // not listed yet
    ed.Put(e);
  }
  auto live = ed.Finish();

  const Day today = D("2026-11-28");
  int checked = 0;
  for (int list = 0; list < kListKinds; ++list) {
    for (const char* dep : {"", "市税务局", "营口海关", "无此部门"}) {
      for (const char* cat : {"", "失信被执行人"}) {
        for (int memo : {-1, 2, 20, 40}) {
          for (uint32_t size : {1u, 7u, 50u, 500u}) {
            ListQuery q;
            q.list = static_cast<ListKind>(list);
            q.department = dep;
            q.category = cat;
            q.memorandum = memo;
            q.page_size = size;
            q.day = today;
            for (uint64_t page : {1ull, 2ull, 3ull, 40ull, 1000ull}) {
              q.page = page;
              const Expected want = BruteForce(*snap, *live, q);
              const ListPage got = index->Page(*snap, *live, q);
              ASSERT_EQ(got.total, want.total)
                  << list << " " << dep << " " << cat << " " << memo << " p" << page;
              ASSERT_EQ(Ids(*snap, got), want.ids) << list << " " << dep << " " << cat << " "
                                                   << memo << " p" << page << " s" << size;
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(ListIndex, UnknownFilterIsAnEmptyPageAndCacheKeepsOnePerVersion) {
  auto snap = Build(VariedEntries(100));
  ListIndexCache cache;
  auto a = cache.Get(*snap);
  EXPECT_EQ(cache.Get(*snap), a);  // built once
  ListQuery q;
  q.list = ListKind::kBlack;
  q.department = "无此部门";
  q.day = D("2026-11-28");
  const ListPage p = a->Page(*snap, LiveOverlay(), q);
  EXPECT_EQ(p.total, 0u);
  EXPECT_TRUE(p.entries.empty());
  auto next = Build(VariedEntries(50));
  auto b = cache.Get(*next);
  EXPECT_NE(a, b);
  EXPECT_EQ(b->version(), next->version());
  // The in-force bitmaps follow the day asked.
  EXPECT_EQ(b->InForceOn(*next, D("2026-11-28"))->day, D("2026-11-28"));
  EXPECT_EQ(b->InForceOn(*next, D("2026-11-29"))->day, D("2026-11-29"));
}

// ---- Pages against brute force, over several chunks of 2^16 entries ----

constexpr const char* kManyDepartments[] = {"市中级人民法院", "市税务局", "市市场监督管理局",
                                            "市人社局", "市应急管理局"};
constexpr const char* kManyCategories[] = {"失信被执行人", "重大税收违法案件当事人",
                                           "纳税信用A级纳税人", "经营异常名录"};
constexpr int kManyMemoranda[] = {0, 5, 20, 50};
constexpr const char* kSparseDepartment = "营口海关";     // the first and last chunk only
constexpr const char* kForeignDepartment = "市新设部门";  // live entries only
constexpr const char* kForeignCategory = "新设名单类型";  // live entries only

// 150,000 entries (three chunks; the third partly full): random lists, departments,
// categories, memoranda, states and dates, so that classes are many and their entries sparse
// or dense in a chunk; a run of 12,000 entries of one class across the first chunk boundary
// (run containers); a department only at both ends.
std::vector<Entry> ManyEntries() {
  std::mt19937_64 rng(20261128);
  std::vector<Entry> out;
  constexpr int kEntries = 150000;
  out.reserve(kEntries);
  for (int i = 0; i < kEntries; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "M-%06d", i);
    Entry e = TestEntry(id, static_cast<ListKind>(rng() % 3));
    e.uscc = UsccKey(NthUscc(i));
    const uint64_t r = rng();
    e.department = r % 11 == 0 ? "" : kManyDepartments[r % 5];
    e.category = (r >> 8) % 13 == 0 ? "" : kManyCategories[(r >> 8) % 4];
    e.memoranda = 0;
    for (int m : kManyMemoranda)
      if (rng() % 3 == 0) e.memoranda |= uint64_t{1} << m;
    if (i < 20000 || i >= 140000) {
      if (r % 7 == 0) e.department = kSparseDepartment;
    }
    if (i >= 60000 && i < 72000) {  // one class across the chunk boundary at 65,536
      e.list = ListKind::kBlack;
      e.department = "市中级人民法院";
      e.category = "失信被执行人";
      e.memoranda = uint64_t{1} << 5;
    }
    switch ((r >> 40) % 16) {
      case 0:
        e.valid_until = D("2026-11-20");  // expired before the days asked
        break;
      case 1:
        e.valid_from = D("2026-12-01");  // not yet valid
        break;
      case 2:
        e.state = State::kExited;
        e.exit_reason = ExitReason::kRepaired;
        e.exited_on = D("2026-06-01");
        break;
      case 3:
        e.valid_until = D("2026-11-29");  // counts on the 28th, not on the 29th
        break;
      case 4:
        e.state = State::kSubmitted;  // never counts
        break;
      default:
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

// What the brute force needs of each snapshot entry.
struct Facts {
  ListKind list;
  std::string department, category;
  uint64_t memoranda;
  Entry entry;  // its state and dates, for CountsByHand
};

bool FilterMatches(const ListQuery& q, std::string_view department, std::string_view category,
                   uint64_t memoranda) {
  if (!q.department.empty() && department != q.department) return false;
  if (!q.category.empty() && category != q.category) return false;
  return q.memorandum < 0 || (memoranda >> q.memorandum & 1) != 0;
}

// Every matching entry in the order of pages: snapshot entries by index, then live by entry_id.
struct AllMatching {
  std::vector<uint32_t> snapshot;
  std::vector<std::string> live;
  uint64_t total() const { return snapshot.size() + live.size(); }
};
// `counting`: the snapshot entries of q.list that count on q.day and are not superseded.
AllMatching BruteForceAll(const std::vector<uint32_t>& counting, const std::vector<Facts>& facts,
                          const LiveOverlay& live, const ListQuery& q) {
  AllMatching all;
  for (uint32_t i : counting) {
    const Facts& f = facts[i];
    if (FilterMatches(q, f.department, f.category, f.memoranda)) all.snapshot.push_back(i);
  }
  live.ForEachEntry([&](const LivePtr& p) {
    const Entry& e = p->entry;
    if (e.list == q.list && FilterMatches(q, e.department, e.category, e.memoranda) &&
        CountsByHand(e, q.day, p.get()))
      all.live.push_back(e.entry_id);
  });
  std::sort(all.live.begin(), all.live.end());
  return all;
}

TEST(ListIndex, RandomPagesMatchBruteForceAcrossChunksWithLiveEntries) {
  auto snap = Build(ManyEntries());
  ASSERT_EQ(snap->size(), 150000u);
  auto index = ListIndex::Build(*snap);
  EXPECT_GT(index->classes().size(), 100u);
  ASSERT_NE(index->department(kSparseDepartment), nullptr);
  EXPECT_EQ(index->department(kForeignDepartment), nullptr);
  std::vector<Facts> facts;
  facts.reserve(snap->size());
  for (uint32_t i = 0; i < snap->size(); ++i) {
    const Entry e = snap->ToEntry(i);
    facts.push_back({e.list, e.department, e.category, e.memoranda, e});
  }

  // The life cycle took some entries over (exited, moved between filters, to a department or
  // category no snapshot entry has, unchanged) and added new ones.
  std::mt19937_64 rng(7);
  OverlayEditor ed(std::make_shared<LiveOverlay>());
  for (int k = 0; k < 400; ++k) {
    const auto base = static_cast<uint32_t>(rng() % snap->size());
    ed.Put(LiveOf(*snap, base, [&](LiveEntry& e) {
      switch (k % 5) {
        case 0:
          e.entry.state = State::kExited;
          e.entry.exit_reason = ExitReason::kRepaired;
          e.entry.exited_on = D("2026-11-01");
          break;
        case 1:
          e.entry.department = kManyDepartments[rng() % 5];
          e.entry.category = kManyCategories[rng() % 4];
          break;
        case 2:
          e.entry.department = kForeignDepartment;
          break;
        case 3:
          e.entry.memoranda ^= uint64_t{1} << 5;
          break;
        default:
          break;  // the same entry, now live
      }
    }));
  }
  for (int k = 0; k < 300; ++k) {
    auto e = std::make_shared<LiveEntry>();
    e->entry = TestEntry("L-" + std::to_string(1000 + rng() % 9000), static_cast<ListKind>(k % 3));
    e->entry.uscc = UsccKey(NthUscc(900000 + k));
    e->entry.department = k % 9 == 0 ? kForeignDepartment : kManyDepartments[rng() % 5];
    e->entry.category = k % 10 == 0 ? kForeignCategory : kManyCategories[rng() % 4];
    e->entry.memoranda = uint64_t{1} << kManyMemoranda[rng() % 4];
    e->entry.in_force_on = D("2026-10-01");
    if (k % 6 == 0) e->entry.state = State::kPublicity;  // not listed yet
    ed.Put(e);
  }
  auto live = ed.Finish();

  std::vector<std::string> departments = {"", kSparseDepartment, kForeignDepartment, "无此部门"};
  departments.insert(departments.end(), std::begin(kManyDepartments), std::end(kManyDepartments));
  std::vector<std::string> categories = {"", kForeignCategory};
  categories.insert(categories.end(), std::begin(kManyCategories), std::end(kManyCategories));
  const int memoranda[] = {-1, 0, 5, 20, 50, 40};  // no entry has 40

  uint64_t checked = 0, across_chunks = 0, snapshot_to_live = 0, several_chunks_total = 0;
  for (Day day : {D("2026-11-28"), D("2026-11-29")}) {
    for (int list = 0; list < kListKinds; ++list) {
      std::vector<uint32_t> counting;
      for (uint32_t i = 0; i < snap->size(); ++i)
        if (facts[i].list == static_cast<ListKind>(list) && CountsByHand(facts[i].entry, day) &&
            !live->Superseded(i))
          counting.push_back(i);
      for (const std::string& dep : departments) {
        for (const std::string& cat : categories) {
          for (int memo : memoranda) {
            ListQuery q;
            q.list = static_cast<ListKind>(list);
            q.department = dep;
            q.category = cat;
            q.memorandum = memo;
            q.day = day;
            const AllMatching all = BruteForceAll(counting, facts, *live, q);
            if (!all.snapshot.empty() && all.snapshot.front() < 65536 &&
                all.snapshot.back() >= 65536)
              ++several_chunks_total;
            auto check = [&](uint32_t size, uint64_t page) {
              q.page_size = size;
              q.page = page;
              const ListPage got = index->Page(*snap, *live, q);
              ASSERT_EQ(got.total, all.total()) << dep << "|" << cat << "|" << memo;
              std::vector<uint32_t> want_entries;
              std::vector<std::string> want_live;
              const uint64_t from = (page - 1) * size;
              for (uint64_t r = from; r < from + size && r < all.total(); ++r) {
                if (r < all.snapshot.size())
                  want_entries.push_back(all.snapshot[r]);
                else
                  want_live.push_back(all.live[r - all.snapshot.size()]);
              }
              std::vector<std::string> got_live;
              for (const LiveEntry* e : got.live) got_live.push_back(e->entry.entry_id);
              ASSERT_EQ(got.entries, want_entries) << list << " " << dep << "|" << cat << "|"
                                                   << memo << " p" << page << " s" << size;
              ASSERT_EQ(got_live, want_live) << list << " " << dep << "|" << cat << "|" << memo
                                             << " p" << page << " s" << size;
              ++checked;
            };
            for (uint32_t size : {1u, 7u, 50u, 500u}) {
              const uint64_t pages = (all.total() + size - 1) / size;
              for (uint64_t page :
                   {uint64_t{1}, uint64_t{2}, pages / 2 + 1, pages, pages + 1, uint64_t{1} << 31}) {
                if (page >= 1) check(size, page);
                if (::testing::Test::HasFatalFailure()) return;
              }
              // The pages that hold a chunk boundary (the last entry before it and the first
              // after it), and the one from the snapshot's entries to the live ones.
              for (uint32_t boundary : {65536u, 131072u}) {
                const auto at = static_cast<uint64_t>(
                    std::lower_bound(all.snapshot.begin(), all.snapshot.end(), boundary) -
                    all.snapshot.begin());
                if (at == 0 || at == all.snapshot.size() || size == 1) continue;
                if ((at - 1) / size == at / size) ++across_chunks;
                check(size, (at - 1) / size + 1);
                check(size, at / size + 1);
                if (::testing::Test::HasFatalFailure()) return;
              }
              const uint64_t at = all.snapshot.size();
              if (at > 0 && !all.live.empty() && size > 1) {
                if ((at - 1) / size == at / size) ++snapshot_to_live;
                check(size, (at - 1) / size + 1);
                if (::testing::Test::HasFatalFailure()) return;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 20000u);
  EXPECT_GT(across_chunks, 1000u);
  EXPECT_GT(snapshot_to_live, 100u);
  EXPECT_GT(several_chunks_total, 500u);
  std::printf("%llu pages checked, %llu across a chunk boundary, %llu from snapshot to live\n",
              static_cast<unsigned long long>(checked),
              static_cast<unsigned long long>(across_chunks),
              static_cast<unsigned long long>(snapshot_to_live));
}

// ---- The publication ----

// 附件 1 of the seed as printed there (tab-separated, with the line breaks of the printed
// table as spaces): the column headers of 报送表 (1) and (2).
constexpr char kSeedRedHeader[] =
    "红名单 类型\t企业 名称\t法定代 表人\t统一社 会信用 代码\t工商注 册登记 号\t守信 行为\t获得 "
    "奖励\t"
    "认定 部门\t认定 依据\t认定 日期\t有效期";
constexpr char kSeedBlackHeader[] =
    "黑名单 类型\t企业 名称\t法定代 表人\t统一社 会信用 代码\t工商注 册登记 号\t违法失 "
    "信行为\t处罚 结果\t"
    "认定 部门\t认定 依据\t认定 日期\t处罚有 效期";

std::vector<std::string> SeedHeaders(std::string_view line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == '\t')
      out.emplace_back();
    else if (c != ' ')
      out.back().push_back(c);
  }
  return out;
}

TEST(Publication, ColumnsAreThoseOfTheSeedInItsOrder) {
  for (auto [list, seed] :
       {std::pair{ListKind::kRed, kSeedRedHeader}, std::pair{ListKind::kBlack, kSeedBlackHeader}}) {
    const std::vector<std::string> want = SeedHeaders(seed);
    ASSERT_EQ(want.size(), 11u);
    auto cols = PublicationColumns(list);
    for (size_t c = 0; c < want.size(); ++c) EXPECT_EQ(cols[c].header, want[c]) << c;
    EXPECT_EQ(cols[11].header, "姓名");
    EXPECT_EQ(cols[12].header, "证件类型");
    EXPECT_EQ(cols[13].header, "证件号码");
  }
}

TEST(Publication, QuarterAndSpecErrorsNameTheField) {
  auto q = ParseQuarter("2026Q3");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->first, D("2026-07-01"));
  EXPECT_EQ(q->end, D("2026-10-01"));
  EXPECT_EQ(ParseQuarter("2026Q4")->end, D("2027-01-01"));
  EXPECT_EQ(QuarterName(*q), "2026Q3");
  for (const char* bad : {"2026Q5", "2026Q0", "2026-3", "26Q3", "2026Q3x", ""})
    EXPECT_EQ(ParseQuarter(bad).status().field(), "quarter") << bad;
  const Day today = D("2026-11-28");
  EXPECT_EQ(MakePublicationSpec("2026Q9", "red", "csv", "", today).status().field(), "quarter");
  EXPECT_EQ(MakePublicationSpec("2026Q3", "", "csv", "", today).status().field(), "list");
  EXPECT_EQ(MakePublicationSpec("2026Q3", "green", "csv", "", today).status().field(), "list");
  EXPECT_EQ(MakePublicationSpec("2026Q3", "watch", "csv", "", today).status().field(), "list");
  EXPECT_EQ(MakePublicationSpec("2026Q3", "red", "xlsx", "", today).status().field(), "format");
  EXPECT_EQ(MakePublicationSpec("2026Q3", "red", "", "all", today).status().field(), "part");
  auto spec = MakePublicationSpec("2026Q3", "black", "", "", today);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->format, PublicationFormat::kCsv);
  EXPECT_EQ(spec->list, ListKind::kBlack);
}

TEST(Publication, CsvCellsAreQuotedOnlyWhenNeeded) {
  std::string out;
  AppendCsvCell("plain 文字", &out);
  out += '|';
  AppendCsvCell("a,b", &out);
  out += '|';
  AppendCsvCell("say \"hi\"", &out);
  out += '|';
  AppendCsvCell("two\r\nlines", &out);
  EXPECT_EQ(out, "plain 文字|\"a,b\"|\"say \"\"hi\"\"\"|\"two\r\nlines\"");
}

// The entries of a publication test: red and black, legal and natural persons, in and out of
// 2026Q3.
class PublicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Entry company = TestEntry("R-1", ListKind::kRed);
    company.name = "营口守信建设有限公司";
    company.uscc = UsccKey(NthUscc(1));
    company.legal_rep = "李四";
    company.legal_rep_id = IdKey(NthIdNumber(1));
    company.conduct = "连续三年纳税信用评价为A级, 并\"守信\"\n示范";
    company.outcome = "享受联合激励措施";
    company.department = "市税务局";
    company.basis = "纳税信用管理办法";
    company.decided_on = company.valid_from = D("2026-07-15");
    company.valid_until = D("2029-07-15");
    entries_.push_back(company);

    Entry person = TestEntry("B-1", ListKind::kBlack);
    person.subject_type = SubjectType::kNaturalPerson;
    person.name = "张三丰";
    person.id_type = "居民身份证";
    person.id_number = IdKey("210802198001010019");
    person.decided_on = person.valid_from = D("2026-08-01");
    entries_.push_back(person);

    Entry before = TestEntry("R-2", ListKind::kRed);  // in force since Q2
    before.uscc = UsccKey(NthUscc(2));
    before.decided_on = before.valid_from = D("2026-06-30");
    entries_.push_back(before);

    Entry late = TestEntry("R-3", ListKind::kRed);  // decided in Q2, in force in Q3
    late.uscc = UsccKey(NthUscc(3));
    late.decided_on = D("2026-06-01");
    late.valid_from = D("2026-06-01");
    late.in_force_on = D("2026-09-30");
    entries_.push_back(late);

    Entry expired = TestEntry("R-4", ListKind::kRed);  // in Q3, expired since: no longer a row
    expired.uscc = UsccKey(NthUscc(4));
    expired.decided_on = expired.valid_from = D("2026-07-01");
    expired.valid_until = D("2026-11-01");
    entries_.push_back(expired);

    snap_ = Build(entries_);
    // The life cycle: a red entry confirmed by itself after a publicity ending in Q3, one still
    // in publicity, and the exit of a red entry in Q3 (announced).
    OverlayEditor ed(std::make_shared<LiveOverlay>());
    auto confirmed = std::make_shared<LiveEntry>();
    confirmed->entry = TestEntry("R-LIVE-1", ListKind::kRed);
    confirmed->entry.uscc = UsccKey(NthUscc(10));
    confirmed->entry.decided_on = confirmed->entry.valid_from = D("2026-09-01");
    confirmed->entry.state = State::kPublicity;
    confirmed->publicity_from = D("2026-09-20");
    confirmed->publicity_until = D("2026-09-28");
    ed.Put(confirmed);
    auto pending = std::make_shared<LiveEntry>(*confirmed);
    pending->entry.entry_id = "R-LIVE-2";
    pending->entry.uscc = UsccKey(NthUscc(11));
    pending->publicity_until = D("2026-12-28");
    ed.Put(pending);
    auto exited = std::make_shared<LiveEntry>();
    exited->entry = snap_->ToEntry(static_cast<uint32_t>(snap_->FindEntry("R-2")));
    exited->base_index = snap_->FindEntry("R-2");
    exited->entry.state = State::kExited;
    exited->entry.exit_reason = ExitReason::kStandardChanged;
    exited->entry.exited_on = D("2026-09-10");
    exited->exit_note = "认定标准调整";
    ed.Put(exited);
    Announcement a;
    a.seq = 1;
    a.at_ms = 1788000000000;
    a.exited_on = D("2026-09-10");
    a.entry = exited;
    ed.Announce(a);
    live_ = ed.Finish();
  }

  std::string Publish(std::string_view list, std::string_view format, std::string_view part = "") {
    auto spec = MakePublicationSpec("2026Q3", list, format, part, D("2026-11-28"));
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    std::string out;
    WritePublication(*snap_, *live_, *spec, &out);
    return out;
  }

  std::vector<Entry> entries_;
  std::shared_ptr<const Snapshot> snap_;
  std::shared_ptr<const LiveOverlay> live_;
};

TEST_F(PublicationTest, RedCsvAsExcelReadsIt) {
  const std::string csv = Publish("red", "csv");
  ASSERT_TRUE(csv.starts_with("\xEF\xBB\xBF")) << csv;
  // Every line ends in CRLF; no bare LF outside the quoted cell.
  const std::string header =
      "红名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,守信行为,获得奖励,认定部门,"
      "认定依据,认定日期,有效期,姓名,证件类型,证件号码\r\n";
  ASSERT_EQ(csv.substr(3, header.size()), header);
  const std::string row1 = "纳税信用A级纳税人,营口守信建设有限公司,李*," + NthUscc(1) +
                           ",,\"连续三年纳税信用评价为A级, 并\"\"守信\"\"\n示范\",享受联合激励措施,"
                           "市税务局,纳税信用管理办法,2026-07-15,2026-07-15至2029-07-14,,,\r\n";
  EXPECT_NE(csv.find(row1), std::string::npos) << csv;
  // Came into force in Q3 and count on the day (11-28): R-1 (07-15), R-LIVE-1 (the day after
  // its publicity: 09-29), R-3 (09-30); not R-4 (07-01, expired on 11-01), R-2 (Q2), R-LIVE-2
  // (still in publicity). By day.
  const size_t r1 = csv.find(NthUscc(1)), live1 = csv.find(NthUscc(10)), r3 = csv.find(NthUscc(3));
  EXPECT_NE(r1, std::string::npos);
  EXPECT_NE(live1, std::string::npos);
  EXPECT_NE(r3, std::string::npos);
  EXPECT_LT(r1, live1);
  EXPECT_LT(live1, r3);
  for (int absent : {2, 4, 11}) EXPECT_EQ(csv.find(NthUscc(absent)), std::string::npos) << absent;
  size_t crlf = 0, lf = 0;
  for (size_t i = 0; i < csv.size(); ++i) {
    lf += csv[i] == '\n';
    crlf += csv[i] == '\n' && i > 0 && csv[i - 1] == '\r';
  }
  EXPECT_EQ(crlf, 1u + 3u);  // the header and three rows
  EXPECT_EQ(lf, crlf + 1);   // and the line break inside R-1's quoted cell
  EXPECT_TRUE(csv.ends_with("\r\n"));
}

TEST_F(PublicationTest, NaturalPersonsAreMasked) {
  const std::string csv = Publish("black", "csv");
  EXPECT_TRUE(
      csv.starts_with("\xEF\xBB\xBF黑名单类型,企业名称,法定代表人,统一社会信用代码,"
                      "工商注册登记号,违法失信行为,处罚结果,认定部门,认定依据,认定日期,"
                      "处罚有效期,姓名,证件类型,证件号码\r\n"))
      << csv;
  EXPECT_NE(csv.find(",张**,居民身份证,210802********0019\r\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("张三丰"), std::string::npos);
  EXPECT_EQ(csv.find("210802198001010019"), std::string::npos);
  // The legal representative, a natural person too.
  EXPECT_EQ(Publish("red", "json").find("李四"), std::string::npos);
  EXPECT_EQ(Publish("red", "csv").find(NthIdNumber(1)), std::string::npos);
}

TEST_F(PublicationTest, JsonHasTheSameCellsAndTheAnnouncements) {
  const std::string json = Publish("red", "json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["quarter"]), "2026Q3");
  EXPECT_EQ(std::string_view(doc["from"]), "2026-07-01");
  EXPECT_EQ(std::string_view(doc["until"]), "2026-09-30");
  simdjson::dom::array cols = doc["columns"];
  ASSERT_EQ(cols.size(), kPublicationColumns);
  EXPECT_EQ(std::string_view(cols.at(0)["header"]), "红名单类型");
  simdjson::dom::array rows = doc["entries"];
  ASSERT_EQ(rows.size(), 3u);
  simdjson::dom::object first = rows.at(0);  // R-1
  std::vector<std::string_view> keys;
  for (auto [k, v] : first) keys.push_back(k);
  ASSERT_EQ(keys.size(), kPublicationColumns);
  for (size_t c = 0; c < kPublicationColumns; ++c)
    EXPECT_EQ(keys[c], PublicationColumns(ListKind::kRed)[c].field);
  EXPECT_EQ(std::string_view(first["uscc"]), NthUscc(1));
  EXPECT_EQ(std::string_view(first["legal_rep"]), "李*");
  EXPECT_EQ(std::string_view(first["validity"]), "2026-07-15至2029-07-14");
  EXPECT_TRUE(first["person_name"].is_null());
  simdjson::dom::array ann = doc["announcements"];
  ASSERT_EQ(ann.size(), 1u);
  EXPECT_EQ(std::string_view(ann.at(0)["exit_reason"]), "standard_changed");
  EXPECT_EQ(std::string_view(ann.at(0)["exit_reason_text"]), "认定标准发生改变");
  EXPECT_EQ(std::string_view(ann.at(0)["exited_on"]), "2026-09-10");
  EXPECT_EQ(std::string_view(ann.at(0)["entry"]["uscc"]), NthUscc(2));
  // A part alone.
  ASSERT_EQ(parser.parse(Publish("red", "json", "entries")).get(doc), simdjson::SUCCESS);
  EXPECT_TRUE(doc["announcements"].error());
  // The black list had no exit in Q3.
  ASSERT_EQ(parser.parse(Publish("black", "json")).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::dom::array(doc["announcements"]).size(), 0u);
}

TEST_F(PublicationTest, AnnouncementsCsvIsAPartOfItsOwn) {
  const std::string csv = Publish("red", "csv", "announcements");
  ASSERT_TRUE(csv.starts_with("\xEF\xBB\xBF红名单类型,")) << csv;
  const size_t eol = csv.find("\r\n");
  EXPECT_TRUE(std::string_view(csv).substr(0, eol).ends_with(
      ",证件号码,退出日期,退出原因,退出说明,公告编号"))
      << csv;
  EXPECT_NE(csv.find(NthUscc(2)), std::string::npos);
  EXPECT_NE(csv.find(",2026-09-10,认定标准发生改变,认定标准调整,1\r\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(NthUscc(1)), std::string::npos);  // entries are the other part
}

TEST_F(PublicationTest, TheLoaderReadsTheCsvBack) {
  // The headers are those the 报送表 loader knows: a legal person's row loads back as it was.
  const std::string csv = Publish("red", "csv");
  std::vector<Entry> loaded;
  LoadReport report;
  Status s = LoadReportForm(
      csv, LoadOptions{}, [&](Entry&& e) { loaded.push_back(std::move(e)); }, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(loaded.size(), 3u);
  const Entry& e = loaded[0];  // R-1
  EXPECT_EQ(e.list, ListKind::kRed);
  EXPECT_EQ(e.category, entries_[0].category);
  EXPECT_EQ(e.name, entries_[0].name);
  EXPECT_EQ(e.uscc, entries_[0].uscc);
  EXPECT_EQ(e.conduct, entries_[0].conduct);
  EXPECT_EQ(e.department, entries_[0].department);
  EXPECT_EQ(e.decided_on, entries_[0].decided_on);
  EXPECT_EQ(e.valid_from, entries_[0].valid_from);
  EXPECT_EQ(e.valid_until, entries_[0].valid_until);
}

// ---- The publication cache ----

std::string Fresh(const Snapshot& snap, const LiveOverlay& live, const PublicationSpec& spec) {
  std::string out;
  WritePublication(snap, live, spec, &out);
  return out;
}

TEST_F(PublicationTest, CacheMakesEachDocumentOnceAndFollowsTheOverlay) {
  PublicationCache cache;
  const Day today = D("2026-11-28");
  const PublicationSpec json = *MakePublicationSpec("2026Q3", "red", "json", "", today);
  auto a = cache.Get(*snap_, *live_, json);
  EXPECT_EQ(*a, Fresh(*snap_, *live_, json));
  EXPECT_EQ(cache.Get(*snap_, *live_, json), a);  // the same document, not made again
  EXPECT_EQ(cache.made(), 1u);

  // The life cycle: R-1 exits in Q3 (announced), and a new red entry comes into force in Q3.
  OverlayEditor ed(live_);
  auto exited = std::make_shared<LiveEntry>();
  exited->entry = snap_->ToEntry(static_cast<uint32_t>(snap_->FindEntry("R-1")));
  exited->base_index = snap_->FindEntry("R-1");
  exited->entry.state = State::kExited;
  exited->entry.exit_reason = ExitReason::kRepaired;
  exited->entry.exited_on = D("2026-09-20");
  ed.Put(exited);
  Announcement ann;
  ann.seq = 2;
  ann.at_ms = 1789000000000;
  ann.exited_on = D("2026-09-20");
  ann.entry = exited;
  ed.Announce(ann);
  auto added = std::make_shared<LiveEntry>();
  added->entry = TestEntry("R-LIVE-3", ListKind::kRed);
  added->entry.uscc = UsccKey(NthUscc(12));
  added->entry.decided_on = added->entry.valid_from = D("2026-08-01");
  added->entry.in_force_on = D("2026-08-10");
  ed.Put(added);
  std::shared_ptr<const LiveOverlay> next = ed.Finish();
  ASSERT_NE(next->version(), live_->version());

  auto b = cache.Get(*snap_, *next, json);
  EXPECT_NE(b, a);
  EXPECT_EQ(*b, Fresh(*snap_, *next, json));
  EXPECT_NE(*b, *a);
  EXPECT_NE(b->find("\"seq\":2"), std::string::npos) << *b;  // the new announcement
  EXPECT_NE(b->find(NthUscc(12)), std::string::npos);        // the new entry
  EXPECT_EQ(a->find(NthUscc(12)), std::string::npos);        // the first is unchanged
  EXPECT_EQ(cache.made(), 2u);
  // A reader still on the older overlay gets the older document (made again or kept).
  EXPECT_EQ(*cache.Get(*snap_, *live_, json), *a);

  // Each spec apart: the CSV of the announcements (its new row), the black list.
  const PublicationSpec announcements =
      *MakePublicationSpec("2026Q3", "red", "csv", "announcements", today);
  auto c = cache.Get(*snap_, *next, announcements);
  EXPECT_EQ(*c, Fresh(*snap_, *next, announcements));
  EXPECT_NE(c->find(",2026-09-20,信用修复,,2\r\n"), std::string::npos) << *c;
  const PublicationSpec black = *MakePublicationSpec("2026Q3", "black", "json", "", today);
  EXPECT_EQ(*cache.Get(*snap_, *next, black), Fresh(*snap_, *next, black));

  // The day enters every document: JSON shows it (as_of), and a row is there only while its
  // entry counts on the day.
  const PublicationSpec tomorrow_json =
      *MakePublicationSpec("2026Q3", "red", "json", "", today + 1);
  auto d = cache.Get(*snap_, *next, tomorrow_json);
  EXPECT_EQ(*d, Fresh(*snap_, *next, tomorrow_json));
  EXPECT_NE(*d, *b);
  const uint64_t made = cache.made();
  const PublicationSpec tomorrow_csv =
      *MakePublicationSpec("2026Q3", "red", "csv", "announcements", today + 1);
  auto tomorrow = cache.Get(*snap_, *next, tomorrow_csv);
  EXPECT_NE(tomorrow, c);
  EXPECT_EQ(*tomorrow, Fresh(*snap_, *next, tomorrow_csv));
  EXPECT_EQ(cache.made(), made + 1);

  // A new snapshot (a load) is a new document too.
  std::vector<Entry> more = entries_;
  Entry late = TestEntry("R-5", ListKind::kRed);
  late.uscc = UsccKey(NthUscc(5));
  late.decided_on = late.valid_from = D("2026-09-01");
  more.push_back(late);
  auto snap2 = Build(more);
  auto e = cache.Get(*snap2, *next, json);
  EXPECT_EQ(*e, Fresh(*snap2, *next, json));
  EXPECT_NE(e->find(NthUscc(5)), std::string::npos);
}

TEST(PublicationCache, ConcurrentFirstRequestsMakeTheDocumentOnce) {
  // Enough entries that making the document takes a while (all came into force in 2025Q1).
  auto snap = Build(VariedEntries(30000));
  auto live = std::make_shared<LiveOverlay>();
  PublicationCache cache;
  const PublicationSpec spec = *MakePublicationSpec("2025Q1", "black", "csv", "", D("2026-11-28"));
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const std::string>> got(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      got[t] = cache.Get(*snap, *live, spec);
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache.made(), 1u);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], got[0]) << t;
  EXPECT_EQ(*got[0], Fresh(*snap, *live, spec));
  EXPECT_GT(got[0]->size(), 100000u);
}

// ---- Expired, exited and cancelled entries: the publication, the cache, the list page ----

// Red entries around the edges of validity, hand-picked, for PublicationOmitsExpiredEntries and
// its neighbours. Came into force in 2026Q2 unless said otherwise.
//   R-A 2026-04-08, valid until 2026-10-08 (last day 10-07): the entry of the issue
//   R-B 2026-05-01, open-ended
//   R-C 2026-05-02, loaded exited (repaired) on 2026-08-01
//   R-D 2026-05-03, valid until 2026-12-05 (last day 12-04)
//   R-E 2026-03-31, open-ended: 2026Q1
//   R-F 2026-06-30, loaded cancelled
//   R-G 2026-06-01, open-ended; its live version exited (repaired) on 2026-11-01, announced
//   L-1 live, publicity 05-01..05-09 with no objection: in force from 05-10; valid 04-20 to
//       2027-01-01
//   L-3 live, in force since 06-15, valid 06-10 to 2026-12-04 (last day 12-03)
class ExpiryEdges : public ::testing::Test {
 protected:
  void SetUp() override {
    auto red = [](std::string id, std::string name, int n, std::string_view from) {
      Entry e = TestEntry(std::move(id), ListKind::kRed);
      e.name = std::move(name);
      e.uscc = UsccKey(NthUscc(n));
      e.decided_on = e.valid_from = D(from);
      return e;
    };
    SnapshotBuilder b;
    Entry a = red("R-A", "营口甲公司", 21, "2026-04-08");
    a.valid_until = D("2026-10-08");
    b.Add(a);
    b.Add(red("R-B", "营口乙公司", 22, "2026-05-01"));
    Entry c = red("R-C", "营口丙公司", 23, "2026-05-02");
    c.state = State::kExited;
    c.exit_reason = ExitReason::kRepaired;
    c.exited_on = D("2026-08-01");
    b.Add(c);
    Entry d = red("R-D", "营口丁公司", 24, "2026-05-03");
    d.valid_until = D("2026-12-05");
    b.Add(d);
    b.Add(red("R-E", "营口戊公司", 25, "2026-03-31"));
    Entry f = red("R-F", "营口己公司", 26, "2026-06-30");
    f.state = State::kCancelled;
    b.Add(f);
    b.Add(red("R-G", "营口辛公司", 28, "2026-06-01"));
    snap_ = b.Build(D("2026-12-04"));

    OverlayEditor ed(std::make_shared<LiveOverlay>());
    auto l1 = std::make_shared<LiveEntry>();
    l1->entry = red("L-1", "营口庚公司", 27, "2026-04-20");
    l1->entry.valid_until = D("2027-01-01");
    l1->entry.state = State::kPublicity;
    l1->publicity_from = D("2026-05-01");
    l1->publicity_until = D("2026-05-09");
    ed.Put(l1);
    auto l3 = std::make_shared<LiveEntry>();
    l3->entry = red("L-3", "营口壬公司", 29, "2026-06-10");
    l3->entry.in_force_on = D("2026-06-15");
    l3->entry.valid_until = D("2026-12-04");
    ed.Put(l3);
    auto g = std::make_shared<LiveEntry>();
    g->entry = snap_->ToEntry(static_cast<uint32_t>(snap_->FindEntry("R-G")));
    g->base_index = snap_->FindEntry("R-G");
    g->entry.state = State::kExited;
    g->entry.exit_reason = ExitReason::kRepaired;
    g->entry.exited_on = D("2026-11-01");
    ed.Put(g);
    Announcement ann;
    ann.seq = 1;
    ann.at_ms = 1793500000000;
    ann.exited_on = D("2026-11-01");
    ann.entry = g;
    ed.Announce(ann);
    live_ = ed.Finish();
  }

  std::string Publish(std::string_view quarter, std::string_view day,
                      std::string_view format = "csv", std::string_view part = "") {
    auto spec = MakePublicationSpec(quarter, "red", format, part, D(day));
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    std::string out;
    WritePublication(*snap_, *live_, *spec, &out);
    return out;
  }
  // The names of the rows of a red CSV, in order.
  static std::vector<std::string> Names(const std::string& csv) {
    std::vector<std::string> names;
    size_t at = csv.find("\r\n");
    while (at != std::string::npos && at + 2 < csv.size()) {
      const size_t begin = csv.find(',', at) + 1;
      names.push_back(csv.substr(begin, csv.find(',', begin) - begin));
      at = csv.find("\r\n", at + 2);
    }
    return names;
  }
  std::vector<std::string> PageIds(std::string_view day) {
    auto index = ListIndex::Build(*snap_);
    ListQuery q;
    q.list = ListKind::kRed;
    q.page_size = 500;
    q.day = D(day);
    const ListPage page = index->Page(*snap_, *live_, q);
    EXPECT_EQ(page.total, page.entries.size() + page.live.size());
    std::vector<std::string> ids = Ids(*snap_, page);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::shared_ptr<const Snapshot> snap_;
  std::shared_ptr<const LiveOverlay> live_;
};

constexpr char kRedHeader[] =
    "\xEF\xBB\xBF红名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,守信行为,获得奖励,"
    "认定部门,认定依据,认定日期,有效期,姓名,证件类型,证件号码\r\n";

TEST_F(ExpiryEdges, PublicationOmitsExpiredEntries) {
  // 2026-12-04, the day of the issue: R-B, R-D (its last day), L-1; not R-A (ended 10-07),
  // R-C (exited), R-E (Q1), R-F (cancelled), R-G (exited, live), L-3 (its valid_until).
  const std::string want =
      std::string(kRedHeader) + "纳税信用A级纳税人,营口乙公司,," + NthUscc(22) +
      ",,,,营口市中级人民法院,,2026-05-01,2026-05-01至长期,,,\r\n"
      "纳税信用A级纳税人,营口丁公司,," +
      NthUscc(24) +
      ",,,,营口市中级人民法院,,2026-05-03,2026-05-03至2026-12-04,,,\r\n"
      "纳税信用A级纳税人,营口庚公司,," +
      NthUscc(27) + ",,,,营口市中级人民法院,,2026-04-20,2026-04-20至2026-12-31,,,\r\n";
  EXPECT_EQ(Publish("2026Q2", "2026-12-04"), want);
  // JSON: the same rows.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string json = Publish("2026Q2", "2026-12-04", "json");
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  std::vector<std::string> names;
  for (auto row : simdjson::dom::array(doc["entries"]))
    names.emplace_back(std::string_view(row["org_name"]));
  EXPECT_EQ(names, (std::vector<std::string>{"营口乙公司", "营口丁公司", "营口庚公司"})) << json;
  EXPECT_EQ(simdjson::dom::array(doc["announcements"]).size(), 0u);  // R-G exited in Q4
}

TEST_F(ExpiryEdges, PublicationRowsOnTheDaysAroundValidUntil) {
  const struct {
    const char* day;
    std::vector<std::string> names;
  } cases[] = {
      // R-A's last day, and the first day it no longer counts.
      {"2026-10-07",
       {"营口甲公司", "营口乙公司", "营口丁公司", "营口庚公司", "营口辛公司", "营口壬公司"}},
      {"2026-10-08", {"营口乙公司", "营口丁公司", "营口庚公司", "营口辛公司", "营口壬公司"}},
      // R-G exits on 11-01.
      {"2026-10-31", {"营口乙公司", "营口丁公司", "营口庚公司", "营口辛公司", "营口壬公司"}},
      {"2026-11-01", {"营口乙公司", "营口丁公司", "营口庚公司", "营口壬公司"}},
      // L-3's last day 12-03; R-D's 12-04.
      {"2026-12-03", {"营口乙公司", "营口丁公司", "营口庚公司", "营口壬公司"}},
      {"2026-12-04", {"营口乙公司", "营口丁公司", "营口庚公司"}},
      {"2026-12-05", {"营口乙公司", "营口庚公司"}},
      // L-1's last day 2026-12-31.
      {"2027-01-01", {"营口乙公司"}},
  };
  for (const auto& c : cases) EXPECT_EQ(Names(Publish("2026Q2", c.day)), c.names) << c.day;
}

TEST_F(ExpiryEdges, ExitedEntryIsOnlyInItsOwnAnnouncement) {
  // R-G: not a row of Q2 (where it came into force), one announcement in Q4 (where it exited).
  EXPECT_EQ(Publish("2026Q2", "2026-12-04", "csv", "announcements").find("营口辛公司"),
            std::string::npos);
  const std::string q4 = Publish("2026Q4", "2026-12-04", "csv", "announcements");
  EXPECT_NE(q4.find("营口辛公司"), std::string::npos) << q4;
  EXPECT_NE(q4.find(",2026-11-01,信用修复,,1\r\n"), std::string::npos) << q4;
  EXPECT_EQ(Names(Publish("2026Q4", "2026-12-04")), std::vector<std::string>{});
}

TEST_F(ExpiryEdges, PublicationCacheKeysOnTheDay) {
  // The same snapshot and overlay: an entry whose validity ends tomorrow is in today's
  // document and not in tomorrow's, for CSV as for JSON.
  PublicationCache cache;
  for (const char* format : {"csv", "json"}) {
    const PublicationSpec today =
        *MakePublicationSpec("2026Q2", "red", format, "", D("2026-12-04"));
    const PublicationSpec tomorrow =
        *MakePublicationSpec("2026Q2", "red", format, "", D("2026-12-05"));
    auto a = cache.Get(*snap_, *live_, today);
    auto b = cache.Get(*snap_, *live_, tomorrow);
    EXPECT_NE(a->find("营口丁公司"), std::string::npos) << format;
    EXPECT_EQ(b->find("营口丁公司"), std::string::npos) << format;
    EXPECT_EQ(*b, Fresh(*snap_, *live_, tomorrow)) << format;
    EXPECT_EQ(cache.Get(*snap_, *live_, today), a) << format;  // kept, not made again
  }
  EXPECT_EQ(cache.made(), 4u);
}

TEST_F(ExpiryEdges, ListPageOmitsExpiredEntries) {
  using V = std::vector<std::string>;
  // Sorted ids. R-E counts (a list page is not a quarter's); R-C, R-F never.
  EXPECT_EQ(PageIds("2026-10-07"), (V{"L-1", "L-3", "R-A", "R-B", "R-D", "R-E", "R-G"}));
  EXPECT_EQ(PageIds("2026-10-08"), (V{"L-1", "L-3", "R-B", "R-D", "R-E", "R-G"}));
  EXPECT_EQ(PageIds("2026-10-31"), (V{"L-1", "L-3", "R-B", "R-D", "R-E", "R-G"}));
  EXPECT_EQ(PageIds("2026-11-01"), (V{"L-1", "L-3", "R-B", "R-D", "R-E"}));
  EXPECT_EQ(PageIds("2026-12-03"), (V{"L-1", "L-3", "R-B", "R-D", "R-E"}));
  EXPECT_EQ(PageIds("2026-12-04"), (V{"L-1", "R-B", "R-D", "R-E"}));
  EXPECT_EQ(PageIds("2026-12-05"), (V{"L-1", "R-B", "R-E"}));
  EXPECT_EQ(PageIds("2027-01-01"), (V{"R-B", "R-E"}));
  // L-1 before its publicity ended: not yet.
  EXPECT_EQ(PageIds("2026-05-09"), (V{"R-A", "R-B", "R-C", "R-D", "R-E"}));
  EXPECT_EQ(PageIds("2026-05-10"), (V{"L-1", "R-A", "R-B", "R-C", "R-D", "R-E"}));
}

// ---- Both routes through the Router ----

class ListRoute : public testing::RouterTest {
 protected:
  ListRoute() {
    SnapshotBuilder b;
    for (int i = 0; i < 120; ++i) {
      Entry e = TestEntry("B-" + std::to_string(1000 + i), ListKind::kBlack);
      e.subject_type = SubjectType::kNaturalPerson;
      e.name = "王小明";
      e.id_type = "居民身份证";
      e.id_number = IdKey(NthIdNumber(i));
      e.department = i % 2 ? "市税务局" : "市中级人民法院";
      e.memoranda = uint64_t{1} << 5;  // P06
      b.Add(e);
    }
    catalog_.Publish(b.Build(Today()));
    catalog_.PublishLive(std::make_shared<LiveOverlay>());
  }
};

TEST_F(ListRoute, PagesFiltersAndMasking) {
  Response r = Get("/v1/lists/black?page=2&page_size=50");
  ASSERT_EQ(r.status, 200u) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element j;
  ASSERT_EQ(parser.parse(r.body).get(j), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(j["list"]), "black");
  EXPECT_EQ(int64_t(j["page"]), 2);
  EXPECT_EQ(int64_t(j["page_size"]), 50);
  EXPECT_EQ(int64_t(j["total"]), 120);
  EXPECT_EQ(simdjson::dom::array(j["entries"]).size(), 50u);
  EXPECT_EQ(std::string_view(j["entries"].at(0)["entry_id"]), "B-1050");
  EXPECT_EQ(std::string_view(j["entries"].at(0)["name"]), "王**");
  EXPECT_EQ(r.body.find(NthIdNumber(50)), std::string::npos);
  // A token holder sees the whole number.
  r = Get("/v1/lists/black?page=2&page_size=50", "secret-token");
  EXPECT_NE(r.body.find(NthIdNumber(50)), std::string::npos);
  // Filters: a department (percent-encoded), a memorandum.
  r =
      Get("/v1/lists/black?department=%E5%B8%82%E7%A8%8E%E5%8A%A1%E5%B1%80&memorandum=P06&"
          "page_size=500");  // 市税务局
  ASSERT_EQ(parser.parse(r.body).get(j), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(j["total"]), 60);
  r = Get("/v1/lists/black?memorandum=P07");
  ASSERT_EQ(parser.parse(r.body).get(j), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(j["total"]), 0);
  r = Get("/v1/lists/red?department=nowhere");
  ASSERT_EQ(r.status, 200u);
  ASSERT_EQ(parser.parse(r.body).get(j), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(j["total"]), 0);
  EXPECT_EQ(simdjson::dom::array(j["entries"]).size(), 0u);
}

TEST_F(ListRoute, BadValuesAre400NamingTheField) {
  for (auto [target, field] :
       {std::pair{"/v1/lists/black?page=0", "page"}, std::pair{"/v1/lists/black?page=x", "page"},
        std::pair{"/v1/lists/black?page_size=501", "page_size"},
        std::pair{"/v1/lists/black?page_size=0", "page_size"},
        std::pair{"/v1/lists/black?memorandum=X99", "memorandum"},
        std::pair{"/v1/lists/green", "list"},
        std::pair{"/v1/publications/2026Q5?list=red", "quarter"},
        std::pair{"/v1/publications/2026Q3?list=watch", "list"},
        std::pair{"/v1/publications/2026Q3", "list"},
        std::pair{"/v1/publications/2026Q3?list=red&format=xls", "format"},
        std::pair{"/v1/publications/2026Q3?list=red&part=x", "part"}}) {
    Response r = Get(target);
    EXPECT_EQ(r.status, 400u) << target;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_NE(r.body.find(std::string(R"("field":")") + field + "\""), std::string::npos)
        << target << " " << r.body;
  }
  Request post;
  post.method = Method::kPost;
  post.target = "/v1/lists/black";
  Response res;
  router_.Handle(post, worker_, &res);
  EXPECT_EQ(res.status, 405u);
}

TEST_F(ListRoute, PublicationContentTypes) {
  Response r = Get("/v1/publications/2026Q3?list=black&format=csv");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_TRUE(r.body.starts_with("\xEF\xBB\xBF黑名单类型,"));
  r = Get("/v1/publications/2026q3?list=black&format=json");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
}

}  // namespace
}  // namespace credlist
