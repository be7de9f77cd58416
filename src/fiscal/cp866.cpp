#include "fiscal/cp866.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace kassa::fiscal {
namespace {

// Code points of CP866 bytes 0xB0..0xDF (box drawing and blocks) and 0xF0..0xFF; the Cyrillic
// letters 0x80..0xAF and 0xE0..0xEF are contiguous ranges handled in code.
constexpr std::array<char32_t, 48> kB0toDF = {
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
};
constexpr std::array<char32_t, 16> kF0toFF = {
    0x0401, 0x0451, 0x0404, 0x0454, 0x0407, 0x0457, 0x040E, 0x045E,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x2116, 0x00A4, 0x25A0, 0x00A0,
};

char32_t byte_to_code_point(std::uint8_t b) {
    if (b < 0x80) return b;
    if (b < 0xB0) return 0x0410 + (b - 0x80);  // А..Я, а..п
    if (b < 0xE0) return kB0toDF[b - 0xB0];
    if (b < 0xF0) return 0x0440 + (b - 0xE0);  // р..я
    return kF0toFF[b - 0xF0];
}

std::optional<std::uint8_t> code_point_to_byte(char32_t cp) {
    if (cp < 0x80) return static_cast<std::uint8_t>(cp);
    if (cp >= 0x0410 && cp <= 0x043F) return static_cast<std::uint8_t>(0x80 + (cp - 0x0410));
    if (cp >= 0x0440 && cp <= 0x044F) return static_cast<std::uint8_t>(0xE0 + (cp - 0x0440));
    for (std::size_t i = 0; i < kB0toDF.size(); ++i) {
        if (kB0toDF[i] == cp) return static_cast<std::uint8_t>(0xB0 + i);
    }
    for (std::size_t i = 0; i < kF0toFF.size(); ++i) {
        if (kF0toFF[i] == cp) return static_cast<std::uint8_t>(0xF0 + i);
    }
    return std::nullopt;
}

// Decodes one UTF-8 sequence at `pos`; advances `pos`. Rejects overlong forms, surrogates and
// code points above U+10FFFF so that a byte string has exactly one reading.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& pos) {
    const auto b0 = static_cast<std::uint8_t>(s[pos]);
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
        ++pos;
        return b0;
    } else if ((b0 & 0xE0) == 0xC0) {
        extra = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        extra = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        extra = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
        return std::nullopt;
    }
    if (pos + extra >= s.size()) return std::nullopt;  // truncated sequence
    for (int i = 1; i <= extra; ++i) {
        const auto b = static_cast<std::uint8_t>(s[pos + i]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    pos += extra + 1;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        // CP866 has nothing above the BMP.
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

Result<std::string> utf8_to_cp866(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        const std::size_t at = pos;
        const auto cp = next_code_point(utf8, pos);
        if (!cp) return fail("invalid_utf8", "malformed UTF-8 at byte " + std::to_string(at));
        const auto byte = code_point_to_byte(*cp);
        if (!byte) {
            return fail("text_not_cp866", "character '" + std::string(utf8.substr(at, pos - at)) + "' at byte " +
                                              std::to_string(at) + " has no CP866 code");
        }
        out += static_cast<char>(*byte);
    }
    return out;
}

std::string cp866_to_utf8(std::string_view cp866) {
    std::string out;
    out.reserve(cp866.size() * 2);
    for (char c : cp866) append_utf8(out, byte_to_code_point(static_cast<std::uint8_t>(c)));
    return out;
}

std::size_t utf8_length(std::string_view utf8) {
    std::size_t count = 0;
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        if (!next_code_point(utf8, pos)) ++pos;
        ++count;
    }
    return count;
}

}  // namespace kassa::fiscal
