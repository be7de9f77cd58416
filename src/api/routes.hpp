// Every route kassad serves, in one place: kassad registers exactly these, and the OpenAPI drift
// test walks exactly these, so a new group of routes cannot escape the document.
#pragma once

#include <filesystem>

#include "api/handlers/health.hpp"
#include "api/handlers/metrics.hpp"
#include "api/router.hpp"

namespace kassa::api {

class Service;
class TokenStore;

// tokens: what authenticates requests (issued tokens are added and revoked through it); tls: the
// service is served over HTTPS (login links).
// web_root: the built web pages (see handlers/static_files.hpp); empty or missing → 404 web_not_built.
// metrics: what GET /metrics reads besides the service (handlers/metrics.hpp); backup_dir: where
// POST /v1/admin/backup writes (handlers/admin.hpp).
void add_api_routes(Router& router, Service& service, TokenStore& tokens, HealthSource health,
                    std::filesystem::path web_root = {}, MetricsSource metrics = {},
                    std::filesystem::path backup_dir = {}, bool tls = false);

}  // namespace kassa::api
