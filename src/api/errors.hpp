// The one place where errors become HTTP: JSON {code, message, details} with a stable
// machine-readable code. 4xx for the caller's mistakes, 5xx only for ours.
#pragma once

#include <string>

#include "api/http.hpp"
#include "common/result.hpp"

namespace kassa::api {

// Builds the JSON error body. `details_json` must be a JSON value (object) or empty.
HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            const std::string& details_json = {});

// Maps an Error from a lower module to its HTTP status by code (unknown codes are 500).
int status_for(const Error& error);
HttpResponse error_response(const Error& error);

}  // namespace kassa::api
