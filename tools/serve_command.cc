// credlist serve: the HTTP server over the data directory's snapshot.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <filesystem>

#include "engine/catalog.h"
#include "engine/ids.h"
#include "engine/lifecycle.h"
#include "server/http_server.h"
#include "server/ledger_writer.h"
#include "store/ledger_store.h"
#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/policy_setup.h"

namespace credlist {
namespace {

constexpr char kHelp[] = R"(usage: credlist serve --data DIR [--listen HOST:PORT] [--threads N]
                      [--idle-timeout S] [--header-timeout S] [--body-timeout S]
                      [--policy DIR] [--publicity-days N] [--screen-xlsx-limit MIB]

Serves the entries of the data directory over HTTP (API.md) until SIGINT or SIGTERM. It
listens at once: /healthz answers while the snapshot loads, /readyz once it is loaded.

  --data DIR          the data directory
  --listen HOST:PORT  default 127.0.0.1:8080; port 0 picks a free port (printed)
  --threads N         server threads, each with its own event loop; default: one per core
  --idle-timeout S    close a kept-alive connection with no request for S seconds (60)
  --header-timeout S  a request's header must arrive within S seconds of its first byte (10)
  --body-timeout S    each read of a body must complete within S seconds (60)
  --policy DIR        the policy catalogue: memoranda.tsv, departments.tsv, measures.tsv
                      (docs/formats.md). Default: $CREDLIST_POLICY, else share/credlist
                      beside the installed binary, else the data/ directory of the source
                      tree it was built from. Measures put with PUT /v1/measures are kept
                      as measures.tsv in the --data directory and win at the next start.
                      holidays.txt there, when present, is the working-day calendar of
                      the publicity window (公示期).
  --publicity-days N  the default publicity window, in working days (7)
  --screen-xlsx-limit MIB
                      the largest .xlsx body POST /v1/screen takes, in MiB (64): an .xlsx
                      is read whole (its zip directory is at its end); past it, 413

Writes (API.md "Life cycle") are committed to the data directory before they are answered.
)";

// A whole number of seconds from 1 to a day, or -1.
int Seconds(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' || v < 1 || v > 86400 ? -1 : static_cast<int>(v);
}

}  // namespace

int RunServe(int argc, char** argv) {
  Args args(argc, argv, 0,
            {"listen", "threads", "idle-timeout", "header-timeout", "body-timeout", "policy",
             "publicity-days", "screen-xlsx-limit"},
            {});
  if (!args.ok()) return Usage("%s", args.error().c_str());
  if (args.Has("help")) return std::fputs(kHelp, stdout), 0;
  if (!args.Has("data")) return Usage("serve needs --data DIR");
  if (!args.operands().empty())
    return Usage("serve takes no operand '%s'", args.operands()[0].c_str());
  ServeOptions options;
  options.listen = args.Get("listen", options.listen);
  const std::string threads = args.Get("threads", "0");
  char* end = nullptr;
  options.threads = static_cast<int>(std::strtol(threads.c_str(), &end, 10));
  if (threads.empty() || *end != '\0' || options.threads < 0 || options.threads > 1024)
    return Usage("--threads: '%s' is not a number of threads", threads.c_str());

  for (auto [flag, field] : {std::pair{"idle-timeout", &options.idle_timeout_seconds},
                             std::pair{"header-timeout", &options.header_timeout_seconds},
                             std::pair{"body-timeout", &options.body_timeout_seconds}}) {
    if (!args.Has(flag)) continue;
    *field = Seconds(args.Get(flag));
    if (*field < 0)
      return Usage("--%s: '%s' is not a number of seconds (1-86400)", flag, args.Get(flag).c_str());
  }

  if (args.Has("screen-xlsx-limit")) {
    const std::string text = args.Get("screen-xlsx-limit");
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < 1 || v > 4096)
      return Usage("--screen-xlsx-limit: '%s' is not a number of MiB (1-4096)", text.c_str());
    options.screen_xlsx_limit = static_cast<size_t>(v) << 20;
  }

  int publicity_days = 7;
  if (args.Has("publicity-days")) {
    const std::string text = args.Get("publicity-days");
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < 1 || v > 365)
      return Usage("--publicity-days: '%s' is not a number of working days (1-365)", text.c_str());
    publicity_days = static_cast<int>(v);
  }

  const std::string data = args.Get("data");
  // A data directory with no loaded entries is refused before anything is served or written:
  // a server on a mistyped --data would otherwise answer "clear" for every key.
  auto store = OpenLoadedSqliteStore(data);
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());
  {  // before the ledger's entries are read back and any key is parsed
    std::string summary;
    if (Status s = InstallUsccExceptionsOfDataDir(data, &summary); !s.ok())
      return Fail("%s", s.ToString().c_str());
    std::printf("credlist: %s\n", summary.c_str());
  }
  auto token_store = OpenSqliteStore(data, SqliteStoreOptions{.create = false});
  if (!token_store.ok()) return Fail("%s", token_store.status().ToString().c_str());

  // SIGINT and SIGTERM are taken by sigwait below, in this thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Catalog catalog;
  Metrics metrics;
  metrics.SetScreenXlsxLimit(options.screen_xlsx_limit);
  std::mutex token_mu;
  Authenticator auth([&]() -> Result<std::vector<TokenRecord>> {
    std::lock_guard lock(token_mu);
    return (*token_store)->ListTokens();
  });
  Router router(catalog, auth, metrics);
  router.set_body_limit(options.body_limit);
  PolicyService policy;
  {
    const std::string dir = args.Has("policy") ? args.Get("policy") : DefaultPolicyDir();
    if (dir.empty())
      return Fail(
          "no policy catalogue found: give --policy DIR (memoranda.tsv, departments.tsv, "
          "measures.tsv)");
    std::string summary;
    if (Status s = SetUpPolicy(dir, data, &policy, &summary); !s.ok())
      return Fail("%s", s.ToString().c_str());
    std::printf("credlist: policy: %s\n", summary.c_str());
  }
  router.set_policy(&policy);
  HttpServer server(options, router, catalog, metrics);
  if (Status s = server.Start(); !s.ok()) return Fail("%s", s.ToString().c_str());
  std::printf("credlist: listening on %s (port %u)\n", options.listen.c_str(), server.port());
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  // The snapshot image when it is current, else a rebuild from the store (whose image is then
  // written in the background, for the next start: docs/data-directory.md).
  auto restored = RestoreSnapshotOrImage(**store, data, Today());
  if (!restored.ok()) {
    server.Stop();
    return Fail("%s", restored.status().ToString().c_str());
  }
  if (!restored->image_note.empty())
    std::fprintf(stderr, "credlist: warning: snapshot image not used: %s\n",
                 restored->image_note.c_str());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const size_t n = restored->snapshot->size();
  catalog.Publish(restored->snapshot);
  metrics.RecordLoad(secs, n);

  // The life cycle: the writer restores the live entries over the snapshot, records what the
  // calendar did while the server was down, and publishes them before the server is ready.
  LedgerOptions ledger_options;
  ledger_options.publicity_working_days = publicity_days;
  {
    const std::string dir = args.Has("policy") ? args.Get("policy") : DefaultPolicyDir();
    const std::string holidays = dir.empty() ? "" : dir + "/holidays.txt";
    if (!holidays.empty() && std::filesystem::exists(holidays)) {
      auto cal = WorkCalendar::ReadFile(holidays);
      if (!cal.ok()) {
        server.Stop();
        return Fail("%s", cal.status().ToString().c_str());
      }
      ledger_options.calendar = std::move(*cal);
    }
  }
  auto ledger_store = OpenLedgerStore(data);
  if (!ledger_store.ok()) {
    server.Stop();
    return Fail("%s", ledger_store.status().ToString().c_str());
  }
  const std::shared_ptr<const Snapshot> base = restored->snapshot;
  LedgerWriter ledger(catalog, std::move(*ledger_store),
                      [base, ledger_options](LedgerStore& st) -> Result<std::unique_ptr<Ledger>> {
                        auto l = std::make_unique<Ledger>(base, ledger_options);
                        if (Status s = st.Restore(l.get()); !s.ok()) return s;
                        return l;
                      });
  if (Status s = ledger.Start(); !s.ok()) {
    server.Stop();
    return Fail("%s", s.ToString().c_str());
  }
  router.set_ledger(&ledger);
  router.set_ready(true);
  std::printf("credlist: ready: %zu entries loaded in %.2f s%s\n", n, secs,
              restored->from_image ? " (snapshot image)" : "");
  std::fflush(stdout);
  std::atomic<bool> stop_image{false};
  std::thread image_writer;
  if (!restored->from_image && !restored->tag.empty()) {
    image_writer = std::thread([&restored, &data, &stop_image] {
      const auto begun = std::chrono::steady_clock::now();
      Status s = SaveSnapshotImage(*restored, data, &stop_image);
      if (!s.ok() && !stop_image.load()) {
        std::fprintf(stderr, "credlist: warning: %s\n", s.ToString().c_str());
      } else if (s.ok()) {
        std::printf(
            "credlist: snapshot image written in %.2f s\n",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count());
        std::fflush(stdout);
      }
      restored->snapshot.reset();  // the catalog's, from now on
    });
  } else {
    restored->snapshot.reset();
  }

  int sig = 0;
  sigwait(&signals, &sig);
  std::printf("credlist: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  stop_image = true;  // an image half written is dropped; the next start rebuilds
  if (image_writer.joinable()) image_writer.join();
  server.Stop();
  server.Wait();
  router.set_ledger(nullptr);
  ledger.Stop();
  return 0;
}

}  // namespace credlist
