// SMS delivery through a configurable HTTP gateway with libcurl.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "notify/notification.hpp"

namespace kassa::notify {

// How {phone}, {text} and {link} are escaped when substituted into the body template.
// In the URL they are always percent-encoded.
enum class BodyEncoding {
    kJson,  // JSON string content (the template supplies the quotes): "{\"to\":\"{phone}\"}"
    kForm,  // application/x-www-form-urlencoded values: "to={phone}&msg={text}"
    kRaw,   // as they are
};

struct SmsGatewayConfig {
    std::string url{};            // http:// or https://; may contain {phone} {text} {link}
    std::string method = "POST";  // GET, POST or PUT
    // Sent as they are (e.g. {"Authorization", "Bearer …"}). Without a Content-Type header one
    // matching body_encoding is added when there is a body.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body_template{};  // empty = no body
    BodyEncoding body_encoding = BodyEncoding::kJson;
    std::string ca_file{};
    bool verify_peer = true;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};
};

// Errors: "sms_config_invalid".
Status validate_sms_config(const SmsGatewayConfig& config);

// Replaces every {phone}, {text} and {link} in `tmpl`, escaping each value with `escape`.
// Other braces (JSON) are left alone.
std::string expand_template(std::string_view tmpl, std::string_view phone, std::string_view text, std::string_view link,
                            BodyEncoding escape);

std::string json_escape(std::string_view utf8);  // string content without the quotes

// Phone in E.164: '+' and 8..15 digits (tag 1008 uses "+7XXXXXXXXXX").
bool is_valid_phone(std::string_view phone);

// Sends Notification{kind = kSms}: {phone} = to, {text} = text, {link} = link.
// A 2xx answer is success. Failure codes: retryable "sms_gateway_unavailable" (connect, DNS,
// timeout, TLS), "sms_gateway_error" (5xx, 408, 425, 429); permanent "sms_rejected" (other 4xx,
// 3xx: redirects are not followed), "invalid_phone", "sms_config_invalid", "wrong_channel".
class SmsSender final : public Sender {
  public:
    explicit SmsSender(SmsGatewayConfig config);
    SendResult send(const Notification& notification) override;

  private:
    SmsGatewayConfig config_;
};

}  // namespace kassa::notify
