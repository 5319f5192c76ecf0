// credlist token add|list|revoke: API tokens, stored only as hashes.
#include <cstdio>
#include <string>

#include "server/auth.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kHelp[] =
    R"(usage: credlist token add --data DIR --role checker|department|admin [--department NAME]
       credlist token list --data DIR
       credlist token revoke --data DIR TOKEN_ID

add     makes a token and prints it, alone on its line, once: only its SHA-256 is stored.
        A department token needs --department (its 认定部门); a checker's may name the
        checking department, for the supervision figures.
list    the tokens, one a line under a header: id, role, created, state (active or
        revoked), department.
revoke  stops a token at once (a running server notices within a second).
)";

}  // namespace

int RunToken(int argc, char** argv) {
  if (argc < 1) return Usage("token needs add, list or revoke");
  const std::string sub = argv[0];
  Args args(argc, argv, 1, {"role", "department"}, {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (sub == "--help" || sub == "-h" || args.Has("help")) return std::fputs(kHelp, stdout), 0;
  if (sub != "add" && sub != "list" && sub != "revoke")
    return Usage("token: unknown subcommand '%s' (add, list, revoke)", sub.c_str());
  if (!args.Has("data")) return Usage("token %s needs --data DIR", sub.c_str());
  // Only `add` makes a new data directory: list and revoke of a mistyped one fail.
  auto store = OpenSqliteStore(args.Get("data"), SqliteStoreOptions{.create = sub == "add"});
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());

  if (sub == "add") {
    Role role;
    if (!args.Has("role")) return Usage("token add needs --role checker|department|admin");
    if (!ParseRole(args.Get("role"), &role))
      return Usage("--role: '%s' is not checker, department or admin", args.Get("role").c_str());
    if (role == Role::kDepartment && args.Get("department").empty())
      return Usage("a department token needs --department NAME");
    const NewToken t = MakeToken();
    TokenRecord rec;
    rec.token_id = t.token_id;
    rec.hash = Sha256Hex(t.secret);
    rec.role = std::string(RoleName(role));
    rec.department = args.Get("department");
    // created_at: the store stamps it.
    if (Status s = (*store)->AddToken(rec); !s.ok()) return Fail("%s", s.ToString().c_str());
    std::printf("%s\n", t.secret.c_str());
    std::fprintf(stderr, "token %s (%s%s%s) added; it is shown only now\n", rec.token_id.c_str(),
                 rec.role.c_str(), rec.department.empty() ? "" : ", ", rec.department.c_str());
    return 0;
  }
  if (sub == "list") {
    auto tokens = (*store)->ListTokens();
    if (!tokens.ok()) return Fail("%s", tokens.status().ToString().c_str());
    // The order of the help's "list" line; department last, as it may hold spaces.
    std::printf("%-14s %-11s %-22s %-21s %s\n", "id", "role", "created", "state", "department");
    for (const TokenRecord& t : *tokens)
      std::printf("%-14s %-11s %-22s %-21s %s\n", t.token_id.c_str(), t.role.c_str(),
                  t.created_at.c_str(), t.revoked ? "revoked" : "active", t.department.c_str());
    return 0;
  }
  if (args.operands().size() != 1) return Usage("token revoke needs one TOKEN_ID");
  if (Status s = (*store)->RevokeToken(args.operands()[0]); !s.ok())
    return Fail("%s", s.ToString().c_str());
  std::printf("revoked %s\n", args.operands()[0].c_str());
  return 0;
}

}  // namespace credlist
