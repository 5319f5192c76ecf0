// Name search: normalisation (tests/cases/names.tsv), the index's exact and similar matches
// among many similar generated companies, the list filter, live entries beside the snapshot
// (engine/live.h), and GET /v1/search through the Router (masking of natural persons, errors,
// live entries).
#include "engine/name_search.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/snapshot.h"
#include "server/router.h"
#include "tests/case_table.h"
#include "tests/engine_test_util.h"
#include "tests/router_test_util.h"
#include "tools/generator.h"

namespace credlist {
namespace {

using testing::D;
using testing::IdKey;
using testing::NthIdNumber;
using testing::NthUscc;
using testing::ReadCases;
using testing::UsccKey;

TEST(NormaliseName, Table) {
  for (const auto& row : ReadCases("names.tsv")) {
    EXPECT_EQ(NormaliseName(row[0]), row[1]) << row.Where() << ": " << row[0];
    std::u32string cps;
    NormaliseNameTo(row[0], &cps);
    std::string utf8;
    for (char32_t c : cps) testing::AppendUtf8(c, &utf8);
    EXPECT_EQ(utf8, row[1]) << row.Where();                   // the code points are the same name
    EXPECT_EQ(NormaliseName(row[1]), row[1]) << row.Where();  // and it is a fixed point
  }
}

TEST(NormaliseName, InvalidUtf8IsDropped) {
  EXPECT_EQ(NormaliseName("营口\xff\xfe鑫华"), "营口鑫华");
  EXPECT_EQ(NormaliseName("营口\xe9\x91"), "营口");  // a truncated character
  EXPECT_EQ(NormaliseName("\xc0\xaf"), "");          // an overlong '/'
}

// An index over owned names (NameRecord holds views).
struct Names {
  std::vector<std::string> names;
  std::vector<ListKind> lists;
  std::unique_ptr<NameIndex> index;

  uint32_t Add(std::string name, ListKind list = ListKind::kBlack) {
    names.push_back(std::move(name));
    lists.push_back(list);
    return static_cast<uint32_t>(names.size() - 1);
  }
  void Build(unsigned threads = 1) {
    std::vector<NameRecord> records;
    for (size_t i = 0; i < names.size(); ++i)
      records.push_back(NameRecord{static_cast<uint32_t>(i), names[i], lists[i]});
    index = NameIndex::Build(records, threads);
  }
  std::vector<NameMatch> Search(std::string_view q, size_t limit = 10,
                                std::optional<ListKind> list = std::nullopt) const {
    NameSearchOptions o;
    o.limit = limit;
    o.list = list;
    return index->Search(q, o);
  }
};

TEST(NameIndex, ExactFirstThenSimilarByScore) {
  Names n;
  const uint32_t similar1 = n.Add("营口鑫华贸易有限责任公司");
  const uint32_t similar2 = n.Add("营口鑫盛贸易有限公司");
  const uint32_t exact = n.Add("营口鑫华贸易有限公司");
  n.Add("大石桥镁业有限公司");
  const uint32_t exact2 = n.Add("营口鑫华贸易有限公司 ");  // the same name, another entry
  n.Build();
  const auto r = n.Search("营口鑫华贸易有限公司");
  ASSERT_GE(r.size(), 4u);
  EXPECT_EQ(r[0].id, exact);
  EXPECT_EQ(r[1].id, exact2);
  for (int i : {0, 1}) {
    EXPECT_TRUE(r[i].exact);
    EXPECT_EQ(r[i].score, 1.0);
  }
  EXPECT_FALSE(r[2].exact);
  EXPECT_LT(r[2].score, 1.0);
  EXPECT_GE(r[2].score, r[3].score);
  std::vector<uint32_t> ids;
  for (const auto& m : r) ids.push_back(m.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), similar1), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), similar2), ids.end());
}

TEST(NameIndex, OtherBracketsAreTheSameName) {
  Names n;
  const uint32_t branch = n.Add("营口鑫华贸易有限公司（鲅鱼圈分公司）");
  n.Add("营口鑫华贸易有限公司");
  n.Build();
  for (const char* q :
       {"营口鑫华贸易有限公司(鲅鱼圈分公司)", "营口鑫华贸易有限公司 鲅鱼圈分公司",
        "营口鑫华贸易有限公司【鲅鱼圈分公司】", "营口鑫华贸易有限公司﹙鲅鱼圈分公司﹚"}) {
    const auto r = n.Search(q);
    ASSERT_FALSE(r.empty()) << q;
    EXPECT_EQ(r[0].id, branch) << q;
    EXPECT_TRUE(r[0].exact) << q;
  }
}

TEST(NameIndex, ShortNames) {
  Names n;
  const uint32_t zhang = n.Add("张", ListKind::kBlack);
  const uint32_t zhangsan = n.Add("张三", ListKind::kBlack);
  const uint32_t zhangsanfeng = n.Add("张三丰", ListKind::kBlack);
  n.Add("李四", ListKind::kBlack);
  n.Build();
  auto r = n.Search("张");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].id, zhang);
  EXPECT_TRUE(r[0].exact);
  r = n.Search("张三");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, zhangsan);
  EXPECT_EQ(r[1].id, zhangsanfeng);
  EXPECT_FALSE(r[1].exact);
  EXPECT_TRUE(n.Search("王").empty());
  EXPECT_TRUE(n.Search("（）").empty());
}

TEST(NameIndex, ListFilterAndAccept) {
  Names n;
  const uint32_t red = n.Add("营口守信建设有限公司", ListKind::kRed);
  const uint32_t black = n.Add("营口守信建设有限公司", ListKind::kBlack);
  const uint32_t watch_similar = n.Add("营口守信建设工程有限公司", ListKind::kWatch);
  n.Build();
  auto r = n.Search("营口守信建设有限公司", 10, ListKind::kRed);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].id, red);
  r = n.Search("营口守信建设有限公司", 10, ListKind::kWatch);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].id, watch_similar);
  EXPECT_FALSE(r[0].exact);
  NameSearchOptions o;
  o.accept = [red](uint32_t id) { return id != red; };
  r = n.index->Search("营口守信建设有限公司", o);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, black);
  EXPECT_EQ(r[1].id, watch_similar);
  o.limit = 1;
  EXPECT_EQ(n.index->Search("营口守信建设有限公司", o).size(), 1u);
}

// Replaces the character at `pos` (code points) of `name` with `with`.
std::string ReplaceChar(const std::string& name, size_t pos, std::u32string_view with) {
  std::u32string cps;
  NormaliseNameTo(name, &cps);
  std::u32string out = cps.substr(0, pos);
  out += with;
  out += cps.substr(pos + 1);
  std::string utf8;
  for (char32_t c : out) testing::AppendUtf8(c, &utf8);
  return utf8;
}

// Many similar generated companies (营口 + two 字号 characters + industry + 有限公司, a few
// hundred thousand combinations), each bidder asked with one character different at the start,
// in the middle and at the end, and with the brackets of the other keyboard.
class GeneratedNames : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new Names();
    GenerateEntries(60000, 7, [](const Entry& e) { data_->Add(e.name, e.list); });
    // Companies that differ from a bidder in one character, besides those generated.
    for (const char* s : {"营口鑫华贸易有限公司", "营口鑫盛贸易有限公司", "营口鑫华商贸有限公司",
                          "营口鑫华贸易有限责任公司", "营口金华贸易有限公司"})
      data_->Add(s);
    data_->Build(2);
  }
  static void TearDownTestSuite() { delete data_; }

  // The rank (0-based) of the first result with the normalised name `target`, or -1.
  static int RankOf(const std::vector<NameMatch>& r, const std::string& target) {
    for (size_t i = 0; i < r.size(); ++i)
      if (NormaliseName(data_->names[r[i].id]) == target) return static_cast<int>(i);
    return -1;
  }
  static Names* data_;
};
Names* GeneratedNames::data_ = nullptr;

TEST_F(GeneratedNames, OneCharacterDifferentIsInTheTopFive) {
  // Every 97th company with a name of at least 8 characters: about 400 bidders.
  int asked = 0, found = 0;
  for (size_t i = 0; i < data_->names.size(); i += 97) {
    const std::string target = NormaliseName(data_->names[i]);
    std::u32string cps;
    NormaliseNameTo(target, &cps);
    if (cps.size() < 8) continue;
    for (size_t pos : {size_t{0}, cps.size() / 2, cps.size() - 1}) {
      const std::string typo = ReplaceChar(target, pos, U"垚");
      const auto r = data_->Search(typo, 5);
      const int rank = RankOf(r, target);
      ++asked;
      if (rank >= 0) {
        ++found;
      } else {
        ADD_FAILURE() << "'" << typo << "' (for '" << target << "') missed: first result '"
                      << (r.empty() ? "" : data_->names[r[0].id]) << "'";
      }
    }
  }
  EXPECT_GT(asked, 300);
  EXPECT_EQ(found, asked);
}

TEST_F(GeneratedNames, OtherBracketsAreExact) {
  Names n;
  for (size_t i = 0; i < 2000; ++i) n.Add(data_->names[i]);
  // Registered with full-width brackets, asked with half-width ones, and the other way round.
  const uint32_t full = n.Add(data_->names[0] + "（鲅鱼圈分公司）");
  const uint32_t half = n.Add(data_->names[1] + "(站前分公司)");
  n.Build();
  auto r = n.Search(data_->names[0] + "(鲅鱼圈分公司)", 5);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].id, full);
  EXPECT_TRUE(r[0].exact);
  r = n.Search(data_->names[1] + "（站前分公司）", 5);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].id, half);
  EXPECT_TRUE(r[0].exact);
}

TEST_F(GeneratedNames, HandWrittenNeighbours) {
  // Asked right, 营口鑫华贸易有限公司 is first, exact.
  auto r = data_->Search("营口鑫华贸易有限公司", 5);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(NormaliseName(data_->names[r[0].id]), "营口鑫华贸易有限公司");
  EXPECT_TRUE(r[0].exact);
  // A mistyped suffix or a dropped character: first.
  for (const char* q : {"营口鑫华贸易有线公司", "营口鑫华贸易有限公", "营口鑫华贸易有限公司司"}) {
    r = data_->Search(q, 5);
    EXPECT_EQ(RankOf(r, "营口鑫华贸易有限公司"), 0) << q;
  }
  // 字号 mistyped: every 营口鑫?贸易有限公司 is one character away, as far as the query can tell
  // (the data has seven); the bidder has the best score, tied with them.
  r = data_->Search("营口鑫化贸易有限公司", 10);
  const int rank = RankOf(r, "营口鑫华贸易有限公司");
  ASSERT_GE(rank, 0);
  EXPECT_EQ(r[rank].score, r[0].score);
}

TEST_F(GeneratedNames, ParallelBuildIsTheSame) {
  std::vector<NameRecord> records;
  for (size_t i = 0; i < 20000; ++i)
    records.push_back(NameRecord{static_cast<uint32_t>(i), data_->names[i], data_->lists[i]});
  auto one = NameIndex::Build(records, 1);
  auto four = NameIndex::Build(records, 4);
  EXPECT_EQ(one->size(), four->size());
  EXPECT_EQ(one->distinct_names(), four->distinct_names());
  EXPECT_EQ(one->Memory().posting_entries, four->Memory().posting_entries);
  NameSearchOptions o;
  o.limit = 20;
  for (size_t i = 0; i < records.size(); i += 501) {
    const std::string q = ReplaceChar(data_->names[i], 1, U"垚");
    const auto a = one->Search(q, o);
    const auto b = four->Search(q, o);
    ASSERT_EQ(a.size(), b.size()) << q;
    for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].score, b[k].score) << q;
  }
}

// Budget and bounds: a query whose rarest bigrams are common still answers, best first.
TEST_F(GeneratedNames, CommonBigramsAnswerBestFirst) {
  for (const char* q : {"有限公司", "营口贸易有限公司", "公司"}) {
    const auto r = data_->Search(q, 50);
    EXPECT_EQ(r.size(), 50u) << q;
    for (size_t k = 1; k < r.size(); ++k)
      EXPECT_TRUE(r[k - 1].exact || r[k - 1].score >= r[k].score) << q << " at " << k;
  }
}

// The live overlay (engine/live.h): a snapshot, and live entries beside it.
class LiveSearch : public ::testing::Test {
 protected:
  LiveSearch() {
    SnapshotBuilder b;
    b.Add(Company("R-1", ListKind::kRed, "营口守信建设有限公司", 1));
    b.Add(Company("B-1", ListKind::kBlack, "营口鑫华贸易有限公司", 2));
    b.Add(Company("B-2", ListKind::kBlack, "营口鑫盛贸易有限公司", 3));
    snap_ = b.Build(today_);
    names_ = NameIndex::Build(*snap_, 1);
  }

  Entry Company(std::string id, ListKind list, std::string name, int n) {
    Entry e;
    e.entry_id = std::move(id);
    e.list = list;
    e.category = list == ListKind::kRed ? "纳税信用A级纳税人" : "失信被执行人";
    e.name = std::move(name);
    e.uscc = UsccKey(NthUscc(n));
    e.decided_on = e.valid_from = D("2025-01-01");
    return e;
  }
  // Publishes `entries` as the live overlay (base_index as the snapshot has it).
  void Live(std::vector<LiveEntry> entries) {
    OverlayEditor editor(std::make_shared<const LiveOverlay>());
    for (LiveEntry& e : entries) {
      e.base_index = snap_->FindEntry(e.entry.entry_id);
      editor.Put(std::make_shared<const LiveEntry>(std::move(e)));
    }
    live_ = LiveNames::Build(editor.Finish());
  }
  std::vector<SearchHit> Search(std::string_view q, bool anyone, size_t limit = 10) {
    NameSearchOptions o;
    o.limit = limit;
    return SearchNames(*snap_, *names_, live_.get(), q, o,
                       anyone ? std::optional<Day>(today_) : std::nullopt);
  }
  static std::string IdOf(const Snapshot& snap, const SearchHit& h) {
    return h.live ? h.live->entry.entry_id
                  : std::string(snap.str(snap.record(h.match.id).entry_id()));
  }
  std::vector<std::string> Ids(const std::vector<SearchHit>& hits) const {
    std::vector<std::string> ids;
    for (const SearchHit& h : hits) ids.push_back(IdOf(*snap_, h));
    return ids;
  }

  const Day today_ = D("2026-11-01");
  std::shared_ptr<const Snapshot> snap_;
  std::unique_ptr<NameIndex> names_;
  std::shared_ptr<const LiveNames> live_;
};

TEST_F(LiveSearch, NoOverlayIsTheSnapshotAlone) {
  auto hits = Search("营口鑫华贸易有限公司", true);
  // (营口守信建设有限公司 shares only common bigrams: not a candidate.)
  EXPECT_EQ(Ids(hits), (std::vector<std::string>{"B-1", "B-2"}));
  EXPECT_TRUE(hits[0].match.exact);
  EXPECT_EQ(hits[0].live, nullptr);
  Live({});
  EXPECT_EQ(live_->names, nullptr);
  EXPECT_EQ(Ids(Search("营口鑫华贸易有限公司", true)), Ids(hits));
}

TEST_F(LiveSearch, LiveEntriesAreSearchedAndCountOnlyInForce) {
  LiveEntry in_force;
  in_force.entry = Company("B-9", ListKind::kBlack, "营口鑫华物流有限公司", 9);
  in_force.entry.state = State::kInForce;
  in_force.entry.in_force_on = D("2026-10-21");
  LiveEntry submitted;
  submitted.entry = Company("B-10", ListKind::kBlack, "营口鑫华物流有限公司", 10);
  submitted.entry.state = State::kSubmitted;
  Live({in_force, submitted});

  // Anyone: the one in force, exact and first; the submitted one not at all.
  auto hits = Search("营口鑫华物流有限公司", true);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(IdOf(*snap_, hits[0]), "B-9");
  ASSERT_NE(hits[0].live, nullptr);
  EXPECT_TRUE(hits[0].match.exact);
  const auto ids = Ids(hits);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "B-10"), 0);
  // Similar names of both sources, merged by score: for 营口鑫华贸易有限公司, 营口鑫盛贸易有限公司
  // (the snapshot's, 7 bigrams shared) before the live 营口鑫华物流有限公司 (6).
  hits = Search("营口鑫华贸易有限公司", true);
  EXPECT_EQ(Ids(hits), (std::vector<std::string>{"B-1", "B-2", "B-9"}));
  for (size_t k = 1; k < hits.size(); ++k) EXPECT_GE(hits[k - 1].match.score, hits[k].match.score);
  // A token holder: both live entries, exact (one name: in entry_id order).
  hits = Search("营口鑫华物流有限公司", false);
  ASSERT_GE(hits.size(), 2u);
  EXPECT_EQ(IdOf(*snap_, hits[0]), "B-10");
  EXPECT_EQ(IdOf(*snap_, hits[1]), "B-9");
  EXPECT_TRUE(hits[0].match.exact && hits[1].match.exact);
  // The limit holds over both.
  EXPECT_EQ(Search("营口鑫华物流有限公司", false, 1).size(), 1u);
  // The list filter applies to live entries too.
  NameSearchOptions o;
  o.list = ListKind::kRed;
  for (const SearchHit& h :
       SearchNames(*snap_, *names_, live_.get(), "营口鑫华物流有限公司", o, std::nullopt))
    EXPECT_EQ(h.live, nullptr);
}

TEST_F(LiveSearch, SupersededSnapshotEntriesAreReturnedInTheirLiveVersion) {
  // B-1 exited through the life cycle; R-1 renamed by a correction.
  LiveEntry exited;
  exited.entry = snap_->ToEntry(static_cast<uint32_t>(snap_->FindEntry("B-1")));
  exited.entry.state = State::kExited;
  exited.entry.exit_reason = ExitReason::kRepaired;
  exited.entry.exited_on = D("2026-10-01");
  LiveEntry renamed;
  renamed.entry = snap_->ToEntry(static_cast<uint32_t>(snap_->FindEntry("R-1")));
  renamed.entry.name = "营口诚信建设有限公司";
  Live({exited, renamed});

  // Anyone: B-1 no longer counts, in neither version.
  auto hits = Search("营口鑫华贸易有限公司", true);
  for (const std::string& id : Ids(hits)) EXPECT_NE(id, "B-1");
  // A token holder: B-1 once, its live version.
  hits = Search("营口鑫华贸易有限公司", false);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(IdOf(*snap_, hits[0]), "B-1");
  ASSERT_NE(hits[0].live, nullptr);
  EXPECT_EQ(hits[0].live->entry.state, State::kExited);
  const auto ids = Ids(hits);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "B-1"), 1);
  // R-1 is found by its new name, exact, and not by its old one.
  hits = Search("营口诚信建设有限公司", true);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(IdOf(*snap_, hits[0]), "R-1");
  EXPECT_TRUE(hits[0].match.exact);
  ASSERT_NE(hits[0].live, nullptr);
  hits = Search("营口守信建设有限公司", true);
  for (const SearchHit& h : hits) EXPECT_FALSE(h.match.exact);
}

// The public search (a day given) finds an entry up to the day before its valid_until and not
// from that day: a loaded entry, a live one in force, one confirmed by itself after its
// publicity, and a live one exited on that day. Expected by hand.
TEST_F(LiveSearch, SearchOmitsExpiredEntries) {
  SnapshotBuilder b;
  Entry loaded = Company("B-EXP-1", ListKind::kBlack, "营口到期建材有限公司", 31);
  loaded.valid_until = D("2026-10-08");  // last day 2026-10-07
  b.Add(loaded);
  snap_ = b.Build(D("2026-10-07"));
  names_ = NameIndex::Build(*snap_, 1);
  LiveEntry in_force;
  in_force.entry = Company("B-EXP-2", ListKind::kBlack, "营口到期物流有限公司", 32);
  in_force.entry.in_force_on = D("2025-02-01");
  in_force.entry.valid_until = D("2026-10-08");
  LiveEntry by_itself;
  by_itself.entry = Company("B-EXP-3", ListKind::kBlack, "营口到期运输有限公司", 33);
  by_itself.entry.state = State::kPublicity;
  by_itself.publicity_from = D("2025-01-02");
  by_itself.publicity_until = D("2025-01-10");
  by_itself.entry.valid_until = D("2026-10-08");
  LiveEntry exited;
  exited.entry = Company("B-EXP-4", ListKind::kBlack, "营口到期仓储有限公司", 34);
  exited.entry.state = State::kExited;
  exited.entry.exit_reason = ExitReason::kRepaired;
  exited.entry.exited_on = D("2026-10-08");
  Live({in_force, by_itself, exited});

  const char* const names[] = {"营口到期建材有限公司", "营口到期物流有限公司",
                               "营口到期运输有限公司", "营口到期仓储有限公司"};
  const char* const ids[] = {"B-EXP-1", "B-EXP-2", "B-EXP-3", "B-EXP-4"};
  for (const auto& [day, found] : {std::pair{"2026-10-07", true}, std::pair{"2026-10-08", false},
                                   std::pair{"2026-10-09", false}}) {
    for (size_t k = 0; k < 4; ++k) {
      NameSearchOptions o;
      o.limit = 10;
      const std::vector<SearchHit> hits =
          SearchNames(*snap_, *names_, live_.get(), names[k], o, D(day));
      const bool got = std::any_of(hits.begin(), hits.end(),
                                   [&](const SearchHit& h) { return IdOf(*snap_, h) == ids[k]; });
      EXPECT_EQ(got, found) << ids[k] << " on " << day;
      if (!found) {
        EXPECT_TRUE(hits.empty()) << names[k] << " on " << day;  // nor similar ones
      }
    }
  }
}

// GET /v1/search through the Router: the snapshot published, an index built beside it.
class SearchRoute : public testing::RouterTest {
 protected:
  SearchRoute() {
    SnapshotBuilder b;
    Entry person;
    person.entry_id = "B-1";
    person.list = ListKind::kBlack;
    person.category = "失信被执行人";
    person.subject_type = SubjectType::kNaturalPerson;
    person.name = "欧阳修文";
    person.id_type = "居民身份证";
    person.id_number = IdKey(NthIdNumber(7));
    person.decided_on = person.valid_from = D("2024-01-01");
    b.Add(person);
    Entry expired = person;
    expired.entry_id = "B-2";
    expired.name = "欧阳修武";
    expired.id_number = IdKey(NthIdNumber(8));
    expired.valid_until = D("2024-06-01");
    b.Add(expired);
    Entry company;
    company.entry_id = "R-1";
    company.list = ListKind::kRed;
    company.category = "纳税信用A级纳税人";
    company.name = "营口守信建设有限公司";
    company.uscc = UsccKey(NthUscc(3));
    company.legal_rep = "李四";
    company.legal_rep_id = IdKey(NthIdNumber(9));
    company.decided_on = company.valid_from = D("2025-01-01");
    b.Add(company);
    catalog_.Publish(b.Build(Today()));
  }

  simdjson::dom::element Json(const std::string& text) {
    keep_ = text;
    simdjson::dom::element e;
    EXPECT_EQ(parser_.parse(keep_).get(e), simdjson::SUCCESS) << text;
    return e;
  }

  simdjson::dom::parser parser_;
  std::string keep_;
};

std::string Str(simdjson::dom::element e) {
  std::string_view s;
  return e.get_string().get(s) ? "<not a string>" : std::string(s);
}

TEST_F(SearchRoute, AnyoneSeesNaturalPersonsMaskedAndInForceOnly) {
  Response r = Get("/v1/search?name=%E6%AC%A7%E9%98%B3%E4%BF%AE%E6%96%87");  // 欧阳修文
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = Json(r.body);
  EXPECT_EQ(Str(j["name"]), "欧阳修文");
  simdjson::dom::array results = j["results"].get_array();
  ASSERT_EQ(results.size(), 1u) << r.body;  // 欧阳修武's entry has expired
  EXPECT_EQ(Str(results.at(0)["match"]), "exact");
  EXPECT_EQ(double(results.at(0)["score"]), 1.0);
  EXPECT_EQ(Str(results.at(0)["name"]), "欧***");
  const std::string id = NthIdNumber(7);
  EXPECT_EQ(Str(results.at(0)["id_number"]), id.substr(0, 6) + "********" + id.substr(14));
  EXPECT_EQ(r.body.find("欧阳修文\",\"uscc"), std::string::npos);

  // A token holder sees every entry, unmasked.
  r = Get("/v1/search?name=欧阳修文", "secret-token");
  ASSERT_EQ(r.status, 200u) << r.body;
  j = Json(r.body);
  results = j["results"].get_array();
  ASSERT_EQ(results.size(), 2u) << r.body;
  EXPECT_EQ(Str(results.at(0)["name"]), "欧阳修文");
  EXPECT_EQ(Str(results.at(0)["id_number"]), id);
  EXPECT_EQ(Str(results.at(1)["name"]), "欧阳修武");
  EXPECT_EQ(Str(results.at(1)["match"]), "similar");
  EXPECT_LT(double(results.at(1)["score"]), 1.0);
}

TEST_F(SearchRoute, CompanyWithBracketsAndLegalRepMasked) {
  Response r = Get("/v1/search?name=营口守信建设有限公司（）&list=red&limit=1");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = Json(r.body);
  simdjson::dom::array results = j["results"].get_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(Str(results.at(0)["entry_id"]), "R-1");
  EXPECT_EQ(Str(results.at(0)["name"]), "营口守信建设有限公司");
  EXPECT_EQ(Str(results.at(0)["legal_rep"]), "李*");
  r = Get("/v1/search?name=营口守信建设有限公司&list=black");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Json(r.body)["results"].get_array().size(), 0u);
}

TEST_F(SearchRoute, LiveEntriesAreSearchedAtOnce) {
  ASSERT_EQ(Get("/v1/search?name=营口守信建设有限公司").status, 200u);  // the indexes are built
  // A new entry in force, and R-1 exited: published as the life cycle's writer does.
  OverlayEditor editor(catalog_.CurrentLive());
  auto added = std::make_shared<LiveEntry>();
  added->entry.entry_id = "B-LIVE-1";
  added->entry.list = ListKind::kBlack;
  added->entry.category = "失信被执行人";
  added->entry.name = "营口新立物流有限公司";
  added->entry.uscc = UsccKey(NthUscc(50));
  added->entry.decided_on = added->entry.valid_from = D("2025-06-01");
  added->entry.in_force_on = D("2025-06-20");
  editor.Put(added);
  const std::shared_ptr<const Snapshot> snap = catalog_.Current();
  auto exited = std::make_shared<LiveEntry>();
  exited->base_index = snap->FindEntry("R-1");
  exited->entry = snap->ToEntry(static_cast<uint32_t>(exited->base_index));
  exited->entry.state = State::kExited;
  exited->entry.exit_reason = ExitReason::kRepaired;
  exited->entry.exited_on = D("2025-12-01");
  editor.Put(exited);
  catalog_.PublishLive(editor.Finish());

  // No wait: the first search after the write sees it.
  Response r = Get("/v1/search?name=营口新立物流有限公司");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = Json(r.body);
  simdjson::dom::array results = j["results"].get_array();
  ASSERT_GE(results.size(), 1u) << r.body;
  EXPECT_EQ(Str(results.at(0)["entry_id"]), "B-LIVE-1");
  EXPECT_EQ(Str(results.at(0)["match"]), "exact");
  EXPECT_EQ(Str(results.at(0)["state"]), "in_force");
  // R-1 no longer counts: anyone does not find it; a token holder finds its live version.
  r = Get("/v1/search?name=营口守信建设有限公司");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body.find("R-1"), std::string::npos) << r.body;
  r = Get("/v1/search?name=营口守信建设有限公司", "secret-token");
  ASSERT_EQ(r.status, 200u) << r.body;
  results = Json(r.body)["results"].get_array();
  ASSERT_GE(results.size(), 1u) << r.body;
  EXPECT_EQ(Str(results.at(0)["entry_id"]), "R-1");
  EXPECT_EQ(Str(results.at(0)["state"]), "exited");
  EXPECT_EQ(r.body.find("R-1"), r.body.rfind("R-1")) << r.body;  // once
}

TEST_F(SearchRoute, BadInputNamesTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/search", "name"},
      {"/v1/search?name=", "name"},
      {"/v1/search?name=%EF%BC%88%EF%BC%89", "name"},  // （）: nothing to search for
      {"/v1/search?name=%FF%FE", "name"},              // not UTF-8
      {"/v1/search?name=a&list=grey", "list"},
      {"/v1/search?name=a&limit=0", "limit"},
      {"/v1/search?name=a&limit=101", "limit"},
      {"/v1/search?name=a&limit=ten", "limit"},
      {"/v1/search?name=a&limit=-1", "limit"},
  };
  for (auto [target, field] : cases) {
    Response r = Get(target);
    EXPECT_EQ(r.status, 400u) << target;
    EXPECT_EQ(r.content_type, "application/problem+json") << target;
    EXPECT_NE(r.body.find(std::string("\"field\":\"") + field + "\""), std::string::npos)
        << target << ": " << r.body;
  }
  Request post;
  post.method = Method::kPost;
  post.target = "/v1/search?name=a";
  Response res;
  router_.Handle(post, worker_, &res);
  EXPECT_EQ(res.status, 405u);
}

TEST_F(SearchRoute, LimitDefaultsToTenAndANewSnapshotIsSearched) {
  ASSERT_EQ(Get("/v1/search?name=营口鑫华贸易有限公司").status, 200u);  // the first index
  SnapshotBuilder b;
  for (int i = 0; i < 30; ++i) {
    Entry e;
    e.entry_id = "B-" + std::to_string(i);
    e.category = "失信被执行人";
    e.name = "营口鑫华贸易有限公司";
    e.uscc = UsccKey(NthUscc(100 + i));
    e.decided_on = e.valid_from = D("2025-01-01");
    b.Add(e);
  }
  catalog_.Publish(b.Build(Today()));
  // The watcher builds the new index within ~100 ms; until then the old pair answers.
  for (int tries = 0; tries < 100; ++tries) {
    Response r = Get("/v1/search?name=营口鑫华贸易有限公司");
    ASSERT_EQ(r.status, 200u) << r.body;
    if (Json(r.body)["results"].get_array().size() == 10u) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "the new snapshot was not searched within 5 s";
}

}  // namespace
}  // namespace credlist
