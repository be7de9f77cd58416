#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace kassa {
namespace {

TEST(ManualClock, MovesOnlyWhenAdvanced) {
    ManualClock clock;
    const auto wall = clock.now();
    const auto mono = clock.steady_now();
    EXPECT_EQ(clock.now(), wall);
    clock.advance(std::chrono::hours(25));
    EXPECT_EQ(clock.now() - wall, std::chrono::hours(25));
    EXPECT_EQ(clock.steady_now() - mono, std::chrono::hours(25));
}

TEST(ManualClock, SetMovesWallTimeOnly) {
    ManualClock clock;
    const auto mono = clock.steady_now();
    clock.set(Clock::time_point{std::chrono::seconds{100}});
    EXPECT_EQ(clock.now(), Clock::time_point{std::chrono::seconds{100}});
    EXPECT_EQ(clock.steady_now(), mono);
}

}  // namespace
}  // namespace kassa
