// The business routes of the API (orders, payments, deliveries, returns, refunds, corrections,
// raw receipts, receipts, customers, registers) over the Service.
#pragma once

#include "api/router.hpp"

namespace kassa::api {

class Service;

void add_business_routes(Router& router, Service& service);

}  // namespace kassa::api
