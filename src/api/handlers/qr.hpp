// QR codes over HTTP: the receipt-check QR of a confirmed receipt, and a payment QR (GOST R 56042
// bank transfer or the bank's SBP link) for what an order still owes or a given amount.
#pragma once

#include "api/router.hpp"

namespace kassa::api {

class Service;

void add_qr_routes(Router& router, Service& service);

}  // namespace kassa::api
