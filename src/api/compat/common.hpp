// What the KKMServer and ATOL Web-server adapters share: exact numbers from peers' JSON, a lenient
// field reader over a body whose numbers were kept as text, register choice and HTTP Basic auth.
// Include only from src/api/compat .cpp files: it brings Boost.JSON.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/http.hpp"
#include "api/router.hpp"
#include "common/result.hpp"
#include "drivers/device.hpp"
#include "fiscal/money.hpp"
#include "fiscal/quantity.hpp"

namespace kassa::drivers {
class RegisterWorker;
}

namespace kassa::api {
class Service;
}

namespace kassa::api::compat {

namespace json = boost::json;

// A decimal number of rubles as peers send it ("5000", "50.5", "0.01", "-1.20") → kopecks, exactly:
// no floating point. More than two decimals are refused unless the extra ones are zeros
// ("1.230" is 123 kopecks, "1.234" is invalid_money); exponents and blanks are refused.
Result<fiscal::Kopecks> parse_rubles(std::string_view text);

// Rewrites a JSON text so that every number is a string with the number's exact text
// ({"a": 1.10} → {"a": "1.10"}): Boost.JSON would read 1.10 as a double. Strings are left as they
// are; a text that is not JSON stays invalid (the parser reports it).
std::string quote_json_numbers(std::string_view json);

// The body as an object with its numbers as text; 400 invalid_json otherwise.
json::object parse_quoted(std::string_view body);

// ---- reading a quoted body ---------------------------------------------------------------------

// Fields of a peer's command. Numbers arrive as their exact text (quote_json_numbers); unknown
// fields are ignored, as the peers have many optional ones Kassa has no use for.
class Fields {
  public:
    Fields(const json::object& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

    std::string field(std::string_view name) const {
        return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
    }
    const json::value* find(std::string_view name) const {
        auto it = obj_.find(name);
        return it == obj_.end() || it->value().is_null() ? nullptr : &it->value();
    }
    std::string string(std::string_view name, std::size_t max = 256) const {
        const auto* v = find(name);
        if (!v) return {};
        if (!v->is_string()) throw ApiError(400, "invalid_field", field(name) + " must be a string", field(name));
        std::string s(v->as_string());
        if (s.size() > max) throw ApiError(400, "invalid_field", field(name) + " is too long", field(name));
        return s;
    }
    // A number (sent as a number or a string of digits).
    std::int64_t integer(std::string_view name, std::int64_t lo, std::int64_t hi, std::int64_t fallback) const {
        const auto* v = find(name);
        if (!v) return fallback;
        const std::string text = v->is_string() ? std::string(v->as_string()) : std::string{};
        if (text.empty() && v->is_string()) return fallback;  // KKMServer's clients send "" for "not set"
        std::int64_t out = 0;
        std::size_t used = 0;
        try {
            out = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (text.empty() || used != text.size() || out < lo || out > hi)
            throw ApiError(400, "invalid_field",
                           field(name) + " must be a whole number " + std::to_string(lo) + ".." + std::to_string(hi),
                           field(name));
        return out;
    }
    fiscal::Kopecks money(std::string_view name, bool required = false) const {
        const auto* v = find(name);
        if (!v) {
            if (required) throw ApiError(400, "missing_field", field(name) + " is required", field(name));
            return fiscal::Kopecks{0};
        }
        auto parsed = parse_rubles(v->is_string() ? std::string_view(v->as_string()) : std::string_view{});
        if (!parsed) throw ApiError(400, parsed.error().code, field(name) + ": " + parsed.error().message, field(name));
        if (parsed->is_negative())
            throw ApiError(400, "invalid_money", field(name) + " must not be negative", field(name));
        return *parsed;
    }
    // A quantity (1023), exactly as sent; 400 invalid_field otherwise.
    fiscal::Quantity quantity(std::string_view name) const;
    // "2026-11-30" or ATOL's "2026.11.30", a time after it ignored → that day's 00:00 UTC as
    // UnixTime (1178); 400 invalid_field otherwise.
    std::int64_t day(std::string_view name) const;
    bool boolean(std::string_view name, bool fallback) const {
        const auto* v = find(name);
        if (!v) return fallback;
        if (!v->is_bool()) throw ApiError(400, "invalid_field", field(name) + " must be true or false", field(name));
        return v->as_bool();
    }

  private:
    const json::object& obj_;
    std::string path_;
};

// The register a command addresses: the `index`-th (1-based) of the registers the caller reaches,
// of legal entity `inn` when given; index 0: the first of them. nullptr when there is none.
drivers::RegisterWorker* register_of(Service& service, const HttpRequest& req, const std::string& inn, int index);

// A device command that reads the register's status into `into` (after the command it follows).
std::function<drivers::DeviceStatusResult(drivers::FiscalDevice&)> status_reader(
    std::shared_ptr<drivers::DeviceStatus> into);

// HTTP Basic on a compat router: the password is a Kassa token (the user name is free). Routes'
// roles apply as with install_auth (admin passes every check). With `required` false a request
// without an Authorization header is let through as `anonymous` (ATOL's optional auth).
void install_basic_auth(Router& router, const TokenStore& tokens, bool required = true, Principal anonymous = {});

}  // namespace kassa::api::compat
