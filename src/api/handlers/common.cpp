#include "api/handlers/common.hpp"

#include <spdlog/logger.h>

#include <ctime>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/service.hpp"
#include "common/log.hpp"

namespace kassa::api {

namespace {

// The ledger's own codes; anything else a LedgerError carries came from the planner.
bool is_ledger_code(const std::string& code) {
    namespace e = ledger::errc;
    for (const char* c : {e::kNotFound, e::kIllegalTransition, e::kIdempotencyConflict, e::kInvalidArgument,
                          e::kUnknownOrder, e::kUnknownRegister, e::kOrderClosed, e::kOrderHasReceipts, e::kOrderBusy,
                          e::kBelowPrepaid, e::kDuplicatePayment, e::kSchemaTooNew, e::kStorage, e::kClosed,
                          e::kNothingToHandOver, e::kHandoverExceedsCash, e::kHandoverNotPending, e::kLateNotListed})
        if (code == c) return true;
    return false;
}

}  // namespace

HttpResponse ledger_error(const ledger::LedgerError& e) {
    const std::string& code = e.code();
    if (!is_ledger_code(code)) {
        auto res = error_response(planner_status(code), code, e.what());
        // Receipts of the same orders or customer are still being printed: not our fault, not a
        // queue either; the caller tries again shortly (DESIGN.md §1: nothing waits for a device).
        if (code == "busy") res.headers["Retry-After"] = "1";
        return res;
    }
    if (const int status = status_for(code); status < 500) {
        if (code == ledger::errc::kIdempotencyConflict)
            return error_response(status, code, "this Idempotency-Key was used with a different request");
        return error_response(status, code, e.what());
    }
    log::get("api")->error("ledger: {}", e.what());
    return error_response(500, "ledger_error", "the ledger failed; the request was not applied");
}

HttpResponse error_from(std::exception_ptr error) {
    try {
        return guarded([&]() -> HttpResponse { std::rethrow_exception(error); });
    } catch (const std::exception& e) {
        log::get("api")->error("request failed: {}", e.what());
        return error_response(500, "internal_error", "the server failed to handle the request");
    }
}

Scope scope_of(Service& service, const HttpRequest& req) {
    std::vector<std::string> registers;
    for (auto* w : service.pool().workers()) registers.push_back(w->register_id());
    auto& pool = service.pool();
    return Scope(principal_of(req), registers, [&pool](const std::string& id) { return pool.entity_of(id); });
}

ledger::ReceiptId receipt_id_of(const HttpRequest& req) {
    const auto& text = req.params.at("id");
    try {
        std::size_t used = 0;
        const auto id = std::stoll(text, &used);
        if (used == text.size() && id > 0) return id;
    } catch (const std::exception&) {
    }
    throw ApiError(404, "not_found", "no receipt " + text);
}

ledger::ReceiptRecord visible_receipt(Service& service, const HttpRequest& req, ledger::ReceiptId id) {
    auto r = service.ledger().receipt(id);
    if (!r || !scope_of(service, req).receipt(*r)) throw ApiError(404, "not_found", "no receipt " + std::to_string(id));
    return *r;
}

ledger::OrderView visible_order(Service& service, const HttpRequest& req, const std::string& id) {
    auto view = [&] {
        try {
            return service.ledger().order_view(id);
        } catch (const ledger::LedgerError& e) {
            if (e.code() != ledger::errc::kNotFound) throw;
            throw ApiError(404, "not_found", "order '" + id + "' is not known");
        }
    }();
    if (!scope_of(service, req).order(view.facts.order))
        throw ApiError(404, "not_found", "order '" + id + "' is not known");
    return view;
}

}  // namespace kassa::api
