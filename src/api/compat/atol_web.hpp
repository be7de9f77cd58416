// Drop-in for ATOL Web-server's JSON tasks (shared/spec/peer-apis.md b2): `POST /api/v2/requests`
// queues a batch {uuid, request: [task…]}, `GET /api/v2/requests/{uuid}` reports each task's status
// (wait, inProgress, ready, error) and result (fiscalParams for receipts). Receipt tasks become raw
// receipts through Service::submit, keyed durably by (caller, uuid, task index): a batch posted again
// after its answer was lost prints nothing twice, also after a restart. Register tasks (shifts,
// reports, cash in/out, status reads) run on the register's worker; their results are kept in
// memory while the process runs.
#pragma once

#include <string_view>

#include "api/router.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::api {
class Service;
}

namespace kassa::api::compat {

// A receipt task (sell, sellReturn, buy, buyReturn and the *Correction ones) as a Kassa receipt,
// from a task object's text (numbers read exactly). Throws ApiError naming the field; checks sums
// with the same rules as the planner (a receipt the device would refuse is refused here).
fiscal::Receipt read_atol_receipt(std::string_view task_json);

// The two routes, for cashiers and admins.
void add_atol_routes(Router& router, Service& service);

}  // namespace kassa::api::compat
