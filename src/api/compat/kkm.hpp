// Drop-in for KKMServer's JSON API (shared/spec/peer-apis.md b1): `POST /Execute` with the command
// in the body. Commands become Kassa's own raw receipts and register commands: receipts go through
// Service::submit (planner, ledger, durable idempotency keyed by IdCommand), never straight to a
// device. Answers carry KKMServer's fields (Status 0 Ok, 1 Run, 2 Error, 3 NotFound, 5 AlreadyDone).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::api {
class Service;
}

namespace kassa::api::compat {

// What a KKMServer RegisterCheck asks for, read from the body as sent (its numbers are read as
// exact text, compat/common.hpp). Throws ApiError (400/422, field named) for what cannot be read;
// sums are checked by the planner.
struct KkmCheck {
    fiscal::Receipt receipt;  // 1021/1203/1055 empty/unset when the request names none
    bool tax_system_given = false;
    std::string inn;     // InnKkm: the legal entity ("" any)
    int num_device = 0;  // NumDevice: 1-based among the entity's registers, 0 = any
    std::string id_command;
    int timeout_s = 60;  // Timeout; 1 = answer at once (asynchronous)
};
KkmCheck read_register_check(std::string_view body);

// `POST /Execute` for cashiers and admins.
void add_kkm_routes(Router& router, Service& service);

}  // namespace kassa::api::compat
