#include "notify/mime.hpp"

#include <gtest/gtest.h>

namespace kassa::notify {
namespace {

TEST(Mime, Base64MatchesRfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string(57, '\xFF')), std::string(76, '/'));
    EXPECT_EQ(base64_encode(std::string(58, '\xFF')), std::string(76, '/') + "\r\n/w==");
}

TEST(Mime, DateIsRfc5322InUtc) {
    // ManualClock's default start, 1 790 000 000 s after the epoch; date -u -d @1790000000 says
    // "Mon Sep 21 14:13:20 UTC 2026".
    EXPECT_EQ(rfc5322_date(Clock::time_point{std::chrono::seconds{1'790'000'000}}), "Mon, 21 Sep 2026 14:13:20 +0000");
}

TEST(Mime, EmailAddressCheck) {
    EXPECT_TRUE(is_valid_email("buyer@example.ru"));
    EXPECT_TRUE(is_valid_email("first.last+tag@mail.example-shop.ru"));
    EXPECT_FALSE(is_valid_email("buyer"));
    EXPECT_FALSE(is_valid_email("@example.ru"));
    EXPECT_FALSE(is_valid_email("a@b@example.ru"));
    EXPECT_FALSE(is_valid_email("buyer@example.ru\r\nBcc: x@y.ru"));
    EXPECT_FALSE(is_valid_email("buyer @example.ru"));
    EXPECT_FALSE(is_valid_email("<buyer@example.ru>"));
    EXPECT_FALSE(is_valid_email("buyer@example..ru"));
    EXPECT_FALSE(is_valid_email("buyer@"));
}

MailContent sample() {
    return {.from = "receipts@shop.example",
            .from_name = "Магазин «Ромашка»",
            .to = "buyer@example.ru",
            .subject = "Кассовый чек №1234",
            .text = "Итого: 7000.00\nСпасибо!",
            .link = "https://check.ofd.example/?t=20261015T1432&s=7000.00",
            .png = std::string("\x89PNG\r\n\x1a\n", 8),
            .message_id = "kassa.r1-email@shop.example",
            .date = Clock::time_point{std::chrono::seconds{1'790'000'000}}};
}

TEST(Mime, HeadersAreEncodedAndCannotBeInjected) {
    auto mail = sample();
    mail.subject = "Чек\r\nBcc: victim@example.ru";
    auto msg = build_mime_message(mail);
    ASSERT_TRUE(msg) << msg.error().message;
    const std::string head = msg->substr(0, msg->find("\r\n\r\n"));
    EXPECT_EQ(head.find("Bcc:"), std::string::npos);
    EXPECT_NE(head.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(head.find("From: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(head.find("<receipts@shop.example>"), std::string::npos);
    EXPECT_NE(head.find("To: <buyer@example.ru>\r\n"), std::string::npos);
    EXPECT_NE(head.find("Message-ID: <kassa.r1-email@shop.example>\r\n"), std::string::npos);
    EXPECT_NE(head.find("Date: Mon, 21 Sep 2026 14:13:20 +0000\r\n"), std::string::npos);
    // Every line ends in CRLF and stays under the 998-character limit.
    for (std::size_t pos = 0, next; (next = msg->find('\n', pos)) != std::string::npos; pos = next + 1) {
        ASSERT_GT(next, 0U);
        EXPECT_EQ((*msg)[next - 1], '\r');
        EXPECT_LT(next - pos, 998U);
    }
    EXPECT_TRUE(msg->ends_with("--\r\n"));
}

TEST(Mime, AsciiSubjectStaysReadable) {
    auto mail = sample();
    mail.subject = "Receipt 1234";
    auto msg = build_mime_message(mail);
    ASSERT_TRUE(msg);
    EXPECT_NE(msg->find("Subject: Receipt 1234\r\n"), std::string::npos);
}

TEST(Mime, RejectsBadAddressesAndText) {
    auto mail = sample();
    mail.to = "not an address";
    EXPECT_EQ(build_mime_message(mail).error().code, "invalid_email");
    mail = sample();
    mail.text = "\xD0";
    EXPECT_EQ(build_mime_message(mail).error().code, "invalid_utf8");
    mail = sample();
    mail.message_id = "a b";
    EXPECT_EQ(build_mime_message(mail).error().code, "invalid_message_id");
}

TEST(Mime, WithoutPngThereIsOnlyTheTextPart) {
    auto mail = sample();
    mail.png.clear();
    auto msg = build_mime_message(mail);
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->find("image/png"), std::string::npos);
    EXPECT_NE(msg->find("text/plain; charset=UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace kassa::notify
