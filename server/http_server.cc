#include "server/http_server.h"

#include <unistd.h>

#include "formats/screen_xlsx.h"
#include "formats/xlsx_writer.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace credlist {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 16 << 10;
constexpr size_t kFirstRead = 8 << 10;
constexpr size_t kScreenBlock = 256 << 10;     // body bytes read per step of a screen
constexpr size_t kScreenHighWater = 16 << 20;  // output waiting for the client: stop reading
constexpr size_t kScreenChunk = 64 << 10;      // output worth a chunk of its own
// A screen answered as an .xlsx is made once the input is done: its NDJSON waits whole, up to
// this much.
constexpr size_t kScreenXlsxAnswerLimit = size_t{256} << 20;

Method MethodOf(http::verb v) {
  switch (v) {
    case http::verb::get:
      return Method::kGet;
    case http::verb::head:
      return Method::kHead;
    case http::verb::post:
      return Method::kPost;
    case http::verb::put:
      return Method::kPut;
    case http::verb::delete_:
      return Method::kDelete;
    default:
      return Method::kOther;
  }
}

void AppendStatusLine(unsigned status, std::string* out) {
  out->append("HTTP/1.1 ");
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof buf, status);
  out->append(buf, r.ptr);
  out->push_back(' ');
  out->append(http::obsolete_reason(static_cast<http::status>(status)));
  out->append("\r\n");
}

template <class Fields>
std::string_view Field(const Fields& f, http::field name) {
  auto it = f.find(name);
  return it == f.end() ? std::string_view()
                       : std::string_view(it->value().data(), it->value().size());
}

ClientAddress ClientAddressOf(const net::ip::address& a) {
  ClientAddress out;
  out.bytes = a.is_v4() ? net::ip::make_address_v6(net::ip::v4_mapped, a.to_v4()).to_bytes()
                        : a.to_v6().to_bytes();
  return out;
}

// One connection: read a request, answer it, keep the connection for the next one.
class Session : public std::enable_shared_from_this<Session>, public Responder {
 public:
  Session(tcp::socket&& socket, Router& router, Worker& worker, const ServeOptions& options)
      : stream_(std::move(socket)), router_(router), worker_(worker), options_(options) {
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) client_ = ClientAddressOf(peer.address());
  }

  void Start() { DoRead(); }

 private:
  // Waits for the next request: up to the idle timeout for its first bytes, then up to the
  // header timeout for the rest of its header. The first read takes the whole request in the
  // common case, so the header read that follows costs no system call.
  void DoRead() {
    if (buffer_.size() > 0) return ReadHeader();  // pipelined: already here
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return Fail(ec);
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    header_.emplace();
    header_->header_limit(kHeaderLimit);
    header_->body_limit(boost::none);  // the body limit is set once the route is known
    stream_.expires_after(std::chrono::seconds(options_.header_timeout_seconds));
    http::async_read_header(stream_, buffer_, *header_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return Fail(ec);
    start_ = Clock::now();
    auto& msg = header_->get();
    keep_alive_ = msg.keep_alive();
    if (beast::iequals(Field(msg, http::field::expect), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::error_code ignored;
      net::write(stream_.socket(), net::buffer(kContinue), ignored);
    }
    if (Router::IsScreen(MethodOf(msg.method()), Target(msg))) return StartScreen();
    if (header_->is_done()) return Handle(msg, {});
    // The header was read with no body limit (a screen has none), so a declared length is
    // checked here; the parser checks the bytes of a chunked body as they come.
    body_limit_ = router_.BodyLimit(MethodOf(msg.method()), Target(msg));
    if (header_->content_length() && *header_->content_length() > body_limit_)
      return OnBody(http::error::body_limit, 0);
    body_.emplace(std::move(*header_));
    body_->body_limit(body_limit_);
    stream_.expires_after(std::chrono::seconds(options_.body_timeout_seconds));
    http::async_read(stream_, buffer_, *body_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      unread_body_ = true;
      WriteProblem(413, "the body is larger than " + LimitText(body_limit_), &res_);
      res_.route = Route::kCheck;
      return Respond();
    }
    if (ec) return Fail(ec);
    auto& msg = body_->get();
    Handle(msg, msg.body());
  }

  template <class Message>
  static std::string_view Target(const Message& msg) {
    return {msg.target().data(), msg.target().size()};
  }

  template <class Message>
  Request MakeRequest(const Message& msg, std::string_view body) {
    Request req;
    req.method = MethodOf(msg.method());
    req.target = Target(msg);
    req.body = body;
    req.content_type = Field(msg, http::field::content_type);
    req.authorization = Field(msg, http::field::authorization);
    req.accept = Field(msg, http::field::accept);
    req.responder = this;
    req.client = client_;
    return req;
  }

  template <class Message>
  void Handle(const Message& msg, std::string_view body) {
    const Request req = MakeRequest(msg, body);
    router_.Handle(req, worker_, &res_);
    head_only_ = req.method == Method::kHead;
    if (!res_.deferred) Respond();
  }

  // A write: the life cycle's writer calls back once it has committed, on its own thread; the
  // reply is written from this session's thread. Nothing else runs on the session meanwhile
  // (no read is pending), so res_ is free until then.
  std::function<void(Reply)> Later() override {
    return [self = shared_from_this()](Reply reply) {
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), reply = std::move(reply)]() mutable {
        self->res_.status = reply.status;
        self->res_.content_type = reply.content_type;
        self->res_.body = std::move(reply.body);
        self->res_.retry_after = reply.retry_after;
        self->res_.deferred = false;
        self->Respond();
      });
    };
  }

  // Writes res_ with a header made here: no per-request allocation once the buffers are warm.
  void Respond() {
    head_.clear();
    AppendStatusLine(res_.status, &head_);
    head_.append("Content-Type: ");
    head_.append(res_.content_type);
    head_.append("\r\nContent-Length: ");
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, res_.body.size());
    head_.append(buf, r.ptr);
    if (res_.status == 401) head_.append("\r\nWWW-Authenticate: Bearer");
    if (res_.retry_after != 0) {
      head_.append("\r\nRetry-After: ");
      r = std::to_chars(buf, buf + sizeof buf, res_.retry_after);
      head_.append(buf, r.ptr);
    }
    if (!res_.filename.empty()) {
      head_.append("\r\nContent-Disposition: attachment; filename=\"");
      head_.append(res_.filename);
      head_.push_back('"');
    }
    head_.append(keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    worker_.metrics.Record(res_.route, res_.status, Clock::now() - start_);
    const std::array<net::const_buffer, 2> buffers = {
        net::buffer(head_), head_only_ ? net::const_buffer() : net::buffer(res_.body)};
    head_only_ = false;
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    body_.reset();
    if (ec) return Fail(ec);
    if (!keep_alive_) return unread_body_ ? LingeringClose() : Close();
    DoRead();
  }

  // After an early answer (413, or a refused screen) the client may still be sending: closing
  // with unread bytes would reset the connection and could destroy the answer before the
  // client reads it. So stop sending, then read and discard for a little while (as nginx's
  // lingering close does).
  void LingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    inbuf_.resize(kScreenBlock);
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_read_some(net::buffer(inbuf_),
                            beast::bind_front_handler(&Session::OnDiscard, shared_from_this()));
  }

  void OnDiscard(beast::error_code ec, size_t n) {
    discarded_ += n;
    if (ec || discarded_ > (256u << 20)) return stream_.close();
    stream_.async_read_some(net::buffer(inbuf_),
                            beast::bind_front_handler(&Session::OnDiscard, shared_from_this()));
  }

  // ---- POST /v1/screen: read blocks, write chunks, both at once --------------------------

  void StartScreen() {
    const Request req = MakeRequest(header_->get(), {});
    screener_ = router_.StartScreen(req, worker_, &res_);
    if (!screener_) {
      keep_alive_ = false;  // the body is left unread
      unread_body_ = !header_->is_done();
      return Respond();
    }
    if (screener_->format() == ScreenFormat::kXlsx) {
      // An .xlsx is kept whole: bounded, and refused at once when it says it is too large.
      screener_->set_xlsx_limit(options_.screen_xlsx_limit);
      if (header_->content_length() && *header_->content_length() > options_.screen_xlsx_limit) {
        screener_.reset();
        worker_.metrics.screen_xlsx_too_large.fetch_add(1, std::memory_order_relaxed);
        keep_alive_ = false;
        unread_body_ = true;
        WriteProblem(Status::Make(StatusCode::kTooLarge, "body",
                                  "the .xlsx is larger than " +
                                      std::to_string(options_.screen_xlsx_limit >> 20) +
                                      " MiB, the server's limit (serve --screen-xlsx-limit)"),
                     &res_);
        res_.route = Route::kScreen;
        return Respond();
      }
    }
    xlsx_answer_ = req.accept.find(kXlsxContentType) != std::string_view::npos;
    stream_body_.emplace(std::move(*header_));
    stream_body_->body_limit(boost::none);
    inbuf_.resize(kScreenBlock);
    queued_.clear();
    screen_bytes_ = 0;
    headers_sent_ = input_done_ = final_sent_ = writing_ = reading_ = false;
    // Content-Length: 0: the parser is done already and a read would wait for nothing.
    if (stream_body_->is_done()) return OnScreenBlock(0);
    ScreenRead();
  }

  void ScreenRead() {
    auto& body = stream_body_->get().body();
    body.data = inbuf_.data();
    body.size = inbuf_.size();
    reading_ = true;
    stream_.expires_after(std::chrono::seconds(options_.body_timeout_seconds));
    http::async_read_some(stream_, buffer_, *stream_body_,
                          beast::bind_front_handler(&Session::OnScreenRead, shared_from_this()));
  }

  void OnScreenRead(beast::error_code ec, size_t) {
    reading_ = false;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Fail(ec);
    OnScreenBlock(inbuf_.size() - stream_body_->get().body().size);
  }

  // Screens the `got` bytes just read into inbuf_; finishes when the body is complete.
  void OnScreenBlock(size_t got) {
    screen_bytes_ += got;
    const uint64_t rows_before = screener_->summary().rows;
    Status s = screener_->Feed(std::string_view(inbuf_.data(), got), &queued_);
    if (s.ok() && stream_body_->is_done()) {
      // An empty body, however it was framed (Content-Length: 0 or one empty chunk), is a
      // mistake: there is nothing to screen.
      s = screen_bytes_ == 0 ? Status::Invalid("body",
                                               "is empty: send the rows to screen (a CSV with its "
                                               "header row, or NDJSON)")
                             : screener_->Finish(&queued_);
      input_done_ = true;
    }
    worker_.metrics.screen_rows.fetch_add(screener_->summary().rows - rows_before,
                                          std::memory_order_relaxed);
    if (s.ok() && xlsx_answer_ && queued_.size() > kScreenXlsxAnswerLimit)
      s = Status::Make(StatusCode::kTooLarge, "Accept",
                       "the answer is larger than an .xlsx answer may be (" +
                           std::to_string(kScreenXlsxAnswerLimit >> 20) +
                           " MiB); ask for application/x-ndjson, which streams");
    if (!s.ok()) {
      if (headers_sent_) return Close();  // the 200 is gone; cut the stream short
      if (s.code() == StatusCode::kTooLarge && s.field() == "body")
        worker_.metrics.screen_xlsx_too_large.fetch_add(1, std::memory_order_relaxed);
      unread_body_ = !stream_body_->is_done();
      keep_alive_ = false;
      WriteProblem(s, &res_);
      res_.route = Route::kScreen;
      screener_.reset();
      return Respond();
    }
    if (xlsx_answer_) return input_done_ ? RespondXlsx() : ScreenRead();
    Pump();
    if (!input_done_ && queued_.size() < kScreenHighWater) ScreenRead();
  }

  // The whole NDJSON answer as one .xlsx response (formats/screen_xlsx.h).
  void RespondXlsx() {
    screener_.reset();
    stream_body_.reset();
    res_.Reset();
    res_.route = Route::kScreen;
    if (Status s = ScreenResultToXlsx(queued_, &res_.body); !s.ok()) {
      res_.body.clear();
      WriteProblem(s, &res_);
    } else {
      res_.content_type = kXlsxContentType;
      res_.filename = "screen.xlsx";
    }
    queued_.clear();
    Respond();
  }

  // Writes what is queued, as one chunk, unless a write is under way.
  void Pump() {
    if (writing_ || final_sent_) return;
    const bool finish = input_done_;
    if (!finish && queued_.size() < kScreenChunk && headers_sent_) return;
    if (!finish && queued_.empty()) return;
    pending_.swap(queued_);
    queued_.clear();
    head_.clear();
    if (!headers_sent_) {
      head_.append(
          "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: "
          "chunked\r\n");
      head_.append(keep_alive_ ? "\r\n" : "Connection: close\r\n\r\n");
      headers_sent_ = true;
    }
    if (!pending_.empty()) {
      char buf[24];
      const int n = std::snprintf(buf, sizeof buf, "%zx\r\n", pending_.size());
      head_.append(buf, static_cast<size_t>(n));
    }
    tail_ = pending_.empty() ? "" : "\r\n";
    if (finish) {
      tail_ += "0\r\n\r\n";
      final_sent_ = true;
    }
    writing_ = true;
    const std::array<net::const_buffer, 3> buffers = {net::buffer(head_), net::buffer(pending_),
                                                      net::buffer(tail_)};
    stream_.expires_after(std::chrono::seconds(options_.body_timeout_seconds));
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&Session::OnScreenWrite, shared_from_this()));
  }

  void OnScreenWrite(beast::error_code ec, size_t) {
    writing_ = false;
    if (ec) return Fail(ec);
    pending_.clear();
    if (final_sent_) {
      worker_.metrics.Record(Route::kScreen, 200, Clock::now() - start_);
      screener_.reset();
      stream_body_.reset();
      if (!keep_alive_) return Close();
      return DoRead();
    }
    Pump();
    if (!reading_ && !input_done_ && queued_.size() < kScreenHighWater) ScreenRead();
  }

  // -----------------------------------------------------------------------------------------

  static std::string LimitText(size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
  }

  void Fail(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset)
      return Close();
    // A malformed request: answer 400 when nothing of a response was sent, then close.
    if (!headers_sent_ && !writing_ &&
        ec.category() == beast::error_code(http::error::bad_target).category()) {
      keep_alive_ = false;
      WriteProblem(400, "malformed HTTP request: " + ec.message(), &res_);
      return Respond();
    }
    Close();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Router& router_;
  Worker& worker_;
  const ServeOptions& options_;
  std::optional<http::request_parser<http::empty_body>> header_;
  std::optional<http::request_parser<http::string_body>> body_;
  Response res_;
  std::string head_;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool unread_body_ = false;
  size_t discarded_ = 0;
  size_t body_limit_ = 0;  // of the request being read (Router::BodyLimit)
  ClientAddress client_;
  Clock::time_point start_;

  std::optional<http::request_parser<http::buffer_body>> stream_body_;
  std::unique_ptr<Screener> screener_;
  bool xlsx_answer_ = false;  // Accept: the xlsx type; the answer is sent whole at the end
  std::vector<char> inbuf_;
  uint64_t screen_bytes_ = 0;  // body bytes of the current screen
  std::string queued_, pending_, tail_;
  bool headers_sent_ = false, input_done_ = false, final_sent_ = false;
  bool writing_ = false, reading_ = false;
};

}  // namespace

struct HttpServer::Thread {
  Thread(const Catalog& catalog, Metrics& metrics) : worker(catalog, metrics) {}
  net::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  Worker worker;
  std::thread thread;

  void Accept(Router& router, const ServeOptions& options) {
    acceptor->async_accept([this, &router, &options](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), router, worker, options)->Start();
      }
      Accept(router, options);
    });
  }
};

HttpServer::HttpServer(const ServeOptions& options, Router& router, const Catalog& catalog,
                       Metrics& metrics)
    : options_(options), router_(router), catalog_(catalog), metrics_(metrics) {}

HttpServer::~HttpServer() {
  Stop();
  Wait();
}

Status HttpServer::Start() {
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos)
    return Status::Invalid("listen", "'" + options_.listen + "' is not HOST:PORT");
  std::string host = options_.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const std::string port_text = options_.listen.substr(colon + 1);
  auto [p, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (perr != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    return Status::Invalid("listen", "'" + port_text + "' is not a port");
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return Status::Invalid("listen", "'" + host + "' is not an IP address");

  const int n =
      options_.threads > 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
  port_ = static_cast<unsigned short>(port);
  // One listening socket, bound without SO_REUSEPORT, so that binding a port that another
  // process listens on fails (SO_REUSEADDR only allows a port in TIME_WAIT): with SO_REUSEPORT
  // a second server would bind too and the kernel would split the connections between them.
  // Each thread's acceptor is a dup() of it, in the thread's own io_context: a connection is
  // accepted by whichever thread takes it first and lives on that thread.
  const tcp::endpoint ep(address, port_);
  for (int i = 0; i < n; ++i) {
    auto t = std::make_unique<Thread>(catalog_, metrics_);
    t->acceptor.emplace(t->ioc);
    if (i == 0) {
      t->acceptor->open(ep.protocol(), ec);
      if (!ec) t->acceptor->set_option(net::socket_base::reuse_address(true), ec);
      if (!ec) t->acceptor->bind(ep, ec);
      if (ec == net::error::address_in_use)
        return Status::Io(options_.listen +
                          " is in use by another process: stop it or choose another --listen");
      if (!ec) t->acceptor->listen(net::socket_base::max_listen_connections, ec);
      if (ec) return Status::Io("cannot listen on " + options_.listen + ": " + ec.message());
      port_ = t->acceptor->local_endpoint().port();
    } else {
      const int fd = ::dup(threads_.front()->acceptor->native_handle());
      if (fd < 0)
        return Status::Io("cannot listen on " + options_.listen + ": dup: " + std::strerror(errno));
      t->acceptor->assign(ep.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        return Status::Io("cannot listen on " + options_.listen + ": " + ec.message());
      }
    }
    threads_.push_back(std::move(t));
  }
  for (auto& t : threads_) {
    t->Accept(router_, options_);
    t->thread = std::thread([th = t.get()] { th->ioc.run(); });
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  for (auto& t : threads_) t->ioc.stop();
}

void HttpServer::Wait() {
  for (auto& t : threads_)
    if (t->thread.joinable()) t->thread.join();
}

}  // namespace credlist
