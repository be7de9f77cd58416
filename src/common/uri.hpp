// Device and listener addresses: "serial:///dev/ttyACM0?baud=115200", "tcp://127.0.0.1:7778",
// "usb://0x1fc9:0x0083?serial=123", "sim://embedded". Only what Kassa needs: scheme, host, port,
// path and a flat query; no user-info, no percent-decoding beyond %XX in query values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kassa {

struct Uri {
    std::string scheme;  // lower case
    std::string host;    // may be empty (serial:///dev/ttyS0)
    std::optional<std::uint16_t> port;
    std::string path;  // starts with '/' when present
    std::map<std::string, std::string> query;

    // The query value, or `fallback` when absent.
    std::string param(const std::string& key, std::string fallback = {}) const;
    // The query value as an integer; an error names the key when it is not one.
    Result<std::int64_t> int_param(const std::string& key, std::int64_t fallback) const;
};

Result<Uri> parse_uri(std::string_view text);

// Percent-encodes bytes for a URL query or path segment: RFC 3986 unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX (upper-case hex).
std::string url_encode(std::string_view bytes);

// "127.0.0.1:8080" → host and port (port 0 allowed: the system picks one).
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace kassa
