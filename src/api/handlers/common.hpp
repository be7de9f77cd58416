// What every handler file shares: turning the caller's mistakes and ledger faults into JSON errors,
// and who may see which receipt or order.
#pragma once

#include <exception>

#include "api/authz.hpp"
#include "api/handlers/views.hpp"
#include "api/http.hpp"
#include "api/json_io.hpp"
#include "common/clock.hpp"
#include "ledger/ledger.hpp"

namespace kassa::api {

class Service;
struct Principal;

// The ledger's errors as HTTP: not_found 404, conflicts 409, the rest is ours (500, logged).
HttpResponse ledger_error(const ledger::LedgerError& e);

// Runs a handler body, turning ApiError and LedgerError into JSON error answers.
template <class F>
HttpResponse guarded(F&& body) {
    try {
        return body();
    } catch (const ApiError& e) {
        return e.response();
    } catch (const ledger::LedgerError& e) {
        return ledger_error(e);
    }
}

// The caller's reach (api/authz.hpp) over the configured registers.
Scope scope_of(Service& service, const HttpRequest& req);

// The answer for an error handed over as an exception_ptr (deferred handlers); other exceptions
// are rethrown.
HttpResponse error_from(std::exception_ptr error);

// The {id} of a receipt route; 404 when it is not a number.
ledger::ReceiptId receipt_id_of(const HttpRequest& req);

// The receipt if it exists and the caller may see it; 404 (not 403) otherwise, so a token cannot
// learn which receipts exist.
ledger::ReceiptRecord visible_receipt(Service& service, const HttpRequest& req, ledger::ReceiptId id);

// The order if it exists and its current legal entity is in the caller's reach; 404 otherwise.
ledger::OrderView visible_order(Service& service, const HttpRequest& req, const std::string& id);

}  // namespace kassa::api
