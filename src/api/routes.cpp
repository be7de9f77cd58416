#include "api/routes.hpp"

#include "api/handlers/business.hpp"
#include "api/handlers/openapi.hpp"
#include "api/handlers/qr.hpp"
#include "api/handlers/static_files.hpp"

namespace kassa::api {

void add_api_routes(Router& router, Service& service, HealthSource health, std::filesystem::path web_root) {
    add_health_routes(router, std::move(health));
    add_business_routes(router, service);
    add_qr_routes(router, service);
    add_openapi_route(router);
    add_static_routes(router, std::move(web_root));
}

}  // namespace kassa::api
