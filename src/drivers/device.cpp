#include "drivers/device.hpp"

namespace kassa::drivers {

std::string_view outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Done:
            return "done";
        case Outcome::RetryLater:
            return "retry_later";
        case Outcome::RetryNow:
            return "retry_now";
        case Outcome::NeedsOperator:
            return "needs_operator";
        case Outcome::DeviceStopped:
            return "device_stopped";
        case Outcome::Rejected:
            return "rejected";
    }
    return "unknown";
}

std::string DeviceError::to_string() const {
    std::string s{outcome_name(outcome)};
    s += ": " + message;
    if (device_code >= 0) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        s += " (device error ";
        s += kHex[(device_code >> 4) & 0xF];
        s += kHex[device_code & 0xF];
        s += "h " + device_text + ")";
    }
    if (maybe_executed) s += " [may have been executed]";
    return s;
}

std::string hex_of(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string s;
    for (const auto b : bytes) {
        if (!s.empty()) s += ' ';
        s += kDigits[b >> 4];
        s += kDigits[b & 0xF];
    }
    return s;
}

}  // namespace kassa::drivers
