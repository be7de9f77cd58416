// Logging through named spdlog loggers ("api", "ledger", "drv.<register>", ...) and the masking
// helpers that every phone number and e-mail address must pass through before it is logged.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace kassa::log {

// The named logger, created on first use with the process-wide sinks and level.
std::shared_ptr<spdlog::logger> get(const std::string& name);

// Parses "trace|debug|info|warn|error|critical|off"; returns false for anything else.
bool is_valid_level(std::string_view level);

// Sets the level of every existing and future logger. Unknown names leave the level unchanged.
void set_level(std::string_view level);

// "+79001234522" → "+7*******22": keeps the country prefix and the last two digits.
std::string mask_phone(std::string_view phone);

// "ivan@example.com" → "i***@example.com": keeps the first character and the domain.
std::string mask_email(std::string_view email);

// Masks a buyer contact (tag 1008) whichever form it has; anything else becomes "***".
std::string mask_contact(std::string_view contact);

}  // namespace kassa::log
