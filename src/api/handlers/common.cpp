#include "api/handlers/common.hpp"

#include <spdlog/logger.h>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/service.hpp"
#include "common/log.hpp"

namespace kassa::api {

HttpResponse ledger_error(const ledger::LedgerError& e) {
    const std::string& code = e.code();
    if (code == ledger::errc::kNotFound) return error_response(404, code, e.what());
    if (code == ledger::errc::kIdempotencyConflict)
        return error_response(409, code, "this Idempotency-Key was used with a different request");
    if (code == ledger::errc::kOrderClosed) return error_response(409, code, e.what());
    if (code == ledger::errc::kUnknownOrder) return error_response(404, code, e.what());
    if (code == ledger::errc::kInvalidArgument) return error_response(422, code, e.what());
    log::get("api")->error("ledger: {}", e.what());
    return error_response(500, "ledger_error", "the ledger failed; the request was not applied");
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
