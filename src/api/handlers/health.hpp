// GET /v1/health: open (no token), answers 200 with the version, uptime and every register's state.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "common/clock.hpp"

namespace kassa::api {

struct RegisterHealth {
    std::string id;
    std::string family;
    std::string entity_inn;
    std::string state;   // idle | busy | offline | starting | ...
    std::string detail;  // human words on the state, may be empty
};

struct HealthSource {
    std::string version;
    const Clock* clock = nullptr;
    std::chrono::steady_clock::time_point started;
    std::function<std::vector<RegisterHealth>()> registers;
};

void add_health_routes(Router& router, HealthSource source);

}  // namespace kassa::api
