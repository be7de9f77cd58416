// UTF-8 ⇄ CP866, the code page the fiscal storage keeps text in (protocols.md §3.2,
// fiscal-rules.md §6 "Charset"). A character outside CP866 is an error, never a silent '?'.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kassa::fiscal {

// UTF-8 text → CP866 bytes (one byte per character). Errors: "invalid_utf8" for malformed input,
// "text_not_cp866" for a character CP866 has no byte for.
Result<std::string> utf8_to_cp866(std::string_view utf8);

// CP866 bytes → UTF-8 text; every byte has a character, so this cannot fail.
std::string cp866_to_utf8(std::string_view cp866);

// Number of characters (code points) in valid UTF-8; the FFD length limits count characters,
// which for CP866 text equals bytes on the wire. Malformed sequences count one per byte.
std::size_t utf8_length(std::string_view utf8);

}  // namespace kassa::fiscal
