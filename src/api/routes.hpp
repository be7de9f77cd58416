// Every route kassad serves, in one place: kassad registers exactly these, and the OpenAPI drift
// test walks exactly these, so a new group of routes cannot escape the document.
#pragma once

#include "api/handlers/health.hpp"
#include "api/router.hpp"

namespace kassa::api {

class Service;

void add_api_routes(Router& router, Service& service, HealthSource health);

}  // namespace kassa::api
