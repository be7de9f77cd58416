// What every handler file shares: turning the caller's mistakes and ledger faults into JSON errors,
// and who may see which receipt.
#pragma once

#include <exception>

#include "api/http.hpp"
#include "api/json_io.hpp"
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

// The answer for an error handed over as an exception_ptr (deferred handlers); other exceptions
// are rethrown.
HttpResponse error_from(std::exception_ptr error);

// Couriers see only the receipts their own token made.
bool may_see(const Principal& who, const ledger::ReceiptRecord& r);

// The {id} of a receipt route; 404 when it is not a number.
ledger::ReceiptId receipt_id_of(const HttpRequest& req);

// The receipt if it exists and the caller may see it; 404 (not 403) otherwise, so a courier cannot
// learn which receipts exist.
ledger::ReceiptRecord visible_receipt(Service& service, const HttpRequest& req, ledger::ReceiptId id);

}  // namespace kassa::api
