// The e-receipt e-mail as an RFC 5322 / MIME message (pure; smtp_sender.cpp sends it).
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace kassa::notify {

struct MailContent {
    std::string from{};       // envelope and header sender address, e.g. "receipts@shop.ru"
    std::string from_name{};  // display name, UTF-8; may be empty
    std::string to{};
    std::string subject{};  // UTF-8
    std::string text{};     // UTF-8 plain text; "\n" or "\r\n" line ends
    std::string link{};     // appended to the text on its own line when not empty
    std::string png{};      // attached inline as image/png when not empty
    std::string png_filename = "receipt-qr.png";
    std::string message_id{};  // without angle brackets, e.g. "kassa.r42-email@shop.ru"
    Clock::time_point date{};
};

// multipart/mixed: a text/plain; charset=UTF-8 part (base64) and, with a PNG, an image/png part
// (base64, Content-Disposition: inline, Content-ID <qr@kassa>). Header texts that are not plain
// ASCII are RFC 2047 encoded words. CRLF line ends throughout.
// Errors: "invalid_email" (from/to), "invalid_utf8" (subject, name or text).
Result<std::string> build_mime_message(const MailContent& mail);

// Base64 (RFC 4648) with CRLF after every `line_length` output characters (0 = one line).
std::string base64_encode(std::string_view bytes, std::size_t line_length = 76);

// "Date:" value, e.g. "Mon, 23 Nov 2026 18:22:28 +0000" (always UTC).
std::string rfc5322_date(Clock::time_point t);

// A practical address check (not the full RFC 5321 grammar): local@domain in printable ASCII,
// no spaces, quotes, angle brackets or commas; domain of letters, digits, '-' and dots; ≤ 254.
bool is_valid_email(std::string_view address);

}  // namespace kassa::notify
