// The one place where errors become HTTP: JSON {code, message, details} with a stable
// machine-readable code. 4xx for the caller's mistakes, 5xx only for ours. Handlers throw ApiError
// (or let a LedgerError through); the status of a lower module's code comes from ONE table here.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "common/result.hpp"

namespace kassa::api {

// A caller's mistake found while handling a request; becomes {code, message, details:{field}}.
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, std::string code, std::string message, std::string field = {})
        : std::runtime_error(message), status_(status), code_(std::move(code)), field_(std::move(field)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }
    const std::string& field() const { return field_; }
    HttpResponse response() const;

  private:
    int status_;
    std::string code_;
    std::string field_;
};

// Builds the JSON error body. `details_json` must be a JSON value (object) or empty.
HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            const std::string& details_json = {});

// The HTTP status of a stable code from a lower module (ledger, worker pool, auth) or of the API's
// own generic codes; unknown codes are ours: 500.
int status_for(std::string_view code);
int status_for(const Error& error);
// The status of a planner refusal (fiscal::plan_event's codes): the caller's mistake about what
// exists (404) or when (409), else about sums (422). From the same table.
int planner_status(std::string_view code);
HttpResponse error_response(const Error& error);

// Throws the ApiError for a lower module's error (its status from status_for).
[[noreturn]] void throw_api_error(const Error& error, std::string field = {});

}  // namespace kassa::api
