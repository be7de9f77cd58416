// The HTTP/1.1 listener (Boost.Beast behind a pimpl). Every connection has a body limit, a header
// limit and a read timeout, and bodies in flight have a global cap; a request is authenticated from
// its headers before its body is read; handlers run on a separate pool so a slow one never stalls I/O.
// Shutdown: stop accepting, let requests in flight finish and answer, close idle connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/router.hpp"
#include "common/result.hpp"

namespace kassa::api {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: the system picks one; see Server::port()
    std::size_t body_limit_bytes = 1024 * 1024;
    std::size_t header_limit_bytes = 16 * 1024;
    // Request bodies being received across all connections at most (each counted at its
    // Content-Length, chunked ones at body_limit_bytes); past it a request gets 503 server_busy.
    std::size_t inflight_body_limit_bytes = 64 * 1024 * 1024;
    std::chrono::seconds read_timeout{30};
    int io_threads = 2;
    int handler_threads = 8;
    std::string tls_cert;  // PEM certificate chain; with tls_key: HTTPS instead of HTTP
    std::string tls_key;   // PEM private key
};

class Server {
  public:
    Server(ServerOptions options, const Router& router);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and starts serving on background threads.
    Status start();
    // The bound port (after start).
    std::uint16_t port() const;
    // Stops accepting, waits until requests in flight have answered (at most `grace`), closes the
    // rest and joins the threads. Safe to call twice.
    void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

    struct Impl;  // opaque; public only so the connection class in server.cpp can name it

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace kassa::api
