#include "notify/smtp_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/log.hpp"
#include "notify/curl_util.hpp"
#include "notify/mime.hpp"

namespace kassa::notify {
namespace {

struct Upload {
    const std::string* data = nullptr;
    std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t nitems, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t room = size * nitems;
    const std::size_t n = std::min(room, upload->data->size() - upload->offset);
    std::memcpy(buffer, upload->data->data() + upload->offset, n);
    upload->offset += n;
    return n;
}

bool is_valid_id(std::string_view id) {
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_';
    });
}

std::string message_id(const Notification& n, const std::string& from, const Clock& clock) {
    const std::string domain = from.substr(from.find('@') + 1);
    if (!n.id.empty()) return "kassa." + n.id + "@" + domain;
    // No outbox id: unique within this process and across restarts (wall time in ns).
    static std::atomic<std::uint64_t> counter{0};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch()).count();
    return "kassa." + std::to_string(ns) + "." + std::to_string(counter++) + "@" + domain;
}

}  // namespace

Status validate_smtp_config(const SmtpConfig& c) {
    const bool smtp = c.url.starts_with("smtp://");
    const bool smtps = c.url.starts_with("smtps://");
    if (!smtp && !smtps) return fail("smtp_config_invalid", "the SMTP URL must start with smtp:// or smtps://");
    if (c.starttls && smtps) {
        return fail("smtp_config_invalid", "STARTTLS applies to smtp:// only; smtps:// is TLS from the start");
    }
    if (!is_valid_email(c.from)) return fail("smtp_config_invalid", "the sender address is not a valid e-mail address");
    if (c.connect_timeout.count() <= 0 || c.timeout.count() <= 0) {
        return fail("smtp_config_invalid", "SMTP timeouts must be positive");
    }
    if (c.password.empty() != c.username.empty()) {
        return fail("smtp_config_invalid", "SMTP username and password go together");
    }
    return ok();
}

SmtpSender::SmtpSender(SmtpConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
    detail::ensure_curl_initialised();
}

SendResult SmtpSender::send(const Notification& n) {
    auto log = log::get("notify");
    if (n.kind != Channel::kEmail) return permanent_failure("wrong_channel", "the SMTP sender sends e-mail only");
    if (auto st = validate_smtp_config(config_); !st) return permanent_failure(st.error().code, st.error().message);
    if (!is_valid_email(n.to)) return permanent_failure("invalid_email", "the recipient is not a valid e-mail address");
    if (!is_valid_id(n.id)) return permanent_failure("invalid_notification", "the notification id has bad characters");

    MailContent mail{.from = config_.from,
                     .from_name = config_.from_name,
                     .to = n.to,
                     .subject = n.subject,
                     .text = n.text,
                     .link = n.link,
                     .png = n.png,
                     .message_id = message_id(n, config_.from, clock_),
                     .date = clock_.now()};
    auto message = build_mime_message(mail);
    if (!message) return permanent_failure(message.error().code, message.error().message);

    detail::EasyHandle curl(curl_easy_init());
    if (!curl) return retryable_failure("smtp_unavailable", "curl_easy_init failed");
    CURL* h = curl.get();
    detail::Slist recipients;
    if (!detail::slist_append(recipients, "<" + n.to + ">"))
        return retryable_failure("smtp_unavailable", "out of memory");
    Upload upload{&*message, 0};
    char error_buffer[CURL_ERROR_SIZE] = {};
    const std::string mail_from = "<" + config_.from + ">";

    curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message->size()));
    // CURLUSESSL_ALL: STARTTLS must succeed, or nothing (credentials included) is sent in clear.
    if (config_.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!config_.username.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, config_.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, config_.password.c_str());
    }
    if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, config_.verify_peer ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config_.verify_peer ? 2L : 0L);

    const CURLcode rc = curl_easy_perform(h);
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    const std::string to_masked = log::mask_email(n.to);
    if (rc == CURLE_OK) {
        log->info("e-mail {} delivered to the SMTP server for {}", mail.message_id, to_masked);
        return {};
    }
    const std::string detail = std::string(curl_easy_strerror(rc)) +
                               (error_buffer[0] ? std::string(": ") + error_buffer : "") +
                               (reply != 0 ? " (reply " + std::to_string(reply) + ")" : "");
    log->warn("e-mail {} for {} not sent: {}", mail.message_id, to_masked, detail);
    // An SMTP reply decides when there is one: 4xx = try again later, 5xx = never as it stands.
    if (reply >= 400 && reply < 500) return retryable_failure("smtp_temporary_failure", detail);
    if (reply >= 500 && reply < 600) {
        if (rc == CURLE_LOGIN_DENIED) return permanent_failure("smtp_auth_failed", detail);
        return permanent_failure("smtp_rejected", detail);
    }
    if (rc == CURLE_LOGIN_DENIED) return permanent_failure("smtp_auth_failed", detail);
    if (!detail::is_transient(rc)) return permanent_failure("smtp_config_invalid", detail);
    // A certificate the operator has to renew or trust: worth retrying, but say what it is.
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR) {
        return retryable_failure("smtp_tls_failed", detail);
    }
    return retryable_failure("smtp_unavailable", detail);
}

}  // namespace kassa::notify
