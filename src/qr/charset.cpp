#include "qr/charset.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

namespace kassa::qr {
namespace {

// Unicode code points of windows-1251 bytes 0x80..0xBF (0 = unassigned). Bytes 0xC0..0xFF are
// А..я (U+0410..U+044F) in order and need no table.
constexpr std::array<std::uint16_t, 64> kCp1251High = {
    0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021,  // 0x80
    0x20AC, 0x2030, 0x0409, 0x2039, 0x040A, 0x040C, 0x040B, 0x040F,  // 0x88
    0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 0x90
    0x0000, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F,  // 0x98
    0x00A0, 0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7,  // 0xA0
    0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,  // 0xA8
    0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7,  // 0xB0
    0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,  // 0xB8
};

// Unicode code points of KOI8-R (RFC 1489) bytes 0x80..0xFF. The letters are not in alphabetical
// order (they follow the Latin transliteration), so the whole upper half is tabulated.
constexpr std::array<std::uint16_t, 128> kKoi8RHigh = {
    0x2500, 0x2502, 0x250C, 0x2510, 0x2514, 0x2518, 0x251C, 0x2524,  // 0x80
    0x252C, 0x2534, 0x253C, 0x2580, 0x2584, 0x2588, 0x258C, 0x2590,  // 0x88
    0x2591, 0x2592, 0x2593, 0x2320, 0x25A0, 0x2219, 0x221A, 0x2248,  // 0x90
    0x2264, 0x2265, 0x00A0, 0x2321, 0x00B0, 0x00B2, 0x00B7, 0x00F7,  // 0x98
    0x2550, 0x2551, 0x2552, 0x0451, 0x2553, 0x2554, 0x2555, 0x2556,  // 0xA0
    0x2557, 0x2558, 0x2559, 0x255A, 0x255B, 0x255C, 0x255D, 0x255E,  // 0xA8
    0x255F, 0x2560, 0x2561, 0x0401, 0x2562, 0x2563, 0x2564, 0x2565,  // 0xB0
    0x2566, 0x2567, 0x2568, 0x2569, 0x256A, 0x256B, 0x256C, 0x00A9,  // 0xB8
    0x044E, 0x0430, 0x0431, 0x0446, 0x0434, 0x0435, 0x0444, 0x0433,  // 0xC0
    0x0445, 0x0438, 0x0439, 0x043A, 0x043B, 0x043C, 0x043D, 0x043E,  // 0xC8
    0x043F, 0x044F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0436, 0x0432,  // 0xD0
    0x044C, 0x044B, 0x0437, 0x0448, 0x044D, 0x0449, 0x0447, 0x044A,  // 0xD8
    0x042E, 0x0410, 0x0411, 0x0426, 0x0414, 0x0415, 0x0424, 0x0413,  // 0xE0
    0x0425, 0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E,  // 0xE8
    0x041F, 0x042F, 0x0420, 0x0421, 0x0422, 0x0423, 0x0416, 0x0412,  // 0xF0
    0x042C, 0x042B, 0x0417, 0x0428, 0x042D, 0x0429, 0x0427, 0x042A,  // 0xF8
};

// Decodes UTF-8 strictly: no overlong forms, no surrogates, nothing above U+10FFFF.
Result<std::vector<char32_t>> decode_utf8(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (b0 < 0x80) {
            len = 1;
            cp = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            return fail("invalid_utf8", "text is not valid UTF-8 (byte " + std::to_string(i) + ")");
        }
        if (i + len > s.size()) return fail("invalid_utf8", "text ends inside a UTF-8 sequence");
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) {
                return fail("invalid_utf8", "text is not valid UTF-8 (byte " + std::to_string(i + k) + ")");
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail("invalid_utf8", "text is not valid UTF-8 (byte " + std::to_string(i) + ")");
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

std::optional<char> to_cp1251(char32_t cp) {
    if (cp < 0x80) return static_cast<char>(cp);
    if (cp >= 0x0410 && cp <= 0x044F) return static_cast<char>(0xC0 + (cp - 0x0410));
    for (std::size_t i = 0; i < kCp1251High.size(); ++i) {
        if (kCp1251High[i] != 0 && kCp1251High[i] == cp) return static_cast<char>(0x80 + i);
    }
    return std::nullopt;
}

std::optional<char> to_koi8r(char32_t cp) {
    if (cp < 0x80) return static_cast<char>(cp);
    for (std::size_t i = 0; i < kKoi8RHigh.size(); ++i) {
        if (kKoi8RHigh[i] == cp) return static_cast<char>(0x80 + i);
    }
    return std::nullopt;
}

}  // namespace

Result<GostCharset> parse_gost_charset(std::string_view name) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "utf-8" || lower == "utf8") return GostCharset::kUtf8;
    if (lower == "windows-1251" || lower == "cp1251") return GostCharset::kWindows1251;
    if (lower == "koi8-r" || lower == "koi8r") return GostCharset::kKoi8R;
    return fail("invalid_charset", "charset must be utf-8, windows-1251 or koi8-r");
}

Result<std::size_t> utf8_length(std::string_view utf8) {
    auto cps = decode_utf8(utf8);
    if (!cps) return std::unexpected(cps.error());
    return cps->size();
}

Result<std::string> encode_text(std::string_view utf8, GostCharset charset) {
    auto cps = decode_utf8(utf8);
    if (!cps) return std::unexpected(cps.error());
    if (charset == GostCharset::kUtf8) return std::string(utf8);
    if (charset != GostCharset::kWindows1251 && charset != GostCharset::kKoi8R) {
        return fail("invalid_charset", "unknown GOST charset flag");
    }
    std::string out;
    out.reserve(cps->size());
    for (char32_t cp : *cps) {
        auto byte = charset == GostCharset::kWindows1251 ? to_cp1251(cp) : to_koi8r(cp);
        if (!byte) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
            return fail("unencodable_character",
                        std::string("character ") + hex + " has no code in " +
                            (charset == GostCharset::kWindows1251 ? "windows-1251" : "KOI8-R"));
        }
        out.push_back(*byte);
    }
    return out;
}

}  // namespace kassa::qr
