// Drop-in for KKMServer's JSON API (shared/spec/peer-apis.md b1): `POST /Execute` with the command
// in the body. Commands become Kassa's own raw receipts and register commands: receipts go through
// Service::submit (planner, ledger, durable idempotency keyed by IdCommand), never straight to a
// device. Answers carry KKMServer's fields (Status 0 Ok, 1 Run, 2 Error, 3 NotFound, 5 AlreadyDone).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "common/result.hpp"
#include "fiscal/money.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::api {
class Service;
}

namespace kassa::api::compat {

// A decimal number of rubles as peers send it ("5000", "50.5", "0.01", "-1.20") → kopecks, exactly:
// no floating point. More than two decimals are refused unless the extra ones are zeros
// ("1.230" is 123 kopecks, "1.234" is invalid_money); exponents and blanks are refused.
Result<fiscal::Kopecks> parse_rubles(std::string_view text);

// Rewrites a JSON text so that every number is a string with the number's exact text
// ({"a": 1.10} → {"a": "1.10"}): Boost.JSON would read 1.10 as a double. Strings are left as they
// are; a text that is not JSON stays invalid (the parser reports it).
std::string quote_json_numbers(std::string_view json);

// What a KKMServer RegisterCheck asks for, read from the body (numbers quoted as above). Throws
// ApiError (400/422, field named) for what cannot be read; sums are checked by the planner.
struct KkmCheck {
    fiscal::Receipt receipt;  // 1021/1203/1055 empty/unset when the request names none
    bool tax_system_given = false;
    std::string inn;     // InnKkm: the legal entity ("" any)
    int num_device = 0;  // NumDevice: 1-based among the entity's registers, 0 = any
    std::string id_command;
    int timeout_s = 60;  // Timeout; 1 = answer at once (asynchronous)
};
KkmCheck read_register_check(std::string_view quoted_body);

// `POST /Execute` for cashiers and admins.
void add_kkm_routes(Router& router, Service& service);

// HTTP Basic on a compat router: the password is a Kassa token (the user name is free). Routes'
// roles apply as with install_auth (admin passes every check).
void install_basic_auth(Router& router, const TokenStore& tokens);

}  // namespace kassa::api::compat
