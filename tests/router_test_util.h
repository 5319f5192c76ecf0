// A Router over an in-memory Catalog, for the tests of its routes: one checker token
// ("secret-token"), and GET by target. A fixture derives from it and publishes its snapshot.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/catalog.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/router.h"

namespace credlist::testing {

class RouterTest : public ::testing::Test {
 protected:
  static constexpr char kToken[] = "secret-token";

  RouterTest()
      : auth_([] {
          TokenRecord t;
          t.token_id = "t1";
          t.hash = Sha256Hex(kToken);
          t.role = "checker";
          return Result<std::vector<TokenRecord>>(std::vector<TokenRecord>{t});
        }),
        router_(catalog_, auth_, metrics_),
        worker_(catalog_, metrics_) {}

  Response Get(const std::string& target, const std::string& token = "") {
    Request req;
    req.method = Method::kGet;
    req.target = target;
    const std::string auth = token.empty() ? "" : "Bearer " + token;
    req.authorization = auth;
    Response res;
    router_.Handle(req, worker_, &res);
    return res;
  }

  Catalog catalog_;
  Metrics metrics_;
  Authenticator auth_;
  Router router_;
  Worker worker_;
};

}  // namespace credlist::testing
