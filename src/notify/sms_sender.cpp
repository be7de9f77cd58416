#include "notify/sms_sender.hpp"

#include "common/uri.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/log.hpp"
#include "notify/curl_util.hpp"

namespace kassa::notify {
namespace {

std::size_t discard_body(char*, std::size_t size, std::size_t nmemb, void*) { return size * nmemb; }

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string form_encode(std::string_view bytes) {
    // x-www-form-urlencoded: like url_encode, but space as '+'.
    std::string out;
    for (char c : bytes) {
        if (c == ' ') {
            out += '+';
        } else {
            out += url_encode(std::string_view(&c, 1));
        }
    }
    return out;
}

std::string escape(std::string_view value, BodyEncoding encoding) {
    switch (encoding) {
        case BodyEncoding::kJson:
            return json_escape(value);
        case BodyEncoding::kForm:
            return form_encode(value);
        case BodyEncoding::kRaw:
            return std::string(value);
    }
    return std::string(value);
}

std::string_view default_content_type(BodyEncoding encoding) {
    switch (encoding) {
        case BodyEncoding::kJson:
            return "application/json; charset=utf-8";
        case BodyEncoding::kForm:
            return "application/x-www-form-urlencoded";
        case BodyEncoding::kRaw:
            return "text/plain; charset=utf-8";
    }
    return "text/plain; charset=utf-8";
}

// Replaces {phone}, {text} and {link}; every other character, braces included, is copied.
template <class Escape>
std::string expand(std::string_view tmpl, std::string_view phone, std::string_view text, std::string_view link,
                   Escape&& escape_value) {
    static constexpr std::string_view kPhone = "{phone}", kText = "{text}", kLink = "{link}";
    std::string out;
    std::size_t i = 0;
    while (i < tmpl.size()) {
        const std::string_view rest = tmpl.substr(i);
        if (rest.starts_with(kPhone)) {
            out += escape_value(phone);
            i += kPhone.size();
        } else if (rest.starts_with(kText)) {
            out += escape_value(text);
            i += kText.size();
        } else if (rest.starts_with(kLink)) {
            out += escape_value(link);
            i += kLink.size();
        } else {
            out += tmpl[i++];
        }
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
                    out += buffer;
                } else {
                    out += c;  // UTF-8 passes through: JSON text is UTF-8
                }
        }
    }
    return out;
}

std::string expand_template(std::string_view tmpl, std::string_view phone, std::string_view text, std::string_view link,
                            BodyEncoding encoding) {
    return expand(tmpl, phone, text, link, [encoding](std::string_view v) { return escape(v, encoding); });
}

bool is_valid_phone(std::string_view phone) {
    if (phone.size() < 9 || phone.size() > 16 || phone[0] != '+') return false;
    return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status validate_sms_config(const SmsGatewayConfig& c) {
    if (!c.url.starts_with("http://") && !c.url.starts_with("https://")) {
        return fail("sms_config_invalid", "the SMS gateway URL must start with http:// or https://");
    }
    if (c.method != "GET" && c.method != "POST" && c.method != "PUT") {
        return fail("sms_config_invalid", "the SMS gateway method must be GET, POST or PUT");
    }
    if (c.method == "GET" && !c.body_template.empty()) {
        return fail("sms_config_invalid", "a GET request to the SMS gateway has no body");
    }
    for (const auto& [name, value] : c.headers) {
        if (name.empty() || name.find(':') != std::string::npos || has_line_break(name) || has_line_break(value)) {
            return fail("sms_config_invalid", "SMS gateway header names and values must be single-line");
        }
    }
    if (c.connect_timeout.count() <= 0 || c.timeout.count() <= 0) {
        return fail("sms_config_invalid", "SMS gateway timeouts must be positive");
    }
    return ok();
}

SmsSender::SmsSender(SmsGatewayConfig config) : config_(std::move(config)) { detail::ensure_curl_initialised(); }

SendResult SmsSender::send(const Notification& n) {
    auto log = log::get("notify");
    if (n.kind != Channel::kSms) return permanent_failure("wrong_channel", "the SMS sender sends SMS only");
    if (auto st = validate_sms_config(config_); !st) return permanent_failure(st.error().code, st.error().message);
    if (!is_valid_phone(n.to))
        return permanent_failure("invalid_phone", "the recipient is not a phone in +7XXXXXXXXXX form");

    // In the URL every value is percent-encoded (a space as %20, never the form encoding's '+').
    const std::string url = expand(config_.url, n.to, n.text, n.link, url_encode);
    const std::string body = expand_template(config_.body_template, n.to, n.text, n.link, config_.body_encoding);

    detail::EasyHandle curl(curl_easy_init());
    if (!curl) return retryable_failure("sms_gateway_unavailable", "curl_easy_init failed");
    CURL* h = curl.get();
    detail::Slist headers;
    bool has_content_type = false;
    for (const auto& [name, value] : config_.headers) {
        has_content_type = has_content_type || iequals(name, "Content-Type");
        if (!detail::slist_append(headers, name + ": " + value)) {
            return retryable_failure("sms_gateway_unavailable", "out of memory");
        }
    }
    if (!config_.body_template.empty() && !has_content_type) {
        detail::slist_append(headers, "Content-Type: " + std::string(default_content_type(config_.body_encoding)));
    }
    // No "Expect: 100-continue" round trip: many small gateways do not answer it.
    detail::slist_append(headers, "Expect:");

    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (config_.method == "GET") {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        if (config_.method == "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    }
    if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, config_.verify_peer ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config_.verify_peer ? 2L : 0L);

    const CURLcode rc = curl_easy_perform(h);
    const std::string to_masked = log::mask_phone(n.to);
    if (rc != CURLE_OK) {
        // The URL may carry the phone; curl's messages name only the host.
        const std::string detail =
            std::string(curl_easy_strerror(rc)) + (error_buffer[0] ? std::string(": ") + error_buffer : "");
        log->warn("SMS for {} not sent: {}", to_masked, detail);
        if (!detail::is_transient(rc)) return permanent_failure("sms_config_invalid", detail);
        return retryable_failure("sms_gateway_unavailable", detail);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        log->info("SMS for {} accepted by the gateway (HTTP {})", to_masked, status);
        return {};
    }
    const std::string detail = "the SMS gateway answered HTTP " + std::to_string(status);
    log->warn("SMS for {} not sent: {}", to_masked, detail);
    if (status >= 500 || status == 408 || status == 425 || status == 429) {
        return retryable_failure("sms_gateway_error", detail);
    }
    return permanent_failure("sms_rejected", detail);
}

}  // namespace kassa::notify
