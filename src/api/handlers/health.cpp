#include "api/handlers/health.hpp"

#include <boost/json.hpp>

namespace kassa::api {

void add_health_routes(Router& router, HealthSource source) {
    router.add(
        "GET", "/v1/health", "Service health: version, uptime, registers",
        [source = std::move(source)](HttpRequest&) {
            boost::json::object body;
            body["status"] = "ok";
            body["version"] = source.version;
            const auto uptime = source.clock->steady_now() - source.started;
            body["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(uptime).count();
            boost::json::array registers;
            if (source.registers) {
                for (const auto& r : source.registers()) {
                    boost::json::object reg;
                    reg["id"] = r.id;
                    reg["family"] = r.family;
                    reg["entity_inn"] = r.entity_inn;
                    reg["state"] = r.state;
                    if (!r.detail.empty()) reg["detail"] = r.detail;
                    registers.push_back(std::move(reg));
                }
            }
            body["registers"] = std::move(registers);
            HttpResponse res;
            res.body = boost::json::serialize(body);
            return res;
        },
        /*open=*/true);
}

}  // namespace kassa::api
