// VAT: the tag 1199 code of a line and the VAT sum (tag 1200) in its amount.
// Rules: fiscal-rules.md §1.5 (code list) and §2 (actual rate at handover, calculated rate on
// prepayments, half-up rounding per line). Integer arithmetic only.
#pragma once

#include <cstdint>
#include <optional>

#include "fiscal/money.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

// Tag 1199 codes (fiscal-rules.md §1.5).
namespace vat_code {
inline constexpr std::uint8_t kVat20 = 1;
inline constexpr std::uint8_t kVat10 = 2;
inline constexpr std::uint8_t kVat20Calc = 3;  // 20/120
inline constexpr std::uint8_t kVat10Calc = 4;  // 10/110
inline constexpr std::uint8_t kVat0 = 5;
inline constexpr std::uint8_t kNone = 6;  // «НДС не облагается»
inline constexpr std::uint8_t kVat5 = 7;
inline constexpr std::uint8_t kVat7 = 8;
inline constexpr std::uint8_t kVat5Calc = 9;   // 5/105
inline constexpr std::uint8_t kVat7Calc = 10;  // 7/107
inline constexpr std::uint8_t kVat22 = 11;
inline constexpr std::uint8_t kVat22Calc = 12;  // 22/122
}  // namespace vat_code

// The rate of a class in whole percent (22, 10, 0, 5, 7, 20); nullopt for VatClass::None.
std::optional<int> vat_rate_percent(VatClass vat_class);

// True for 1214 = 1, 2, 3 (prepayment, partial prepayment, advance): these carry the calculated
// rate X/(100+X); every other method carries the actual rate.
bool uses_calculated_rate(PaymentMethod method);

// The 1199 code for a good of `vat_class` settled with `method`.
std::uint8_t vat_code_for(VatClass vat_class, PaymentMethod method);

// The rate behind a 1199 code in whole percent (0 for codes 5 and 6); nullopt for an unknown code.
std::optional<int> vat_code_rate(std::uint8_t code);

// True when `code` is a calculated-rate code (3, 4, 9, 10, 12).
bool is_calculated_code(std::uint8_t code);

// VAT contained in `amount` at `rate_percent`: amount × r / (100 + r), rounded half up (away from
// zero for negative amounts) to whole kopecks. Exact for every int64 amount.
Kopecks vat_in_amount(Kopecks amount, int rate_percent);

// The 1200 sum of a line with 1199 = `code` and amount `amount` (0 for codes 5, 6 and unknown).
Kopecks vat_for_code(Kopecks amount, std::uint8_t code);

}  // namespace kassa::fiscal
