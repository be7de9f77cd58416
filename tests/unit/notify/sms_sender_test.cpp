#include "notify/sms_sender.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "log_capture.hpp"
#include "test_support.hpp"

namespace kassa::notify {
namespace {

using kassa::test::HttpStub;

Notification sms() {
    return {
        .kind = Channel::kSms,
        .to = "+79001234522",
        .text = "Чек на 7000.00 руб. \"Ромашка\"\nСпасибо",
        .link = "https://check.ofd.example/?t=20261015T1432&s=7000.00&fn=7380440800123456&i=1234&fp=1234567890&n=1"};
}

SmsGatewayConfig json_gateway(const HttpStub& stub) {
    return {.url = stub.url("/api/send?sender=Kassa"),
            .method = "POST",
            .headers = {{"Authorization", "Bearer t0ken"}, {"X-Client", "kassa"}},
            .body_template = R"({"to":"{phone}","message":"{text} {link}","meta":{"n":1}})",
            .body_encoding = BodyEncoding::kJson};
}

TEST(SmsSender, PostsJsonWithHeadersAndEscapedValues) {
    HttpStub stub({200});
    SmsSender sender(json_gateway(stub));
    auto result = sender.send(sms());
    ASSERT_TRUE(result) << result.error().error.message;

    const auto requests = stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    const auto& req = requests[0];
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/api/send?sender=Kassa");
    EXPECT_EQ(req.headers.at("authorization"), "Bearer t0ken");
    EXPECT_EQ(req.headers.at("x-client"), "kassa");
    EXPECT_EQ(req.headers.at("content-type"), "application/json; charset=utf-8");
    EXPECT_FALSE(req.headers.contains("expect"));
    // The body parses as JSON and carries the values unchanged (quotes and newline escaped).
    const auto body = boost::json::parse(req.body).as_object();
    EXPECT_EQ(body.at("to").as_string(), "+79001234522");
    EXPECT_EQ(std::string(body.at("message").as_string()), sms().text + " " + sms().link);
    EXPECT_EQ(body.at("meta").as_object().at("n").as_int64(), 1);
}

TEST(SmsSender, GetWithPlaceholdersInTheUrlIsPercentEncoded) {
    HttpStub stub({200});
    SmsSender sender({.url = stub.url("/sms?to={phone}&msg={text}&l={link}"), .method = "GET"});
    Notification n = sms();
    n.text = "Чек 1 & 2";
    n.link = "https://x.example/?a=1&b=2";
    ASSERT_TRUE(sender.send(n));
    const auto requests = stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(
        requests[0].target,
        "/sms?to=%2B79001234522&msg=%D0%A7%D0%B5%D0%BA%201%20%26%202&l=https%3A%2F%2Fx.example%2F%3Fa%3D1%26b%3D2");
    EXPECT_TRUE(requests[0].body.empty());
}

TEST(SmsSender, FormBodyIsUrlEncoded) {
    HttpStub stub({202});
    SmsSender sender({.url = stub.url("/send"),
                      .method = "PUT",
                      .body_template = "phone={phone}&text={text}",
                      .body_encoding = BodyEncoding::kForm});
    Notification n = sms();
    n.text = "a b&c=d";
    ASSERT_TRUE(sender.send(n));
    const auto requests = stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "PUT");
    EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(requests[0].body, "phone=%2B79001234522&text=a+b%26c%3Dd");
}

TEST(SmsSender, ServerErrorsAreRetryableClientErrorsPermanent) {
    HttpStub stub({503, 429, 400, 401, 302, 200});
    SmsSender sender(json_gateway(stub));
    auto r503 = sender.send(sms());
    ASSERT_FALSE(r503);
    EXPECT_TRUE(r503.error().retryable);
    EXPECT_EQ(r503.error().error.code, "sms_gateway_error");
    auto r429 = sender.send(sms());
    ASSERT_FALSE(r429);
    EXPECT_TRUE(r429.error().retryable);
    for (int status : {400, 401, 302}) {
        auto r = sender.send(sms());
        ASSERT_FALSE(r) << status;
        EXPECT_FALSE(r.error().retryable) << status;
        EXPECT_EQ(r.error().error.code, "sms_rejected") << status;
        EXPECT_NE(r.error().error.message.find(std::to_string(status)), std::string::npos);
    }
    EXPECT_TRUE(sender.send(sms()));
    EXPECT_EQ(stub.requests().size(), 6U);
}

TEST(SmsSender, GatewayDownIsRetryable) {
    const auto port = kassa::test::unused_loopback_port();
    SmsSender sender({.url = "http://127.0.0.1:" + std::to_string(port) + "/send",
                      .body_template = "{}",
                      .connect_timeout = std::chrono::milliseconds{2000},
                      .timeout = std::chrono::milliseconds{5000}});
    auto result = sender.send(sms());
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().retryable);
    EXPECT_EQ(result.error().error.code, "sms_gateway_unavailable");
}

TEST(SmsSender, BadPhoneAndConfigArePermanent) {
    HttpStub stub({200});
    SmsSender sender(json_gateway(stub));
    Notification n = sms();
    n.to = "89001234522";
    auto r = sender.send(n);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.code, "invalid_phone");
    EXPECT_FALSE(r.error().retryable);
    n.kind = Channel::kEmail;
    EXPECT_EQ(sender.send(n).error().error.code, "wrong_channel");
    EXPECT_TRUE(stub.requests().empty());

    EXPECT_EQ(validate_sms_config({.url = "ftp://x/"}).error().code, "sms_config_invalid");
    EXPECT_EQ(validate_sms_config({.url = "http://x/", .method = "DELETE"}).error().code, "sms_config_invalid");
    EXPECT_EQ(validate_sms_config({.url = "http://x/", .method = "GET", .body_template = "x"}).error().code,
              "sms_config_invalid");
    EXPECT_EQ(validate_sms_config({.url = "http://x/", .headers = {{"X-A", "b\r\nX-Evil: 1"}}}).error().code,
              "sms_config_invalid");
    EXPECT_TRUE(validate_sms_config(json_gateway(stub)));
}

TEST(SmsSender, LogsOnlyTheMaskedPhone) {
    HttpStub stub({200, 400});
    SmsSender sender(json_gateway(stub));
    kassa::test::LogCapture log;
    ASSERT_TRUE(sender.send(sms()));
    ASSERT_FALSE(sender.send(sms()));
    const std::string text = log.text();
    EXPECT_NE(text.find("+7*******22"), std::string::npos) << text;
    EXPECT_EQ(text.find("9001234522"), std::string::npos) << text;
}

TEST(SmsSender, TemplateExpansion) {
    EXPECT_EQ(expand_template(R"({"a":"{phone}","b":"{text}","c":{"d":"{link}"},"{x}":1})", "+7", "q\"\\\n\x01", "l",
                              BodyEncoding::kJson),
              R"({"a":"+7","b":"q\"\\\n\u0001","c":{"d":"l"},"{x}":1})");
    EXPECT_EQ(expand_template("{text}", "", "Чек", "", BodyEncoding::kRaw), "Чек");
    EXPECT_TRUE(is_valid_phone("+79001234522"));
    EXPECT_FALSE(is_valid_phone("+7900"));
    EXPECT_FALSE(is_valid_phone("+7900123452a"));
}

}  // namespace
}  // namespace kassa::notify
