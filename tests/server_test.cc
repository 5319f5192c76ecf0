// The server's handling that needs no socket: no check answered without a loaded snapshot
// (Router::Serving).
#include <gtest/gtest.h>

#include <string>

#include "tests/engine_test_util.h"
#include "tests/router_test_util.h"

namespace credlist {
namespace {

using testing::D;
using testing::TestEntry;

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
