#include "common/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace kassa::log {
namespace {

TEST(LogMasking, PhoneKeepsCountryPrefixAndLastTwoDigits) {
    EXPECT_EQ(mask_phone("+79001234522"), "+7*******22");
    EXPECT_EQ(mask_phone("89001234522"), "8*******22");
}

TEST(LogMasking, MaskHidesThePhoneLength) {
    EXPECT_EQ(mask_phone("+7900123452211"), "+7*******11");
    EXPECT_EQ(mask_phone("+7123"), "*******");
    EXPECT_EQ(mask_phone(""), "*******");
}

TEST(LogMasking, EmailKeepsFirstLetterAndDomain) {
    EXPECT_EQ(mask_email("ivan@example.com"), "i***@example.com");
    EXPECT_EQ(mask_email("i@example.com"), "i***@example.com");
}

TEST(LogMasking, EmailWithoutLocalPartOrAtIsHidden) {
    EXPECT_EQ(mask_email("@example.com"), "***");
    EXPECT_EQ(mask_email("not-an-email"), "***");
}

TEST(LogMasking, ContactPicksTheRightMask) {
    EXPECT_EQ(mask_contact("+79001234522"), "+7*******22");
    EXPECT_EQ(mask_contact("ivan@example.com"), "i***@example.com");
    EXPECT_EQ(mask_contact("call me maybe"), "***");
}

TEST(LogMasking, MaskedPhoneNeverContainsTheMiddleDigits) {
    const std::string phone = "+79161234567";
    const std::string masked = mask_phone(phone);
    EXPECT_EQ(masked.find("912345"), std::string::npos);
}

TEST(Log, NamedLoggerIsSharedAndFollowsLevel) {
    auto a = get("unit.test");
    auto b = get("unit.test");
    EXPECT_EQ(a.get(), b.get());
    set_level("warn");
    EXPECT_EQ(get("unit.test")->level(), spdlog::level::warn);
    EXPECT_EQ(get("unit.other")->level(), spdlog::level::warn);
    set_level("nonsense");
    EXPECT_EQ(get("unit.test")->level(), spdlog::level::warn);
    set_level("info");
}

TEST(Log, LevelNames) {
    EXPECT_TRUE(is_valid_level("debug"));
    EXPECT_TRUE(is_valid_level("off"));
    EXPECT_FALSE(is_valid_level("verbose"));
    EXPECT_FALSE(is_valid_level(""));
}

}  // namespace
}  // namespace kassa::log
