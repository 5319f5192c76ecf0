// credlist check and credlist screen: the HTTP answers, from the command line.
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/ids.h"
#include "engine/json_writer.h"
#include "loaders/sniff.h"
#include "server/encode.h"
#include "server/screen.h"
#include "store/ledger_store.h"
#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kCheckHelp[] = R"(usage: credlist check --data DIR [--as-of YYYY-MM-DD] KEY...

Checks each KEY (a USCC, an ID number of 18 or 15 characters, or a 工商注册号) against the
entries of the data directory and prints one JSON result a line, as GET /v1/subjects/{key}
answers a token holder. A key that fails its check prints an error line; the exit status is
then 1.
)";

constexpr char kScreenHelp[] =
    R"(usage: credlist screen --data DIR [--as-of YYYY-MM-DD] [--format csv|ndjson|xlsx] FILE

Screens every row of FILE as POST /v1/screen does and prints NDJSON: one line per hit or
invalid row ({"row":N,...}), then {"summary":{"rows","hits","invalid"}}. A CSV, or the first
sheet of an .xlsx, names its key column key, 统一社会信用代码 or 证件号码; NDJSON rows are
{"key":...,"name":...}. Without --format, FILE's first bytes decide (an NDJSON file starts
with {, an .xlsx with PK; anything else is CSV), not its extension. - reads standard input
as NDJSON. Memory stays flat whatever the size of FILE (an .xlsx is read whole).
)";

Result<Day> AsOf(const Args& args) {
  if (!args.Has("as-of")) return Today();
  auto d = ParseIsoDate(args.Get("as-of"));
  if (!d)
    return Status::Invalid("--as-of",
                           "'" + args.Get("as-of") + "' is not a date of the form YYYY-MM-DD");
  return *d;
}

// The loaded snapshot and, over it, the life cycle's entries, as committed.
struct Lists {
  std::shared_ptr<const Snapshot> snap;
  std::shared_ptr<const LiveOverlay> live;
};

Result<Lists> OpenLists(const Args& args) {
  auto store = OpenLoadedSqliteStore(args.Get("data"));
  if (!store.ok()) return store.status();
  // The data directory's known non-conforming USCCs, before any key is parsed.
  if (Status s = InstallUsccExceptionsOfDataDir(args.Get("data")); !s.ok()) return s;
  // The snapshot image when it is current (as serve writes it), else a rebuild from the store.
  auto restored = RestoreSnapshotOrImage(**store, args.Get("data"), Today());
  if (!restored.ok()) return restored.status();
  auto live = ReadLiveOverlay(args.Get("data"), restored->snapshot);
  if (!live.ok()) return live.status();
  return Lists{restored->snapshot, *live};
}

}  // namespace

int RunCheck(int argc, char** argv) {
  Args args(argc, argv, 0, {"as-of"}, {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kCheckHelp, stdout), 0;
  if (!args.Has("data")) return Usage("check needs --data DIR");
  if (args.operands().empty()) return Usage("check needs at least one KEY");
  auto as_of = AsOf(args);
  if (!as_of.ok()) return Usage("%s", as_of.status().ToString().c_str());
  auto lists = OpenLists(args);
  if (!lists.ok()) return Fail("%s", lists.status().ToString().c_str());
  const Snapshot& snap = *lists->snap;
  int status = 0;
  std::string line;
  CheckResult result;
  char id[24];
  for (const std::string& raw : args.operands()) {
    line.clear();
    JsonWriter w(&line);
    w.BeginObject();
    auto key = ParseLookupKey(raw, "key");
    if (!key.ok()) {
      w.Key("key").String(raw);
      w.Key("error")
          .BeginObject()
          .Key("field")
          .String("key")
          .Key("reason")
          .String(key.status().reason())
          .EndObject();
      status = 1;
    } else {
      Check(snap, lists->live.get(), *key, *as_of, &result);
      WriteCheckMembers(snap, result, *as_of, NextCheckId(id), Visibility::kFull, w);
    }
    w.EndObject();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return status;
}

int RunScreen(int argc, char** argv) {
  Args args(argc, argv, 0, {"as-of", "format"}, {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kScreenHelp, stdout), 0;
  if (!args.Has("data")) return Usage("screen needs --data DIR");
  if (args.operands().size() != 1) return Usage("screen needs one FILE");
  auto as_of = AsOf(args);
  if (!as_of.ok()) return Usage("%s", as_of.status().ToString().c_str());
  const std::string path = args.operands()[0];
  std::string format = args.Get("format");
  if (format.empty()) {
    auto sniffed = SniffFileFormat(path);
    if (!sniffed.ok()) return Fail("%s", sniffed.status().ToString().c_str());
    format = InputFormatName(*sniffed);
  }
  if (format != "csv" && format != "ndjson" && format != "xlsx")
    return Usage("--format: '%s' is not csv, ndjson or xlsx", format.c_str());
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) return Fail("%s: cannot open", path.c_str());
  auto lists = OpenLists(args);
  if (!lists.ok()) return Fail("%s", lists.status().ToString().c_str());

  Screener screener(lists->snap, *as_of, Visibility::kFull,
                    format == "csv"    ? ScreenFormat::kCsv
                    : format == "xlsx" ? ScreenFormat::kXlsx
                                       : ScreenFormat::kNdjson);
  screener.set_xlsx_limit(SIZE_MAX);  // a local file: no server to protect
  screener.set_live(lists->live);
  std::vector<char> buf(1 << 20);
  std::string out;
  Status s;
  for (;;) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n == 0) break;
    s = screener.Feed(std::string_view(buf.data(), n), &out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
    if (!s.ok()) break;
  }
  if (s.ok()) s = screener.Finish(&out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (in != stdin) std::fclose(in);
  if (!s.ok()) return Fail("%s: %s", path.c_str(), s.ToString().c_str());
  return 0;
}

}  // namespace credlist
