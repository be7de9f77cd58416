#include "fiscal/quantity.hpp"

#include <cstdlib>

namespace kassa::fiscal {

Result<Quantity> Quantity::parse(std::string_view text) {
    auto bad = [&](const char* why) {
        return fail("invalid_quantity", "quantity '" + std::string(text) + "': " + why);
    };
    if (text.empty()) return bad("empty");
    std::int64_t units = 0;
    std::int64_t frac = 0;
    int frac_digits = 0;
    bool seen_point = false;
    bool seen_digit = false;
    for (char c : text) {
        if (c == '.') {
            if (seen_point) return bad("two decimal points");
            seen_point = true;
            continue;
        }
        if (c < '0' || c > '9') return bad("not a decimal number");
        seen_digit = true;
        if (seen_point) {
            if (++frac_digits > 6) return bad("more than 6 fraction digits");
            frac = frac * 10 + (c - '0');
        } else {
            if (units > 99'999'999'999) return bad("too large");
            units = units * 10 + (c - '0');
        }
    }
    if (!seen_digit) return bad("no digits");
    for (int i = frac_digits; i < 6; ++i) frac *= 10;
    return Quantity{units * kScale + frac};
}

std::string Quantity::to_string() const {
    std::string out = std::to_string(micro_ / kScale);
    std::int64_t frac = std::llabs(micro_ % kScale);
    if (frac == 0) return out;
    std::string digits = std::to_string(frac);
    digits.insert(0, 6 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return out + "." + digits;
}

int Quantity::fraction_digits() const {
    std::int64_t frac = std::llabs(micro_ % kScale);
    if (frac == 0) return 0;
    int digits = 6;
    while (frac % 10 == 0) {
        frac /= 10;
        --digits;
    }
    return digits;
}

// GCC's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ using Int128 = __int128;

std::optional<Kopecks> line_amount(Kopecks price, Quantity qty) {
    // Exact product in 128 bits, then half-up rounding of the 10^-6 fraction.
    const Int128 product = static_cast<Int128>(price.value()) * qty.micro();
    const Int128 scale = Quantity::kScale;
    const Int128 rounded = product >= 0 ? (product + scale / 2) / scale : -((-product + scale / 2) / scale);
    if (rounded > INT64_MAX || rounded < INT64_MIN) return std::nullopt;
    return Kopecks{static_cast<std::int64_t>(rounded)};
}

}  // namespace kassa::fiscal
