#include "app/app.hpp"

#include <spdlog/logger.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/auth.hpp"
#include "api/handlers/health.hpp"
#include "api/router.hpp"
#include "api/server.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/uri.hpp"

namespace kassa::app {

namespace {

// Reads <data_dir>/admin-token, or creates it (mode 0600, never replaced) with a fresh token.
Result<std::string> bootstrap_admin_token(const std::filesystem::path& path) {
    if (std::ifstream in(path); in) {
        std::string token;
        std::getline(in, token);
        if (token.size() >= 32) return token;
        return fail("admin_token_invalid",
                    "'" + path.string() + "' does not hold a token; delete it to make a new one");
    }
    const std::string token = api::random_token();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return fail("admin_token_unwritable", "cannot create '" + path.string() + "'");
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return fail("admin_token_unwritable", "cannot write '" + path.string() + "'");
    return token;
}

}  // namespace

struct App::Impl {
    Config config;
    api::TokenStore tokens;
    std::optional<std::filesystem::path> admin_token_path;
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

    for (const auto& t : s.config.tokens) {
        api::Principal principal{t.name, *api::parse_role(t.role), t.registers, t.entities};
        if (auto added = s.tokens.add(t.sha256, std::move(principal)); !added) return added;
    }
    if (s.tokens.empty()) {
        const auto path = s.config.ledger.data_dir / "admin-token";
        auto token = bootstrap_admin_token(path);
        if (!token) return std::unexpected(token.error());
        (void)s.tokens.add(api::sha256_hex(*token), api::Principal{"bootstrap-admin", api::Role::Admin, {}, {}});
        s.admin_token_path = path;
    }
    api::install_auth(s.router, s.tokens);

    api::add_health_routes(
        s.router,
        api::HealthSource{
            .version = KASSA_VERSION,
            .clock = &SystemClock::instance(),
            .started = SystemClock::instance().steady_now(),
            .registers = [&s] {
                std::vector<api::RegisterHealth> out;
                for (const auto& r : s.config.registers)
                    out.push_back({r.id, r.family, r.entity_inn, "not_connected", "device workers are not wired yet"});
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

std::optional<std::filesystem::path> App::admin_token_path() const { return impl_->admin_token_path; }

std::uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

void App::stop() {
    if (impl_->server) {
        impl_->server->shutdown();
        impl_->server.reset();
        log::get("app")->info("stopped");
    }
}

}  // namespace kassa::app
