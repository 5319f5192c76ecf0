// credlist serve: the HTTP server over the data directory's snapshot.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "engine/catalog.h"
#include "server/http_server.h"
#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace credlist {
namespace {

constexpr char kHelp[] = R"(usage: credlist serve --data DIR [--listen HOST:PORT] [--threads N]
                      [--idle-timeout S] [--header-timeout S] [--body-timeout S]

Serves the entries of the data directory over HTTP (API.md) until SIGINT or SIGTERM. It
listens at once: /healthz answers while the snapshot loads, /readyz once it is loaded.

  --data DIR          the data directory
  --listen HOST:PORT  default 127.0.0.1:8080; port 0 picks a free port (printed)
  --threads N         server threads, each with its own event loop; default: one per core
  --idle-timeout S    close a kept-alive connection with no request for S seconds (60)
  --header-timeout S  a request's header must arrive within S seconds of its first byte (10)
  --body-timeout S    each read of a body must complete within S seconds (60)
)";

// A whole number of seconds from 1 to a day, or -1.
int Seconds(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' || v < 1 || v > 86400 ? -1 : static_cast<int>(v);
}

}  // namespace

int RunServe(int argc, char** argv) {
  Args args(argc, argv, 0, {"listen", "threads", "idle-timeout", "header-timeout", "body-timeout"},
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

  const std::string data = args.Get("data");
  auto store = OpenSqliteStore(data, SqliteStoreOptions{});
  if (!store.ok()) return Fail("%s", store.status().ToString().c_str());
  auto token_store = OpenSqliteStore(data, SqliteStoreOptions{});
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
  std::mutex token_mu;
  Authenticator auth([&]() -> Result<std::vector<TokenRecord>> {
    std::lock_guard lock(token_mu);
    return (*token_store)->ListTokens();
  });
  Router router(catalog, auth, metrics);
  HttpServer server(options, router, catalog, metrics);
  if (Status s = server.Start(); !s.ok()) return Fail("%s", s.ToString().c_str());
  std::printf("credlist: listening on %s (port %u)\n", options.listen.c_str(), server.port());
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  auto snap = RestoreSnapshot(**store, Today());
  if (!snap.ok()) {
    server.Stop();
    return Fail("%s", snap.status().ToString().c_str());
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const size_t n = (*snap)->size();
  catalog.Publish(*snap);
  metrics.RecordLoad(secs, n);
  router.set_ready(true);
  std::printf("credlist: ready: %zu entries loaded in %.2f s\n", n, secs);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::printf("credlist: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
  server.Wait();
  return 0;
}

}  // namespace credlist
