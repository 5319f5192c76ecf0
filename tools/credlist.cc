// credlist: the command line (API.md "Command line").
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/generator.h"

namespace credlist {
namespace {

constexpr char kUsage[] = R"(credlist: the credit red, black and watch lists of a city

usage: credlist COMMAND [OPTIONS]

commands:
  generate   make synthetic, valid, deterministic entries as NDJSON
  load       load NDJSON, 报送表 CSV or a PostgreSQL table into a data directory
  serve      answer checks over HTTP
  check      check keys (USCC, ID number, 工商注册号): one JSON result a line
  screen     screen a CSV or NDJSON list of keys: NDJSON hits and a summary
  token      add, list or revoke API tokens
  stats      the supervision figures per department: checks, hits, feedback, entries
  export     the quarterly publication of the red or black list (CSV or JSON)

`credlist COMMAND --help` tells more. The data directory (--data DIR) is the whole state.
)";

constexpr char kGenerateHelp[] =
    R"(usage: credlist generate --entries N [--seed S] --out FILE.ndjson

Writes N synthetic entries of Yingkou (营口) as NDJSON records of API.md: legal and natural
persons with valid identifiers, recurring legal representatives, the categories and memoranda
of the seed, expired, current and open-ended validity. The same N and S give the same bytes.

  --entries N   how many entries (required)
  --seed S      the seed of the generator (default 1)
  --out FILE    where to write; - for standard output (required)
)";

int Generate(int argc, char** argv) {
  Args args(argc, argv, 0, {"entries", "seed", "out"}, {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kGenerateHelp, stdout), 0;
  if (!args.Has("entries") || !args.Has("out"))
    return Usage("generate needs --entries N and --out FILE");
  char* end = nullptr;
  const std::string n_text = args.Get("entries"), seed_text = args.Get("seed", "1");
  const unsigned long long n = std::strtoull(n_text.c_str(), &end, 10);
  if (n_text.empty() || *end != '\0')
    return Usage("--entries: '%s' is not a number", n_text.c_str());
  const unsigned long long seed = std::strtoull(seed_text.c_str(), &end, 10);
  if (seed_text.empty() || *end != '\0')
    return Usage("--seed: '%s' is not a number", seed_text.c_str());
  const std::string out = args.Get("out");
  Status s = out == "-" ? WriteNdjson(n, seed, stdout) : WriteNdjson(n, seed, out);
  if (!s.ok()) return Fail("%s", s.ToString().c_str());
  if (out != "-") std::fprintf(stderr, "wrote %llu entries to %s\n", n, out.c_str());
  return 0;
}

}  // namespace

int RunGenerate(int argc, char** argv) { return Generate(argc, argv); }

namespace {

void Report(const char* fmt, va_list ap) {
  std::fputs("credlist: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
}

}  // namespace

int Usage(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Report(fmt, ap);
  va_end(ap);
  std::fputs("(see credlist --help)\n", stderr);
  return 2;
}

int Fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Report(fmt, ap);
  va_end(ap);
  return 1;
}

}  // namespace credlist

int main(int argc, char** argv) {
  using namespace credlist;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  // Each command sees its own arguments: argv[0] is the first one after the command.
  int n = argc - 2;
  char** rest = argv + 2;
  if (cmd == "generate") return RunGenerate(n, rest);
  if (cmd == "load") return RunLoad(n, rest);
  if (cmd == "serve") return RunServe(n, rest);
  if (cmd == "check") return RunCheck(n, rest);
  if (cmd == "screen") return RunScreen(n, rest);
  if (cmd == "token") return RunToken(n, rest);
  if (cmd == "stats") return RunStats(n, rest);
  if (cmd == "export") return RunExport(n, rest);
  return Usage("unknown command '%s'", cmd.c_str());
}
