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
};

// Runs before a handler; a returned response is sent instead of calling the handler.
using Guard = std::function<std::optional<HttpResponse>(HttpRequest&, const RouteInfo&)>;

class Router {
  public:
    void add(std::string method, std::string pattern, std::string summary, Handler handler, bool open = false);
    // A route only the given roles may call (see api/auth.hpp).
    void add(std::string method, std::string pattern, std::string summary, std::vector<std::string> roles,
             Handler handler);
    void set_guard(Guard guard) { guard_ = std::move(guard); }
    // Called after every routed request with its answer (the audit log).
    void set_observer(std::function<void(const HttpRequest&, const HttpResponse&)> observer) {
        observer_ = std::move(observer);
    }
    // Fills req.params and runs the handler; handler exceptions become 500 JSON errors. Path
    // parameters outside the safe id set (http.hpp) are 400 invalid_id.
    HttpResponse route(HttpRequest& req) const;
    // What route() would refuse before its handler runs (404, 405, 400 invalid_id, the guard's 401
    // or 403), decided from the method, path and headers alone: the server calls it before it reads
    // a body, so strangers cannot make it hold their bodies. A refusal is also observed (audited).
    std::optional<HttpResponse> precheck(HttpRequest& req) const;
    // route() and then the observer.
    HttpResponse handle(HttpRequest& req) const;
    // Every route, for the OpenAPI document and its drift test.
    std::vector<RouteInfo> routes() const;

  private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;
        Handler handler;
    };
    // The route for req (params filled, guard passed), or nullptr with the refusal to send.
    const Route* resolve(HttpRequest& req, std::optional<HttpResponse>& refusal) const;
    std::vector<Route> routes_;
    Guard guard_;
    std::function<void(const HttpRequest&, const HttpResponse&)> observer_;
};

}  // namespace kassa::api
