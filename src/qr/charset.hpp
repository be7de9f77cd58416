// UTF-8 → the single-byte Cyrillic code pages that GOST R 56042-2014 payloads may declare.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kassa::qr {

// The GOST R 56042-2014 charset flag, the 7th header byte (spec/fiscal-rules.md §5.2):
// "ST00011" = windows-1251, "ST00012" = UTF-8, "ST00013" = KOI8-R.
enum class GostCharset : char { kWindows1251 = '1', kUtf8 = '2', kKoi8R = '3' };

// Parses a config/API name: "utf-8", "windows-1251" (or "cp1251"), "koi8-r" (case-insensitive).
// Error: "invalid_charset".
Result<GostCharset> parse_gost_charset(std::string_view name);

// Number of code points in valid UTF-8, or an "invalid_utf8" error.
Result<std::size_t> utf8_length(std::string_view utf8);

// Re-encodes UTF-8 text in the given charset (kUtf8: validated and returned unchanged).
// Errors: "invalid_utf8"; "unencodable_character" when a character has no byte in the code page
// (e.g. '№' or '«' in KOI8-R).
Result<std::string> encode_text(std::string_view utf8, GostCharset charset);

}  // namespace kassa::qr
