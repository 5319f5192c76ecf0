// The generator: deterministic, valid through MakeEntry after a round trip through NDJSON, and
// shaped as tools/generator.h promises (mix, recurring subjects and representatives, validity).
#include "tools/generator.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/check.h"
#include "engine/date.h"
#include "engine/snapshot.h"
#include "engine/validate.h"
#include "loaders/ndjson.h"

namespace credlist {
namespace {

std::string Ndjson(uint64_t n, uint64_t seed) {
  std::string out;
  GenerateEntries(n, seed, [&](const Entry& e) { AppendEntryNdjson(e, &out); });
  return out;
}

std::vector<Entry> Entries(uint64_t n, uint64_t seed) {
  std::vector<Entry> out;
  out.reserve(n);
  GenerateEntries(n, seed, [&](const Entry& e) { out.push_back(e); });
  return out;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// Reads one NDJSON record into EntryFields by the API field names, with simdjson directly (the
// NDJSON loader has its own tests; this one checks the generator's output against MakeEntry
// without depending on it). String views point into `parser`: use them before the next parse.
Result<Entry> ParseRecord(simdjson::ondemand::parser& parser, std::string_view line) {
  simdjson::padded_string padded(line);
  simdjson::ondemand::document doc = parser.iterate(padded);
  EntryFields f;
  std::map<std::string_view, std::string_view*> fields = {
      {"entry_id", &f.entry_id},
      {"list", &f.list},
      {"category", &f.category},
      {"subject_type", &f.subject_type},
      {"name", &f.name},
      {"uscc", &f.uscc},
      {"reg_no", &f.reg_no},
      {"id_type", &f.id_type},
      {"id_number", &f.id_number},
      {"legal_rep", &f.legal_rep},
      {"legal_rep_id_number", &f.legal_rep_id_number},
      {"conduct", &f.conduct},
      {"outcome", &f.outcome},
      {"department", &f.department},
      {"basis", &f.basis},
      {"decided_on", &f.decided_on},
      {"valid_from", &f.valid_from},
      {"valid_until", &f.valid_until},
      {"state", &f.state},
      {"exit_reason", &f.exit_reason},
  };
  std::set<std::string> seen;
  for (auto field : doc.get_object()) {
    const std::string_view key = field.unescaped_key().value();
    seen.insert(std::string(key));
    simdjson::ondemand::value v = field.value();
    if (key == "memoranda") {
      for (auto m : v.get_array()) f.memoranda.push_back(m.get_string().value());
      continue;
    }
    auto it = fields.find(key);
    if (it == fields.end()) return Status::Invalid(std::string(key), "unknown field");
    if (v.is_null()) continue;
    *it->second = v.get_string().value();
  }
  for (const char* required : {"entry_id",
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
                               "state"})
    if (!seen.count(required)) return Status::Invalid(required, "missing");
  return MakeEntry(f);
}

void ExpectSameEntry(const Entry& want, const Entry& got) {
  EXPECT_EQ(want.entry_id, got.entry_id);
  EXPECT_EQ(want.list, got.list);
  EXPECT_EQ(want.category, got.category);
  EXPECT_EQ(want.subject_type, got.subject_type);
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.uscc, got.uscc);
  EXPECT_EQ(want.reg_no, got.reg_no);
  EXPECT_EQ(want.id_number, got.id_number);
  EXPECT_EQ(want.id_type, got.id_type);
  EXPECT_EQ(want.legal_rep, got.legal_rep);
  EXPECT_EQ(want.legal_rep_id, got.legal_rep_id);
  EXPECT_EQ(want.conduct, got.conduct);
  EXPECT_EQ(want.outcome, got.outcome);
  EXPECT_EQ(want.department, got.department);
  EXPECT_EQ(want.basis, got.basis);
  EXPECT_EQ(want.decided_on, got.decided_on);
  EXPECT_EQ(want.valid_from, got.valid_from);
  EXPECT_EQ(want.valid_until, got.valid_until);
  EXPECT_EQ(want.memoranda, got.memoranda);
  EXPECT_EQ(want.state, got.state);
}

TEST(GeneratorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = Ndjson(5000, 7);
  EXPECT_EQ(a, Ndjson(5000, 7));
  EXPECT_NE(a, Ndjson(5000, 8));
  EXPECT_EQ(Lines(a).size(), 5000u);
}

std::string WrittenFile(uint64_t n, uint64_t seed) {
  const std::string path = ::testing::TempDir() + "generator_test.ndjson";
  EXPECT_TRUE(WriteNdjson(n, seed, path).ok());
  std::FILE* f = std::fopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr);
  std::string file;
  char buf[65536];
  for (size_t got; f && (got = std::fread(buf, 1, sizeof buf, f)) > 0;) file.append(buf, got);
  if (f) std::fclose(f);
  std::remove(path.c_str());
  return file;
}

TEST(GeneratorTest, WriteNdjsonWritesWhatAppendWrites) {
  EXPECT_EQ(WrittenFile(3000, 11), Ndjson(3000, 11));
  EXPECT_EQ(WrittenFile(0, 11), "");
  // Several chunks, made by several threads: the same bytes, in order.
  EXPECT_EQ(WrittenFile(100001, 12), Ndjson(100001, 12));
  EXPECT_EQ(WriteNdjson(1, 1, "/nonexistent-dir/x.ndjson").code(), StatusCode::kIoError);
}

TEST(GeneratorTest, EveryRecordPassesMakeEntryAndRoundTrips) {
  constexpr uint64_t kN = 20000;
  const std::vector<Entry> entries = Entries(kN, 42);
  const std::string text = Ndjson(kN, 42);
  const std::vector<std::string_view> lines = Lines(text);
  ASSERT_EQ(lines.size(), kN);
  simdjson::ondemand::parser parser;
  for (size_t i = 0; i < kN; ++i) {
    Result<Entry> e = ParseRecord(parser, lines[i]);
    ASSERT_TRUE(e.ok()) << "line " << i + 1 << ": " << e.status().ToString() << "\n" << lines[i];
    ExpectSameEntry(entries[i], *e);
    if (::testing::Test::HasFailure()) FAIL() << "line " << i + 1 << ": " << lines[i];
  }
}

TEST(GeneratorTest, TheNdjsonLoaderLoadsEveryRecord) {
  constexpr uint64_t kN = 20000;
  const std::vector<Entry> entries = Entries(kN, 42);
  std::vector<Entry> loaded;
  LoadReport report;
  ASSERT_TRUE(LoadNdjson(
                  Ndjson(kN, 42), LoadOptions{}, [&](Entry&& e) { loaded.push_back(std::move(e)); },
                  &report)
                  .ok());
  EXPECT_EQ(report.rows, kN);
  EXPECT_EQ(report.rejected, 0u);
  for (const RowError& e : report.errors)
    ADD_FAILURE() << e.row << " " << e.field << ": " << e.reason;
  ASSERT_EQ(loaded.size(), kN);
  for (size_t i = 0; i < kN && !::testing::Test::HasFailure(); ++i)
    ExpectSameEntry(entries[i], loaded[i]);
}

TEST(GeneratorTest, IdentifiersParseToTheKeysGenerated) {
  for (const Entry& e : Entries(20000, 3)) {
    if (!e.uscc.empty()) {
      auto k = ParseUscc(FormatKey(e.uscc));
      ASSERT_TRUE(k.ok()) << FormatKey(e.uscc) << ": " << k.status().ToString();
      EXPECT_EQ(*k, e.uscc);
      const std::string text = FormatKey(e.uscc);
      const std::string division = text.substr(2, 6);
      EXPECT_EQ(division.substr(0, 4), "2108") << text;
    }
    if (!e.reg_no.empty()) {
      auto k = ParseRegNo(FormatKey(e.reg_no));
      ASSERT_TRUE(k.ok()) << k.status().ToString();
      EXPECT_EQ(*k, e.reg_no);
    }
    for (const Key& id : {e.id_number, e.legal_rep_id}) {
      if (id.empty()) continue;
      auto k = ParseIdNumber(FormatKey(id));
      ASSERT_TRUE(k.ok()) << FormatKey(id) << ": " << k.status().ToString();
      EXPECT_EQ(*k, id);
    }
  }
}

TEST(GeneratorTest, MixIsInRange) {
  constexpr uint64_t kN = 50000;
  uint64_t lists[kListKinds] = {}, subjects[3] = {}, with_reg_no = 0, legal = 0;
  for (const Entry& e : Entries(kN, 42)) {
    ++lists[static_cast<int>(e.list)];
    ++subjects[static_cast<int>(e.subject_type)];
    if (e.subject_type == SubjectType::kLegalPerson) {
      ++legal;
      with_reg_no += !e.reg_no.empty();
    }
    if (e.subject_type == SubjectType::kNaturalPerson) {
      EXPECT_FALSE(e.id_number.empty());
      EXPECT_TRUE(e.uscc.empty());
      EXPECT_EQ(e.id_type, "居民身份证");
    } else {
      EXPECT_FALSE(e.uscc.empty());
      EXPECT_FALSE(e.legal_rep.empty());
      EXPECT_FALSE(e.legal_rep_id.empty());
    }
    EXPECT_LE(e.name.size(), 12u * 3) << e.name;  // at most 12 Chinese characters
    EXPECT_FALSE(e.category.empty());
    EXPECT_FALSE(e.department.empty());
  }
  auto share = [&](uint64_t count) { return static_cast<double>(count) / kN; };
  EXPECT_NEAR(share(lists[0]), 0.30, 0.02);
  EXPECT_NEAR(share(lists[1]), 0.55, 0.02);
  EXPECT_NEAR(share(lists[2]), 0.15, 0.02);
  EXPECT_NEAR(share(subjects[0]), 0.70, 0.02);
  EXPECT_NEAR(share(subjects[1]), 0.25, 0.02);
  EXPECT_NEAR(share(subjects[2]), 0.05, 0.01);
  EXPECT_NEAR(static_cast<double>(with_reg_no) / legal, 0.40, 0.03);
}

TEST(GeneratorTest, CategoriesCarryTheirMemorandaAndDepartment) {
  const int p06 = *ParseMemorandumId("P06");
  const int p15 = *ParseMemorandumId("P15");
  const int r01 = *ParseMemorandumId("R01");
  std::set<std::string> categories, departments;
  for (const Entry& e : Entries(20000, 5)) {
    categories.insert(e.category);
    departments.insert(e.department);
    if (e.category == "失信被执行人") {
      EXPECT_EQ(e.list, ListKind::kBlack);
      EXPECT_TRUE(e.memoranda >> p06 & 1);
      EXPECT_EQ(e.department, "市中级人民法院");
    } else if (e.category == "重大税收违法案件当事人") {
      EXPECT_TRUE(e.memoranda >> p15 & 1);
      EXPECT_EQ(e.department, "市税务局");
    } else if (e.category == "纳税信用A级纳税人") {
      EXPECT_EQ(e.list, ListKind::kRed);
      EXPECT_EQ(e.memoranda, uint64_t{1} << r01);
      EXPECT_EQ(e.department, "市税务局");
    }
  }
  EXPECT_GE(categories.size(), 40u);
  EXPECT_GE(departments.size(), 20u);
}

TEST(GeneratorTest, EntryIdsAreUniqueAndNamedByList) {
  std::unordered_set<std::string> ids;
  for (const Entry& e : Entries(50000, 9)) {
    EXPECT_TRUE(ids.insert(e.entry_id).second) << e.entry_id;
    const char letter = e.list == ListKind::kRed ? 'R' : e.list == ListKind::kBlack ? 'B' : 'W';
    ASSERT_EQ(e.entry_id.size(), 14u) << e.entry_id;
    EXPECT_EQ(e.entry_id[0], letter);
    EXPECT_EQ(e.entry_id.substr(1, 6), "-2108-");
  }
}

TEST(GeneratorTest, SubjectsAndRepresentativesRecurConsistently) {
  std::unordered_map<std::string, std::string> name_of_uscc, name_of_id, rep_of_uscc;
  std::unordered_map<std::string, std::set<std::string>> companies_of_rep;
  std::set<std::string> natural_ids;
  uint64_t repeated_subjects = 0;
  for (const Entry& e : Entries(50000, 42)) {
    if (!e.uscc.empty()) {
      const std::string u = FormatKey(e.uscc);
      auto [it, fresh] = name_of_uscc.emplace(u, e.name);
      if (!fresh) {
        ++repeated_subjects;
        EXPECT_EQ(it->second, e.name) << u;
        EXPECT_EQ(rep_of_uscc[u], FormatKey(e.legal_rep_id)) << u;
      }
      rep_of_uscc[u] = FormatKey(e.legal_rep_id);
      companies_of_rep[FormatKey(e.legal_rep_id)].insert(u);
    }
    for (const auto& [id, name] : {std::pair{e.id_number, e.name}, {e.legal_rep_id, e.legal_rep}}) {
      if (id.empty()) continue;
      auto [it, fresh] = name_of_id.emplace(FormatKey(id), name);
      EXPECT_EQ(it->second, name) << FormatKey(id);
    }
    if (!e.id_number.empty()) natural_ids.insert(FormatKey(e.id_number));
  }
  uint64_t reps_with_several = 0, listed_reps = 0;
  for (const auto& [rep, companies] : companies_of_rep) {
    reps_with_several += companies.size() >= 2;
    listed_reps += natural_ids.count(rep);
  }
  EXPECT_GT(repeated_subjects, 1000u);
  EXPECT_GT(reps_with_several, 1000u);
  EXPECT_GT(listed_reps, 100u);  // natural persons who also represent a listed organisation
}

TEST(GeneratorTest, ValidityMixesExpiredCurrentAndOpenEnded) {
  const Day day = DayFromCivil(2026, 11, 1);
  uint64_t open = 0, expired = 0, current = 0, n = 0;
  for (const Entry& e : Entries(20000, 42)) {
    ++n;
    EXPECT_GE(e.decided_on, DayFromCivil(2019, 1, 1));
    EXPECT_LE(e.decided_on, DayFromCivil(2026, 10, 31));
    EXPECT_EQ(e.valid_from, e.decided_on);
    EXPECT_GT(e.valid_until, e.valid_from);
    if (e.valid_until != kForever) {
      bool whole_years = false;
      for (int months : {12, 24, 36, 60})
        whole_years |= e.valid_until == AddMonths(e.decided_on, months);
      EXPECT_TRUE(whole_years) << FormatDate(e.decided_on) << " " << FormatDate(e.valid_until);
    }
    open += e.valid_until == kForever;
    expired += e.valid_until <= day;
    current += e.valid_until != kForever && e.valid_until > day;
  }
  EXPECT_GT(open, n / 20);
  EXPECT_GT(expired, n / 5);
  EXPECT_GT(current, n / 10);
}

TEST(GeneratorTest, SnapshotFindsSubjectsRelatedEntriesAndSomeConflicts) {
  const std::vector<Entry> entries = Entries(20000, 42);
  SnapshotBuilder builder;
  for (const Entry& e : entries) builder.Add(e);
  auto snap = builder.Build(DayFromCivil(2026, 11, 1));
  ASSERT_EQ(snap->size(), entries.size());
  uint64_t with_related = 0;
  for (const Entry& e : entries) {
    const Key& key = e.uscc.empty() ? e.id_number : e.uscc;
    EXPECT_FALSE(snap->Find(key).subject.empty());
    if (!e.legal_rep_id.empty()) with_related += snap->Find(e.legal_rep_id).related.size() >= 2;
  }
  EXPECT_GT(with_related, 1000u);
  EXPECT_GT(snap->conflicts(), 0u);
  EXPECT_LT(snap->conflicts(), 200u);
}

}  // namespace
}  // namespace credlist
