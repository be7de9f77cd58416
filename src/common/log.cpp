#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace kassa::log {

namespace {

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& name) {
    std::lock_guard lock(registry_mutex());
    if (auto existing = spdlog::get(name)) return existing;
    // All loggers share one stderr sink so lines from modules and registers interleave in order.
    static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(spdlog::get_level());
    spdlog::register_logger(logger);
    return logger;
}

bool is_valid_level(std::string_view level) {
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    for (auto l : kLevels)
        if (l == level) return true;
    return false;
}

void set_level(std::string_view level) {
    if (!is_valid_level(level)) return;
    // spdlog::set_level applies to every registered logger and is the default for new ones.
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

std::string mask_phone(std::string_view phone) {
    // A fixed run of stars hides the length as well as the digits: "+7" (or the first digit), seven
    // stars, the last two digits. Too short to keep anything meaningful hidden: stars only.
    constexpr std::string_view kStars = "*******";
    const std::size_t head = !phone.empty() && phone[0] == '+' ? 2 : 1;
    if (phone.size() < head + 4) return std::string(kStars);
    std::string out(phone.substr(0, head));
    out += kStars;
    out += phone.substr(phone.size() - 2);
    return out;
}

std::string mask_email(std::string_view email) {
    const auto at = email.rfind('@');
    if (at == std::string_view::npos || at == 0) return "***";
    std::string out;
    out.push_back(email[0]);
    out += "***";
    out += email.substr(at);
    return out;
}

std::string mask_contact(std::string_view contact) {
    if (contact.find('@') != std::string_view::npos) return mask_email(contact);
    if (!contact.empty() && (contact[0] == '+' || (contact[0] >= '0' && contact[0] <= '9'))) return mask_phone(contact);
    return "***";
}

}  // namespace kassa::log
