#include "api/errors.hpp"

#include <boost/json.hpp>
#include <map>

namespace kassa::api {

HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            const std::string& details_json) {
    boost::json::object body;
    body["code"] = code;
    body["message"] = message;
    if (!details_json.empty()) {
        boost::system::error_code ec;
        auto details = boost::json::parse(details_json, ec);
        if (!ec) body["details"] = std::move(details);
    }
    HttpResponse res;
    res.status = status;
    res.body = boost::json::serialize(body);
    return res;
}

HttpResponse ApiError::response() const {
    std::string details;
    if (!field_.empty()) details = boost::json::serialize(boost::json::object{{"field", field_}});
    return error_response(status_, code_, what(), details);
}

int status_for(std::string_view code) {
    // Codes from lower modules that are the caller's doing. Anything not listed is ours: 500.
    static const std::map<std::string, int, std::less<>> kStatus = {
        // generic
        {"bad_request", 400},
        {"invalid_json", 400},
        {"invalid_id", 400},
        {"validation_failed", 422},
        {"unauthorized", 401},
        {"forbidden", 403},
        {"not_found", 404},
        {"method_not_allowed", 405},
        {"conflict", 409},
        {"payload_too_large", 413},
        {"unsupported_media_type", 415},
        {"unavailable", 503},
        // ledger (ledger/error.hpp)
        {"idempotency_conflict", 409},
        {"order_closed", 409},
        {"order_has_receipts", 409},
        {"order_busy", 409},
        {"below_prepaid", 422},
        {"unknown_order", 404},
        {"invalid_argument", 422},
        {"duplicate_payment", 409},
        {"nothing_to_hand_over", 422},
        {"handover_exceeds_cash", 422},
        {"handover_not_pending", 409},
        {"late_not_listed", 409},
        // the register pool: no register of the entity is allowed to this caller (its bindings)
        {"no_register", 422},
        // the planner: what exists, and when
        {"unknown_sku", 404},
        {"order_not_open", 409},
        {"order_not_delivered", 409},
        {"busy", 409},
        {"entity_changed", 409},
    };
    if (auto it = kStatus.find(code); it != kStatus.end()) return it->second;
    return 500;
}

int planner_status(std::string_view code) {
    const int status = status_for(code);
    return status == 500 ? 422 : status;
}

int status_for(const Error& error) { return status_for(error.code); }

HttpResponse error_response(const Error& error) { return error_response(status_for(error), error.code, error.message); }

void throw_api_error(const Error& error, std::string field) {
    throw ApiError(status_for(error), error.code, error.message, std::move(field));
}

}  // namespace kassa::api
