#include "tests/e2e/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace credlist::e2e {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

std::vector<char*> Argv(const std::vector<std::string>& args, std::vector<std::string>* keep) {
  keep->clear();
  keep->push_back(CREDLIST_BINARY);
  keep->insert(keep->end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : *keep) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

int ExitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return std::string(CREDLIST_SOURCE_DIR) + "/" + relative;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

Output RunCli(const std::vector<std::string>& args, const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe");
  std::vector<std::string> keep;
  auto argv = Argv(args, &keep);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin and drain both outputs together, so that no pipe fills up.
  Output o;
  size_t written = 0;
  if (input.empty()) close(in[1]);
  bool in_open = !input.empty(), out_open = true, err_open = true;
  while (out_open || err_open || in_open) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in_open) fds[n++] = {in[1], POLLOUT, 0};
    poll(fds, n, 1000);
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in[1]) {
        const ssize_t w = write(in[1], input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == input.size()) {
          close(in[1]);
          in_open = false;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      std::string& dst = fds[i].fd == out[0] ? o.out : o.err;
      if (r > 0) {
        dst.append(buf, static_cast<size_t>(r));
      } else {
        (fds[i].fd == out[0] ? out_open : err_open) = false;
      }
    }
  }
  close(out[0]);
  close(err[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  o.status = ExitStatus(wstatus);
  return o;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "credlist-e2e-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Server::Server(const std::string& data_dir, std::vector<std::string> extra) {
  int out[2];
  if (pipe(out)) throw std::runtime_error("pipe");
  std::vector<std::string> args = {"serve", "--data", data_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<std::string> keep;
  auto argv = Argv(args, &keep);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  out_fd_ = out[0];
  // Read stdout until the server says it is ready, for at most 60 seconds.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen.find("ready") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("credlist serve did not get ready: " + seen);
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) continue;
    char buf[4096];
    const ssize_t r = read(out_fd_, buf, sizeof buf);
    if (r <= 0) throw std::runtime_error("credlist serve exited: " + seen);
    seen.append(buf, static_cast<size_t>(r));
  }
  const size_t at = seen.find("(port ");
  if (at == std::string::npos) throw std::runtime_error("no port in: " + seen);
  port_ = std::atoi(seen.c_str() + at + 6);
}

Server::~Server() {
  if (pid_ > 0) Stop(SIGKILL);
}

int Server::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int wstatus = 0;
  waitpid(pid_, &wstatus, 0);
  pid_ = -1;
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
  return ExitStatus(wstatus);
}

HttpResponse Server::Send(const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::map<std::string, std::string>& headers) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                        static_cast<unsigned short>(port_)));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST") {
    req.body() = body;
    req.prepare_payload();
  }
  beast::error_code ec;
  http::write(stream, req, ec);  // a server may answer early (413) and stop reading: read on
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  http::read(stream, buffer, parser, ec);
  HttpResponse r;
  if (ec) {
    r.status = -1;
    r.body = ec.message();
    return r;
  }
  auto& res = parser.get();
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(c));
    r.headers[name] = std::string(f.value());
  }
  r.body = res.body();
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  return r;
}

HttpResponse Server::Get(const std::string& target, const std::string& token) const {
  std::map<std::string, std::string> h;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  return Send("GET", target, "", h);
}

HttpResponse Server::Post(const std::string& target, const std::string& body,
                          const std::string& content_type, const std::string& token) const {
  std::map<std::string, std::string> h;
  h["Content-Type"] = content_type;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  return Send("POST", target, body, h);
}

simdjson::dom::element Json(const std::string& text) {
  static thread_local simdjson::dom::parser parser;
  static thread_local std::string keep;
  keep = text;
  simdjson::dom::element e;
  EXPECT_EQ(parser.parse(keep).get(e), simdjson::SUCCESS) << text;
  return e;
}

Doc::Doc(std::string body) : text(std::move(body)) {
  EXPECT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << text;
}

std::string Str(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s)) return e.is_null() ? "null" : "<not a string>";
  return std::string(s);
}

int64_t Int(simdjson::dom::element e) {
  int64_t v = -1;
  if (e.get_int64().get(v)) return -1;
  return v;
}

std::string AddToken(const std::string& dir, const std::string& role,
                     const std::string& department) {
  std::vector<std::string> args = {"token", "add", "--data", dir, "--role", role};
  if (!department.empty()) {
    args.push_back("--department");
    args.push_back(department);
  }
  Output out = RunCli(args);
  EXPECT_EQ(out.status, 0) << out.err;
  return out.out.substr(0, out.out.find('\n'));
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace credlist::e2e
