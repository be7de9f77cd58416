#include "app/app.hpp"

#include <spdlog/logger.h>

#include <filesystem>

#include "api/handlers/health.hpp"
#include "api/router.hpp"
#include "api/server.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/uri.hpp"

namespace kassa::app {

struct App::Impl {
    Config config;
    api::Router router;
    std::unique_ptr<api::Server> server;
};

App::App(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

App::~App() { stop(); }

Status App::start() {
    auto& s = *impl_;
    auto logger = log::get("app");
    std::error_code ec;
    std::filesystem::create_directories(s.config.ledger.data_dir, ec);
    if (ec)
        return fail("data_dir_unavailable",
                    "cannot create data dir '" + s.config.ledger.data_dir.string() + "': " + ec.message());

    api::add_health_routes(
        s.router, api::HealthSource{.version = KASSA_VERSION,
                                    .clock = &SystemClock::instance(),
                                    .started = SystemClock::instance().steady_now(),
                                    .registers = [&s] {
                                        std::vector<api::RegisterHealth> out;
                                        for (const auto& r : s.config.registers)
                                            out.push_back({r.id, r.family, r.entity_inn, "not_connected",
                                                           "device workers are not wired yet"});
                                        return out;
                                    }});

    auto listen = parse_host_port(s.config.server.listen);
    if (!listen) return std::unexpected(listen.error());
    api::ServerOptions options{.host = listen->host,
                               .port = listen->port,
                               .body_limit_bytes = s.config.server.body_limit_bytes,
                               .header_limit_bytes = s.config.server.header_limit_bytes,
                               .read_timeout = s.config.server.read_timeout,
                               .io_threads = s.config.server.io_threads,
                               .handler_threads = s.config.server.handler_threads};
    s.server = std::make_unique<api::Server>(options, s.router);
    if (auto started = s.server->start(); !started) return started;
    logger->info("listening on {}:{}", listen->host, s.server->port());
    return ok();
}

std::uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

void App::stop() {
    if (impl_->server) {
        impl_->server->shutdown();
        impl_->server.reset();
        log::get("app")->info("stopped");
    }
}

}  // namespace kassa::app
