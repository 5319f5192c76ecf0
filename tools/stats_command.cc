// credlist stats: the supervision figures per department (GET /v1/stats/departments), read
// from a data directory with no server.
#include <cstdio>
#include <string>

#include "engine/ids.h"
#include "engine/supervision.h"
#include "store/ledger_store.h"
#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kHelp[] =
    R"(usage: credlist stats --data DIR [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format json|csv]

Prints the supervision figures of seed 七(四), as GET /v1/stats/departments answers an admin:
one row per department, with the checks its tokens made in the days from --from to --to
(both included; an open end when left out), the hits, the hits whose result listed measures,
those with no feedback for some listed measure (未采取相关限制措施), the feedback rate, and
the entries in force today that the department decided. Rows come with the most hits without
feedback first. CSV starts with a UTF-8 BOM so that Excel reads it.

A running server commits its counts of checks about once a second: what it counted in the
last second may not show yet.

  --from D      the first day counted (default: the first there is)
  --to D        the last day counted (default: the last there is)
  --format F    json (default) or csv
)";

Status ParseDay(const Args& args, const std::string& flag, Day* out) {
  if (!args.Has(flag)) return Status::Ok();
  const auto d = ParseIsoDate(args.Get(flag));
  if (!d)
    return Status::Invalid("--" + flag,
                           "'" + args.Get(flag) + "' is not a date of the form YYYY-MM-DD");
  *out = *d;
  return Status::Ok();
}

}  // namespace

int RunStats(int argc, char** argv) {
  Args args(argc, argv, 0, {"from", "to", "format"}, {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kHelp, stdout), 0;
  if (!args.Has("data")) return Usage("stats needs --data DIR");
  if (!args.operands().empty())
    return Usage("stats takes no operands ('%s')", args.operands()[0].c_str());
  SupervisionPeriod period;
  for (const char* flag : {"from", "to"})
    if (Status s = ParseDay(args, flag, flag[0] == 'f' ? &period.from : &period.to); !s.ok())
      return Usage("%s", s.ToString().c_str());
  if (period.from != kNoDay && period.to != kNoDay && period.to < period.from)
    return Usage("--to is before --from");
  const std::string format = args.Get("format", "json");
  if (format != "json" && format != "csv")
    return Usage("--format: '%s' is not json or csv", format.c_str());

  const std::string data = args.Get("data");
  auto store = OpenLoadedSqliteStore(data);
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());
  // The life-cycle records are read back through the identifier checks: the data directory's
  // known non-conforming USCCs first.
  if (Status s = InstallUsccExceptionsOfDataDir(data); !s.ok())
    return Fail("%s", s.ToString().c_str());
  period.entries_on = Today();
  auto restored = RestoreSnapshotOrImage(**store, data, period.entries_on);
  if (!restored.ok()) return Fail("%s", restored.status().ToString().c_str());
  auto live = ReadLiveOverlay(data, restored->snapshot);
  if (!live.ok()) return Fail("%s", live.status().ToString().c_str());
  auto ledger = OpenLedgerStore(data);
  if (!ledger.ok()) return Fail("%s", ledger.status().ToString().c_str());
  auto checks = (*ledger)->ReadDepartmentChecks(period.from, period.to);
  if (!checks.ok()) return Fail("%s", checks.status().ToString().c_str());

  const auto rows = SupervisionRows(
      std::move(*checks),
      CountEntriesByDepartment(*restored->snapshot, live->get(), period.entries_on));
  std::string out;
  if (format == "csv") {
    WriteSupervisionCsv(rows, &out);
  } else {
    WriteSupervisionJson(rows, period, &out);
    out.push_back('\n');
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace credlist
