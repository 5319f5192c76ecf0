// credlist export: the quarterly publication from a data directory, the same bytes as
// GET /v1/publications/{quarter} (engine/publication.h).
#include <cstdio>
#include <memory>
#include <string>

#include "engine/ids.h"
#include "engine/publication.h"
#include "formats/publication_xlsx.h"
#include "store/ledger_store.h"
#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kExportHelp[] =
    R"(usage: credlist export --data DIR --quarter YYYYQn --list red|black [--format csv|json|xlsx]
                      [--part entries|announcements] [--out FILE]

Writes the quarterly centralised publication (集中发布) of the red or the black list: the
entries that came into force during the quarter and are still published today, in the column
order of 报送表 (1) (red) or (2) (black), natural persons masked; and the exit announcements
(退出公告) of the quarter. The same bytes as GET /v1/publications/{YYYYQn}?list=&format=&part=.

  --data DIR      the data directory (required)
  --quarter Q     e.g. 2026Q3 (required)
  --list L        red or black (required; the watch list is not centrally published)
  --format F      csv (default: a UTF-8 BOM and CRLF line ends, as Excel opens it), json, or
                  xlsx (the CSV's cells as text cells: identifiers keep every digit; the
                  entries and the announcements on two sheets unless --part is given)
  --part P        entries or announcements (CSV: entries by default, one part a file;
                  JSON: both by default)
  --out FILE      where to write (default: standard output)
)";

}  // namespace

int RunExport(int argc, char** argv) {
  Args args(argc, argv, 0, {"data", "quarter", "list", "format", "part", "out"}, {"help"});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kExportHelp, stdout), 0;
  if (!args.Has("data")) return Usage("export needs --data DIR");
  if (!args.Has("quarter")) return Usage("export needs --quarter YYYYQn");
  if (!args.Has("list")) return Usage("export needs --list red|black");
  if (!args.operands().empty())
    return Usage("export takes no operand ('%s')", args.operands()[0].c_str());
  const bool xlsx = args.Get("format") == "xlsx";
  auto spec = MakePublicationSpec(args.Get("quarter"), args.Get("list"),
                                  xlsx ? "csv" : args.Get("format"), args.Get("part"), Today());
  if (!spec.ok() && spec.status().field() == "format")  // the engine knows csv and json only
    return Usage("--format: '%s' is not csv, json or xlsx", args.Get("format").c_str());
  if (!spec.ok())
    return Usage("--%s: %s", spec.status().field().c_str(), spec.status().reason().c_str());

  auto store = OpenLoadedSqliteStore(args.Get("data"));
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());
  // The life-cycle records are read back through the identifier checks: the data directory's
  // known non-conforming USCCs first.
  if (Status s = InstallUsccExceptionsOfDataDir(args.Get("data")); !s.ok())
    return Fail("%s", s.ToString().c_str());
  auto snap = RestoreSnapshot(**store, spec->today);
  if (!snap.ok()) return Fail("%s", snap.status().ToString().c_str());
  auto live = ReadLiveOverlay(args.Get("data"), *snap);
  if (!live.ok()) return Fail("%s", live.status().ToString().c_str());

  std::string doc;
  if (xlsx) {
    const PublicationCsvFn csv = [&](const PublicationSpec& s) {
      auto part = std::make_shared<std::string>();
      WritePublication(**snap, **live, s, part.get());
      return std::shared_ptr<const std::string>(std::move(part));
    };
    if (Status s = WritePublicationXlsx(*spec, csv, &doc); !s.ok())
      return Fail("%s", s.ToString().c_str());
  } else {
    WritePublication(**snap, **live, *spec, &doc);
  }
  const std::string out_path = args.Get("out", "-");
  std::FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) return Fail("%s: cannot open for writing", out_path.c_str());
  const bool written = std::fwrite(doc.data(), 1, doc.size(), out) == doc.size();
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!written || !closed) return Fail("%s: write failed", out_path.c_str());
  return 0;
}

}  // namespace credlist
