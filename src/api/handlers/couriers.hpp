// After the door (issue #14, #15): a courier's cash and its handover to the office (what the courier
// holds per legal entity, the courier's declaration, a cashier's confirmation, the dashboard's list),
// and late settlements listed for the office to confirm. Recorded in the ledger (migration 008), each
// with its audit row in the same transaction.
#pragma once

#include "api/router.hpp"

namespace kassa::api {

class Service;

void add_courier_routes(Router& router, Service& service);

}  // namespace kassa::api
