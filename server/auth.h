// Auth: bearer tokens and roles (API.md "Roles").
//
// Tokens are made by `credlist token add`: 32 random bytes, shown once, stored only as their
// SHA-256. The Authenticator keeps the hashes of the live tokens in memory and re-reads them
// from the store when they are older than a second, so a token added or revoked while the
// server runs takes effect within a second.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/status.h"
#include "store/store.h"

namespace credlist {

enum class Role : uint8_t { kAnyone = 0, kChecker = 1, kDepartment = 2, kAdmin = 3 };
std::string_view RoleName(Role r);
bool ParseRole(std::string_view s, Role* out);  // checker | department | admin

struct Principal {
  Role role = Role::kAnyone;
  std::string token_id;
  std::string department;
};

// Hex SHA-256.
std::string Sha256Hex(std::string_view data);
// A new secret token ("cl_" + 43 base64url characters) and its public id.
struct NewToken {
  std::string secret;
  std::string token_id;
};
NewToken MakeToken();

class Authenticator {
 public:
  // `load` returns the current token records (from the store).
  explicit Authenticator(std::function<Result<std::vector<TokenRecord>>()> load);
  // From an Authorization header value: Ok with kAnyone when the header is empty, Ok with the
  // token's principal, or Unauthenticated for a malformed, unknown or revoked token.
  Status Authenticate(std::string_view authorization, Principal* out);

 private:
  void Refresh();
  std::function<Result<std::vector<TokenRecord>>()> load_;
  std::mutex mu_;
  boost::unordered_flat_map<std::string, Principal> by_hash_;
  std::chrono::steady_clock::time_point last_refresh_{};
};

}  // namespace credlist
