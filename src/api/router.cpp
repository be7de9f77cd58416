#include "api/router.hpp"

#include <atomic>
#include <exception>
#include <future>

#include "api/errors.hpp"
#include "common/log.hpp"

#include <spdlog/logger.h>

namespace kassa::api {

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > start) out.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

bool is_param(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>* params) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i])) {
            if (params) (*params)[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

// A path for a message: bytes outside printable ASCII become '?', so an error body stays valid
// UTF-8 JSON whatever the client sent.
std::string printable(std::string_view text) {
    std::string out(text.substr(0, 200));
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
    return out;
}

}  // namespace

void Router::add(std::string method, std::string pattern, std::string summary, Handler handler, bool open) {
    auto segments = split_path(pattern);
    routes_.push_back(Route{RouteInfo{std::move(method), std::move(pattern), std::move(summary), open, {}},
                            std::move(segments), std::move(handler)});
}

void Router::add(std::string method, std::string pattern, std::string summary, std::vector<std::string> roles,
                 Handler handler) {
    add(std::move(method), std::move(pattern), std::move(summary), std::move(handler), false);
    routes_.back().info.roles = std::move(roles);
}

void Router::add_local(std::string method, std::string pattern, std::string summary, std::vector<std::string> roles,
                       Handler handler) {
    add(std::move(method), std::move(pattern), std::move(summary), std::move(roles), std::move(handler));
    routes_.back().info.loopback = true;
}

const Router::Route* Router::resolve(HttpRequest& req, std::optional<HttpResponse>& refusal) const {
    const auto path = split_path(req.path);
    std::string allowed;
    for (const auto& route : routes_) {
        if (!matches(route.segments, path, nullptr)) continue;
        if (route.info.method != req.method) {
            allowed += (allowed.empty() ? "" : ", ") + route.info.method;
            continue;
        }
        matches(route.segments, path, &req.params);
        for (const auto& [name, value] : req.params)
            if (!is_safe_id(value)) {
                refusal = error_response(400, "invalid_id", "{" + name + "} must be 1 to 64 of A-Z a-z 0-9 . _ : -",
                                         R"({"field":")" + name + R"("})");
                return nullptr;
            }
        req.route = route.info.pattern;
        if (guard_)
            if (auto refused = guard_(req, route.info)) {
                refusal = std::move(refused);
                return nullptr;
            }
        return &route;
    }
    if (!allowed.empty()) {
        refusal = error_response(405, "method_not_allowed", req.method + " is not allowed on " + printable(req.path));
        refusal->headers["Allow"] = allowed;
    } else {
        refusal = error_response(404, "not_found", "no route for " + printable(req.path));
    }
    return nullptr;
}

HttpResponse Router::route(HttpRequest& req) const { return route(req, {}); }

HttpResponse Router::route(HttpRequest& req, const std::function<void()>& authorised) const {
    std::optional<HttpResponse> refusal;
    const Route* route = resolve(req, refusal);
    if (!route) return std::move(*refusal);
    if (authorised) authorised();
    try {
        return route->handler(req);
    } catch (const std::exception& e) {
        log::get("api")->error("{} {} failed: {}", req.method, printable(req.path), e.what());
        return error_response(500, "internal_error", "the server failed to handle the request");
    }
}

void Router::precheck(HttpRequest& req, std::function<void(std::optional<HttpResponse>)> done) const {
    std::optional<HttpResponse> refusal;
    resolve(req, refusal);
    if (!refusal) return done(std::nullopt);
    if (!observer_) return done(std::move(refusal));
    // A refusal is audited like any answer: it leaves once its row is committed.
    auto shared = std::make_shared<HttpResponse>(std::move(*refusal));
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto then = [shared, once, done = std::move(done)] {
        if (!once->exchange(true)) done(std::move(*shared));
    };
    try {
        observer_(req, *shared, then);
    } catch (const std::exception& e) {
        log::get("api")->error("request observer failed: {}", e.what());
        then();
    }
}

std::optional<HttpResponse> Router::precheck(HttpRequest& req) const {
    std::promise<std::optional<HttpResponse>> promise;
    auto future = promise.get_future();
    precheck(req, [&promise](std::optional<HttpResponse> r) { promise.set_value(std::move(r)); });
    return future.get();
}

void Responder::send(HttpResponse res) const { send_(std::move(res)); }

void Responder::send_built(std::function<HttpResponse()> build) const {
    post_([send = send_, build = std::move(build)] {
        HttpResponse res;
        try {
            res = build();
        } catch (const std::exception& e) {
            log::get("api")->error("building a deferred answer failed: {}", e.what());
            res = error_response(500, "internal_error", "the server failed to handle the request");
        }
        send(std::move(res));
    });
}

void Router::dispatch(HttpRequest& req, Responder::Send send, Responder::Post post) const {
    // The observer needs what the request was after the handler has moved on: keep a copy of the
    // parts it reads, not the body.
    auto seen = std::make_shared<HttpRequest>();
    seen->method = req.method;
    seen->path = req.path;
    seen->remote = req.remote;
    seen->received = req.received;
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto answer = [this, seen, once, send = std::move(send)](HttpResponse res) {
        if (once->exchange(true)) return;  // a second answer would be a bug: ignore it
        if (!observer_) return send(std::move(res));
        auto shared = std::make_shared<HttpResponse>(std::move(res));
        auto sent = std::make_shared<std::atomic<bool>>(false);
        auto then = [send, shared, sent] {
            if (!sent->exchange(true)) send(std::move(*shared));
        };
        try {
            observer_(*seen, *shared, then);
        } catch (const std::exception& e) {
            log::get("api")->error("request observer failed: {}", e.what());
            then();
        }
    };
    req.responder = std::make_shared<Responder>(answer, std::move(post));
    HttpResponse res = route(req, [&] {
        seen->principal = req.principal;
        seen->params = req.params;
        seen->route = req.route;
    });
    if (res.deferred) return;
    // Answered here: the guard may have refused it after saying who the caller is.
    seen->principal = req.principal;
    seen->route = req.route;
    answer(std::move(res));
}

HttpResponse Router::handle(HttpRequest& req) const {
    std::promise<HttpResponse> promise;
    auto future = promise.get_future();
    dispatch(
        req, [&promise](HttpResponse res) { promise.set_value(std::move(res)); },
        [](std::function<void()> work) { work(); });
    return future.get();
}

bool Router::is_open(const HttpRequest& req) const {
    const auto path = split_path(req.path);
    for (const auto& route : routes_)
        if (route.info.method == req.method && matches(route.segments, path, nullptr)) return route.info.open;
    return false;
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& r : routes_) out.push_back(r.info);
    return out;
}

}  // namespace kassa::api
