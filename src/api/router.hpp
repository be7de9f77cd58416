// Routes requests by method and path pattern ("/v1/orders/{id}") to synchronous handlers.
// Unknown paths answer 404 and known paths with another method 405 (with Allow), both as JSON.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.hpp"

namespace kassa::api {

using Handler = std::function<HttpResponse(HttpRequest&)>;

struct RouteInfo {
    std::string method;
    std::string pattern;
    std::string summary;
    bool open = false;               // no token needed
    std::vector<std::string> roles;  // roles allowed (names); empty: any authenticated caller
    bool loopback = false;           // callers on a loopback address need no token (add_local)
};

// Runs before a handler; a returned response is sent instead of calling the handler.
using Guard = std::function<std::optional<HttpResponse>(HttpRequest&, const RouteInfo&)>;

class Router {
  public:
    void add(std::string method, std::string pattern, std::string summary, Handler handler, bool open = false);
    // A route only the given roles may call (see api/auth.hpp).
    void add(std::string method, std::string pattern, std::string summary, std::vector<std::string> roles,
             Handler handler);
    // A route loopback callers reach without a token; others need one of the roles (GET /metrics).
    void add_local(std::string method, std::string pattern, std::string summary, std::vector<std::string> roles,
                   Handler handler);
    void set_guard(Guard guard) { guard_ = std::move(guard); }
    // Called after every routed request with its answer (the audit log); the answer is sent when
    // the observer calls `then` (from any thread), so what it records is durable first.
    using Observer = std::function<void(const HttpRequest&, const HttpResponse&, std::function<void()> then)>;
    void set_observer(Observer observer) { observer_ = std::move(observer); }
    // Fills req.params and runs the handler; handler exceptions become 500 JSON errors. A deferred
    // handler's answer comes through req.responder (see dispatch). Path parameters outside the safe
    // id set (http.hpp) are 400 invalid_id.
    HttpResponse route(HttpRequest& req) const;
    // What route() would refuse before its handler runs (404, 405, 400 invalid_id, the guard's 401
    // or 403), decided from the method, path and headers alone: the server calls it before it reads
    // a body, so strangers cannot make it hold their bodies. A refusal is also observed (audited).
    // The same, answering through `done` (now, or once a refusal's audit row is committed).
    void precheck(HttpRequest& req, std::function<void(std::optional<HttpResponse>)> done) const;
    std::optional<HttpResponse> precheck(HttpRequest& req) const;
    // Runs the route and answers through `send` exactly once, now or later (a deferred handler),
    // then the observer sees the answer. `post` runs work on a handler thread.
    void dispatch(HttpRequest& req, Responder::Send send, Responder::Post post) const;
    // dispatch() for callers that want the answer here (tests): blocks until it is sent.
    HttpResponse handle(HttpRequest& req) const;
    // True for open routes (health, the OpenAPI document): quick, never blocking, so the server
    // answers them on its I/O threads and they never queue behind business requests.
    bool is_open(const HttpRequest& req) const;
    // Every route, for the OpenAPI document and its drift test.
    std::vector<RouteInfo> routes() const;

  private:
    // route(), calling `authorised` once the guard let the request through.
    HttpResponse route(HttpRequest& req, const std::function<void()>& authorised) const;
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;
        Handler handler;
    };
    // The route for req (params filled, guard passed), or nullptr with the refusal to send.
    const Route* resolve(HttpRequest& req, std::optional<HttpResponse>& refusal) const;
    std::vector<Route> routes_;
    Guard guard_;
    Observer observer_;
};

}  // namespace kassa::api
