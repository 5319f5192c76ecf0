// JsonWriter (engine/json_writer.h): commas, escaping, and every value kind.
#include "engine/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace credlist {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  JsonWriter(&out).String(s);
  return out;
}

TEST(JsonWriter, EscapesQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(Str("plain"), R"("plain")");
  EXPECT_EQ(Str(""), R"("")");
  EXPECT_EQ(Str("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(Str("C:\\dir\\"), R"("C:\\dir\\")");
  EXPECT_EQ(Str("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(Str("\x01"), R"("\u0001")");
  EXPECT_EQ(Str("\x1f"), R"("\u001f")");
  EXPECT_EQ(Str("\b\f"), R"("\u0008\u000c")");
  EXPECT_EQ(Str(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(Str("\x7f"), "\"\x7f\"");  // DEL needs no escape
  EXPECT_EQ(Str("/"), R"("/")");
  EXPECT_EQ(Str("\"\\\x01\""), R"("\"\\\u0001\"")");  // escapes back to back
}

// RFC 8259 escaping, one byte at a time: the reference for the writer's runs.
std::string Escaped(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Random strings of every length to 80 bytes, with characters to escape anywhere or nowhere,
// back to back or at the ends, and bytes >= 0x80 (which pass through).
TEST(JsonWriter, EscapesEveryByteAsTheOneAtATimeRule) {
  std::mt19937 rng(7);
  const std::string plain = "营口市abcXYZ019 ~{}";
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 81, 'a');
    const int escapes = static_cast<int>(rng() % 4);
    for (char& c : s) {
      const unsigned r = rng() % 100;
      if (escapes > 0 && r < static_cast<unsigned>(escapes))
        c = "\"\\\n\x01\x1f\t\r"[rng() % 7];
      else
        c = plain[rng() % plain.size()];
    }
    std::string out;
    JsonWriter(&out).String(s);
    ASSERT_EQ(out, Escaped(s)) << "round " << round;
  }
}

TEST(JsonWriter, Utf8PassesThrough) {
  EXPECT_EQ(Str("营口市中级人民法院"), "\"营口市中级人民法院\"");
  EXPECT_EQ(Str("张* \xF0\x9F\x98\x80"), "\"张* \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Str("“引号”"), "\"“引号”\"");
}

TEST(JsonWriter, CommasInNestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("key").String("9121");
  w.Key("status").String("black");
  w.Key("entries").BeginArray();
  w.BeginObject()
      .Key("entry_id")
      .String("B-1")
      .Key("memoranda")
      .BeginArray()
      .String("P06")
      .String("P07");
  w.EndArray().EndObject();
  w.BeginObject()
      .Key("entry_id")
      .String("B-2")
      .Key("memoranda")
      .BeginArray()
      .EndArray()
      .EndObject();
  w.EndArray();
  w.Key("related").BeginArray().EndArray();
  w.Key("empty").BeginObject().EndObject();
  w.Key("nested").BeginArray().BeginArray().Int(1).EndArray().BeginArray().EndArray().Int(2);
  w.EndArray();
  w.Key("conflict").Bool(false);
  w.EndObject();
  EXPECT_EQ(
      out,
      R"({"key":"9121","status":"black","entries":[{"entry_id":"B-1","memoranda":["P06","P07"]},)"
      R"({"entry_id":"B-2","memoranda":[]}],"related":[],"empty":{},"nested":[[1],[],2],)"
      R"("conflict":false})");
}

TEST(JsonWriter, KeyRightAfterBeginObjectHasNoComma) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").BeginObject().Key("b").Int(1).EndObject().Key("c").Null().EndObject();
  EXPECT_EQ(out, R"({"a":{"b":1},"c":null})");
}

TEST(JsonWriter, KeysAreEscaped) {
  std::string out;
  JsonWriter(&out).BeginObject().Key("a\"b").Int(0).Key("认定部门").String("x").EndObject();
  EXPECT_EQ(out, R"({"a\"b":0,"认定部门":"x"})");
}

TEST(JsonWriter, Values) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  w.Int(0)
      .Int(-1)
      .Int(std::numeric_limits<int64_t>::max())
      .Int(std::numeric_limits<int64_t>::min());
  w.Double(0.5).Double(-2).Double(0.1).Double(1e21);
  w.Bool(true).Bool(false).Null();
  w.StringOrNull("").StringOrNull("x");
  w.Raw(R"({"pre":"encoded"})").Raw("[1,2]");
  w.EndArray();
  EXPECT_EQ(out,
            R"([0,-1,9223372036854775807,-9223372036854775808,0.5,-2,0.1,1e+21,true,false,null,)"
            R"(null,"x",{"pre":"encoded"},[1,2]])");
}

// RFC 8259 has no NaN or infinity: a rate of 0/0 (no hits yet) must still be valid JSON.
TEST(JsonWriter, NonFiniteDoublesAreNull) {
  std::string out;
  JsonWriter w(&out);
  const double zero = 0;
  w.BeginObject().Key("feedback_rate").Double(zero / zero).Key("inf").Double(1 / zero);
  w.Key("ninf").Double(-1 / zero).Key("n").Int(1).EndObject();
  EXPECT_EQ(out, R"({"feedback_rate":null,"inf":null,"ninf":null,"n":1})");
}

// The writer appends: a caller reuses one string for many documents, and top-level values in
// a row (NDJSON lines written by one writer) are separated by commas only if the caller keeps
// the writer; a new writer per line starts clean.
TEST(JsonWriter, AppendsToTheCallersString) {
  std::string out = "prefix:";
  JsonWriter(&out).BeginObject().Key("a").Int(1).EndObject();
  out.push_back('\n');
  JsonWriter(&out).BeginObject().Key("b").Int(2).EndObject();
  EXPECT_EQ(out, "prefix:{\"a\":1}\n{\"b\":2}");
  JsonWriter w(&out);
  EXPECT_EQ(&w.out(), &out);
}

}  // namespace
}  // namespace credlist
