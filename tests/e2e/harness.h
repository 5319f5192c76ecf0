// The end-to-end harness: runs the real credlist binary and talks HTTP to it.
//
// RunCli() runs a command to its end and captures its output; Server starts `credlist serve` on a
// free port of 127.0.0.1 and waits until it is ready; Http() sends one request on a new
// connection. Each test owns a fresh data directory (TempDir), removed at the end. Json(), Doc,
// Str() and Int() read the answers; AddToken() and UrlEncode() make requests.
#pragma once

#include <sys/types.h>

#include <simdjson.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace credlist::e2e {

struct Output {
  int status = -1;  // the exit status, or 128 + signal
  std::string out, err;
};

// Runs CREDLIST_BINARY with `args`, with `input` on its standard input.
Output RunCli(const std::vector<std::string>& args, const std::string& input = "");

std::string SourcePath(const std::string& relative);  // a file of the source tree

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Server {
 public:
  // Starts `credlist serve --data DIR --listen 127.0.0.1:0` and waits for "ready".
  explicit Server(const std::string& data_dir, std::vector<std::string> extra = {});
  ~Server();
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends a signal and waits for the process; returns its exit status (128 + signal if killed).
  int Stop(int signal);

  HttpResponse Get(const std::string& target, const std::string& token = "") const;
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::string& content_type, const std::string& token = "") const;
  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    const std::map<std::string, std::string>& headers) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
};

// Writes `content` to `path`.
void WriteFile(const std::string& path, const std::string& content);

// `text` parsed (a failure is a test failure); valid until the next call on this thread.
simdjson::dom::element Json(const std::string& text);
// A document that stays valid as long as it lives: Doc d(body); d.root["field"].
struct Doc {
  explicit Doc(std::string body);
  std::string text;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};
// A JSON string's text; "null" for null, "<not a string>" for anything else.
std::string Str(simdjson::dom::element e);
// A JSON integer; -1 for anything else.
int64_t Int(simdjson::dom::element e);

// `credlist token add --data DIR --role ROLE [--department D]`: the new token.
std::string AddToken(const std::string& dir, const std::string& role,
                     const std::string& department = "");
// Percent-encoding for a query string: all but letters, digits and - _ . are escaped.
std::string UrlEncode(std::string_view s);

}  // namespace credlist::e2e
