#include "api/server.hpp"
#include "common/thread_name.hpp"

#include <spdlog/logger.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "api/errors.hpp"
#include "common/log.hpp"

namespace kassa::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What shutdown needs from a connection, whatever its stream.
class Connection {
  public:
    virtual ~Connection() = default;
    virtual void close_if_idle() = 0;
};

}  // namespace

struct Server::Impl {
    ServerOptions options;
    const Router& router;

    // Declared before the io_context so they outlive it: connections destroyed with the
    // io_context's pending handlers still report to them.
    std::mutex mutex;
    std::condition_variable idle_cv;
    int in_flight = 0;      // requests accepted and not yet answered
    int live_sessions = 0;  // connections not yet destroyed; shutdown waits for zero
    std::list<std::weak_ptr<Connection>> sessions;

    asio::io_context ioc;
    std::optional<asio::ssl::context> tls;  // set when a certificate is configured
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::acceptor acceptor{ioc};
    std::vector<std::thread> threads;
    std::unique_ptr<asio::thread_pool> handlers;
    std::atomic<bool> stopping{false};
    bool stopped = false;

    Impl(ServerOptions o, const Router& r) : options(std::move(o)), router(r) {}

    // In-flight request bodies across connections (ServerOptions::inflight_body_limit_bytes).
    std::atomic<std::size_t> body_bytes{0};
    bool reserve_body(std::size_t bytes) {
        auto now = body_bytes.load();
        do {
            if (bytes > options.inflight_body_limit_bytes || now > options.inflight_body_limit_bytes - bytes)
                return false;
        } while (!body_bytes.compare_exchange_weak(now, now + bytes));
        return true;
    }
    void release_body(std::size_t bytes) {
        if (bytes) body_bytes -= bytes;
    }

    // Accept errors (EMFILE, ENFILE, ...) back off 10 ms doubling to 1 s and are logged at most
    // once a second, so a full descriptor table neither spins a core nor floods the log.
    asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(ioc)};
    asio::steady_timer accept_timer{accept_strand};
    std::chrono::milliseconds accept_backoff{0};
    std::chrono::steady_clock::time_point accept_logged{};
    std::uint64_t accept_failures = 0;  // since the last log line
    void do_accept();
    void on_accept_error(const beast::error_code& ec);
    void request_started() {
        std::lock_guard lock(mutex);
        ++in_flight;
    }
    void request_finished() {
        std::lock_guard lock(mutex);
        --in_flight;
        idle_cv.notify_all();
    }
    void session_opened() {
        std::lock_guard lock(mutex);
        ++live_sessions;
    }
    void session_closed() {
        std::lock_guard lock(mutex);
        --live_sessions;
        idle_cv.notify_all();
    }
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session : public Connection, public StreamSink, public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  public:
    // An idle or refused connection holds at most this much of what it sent.
    static std::size_t buffer_limit(const ServerOptions& o) { return o.header_limit_bytes + 8 * 1024; }

    Session(tcp::socket socket, Server::Impl& server) requires(!kTls)
        : stream_(std::move(socket)), server_(server), buffer_(buffer_limit(server.options)) {
        server_.session_opened();
    }
    Session(tcp::socket socket, Server::Impl& server, asio::ssl::context& tls) requires kTls
        : stream_(std::move(socket), tls),
          server_(server),
          buffer_(buffer_limit(server.options)) {
        server_.session_opened();
    }
    ~Session() {
        close();
        release_body();
        server_.session_closed();
    }

    void start() {
        asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            if constexpr (kTls) {
                beast::get_lowest_layer(self->stream_).expires_after(self->server_.options.read_timeout);
                self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
                    if (ec) return self->close();  // not TLS, or a bad client hello
                    self->do_read();
                });
            } else {
                self->do_read();
            }
        });
    }

    // Called on shutdown: an idle connection (waiting for a request) is closed now; a busy one
    // closes after its answer is written.
    void close_if_idle() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            if (self->streaming_)
                self->end_stream_gracefully();
            else if (!self->busy_)
                self->close();
        });
    }

    // ---- StreamSink: a streamed answer (server-sent events) -----------------------------------
    bool write(std::string bytes) override {
        if (!open_) return false;
        asio::post(stream_.get_executor(),
                   [self = this->shared_from_this(), b = std::make_shared<std::string>(std::move(bytes))] {
                       if (!self->open_ || self->closing_) return;
                       self->out_bytes_ += b->size();
                       self->out_.push_back(std::move(b));
                       // A client that does not read: end its stream rather than hold its backlog.
                       if (self->out_bytes_ > kMaxStreamBacklog) return self->end_stream();
                       self->flush();
                   });
        return true;
    }
    void end() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->end_stream_gracefully(); });
    }
    bool is_open() const override { return open_; }
    void on_close(std::function<void()> done) override {
        {
            std::lock_guard lock(close_mutex_);
            if (!stream_ended_) {
                on_close_.push_back(std::move(done));
                return;
            }
        }
        done();
    }

  private:
    // The read path: the header first; the route's authentication and role are checked from it
    // (Router::precheck) before a byte of the body is read, so a stranger's body is never held.
    void do_read() {
        if (server_.stopping) return close();
        parser_.emplace();
        parser_->body_limit(server_.options.body_limit_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit_bytes));
        head_ = false;
        beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    // Read errors of the header or the body; true when the connection was answered or closed.
    bool read_failed(beast::error_code ec) {
        if (!ec) return false;
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::eof)
            close();
        else if (ec == http::error::body_limit)
            reply_and_close(error_response(
                413, "payload_too_large",
                "the request body is larger than " + std::to_string(server_.options.body_limit_bytes) + " bytes"));
        else if (ec == http::error::header_limit)
            reply_and_close(error_response(431, "headers_too_large", "the request headers are too large"));
        else
            reply_and_close(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));
        return true;
    }

    void on_header(beast::error_code ec) {
        if (read_failed(ec)) return;
        const auto& msg = parser_->get();
        // RFC 9112 §6.1: a transfer coding we do not know is answered 501 and the connection closed;
        // its body is never read, so it can never be taken for a second request.
        if (auto te = msg.find(http::field::transfer_encoding); te != msg.end() && !chunked_only(te->value()))
            return reply_and_close(
                error_response(501, "unsupported_transfer_encoding", "only Transfer-Encoding: chunked is supported"));
        request_ = HttpRequest{};
        request_.method = std::string(msg.method_string());
        if (request_.method == "HEAD") {
            // Answered as GET without the body (RFC 9110 §9.3.2).
            request_.method = "GET";
            head_ = true;
        }
        request_.target = std::string(msg.target());
        split_target(request_.target, request_.path, request_.query);
        for (const auto& field : msg) {
            std::string name(field.name_string());
            std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
            request_.headers[name] = std::string(field.value());
        }
        beast::error_code ep_ec;
        auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ep_ec);
        if (!ep_ec) request_.remote = ep.address().to_string();
        keep_alive_ = msg.keep_alive();
        version_ = msg.version();
        // Cheap and never blocking (a token's digest and a lookup; a refusal's audit row is
        // committed without a thread waiting), so it runs right here: strangers take no handler thread.
        precheck();
    }

    void precheck() {
        auto done = [self = this->shared_from_this()](std::optional<HttpResponse> refused) {
            // Now (on this strand), or from the ledger's writer once a refusal's audit row is in.
            asio::dispatch(self->stream_.get_executor(), [self, refused = std::move(refused)]() mutable {
                self->after_precheck(std::move(refused));
            });
        };
        try {
            server_.router.precheck(request_, done);
        } catch (const std::exception& e) {  // nothing may escape into Asio
            log::get("api")->error("checking a request failed: {}", e.what());
            done(error_response(500, "internal_error", "the server failed to check the request"));
        }
    }

    void after_precheck(std::optional<HttpResponse> refused) {
        if (refused) {
            // A body left unread cannot be skipped safely: close after the answer.
            if (!parser_->is_done()) return reply_and_close(std::move(*refused));
            busy_ = true;
            server_.request_started();
            return respond(std::move(*refused), false);
        }
        if (parser_->is_done()) return dispatch();
        // Every body being read counts against one cap across connections (chunked ones at the
        // per-connection limit); past it the caller is told to come back.
        const auto length = parser_->content_length();
        const std::size_t want = length ? static_cast<std::size_t>(*length) : server_.options.body_limit_bytes;
        if (!server_.reserve_body(want)) {
            auto res = error_response(503, "server_busy", "too many request bodies are being received; try again");
            res.headers["Retry-After"] = "1";
            return reply_and_close(std::move(res));
        }
        reserved_ = want;
        beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
        if (beast::iequals(request_.header("expect"), "100-continue")) {
            // The client waits for this before it sends the body (RFC 9110 §10.1.1).
            auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
            return http::async_write(stream_, *go_on,
                                     [self = this->shared_from_this(), go_on](beast::error_code ec, std::size_t) {
                                         if (ec) return self->close();
                                         self->read_body();
                                     });
        }
        read_body();
    }

    void read_body() {
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
    }

    void on_body(beast::error_code ec) {
        release_body();
        if (read_failed(ec)) return;
        request_.body = std::move(parser_->get().body());
        dispatch();
    }

    void release_body() {
        server_.release_body(reserved_);
        reserved_ = 0;
    }

    static bool chunked_only(std::string_view value) {
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        return beast::iequals(value, "chunked");
    }

    void dispatch() {
        HttpRequest req = std::move(request_);
        req.received = std::chrono::steady_clock::now();
        busy_ = true;
        server_.request_started();
        beast::get_lowest_layer(stream_).expires_never();
        // The answer comes back to this connection's strand from whichever thread has it: a
        // handler thread, or later the ledger's writer, a register's worker or a timer (deferred
        // handlers hold no thread while they wait). Open routes (health) are quick and answered on
        // the I/O thread, so they never queue behind business requests.
        auto send = [self = this->shared_from_this()](HttpResponse res) {
            asio::post(self->stream_.get_executor(),
                       [self, res = std::move(res)]() mutable { self->respond(std::move(res), false); });
        };
        auto post = [&pool = *server_.handlers](std::function<void()> work) { asio::post(pool, std::move(work)); };
        if (server_.router.is_open(req)) return server_.router.dispatch(req, std::move(send), std::move(post));
        asio::post(*server_.handlers, [self = this->shared_from_this(), req = std::move(req), send = std::move(send),
                                       post = std::move(post)]() mutable {
            self->server_.router.dispatch(req, std::move(send), std::move(post));
        });
    }

    void reply_and_close(HttpResponse res) {
        busy_ = true;
        server_.request_started();
        keep_alive_ = false;
        respond(std::move(res), true);
    }

    void respond(HttpResponse res, bool force_close) {
        if (res.stream && !head_ && !force_close) return start_stream(std::move(res));
        auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(res.status),
                                                                       version_ ? version_ : 11);
        msg->set(http::field::server, "kassad");
        msg->set(http::field::content_type, res.content_type);
        for (const auto& [name, value] : res.headers) msg->set(name, value);
        const bool keep = keep_alive_ && !force_close && !server_.stopping;
        msg->keep_alive(keep);
        if (head_) {
            msg->content_length(res.body.size());  // HEAD: the length of the GET answer, no body
        } else {
            msg->body() = std::move(res.body);
            msg->prepare_payload();
        }
        beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
        http::async_write(stream_, *msg,
                          [self = this->shared_from_this(), msg, keep](beast::error_code ec, std::size_t) {
                              self->busy_ = false;
                              self->server_.request_finished();
                              if (ec || !keep) return self->close();
                              self->do_read();
                          });
    }

    // The head of a streamed answer, then the handler's stream gets this connection as its sink.
    void start_stream(HttpResponse res) {
        streaming_ = true;
        auto msg = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(res.status),
                                                                      version_ ? version_ : 11);
        msg->set(http::field::server, "kassad");
        msg->set(http::field::content_type, res.content_type);
        for (const auto& [name, value] : res.headers) msg->set(name, value);
        msg->keep_alive(false);
        chunked_ = msg->version() >= 11;
        if (chunked_) msg->chunked(true);  // HTTP/1.0: the body ends when the connection closes
        auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*msg);
        // No timeout: the stream is idle between events (the heartbeats keep proxies awake), and a
        // client that stops reading is cut by the backlog limit instead.
        beast::get_lowest_layer(stream_).expires_never();
        http::async_write_header(stream_, *serializer,
                                 [self = this->shared_from_this(), msg, serializer, open = std::move(res.stream)](
                                     beast::error_code ec, std::size_t) {
                                     self->server_.request_finished();
                                     if (ec || self->server_.stopping) return self->end_stream();
                                     self->open_ = true;
                                     self->watch_client();
                                     try {
                                         open(self);
                                     } catch (const std::exception& e) {  // nothing may escape into Asio
                                         log::get("api")->error("opening a stream failed: {}", e.what());
                                         self->end_stream();
                                     }
                                 });
    }

    // The client sends nothing more on a stream: a read completes only when it goes away.
    void watch_client() {
        stream_.async_read_some(asio::buffer(watch_buffer_),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec) return self->end_stream();
                                    if (self->open_) self->watch_client();
                                });
    }

    void flush() {
        if (writing_ || !open_) return;
        if (out_.empty()) {
            if (closing_) finish_stream();
            return;
        }
        writing_ = true;
        auto bytes = out_.front();
        auto done = [self = this->shared_from_this(), bytes](beast::error_code ec, std::size_t) {
            self->writing_ = false;
            if (!self->out_.empty()) self->out_.pop_front();
            self->out_bytes_ -= std::min(self->out_bytes_, bytes->size());
            if (ec) return self->end_stream();
            self->flush();
        };
        if (chunked_) {
            auto chunk = std::make_shared<decltype(http::make_chunk(asio::const_buffer{}))>(
                http::make_chunk(asio::const_buffer(bytes->data(), bytes->size())));
            asio::async_write(stream_, *chunk,
                              [chunk, done = std::move(done)](beast::error_code ec, std::size_t n) { done(ec, n); });
        } else {
            asio::async_write(stream_, asio::const_buffer(bytes->data(), bytes->size()), std::move(done));
        }
    }

    void end_stream_gracefully() {
        if (!streaming_) return;
        closing_ = true;
        if (!open_) return end_stream();  // the head is still being written: it ends there
        flush();
    }

    // Everything queued is written: the last chunk, then the connection closes.
    void finish_stream() {
        if (finishing_) return;
        finishing_ = true;
        if (!chunked_) return end_stream();
        auto last = std::make_shared<decltype(http::make_chunk_last())>(http::make_chunk_last());
        asio::async_write(stream_, *last, [self = this->shared_from_this(), last](beast::error_code, std::size_t) {
            self->end_stream();
        });
    }

    void end_stream() {
        std::vector<std::function<void()>> callbacks;
        {
            std::lock_guard lock(close_mutex_);
            if (stream_ended_) return;
            stream_ended_ = true;
            callbacks = std::move(on_close_);
        }
        open_ = false;
        for (auto& done : callbacks) done();
        close();
    }

    void close() {
        // TCP-level close for both kinds: a TLS close_notify would need another round trip with a
        // client that may be gone; HTTP framing already tells the client the answer is complete.
        auto& tcp_layer = beast::get_lowest_layer(stream_);
        beast::error_code ec;
        tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ec);
        tcp_layer.close();
    }

    Stream stream_;
    Server::Impl& server_;
    beast::flat_buffer buffer_;  // bounded in the constructors: a header and one read's worth
    std::optional<http::request_parser<http::string_body>> parser_;
    HttpRequest request_;       // built from the header, the body added once read
    std::size_t reserved_ = 0;  // body bytes counted against ServerOptions::inflight_body_limit_bytes
    bool head_ = false;
    bool keep_alive_ = false;
    unsigned version_ = 11;
    bool busy_ = false;

    // A streamed answer (StreamSink); everything but open_ and the callbacks lives on the strand.
    static constexpr std::size_t kMaxStreamBacklog = 1024 * 1024;
    bool streaming_ = false;
    bool chunked_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool finishing_ = false;
    std::atomic<bool> open_{false};
    std::deque<std::shared_ptr<std::string>> out_;
    std::size_t out_bytes_ = 0;
    std::array<char, 64> watch_buffer_{};
    std::mutex close_mutex_;
    bool stream_ended_ = false;
    std::vector<std::function<void()>> on_close_;
};

}  // namespace

void Server::Impl::do_accept() {
    acceptor.async_accept(asio::make_strand(ioc),
                          asio::bind_executor(accept_strand, [this](beast::error_code ec, tcp::socket socket) {
                              if (ec == asio::error::operation_aborted || stopping) return;
                              if (ec) return on_accept_error(ec);
                              accept_backoff = std::chrono::milliseconds(0);
                              std::shared_ptr<Connection> connection;
                              if (tls) {
                                  auto session = std::make_shared<Session<TlsStream>>(std::move(socket), *this, *tls);
                                  session->start();
                                  connection = session;
                              } else {
                                  auto session = std::make_shared<Session<PlainStream>>(std::move(socket), *this);
                                  session->start();
                                  connection = session;
                              }
                              {
                                  std::lock_guard lock(mutex);
                                  std::erase_if(sessions, [](const auto& w) { return w.expired(); });
                                  sessions.push_back(connection);
                              }
                              do_accept();
                          }));
}

void Server::Impl::on_accept_error(const beast::error_code& ec) {
    using namespace std::chrono_literals;
    accept_backoff = std::clamp<std::chrono::milliseconds>(accept_backoff * 2, 10ms, 1s);
    ++accept_failures;
    const auto now = std::chrono::steady_clock::now();
    if (now - accept_logged >= 1s) {
        log::get("api")->warn("accept failed: {} ({} time(s) since the last report); retrying in {} ms", ec.message(),
                              accept_failures, accept_backoff.count());
        accept_logged = now;
        accept_failures = 0;
    }
    // The accept handlers, this timer and shutdown's close all run on accept_strand, so the
    // members above need no lock.
    accept_timer.expires_after(accept_backoff);
    accept_timer.async_wait(asio::bind_executor(accept_strand, [this](beast::error_code wait_ec) {
        if (wait_ec || stopping) return;
        do_accept();
    }));
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

Status Server::start() {
    auto& s = *impl_;
    beast::error_code ec;
    auto address = asio::ip::make_address(s.options.host, ec);
    if (ec) return fail("invalid_address", "cannot listen on '" + s.options.host + "': " + ec.message());
    if (!s.options.tls_cert.empty() || !s.options.tls_key.empty()) {
        s.tls.emplace(asio::ssl::context::tls_server);
        s.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | SSL_OP_CIPHER_SERVER_PREFERENCE);
        // TLS 1.2 and 1.3 only; for TLS 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
        // ChaCha20-Poly1305). TLS 1.3 suites are all of that kind already.
        if (SSL_CTX_set_min_proto_version(s.tls->native_handle(), TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(s.tls->native_handle(),
                                    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
            return fail("tls_config", "cannot restrict TLS to 1.2+ with forward-secret AEAD ciphers");
        s.tls->use_certificate_chain_file(s.options.tls_cert, ec);
        if (ec)
            return fail("tls_config", "cannot load the TLS certificate '" + s.options.tls_cert + "': " + ec.message());
        s.tls->use_private_key_file(s.options.tls_key, asio::ssl::context::pem, ec);
        if (ec) return fail("tls_config", "cannot load the TLS key '" + s.options.tls_key + "': " + ec.message());
    }
    tcp::endpoint endpoint(address, s.options.port);
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return fail("listen_failed",
                    "cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) + ": " + ec.message());
    s.handlers = std::make_unique<asio::thread_pool>(s.options.handler_threads);
    s.work.emplace(s.ioc.get_executor());
    s.do_accept();
    for (int i = 0; i < s.options.io_threads; ++i)
        s.threads.emplace_back([&s] {
            name_this_thread("http-io");
            s.ioc.run();
        });
    return ok();
}

std::uint16_t Server::port() const {
    beast::error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void Server::shutdown(std::chrono::milliseconds grace) {
    auto& s = *impl_;
    if (s.stopped) return;
    s.stopped = true;
    s.stopping = true;
    asio::post(s.accept_strand, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
        s.accept_timer.cancel();
    });
    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(s.mutex);
        for (auto& w : s.sessions)
            if (auto p = w.lock()) live.push_back(std::move(p));
    }
    for (auto& session : live) session->close_if_idle();
    live.clear();  // our references must not keep connections alive
    {
        // Requests in flight answer, then every connection closes (idle ones were told to above;
        // busy ones close after their answer); only then are the I/O threads stopped, so no
        // client sees a connection vanish without a proper close.
        std::unique_lock lock(s.mutex);
        if (!s.idle_cv.wait_for(lock, grace, [&s] { return s.in_flight == 0; }))
            log::get("api")->warn("shutdown: {} request(s) still in flight after the grace period", s.in_flight);
        s.idle_cv.wait_for(lock, std::chrono::seconds(2), [&s] { return s.live_sessions == 0; });
    }
    s.work.reset();
    s.ioc.stop();
    for (auto& t : s.threads)
        if (t.joinable()) t.join();
    if (s.handlers) s.handlers->join();
}

}  // namespace kassa::api
