// The policy catalogue (engine/policy.h): the shipped data/ against the seed's 附件 2 and 3, the
// measures a check lists, and bad files reported with their file, line, field and reason.
#include "engine/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace credlist {
namespace {

std::shared_ptr<const Policy> Shipped() {
  static std::shared_ptr<const Policy> p = [] {
    PolicyError e;
    auto policy = Policy::Load(std::string(CREDLIST_SOURCE_DIR) + "/data", &e);
    EXPECT_NE(policy, nullptr) << e.ToStatus().ToString();
    return policy;
  }();
  return p;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string DataFile(const char* name) {
  return ReadFile(std::string(CREDLIST_SOURCE_DIR) + "/data/" + name);
}

std::vector<std::string> MeasureIds(const Policy& p, const std::vector<uint16_t>& found) {
  std::vector<std::string> ids;
  for (uint16_t i : found) ids.push_back(p.measures()[i].id);
  return ids;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PolicyData, MemorandaCountsAndOrder) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->CountMemoranda(MemorandumKind::kPunish), 43);
  EXPECT_EQ(p->CountMemoranda(MemorandumKind::kReward), 5);
  EXPECT_EQ(p->CountMemoranda(MemorandumKind::kJoint), 3);
  ASSERT_EQ(p->memoranda().size(), 51u);
  for (int i = 0; i < 51; ++i) {
    const Memorandum& m = p->memoranda()[i];
    EXPECT_EQ(m.index, i);
    EXPECT_EQ(m.id, MemorandumId(i));  // P01..P43, R01..R05, J01..J03: the bits of entry.h
    EXPECT_EQ(ParseMemorandumId(m.id), i);
    EXPECT_FALSE(m.title.empty());
    EXPECT_FALSE(m.doc_no.empty());
  }
  EXPECT_EQ(p->memoranda()[42].id, "P43");
  EXPECT_EQ(p->memoranda()[43].id, "R01");
  EXPECT_EQ(p->memoranda()[48].id, "J01");
  EXPECT_EQ(p->memoranda()[50].number, 3);
}

// 文号 and titles as the seed prints them, its half-width brackets and stray spaces included.
TEST(PolicyData, DocumentNumbersAsInTheSeed) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  const std::pair<const char*, const char*> cases[] = {
      {"P01", "文明办〔2014〕4号"},      {"P02", "法〔2014〕266号"},
      {"P06", "发改财金〔2016〕141号"},  {"P09", "发改财金〔2016〕285号"},
      {"P20", "发改运行(2017)946号"},    {"P26", "发改外资 (2017)1894号"},
      {"P34", "发改法规〔2018〕457号"},  {"P41", "发改财金〔2018〕1777 号"},
      {"P43", "发改财金〔2018〕1933号"}, {"R01", "发改财金〔2016〕1467 号"},
      {"R05", "发改财金〔2018〕377 号"}, {"J01", "发改财金〔2017〕844 号"},
      {"J03", "发改财金〔2018〕331 号"},
  };
  for (auto [id, doc_no] : cases) {
    const Memorandum* m = p->FindMemorandum(id);
    ASSERT_NE(m, nullptr) << id;
    EXPECT_EQ(m->doc_no, doc_no) << id;
  }
  EXPECT_EQ(p->FindMemorandum("P06")->title,
            "关于印发《关于对失信被执行人实施联合惩戒措施合作备忘录》的通知");
  // A title broken over a page of the seed, joined.
  EXPECT_EQ(p->FindMemorandum("P20")->title,
            "印发《关于对电力行业严重违法失信市场主体及其有关人员实施联合惩戒的合作备忘录》的通知");
  EXPECT_EQ(p->FindMemorandum("R01")->title,
            "关于对纳税信用 A 级纳税人实施联合激励措施的合作备忘录");
}

// Every title and 文号 checked against the seed's 附件 3 (rows broken over a page are joined the
// way data/memoranda.tsv joins them). The seed is read from CREDLIST_SEED, else from
// ../shared/seed beside the source tree, where the project's documents live.
TEST(PolicyData, EveryMemorandumAgainstTheSeedFile) {
  std::string seed_path =
      std::string(CREDLIST_SOURCE_DIR) + "/../shared/seed/000_7bffd667d1eba6e5.txt";
  if (const char* env = std::getenv("CREDLIST_SEED")) seed_path = env;
  if (!std::ifstream(seed_path).good())
    GTEST_SKIP() << "no seed text at " << seed_path << ": set CREDLIST_SEED";
  const std::string seed = ReadFile(seed_path);
  const size_t start = seed.find("附件 3\n");
  ASSERT_NE(start, std::string::npos);
  std::vector<std::pair<std::string, std::string>> rows;  // title, doc_no in the seed's order
  std::istringstream lines(seed.substr(start));
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '\t')) f.push_back(field);
    if (f.size() < 2 || f[0] == "序号") continue;
    if (f.size() == 2) f.push_back("");
    if (f[0].empty()) {  // the rest of the row above, after a page break
      rows.back().first += f[1];
      rows.back().second += f[2];
    } else {
      rows.emplace_back(f[1], f[2]);
    }
  }
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(rows.size(), p->memoranda().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(p->memoranda()[i].title, rows[i].first) << p->memoranda()[i].id;
    EXPECT_EQ(p->memoranda()[i].doc_no, rows[i].second) << p->memoranda()[i].id;
  }
}

// 附件 2 (各相关部门职责清单) numbers 28 duties.
TEST(PolicyData, TwentyEightDuties) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->duties().size(), 28u);
  for (size_t i = 0; i < p->duties().size(); ++i) EXPECT_EQ(p->duties()[i].number, int(i) + 1);
  const Duty& court = p->duties()[3];
  EXPECT_EQ(court.departments, std::vector<std::string>{"市中级人民法院"});
  EXPECT_TRUE(court.memoranda >> *ParseMemorandumId("P06") & 1u);
  EXPECT_EQ(p->duties()[22].departments, (std::vector<std::string>{"营口海关", "鲅鱼圈海关"}));
  EXPECT_TRUE(p->duties()[0].text.starts_with("市信用办牵头负责"));
  // Every duty's text is as printed: it names its first department.
  for (const Duty& d : p->duties()) EXPECT_TRUE(d.text.starts_with(d.departments[0])) << d.number;
  const auto tax = p->LeadsOf(*ParseMemorandumId("P15"));
  EXPECT_EQ(tax, std::vector<std::string_view>{"市税务局"});
  EXPECT_EQ(p->departments().size(), 30u);  // duties 23 and 28 name two each
}

TEST(PolicyData, EveryMemorandumHasMeasuresAndTheSeedsOwnArePresent) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  for (const Memorandum& m : p->memoranda()) {
    const bool any = std::any_of(p->measures().begin(), p->measures().end(),
                                 [&](const Measure& x) { return x.memorandum == m.index; });
    EXPECT_TRUE(any) << m.id << " has no measure";
  }
  // 四(三), in the seed's words.
  const std::pair<const char*, MeasureKind> general[] = {
      {"建立行政审批“绿色通道”", MeasureKind::kReward},
      {"优先提供公共服务", MeasureKind::kReward},
      {"优化行政监管安排", MeasureKind::kReward},
      {"降低市场交易成本", MeasureKind::kReward},
      {"依法依规采取行政性约束和惩戒", MeasureKind::kPunish},
      {"依法依规采取市场性约束和惩戒", MeasureKind::kPunish},
      {"依法依规采取行业性约束和惩戒", MeasureKind::kPunish},
      {"依法依规采取社会性约束和惩戒", MeasureKind::kPunish},
      {"约谈警示", MeasureKind::kWatch},
      {"审慎办理", MeasureKind::kWatch},
      {"约束限制", MeasureKind::kWatch},
  };
  for (auto [text, kind] : general) {
    const auto it = std::find_if(p->measures().begin(), p->measures().end(), [&](const Measure& m) {
      return m.memorandum == kGeneralMeasure && m.text == text;
    });
    ASSERT_NE(it, p->measures().end()) << text;
    EXPECT_EQ(it->kind, kind) << text;
  }
}

TEST(PolicyData, MeasuresByScenario) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  const int procurement = *ScenarioIndex("procurement");
  const auto in = p->MeasuresIn(procurement);
  EXPECT_FALSE(in.empty());
  for (const Measure* m : in) EXPECT_TRUE(m->AppliesIn(procurement)) << m->id;
  EXPECT_TRUE(
      std::any_of(in.begin(), in.end(), [](const Measure* m) { return m->id == "P06-03"; }));
  EXPECT_FALSE(
      std::any_of(in.begin(), in.end(), [](const Measure* m) { return m->id == "P06-08"; }));
  EXPECT_EQ(p->MeasuresIn(-1).size(), p->measures().size());
  for (std::string_view s : kScenarios) EXPECT_FALSE(p->MeasuresIn(*ScenarioIndex(s)).empty()) << s;
  EXPECT_FALSE(ScenarioIndex("lottery").has_value());
}

TEST(PolicyApply, BlackEntryGetsItsMemorandumAndGeneralPunishMeasures) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  const uint64_t p06 = uint64_t{1} << *ParseMemorandumId("P06");
  std::vector<uint16_t> found;
  p->AppendForEntry(*ScenarioIndex("procurement"), ListKind::kBlack, p06, &found);
  const auto ids = MeasureIds(*p, found);
  EXPECT_TRUE(Contains(ids, "P06-03"));   // 限制参与政府采购活动
  EXPECT_TRUE(Contains(ids, "G-P02"));    // 市场性约束和惩戒
  EXPECT_FALSE(Contains(ids, "P06-08"));  // 限制高消费: not a procurement measure
  EXPECT_FALSE(Contains(ids, "G-R04"));
  for (uint16_t i : found) EXPECT_EQ(p->measures()[i].kind, MeasureKind::kPunish);
  // No memoranda: the general measures alone.
  found.clear();
  p->AppendForEntry(*ScenarioIndex("procurement"), ListKind::kBlack, 0, &found);
  for (uint16_t i : found) EXPECT_EQ(p->measures()[i].memorandum, kGeneralMeasure);
  EXPECT_FALSE(found.empty());
}

TEST(PolicyApply, KindFollowsTheList) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  const uint64_t j02 = uint64_t{1} << *ParseMemorandumId("J02");
  const int inspection = *ScenarioIndex("inspection");
  std::vector<uint16_t> red, black, watch;
  p->AppendForEntry(inspection, ListKind::kRed, j02, &red);
  p->AppendForEntry(inspection, ListKind::kBlack, j02, &black);
  p->AppendForEntry(inspection, ListKind::kWatch, 0, &watch);
  EXPECT_TRUE(Contains(MeasureIds(*p, red), "J02-R1"));
  EXPECT_TRUE(Contains(MeasureIds(*p, red), "G-R03"));
  EXPECT_TRUE(Contains(MeasureIds(*p, black), "J02-P1"));
  EXPECT_FALSE(Contains(MeasureIds(*p, black), "J02-R1"));
  EXPECT_TRUE(Contains(MeasureIds(*p, watch), "G-W02"));  // 约谈警示
  EXPECT_TRUE(Contains(MeasureIds(*p, watch), "G-W05"));
}

TEST(PolicyApply, SubjectMeasuresOnceAndNoRewardWhileBlack) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  const int procurement = *ScenarioIndex("procurement");
  SubjectLists two_black;  // two black entries under P06: each measure once
  two_black.Add(ListKind::kBlack, uint64_t{1} << *ParseMemorandumId("P06"));
  two_black.Add(ListKind::kBlack, uint64_t{1} << *ParseMemorandumId("P06"));
  std::vector<uint16_t> found;
  p->AppendForSubject(procurement, two_black, &found);
  auto sorted = found;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());

  SubjectLists conflict;  // red and black at once: punished, not rewarded
  conflict.Add(ListKind::kRed, uint64_t{1} << *ParseMemorandumId("R01"));
  conflict.Add(ListKind::kBlack, uint64_t{1} << *ParseMemorandumId("P15"));
  found.clear();
  p->AppendForSubject(procurement, conflict, &found);
  EXPECT_FALSE(found.empty());
  for (uint16_t i : found) EXPECT_NE(p->measures()[i].kind, MeasureKind::kReward);

  SubjectLists red;
  red.Add(ListKind::kRed, uint64_t{1} << *ParseMemorandumId("R01"));
  found.clear();
  p->AppendForSubject(procurement, red, &found);
  EXPECT_TRUE(Contains(MeasureIds(*p, found), "R01-04"));

  found.clear();
  p->AppendForSubject(procurement, SubjectLists{}, &found);  // clear: nothing
  EXPECT_TRUE(found.empty());
}

// The pre-encoded JSON lists the same measures, in the same order, as AppendForSubject.
TEST(PolicyApply, SubjectJsonMatchesTheMeasures) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  std::vector<SubjectLists> subjects(4);
  subjects[0].Add(ListKind::kBlack, (uint64_t{1} << *ParseMemorandumId("P06")) |
                                        (uint64_t{1} << *ParseMemorandumId("P31")));
  subjects[1].Add(ListKind::kRed, uint64_t{1} << *ParseMemorandumId("J03"));
  subjects[2].Add(ListKind::kWatch, uint64_t{1} << *ParseMemorandumId("P04"));
  subjects[2].Add(ListKind::kBlack, uint64_t{1} << *ParseMemorandumId("J03"));
  subjects[2].Add(ListKind::kRed, uint64_t{1} << *ParseMemorandumId("R01"));
  for (int s = 0; s < kScenarioCount; ++s) {
    for (const SubjectLists& lists : subjects) {
      std::vector<uint16_t> found;
      p->AppendForSubject(s, lists, &found);
      std::string expected;
      for (uint16_t i : found) {
        const Measure& m = p->measures()[i];
        if (!expected.empty()) expected += ',';
        expected +=
            "{\"measure_id\":\"" + m.id + "\",\"memorandum\":" +
            (m.memorandum == kGeneralMeasure ? std::string("null")
                                             : "\"" + p->memoranda()[m.memorandum].id + "\"") +
            ",\"kind\":\"" + std::string(MeasureKindName(m.kind)) + "\",\"text\":\"" + m.text +
            "\"}";
      }
      std::string json;
      p->AppendSubjectJson(s, lists, &json);
      EXPECT_EQ(json, expected) << kScenarios[s];
    }
  }
}

TEST(PolicyParse, WithMeasuresSwapsOnlyTheMeasures) {
  auto p = Shipped();
  ASSERT_NE(p, nullptr);
  PolicyError e;
  auto next = p->WithMeasures(
      "measure_id\tmemorandum\tkind\tscenarios\ttext\r\n"
      "# a comment\r\n"
      "\r\n"
      "X-1\tP06\tpunish\tprocurement, bidding\t限制参与政府采购活动\r\n"
      "X-2\tgeneral\twatch\tall\t约谈警示\r\n",
      &e);
  ASSERT_NE(next, nullptr) << e.ToStatus().ToString();
  EXPECT_EQ(next->measures().size(), 2u);
  EXPECT_EQ(next->measures()[1].scenarios, (1u << kScenarioCount) - 1);
  EXPECT_EQ(next->memoranda().size(), 51u);
  EXPECT_EQ(next->duties().size(), 28u);
  EXPECT_GT(p->measures().size(), 2u);  // the old one is unchanged
  std::vector<uint16_t> found;
  next->AppendForEntry(*ScenarioIndex("bidding"), ListKind::kBlack,
                       uint64_t{1} << *ParseMemorandumId("P06"), &found);
  EXPECT_EQ(MeasureIds(*next, found), std::vector<std::string>{"X-1"});
}

TEST(PolicyParse, BomAndShippedFilesParseAgain) {
  PolicyError e;
  auto p = Policy::Parse("\xEF\xBB\xBF" + DataFile(kMemorandaFile), DataFile(kDepartmentsFile),
                         DataFile(kMeasuresFile), &e);
  ASSERT_NE(p, nullptr) << e.ToStatus().ToString();
}

struct BadCase {
  const char* file;  // which of the three files is replaced
  std::string text;
  int line;
  const char* field;
  const char* reason;  // a part of the reason
};

constexpr char kMeasuresHeader[] = "measure_id\tmemorandum\tkind\tscenarios\ttext\n";
constexpr char kDepartmentsHeader[] = "duty\tdepartments\tmemoranda\ttext\n";

TEST(PolicyParse, BadFilesSayFileLineFieldAndReason) {
  const std::string h = kMeasuresHeader;
  const std::string ok = "A-1\tP06\tpunish\tprocurement\t限制参与政府采购活动\n";
  const std::string memoranda = DataFile(kMemorandaFile);
  std::string missing_j03 = memoranda.substr(0, memoranda.rfind("J03\t"));
  std::string swapped = memoranda;
  swapped.replace(swapped.find("P02\tpunish\t2"), 3, "P03");
  const BadCase cases[] = {
      {kMeasuresFile, "", 0, "", "no header"},
      {kMeasuresFile, "# only a comment\n", 0, "", "no header"},
      {kMeasuresFile, "id\tmemorandum\tkind\tscenarios\ttext\n", 1, "", "header must be"},
      {kMeasuresFile, h + ok + "A-2\tP06\tpunish\tlottery\t限制\n", 3, "scenarios",
       "'lottery' is not a scenario"},
      {kMeasuresFile, h + "# c\n\n" + "A-2\tP99\tpunish\tbidding\t限制\n", 4, "memorandum",
       "'P99' is not a memorandum id"},
      {kMeasuresFile, h + "A-2\tP06\tpenalty\tbidding\t限制\n", 2, "kind", "is not a kind"},
      {kMeasuresFile, h + "A-2\tR01\tpunish\tbidding\t限制\n", 2, "kind", "reward memorandum R01"},
      {kMeasuresFile, h + "A-2\tP06\treward\tbidding\t限制\n", 2, "kind", "punish memorandum P06"},
      {kMeasuresFile, h + ok + ok, 3, "measure_id", "'A-1' is already the id"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\tbidding\n", 2, "text", "missing"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\tbidding\t限制\textra\n", 2, "", "6 fields"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\tbidding\t \n", 2, "text", "is empty"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\t\t限制\n", 2, "scenarios", "is empty"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\tbidding,bidding\t限制\n", 2, "scenarios", "twice"},
      {kMeasuresFile, h + "A 2\tP06\tpunish\tbidding\t限制\n", 2, "measure_id", "A-Z"},
      {kMeasuresFile, h + "A-2\tP06\tpunish\tbidding\t\xE9\x99\n", 2, "", "UTF-8"},
      {kMemorandaFile, swapped, 6, "id", "out of order: P02 expected"},
      {kMemorandaFile, missing_j03, 0, "id", "J03 is the first missing"},
      {kDepartmentsFile, std::string(kDepartmentsHeader) + "2\t市信用办\t\t市信用办牵头\n", 2,
       "duty", "duty 1 expected"},
      {kDepartmentsFile, std::string(kDepartmentsHeader) + "1\t市信用办\tP06,X1\t市信用办牵头\n", 2,
       "memoranda", "'X1' is not a memorandum id"},
      {kDepartmentsFile, std::string(kDepartmentsHeader) + "1\t\t\t市信用办牵头\n", 2,
       "departments", "is empty"},
  };
  for (const BadCase& c : cases) {
    const std::string_view file = c.file;
    PolicyError e;
    auto p = Policy::Parse(file == kMemorandaFile ? c.text : memoranda,
                           file == kDepartmentsFile ? c.text : DataFile(kDepartmentsFile),
                           file == kMeasuresFile ? c.text : DataFile(kMeasuresFile), &e);
    EXPECT_EQ(p, nullptr) << c.text;
    EXPECT_EQ(e.file, c.file) << c.text;
    EXPECT_EQ(e.line, c.line) << c.text;
    EXPECT_EQ(e.field, c.field) << c.text;
    EXPECT_NE(e.reason.find(c.reason), std::string::npos) << e.reason;
    const Status s = e.ToStatus();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.field(), c.field);
    EXPECT_TRUE(s.reason().starts_with(std::string(c.file))) << s.reason();
    const std::string where = std::string(c.file) +
                              (c.line > 0 ? " line " + std::to_string(c.line) : "") +
                              (*c.field ? std::string(": ") + c.field : "") + ": ";
    EXPECT_TRUE(e.ToString().starts_with(where)) << e.ToString();
  }
}

TEST(PolicyParse, MissingDirectoryIsAnIoError) {
  PolicyError e;
  EXPECT_EQ(Policy::Load("/nonexistent-policy-dir", &e), nullptr);
  EXPECT_EQ(e.file, kMemorandaFile);
  EXPECT_EQ(e.ToStatus().code(), StatusCode::kIoError);
}

TEST(PolicyCatalogTest, HandleSeesEachPublish) {
  PolicyCatalog catalog;
  PolicyHandle handle;
  EXPECT_EQ(handle.Get(catalog), nullptr);
  auto p = Shipped();
  catalog.Publish(p);
  EXPECT_EQ(handle.Get(catalog), p.get());
  PolicyError e;
  auto next = p->WithMeasures(std::string(kMeasuresHeader), &e);
  ASSERT_NE(next, nullptr);
  catalog.Publish(next);
  EXPECT_EQ(handle.Get(catalog), next.get());
  EXPECT_TRUE(handle.Get(catalog)->measures().empty());
}

}  // namespace
}  // namespace credlist
