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

int status_for(const Error& error) {
    // Codes from lower modules that are the caller's doing. Anything not listed is ours: 500.
    static const std::map<std::string, int, std::less<>> kStatus = {
        {"bad_request", 400},
        {"invalid_json", 400},
        {"validation_failed", 422},
        {"unauthorized", 401},
        {"forbidden", 403},
        {"not_found", 404},
        {"method_not_allowed", 405},
        {"conflict", 409},
        {"idempotency_conflict", 409},
        {"payload_too_large", 413},
        {"unsupported_media_type", 415},
        {"unavailable", 503},
    };
    if (auto it = kStatus.find(error.code); it != kStatus.end()) return it->second;
    return 500;
}

HttpResponse error_response(const Error& error) { return error_response(status_for(error), error.code, error.message); }

}  // namespace kassa::api
