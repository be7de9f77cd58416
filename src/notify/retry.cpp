#include "notify/retry.hpp"

#include <algorithm>

namespace kassa::notify {

std::chrono::seconds backoff_delay(const RetryPolicy& policy, int failed_attempts) {
    const auto cap = std::max(policy.max_delay, std::chrono::seconds{0});
    auto delay = std::clamp(policy.initial_delay, std::chrono::seconds{0}, cap);
    const int multiplier = std::max(policy.multiplier, 1);
    // Multiply step by step and stop at the cap, so a large attempt count cannot overflow.
    for (int i = 1; i < failed_attempts && delay < cap; ++i) {
        delay = delay.count() > cap.count() / multiplier ? cap : delay * multiplier;
    }
    return std::min(delay, cap);
}

std::optional<Clock::time_point> next_attempt_at(const RetryPolicy& policy, int attempts_made,
                                                 Clock::time_point last_attempt, bool retryable) {
    if (!retryable || attempts_made >= policy.max_attempts) return std::nullopt;
    return last_attempt + backoff_delay(policy, std::max(attempts_made, 1));
}

bool is_due(const DeliveryState& state, Clock::time_point now) {
    return state.status == DeliveryStatus::kPending && (!state.next_due || *state.next_due <= now);
}

DeliveryState record_attempt(DeliveryState state, const SendResult& result, Clock::time_point now,
                             const RetryPolicy& policy) {
    state.attempts += 1;
    state.last_attempt = now;
    if (result) {
        state.status = DeliveryStatus::kDelivered;
        state.next_due.reset();
        state.last_error.clear();
        return state;
    }
    state.last_error = result.error().error.code + ": " + result.error().error.message;
    state.next_due = next_attempt_at(policy, state.attempts, now, result.error().retryable);
    state.status = state.next_due ? DeliveryStatus::kPending : DeliveryStatus::kFailed;
    return state;
}

DeliveryState resend(DeliveryState state) {
    state.status = DeliveryStatus::kPending;
    state.attempts = 0;
    state.next_due.reset();
    return state;
}

}  // namespace kassa::notify
