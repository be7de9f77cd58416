#include "notify/retry.hpp"

#include <gtest/gtest.h>

namespace kassa::notify {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const RetryPolicy kPolicy{.initial_delay = seconds{30}, .max_delay = minutes{10}, .multiplier = 2, .max_attempts = 8};

SendResult transient() { return retryable_failure("smtp_unavailable", "connection refused"); }
SendResult permanent() { return permanent_failure("smtp_rejected", "550 no such user"); }

TEST(RetryPolicy, DelaysDoubleUpToTheCap) {
    EXPECT_EQ(backoff_delay(kPolicy, 1), seconds{30});
    EXPECT_EQ(backoff_delay(kPolicy, 2), seconds{60});
    EXPECT_EQ(backoff_delay(kPolicy, 3), seconds{120});
    EXPECT_EQ(backoff_delay(kPolicy, 4), seconds{240});
    EXPECT_EQ(backoff_delay(kPolicy, 5), seconds{480});
    EXPECT_EQ(backoff_delay(kPolicy, 6), seconds{600});
    EXPECT_EQ(backoff_delay(kPolicy, 7), seconds{600});
}

TEST(RetryPolicy, HugeAttemptCountsDoNotOverflow) {
    const RetryPolicy policy{
        .initial_delay = seconds{1}, .max_delay = hours{24 * 365}, .multiplier = 10, .max_attempts = 1'000'000};
    EXPECT_EQ(backoff_delay(policy, 1'000'000), hours{24 * 365});
}

TEST(RetryPolicy, NextAttemptOrGiveUp) {
    ManualClock clock;
    const auto t = clock.now();
    EXPECT_EQ(next_attempt_at(kPolicy, 1, t, true), t + seconds{30});
    EXPECT_EQ(next_attempt_at(kPolicy, 7, t, true), t + seconds{600});
    EXPECT_EQ(next_attempt_at(kPolicy, 8, t, true), std::nullopt);   // all 8 attempts used
    EXPECT_EQ(next_attempt_at(kPolicy, 1, t, false), std::nullopt);  // permanent failure
}

TEST(RetryPolicy, DeliveryRetriesOnVirtualTimeUntilDelivered) {
    ManualClock clock;
    DeliveryState state;
    EXPECT_TRUE(is_due(state, clock.now()));

    state = record_attempt(state, transient(), clock.now(), kPolicy);
    EXPECT_EQ(state.status, DeliveryStatus::kPending);
    EXPECT_EQ(state.attempts, 1);
    EXPECT_EQ(state.last_error, "smtp_unavailable: connection refused");
    EXPECT_FALSE(is_due(state, clock.now()));
    clock.advance(seconds{29});
    EXPECT_FALSE(is_due(state, clock.now()));
    clock.advance(seconds{1});
    EXPECT_TRUE(is_due(state, clock.now()));

    state = record_attempt(state, transient(), clock.now(), kPolicy);
    EXPECT_EQ(*state.next_due, clock.now() + seconds{60});
    clock.advance(seconds{60});
    ASSERT_TRUE(is_due(state, clock.now()));

    state = record_attempt(state, SendResult{}, clock.now(), kPolicy);
    EXPECT_EQ(state.status, DeliveryStatus::kDelivered);
    EXPECT_EQ(state.attempts, 3);
    EXPECT_FALSE(state.next_due);
    EXPECT_TRUE(state.last_error.empty());
    EXPECT_FALSE(is_due(state, clock.now() + hours{1}));  // never sent again
}

TEST(RetryPolicy, GivesUpAfterMaxAttempts) {
    ManualClock clock;
    DeliveryState state;
    for (int i = 0; i < kPolicy.max_attempts; ++i) {
        ASSERT_EQ(state.status, DeliveryStatus::kPending) << i;
        ASSERT_TRUE(is_due(state, clock.now()));
        state = record_attempt(state, transient(), clock.now(), kPolicy);
        if (state.next_due) clock.set(*state.next_due);
    }
    EXPECT_EQ(state.status, DeliveryStatus::kFailed);
    EXPECT_EQ(state.attempts, 8);
    EXPECT_FALSE(state.next_due);
    EXPECT_FALSE(is_due(state, clock.now() + hours{24}));
}

TEST(RetryPolicy, PermanentFailureFailsAtOnce) {
    ManualClock clock;
    auto state = record_attempt({}, permanent(), clock.now(), kPolicy);
    EXPECT_EQ(state.status, DeliveryStatus::kFailed);
    EXPECT_EQ(state.attempts, 1);
    EXPECT_EQ(state.last_error, "smtp_rejected: 550 no such user");
}

TEST(RetryPolicy, ResendStartsAFreshBudget) {
    ManualClock clock;
    auto failed = record_attempt({}, permanent(), clock.now(), kPolicy);
    ASSERT_EQ(failed.status, DeliveryStatus::kFailed);
    auto again = resend(failed);
    EXPECT_EQ(again.status, DeliveryStatus::kPending);
    EXPECT_EQ(again.attempts, 0);
    EXPECT_TRUE(is_due(again, clock.now()));
    EXPECT_EQ(again.last_error, failed.last_error);
    again = record_attempt(again, SendResult{}, clock.now(), kPolicy);
    EXPECT_EQ(again.status, DeliveryStatus::kDelivered);
}

}  // namespace
}  // namespace kassa::notify
