#include "server/auth.h"

#include <openssl/evp.h>
#include <sys/random.h>

namespace credlist {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kChecker:
      return "checker";
    case Role::kDepartment:
      return "department";
    case Role::kAdmin:
      return "admin";
    case Role::kAnyone:
      break;
  }
  return "anyone";
}

bool ParseRole(std::string_view s, Role* out) {
  if (s == "checker")
    *out = Role::kChecker;
  else if (s == "department")
    *out = Role::kDepartment;
  else if (s == "admin")
    *out = Role::kAdmin;
  else
    return false;
  return true;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

NewToken MakeToken() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  NewToken t;
  t.secret = "cl_";
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      t.secret.push_back(kB64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) t.secret.push_back(kB64[(acc << (6 - bits)) & 63]);
  t.token_id = Sha256Hex(t.secret).substr(0, 12);
  return t;
}

Authenticator::Authenticator(std::function<Result<std::vector<TokenRecord>>()> load)
    : load_(std::move(load)) {
  std::lock_guard lock(mu_);
  Refresh();
}

void Authenticator::Refresh() {
  last_refresh_ = std::chrono::steady_clock::now();
  auto tokens = load_();
  if (!tokens.ok()) return;  // keep what we had; the store may be busy
  by_hash_.clear();
  for (const TokenRecord& t : *tokens) {
    if (t.revoked) continue;
    Principal p;
    ParseRole(t.role, &p.role);
    p.token_id = t.token_id;
    p.department = t.department;
    by_hash_[t.hash] = std::move(p);
  }
}

Status Authenticator::Authenticate(std::string_view authorization, Principal* out) {
  if (authorization.empty()) {
    *out = Principal{};
    return Status::Ok();
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return Status::Make(StatusCode::kUnauthenticated, "Authorization", "expected 'Bearer TOKEN'");
  const std::string hash = Sha256Hex(authorization.substr(kBearer.size()));
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() - last_refresh_ > std::chrono::seconds(1)) Refresh();
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end())
    return Status::Make(StatusCode::kUnauthenticated, "Authorization", "unknown or revoked token");
  *out = it->second;
  return Status::Ok();
}

}  // namespace credlist
