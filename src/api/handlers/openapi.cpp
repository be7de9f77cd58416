#include "api/handlers/openapi.hpp"

namespace kassa::api {

void add_openapi_route(Router& router) {
    router.add(
        "GET", "/v1/openapi.json", "The OpenAPI 3.1 document of every route",
        [](HttpRequest&) {
            HttpResponse res;
            res.content_type = "application/json";
            res.body = std::string(openapi_document());
            return res;
        },
        /*open=*/true);
}

}  // namespace kassa::api
