#include "api/routes.hpp"

#include "api/handlers/admin.hpp"
#include "api/handlers/business.hpp"
#include "api/handlers/couriers.hpp"
#include "api/handlers/office.hpp"
#include "api/handlers/openapi.hpp"
#include "api/handlers/qr.hpp"
#include "api/handlers/static_files.hpp"
#include "api/handlers/tokens.hpp"

namespace kassa::api {

void add_api_routes(Router& router, Service& service, TokenStore& tokens, HealthSource health,
                    std::filesystem::path web_root, MetricsSource metrics, std::filesystem::path backup_dir, bool tls) {
    add_health_routes(router, std::move(health));
    add_business_routes(router, service);
    add_office_routes(router, service);
    add_courier_routes(router, service);
    add_qr_routes(router, service);
    const auto* clock = metrics.clock;
    add_metrics_routes(router, service, std::move(metrics));
    add_admin_routes(router, service, std::move(backup_dir), clock);
    add_token_routes(router, service, tokens, tls);
    add_event_routes(router, service);
    add_openapi_route(router);
    add_static_routes(router, std::move(web_root));
}

}  // namespace kassa::api
