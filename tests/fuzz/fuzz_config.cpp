// libFuzzer target: kassad's TOML configuration (src/app/config.hpp): parse, then the cross-field
// validation kassad runs before it starts. Any text is an error with a message or a Config.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = kassa::app::parse_config(text, "fuzz.toml");
    if (config) {
        (void)kassa::app::validate(*config);
        for (const auto& r : config->registers) (void)kassa::app::parse_time_of_day(r.shift_rotate_at);
    } else if (config.error().code.empty() || config.error().message.empty()) {
        __builtin_trap();  // every refusal says what is wrong
    }
    return 0;
}
