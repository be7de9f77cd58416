#include "fiscal/vat.hpp"

namespace kassa::fiscal {

std::optional<int> vat_rate_percent(VatClass vat_class) {
    switch (vat_class) {
        case VatClass::Vat22:
            return 22;
        case VatClass::Vat10:
            return 10;
        case VatClass::Vat0:
            return 0;
        case VatClass::None:
            return std::nullopt;
        case VatClass::Vat5:
            return 5;
        case VatClass::Vat7:
            return 7;
        case VatClass::Vat20:
            return 20;
    }
    return std::nullopt;
}

bool uses_calculated_rate(PaymentMethod method) {
    // fiscal-rules.md §2: prepayment receipts (1214 = 1, 2, 3) use X/(100+X) (НК ст. 164 п. 4).
    return method == PaymentMethod::FullPrepayment || method == PaymentMethod::PartialPrepayment ||
           method == PaymentMethod::Advance;
}

std::uint8_t vat_code_for(VatClass vat_class, PaymentMethod method) {
    const bool calc = uses_calculated_rate(method);
    switch (vat_class) {
        case VatClass::Vat22:
            return calc ? vat_code::kVat22Calc : vat_code::kVat22;
        case VatClass::Vat10:
            return calc ? vat_code::kVat10Calc : vat_code::kVat10;
        // §2 table: 0 % and «без НДС» have no calculated form; the same code on prepayments.
        case VatClass::Vat0:
            return vat_code::kVat0;
        case VatClass::None:
            return vat_code::kNone;
        case VatClass::Vat5:
            return calc ? vat_code::kVat5Calc : vat_code::kVat5;
        case VatClass::Vat7:
            return calc ? vat_code::kVat7Calc : vat_code::kVat7;
        case VatClass::Vat20:
            return calc ? vat_code::kVat20Calc : vat_code::kVat20;
    }
    return vat_code::kNone;
}

std::optional<int> vat_code_rate(std::uint8_t code) {
    switch (code) {
        case vat_code::kVat20:
        case vat_code::kVat20Calc:
            return 20;
        case vat_code::kVat10:
        case vat_code::kVat10Calc:
            return 10;
        case vat_code::kVat0:
        case vat_code::kNone:
            return 0;
        case vat_code::kVat5:
        case vat_code::kVat5Calc:
            return 5;
        case vat_code::kVat7:
        case vat_code::kVat7Calc:
            return 7;
        case vat_code::kVat22:
        case vat_code::kVat22Calc:
            return 22;
        default:
            return std::nullopt;
    }
}

bool is_calculated_code(std::uint8_t code) {
    return code == vat_code::kVat20Calc || code == vat_code::kVat10Calc || code == vat_code::kVat5Calc ||
           code == vat_code::kVat7Calc || code == vat_code::kVat22Calc;
}

__extension__ using Int128 = __int128;

Kopecks vat_in_amount(Kopecks amount, int rate_percent) {
    if (rate_percent <= 0) return Kopecks{0};
    // Both the actual rate on a price that includes VAT and the calculated rate extract VAT the
    // same way: amount × r / (100 + r) (fiscal-rules.md §2, "Rounding"). The product of an int64
    // and r < 100 fits in 128 bits; half up means adding half the divisor before dividing.
    const Int128 denominator = 100 + rate_percent;
    const Int128 magnitude = amount.value() < 0 ? -static_cast<Int128>(amount.value()) : amount.value();
    const Int128 numerator = magnitude * rate_percent * 2 + denominator;
    const Int128 vat = numerator / (denominator * 2);
    return Kopecks{static_cast<std::int64_t>(amount.value() < 0 ? -vat : vat)};
}

Kopecks vat_for_code(Kopecks amount, std::uint8_t code) {
    const auto rate = vat_code_rate(code);
    return rate ? vat_in_amount(amount, *rate) : Kopecks{0};
}

}  // namespace kassa::fiscal
