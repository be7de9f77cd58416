#include "notify/smtp_sender.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "log_capture.hpp"
#include "qr/render.hpp"
#include "qr/zbar.hpp"
#include "test_support.hpp"

namespace kassa::notify {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCheckQr = "t=20261015T1432&s=7000.00&fn=7380440800123456&i=1234&fp=1234567890&n=1";
constexpr std::string_view kLink =
    "https://check.ofd.example/?t=20261015T1432&s=7000.00&fn=7380440800123456&i=1234&fp=1234567890&n=1";

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The aiosmtpd server of smtp_server.py, started per test; READY on its stdout is the readiness
// event.
class SmtpServer {
  public:
    enum class Tls { kNone, kStartTls, kImplicit };

    explicit SmtpServer(Tls tls = Tls::kNone)
        : dir_(kassa::test::unique_tmp_path("smtp", "")), process_([&] {
              std::vector<std::string> argv{KASSA_PYTHON3, KASSA_NOTIFY_TEST_DIR "/smtp_server.py", dir_.string()};
              if (tls == Tls::kStartTls) argv.push_back("--tls");
              if (tls == Tls::kImplicit) argv.push_back("--implicit-tls");
              return argv;
          }()) {
        auto line = process_.read_line();
        if (line && line->starts_with("SKIP ")) {
            skip_reason_ = line->substr(5);
            return;
        }
        if (!line || !line->starts_with("READY ")) throw std::runtime_error("SMTP test server did not start");
        port_ = std::stoi(line->substr(6));
        scheme_ = tls == Tls::kImplicit ? "smtps" : "smtp";
    }

    // Set when the server could not offer what the test needs (TLS without python3-cryptography).
    const std::string& skip_reason() const { return skip_reason_; }
    std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
    const fs::path& dir() const { return dir_; }
    bool has_message(int n) const { return fs::exists(dir_ / (std::to_string(n) + ".json")); }
    boost::json::object message(int n) const {
        return boost::json::parse(read_file(dir_ / (std::to_string(n) + ".json"))).as_object();
    }

  private:
    fs::path dir_;
    kassa::test::ChildProcess process_;
    int port_ = 0;
    std::string scheme_;
    std::string skip_reason_;
};

Notification receipt_email(std::string png) {
    return {.kind = Channel::kEmail,
            .to = "buyer@example.ru",
            .subject = "Кассовый чек №1234 — ООО «Ромашка»",
            .text =
                "ООО «Ромашка»\nКассовый чек. Приход\nТовар А  1 × 4000.00 = 4000.00\nТовар Б  1 × 3000.00 = "
                "3000.00\nИТОГ 7000.00\n",
            .png = std::move(png),
            .link = std::string(kLink),
            .id = "r1234-email"};
}

SmtpConfig config_for(const SmtpServer& server) {
    return {.url = server.url(),
            .from = "receipts@shop.example",
            .from_name = "Ромашка",
            .connect_timeout = std::chrono::milliseconds{5000},
            .timeout = std::chrono::milliseconds{20000}};
}

std::string crlf(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

TEST(SmtpSender, DeliversTextLinkAndQrImage) {
    SmtpServer server;
    auto png = qr::render_png(kCheckQr, {.ec_level = qr::EcLevel::kM, .module_size = 4, .quiet_zone = 4});
    ASSERT_TRUE(png) << png.error().message;
    ManualClock clock;
    SmtpSender sender(config_for(server), clock);
    const Notification n = receipt_email(*png);
    auto result = sender.send(n);
    ASSERT_TRUE(result) << result.error().error.code << ": " << result.error().error.message;

    ASSERT_TRUE(server.has_message(0));
    const auto msg = server.message(0);
    EXPECT_EQ(msg.at("mail_from").as_string(), "receipts@shop.example");
    ASSERT_EQ(msg.at("rcpt_tos").as_array().size(), 1U);
    EXPECT_EQ(msg.at("rcpt_tos").as_array()[0].as_string(), "buyer@example.ru");
    EXPECT_EQ(msg.at("subject").as_string(), n.subject);
    EXPECT_EQ(msg.at("from").as_string(), "Ромашка <receipts@shop.example>");
    EXPECT_EQ(msg.at("to").as_string(), "buyer@example.ru");
    EXPECT_EQ(msg.at("date").as_string(), "Mon, 21 Sep 2026 14:13:20 +0000");
    EXPECT_EQ(msg.at("message_id").as_string(), "<kassa.r1234-email@shop.example>");
    EXPECT_TRUE(msg.at("defects").as_array().empty());
    EXPECT_FALSE(msg.at("tls").as_bool());

    const auto& parts = msg.at("parts").as_array();
    ASSERT_EQ(parts.size(), 2U);
    const auto& text = parts[0].as_object();
    EXPECT_EQ(text.at("content_type").as_string(), "text/plain");
    EXPECT_EQ(text.at("charset").as_string(), "utf-8");
    EXPECT_EQ(read_file(std::string(text.at("file").as_string())), crlf(n.text + "\n" + std::string(kLink) + "\n"));

    const auto& image = parts[1].as_object();
    EXPECT_EQ(image.at("content_type").as_string(), "image/png");
    EXPECT_EQ(image.at("disposition").as_string(), "inline");
    EXPECT_EQ(image.at("filename").as_string(), "receipt-qr.png");
    EXPECT_EQ(image.at("content_id").as_string(), "<qr@kassa>");
    const fs::path png_file = std::string(image.at("file").as_string());
    EXPECT_EQ(read_file(png_file), *png);
    fs::path png_copy = png_file;
    png_copy += ".png";
    fs::copy_file(png_file, png_copy);
    EXPECT_EQ(kassa::test::zbar_decode(png_copy), std::string(kCheckQr));
}

TEST(SmtpSender, AuthenticatesWithConfiguredCredentials) {
    SmtpServer server;
    ManualClock clock;
    auto config = config_for(server);
    config.username = "kassa";
    config.password = "s3cret";
    SmtpSender sender(config, clock);
    ASSERT_TRUE(sender.send(receipt_email("")));
    EXPECT_EQ(server.message(0).at("auth_login").as_string(), "kassa");

    config.password = "wrong";
    SmtpSender bad(config, clock);
    auto result = bad.send(receipt_email(""));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().error.code, "smtp_auth_failed");
    EXPECT_FALSE(result.error().retryable);
    EXPECT_FALSE(server.has_message(1));
}

TEST(SmtpSender, StartTlsWithTrustedCertificate) {
    SmtpServer server(SmtpServer::Tls::kStartTls);
    if (!server.skip_reason().empty()) GTEST_SKIP() << server.skip_reason();
    ManualClock clock;
    auto config = config_for(server);
    config.starttls = true;
    config.ca_file = (server.dir() / "cert.pem").string();
    config.username = "kassa";
    config.password = "s3cret";
    SmtpSender sender(config, clock);
    auto result = sender.send(receipt_email(""));
    ASSERT_TRUE(result) << result.error().error.code << ": " << result.error().error.message;
    EXPECT_TRUE(server.message(0).at("tls").as_bool());
    EXPECT_EQ(server.message(0).at("auth_login").as_string(), "kassa");
}

TEST(SmtpSender, ImplicitTlsWithSmtpsUrl) {
    SmtpServer server(SmtpServer::Tls::kImplicit);
    if (!server.skip_reason().empty()) GTEST_SKIP() << server.skip_reason();
    ManualClock clock;
    auto config = config_for(server);
    config.ca_file = (server.dir() / "cert.pem").string();
    SmtpSender sender(config, clock);
    auto result = sender.send(receipt_email(""));
    ASSERT_TRUE(result) << result.error().error.code << ": " << result.error().error.message;
    EXPECT_TRUE(server.message(0).at("tls").as_bool());
}

TEST(SmtpSender, UntrustedCertificateIsNotUsed) {
    SmtpServer server(SmtpServer::Tls::kStartTls);
    if (!server.skip_reason().empty()) GTEST_SKIP() << server.skip_reason();
    ManualClock clock;
    auto config = config_for(server);
    config.starttls = true;  // system trust store: the self-signed certificate is unknown
    SmtpSender sender(config, clock);
    auto result = sender.send(receipt_email(""));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().error.code, "smtp_tls_failed");
    EXPECT_TRUE(result.error().retryable);
    EXPECT_FALSE(server.has_message(0));
}

TEST(SmtpSender, RejectedRecipientIsPermanentTemporaryFailureRetryable) {
    SmtpServer server;
    ManualClock clock;
    SmtpSender sender(config_for(server), clock);
    Notification n = receipt_email("");
    n.to = "reject@example.ru";
    auto rejected = sender.send(n);
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().error.code, "smtp_rejected");
    EXPECT_FALSE(rejected.error().retryable);

    n.to = "busy@example.ru";
    auto busy = sender.send(n);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().error.code, "smtp_temporary_failure");
    EXPECT_TRUE(busy.error().retryable);
    EXPECT_FALSE(server.has_message(0));
}

TEST(SmtpSender, ServerDownIsRetryable) {
    ManualClock clock;
    SmtpSender sender({.url = "smtp://127.0.0.1:" + std::to_string(kassa::test::unused_loopback_port()),
                       .from = "receipts@shop.example",
                       .connect_timeout = std::chrono::milliseconds{2000},
                       .timeout = std::chrono::milliseconds{5000}},
                      clock);
    kassa::test::LogCapture log;
    auto result = sender.send(receipt_email(""));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().error.code, "smtp_unavailable");
    EXPECT_TRUE(result.error().retryable);
    // The address is logged masked only.
    EXPECT_NE(log.text().find("b***@example.ru"), std::string::npos) << log.text();
    EXPECT_EQ(log.text().find("buyer@"), std::string::npos) << log.text();
}

TEST(SmtpSender, InvalidRecipientAndConfigArePermanent) {
    ManualClock clock;
    SmtpSender sender({.url = "smtp://127.0.0.1:1", .from = "receipts@shop.example"}, clock);
    Notification n = receipt_email("");
    n.to = "buyer@example.ru\r\nRCPT TO:<x@y.ru>";
    auto result = sender.send(n);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().error.code, "invalid_email");
    EXPECT_FALSE(result.error().retryable);

    EXPECT_EQ(validate_smtp_config({.url = "http://x", .from = "a@b.ru"}).error().code, "smtp_config_invalid");
    EXPECT_EQ(validate_smtp_config({.url = "smtps://x", .starttls = true, .from = "a@b.ru"}).error().code,
              "smtp_config_invalid");
    EXPECT_EQ(validate_smtp_config({.url = "smtp://x", .from = "nobody"}).error().code, "smtp_config_invalid");
    EXPECT_TRUE(validate_smtp_config({.url = "smtps://smtp.example.ru:465", .from = "a@b.ru"}));
}

TEST(ChannelRouter, RoutesByKindAndFailsForMissingChannel) {
    ManualClock clock;
    SmtpSender email({.url = "smtp://127.0.0.1:1", .from = "receipts@shop.example"}, clock);
    ChannelRouter router(&email, nullptr);
    Notification n = receipt_email("");
    n.kind = Channel::kSms;
    auto result = router.send(n);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().error.code, "channel_not_configured");
    EXPECT_FALSE(result.error().retryable);
}

}  // namespace
}  // namespace kassa::notify
