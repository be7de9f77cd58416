// Exponential backoff for outbox deliveries. Pure: the caller passes the clock reading (from an
// injected Clock), so tests move a ManualClock instead of sleeping.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "notify/notification.hpp"

namespace kassa::notify {

struct RetryPolicy {
    // Delay before the 2nd attempt; each further delay is `multiplier` times the previous one,
    // capped at max_delay. No jitter: one Kassa instance has few recipients per gateway.
    std::chrono::seconds initial_delay{30};
    std::chrono::seconds max_delay{std::chrono::hours{1}};
    int multiplier = 2;
    // Attempts in all, the first included; after the last failed one the delivery is failed.
    int max_attempts = 10;
};

// The delay after the n-th failed attempt (n ≥ 1): initial × multiplier^(n-1), capped.
std::chrono::seconds backoff_delay(const RetryPolicy& policy, int failed_attempts);

// When to try again after `attempts_made` attempts (the last one failed at `last_attempt`), or
// nullopt to give up: the failure was permanent or the attempts are used up.
std::optional<Clock::time_point> next_attempt_at(const RetryPolicy& policy, int attempts_made,
                                                 Clock::time_point last_attempt, bool retryable);

// A delivery's state as the outbox stores it, and its transitions.
enum class DeliveryStatus { kPending, kDelivered, kFailed };

struct DeliveryState {
    DeliveryStatus status = DeliveryStatus::kPending;
    int attempts = 0;
    std::optional<Clock::time_point> last_attempt{};
    std::optional<Clock::time_point> next_due{};  // set while pending after a failed attempt
    std::string last_error{};                     // "code: message" of the last failure
};

// Whether a pending delivery may be attempted at `now`.
bool is_due(const DeliveryState& state, Clock::time_point now);

// Records one attempt made at `now` with its result: delivered, pending with next_due, or failed.
DeliveryState record_attempt(DeliveryState state, const SendResult& result, Clock::time_point now,
                             const RetryPolicy& policy);

// An operator's resend (delivered or failed): pending and due at once with a fresh attempt budget.
// The last error stays for display until the next attempt.
DeliveryState resend(DeliveryState state);

}  // namespace kassa::notify
