// kassad: composition only. Parses flags, loads the config, starts the App, waits for SIGINT or
// SIGTERM, stops gracefully and exits 0.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "api/auth.hpp"
#include "app/app.hpp"
#include "app/config.hpp"
#include "common/log.hpp"
#include "common/uri.hpp"

#include <spdlog/logger.h>

int main(int argc, char** argv) {
    CLI::App cli{"kassad: fiscal cash registers as a local HTTP service"};
    std::string config_path, listen, data_dir, log_level;
    cli.add_option("-c,--config", config_path, "TOML config file (default: the embedded default)");
    cli.add_option("--listen", listen, "host:port to listen on (overrides server.listen)");
    cli.add_option("--data-dir", data_dir, "directory of the ledger (overrides ledger.data_dir)");
    cli.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical|off (overrides log.level)");
    cli.set_version_flag("--version", std::string("kassad ") + KASSA_VERSION);
    std::string hash_token;
    cli.add_option("--hash-token", hash_token, "print the sha256 of a token for a [[tokens]] entry, then exit");
    CLI11_PARSE(cli, argc, argv);
    if (!hash_token.empty()) {
        std::cout << kassa::api::sha256_hex(hash_token) << std::endl;
        return 0;
    }

    auto config = config_path.empty() ? kassa::Result<kassa::app::Config>(kassa::app::default_config())
                                      : kassa::app::load_config_file(config_path);
    if (!config) {
        std::cerr << "kassad: " << config.error().message << "\n";
        return 2;
    }
    if (!listen.empty()) config->server.listen = listen;
    if (!data_dir.empty()) config->ledger.data_dir = data_dir;
    if (!log_level.empty()) config->log.level = log_level;
    if (auto valid = kassa::app::validate(*config); !valid) {
        std::cerr << "kassad: " << valid.error().message << "\n";
        return 2;
    }
    kassa::log::set_level(config->log.level);

    // Block the stop signals in every thread (threads inherit the mask), then wait for them here.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // Everything kassad creates (the ledger and its -wal/-shm, simulated FN files, the admin token)
    // is readable by its owner only: the ledger holds buyers' phones and e-mails.
    umask(077);

    if (config->server.web_root.empty()) config->server.web_root = KASSA_WEB_ROOT;
    kassa::app::App app(*config);
    if (auto started = app.start(); !started) {
        std::cerr << "kassad: " << started.error().message << "\n";
        return 1;
    }
    const auto host = kassa::parse_host_port(config->server.listen)->host;
    const std::string scheme = config->server.tls_cert.empty() ? "http" : "https";
    std::cout << "kassad " << KASSA_VERSION << " listening on " << scheme << "://" << host << ":" << app.port()
              << std::endl;
    std::cout << "  health: curl " << scheme << "://" << host << ":" << app.port() << "/v1/health" << std::endl;
    const std::string base = scheme + "://" + host + ":" + std::to_string(app.port());
    const auto token_path = app.admin_token_path();
    if (token_path)
        std::cout << "  auth:   Authorization: Bearer $(cat " << token_path->string() << ")   (admin token)"
                  << std::endl;
    else
        std::cout << "  auth:   Authorization: Bearer <token> with a token listed in the config" << std::endl;
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(config->server.web_root) / "office" / "index.html", ec))
        std::cout << "  office: " << base << "/office/   sign in with "
                  << (token_path ? "the token in " + token_path->string() + ", or open " + base +
                                       "/office/#token=$(cat " + token_path->string() + ")"
                                 : std::string("a cashier or admin token"))
                  << std::endl;
    else
        std::cout << "  office: pages not built in " << config->server.web_root << " (run make build)" << std::endl;
    if (app.kkm_port())
        std::cout << "  KKMServer-compatible /Execute on http://"
                  << kassa::parse_host_port(config->compat.kkmserver_listen)->host << ":" << app.kkm_port()
                  << "   (HTTP Basic, password = a token)" << std::endl;
    if (app.atol_port())
        std::cout << "  ATOL Web-server-compatible /api/v2/requests on http://"
                  << kassa::parse_host_port(config->compat.atol_listen)->host << ":" << app.atol_port()
                  << (config->compat.atol_require_auth ? "   (HTTP Basic, password = a token)" : "   (no auth needed)")
                  << std::endl;
    std::cout << "  data:   " << config->ledger.data_dir.string() << "/kassa.sqlite" << std::endl;
    std::cout << "  stop:   Ctrl-C" << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    kassa::log::get("app")->info("signal {} received, stopping", sig);
    app.stop();
    return 0;
}
