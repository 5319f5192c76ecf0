// HttpServer: the Boost.Beast transport (STYLE.md: handling apart from transport).
//
// N threads, each with its own io_context and its own acceptor on one listening socket (a
// dup() of it per thread, no SO_REUSEPORT: a port another process holds is refused), so that a
// connection lives and dies on one thread and nothing is shared between threads but the
// Router. Sessions keep connections alive, bound the header size and
// the body size, time out idle and slow connections, and write responses from buffers they
// reuse, so a lookup allocates nothing that can be avoided. POST /v1/screen streams: the body
// is read in blocks and hits are written back as chunks while it is still arriving.
// Start() binds the socket, gives every thread its acceptor and returns (an Io status saying
// so when another process holds the port); Stop() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/status.h"
#include "server/router.h"
#include "server/screen.h"

namespace credlist {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int threads = 0;                        // 0: one per core
  size_t body_limit = 16 << 20;           // POST /v1/check and the others; /v1/screen streams
  size_t screen_xlsx_limit = kDefaultScreenXlsxLimit;  // an .xlsx to screen is kept whole
  int idle_timeout_seconds = 60;    // a kept-alive connection with no request is closed
  int header_timeout_seconds = 10;  // from a request's first bytes to the end of its header
  int body_timeout_seconds = 60;    // to receive a (bounded) body; a screen: per block
};

class HttpServer {
 public:
  HttpServer(const ServeOptions& options, Router& router, const Catalog& catalog, Metrics& metrics);
  ~HttpServer();
  Status Start();
  // The port the server listens on (useful with port 0).
  unsigned short port() const { return port_; }
  void Stop();
  void Wait();

 private:
  struct Thread;
  ServeOptions options_;
  Router& router_;
  const Catalog& catalog_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<Thread>> threads_;
  unsigned short port_ = 0;
};

}  // namespace credlist
