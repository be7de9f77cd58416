// The composition root of kassad: builds every module from the Config and owns their lifetimes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "app/config.hpp"
#include "common/result.hpp"

namespace kassa::app {

class App {
  public:
    explicit App(Config config);
    ~App();

    // Opens the data dir, starts the registers and the HTTP listener.
    Status start();
    std::uint16_t port() const;
    // The KKMServer-compatible listener's port ([compat] kkmserver_listen), 0 when it is off.
    std::uint16_t kkm_port() const;
    // The ATOL Web-server-compatible listener's port ([compat] atol_listen), 0 when it is off.
    std::uint16_t atol_port() const;
    // Where the first-start admin token is kept, when the config lists no tokens.
    std::optional<std::filesystem::path> admin_token_path() const;
    // Graceful stop: stop accepting, finish requests in flight, drain device workers.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kassa::app
