#include "api/server.hpp"

#include <spdlog/logger.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
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

    void do_accept();
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
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  public:
    Session(tcp::socket socket, Server::Impl& server) requires(!kTls) : stream_(std::move(socket)), server_(server) {
        server_.session_opened();
    }
    Session(tcp::socket socket, Server::Impl& server, asio::ssl::context& tls) requires kTls
        : stream_(std::move(socket), tls),
          server_(server) {
        server_.session_opened();
    }
    ~Session() {
        close();
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
            if (!self->busy_) self->close();
        });
    }

  private:
    void do_read() {
        if (server_.stopping) return close();
        parser_.emplace();
        parser_->body_limit(server_.options.body_limit_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit_bytes));
        beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::eof)
            return close();
        if (ec == http::error::body_limit)
            return reply_and_close(error_response(
                413, "payload_too_large",
                "the request body is larger than " + std::to_string(server_.options.body_limit_bytes) + " bytes"));
        if (ec == http::error::header_limit)
            return reply_and_close(error_response(431, "headers_too_large", "the request headers are too large"));
        if (ec) return reply_and_close(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));

        auto msg = parser_->release();
        HttpRequest req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        split_target(req.target, req.path, req.query);
        for (const auto& field : msg) {
            std::string name(field.name_string());
            std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
            req.headers[name] = std::string(field.value());
        }
        req.body = std::move(msg.body());
        beast::error_code ep_ec;
        auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ep_ec);
        if (!ep_ec) req.remote = ep.address().to_string();
        keep_alive_ = msg.keep_alive();
        version_ = msg.version();
        busy_ = true;
        server_.request_started();
        beast::get_lowest_layer(stream_).expires_never();
        // The answer comes back to this connection's strand from whichever thread has it: a
        // handler thread, or later the ledger's writer, a register's worker or a timer (deferred
        // handlers hold no thread while they wait). Open routes (health) are quick and answered on
        // the I/O thread, so they never queue behind business requests.
        auto send = [self = this->shared_from_this()](HttpResponse res) {
            asio::post(self->stream_.get_executor(),
                       [self, res = std::move(res)]() mutable { self->write(std::move(res), false); });
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
        write(std::move(res), true);
    }

    void write(HttpResponse res, bool force_close) {
        auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(res.status),
                                                                       version_ ? version_ : 11);
        msg->set(http::field::server, "kassad");
        msg->set(http::field::content_type, res.content_type);
        for (const auto& [name, value] : res.headers) msg->set(name, value);
        const bool keep = keep_alive_ && !force_close && !server_.stopping;
        msg->keep_alive(keep);
        msg->body() = std::move(res.body);
        msg->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(server_.options.read_timeout);
        http::async_write(stream_, *msg,
                          [self = this->shared_from_this(), msg, keep](beast::error_code ec, std::size_t) {
                              self->busy_ = false;
                              self->server_.request_finished();
                              if (ec || !keep) return self->close();
                              self->do_read();
                          });
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
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    bool keep_alive_ = false;
    unsigned version_ = 11;
    bool busy_ = false;
};

}  // namespace

void Server::Impl::do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || stopping) return;
        if (!ec) {
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
            std::lock_guard lock(mutex);
            std::erase_if(sessions, [](const auto& w) { return w.expired(); });
            sessions.push_back(connection);
        } else {
            log::get("api")->warn("accept failed: {}", ec.message());
        }
        do_accept();
    });
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
                           asio::ssl::context::no_tlsv1_1);
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
    for (int i = 0; i < s.options.io_threads; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
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
    asio::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
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
