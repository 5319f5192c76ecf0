// The server's handling that needs no socket: where a malformed JSON body breaks
// (server/json_body.h), and no check answered without a loaded snapshot (Router::Serving).
#include <gtest/gtest.h>

#include <string>

#include "server/json_body.h"
#include "tests/engine_test_util.h"
#include "tests/router_test_util.h"

namespace credlist {
namespace {

using testing::D;
using testing::TestEntry;

// The offset where the text stops being JSON, or -1 when it is JSON.
long long BreaksAt(std::string_view text) {
  auto e = FindJsonSyntaxError(text);
  return e ? static_cast<long long>(e->offset) : -1;
}

TEST(JsonSyntax, WellFormedDocumentsPass) {
  for (const char* ok : {"{}", "[]", " {\"keys\" : [\"a\", \"b\"]}\n", "0", "-0.5e+10", "true",
                         "null", "{\"a\":{\"b\":[1,2,{\"c\":false}]}}",
                         "\"\\u00e9\\ud83d\\ude00\\n\\\"\"", "\"营口市\"", "[1E5, 2.0e-3, -12]"})
    EXPECT_EQ(BreaksAt(ok), -1) << ok;
}

TEST(JsonSyntax, MalformedJsonIsLocatedAtItsFirstBadByte) {
  // Offsets worked by hand: the 0-based position of the first byte that cannot continue.
  EXPECT_EQ(BreaksAt(""), 0);
  EXPECT_EQ(BreaksAt("{\"keys\":[\"a\",}"), 13);   // trailing comma: the '}' after ','
  EXPECT_EQ(BreaksAt("{\"keys\":[\"a\",]}"), 13);  // trailing comma in the array
  EXPECT_EQ(BreaksAt("{\"a\":1,}"), 7);
  EXPECT_EQ(BreaksAt("{\"keys\":[\"a\""), 12);  // truncated: at the end
  EXPECT_EQ(BreaksAt("{\"keys\":[]} x"), 12);   // garbage after the object
  EXPECT_EQ(BreaksAt("{\"keys\":[]}{}"), 11);
  EXPECT_EQ(BreaksAt("{keys:[]}"), 1);  // a member name must be a string
  EXPECT_EQ(BreaksAt("{\"a\" 1}"), 5);  // ':' missing
  EXPECT_EQ(BreaksAt("[1 2]"), 3);
  EXPECT_EQ(BreaksAt("[01]"), 2);  // no leading zero
  EXPECT_EQ(BreaksAt("[1.]"), 3);
  EXPECT_EQ(BreaksAt("[tru]"), 4);
  EXPECT_EQ(BreaksAt("[\"a\\x\"]"), 3);  // the backslash of a bad escape
  EXPECT_EQ(BreaksAt("[\"\\u12G4\"]"), 2);
  EXPECT_EQ(BreaksAt("[\"\\udc00\"]"), 2);            // a lone low surrogate
  EXPECT_EQ(BreaksAt("[\"a\tb\"]"), 3);               // a raw tab in a string
  EXPECT_EQ(BreaksAt("[\"\xC3\x28\"]"), 2);           // a bad continuation byte
  EXPECT_EQ(BreaksAt("[\"\xC0\xAF\"]"), 2);           // an overlong '/'
  EXPECT_EQ(BreaksAt("[\"\xED\xA0\x80\"]"), 2);       // a surrogate in UTF-8
  EXPECT_EQ(BreaksAt(std::string(1025, '[')), 1024);  // deeper than simdjson's 1024
}

TEST(JsonSyntax, MalformedBodyNamesTheByteOffset) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  Status s = ParseJsonBody("{\"keys\":[\"a\",}", false, parser, &root);
  EXPECT_EQ(s.field(), "body");
  EXPECT_EQ(s.reason(), "malformed JSON at byte 13: a trailing ',' before '}': expected a value");
  s = ParseJsonBody("", false, parser, &root);
  EXPECT_EQ(s.reason(), "malformed JSON at byte 0: the body is empty, expected a JSON value");
  EXPECT_TRUE(ParseJsonBody(" \n", true, parser, &root).ok());   // a transition needs no body
  EXPECT_TRUE(ParseJsonBody("[1]", false, parser, &root).ok());  // JSON, if not an object
}

// An empty request body arrives as a view with no buffer (data() is null): UBSan caught
// simdjson copying from it.
TEST(JsonSyntax, EmptyBodyWithNoBufferIsMalformedAtByteZero) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const Status s = ParseJsonBody(std::string_view(), false, parser, &root);
  EXPECT_EQ(s.field(), "body");
  EXPECT_EQ(s.reason(), "malformed JSON at byte 0: the body is empty, expected a JSON value");
}

class NoSnapshot : public testing::RouterTest {
 protected:
  Response Post(const std::string& target, const std::string& body) {
    Request req;
    req.method = Method::kPost;
    req.target = target;
    req.body = body;
    req.content_type = "application/json";
    const std::string auth = std::string("Bearer ") + kToken;
    req.authorization = auth;
    Response res;
    router_.Handle(req, worker_, &res);
    return res;
  }
  static constexpr char kUscc[] = "91210802MA0Q1A2B6M";
};

TEST_F(NoSnapshot, ReadyzAndChecksAnswer503UntilASnapshotWithEntriesIsPublished) {
  const std::string subject = std::string("/v1/subjects/") + kUscc;
  const std::string batch = std::string("{\"keys\":[\"") + kUscc + "\"]}";
  // Not ready: the catalogue holds the empty snapshot it starts with.
  EXPECT_EQ(Get("/readyz").status, 503u);
  EXPECT_EQ(Get(subject, kToken).status, 503u);
  EXPECT_EQ(Post("/v1/check", batch).status, 503u);
  // Ready, but still no loaded snapshot (an empty one): never "clear".
  router_.set_ready(true);
  EXPECT_EQ(Get("/readyz").status, 503u);
  Response r = Get(subject, kToken);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body.find("clear"), std::string::npos) << r.body;
  EXPECT_EQ(Post("/v1/check", batch).status, 503u);

  Entry e = TestEntry("B-1", ListKind::kBlack);
  e.uscc = testing::UsccKey(kUscc);
  SnapshotBuilder b;
  b.Add(e);
  catalog_.Publish(b.Build(D("2026-01-01")));
  EXPECT_EQ(Get("/readyz").status, 200u);
  r = Get(subject + "?as_of=2026-01-01", kToken);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("\"status\":\"black\""), std::string::npos) << r.body;
  EXPECT_EQ(Post("/v1/check", batch).status, 200u);
}

}  // namespace
}  // namespace credlist
