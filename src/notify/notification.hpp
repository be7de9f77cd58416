// What the outbox hands to a sender, and what a sender answers. A sender makes one delivery
// attempt; retrying is the outbox's decision (retry.hpp computes when).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kassa::notify {

enum class Channel { kEmail, kSms };

// The channel for a buyer contact (tag 1008, already validated as a phone or an e-mail): an
// address with '@' is e-mail, anything else a phone.
inline Channel channel_for(std::string_view contact) {
    return contact.find('@') != std::string_view::npos ? Channel::kEmail : Channel::kSms;
}

// How a channel is named in the ledger's outbox ("email", "sms"), and back.
inline const char* outbox_kind(Channel channel) { return channel == Channel::kEmail ? "email" : "sms"; }
inline Channel channel_of_kind(std::string_view kind) { return kind == "email" ? Channel::kEmail : Channel::kSms; }

struct Notification {
    Channel kind = Channel::kEmail;
    std::string to{};       // e-mail address, or phone "+7XXXXXXXXXX" (E.164)
    std::string subject{};  // e-mail only; UTF-8
    std::string text{};     // UTF-8: the receipt's text (e-mail) or a short message (SMS)
    std::string png{};      // e-mail only: the check QR as PNG bytes; empty = no image
    std::string link{};     // the OFD check link; empty = none
    // Stable id of the outbox entry (e.g. "r42-email"). The e-mail's Message-ID is derived from
    // it, so a resend after a crash carries the same Message-ID. Letters, digits, '-', '.', '_'.
    std::string id{};
};

// One failed attempt. `retryable`: the same notification may succeed later (network down,
// timeout, 4xx SMTP reply, HTTP 5xx/429); otherwise it never will as it stands (bad address,
// 5xx SMTP reply, HTTP 4xx, broken configuration) and the outbox should mark it failed.
struct SendFailure {
    Error error;
    bool retryable = false;
};

using SendResult = std::expected<void, SendFailure>;

inline std::unexpected<SendFailure> retryable_failure(std::string code, std::string message) {
    return std::unexpected<SendFailure>(SendFailure{Error{std::move(code), std::move(message)}, true});
}
inline std::unexpected<SendFailure> permanent_failure(std::string code, std::string message) {
    return std::unexpected<SendFailure>(SendFailure{Error{std::move(code), std::move(message)}, false});
}

// One delivery attempt, blocking for at most the sender's configured timeouts. Implementations
// are safe to call from several threads at once (each call uses its own connection).
class Sender {
  public:
    virtual ~Sender() = default;
    virtual SendResult send(const Notification& notification) = 0;
};

// Routes by Notification::kind. A channel without a sender fails permanently with
// "channel_not_configured". Does not own the senders.
class ChannelRouter final : public Sender {
  public:
    ChannelRouter(Sender* email, Sender* sms) : email_(email), sms_(sms) {}
    SendResult send(const Notification& notification) override {
        Sender* target = notification.kind == Channel::kEmail ? email_ : sms_;
        if (target == nullptr) {
            return permanent_failure("channel_not_configured", notification.kind == Channel::kEmail
                                                                   ? "no SMTP server configured"
                                                                   : "no SMS gateway configured");
        }
        return target->send(notification);
    }

  private:
    Sender* email_;
    Sender* sms_;
};

}  // namespace kassa::notify
