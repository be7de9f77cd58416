// Quantity in fixed point with six fraction digits (FFD 1.2 allows up to six; FVLN tag 1023).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "fiscal/money.hpp"

namespace kassa::fiscal {

class Quantity {
  public:
    static constexpr std::int64_t kScale = 1'000'000;  // units of 10^-6

    constexpr Quantity() = default;
    static constexpr Quantity from_micro(std::int64_t micro) { return Quantity{micro}; }
    static constexpr Quantity whole(std::int64_t units) { return Quantity{units * kScale}; }

    // Parses "2", "1.5", "0.000001"; at most 6 fraction digits, no sign, no exponent.
    static Result<Quantity> parse(std::string_view text);

    constexpr std::int64_t micro() const { return micro_; }
    constexpr bool is_positive() const { return micro_ > 0; }
    // Shortest decimal form: "2", "1.5", "0.125".
    std::string to_string() const;
    // Number of fraction digits actually used (0..6): the FVLN point position.
    int fraction_digits() const;

    constexpr auto operator<=>(const Quantity&) const = default;
    constexpr Quantity operator+(Quantity o) const { return Quantity{micro_ + o.micro_}; }
    constexpr Quantity operator-(Quantity o) const { return Quantity{micro_ - o.micro_}; }

  private:
    constexpr explicit Quantity(std::int64_t micro) : micro_(micro) {}
    std::int64_t micro_ = 0;
};

// price × quantity rounded half up to whole kopecks; nullopt on overflow.
std::optional<Kopecks> line_amount(Kopecks price, Quantity qty);

}  // namespace kassa::fiscal
