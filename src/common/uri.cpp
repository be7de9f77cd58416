#include "common/uri.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace kassa {

namespace {

Result<std::uint16_t> parse_port(std::string_view s, std::string_view whole) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || value > 65535)
        return fail("invalid_uri", "bad port '" + std::string(s) + "' in '" + std::string(whole) + "'");
    return static_cast<std::uint16_t>(value);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

}  // namespace

std::string Uri::param(const std::string& key, std::string fallback) const {
    auto it = query.find(key);
    return it == query.end() ? fallback : it->second;
}

Result<std::int64_t> Uri::int_param(const std::string& key, std::int64_t fallback) const {
    auto it = query.find(key);
    if (it == query.end()) return fallback;
    std::int64_t value = 0;
    const auto& s = it->second;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size())
        return fail("invalid_uri", "query parameter '" + key + "' is not an integer: '" + s + "'");
    return value;
}

Result<Uri> parse_uri(std::string_view text) {
    Uri uri;
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0)
        return fail("invalid_uri", "'" + std::string(text) + "' has no scheme (expected scheme://...)");
    uri.scheme.assign(text.substr(0, sep));
    std::ranges::transform(uri.scheme, uri.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view rest = text.substr(sep + 3);

    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view authority = rest;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        authority = rest.substr(0, slash);
        uri.path.assign(rest.substr(slash));
    }
    if (!authority.empty()) {
        std::string_view host = authority;
        if (authority.front() == '[') {  // [::1]:port
            auto close = authority.find(']');
            if (close == std::string_view::npos)
                return fail("invalid_uri", "unclosed '[' in '" + std::string(text) + "'");
            host = authority.substr(1, close - 1);
            if (close + 1 < authority.size()) {
                if (authority[close + 1] != ':') return fail("invalid_uri", "bad host in '" + std::string(text) + "'");
                auto port = parse_port(authority.substr(close + 2), text);
                if (!port) return std::unexpected(port.error());
                uri.port = *port;
            }
        } else if (uri.scheme == "usb") {
            // usb://VID:PID: hex ids, not a host and port (drivers/transport/usb_tty.cpp).
        } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            auto port = parse_port(authority.substr(colon + 1), text);
            if (!port) return std::unexpected(port.error());
            uri.port = *port;
        }
        uri.host.assign(host);
    }
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        std::string key = percent_decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        if (!key.empty()) uri.query[key] = value;
        if (amp == std::string_view::npos) break;
        query = query.substr(amp + 1);
    }
    return uri;
}

std::string url_encode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 3);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        }
    }
    return out;
}

Result<HostPort> parse_host_port(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return fail("invalid_address", "'" + std::string(text) + "' is not host:port");
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto port = parse_port(text.substr(colon + 1), text);
    if (!port) return std::unexpected(Error{"invalid_address", port.error().message});
    return HostPort{std::string(host), *port};
}

}  // namespace kassa
