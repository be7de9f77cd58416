// Money as integer kopecks with overflow-checked arithmetic. No floating point on a money path.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace kassa::fiscal {

class Kopecks {
  public:
    constexpr Kopecks() = default;
    constexpr explicit Kopecks(std::int64_t value) : value_(value) {}

    constexpr std::int64_t value() const { return value_; }
    constexpr bool is_zero() const { return value_ == 0; }
    constexpr bool is_negative() const { return value_ < 0; }
    constexpr bool is_positive() const { return value_ > 0; }

    // Checked arithmetic: nullopt on int64 overflow.
    constexpr std::optional<Kopecks> checked_add(Kopecks o) const {
        std::int64_t r = 0;
        if (__builtin_add_overflow(value_, o.value_, &r)) return std::nullopt;
        return Kopecks{r};
    }
    constexpr std::optional<Kopecks> checked_sub(Kopecks o) const {
        std::int64_t r = 0;
        if (__builtin_sub_overflow(value_, o.value_, &r)) return std::nullopt;
        return Kopecks{r};
    }

    // Throwing arithmetic for code paths where inputs are already bounded by validation
    // (amounts ≤ 10^12 kopecks); overflow there is a programming error, not bad input.
    Kopecks operator+(Kopecks o) const;
    Kopecks operator-(Kopecks o) const;
    Kopecks& operator+=(Kopecks o) { return *this = *this + o; }
    Kopecks& operator-=(Kopecks o) { return *this = *this - o; }
    constexpr Kopecks operator-() const { return Kopecks{-value_}; }

    constexpr auto operator<=>(const Kopecks&) const = default;

    // "1234.50" (roubles with two decimals, '-' when negative): for receipt QR strings and texts.
    std::string to_roubles_string() const;

  private:
    std::int64_t value_ = 0;
};

constexpr Kopecks operator""_kop(unsigned long long v) { return Kopecks{static_cast<std::int64_t>(v)}; }

}  // namespace kassa::fiscal
