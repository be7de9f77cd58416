// The office's register operations over the API: cash in / out (внесение / выемка) and a copy of a
// receipt, each at most once per Idempotency-Key (api/operations.hpp).
#pragma once

#include "api/router.hpp"

namespace kassa::api {

class Service;

void add_office_routes(Router& router, Service& service);

}  // namespace kassa::api
