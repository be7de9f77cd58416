// GET /v1/openapi.json: open (no token); serves the OpenAPI 3.1 document of every route, written by
// hand in src/api/openapi.json and embedded at build time. tests/unit/api/openapi_test.cpp walks
// the router so the document and the routes cannot drift.
#pragma once

#include <string_view>

#include "api/router.hpp"

namespace kassa::api {

// The document's bytes, exactly as in src/api/openapi.json (static storage).
std::string_view openapi_document();

void add_openapi_route(Router& router);

}  // namespace kassa::api
