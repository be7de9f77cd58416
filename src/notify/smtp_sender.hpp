// E-mail delivery over SMTP with libcurl: one connection per message.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "notify/notification.hpp"

namespace kassa::notify {

struct SmtpConfig {
    // "smtp://host:port" (plain or STARTTLS) or "smtps://host:port" (TLS from the first byte).
    std::string url{};
    // Upgrade an smtp:// connection with STARTTLS and refuse to send if the server cannot.
    bool starttls = false;
    std::string username{};  // AUTH when not empty
    std::string password{};
    std::string from{};       // sender address (envelope MAIL FROM and the From header)
    std::string from_name{};  // display name, UTF-8
    std::string ca_file{};    // PEM bundle to trust instead of the system store; empty = system
    bool verify_peer = true;  // certificate and host name checks (only ever off in tests)
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  // whole transaction
};

// Validates the configuration (URL scheme, STARTTLS only with smtp://, sender address, timeouts).
// Errors: "smtp_config_invalid".
Status validate_smtp_config(const SmtpConfig& config);

// Sends Notification{kind = kEmail}: text + link as text/plain, png as an inline image.
// Failure codes: retryable "smtp_unavailable" (connect, DNS, timeout, dropped link),
// "smtp_tls_failed" (handshake or certificate), "smtp_temporary_failure" (4xx reply); permanent "invalid_email",
// "smtp_rejected" (5xx reply), "smtp_auth_failed", "smtp_config_invalid", "wrong_channel".
class SmtpSender final : public Sender {
  public:
    // `clock` stamps the Date header; it must outlive the sender.
    SmtpSender(SmtpConfig config, const Clock& clock);
    SendResult send(const Notification& notification) override;

  private:
    SmtpConfig config_;
    const Clock& clock_;
};

}  // namespace kassa::notify
