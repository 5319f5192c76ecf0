// Tests of loaders/: the CSV reader, encodings, 报送表 dates, the NDJSON and 报送表 loaders.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/ids.h"
#include "engine/validate.h"
#include "loaders/csv.h"
#include "loaders/dates.h"
#include "loaders/encoding.h"
#include "loaders/entry_errors.h"
#include "loaders/ndjson.h"
#include "loaders/parallel_ndjson.h"
#include "loaders/report_form.h"
#include "tests/case_table.h"

namespace credlist {
namespace {

using testing::CaseRow;
using testing::ReadCases;

// Valid identifiers (GB 32100, GS15, GB 11643): real or computed with engine/ids.h.
constexpr char kUscc1[] = "914403001922038216";
constexpr char kUscc2[] = "91330100716105852F";
constexpr char kUscc3[] = "9144030071526726XG";
constexpr char kUscc4[] = "91110000600037341L";
constexpr char kIdNumber[] = "11010519491231002X";

// ---------------------------------------------------------------------------------------------
// Helpers

struct Record {
  uint64_t line;
  std::vector<std::string> fields;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Record& r) {
  os << r.line << ":";
  for (const auto& f : r.fields) os << " [" << f << "]";
  return os;
}

CsvReader::RecordFn Collect(std::vector<Record>* out) {
  return [out](uint64_t line, std::span<const std::string_view> fields) {
    out->push_back({line, std::vector<std::string>(fields.begin(), fields.end())});
  };
}

std::vector<Record> ReadCsvWhole(std::string_view text, CsvOptions options = {}) {
  std::vector<Record> records;
  CsvReader reader(options);
  EXPECT_TRUE(reader.Feed(text, Collect(&records)).ok());
  EXPECT_TRUE(reader.Finish(Collect(&records)).ok());
  return records;
}

std::vector<Record> ReadCsvChunked(std::string_view text, size_t chunk) {
  std::vector<Record> records;
  CsvReader reader;
  for (size_t i = 0; i < text.size(); i += chunk)
    EXPECT_TRUE(reader.Feed(text.substr(i, chunk), Collect(&records)).ok());
  EXPECT_TRUE(reader.Finish(Collect(&records)).ok());
  return records;
}

// UTF-8 to GB18030 (GBK for the characters in these tests) with glibc iconv.
std::string ToGb18030(std::string_view utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t inleft = utf8.size();
  char* outp = out.data();
  size_t outleft = out.size();
  EXPECT_NE(iconv(cd, &in, &inleft, &outp, &outleft), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - outleft);
  return out;
}

// Every field of an entry, for comparing entries with a readable difference.
std::string Describe(const Entry& e) {
  std::ostringstream os;
  os << e.entry_id << "|" << ListKindName(e.list) << "|" << e.category << "|"
     << SubjectTypeName(e.subject_type) << "|" << e.name << "|" << FormatKey(e.uscc) << "|"
     << FormatKey(e.reg_no) << "|" << FormatKey(e.id_number) << "|" << e.id_type << "|"
     << e.legal_rep << "|" << FormatKey(e.legal_rep_id) << "|" << e.conduct << "|" << e.outcome
     << "|" << e.department << "|" << e.basis << "|" << FormatDate(e.decided_on) << "|"
     << FormatDate(e.valid_from) << "|"
     << (e.valid_until == kForever ? "open" : FormatDate(e.valid_until)) << "|" << e.memoranda
     << "|" << StateName(e.state) << "|" << ExitReasonName(e.exit_reason);
  return os.str();
}

struct Loaded {
  Status status;
  LoadReport report;
  std::vector<Entry> entries;

  std::vector<std::string> Described() const {
    std::vector<std::string> out;
    for (const Entry& e : entries) out.push_back(Describe(e));
    return out;
  }
};

template <typename LoadFn>
Loaded Run(LoadFn load, LoadOptions options = {}) {
  Loaded l;
  l.status = load(
      options, [&l](Entry&& e) { l.entries.push_back(std::move(e)); }, &l.report);
  return l;
}

Loaded LoadForm(std::string_view data, LoadOptions options = {}) {
  return Run([&](const LoadOptions& o, const EntrySink& s,
                 LoadReport* r) { return LoadReportForm(data, o, s, r); },
             options);
}

Loaded LoadFormFile(const std::string& path, LoadOptions options = {}) {
  return Run([&](const LoadOptions& o, const EntrySink& s,
                 LoadReport* r) { return LoadReportFormFile(path, o, s, r); },
             options);
}

Loaded LoadJson(std::string_view data, LoadOptions options = {}) {
  return Run([&](const LoadOptions& o, const EntrySink& s,
                 LoadReport* r) { return LoadNdjson(data, o, s, r); },
             options);
}

Loaded LoadJsonFile(const std::string& path, LoadOptions options = {}) {
  return Run([&](const LoadOptions& o, const EntrySink& s,
                 LoadReport* r) { return LoadNdjsonFile(path, o, s, r); },
             options);
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/credlist_loaders_" + std::to_string(::getpid()) + "_" + name;
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string SourcePath(const std::string& relative) {
  return std::string(CREDLIST_SOURCE_DIR) + "/" + relative;
}

// One CSV record: cells quoted when they need it, LF at the end.
std::string Csv(std::initializer_list<std::string_view> cells) {
  std::string out;
  bool first = true;
  for (std::string_view c : cells) {
    if (!first) out += ',';
    first = false;
    if (c.find_first_of(",\"\r\n") == std::string_view::npos) {
      out += c;
      continue;
    }
    out += '"';
    for (char ch : c) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  return out + "\n";
}

std::string Errors(const LoadReport& r) {
  std::string s;
  for (const RowError& e : r.errors)
    s += std::to_string(e.row) + " " + e.field + ": " + e.reason + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------------
// CsvReader

TEST(CsvReader, SimpleRecordsAndLineNumbers) {
  EXPECT_EQ(ReadCsvWhole("a,b,c\n1,2,3\n"),
            (std::vector<Record>{{1, {"a", "b", "c"}}, {2, {"1", "2", "3"}}}));
}

TEST(CsvReader, QuotedFieldsWithDelimitersQuotesAndLineBreaks) {
  const std::string text =
      "\"x,y\",\"line1\r\nline2\",z\r\n"
      "next,\"a\"\"b\",\"\"\r\n"
      "\"\"\"quoted\"\"\",\"multi\nline\ncell\",end\r\n"
      "last,row\r\n";
  EXPECT_EQ(ReadCsvWhole(text), (std::vector<Record>{
                                    {1, {"x,y", "line1\r\nline2", "z"}},
                                    {3, {"next", "a\"b", ""}},
                                    {4, {"\"quoted\"", "multi\nline\ncell", "end"}},
                                    {7, {"last", "row"}},
                                }));
}

TEST(CsvReader, EmptyLinesGiveNoRecordButCountAsLines) {
  EXPECT_EQ(ReadCsvWhole("a\n\n\r\n\nb\n"), (std::vector<Record>{{1, {"a"}}, {5, {"b"}}}));
  EXPECT_EQ(ReadCsvWhole(",,\n"), (std::vector<Record>{{1, {"", "", ""}}}));
  EXPECT_EQ(ReadCsvWhole("\"\"\n"), (std::vector<Record>{{1, {""}}}));
  EXPECT_TRUE(ReadCsvWhole("").empty());
  EXPECT_TRUE(ReadCsvWhole("\n\n").empty());
}

TEST(CsvReader, LineEndsLfCrlfAndLoneCr) {
  EXPECT_EQ(ReadCsvWhole("a\rb\r\nc\nd"),
            (std::vector<Record>{{1, {"a"}}, {2, {"b"}}, {3, {"c"}}, {4, {"d"}}}));
}

TEST(CsvReader, LastRecordWithoutLineBreak) {
  EXPECT_EQ(ReadCsvWhole("a,b\nc,\"d\""), (std::vector<Record>{{1, {"a", "b"}}, {2, {"c", "d"}}}));
  EXPECT_EQ(ReadCsvWhole("a,"), (std::vector<Record>{{1, {"a", ""}}}));
}

TEST(CsvReader, LenientQuotes) {
  // A quote inside an unquoted field is kept; text after a closing quote is appended.
  EXPECT_EQ(ReadCsvWhole("ab\"c,\"x\"y,z\n"), (std::vector<Record>{{1, {"ab\"c", "xy", "z"}}}));
}

TEST(CsvReader, TabDelimiter) {
  EXPECT_EQ(ReadCsvWhole("a\tb,c\n", CsvOptions{.delimiter = '\t'}),
            (std::vector<Record>{{1, {"a", "b,c"}}}));
}

TEST(CsvReader, UnclosedQuoteIsAnErrorNamingItsLine) {
  std::vector<Record> records;
  CsvReader reader;
  ASSERT_TRUE(reader.Feed("a,b\nc,\"never\nclosed\n", Collect(&records)).ok());
  const Status s = reader.Finish(Collect(&records));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.reason().find("line 2"), std::string::npos) << s.reason();
  EXPECT_EQ(records.size(), 1u);
  // The reader is ready for a new input.
  records.clear();
  ASSERT_TRUE(reader.Feed("x\n", Collect(&records)).ok());
  EXPECT_EQ(records, (std::vector<Record>{{1, {"x"}}}));
}

TEST(CsvReader, RecordLongerThanTheLimitIsAnError) {
  std::vector<Record> records;
  CsvReader reader(CsvOptions{.max_record_bytes = 100});
  ASSERT_TRUE(reader.Feed("short\n", Collect(&records)).ok());
  Status s = reader.Feed("\"" + std::string(200, 'x'), Collect(&records));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.reason().find("line 2"), std::string::npos) << s.reason();
  // Every later call reports the same error.
  EXPECT_FALSE(reader.Feed("more\n", Collect(&records)).ok());
  EXPECT_EQ(records.size(), 1u);
}

TEST(CsvReader, ByteByByteAndRandomChunksGiveTheSameRecords) {
  const std::string text =
      "\xEF\xBB\xBFh1,h2,\"h3\"\r\n"
      "\"x,y\",\"line1\r\nline2\",z\r\n"
      "\r\n"
      "next,\"a\"\"b\",\"\"\r"
      "\"\"\"q\"\"\",\"multi\nline\",end\n"
      ",,\n"
      "营口,\"鲅鱼圈，\"\"区\"\"\",x\r\n"
      "tail,\"no break\"";
  const std::vector<Record> whole = ReadCsvWhole(text);
  ASSERT_EQ(whole.size(), 7u);
  EXPECT_EQ(whole[1].line, 2u);
  EXPECT_EQ(whole[2].line, 5u);
  EXPECT_EQ(whole[3].line, 6u);
  EXPECT_EQ(whole[4].line, 8u);
  EXPECT_EQ(whole[6].line, 10u);
  EXPECT_EQ(ReadCsvChunked(text, 1), whole);
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<Record> records;
    CsvReader reader;
    for (size_t i = 0; i < text.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(0, 7)(rng);
      ASSERT_TRUE(reader.Feed(std::string_view(text).substr(i, n), Collect(&records)).ok());
      i += n;
    }
    ASSERT_TRUE(reader.Finish(Collect(&records)).ok());
    EXPECT_EQ(records, whole) << "round " << round;
  }
}

TEST(CsvReader, BuffersAreReusedAcrossRecords) {
  // Memory is bounded by the longest record, not the input: a long stream of short records
  // is read chunk by chunk without keeping them.
  CsvReader reader;
  uint64_t count = 0, last_line = 0;
  const auto on_record = [&](uint64_t line, std::span<const std::string_view> fields) {
    ++count;
    last_line = line;
    ASSERT_EQ(fields.size(), 3u);
  };
  const std::string chunk = "aaaa,\"b,b\",cccc\n";
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(reader.Feed(chunk, on_record).ok());
  ASSERT_TRUE(reader.Finish(on_record).ok());
  EXPECT_EQ(count, 100000u);
  EXPECT_EQ(last_line, 100000u);
}

// ---------------------------------------------------------------------------------------------
// Encodings

TEST(Encoding, Bom) {
  EXPECT_TRUE(
      HasUtf8Bom("\xEF\xBB\xBF"
                 "abc"));
  EXPECT_FALSE(HasUtf8Bom("abc"));
  EXPECT_FALSE(HasUtf8Bom("\xEF\xBB"));
  EXPECT_EQ(StripUtf8Bom("\xEF\xBB\xBF"
                         "abc"),
            "abc");
  EXPECT_EQ(StripUtf8Bom("abc"), "abc");
}

TEST(Encoding, ValidUtf8Prefix) {
  EXPECT_EQ(ValidUtf8Prefix("营口 abc"), std::string_view("营口 abc").size());
  EXPECT_EQ(ValidUtf8Prefix("ab\xC0\x80"), 2u);          // overlong
  EXPECT_EQ(ValidUtf8Prefix("ab\xED\xA0\x80"), 2u);      // a surrogate
  EXPECT_EQ(ValidUtf8Prefix("ab\xF4\x90\x80\x80"), 2u);  // past U+10FFFF
  EXPECT_EQ(ValidUtf8Prefix("ab\xE8\x90"), 2u);          // cut short
  EXPECT_EQ(ValidUtf8Prefix("abcdefghij\xFF"), 10u);
  EXPECT_TRUE(IsValidUtf8("营口市"));
  EXPECT_FALSE(IsValidUtf8(ToGb18030("营口市")));
}

TEST(Encoding, GuessEncoding) {
  const std::string utf8 = "统一社会信用代码,企业名称,营口市鲅鱼圈区";
  const std::string gbk = ToGb18030(utf8);
  EXPECT_EQ(GuessEncoding("abc", false), TextEncoding::kUnknown);
  EXPECT_EQ(GuessEncoding("abc", true), TextEncoding::kUtf8);
  EXPECT_EQ(GuessEncoding(utf8, true), TextEncoding::kUtf8);
  EXPECT_EQ(GuessEncoding(gbk, true), TextEncoding::kGb18030);
  // Too few bytes past the first non-ASCII one to decide, unless at the end.
  EXPECT_EQ(GuessEncoding(utf8, false), TextEncoding::kUnknown);
  std::string long_utf8;
  while (long_utf8.size() < 2 * kDecideWindow) long_utf8 += utf8;
  EXPECT_EQ(GuessEncoding(long_utf8.substr(0, kDecideWindow + 1), false), TextEncoding::kUtf8);
  EXPECT_EQ(GuessEncoding(ToGb18030(long_utf8), false), TextEncoding::kGb18030);
}

TEST(Encoding, DecodeToUtf8WholeBuffer) {
  const std::string utf8 = "企业名称,统一社会信用代码\n营口鑫盛达商贸有限公司,91210802MA0Y3K201T\n";
  std::string storage;
  TextEncoding enc;

  Result<std::string_view> r = DecodeToUtf8(utf8, &storage, &enc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, utf8);
  EXPECT_EQ(r->data(), utf8.data());  // no copy
  EXPECT_EQ(enc, TextEncoding::kUtf8);

  const std::string with_bom = std::string(kUtf8Bom) + utf8;
  r = DecodeToUtf8(with_bom, &storage, &enc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, utf8);

  r = DecodeToUtf8(ToGb18030(utf8), &storage, &enc);
  ASSERT_TRUE(r.ok()) << r.status().reason();
  EXPECT_EQ(*r, utf8);
  EXPECT_EQ(enc, TextEncoding::kGb18030);

  r = DecodeToUtf8(ToGb18030("\uFEFF" + utf8), &storage, &enc);
  ASSERT_TRUE(r.ok()) << r.status().reason();
  EXPECT_EQ(*r, utf8);

  r = DecodeToUtf8("", &storage, &enc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
}

TEST(Encoding, BrokenUtf8AfterUtf8TextIsAnErrorNotGbk) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "营口市中级人民法院,失信被执行人\n";
  text += "bad \xFF byte\n";
  std::string storage;
  Result<std::string_view> r = DecodeToUtf8(text, &storage);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().reason().find("line 21"), std::string::npos) << r.status().reason();
  EXPECT_NE(r.status().reason().find("UTF-8"), std::string::npos);

  TextDecoder decoder;
  std::string out;
  Status s = decoder.Feed(text, &out);
  if (s.ok()) s = decoder.Finish(&out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.reason().find("line 21"), std::string::npos) << s.reason();
}

TEST(Encoding, InvalidGbkIsAnError) {
  std::string storage;
  // 0x81 0x20: a GBK lead byte followed by a byte that cannot trail it.
  Result<std::string_view> r = DecodeToUtf8(ToGb18030("营口市\n") +
                                                "\x81\x20"
                                                "abc",
                                            &storage);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().reason().find("line 2"), std::string::npos) << r.status().reason();
}

TEST(Encoding, Gb18030StreamingByteByByte) {
  // 2-byte GBK characters, ASCII, a 4-byte GB18030 character (U+20000) and the euro sign.
  const std::string utf8 = "营口市 Yingkou 鲅鱼圈区，黑名单\n\xF0\xA0\x80\x80€ 结束";
  const std::string gb = ToGb18030(utf8);
  Gb18030ToUtf8 conv;
  std::string out;
  for (char c : gb) ASSERT_TRUE(conv.Feed(std::string_view(&c, 1), &out).ok());
  ASSERT_TRUE(conv.Finish().ok());
  EXPECT_EQ(out, utf8);

  // Every split point of two chunks.
  for (size_t split = 0; split <= gb.size(); ++split) {
    Gb18030ToUtf8 c2;
    std::string o2;
    ASSERT_TRUE(c2.Feed(std::string_view(gb).substr(0, split), &o2).ok());
    ASSERT_TRUE(c2.Feed(std::string_view(gb).substr(split), &o2).ok());
    ASSERT_TRUE(c2.Finish().ok());
    EXPECT_EQ(o2, utf8) << "split at " << split;
  }
}

TEST(Encoding, Gb18030StreamEndingInsideACharacter) {
  const std::string gb = ToGb18030("营口");
  Gb18030ToUtf8 conv;
  std::string out;
  ASSERT_TRUE(conv.Feed(std::string_view(gb).substr(0, 3), &out).ok());
  EXPECT_EQ(out, "营");
  EXPECT_FALSE(conv.Finish().ok());
}

TEST(Encoding, TextDecoderByteByByte) {
  std::string body;
  for (int i = 0; i < 30; ++i) body += "营口市,黑名单类型,失信被执行人,\"引号，逗号\"\r\n";
  const std::string ascii = "key,name\r\n914403001922038216,x\r\n";
  struct Case {
    std::string input;
    std::string expected;
    TextEncoding encoding;
  } cases[] = {
      {body, body, TextEncoding::kUtf8},
      {std::string(kUtf8Bom) + body, body, TextEncoding::kUtf8},
      {ToGb18030(body), body, TextEncoding::kGb18030},
      {ascii + ToGb18030(body), ascii + body, TextEncoding::kGb18030},
      {ascii, ascii, TextEncoding::kUtf8},
      {std::string(kUtf8Bom), "", TextEncoding::kUtf8},
      {ToGb18030("营口"), "营口", TextEncoding::kGb18030},         // decided at the end
      {ToGb18030("\uFEFF" + body), body, TextEncoding::kGb18030},  // a converted BOM
  };
  for (const Case& c : cases) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{4096}}) {
      TextDecoder decoder;
      std::string out;
      for (size_t i = 0; i < c.input.size(); i += chunk)
        ASSERT_TRUE(decoder.Feed(std::string_view(c.input).substr(i, chunk), &out).ok());
      ASSERT_TRUE(decoder.Finish(&out).ok());
      EXPECT_EQ(out, c.expected) << "chunk " << chunk;
      EXPECT_EQ(decoder.encoding(), c.encoding) << "chunk " << chunk;
    }
  }
}

TEST(Encoding, TextDecoderHandsOnAsciiAtOnce) {
  TextDecoder decoder;
  std::string out;
  ASSERT_TRUE(decoder.Feed("key,name\n12345", &out).ok());
  EXPECT_EQ(out, "key,name\n12345");
  ASSERT_TRUE(decoder.Finish(&out).ok());
}

TEST(Encoding, TextDecoderEndingInsideAUtf8Character) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "营口";
  text += "\xE8\x90";
  TextDecoder decoder;
  std::string out;
  ASSERT_TRUE(decoder.Feed(text, &out).ok());
  EXPECT_FALSE(decoder.Finish(&out).ok());
}

// GB18030 beyond GBK: 䶮 (2 bytes, FE 9F), 㐀 (U+3400, 4 bytes in the BMP ranges) and 𠮷
// (U+20BB7, 4 bytes of the supplementary planes' linear mapping) decode, whole and streamed
// byte by byte (a 4-byte character split at every point).
TEST(Encoding, Gb18030FourByteCharactersDecode) {
  const std::string utf8 = "李䶮，㐀，𠮷。\n";
  const std::string gb = ToGb18030(utf8);
  EXPECT_NE(gb.find("\x81\x39\xEE\x39"), std::string::npos);  // 㐀
  EXPECT_NE(gb.find("\x95\x34\xB2\x35"), std::string::npos);  // 𠮷
  EXPECT_NE(gb.find("\xFE\x9F"), std::string::npos);          // 䶮
  std::string storage;
  TextEncoding enc = TextEncoding::kUnknown;
  Result<std::string_view> whole = DecodeToUtf8(gb, &storage, &enc);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(enc, TextEncoding::kGb18030);
  EXPECT_EQ(*whole, utf8);
  TextDecoder decoder;
  std::string out;
  for (char c : gb) ASSERT_TRUE(decoder.Feed(std::string_view(&c, 1), &out).ok());
  ASSERT_TRUE(decoder.Finish(&out).ok());
  EXPECT_EQ(out, utf8);
}

// ---------------------------------------------------------------------------------------------
// Dates and validity (tables in tests/cases/)

std::string DayText(Day d) {
  if (d == kNoDay) return "-";
  if (d == kForever) return "open";
  return FormatDate(d);
}

Day DayOf(const std::string& s) {
  if (s == "-") return kNoDay;
  auto d = ParseIsoDate(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or(kNoDay);
}

TEST(DateForms, Dates) {
  for (const CaseRow& row : ReadCases("form_dates.tsv")) {
    SCOPED_TRACE(row.Where() + " '" + row[0] + "'");
    Result<Day> d = ParseFormDate(row[0], "decided_on");
    if (row[1] == "error") {
      ASSERT_FALSE(d.ok()) << FormatDate(*d);
      EXPECT_EQ(d.status().field(), "decided_on");
      EXPECT_NE(d.status().reason().find(row[2]), std::string::npos) << d.status().reason();
    } else {
      ASSERT_TRUE(d.ok()) << d.status().reason();
      EXPECT_EQ(FormatDate(*d), row[1]);
    }
  }
}

TEST(DateForms, Validity) {
  for (const CaseRow& row : ReadCases("validity.tsv")) {
    SCOPED_TRACE(row.Where() + " '" + row[0] + "'");
    Result<Validity> v = ParseValidity(row[0], DayOf(row[1]));
    if (row[3] == "error") {
      ASSERT_FALSE(v.ok()) << DayText(v->valid_from) << " " << DayText(v->valid_until);
      const std::string& expected = row[4];
      const size_t colon = expected.find(": ");
      EXPECT_EQ(v.status().field(), expected.substr(0, colon));
      EXPECT_NE(v.status().reason().find(expected.substr(colon + 2)), std::string::npos)
          << v.status().reason();
    } else {
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_EQ(DayText(v->valid_from), row[2]);
      EXPECT_EQ(DayText(v->valid_until), row[3]);
    }
  }
}

// Excel's 1900 date system: serial 1 is 1900-01-01, and 1900 is taken for a leap year, so
// serial 60 is a day that never was and later serials are one day ahead of a plain count.
TEST(DateForms, ExcelSerialsCountFrom1900WithItsLeapDayBug) {
  auto day = [](int64_t serial) {
    const std::optional<Day> d = ExcelSerialToDay(serial);
    return d ? FormatDate(*d) : std::string("none");
  };
  EXPECT_EQ(day(1), "1900-01-01");
  EXPECT_EQ(day(59), "1900-02-28");
  EXPECT_EQ(day(60), "none");  // Excel's 1900-02-29
  EXPECT_EQ(day(61), "1900-03-01");
  EXPECT_EQ(day(36526), "2000-01-01");
  EXPECT_EQ(day(45658), "2025-01-01");
  EXPECT_EQ(day(46027), "2026-01-05");
  EXPECT_EQ(day(2958465), "9999-12-31");
  EXPECT_EQ(day(0), "none");
  EXPECT_EQ(day(2958466), "none");
}

// ---------------------------------------------------------------------------------------------
// NDJSON

std::string JsonLine(std::string_view uscc, std::string_view extra = "") {
  return std::string(
             R"({"list":"black","category":"失信被执行人","name":"营口某某贸易有限公司","uscc":")") +
         std::string(uscc) +
         R"(","department":"营口市中级人民法院","decided_on":"2025-03-01","valid_until":"2028-03-01")" +
         std::string(extra) + "}";
}

TEST(Ndjson, LoadsEveryField) {
  const std::string line =
      R"({"entry_id":"B-2108-0000001","list":"black","category":"失信被执行人",)"
      R"("subject_type":"legal_person","name":"营口某某贸易有限公司",)"
      R"("uscc":"914403001922038216","reg_no":null,"id_type":"居民身份证","id_number":null,)"
      R"("legal_rep":"张某","legal_rep_id_number":"11010519491231002X",)"
      R"("conduct":"拒不履行","outcome":"限制高消费","department":"市中级人民法院",)"
      R"("basis":"《规定》\"第一条\"","decided_on":"2025-03-01","valid_from":"2025-03-02",)"
      R"("valid_until":"2028-03-01","memoranda":["P06","R01"],"state":"in_force"})";
  Loaded l = LoadJson(line + "\n");
  ASSERT_TRUE(l.status.ok());
  ASSERT_EQ(l.entries.size(), 1u) << Errors(l.report);
  const Entry& e = l.entries[0];
  EXPECT_EQ(e.entry_id, "B-2108-0000001");
  EXPECT_EQ(e.list, ListKind::kBlack);
  EXPECT_EQ(e.category, "失信被执行人");
  EXPECT_EQ(e.name, "营口某某贸易有限公司");
  EXPECT_EQ(FormatKey(e.uscc), kUscc1);
  EXPECT_TRUE(e.reg_no.empty());
  EXPECT_TRUE(e.id_number.empty());
  EXPECT_EQ(e.legal_rep, "张某");
  EXPECT_EQ(FormatKey(e.legal_rep_id), kIdNumber);
  EXPECT_EQ(e.basis, "《规定》\"第一条\"");
  EXPECT_EQ(FormatDate(e.decided_on), "2025-03-01");
  EXPECT_EQ(FormatDate(e.valid_from), "2025-03-02");
  EXPECT_EQ(FormatDate(e.valid_until), "2028-03-01");
  EXPECT_EQ(e.memoranda, (uint64_t{1} << *ParseMemorandumId("P06")) |
                             (uint64_t{1} << *ParseMemorandumId("R01")));
  EXPECT_EQ(e.state, State::kInForce);
  EXPECT_EQ(l.report.rows, 1u);
  EXPECT_EQ(l.report.loaded, 1u);
  EXPECT_EQ(l.report.rejected, 0u);
}

TEST(Ndjson, MalformedLinesAreRejectedRowsWithTheirLineNumbers) {
  const std::string data = JsonLine(kUscc1) + "\n" +                           // 1
                           "{\"list\":\"black\",\"name\":\"x\"\n" +            // 2: truncated
                           "\n" +                                              // 3: blank
                           "   \r\n" +                                         // 4: blank
                           "not json at all\n" +                               // 5
                           "[1,2,3]\n" +                                       // 6: not an object
                           JsonLine(kUscc2) + " " + JsonLine(kUscc3) + "\n" +  // 7: two objects
                           "{\"name\":\"\xFF\"}\n" +                           // 8: invalid UTF-8
                           JsonLine(kUscc4) + "\r\n";                          // 9
  Loaded l = LoadJson(data);
  ASSERT_TRUE(l.status.ok());
  EXPECT_EQ(l.report.rows, 7u);
  EXPECT_EQ(l.report.loaded, 2u);
  ASSERT_EQ(l.report.rejected, 5u) << Errors(l.report);
  const uint64_t lines[] = {2, 5, 6, 7, 8};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(l.report.errors[i].row, lines[i]) << Errors(l.report);
    EXPECT_EQ(l.report.errors[i].field, "json") << Errors(l.report);
    EXPECT_FALSE(l.report.errors[i].reason.empty());
  }
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(FormatKey(l.entries[0].uscc), kUscc1);
  EXPECT_EQ(FormatKey(l.entries[1].uscc), kUscc4);
}

TEST(Ndjson, WrongTypesNameTheField) {
  struct Case {
    std::string extra;
    std::string field;
    std::string reason;
  } cases[] = {
      {R"(,"reg_no":210800000000000)", "reg_no", "not a number"},
      {R"(,"legal_rep":true)", "legal_rep", "not a boolean"},
      {R"(,"conduct":{"a":1})", "conduct", "not an object"},
      {R"(,"basis":["x"])", "basis", "not an array"},
      {R"(,"memoranda":"P06")", "memoranda", "must be an array"},
      {R"(,"memoranda":["P06",7])", "memoranda", "element 2 must be a string"},
      {R"(,"memoranda":["X99"])", "memoranda", "not a memorandum id"},
      {R"(,"list":"grey")", "list", "not red, black or watch"},
      {R"(,"valid_from":"2025/03/01")", "valid_from", "YYYY-MM-DD"},
  };
  for (const Case& c : cases) {
    // A later duplicate key overrides the first, so the extra field replaces the line's own.
    Loaded l = LoadJson("\n" + JsonLine(kUscc1, c.extra) + "\n");
    ASSERT_EQ(l.report.rejected, 1u) << c.extra;
    EXPECT_EQ(l.report.errors[0].row, 2u);
    EXPECT_EQ(l.report.errors[0].field, c.field) << c.extra;
    EXPECT_NE(l.report.errors[0].reason.find(c.reason), std::string::npos)
        << c.extra << ": " << l.report.errors[0].reason;
    EXPECT_TRUE(l.entries.empty());
  }
}

// A stand-in never shows as an error of its own: a natural person whose only identifier is
// bad reports that identifier, not "needs an ID number" too.
TEST(EntryErrors, StandInsAreValidAndNeverReported) {
  EntryFields f;
  for (std::string_view field :
       {"list", "name", "uscc", "reg_no", "id_number", "legal_rep_id_number", "subject_type",
        "decided_on", "valid_from", "valid_until", "memoranda", "state", "exit_reason", "entry_id"})
    EXPECT_TRUE(ReplaceWithValid(field, &f)) << field;
  f.state = "exited";
  EXPECT_TRUE(MakeEntry(f).ok()) << MakeEntry(f).status().ToString();
  EXPECT_FALSE(ReplaceWithValid("json", &f));

  EntryFields person;
  person.list = "black";
  person.name = "张某";
  person.subject_type = "natural_person";
  person.id_number = "110105194912310021";  // bad check character
  const Result<Entry> first = MakeEntry(person);
  ASSERT_FALSE(first.ok());
  const std::vector<Status> all = EntryFieldErrors(person, first.status());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].field(), "id_number");
  EntryFields good = person;
  good.id_number = kIdNumber;
  EXPECT_TRUE(EntryFieldErrors(good, Status::Ok()).empty());
}

TEST(Ndjson, BadIdentifierNamesItsField) {
  Loaded l = LoadJson(JsonLine("914403001922038217") + "\n" + JsonLine(kUscc2));
  ASSERT_EQ(l.report.rejected, 1u);
  EXPECT_EQ(l.report.errors[0].row, 1u);
  EXPECT_EQ(l.report.errors[0].field, "uscc");
  EXPECT_NE(l.report.errors[0].reason.find("check"), std::string::npos);
  EXPECT_EQ(l.entries.size(), 1u);
}

TEST(Ndjson, NullIsAbsentAndUnknownFieldsAreIgnored) {
  Loaded l = LoadJson(JsonLine(kUscc1, R"(,"valid_until":null,"memoranda":null,"severity":"一般",)"
                                       R"("history":[{"event":"x"}],"extra":{"n":[1,2]})"));
  ASSERT_EQ(l.entries.size(), 1u) << Errors(l.report);
  EXPECT_EQ(l.entries[0].valid_until, kForever);
  EXPECT_EQ(l.entries[0].memoranda, 0u);
}

TEST(Ndjson, EscapedKeysAndValues) {
  Loaded l = LoadJson(
      R"({"list":"red","\u006eame":"A\u0026B \"公司\"","uscc":"914403001922038216","decided_on":"2025-03-01"})");
  ASSERT_EQ(l.entries.size(), 1u) << Errors(l.report);
  EXPECT_EQ(l.entries[0].name, "A&B \"公司\"");
}

TEST(Ndjson, BomDepartmentAndDerivedIds) {
  LoadOptions options;
  options.department = "营口市信用办";
  const std::string line = R"({"list":"red","name":"x","id_number":"11010519491231002X"})";
  Loaded l = LoadJson(std::string(kUtf8Bom) + line + "\n" + line + "\n", options);
  ASSERT_EQ(l.entries.size(), 2u) << Errors(l.report);
  EXPECT_EQ(l.entries[0].department, "营口市信用办");
  EXPECT_EQ(l.entries[0].subject_type, SubjectType::kNaturalPerson);
  EXPECT_EQ(l.entries[0].entry_id, l.entries[1].entry_id);  // the same record, the same id
  EXPECT_EQ(l.entries[0].entry_id.substr(0, 2), "L-");
}

TEST(Ndjson, LastLineCloseToTheEndOfTheBuffer) {
  // No trailing newline, and a short line: simdjson's padding comes from a copy.
  const std::string data = JsonLine(kUscc1) + "\n" + JsonLine(kUscc2);
  Loaded l = LoadJson(std::string_view(data));
  EXPECT_EQ(l.entries.size(), 2u) << Errors(l.report);
  Loaded bad = LoadJson("{");
  EXPECT_EQ(bad.report.rejected, 1u);
}

TEST(Ndjson, FileInBlocksMatchesBufferIncludingAHugeLine) {
  // Bigger than the 8 MiB read block, with a line longer than one block.
  std::string data;
  const char* usccs[] = {kUscc1, kUscc2, kUscc3, kUscc4};
  for (int i = 0; i < 40000; ++i) {
    data += JsonLine(usccs[i % 4], ",\"entry_id\":\"E" + std::to_string(i) + "\"");
    data += i % 1000 == 999 ? "\r\n" : "\n";
    if (i == 20000) data += "{broken\n";
    if (i == 30000)
      data += JsonLine(kUscc1,
                       ",\"entry_id\":\"HUGE\",\"basis\":\"" + std::string(9 << 20, 'b') + "\"") +
              "\n";
  }
  data += JsonLine(kUscc2, ",\"entry_id\":\"LAST\"");  // no newline at the end
  const std::string path = TempPath("big.ndjson");
  WriteFile(path, data);
  uint64_t progress_calls = 0, last_done = 0, last_total = 0;
  LoadOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    ++progress_calls;
    last_done = done;
    last_total = total;
  };
  Loaded from_file = LoadJsonFile(path, options);
  Loaded from_buffer = LoadJson(data);
  std::remove(path.c_str());
  ASSERT_TRUE(from_file.status.ok()) << from_file.status.reason();
  EXPECT_EQ(from_file.report.rows, 40003u);
  EXPECT_EQ(from_file.report.loaded, 40002u);
  ASSERT_EQ(from_file.report.rejected, 1u);
  EXPECT_EQ(from_file.report.errors[0].row, 20002u);
  EXPECT_EQ(from_file.report.errors[0].field, "json");
  EXPECT_EQ(from_file.entries.back().entry_id, "LAST");
  EXPECT_EQ(from_file.entries[30001].entry_id, "HUGE");
  EXPECT_EQ(from_file.entries[30001].basis.size(), size_t{9} << 20);
  EXPECT_EQ(from_file.Described(), from_buffer.Described());
  EXPECT_EQ(from_file.report.errors[0].row, from_buffer.report.errors[0].row);
  EXPECT_GT(progress_calls, 2u);
  EXPECT_EQ(last_done, data.size());
  EXPECT_EQ(last_total, data.size());
}

TEST(Ndjson, PipeIsReadInBlocksIncludingALineLongerThanABlock) {
  // Not a regular file: read() in 1 MiB blocks rather than mapped.
  std::string data;
  for (int i = 0; i < 5000; ++i) {
    data +=
        JsonLine(i % 2 ? kUscc1 : kUscc2, ",\"entry_id\":\"P" + std::to_string(i) + "\"") + "\n";
    if (i == 2500)
      data += JsonLine(kUscc3, ",\"basis\":\"" + std::string(3 << 20, 'b') + "\"") + "\n";
    if (i == 4000) data += "{\"list\":\n";
  }
  data += JsonLine(kUscc4);
  const std::string path = TempPath("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    for (size_t off = 0; off < data.size();) {
      const ssize_t n = ::write(fd, data.data() + off, std::min<size_t>(data.size() - off, 65536));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  Loaded from_pipe = LoadJsonFile(path);
  writer.join();
  ::unlink(path.c_str());
  Loaded from_buffer = LoadJson(data);
  ASSERT_TRUE(from_pipe.status.ok()) << from_pipe.status.reason();
  EXPECT_EQ(from_pipe.report.loaded, 5002u);
  ASSERT_EQ(from_pipe.report.rejected, 1u);
  EXPECT_EQ(from_pipe.report.errors[0].row, 4003u);
  EXPECT_EQ(from_pipe.Described(), from_buffer.Described());
}

TEST(Ndjson, MissingFileIsAnIoError) {
  Loaded l = LoadJsonFile("/nonexistent/credlist.ndjson");
  EXPECT_EQ(l.status.code(), StatusCode::kIoError);
  EXPECT_NE(l.status.reason().find("/nonexistent/credlist.ndjson"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// NDJSON in slices and on several threads

TEST(NdjsonSlice, ParseNumbersFromTheFirstRowAndCountsLines) {
  NdjsonSliceParser parser(LoadOptions{});
  const std::string data = JsonLine(kUscc1) + "\n\n{bad\r\n" + JsonLine(kUscc2);  // 4 lines
  LoadReport report;
  std::vector<Entry> entries;
  const uint64_t lines = parser.Parse(
      data, data.size(), 41, [&](Entry&& e) { entries.push_back(std::move(e)); }, &report);
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(report.rows, 3u);
  EXPECT_EQ(entries.size(), 2u);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].row, 43u);
  const std::string ended = data + "\n";
  const EntrySink ignore = [](Entry&&) {};
  EXPECT_EQ(parser.Parse(ended, ended.size(), 1, ignore, &report), 4u);
  EXPECT_EQ(parser.Parse("\n", 1, 1, ignore, &report), 1u);
}

TEST(NdjsonSlice, SliceEndIsJustPastALineEnd) {
  const std::string data = "ab\ncdef\ng";
  EXPECT_EQ(NdjsonSliceEnd(data, 0, 1), 3u);    // the first line
  EXPECT_EQ(NdjsonSliceEnd(data, 0, 3), 3u);    // '\n' is the 3rd byte
  EXPECT_EQ(NdjsonSliceEnd(data, 0, 4), 8u);    // past it: the next line end
  EXPECT_EQ(NdjsonSliceEnd(data, 3, 0), 8u);    // at least one line
  EXPECT_EQ(NdjsonSliceEnd(data, 8, 1), 9u);    // the last line, without '\n'
  EXPECT_EQ(NdjsonSliceEnd(data, 3, 100), 9u);  // past the end
}

// Lines of every kind, from a seed: valid ones (entry_ids repeated, so that order matters),
// malformed JSON, a bad identifier, a wrong type, blank lines, CRLF, a long line.
std::string MixedNdjson(int lines, uint32_t seed, bool bom, bool last_newline) {
  std::mt19937 rng(seed);
  const char* usccs[] = {kUscc1, kUscc2, kUscc3, kUscc4};
  std::string data = bom ? std::string(kUtf8Bom) : "";
  for (int i = 0; i < lines; ++i) {
    const std::string id = ",\"entry_id\":\"E" + std::to_string(rng() % 50) + "\",\"outcome\":\"" +
                           std::to_string(i) + "\"";
    switch (rng() % 12) {
      case 0:
        data += "{\"list\":\"black\",\"name\":";  // truncated
        break;
      case 1:
        data += JsonLine("914403001922038217", id);  // bad check character
        break;
      case 2:
        data += JsonLine(kUscc1, id + ",\"legal_rep\":true");
        break;
      case 3:
        data += rng() % 2 ? "" : " \t\r";  // blank
        break;
      case 4:
        data += JsonLine(kUscc2, id + ",\"basis\":\"" + std::string(rng() % 600, 'b') + "\"");
        break;
      default:
        data += JsonLine(usccs[rng() % 4], id);
    }
    if (i + 1 < lines || last_newline) data += rng() % 5 ? "\n" : "\r\n";
  }
  return data;
}

// Entries from the batches in the order delivered; the sink and progress must be called on
// the calling thread, batches never empty, progress never backwards.
struct ParallelLoaded : Loaded {
  uint64_t batches = 0;
  uint64_t progress_calls = 0;
  uint64_t last_done = 0, last_total = 0;
};

template <typename LoadFn>
ParallelLoaded RunParallel(LoadFn load, LoadOptions options = {}) {
  ParallelLoaded l;
  const std::thread::id caller = std::this_thread::get_id();
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_GE(done, l.last_done);
    ++l.progress_calls;
    l.last_done = done;
    l.last_total = total;
  };
  l.status = load(
      options,
      [&](std::vector<Entry>&& batch) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        EXPECT_FALSE(batch.empty());
        ++l.batches;
        for (Entry& e : batch) l.entries.push_back(std::move(e));
      },
      &l.report);
  return l;
}

ParallelLoaded LoadJsonParallel(std::string_view data, unsigned threads, size_t slice_bytes,
                                LoadOptions options = {}) {
  return RunParallel(
      [&](const LoadOptions& o, const EntryBatchSink& s, LoadReport* r) {
        return LoadNdjsonParallel(data, o, ParallelOptions{threads, slice_bytes}, s, r);
      },
      std::move(options));
}

ParallelLoaded LoadJsonFileParallel(const std::string& path, unsigned threads, size_t slice_bytes) {
  return RunParallel([&](const LoadOptions& o, const EntryBatchSink& s, LoadReport* r) {
    return LoadNdjsonFileParallel(path, o, ParallelOptions{threads, slice_bytes}, s, r);
  });
}

std::string ErrorList(const LoadReport& r) {
  std::string s = "rows " + std::to_string(r.rows) + " loaded " + std::to_string(r.loaded) +
                  " rejected " + std::to_string(r.rejected) + "\n";
  return s + Errors(r);
}

void ExpectSameLoad(const Loaded& got, const Loaded& want, const std::string& what) {
  EXPECT_TRUE(got.status.ok()) << what << ": " << got.status.ToString();
  EXPECT_EQ(ErrorList(got.report), ErrorList(want.report)) << what;
  EXPECT_EQ(got.Described(), want.Described()) << what;
}

TEST(ParallelNdjson, SameEntriesOrderAndReportAsSequential) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    for (bool bom : {false, true}) {
      for (bool last_newline : {false, true}) {
        const std::string data = MixedNdjson(700, seed, bom, last_newline);
        const Loaded want = LoadJson(data);
        ASSERT_GT(want.report.rejected, 50u);
        ASSERT_GT(want.report.loaded, 400u);
        for (unsigned threads : {1u, 2u, 4u}) {
          for (size_t slice : {size_t{1}, size_t{100}, size_t{777}, size_t{1} << 20}) {
            const std::string what = "seed " + std::to_string(seed) + " bom " +
                                     std::to_string(bom) + " newline " +
                                     std::to_string(last_newline) + " threads " +
                                     std::to_string(threads) + " slice " + std::to_string(slice);
            const ParallelLoaded got = LoadJsonParallel(data, threads, slice);
            ExpectSameLoad(got, want, what);
            EXPECT_EQ(got.last_done, data.size()) << what;
            EXPECT_EQ(got.last_total, data.size()) << what;
          }
        }
      }
    }
  }
}

// With a pool, workers parse into batches the sink gave back, whose entries still hold the
// records of earlier slices (of other sizes, valid or not): what comes out is the same.
TEST(ParallelNdjson, ReusedBatchesGiveTheSameEntries) {
  const std::string data = MixedNdjson(3000, 11, false, true);
  const Loaded want = LoadJson(data);
  ASSERT_GT(want.report.rejected, 100u);
  for (unsigned threads : {1u, 2u, 4u}) {
    for (size_t slice : {size_t{100}, size_t{5000}, size_t{1} << 20}) {
      const std::string what =
          "threads " + std::to_string(threads) + " slice " + std::to_string(slice);
      EntryBatchPool pool;
      ParallelOptions parallel{threads, slice};
      parallel.pool = &pool;
      Loaded got;
      uint64_t given = 0;
      got.status = LoadNdjsonParallel(
          data, {}, parallel,
          [&](std::vector<Entry>&& batch) {
            for (const Entry& e : batch) got.entries.push_back(e);  // copies: the batch goes back
            ++given;
            pool.Give(std::move(batch));
          },
          &got.report);
      ExpectSameLoad(got, want, what);
      if (slice == 100) {
        EXPECT_GT(given, EntryBatchPool::kMaxBatches) << what;
      }
    }
  }
  // Taken back in any order; a full pool frees what it is given.
  EntryBatchPool pool;
  EXPECT_TRUE(pool.Take().empty());
  for (size_t i = 0; i < EntryBatchPool::kMaxBatches + 3; ++i) pool.Give(std::vector<Entry>(i + 1));
  size_t taken = 0;
  while (!pool.Take().empty()) ++taken;
  EXPECT_EQ(taken, EntryBatchPool::kMaxBatches);
}

TEST(ParallelNdjson, FileMatchesSequentialIncludingAHugeLineAndProgress) {
  std::string data = MixedNdjson(30000, 7, true, false);
  data.insert(
      data.find('\n', data.size() / 2) + 1,
      JsonLine(kUscc3, ",\"entry_id\":\"HUGE\",\"basis\":\"" + std::string(9 << 20, 'b') + "\"") +
          "\r\n");
  const std::string path = TempPath("parallel.ndjson");
  WriteFile(path, data);
  const Loaded want = LoadJsonFile(path);
  ASSERT_TRUE(want.status.ok());
  for (unsigned threads : {1u, 4u}) {
    for (size_t slice : {size_t{100}, size_t{64} << 10, size_t{4} << 20}) {
      const std::string what =
          "threads " + std::to_string(threads) + " slice " + std::to_string(slice);
      const ParallelLoaded got = LoadJsonFileParallel(path, threads, slice);
      ExpectSameLoad(got, want, what);
      EXPECT_GE(got.progress_calls, 2u) << what;  // on the way (past the huge line), at the end
      EXPECT_EQ(got.last_done, data.size()) << what;
      EXPECT_EQ(got.last_total, data.size()) << what;
    }
  }
  std::remove(path.c_str());
}

TEST(ParallelNdjson, ErrorsAreTheFirstInRowOrderAndCapped) {
  std::string data;
  for (int i = 0; i < 5000; ++i)
    data += i % 2 ? "{bad " + std::to_string(i) + "\n" : JsonLine(kUscc1) + "\n";
  const Loaded want = LoadJson(data);
  ASSERT_EQ(want.report.rejected, 2500u);
  ASSERT_EQ(want.report.errors.size(), LoadReport::kMaxErrors);
  for (unsigned threads : {1u, 4u}) {
    const ParallelLoaded got = LoadJsonParallel(data, threads, 100);
    ExpectSameLoad(got, want, "threads " + std::to_string(threads));
    ASSERT_EQ(got.report.errors.size(), LoadReport::kMaxErrors);
    EXPECT_EQ(got.report.errors.back().row, 2000u);
  }
}

TEST(ParallelNdjson, TheLastOccurrenceOfAnEntryIdIsDeliveredLast) {
  std::string data;
  for (int i = 0; i < 2000; ++i)
    data +=
        JsonLine(kUscc1, ",\"entry_id\":\"DUP\",\"outcome\":\"" + std::to_string(i) + "\"") + "\n";
  const ParallelLoaded got = LoadJsonParallel(data, 4, 100);
  ASSERT_EQ(got.entries.size(), 2000u);
  for (size_t i = 0; i < got.entries.size(); ++i)
    ASSERT_EQ(got.entries[i].outcome, std::to_string(i));
  EXPECT_GT(got.batches, 100u);
}

TEST(ParallelNdjson, DepartmentFillsEmptyOnesOnEveryThread) {
  LoadOptions options;
  options.department = "营口市信用办";
  std::string data;
  for (int i = 0; i < 300; ++i)
    data += JsonLine(kUscc1, i % 3 ? ",\"department\":null" : "") + "\n";
  const ParallelLoaded got = LoadJsonParallel(data, 4, 100, options);
  ExpectSameLoad(got, LoadJson(data, options), "department");
  ASSERT_EQ(got.entries.size(), 300u);
  EXPECT_EQ(got.entries[1].department, "营口市信用办");
  EXPECT_EQ(got.entries[0].department, "营口市中级人民法院");
}

TEST(ParallelNdjson, EmptyBlankPipeAndMissingInputs) {
  for (const char* data : {"", "\n", " \r\n\n\t\n"}) {
    const ParallelLoaded got = LoadJsonParallel(data, 4, 1);
    EXPECT_TRUE(got.status.ok());
    EXPECT_EQ(got.report.rows, 0u);
    EXPECT_EQ(got.batches, 0u);
  }
  const std::string empty = TempPath("empty.ndjson");
  WriteFile(empty, "");
  const ParallelLoaded from_empty = LoadJsonFileParallel(empty, 2, 100);
  std::remove(empty.c_str());
  EXPECT_TRUE(from_empty.status.ok());
  EXPECT_EQ(from_empty.report.rows, 0u);

  const ParallelLoaded missing = LoadJsonFileParallel("/nonexistent/credlist.ndjson", 2, 100);
  EXPECT_EQ(missing.status.code(), StatusCode::kIoError);
  EXPECT_NE(missing.status.reason().find("/nonexistent/credlist.ndjson"), std::string::npos);

  // A FIFO is read sequentially, in batches, with the same result.
  const std::string data = MixedNdjson(20000, 11, false, false);
  const std::string fifo = TempPath("parallel_fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    for (size_t off = 0; off < data.size();) {
      const ssize_t n = ::write(fd, data.data() + off, std::min<size_t>(data.size() - off, 65536));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  const ParallelLoaded from_pipe = LoadJsonFileParallel(fifo, 4, 100);
  writer.join();
  ::unlink(fifo.c_str());
  ExpectSameLoad(from_pipe, LoadJson(data), "fifo");
}

// A line with several bad fields reports each (one rejected row): a field of the wrong JSON
// type, a bad identifier, a bad date, an unknown list.
TEST(Ndjson, RecordReportsEveryBadField) {
  const std::string line =
      R"({"list":"grey","name":"营口某某贸易有限公司","uscc":"914403001922038217","reg_no":7,)"
      R"("legal_rep_id_number":"110105194912310021","decided_on":"2025/03/01",)"
      R"("memoranda":["P06","X99"]})";
  Loaded l = LoadJson(JsonLine(kUscc1) + "\n" + line + "\n");
  ASSERT_EQ(l.report.rejected, 1u) << Errors(l.report);
  EXPECT_EQ(l.report.loaded, 1u);
  std::vector<std::string> fields;
  for (const RowError& e : l.report.errors) {
    EXPECT_EQ(e.row, 2u);
    fields.push_back(e.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"reg_no", "list", "uscc", "legal_rep_id_number",
                                              "decided_on", "memoranda"}))
      << Errors(l.report);
  // The parallel loader reports the same.
  const ParallelLoaded p = LoadJsonParallel(JsonLine(kUscc1) + "\n" + line + "\n", 2, 16);
  EXPECT_EQ(ErrorList(p.report), ErrorList(l.report));
}

// ---------------------------------------------------------------------------------------------
// 报送表 CSV

const char kBlackHeader[] =
    "黑名单类型,企业名称,法定代表人,统一社会信用代码,工商注册登记号,违法失信行为,处罚结果,认定部门,"
    "认定依据,认定日期,处罚有效期\r\n";

std::string BlackRow(std::string_view uscc, std::string_view decided, std::string_view validity,
                     std::string_view name = "营口某某贸易有限公司") {
  return "失信被执行人," + std::string(name) + ",张某," + std::string(uscc) +
         ",,拒不履行生效法律文书确定的义务,\"纳入失信被执行人名单，限制高消费\",营口市中级人民法院,"
         "《最高人民法院关于公布失信被执行人名单信息的若干规定》," +
         std::string(decided) + "," + std::string(validity) + "\r\n";
}

std::string SampleForm() {
  return std::string(kBlackHeader) + BlackRow(kUscc1, "2025-03-01", "2028-02-28") +
         BlackRow(kUscc2, "2025/3/1", "2025-03-01至2028-02-28") +
         BlackRow(kUscc3, "2025.03.01", "3年") + BlackRow(kUscc4, "2025年3月1日", "长期");
}

// The id a 报送表 row gets (it has no entry_id column) is promised stable (docs/formats.md): the
// same row gives the same id in every release, from UTF-8 or GBK, so that loading it again
// replaces it. Known answers worked outside this code: XXH3-64 of the 17 content fields as
// the row gives them (dates as YYYY-MM-DD, valid_until the day after the last one, empty when
// 长期), each followed by U+001F.
TEST(ReportForm, DerivedEntryIdsAreKnownAnswers) {
  const std::string form = std::string(kBlackHeader) +
                           BlackRow(kUscc1, "2025-03-01", "2025-03-01至2028-02-28") +
                           BlackRow(kUscc1, "2025年3月1日", "长期");
  for (const std::string& bytes : {form, ToGb18030(form)}) {
    Loaded l = LoadForm(bytes);
    ASSERT_TRUE(l.status.ok()) << l.status.ToString();
    ASSERT_EQ(l.entries.size(), 2u) << Errors(l.report);
    EXPECT_EQ(l.entries[0].entry_id, "L-64ca11a2547e2aed");
    EXPECT_EQ(l.entries[1].entry_id, "L-7e671a436e845712");
  }
}

TEST(ReportForm, Utf8WithAndWithoutBomAndGbkGiveIdenticalEntries) {
  const std::string utf8 = SampleForm();
  Loaded plain = LoadForm(utf8);
  ASSERT_TRUE(plain.status.ok()) << plain.status.ToString();
  ASSERT_EQ(plain.entries.size(), 4u) << Errors(plain.report);
  Loaded bom = LoadForm(std::string(kUtf8Bom) + utf8);
  Loaded gbk = LoadForm(ToGb18030(utf8));
  ASSERT_TRUE(bom.status.ok()) << bom.status.ToString();
  ASSERT_TRUE(gbk.status.ok()) << gbk.status.ToString();
  EXPECT_NE(ToGb18030(utf8), utf8);
  EXPECT_EQ(bom.Described(), plain.Described());
  EXPECT_EQ(gbk.Described(), plain.Described());

  const Entry& e = plain.entries[0];
  EXPECT_EQ(e.list, ListKind::kBlack);
  EXPECT_EQ(e.category, "失信被执行人");
  EXPECT_EQ(e.subject_type, SubjectType::kLegalPerson);
  EXPECT_EQ(e.name, "营口某某贸易有限公司");
  EXPECT_EQ(e.legal_rep, "张某");
  EXPECT_EQ(FormatKey(e.uscc), kUscc1);
  EXPECT_EQ(e.outcome, "纳入失信被执行人名单，限制高消费");
  EXPECT_EQ(e.department, "营口市中级人民法院");
  EXPECT_EQ(e.entry_id.substr(0, 2), "L-");
  // The files too, read in blocks by the streaming decoder.
  for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"u.csv", utf8},
                                    {"b.csv", std::string(kUtf8Bom) + utf8},
                                    {"g.csv", ToGb18030(utf8)}}) {
    const std::string path = TempPath(name);
    WriteFile(path, bytes);
    Loaded f = LoadFormFile(path);
    std::remove(path.c_str());
    ASSERT_TRUE(f.status.ok()) << name << ": " << f.status.ToString();
    EXPECT_EQ(f.Described(), plain.Described()) << name;
  }
}

TEST(ReportForm, DateAndValidityForms) {
  Loaded l = LoadForm(SampleForm());
  ASSERT_EQ(l.entries.size(), 4u) << Errors(l.report);
  const char* expected[][3] = {
      {"2025-03-01", "2025-03-01", "2028-02-29"},  // end date: the last day in force
      {"2025-03-01", "2025-03-01", "2028-02-29"},  // range
      {"2025-03-01", "2025-03-01", "2028-03-01"},  // 3年: stops on the same day
      {"2025-03-01", "2025-03-01", "open"},        // 长期
  };
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(FormatDate(l.entries[i].decided_on), expected[i][0]) << i;
    EXPECT_EQ(FormatDate(l.entries[i].valid_from), expected[i][1]) << i;
    EXPECT_EQ(DayText(l.entries[i].valid_until), expected[i][2]) << i;
  }
  // A range with its own start.
  Loaded r = LoadForm(std::string(kBlackHeader) +
                      BlackRow(kUscc1, "2025-03-01", "2025年4月1日起至2026年3月31日止"));
  ASSERT_EQ(r.entries.size(), 1u) << Errors(r.report);
  EXPECT_EQ(FormatDate(r.entries[0].valid_from), "2025-04-01");
  EXPECT_EQ(FormatDate(r.entries[0].valid_until), "2026-04-01");
}

TEST(ReportForm, BadRowIsReportedWithItsLineAndFieldOthersLoad) {
  const std::string data = std::string(kBlackHeader) +                            // line 1
                           BlackRow(kUscc1, "2025-03-01", "3年") +                // line 2
                           BlackRow("914403001922038217", "2025-03-01", "3年") +  // 3: bad check
                           BlackRow(kUscc2, "2025-03-01", "3年");                 // line 4
  Loaded l = LoadForm(data);
  ASSERT_TRUE(l.status.ok());
  EXPECT_EQ(l.report.rows, 3u);
  EXPECT_EQ(l.report.loaded, 2u);
  ASSERT_EQ(l.report.rejected, 1u);
  EXPECT_EQ(l.report.errors[0].row, 3u);
  EXPECT_EQ(l.report.errors[0].field, "uscc");
  EXPECT_NE(l.report.errors[0].reason.find("统一社会信用代码"), std::string::npos)
      << l.report.errors[0].reason;
  EXPECT_NE(l.report.errors[0].reason.find("check"), std::string::npos);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(FormatKey(l.entries[0].uscc), kUscc1);
  EXPECT_EQ(FormatKey(l.entries[1].uscc), kUscc2);
}

TEST(ReportForm, RowErrorsNameFieldAndHeader) {
  struct Case {
    std::string row;
    std::string field;
    std::string reason;
  } cases[] = {
      {BlackRow(kUscc1, "2025-02-30", "3年"), "decided_on", "认定日期: '2025-02-30' is not a real"},
      {BlackRow(kUscc1, "", "3年"), "decided_on", "认定日期: is empty"},
      {BlackRow(kUscc1, "2025-03-01", "明年"), "valid_until",
       "处罚有效期: '明年' is not an end date"},
      {BlackRow(kUscc1, "2025-03-01", "2025-02-30至2026-01-01"), "valid_from",
       "处罚有效期: the range's start"},
      {BlackRow(kUscc1, "2025-03-01", "2024-01-01"), "valid_until", "before 认定日期"},
      {BlackRow("", "2025-03-01", "3年"), "uscc", "统一社会信用代码, 工商注册登记号: all empty"},
      {BlackRow("9.14403E+17", "2025-03-01", "3年"), "uscc", "scientific notation"},
      {BlackRow(kUscc1, "2025-03-01", "3年", ""), "name", "企业名称: is empty"},
      {BlackRow("91440300192203821", "2025-03-01", "3年"), "uscc", "统一社会信用代码: USCC"},
  };
  for (const Case& c : cases) {
    Loaded l = LoadForm(std::string(kBlackHeader) + c.row);
    ASSERT_TRUE(l.status.ok()) << l.status.ToString();
    ASSERT_EQ(l.report.rejected, 1u) << c.row;
    EXPECT_EQ(l.report.errors[0].row, 2u);
    EXPECT_EQ(l.report.errors[0].field, c.field) << c.row;
    EXPECT_NE(l.report.errors[0].reason.find(c.reason), std::string::npos)
        << c.row << " -> " << l.report.errors[0].reason;
  }
}

TEST(ReportForm, SeedHeadersWithSpacesAndTitleRowAndQuotedCells) {
  // The seed prints the headers with line-break spaces; a saved template keeps its title row;
  // Excel quotes cells holding commas or line breaks (Alt+Enter).
  const std::string data =
      "营口市“红名单”报送表（1）,,,,,,,,,,\r\n"                                                // 1
      "红名单 类型,企业 名称,法定代 表人,统一社 会信用 代码,\"工商注\n册登记 号\",守信 行为,"  // 2
      "获得 奖励,认定 部门,认定 依据,认定 日期,有效期,序号\r\n"                                // 3
      "纳税信用A级纳税人,\"营口某某港口服务有限公司\",李某," +
      std::string(kUscc1) +
      ",,\"依法诚信纳税，\n连续三年A级\",\"绿色通道，\"\"容缺受理\"\"\",国家税务总局营口市税务局,"
      "《纳税信用管理办法》,2025-03-01,2026-02-28,1\r\n"  // 4-5
      ",,,,,,,,,,,\r\n"                                   // 6: empty row
      "\r\n"                                              // 7
      "纳税信用A级纳税人,营口某某科技有限公司,王某," +
      std::string(kUscc2) +
      ",,依法诚信纳税,绿色通道,,《纳税信用管理办法》,2025-03-01,1年,2\r\n";  // 8
  LoadOptions options;
  options.department = "国家税务总局营口市税务局";
  Loaded l = LoadForm(data, options);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.report.rows, 2u);
  ASSERT_EQ(l.entries.size(), 2u) << Errors(l.report);
  EXPECT_EQ(l.entries[0].list, ListKind::kRed);
  EXPECT_EQ(l.entries[0].name, "营口某某港口服务有限公司");
  EXPECT_EQ(l.entries[0].conduct, "依法诚信纳税，\n连续三年A级");
  EXPECT_EQ(l.entries[0].outcome, "绿色通道，\"容缺受理\"");
  EXPECT_EQ(FormatDate(l.entries[0].valid_until), "2026-03-01");
  EXPECT_EQ(l.entries[1].department, "国家税务总局营口市税务局");  // filled from the options

  // A bad second row is reported on its physical line, after the multi-line cell.
  std::string bad = data;
  bad.replace(bad.find(kUscc2), 18, "91330100716105852G");
  Loaded b = LoadForm(bad);
  ASSERT_EQ(b.report.rejected, 1u);
  EXPECT_EQ(b.report.errors[0].row, 8u);
  EXPECT_EQ(b.report.errors[0].field, "uscc");
}

TEST(ReportForm, MixedListsNaturalPersonsAndMemoranda) {
  const std::string id2 = [] {
    std::string first17 = "21080219780315201";
    return first17 + IdNumberCheckChar(first17);
  }();
  // 名单,黑名单类型,企业名称,姓名,证件类型,证件号码,法定代表人,法定代表人证件号码,统一社会信用代码,
  // 认定部门,认定日期,有效期,备忘录
  const std::string data =
      Csv({"名单", "黑名单类型", "企业名称", "姓名", "证件类型", "证件号码", "法定代表人",
           "法定代表人证件号码", "统一社会信用代码", "认定部门", "认定日期", "有效期", "备忘录"}) +
      Csv({"黑", "失信被执行人", "营口某某贸易有限公司", "", "", "", "张某", kIdNumber, kUscc1,
           "营口市中级人民法院", "2025-03-01", "3年", "P06、P01, p02;R01"}) +
      Csv({"重点关注", "", "", "赵某", "居民身份证", id2, "", "", "", "营口市人社局", "2025-03-01",
           "6个月", ""}) +
      Csv({"红名单", "", "营口某某科技有限公司", "", "统一社会信用代码", kUscc2, "", "", "",
           "营口市税务局", "2025-03-01", "", ""}) +
      Csv({"黑", "", "营口某某物流有限公司", "", "", "", "", "", kUscc3, "", "2025-03-01", "",
           ""}) +
      Csv({"紫", "", "营口某某物流有限公司", "", "", "", "", "", kUscc4, "", "2025-03-01", "",
           ""}) +
      Csv({"红", "失信被执行人", "营口某某物流有限公司", "", "", "", "", "", kUscc4, "x",
           "2025-03-01", "", ""});
  Loaded l = LoadForm(data);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  ASSERT_EQ(l.report.rejected, 3u) << Errors(l.report);
  EXPECT_EQ(l.report.errors[0].row, 2u);  // "p02" is not an id
  EXPECT_EQ(l.report.errors[0].field, "memoranda");
  EXPECT_NE(l.report.errors[0].reason.find("备忘录"), std::string::npos);
  EXPECT_EQ(l.report.errors[1].row, 6u);
  EXPECT_EQ(l.report.errors[1].field, "list");
  EXPECT_NE(l.report.errors[1].reason.find("名单: '紫'"), std::string::npos)
      << l.report.errors[1].reason;
  EXPECT_EQ(l.report.errors[2].row, 7u);  // 红 but the category is in 黑名单类型
  EXPECT_EQ(l.report.errors[2].field, "list");
  ASSERT_EQ(l.entries.size(), 3u);
  const Entry& watch = l.entries[0];
  EXPECT_EQ(watch.list, ListKind::kWatch);
  EXPECT_EQ(watch.subject_type, SubjectType::kNaturalPerson);
  EXPECT_EQ(watch.name, "赵某");
  EXPECT_EQ(FormatKey(watch.id_number), id2);
  EXPECT_EQ(watch.id_type, "居民身份证");
  const Entry& red = l.entries[1];
  EXPECT_EQ(red.list, ListKind::kRed);
  EXPECT_EQ(FormatKey(red.uscc), kUscc2);  // 证件类型 统一社会信用代码
  EXPECT_TRUE(red.id_number.empty());
  EXPECT_EQ(l.entries[2].list, ListKind::kBlack);

  // The memoranda split on 、 , ; and spaces.
  std::string fixed = data;
  fixed.replace(fixed.find("p02"), 3, "P02");
  Loaded f = LoadForm(fixed);
  ASSERT_EQ(f.entries.size(), 4u) << Errors(f.report);
  const Entry& black = f.entries[0];
  EXPECT_EQ(black.memoranda, (uint64_t{1} << *ParseMemorandumId("P06")) |
                                 (uint64_t{1} << *ParseMemorandumId("P01")) |
                                 (uint64_t{1} << *ParseMemorandumId("P02")) |
                                 (uint64_t{1} << *ParseMemorandumId("R01")));
  EXPECT_EQ(FormatKey(black.legal_rep_id), kIdNumber);
}

TEST(ReportForm, HeaderErrorsAreWholeFileErrors) {
  struct Case {
    std::string data;
    std::string field;
    std::string reason;
  } cases[] = {
      {"黑名单类型,企业名称,统一社会信用代码,处罚有效期\n失信被执行人,x," + std::string(kUscc1) +
           ",3年\n",
       "decided_on", "认定日期"},
      {"企业名称,统一社会信用代码,认定日期\n", "list", "红名单类型, 黑名单类型 or 名单"},
      {"黑名单类型,法定代表人,统一社会信用代码,认定日期\n", "name", "企业名称 or 姓名"},
      {"黑名单类型,企业名称,认定部门,认定日期\n", "uscc",
       "统一社会信用代码, 工商注册登记号 or 证件号码"},
      {"黑名单类型,企业名称,统一社会信用代码,认定日期,企业 名称\n", "name",
       "企业名称 twice (columns 2 and 5)"},
      {"a,b,c\n1,2,3\n", "list", "no header row found"},
      {"", "", "no header row"},
  };
  for (const Case& c : cases) {
    Loaded l = LoadForm(c.data);
    ASSERT_FALSE(l.status.ok()) << c.data;
    EXPECT_EQ(l.status.field(), c.field) << c.data;
    EXPECT_NE(l.status.reason().find(c.reason), std::string::npos)
        << c.data << " -> " << l.status.reason();
    EXPECT_TRUE(l.entries.empty());
  }
}

TEST(ReportForm, UnclosedQuoteAndBadEncodingAreWholeFileErrors) {
  Loaded q = LoadForm(std::string(kBlackHeader) + "失信被执行人,\"营口\n");
  ASSERT_FALSE(q.status.ok());
  EXPECT_NE(q.status.reason().find("line 2"), std::string::npos) << q.status.reason();

  std::string bad = SampleForm();
  bad += "\xFF\xFE\n";
  Loaded e = LoadForm(bad);
  ASSERT_FALSE(e.status.ok());
  EXPECT_NE(e.status.reason().find("UTF-8"), std::string::npos) << e.status.reason();
}

TEST(ReportForm, SameRowLoadedTwiceIsTheSameEntry) {
  Loaded a = LoadForm(SampleForm());
  Loaded b = LoadForm(std::string(kUtf8Bom) + SampleForm());
  ASSERT_EQ(a.entries.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(a.entries[i].entry_id, b.entries[i].entry_id);
  EXPECT_NE(a.entries[0].entry_id, a.entries[1].entry_id);
}

TEST(ReportForm, SampleFilesLoadIdentically) {
  Loaded utf8 = LoadFormFile(SourcePath("data/sample_report_form.csv"));
  Loaded gbk = LoadFormFile(SourcePath("data/sample_report_form_gbk.csv"));
  ASSERT_TRUE(utf8.status.ok()) << utf8.status.ToString();
  ASSERT_TRUE(gbk.status.ok()) << gbk.status.ToString();
  EXPECT_EQ(utf8.report.rejected, 0u) << Errors(utf8.report);
  EXPECT_GE(utf8.entries.size(), 10u);
  EXPECT_EQ(gbk.Described(), utf8.Described());
  EXPECT_TRUE(HasUtf8Bom(ReadFile(SourcePath("data/sample_report_form.csv"))));
  for (const Entry& e : utf8.entries) {
    EXPECT_EQ(e.list, ListKind::kBlack);
    const std::string uscc = FormatKey(e.uscc);
    EXPECT_EQ(uscc.substr(2, 4), "2108") << uscc;  // Yingkou
    EXPECT_FALSE(e.reg_no.empty());
  }
  // The buffer loader agrees with the file loader.
  Loaded buffer = LoadForm(ReadFile(SourcePath("data/sample_report_form_gbk.csv")));
  EXPECT_EQ(buffer.Described(), utf8.Described());
}

// A row with a bad 认定日期 and a bad 有效期 reports both, each with its row, field and
// header; with a bad list, an empty name, a number in scientific notation and a bad ID number
// besides, all six. Stand-ins for the bad cells raise no errors of their own.
TEST(ReportForm, RowReportsEveryBadCell) {
  Loaded two = LoadForm(std::string(kBlackHeader) + BlackRow(kUscc1, "2025-03-01", "3年") +
                        BlackRow(kUscc2, "2025-02-30", "明年"));
  ASSERT_TRUE(two.status.ok()) << two.status.ToString();
  EXPECT_EQ(two.report.rows, 2u);
  EXPECT_EQ(two.report.loaded, 1u);
  ASSERT_EQ(two.report.rejected, 1u);
  EXPECT_EQ(
      Errors(two.report),
      "3 decided_on: 认定日期: '2025-02-30' is not a real date: 2025-02 has 28 days\n"
      "3 valid_until: 处罚有效期: '明年' is not an end date, a range (2025-03-01至2028-02-28), "
      "a duration (3年, 6个月) or 长期; dates are written as 2025-03-01, 2025/3/1, "
      "2025.03.01 or 2025年3月1日\n");

  // A duration counts from a 认定日期 that could not be read: that is one error, not two.
  Loaded one = LoadForm(std::string(kBlackHeader) + BlackRow(kUscc1, "46027", "3年"));
  ASSERT_EQ(one.report.errors.size(), 1u) << Errors(one.report);
  EXPECT_EQ(one.report.errors[0].field, "decided_on");

  const std::string data =
      Csv({"名单", "黑名单类型", "企业名称", "法定代表人", "法定代表人证件号码", "统一社会信用代码",
           "工商注册登记号", "认定日期", "有效期", "备忘录"}) +
      Csv({"紫", "", "", "张某", "110105194912310021", kUscc1, "2.10802E+14", "3/9/2026",
           "2025-01-01至46027", "P06、X99"});
  Loaded all = LoadForm(data);
  ASSERT_TRUE(all.status.ok()) << all.status.ToString();
  ASSERT_EQ(all.report.rejected, 1u);
  EXPECT_EQ(
      Errors(all.report),
      "2 list: 名单: '紫' is not 红, 黑 or 重点关注 (red, black, watch)\n"
      "2 name: 企业名称: is empty\n"
      "2 reg_no: 工商注册登记号: '2.10802E+14' is a number Excel shortened to scientific "
      "notation: its digits are lost; take the number from the original record and enter it "
      "in a column formatted as text (文本)\n"
      "2 decided_on: 认定日期: '3/9/2026' has its year last, so its day and month cannot "
      "be told apart; write it as 2026-03-09 or 2026-09-03\n"
      "2 valid_until: 有效期: the range's end '46027' looks like an Excel date serial for "
      "2026-01-05; format the column as text or date and save the file again\n" +
          [&] {
            const Result<Key> k = ParseIdNumber("110105194912310021", "legal_rep_id_number");
            return "2 legal_rep_id_number: 法定代表人证件号码: " + k.status().reason() + "\n";
          }() +
          "2 memoranda: 备忘录: 'X99' is not a memorandum id (P01-P43, R01-R05, J01-J03)\n");
}

// 46027 in a date column is a date cell Excel saved as a number: rejected, naming the day.
TEST(ReportForm, ExcelDateSerialIsRejectedWithItsDate) {
  Loaded l = LoadForm(std::string(kBlackHeader) + BlackRow(kUscc1, "46027", "长期") +
                      BlackRow(kUscc2, "2025-03-01", "46027"));
  ASSERT_EQ(l.report.rejected, 2u) << Errors(l.report);
  EXPECT_EQ(Errors(l.report),
            "2 decided_on: 认定日期: '46027' looks like an Excel date serial for 2026-01-05; "
            "format the column as text or date and save the file again\n"
            "3 valid_until: 处罚有效期: '46027' looks like an Excel date serial for 2026-01-05; "
            "format the column as text or date and save the file again\n");
  EXPECT_TRUE(l.entries.empty());
}

// What Excel writes for a date-time cell, and a date with its weekday, are that date; a time
// other than midnight keeps the date part too.
TEST(ReportForm, DateWithMidnightTimeIsAccepted) {
  const char* forms[] = {
      "2026/1/5 0:00",     "2026/1/5 12:00:00 AM", "2026年1月5日星期一",       "2026年1月5日 周一",
      "2026 年 1 月 5 日", "2026/1/5 9:30",        "２０２６／１／５　０:００"};
  std::string data = kBlackHeader;
  const char* usccs[] = {kUscc1, kUscc2, kUscc3, kUscc4, kUscc1, kUscc2, kUscc3};
  for (size_t i = 0; i < std::size(forms); ++i)
    data += BlackRow(usccs[i], forms[i], "2027/1/4 0:00");
  Loaded l = LoadForm(data);
  ASSERT_EQ(l.report.rejected, 0u) << Errors(l.report);
  ASSERT_EQ(l.entries.size(), std::size(forms));
  for (size_t i = 0; i < std::size(forms); ++i) {
    EXPECT_EQ(FormatDate(l.entries[i].decided_on), "2026-01-05") << forms[i];
    EXPECT_EQ(FormatDate(l.entries[i].valid_until), "2027-01-05") << forms[i];
  }
}

// 3/9/2026 is March 9 in one country and September 3 in another: rejected, with both fixes.
TEST(ReportForm, AmbiguousSlashDateIsRejectedWithFix) {
  Loaded l = LoadForm(std::string(kBlackHeader) + BlackRow(kUscc1, "3/9/2026", "长期"));
  ASSERT_EQ(l.report.rejected, 1u);
  EXPECT_EQ(Errors(l.report),
            "2 decided_on: 认定日期: '3/9/2026' has its year last, so its day and month cannot be "
            "told apart; write it as 2026-03-09 or 2026-09-03\n");
}

// A GBK writer puts '?' for a character it cannot encode (李䶮 → 李?). Such a '?' in a name of
// a file that is not UTF-8 is a warning naming the row and field; the rows still load. A '?'
// in another column is not a name's.
TEST(ReportForm, QuestionMarkInGbkNameWarns) {
  Loaded l = LoadFormFile(SourcePath("tests/data/gbk_lost_characters.csv"));
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.report.loaded, 3u) << Errors(l.report);
  EXPECT_EQ(l.report.rejected, 0u);
  ASSERT_EQ(l.report.warned, 2u);
  ASSERT_EQ(l.report.warnings.size(), 2u);
  EXPECT_EQ(l.report.warnings[0].row, 2u);
  EXPECT_EQ(l.report.warnings[0].field, "name");
  EXPECT_NE(l.report.warnings[0].reason.find("企业名称: '营口市李?商贸有限公司' has a '?'"),
            std::string::npos)
      << l.report.warnings[0].reason;
  EXPECT_NE(l.report.warnings[0].reason.find("GB18030 or UTF-8"), std::string::npos);
  EXPECT_EQ(l.report.warnings[1].row, 3u);
  EXPECT_EQ(l.report.warnings[1].field, "legal_rep");
  EXPECT_NE(l.report.warnings[1].reason.find("法定代表人: '李?明'"), std::string::npos)
      << l.report.warnings[1].reason;
  // The buffer loader agrees.
  Loaded b = LoadForm(ReadFile(SourcePath("tests/data/gbk_lost_characters.csv")));
  EXPECT_EQ(b.report.warned, 2u);
  EXPECT_EQ(b.Described(), l.Described());
}

// In a UTF-8 file nothing was lost: an ASCII '?' in a name is the name's own.
TEST(ReportForm, QuestionMarkInUtf8NameIsNotWarned) {
  const std::string data =
      std::string(kBlackHeader) + BlackRow(kUscc1, "2025-03-01", "3年", "营口市李?商贸有限公司");
  LoadOptions strict;
  strict.strict = true;
  for (const std::string& bytes : {data, std::string(kUtf8Bom) + data}) {
    Loaded l = LoadForm(bytes);
    EXPECT_EQ(l.report.loaded, 1u) << Errors(l.report);
    EXPECT_EQ(l.report.warned, 0u);
    const std::string path = TempPath("utf8_question.csv");
    WriteFile(path, bytes);
    Loaded f = LoadFormFile(path, strict);
    std::remove(path.c_str());
    EXPECT_EQ(f.report.loaded, 1u) << Errors(f.report);
    EXPECT_EQ(f.report.warned, 0u);
  }
}

// With --strict, the lost character is an error: the row is rejected, with its other errors.
TEST(ReportForm, StrictMakesLostCharacterAnError) {
  LoadOptions strict;
  strict.strict = true;
  Loaded l = LoadFormFile(SourcePath("tests/data/gbk_lost_characters.csv"), strict);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.report.loaded, 1u);
  ASSERT_EQ(l.report.rejected, 2u);
  EXPECT_EQ(l.report.warned, 0u);
  ASSERT_EQ(l.report.errors.size(), 2u);
  EXPECT_EQ(l.report.errors[0].row, 2u);
  EXPECT_EQ(l.report.errors[0].field, "name");
  EXPECT_EQ(l.report.errors[1].row, 3u);
  EXPECT_EQ(l.report.errors[1].field, "legal_rep");
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].name, "营口某某科技有限公司");
}

// A GB18030 file keeps the characters GBK cannot write, and gives no warning.
TEST(ReportForm, Gb18030FileKeepsRareCharacters) {
  Loaded l = LoadFormFile(SourcePath("tests/data/gb18030_rare_characters.csv"));
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  ASSERT_EQ(l.entries.size(), 3u) << Errors(l.report);
  EXPECT_EQ(l.entries[0].name, "营口市李䶮商贸有限公司");
  EXPECT_EQ(l.entries[1].legal_rep, "𠮷某");
  EXPECT_EQ(l.entries[2].name, "营口㐀丰科技有限公司");
  EXPECT_EQ(l.report.warned, 0u);
}

TEST(ReportForm, MissingFileIsAnIoError) {
  Loaded l = LoadFormFile("/nonexistent/form.csv");
  EXPECT_EQ(l.status.code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace credlist
