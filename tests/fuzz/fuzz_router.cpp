// libFuzzer target: every HTTP route of kassad with the real handlers, in process (no socket):
// the router with its auth guard over a Service, a ledger in a temporary file under the build tree
// and one simulated Shtrih register on loopback, as src/app/app.cpp composes them; the KKMServer
// and ATOL Web-server drop-in routers too. The input chooses the router, method, token, headers and
// route (its path parameters filled from the input, or a raw path), and the rest is the body.
// Checked besides "no crash": every answer is a status 100..599, and a 4xx/5xx JSON answer has the
// {code, message} shape (README: errors are JSON with a stable code); no answer is a 5xx but 503
// (the register busy, the ledger's queue full) — a 500 is a bug.
#include <unistd.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.hpp"
#include "api/compat/atol_web.hpp"
#include "api/compat/common.hpp"
#include "api/compat/kkm.hpp"
#include "api/router.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "app/ledger_port.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "drivers/registry.hpp"
#include "drivers/worker/pool.hpp"
#include "drivers/worker/worker.hpp"
#include "ledger/ledger.hpp"
#include "simulators/shtrih/server.hpp"

namespace {

using namespace kassa;

constexpr std::string_view kInn = "7701234567";
constexpr std::string_view kOtherInn = "7709876543";
const char* const kTokens[] = {"",
                               "fuzz-admin-token-0123456789abcdef",
                               "fuzz-cashier-token-0123456789abcdef",
                               "fuzz-courier-token-0123456789abcdef",
                               "fuzz-bound-token-0123456789abcdef",
                               "not-a-token"};
const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};

// Built once: a fuzzer runs millions of inputs through the same service, as kassad would.
struct World {
    std::filesystem::path dir;
    std::unique_ptr<ledger::Ledger> ledger;
    std::unique_ptr<sim::ShtrihSimulator> simulator;
    drivers::RegisterPool pool;
    std::unique_ptr<api::Service> service;
    std::unique_ptr<app::LedgerPort> port;
    api::TokenStore tokens;
    api::Router router;
    api::Router kkm_router;
    api::Router atol_router;
    std::vector<api::RouteInfo> routes[3];

    World() {
        log::set_level("off");
        dir = std::filesystem::path(KASSA_BINARY_DIR) / "test-tmp" / ("fuzz-router-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        ledger = ledger::Ledger::open((dir / "kassa.sqlite").string(), SystemClock::instance());
        ledger->upsert_entity(ledger::LegalEntity{std::string(kInn), "ООО «Фазз»"});
        sim::SimulatorConfig sc;
        sc.inn = std::string(kInn);
        sc.fn_serial = "9999078900000001";
        simulator = std::make_unique<sim::ShtrihSimulator>(sc);
        if (!simulator->start()) std::abort();
        ledger->upsert_register(ledger::Register{"r-1", std::string(kInn), simulator->device_uri(), true});
        api::EntityInfo entity{.inn = std::string(kInn), .name = "ООО «Фазз»", .cashier = "Кассир"};
        entity.settlement_address = "г. Москва";
        entity.settlement_place = "Офис";
        service = std::make_unique<api::Service>(api::ServiceOptions{.entities = {entity}}, *ledger, pool,
                                                 SystemClock::instance());
        port = std::make_unique<app::LedgerPort>(*ledger, [this](std::int64_t id) { service->settled(id); });
        drivers::WorkerOptions options;
        options.register_id = "r-1";
        const auto uri = simulator->device_uri();
        pool.add(std::string(kInn),
                 std::make_unique<drivers::RegisterWorker>(
                     options, [uri] { return drivers::make_device("shtrih", uri); }, *port, SystemClock::instance()));
        const api::Role roles[] = {api::Role::Admin, api::Role::Admin, api::Role::Cashier, api::Role::Courier,
                                   api::Role::Cashier};
        for (int i = 1; i <= 4; ++i) {
            api::Principal p{"fuzz-" + std::to_string(i), roles[i], {}, {}};
            if (i == 4) p.entities = {std::string(kOtherInn)};  // sees nothing of entity kInn
            if (!tokens.add(api::sha256_hex(kTokens[i]), std::move(p))) std::abort();
        }
        api::install_auth(router, tokens);
        api::add_api_routes(router, *service, tokens,
                            api::HealthSource{.version = "fuzz",
                                              .clock = &SystemClock::instance(),
                                              .started = SystemClock::instance().steady_now(),
                                              .registers = {}},
                            {},
                            api::MetricsSource{.ledger_path = (dir / "kassa.sqlite").string(),
                                               .http = std::make_shared<api::HttpCounters>(),
                                               .clock = &SystemClock::instance()},
                            dir / "backups");
        api::compat::install_basic_auth(kkm_router, tokens);
        api::compat::add_kkm_routes(kkm_router, *service);
        api::compat::install_basic_auth(atol_router, tokens);
        api::compat::add_atol_routes(atol_router, *service);
        routes[0] = router.routes();
        routes[1] = kkm_router.routes();
        routes[2] = atol_router.routes();
        service->recover();
        pool.start_all();
    }
};

World& world() {
    static World* w = new World();  // never destroyed: worker threads outlive the last input
    return *w;
}

// Reads the input front to back.
struct Input {
    const std::uint8_t* p;
    std::size_t left;
    std::uint8_t byte() {
        if (left == 0) return 0;
        --left;
        return *p++;
    }
    // Up to the next '\n' (or the end).
    std::string line() {
        std::string out;
        while (left > 0) {
            const char c = static_cast<char>(byte());
            if (c == '\n') break;
            out.push_back(c);
        }
        return out;
    }
    std::string rest() {
        std::string out(reinterpret_cast<const char*>(p), left);
        left = 0;
        return out;
    }
};

std::string base64(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<std::uint8_t>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<std::uint8_t>(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
    }
    return out;
}

void check(const api::HttpResponse& res) {
    if (res.status < 100 || res.status > 599) __builtin_trap();
    if (res.status == 500) {
        std::fprintf(stderr, "fuzz_router: 500 %s\n", res.body.c_str());
        __builtin_trap();
    }
    if (res.status >= 400 && res.content_type == "application/json") {
        boost::system::error_code ec;
        const auto v = boost::json::parse(res.body, ec);
        if (ec) __builtin_trap();
        // The compat routers answer in their peers' own error shapes; Kassa's own routes in {code, message}.
        if (!v.is_object()) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    World& w = world();
    Input in{data, size};
    const std::uint8_t which = in.byte();
    const std::uint8_t flags = in.byte();
    const std::uint8_t route_pick = in.byte();
    const int r = which % 8 < 6 ? 0 : which % 8 == 6 ? 1 : 2;  // mostly Kassa's own routes
    const api::Router& router = r == 0 ? w.router : r == 1 ? w.kkm_router : w.atol_router;
    const auto& routes = w.routes[r];

    api::HttpRequest req;
    std::string target;
    const std::string spec = in.line();
    if (route_pick < 0xF0 && !routes.empty()) {
        // A known route: its method (or another one now and then), {params} from the spec's segments.
        const auto& route = routes[route_pick % routes.size()];
        req.method = (which & 0x80) ? kMethods[(which >> 3) % 7] : route.method;
        std::vector<std::string> values;
        std::size_t from = 0;
        while (from <= spec.size()) {
            const auto slash = spec.find('/', from);
            values.push_back(spec.substr(from, slash == std::string::npos ? std::string::npos : slash - from));
            if (slash == std::string::npos) break;
            from = slash + 1;
        }
        std::size_t next = 0;
        for (std::size_t i = 0; i < route.pattern.size(); ++i) {
            if (route.pattern[i] == '{') {
                const auto close = route.pattern.find('}', i);
                target += next < values.size() && !values[next].empty() ? values[next] : "1";
                ++next;
                i = close == std::string::npos ? route.pattern.size() : close;
            } else {
                target += route.pattern[i];
            }
        }
        if (next < values.size()) target += "?" + values[next];  // what is left: the query
    } else {
        req.method = kMethods[(which >> 3) % 7];
        target = spec;
    }
    req.target = target;
    api::split_target(req.target, req.path, req.query);
    // ?wait=N would hold this input for up to a minute waiting for the register: no long waits here.
    if (req.query.contains("wait")) req.query["wait"] = "0";
    const int token = flags % 6;
    if (token != 0) {
        if (r == 0)
            req.headers["authorization"] = std::string("Bearer ") + kTokens[token];
        else  // the drop-in routers take Basic auth: any user name, the token as the password
            req.headers["authorization"] = "Basic " + base64(std::string("fuzz:") + kTokens[token]);
    }
    if (flags & 0x08) req.headers["idempotency-key"] = "fuzz-" + std::to_string(flags >> 4);
    if (flags & 0x40) req.headers["content-type"] = "application/json";
    req.remote = (flags & 0x80) ? "127.0.0.1" : "192.0.2.7";
    req.body = in.rest();
    check(router.handle(req));
    return 0;
}
