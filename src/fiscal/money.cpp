#include "fiscal/money.hpp"

#include <stdexcept>

namespace kassa::fiscal {

Kopecks Kopecks::operator+(Kopecks o) const {
    auto r = checked_add(o);
    if (!r) throw std::overflow_error("Kopecks overflow in +");
    return *r;
}

Kopecks Kopecks::operator-(Kopecks o) const {
    auto r = checked_sub(o);
    if (!r) throw std::overflow_error("Kopecks overflow in -");
    return *r;
}

std::string Kopecks::to_roubles_string() const {
    // Work on the magnitude as unsigned so INT64_MIN has a positive counterpart.
    const bool negative = value_ < 0;
    const std::uint64_t magnitude =
        negative ? static_cast<std::uint64_t>(-(value_ + 1)) + 1 : static_cast<std::uint64_t>(value_);
    std::string out = negative ? "-" : "";
    out += std::to_string(magnitude / 100);
    out += '.';
    const auto cents = magnitude % 100;
    out += static_cast<char>('0' + cents / 10);
    out += static_cast<char>('0' + cents % 10);
    return out;
}

}  // namespace kassa::fiscal
