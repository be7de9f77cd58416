#include "notify/mime.hpp"

#include <ctime>

namespace kassa::notify {
namespace {

bool is_ascii_printable(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E) return false;
    }
    return true;
}

// Strict UTF-8 check; returns the length of each complete sequence so encoded words never split
// a character.
std::size_t utf8_sequence_length(unsigned char b0) {
    if (b0 < 0x80) return 1;
    if ((b0 & 0xE0) == 0xC0) return 2;
    if ((b0 & 0xF0) == 0xE0) return 3;
    if ((b0 & 0xF8) == 0xF0) return 4;
    return 0;
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_sequence_length(static_cast<unsigned char>(s[i]));
        if (len == 0 || i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += len;
    }
    return true;
}

// A header value: kept as it is when it is short printable ASCII, otherwise RFC 2047 "B"
// encoded words of at most 45 input bytes (60 base64 characters, 72 with the wrapper), folded
// with CRLF + space. CR/LF in the input can then never start a new header.
std::string header_text(std::string_view utf8) {
    if (is_ascii_printable(utf8) && utf8.size() <= 60 && utf8.find("=?") == std::string_view::npos) {
        return std::string(utf8);
    }
    std::string out;
    std::size_t i = 0;
    while (i < utf8.size()) {
        std::size_t end = i;
        while (end < utf8.size()) {
            const std::size_t len = utf8_sequence_length(static_cast<unsigned char>(utf8[end]));
            if (end + len - i > 45) break;
            end += len;
        }
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64_encode(utf8.substr(i, end - i), 0) + "?=";
        i = end;
    }
    return out;
}

std::string crlf_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 40);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // the '\n' adds it
        if (text[i] == '\n' || text[i] == '\r') {
            out += "\r\n";
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes, std::size_t line_length) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4 + (line_length ? bytes.size() / line_length * 2 + 2 : 0));
    std::size_t column = 0;
    auto put = [&](char c) {
        if (line_length != 0 && column == line_length) {
            out += "\r\n";
            column = 0;
        }
        out += c;
        ++column;
    };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        put(kAlphabet[v >> 18 & 63]);
        put(kAlphabet[v >> 12 & 63]);
        put(kAlphabet[v >> 6 & 63]);
        put(kAlphabet[v & 63]);
    }
    if (const std::size_t rest = bytes.size() - i; rest != 0) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        put(kAlphabet[v >> 18 & 63]);
        put(kAlphabet[v >> 12 & 63]);
        put(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
        put('=');
    }
    return out;
}

std::string rfc5322_date(Clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[64];
    // strftime's %a/%b follow the C locale, which is what RFC 5322 wants; the process never
    // changes LC_TIME.
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buffer;
}

bool is_valid_email(std::string_view address) {
    if (address.empty() || address.size() > 254) return false;
    const auto at = address.find('@');
    if (at == std::string_view::npos || at == 0 || at > 64 || address.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    for (char c : address.substr(0, at)) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || std::string_view("\"(),:;<>[\\]").find(c) != std::string_view::npos) {
            return false;
        }
    }
    const std::string_view domain = address.substr(at + 1);
    if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.front() == '-') return false;
    char previous = 0;
    for (char c : domain) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.') return false;
        if (c == '.' && previous == '.') return false;
        previous = c;
    }
    return true;
}

Result<std::string> build_mime_message(const MailContent& mail) {
    if (!is_valid_email(mail.from)) return fail("invalid_email", "the sender address is not a valid e-mail address");
    if (!is_valid_email(mail.to)) return fail("invalid_email", "the recipient is not a valid e-mail address");
    if (!is_valid_utf8(mail.subject) || !is_valid_utf8(mail.from_name) || !is_valid_utf8(mail.text)) {
        return fail("invalid_utf8", "subject, sender name and text must be UTF-8");
    }
    if (!is_ascii_printable(mail.message_id) || mail.message_id.find_first_of("<> ") != std::string::npos) {
        return fail("invalid_message_id", "the Message-ID must be printable ASCII without spaces or brackets");
    }
    if (!is_ascii_printable(mail.png_filename) || mail.png_filename.find('"') != std::string::npos) {
        return fail("invalid_filename", "the attachment file name must be printable ASCII without quotes");
    }
    // '=' and '_' never occur together in base64 text, so this boundary cannot appear inside a
    // part; the Message-ID keeps boundaries of different messages apart for readability.
    const std::string boundary = "=_kassa_" + base64_encode(mail.message_id, 0).substr(0, 24);

    std::string m;
    m += "Date: " + rfc5322_date(mail.date) + "\r\n";
    m += "From: ";
    if (!mail.from_name.empty()) m += header_text(mail.from_name) + " ";
    m += "<" + mail.from + ">\r\n";
    m += "To: <" + mail.to + ">\r\n";
    m += "Subject: " + header_text(mail.subject) + "\r\n";
    if (!mail.message_id.empty()) m += "Message-ID: <" + mail.message_id + ">\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
    m += "\r\n";
    m += "This is a MIME message.\r\n";

    std::string body = mail.text;
    if (!mail.link.empty()) {
        if (!body.empty() && body.back() != '\n') body += '\n';
        if (!body.empty()) body += '\n';
        body += mail.link;
        body += '\n';
    }
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_encode(crlf_lines(body)) + "\r\n";

    if (!mail.png.empty()) {
        m += "--" + boundary + "\r\n";
        m += "Content-Type: image/png; name=\"" + mail.png_filename + "\"\r\n";
        m += "Content-Transfer-Encoding: base64\r\n";
        m += "Content-Disposition: inline; filename=\"" + mail.png_filename + "\"\r\n";
        m += "Content-ID: <qr@kassa>\r\n\r\n";
        m += base64_encode(mail.png) + "\r\n";
    }
    m += "--" + boundary + "--\r\n";
    return m;
}

}  // namespace kassa::notify
