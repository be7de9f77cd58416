// Tokens issued by Kassa (POST/GET /v1/tokens, DELETE /v1/tokens/{id}) and the live events for the
// pages (GET /v1/events, server-sent events).
#pragma once

#include "api/router.hpp"

namespace kassa::api {

class Service;
class TokenStore;

// `tls`: the service is served over HTTPS (the login link's scheme when the caller names no base).
void add_token_routes(Router& router, Service& service, TokenStore& tokens, bool tls);
void add_event_routes(Router& router, Service& service);

}  // namespace kassa::api
