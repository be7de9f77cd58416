// The web pages (office dashboard, courier page) built by web/ and served from a directory:
//   GET /                  → 302 to /office/
//   GET /office, /courier  → <root>/office/index.html, <root>/courier/index.html (Cache-Control: no-cache)
//   GET /office/{file}, /courier/{file}  → files beside each page (no-cache: their names are not hashed)
//   GET /assets/{file}     → the bundles, content-hashed by the build (immutable for a year)
// All open (no token): the pages carry no data; every call they make needs the bearer token.
// Names are matched against [A-Za-z0-9._-] with no leading dot, and the file must resolve inside
// the root, so no request reaches a file outside it. A missing root answers 404 `web_not_built`.
#pragma once

#include <filesystem>
#include <string_view>

#include "api/router.hpp"

namespace kassa::api {

void add_static_routes(Router& router, std::filesystem::path web_root);

// The Content-Type for a file name by its extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view file_name);

}  // namespace kassa::api
