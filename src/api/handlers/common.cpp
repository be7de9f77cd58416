#include "api/handlers/common.hpp"

#include <spdlog/logger.h>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/service.hpp"
#include "common/log.hpp"

namespace kassa::api {

namespace {

// The ledger's own codes; anything else a LedgerError carries came from the planner.
bool is_ledger_code(const std::string& code) {
    namespace e = ledger::errc;
    for (const char* c :
         {e::kNotFound, e::kIllegalTransition, e::kIdempotencyConflict, e::kInvalidArgument, e::kUnknownOrder,
          e::kUnknownRegister, e::kOrderClosed, e::kDuplicatePayment, e::kSchemaTooNew, e::kStorage, e::kClosed})
        if (code == c) return true;
    return false;
}

// Planner codes that are the caller's mistake about what exists or when, not about sums.
int planner_status(const std::string& code) {
    if (code == "unknown_order" || code == "unknown_sku") return 404;
    if (code == "order_not_open" || code == "order_not_delivered" || code == "busy" || code == "entity_changed")
        return 409;
    return 422;
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
    if (code == ledger::errc::kNotFound) return error_response(404, code, e.what());
    if (code == ledger::errc::kIdempotencyConflict)
        return error_response(409, code, "this Idempotency-Key was used with a different request");
    if (code == ledger::errc::kOrderClosed) return error_response(409, code, e.what());
    if (code == ledger::errc::kUnknownOrder) return error_response(404, code, e.what());
    if (code == ledger::errc::kInvalidArgument) return error_response(422, code, e.what());
    if (code == ledger::errc::kDuplicatePayment) return error_response(409, code, e.what());
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

bool may_see(const Principal& who, const ledger::ReceiptRecord& r) {
    return who.role != Role::Courier || r.created_by == who.name;
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
    if (!r || !may_see(principal_of(req), *r)) throw ApiError(404, "not_found", "no receipt " + std::to_string(id));
    return *r;
}

}  // namespace kassa::api
