// Plain HTTP request and response types: handlers and the router see these, never Beast, so they
// are cheap to include and easy to test without a socket.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace kassa::api {

struct Principal;  // api/auth.hpp
struct HttpResponse;

// How a handler answers later without holding a thread: it keeps the request's Responder, returns
// HttpResponse::later(), and calls send() once, from any thread (the ledger's writer, a worker, a
// timer). send_built() runs `build` on a handler thread first, for callers that must stay quick.
class Responder {
  public:
    using Send = std::function<void(HttpResponse)>;
    using Post = std::function<void(std::function<void()>)>;
    Responder(Send send, Post post) : send_(std::move(send)), post_(std::move(post)) {}
    void send(HttpResponse res) const;
    void send_built(std::function<HttpResponse()> build) const;
    // Runs `work` on a handler thread (it answers later through this responder).
    void post(std::function<void()> work) const { post_(std::move(work)); }

  private:
    Send send_;
    Post post_;
};

// The connection end of a streamed answer (server-sent events). Thread-safe and never blocking:
// write() queues the bytes for the connection's strand. The stream ends when the client goes away,
// the server stops, more than a bounded amount is queued (a client that does not read), or end()
// is called; `on_close` callbacks run once then, on the connection's strand.
class StreamSink {
  public:
    virtual ~StreamSink() = default;
    // False once the stream has ended (the bytes are dropped).
    virtual bool write(std::string bytes) = 0;
    // Ends the stream after what is queued has been written.
    virtual void end() = 0;
    virtual bool is_open() const = 0;
    // Runs `done` once when the stream ends (at once when it has ended already).
    virtual void on_close(std::function<void()> done) = 0;
};

struct HttpRequest {
    std::string method;  // upper case: GET, POST, ...
    std::string target;  // as received: path and query
    std::string path;    // without the query
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string remote;  // peer address, for the audit log
    // When the server had read the whole request (head and body); kassa_http_request_seconds
    // counts from here to the answer being ready. Unset (epoch) when not read from a socket.
    std::chrono::steady_clock::time_point received{};
    std::map<std::string, std::string> params;   // path parameters filled by the router
    std::string route;                           // the matched route's pattern ("" when none matched)
    std::shared_ptr<const Principal> principal;  // set by the auth guard on non-open routes
    std::shared_ptr<const Responder> responder;  // set by the router: answers a deferred request

    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::map<std::string, std::string> headers;
    bool deferred = false;  // the handler answers through req.responder
    bool audited = false;   // the handler wrote the audit row itself (with the request's own write)
    // A streamed answer: the status and headers are written (chunked, no Content-Length, `body`
    // ignored), then `stream` is called once with the connection's sink. The connection carries
    // nothing else afterwards. A HEAD request gets the headers only.
    std::function<void(std::shared_ptr<StreamSink>)> stream;

    static HttpResponse later() {
        HttpResponse r;
        r.deferred = true;
        return r;
    }
};

// Ids (orders, customers, registers, receipts) are restricted to [A-Za-z0-9._:-]{1,64}: reachable in
// a path, safe in JSON, logs and file names.
bool is_safe_id(std::string_view id);

// "127.x.y.z", "::1" and "::ffff:127.x.y.z" (HttpRequest::remote as the server writes it).
bool is_loopback_address(std::string_view address);

// Splits "/a/b?x=1&y=2" into path and decoded query parameters.
void split_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace kassa::api
