// Kopecks, Quantity and VAT: overflow, half-up rounding and the 1199 code table.
#include <gtest/gtest.h>

#include <climits>
#include <stdexcept>

#include "fiscal/money.hpp"
#include "fiscal/quantity.hpp"
#include "fiscal/vat.hpp"

namespace kassa::fiscal {
namespace {

__extension__ using Int128 = __int128;

TEST(FiscalMoney, CheckedArithmeticReportsOverflow) {
    const Kopecks max{INT64_MAX};
    const Kopecks min{INT64_MIN};
    EXPECT_FALSE(max.checked_add(Kopecks{1}).has_value());
    EXPECT_FALSE(min.checked_sub(Kopecks{1}).has_value());
    EXPECT_EQ(max.checked_add(Kopecks{-1})->value(), INT64_MAX - 1);
    EXPECT_THROW((void)(max + Kopecks{1}), std::overflow_error);
    EXPECT_THROW((void)(min - Kopecks{1}), std::overflow_error);
    EXPECT_EQ((Kopecks{150000} + Kopecks{700000}).value(), 850000);
}

TEST(FiscalMoney, RoublesStringHasTwoDecimals) {
    EXPECT_EQ(Kopecks{0}.to_roubles_string(), "0.00");
    EXPECT_EQ(Kopecks{5}.to_roubles_string(), "0.05");
    EXPECT_EQ(Kopecks{1000000}.to_roubles_string(), "10000.00");
    EXPECT_EQ(Kopecks{394326}.to_roubles_string(), "3943.26");
    EXPECT_EQ(Kopecks{-150}.to_roubles_string(), "-1.50");
    EXPECT_EQ(Kopecks{INT64_MIN}.to_roubles_string(), "-92233720368547758.08");
}

TEST(FiscalQuantity, ParsesAtMostSixFractionDigits) {
    EXPECT_EQ(Quantity::parse("2").value(), Quantity::whole(2));
    EXPECT_EQ(Quantity::parse("1.5").value().micro(), 1'500'000);
    EXPECT_EQ(Quantity::parse("0.000001").value().micro(), 1);
    EXPECT_EQ(Quantity::parse("0.125").value().to_string(), "0.125");
    EXPECT_EQ(Quantity::parse("0.125").value().fraction_digits(), 3);
    for (const char* bad : {"", ".", "1.0000001", "-1", "1e3", "1.2.3", " 1"}) {
        EXPECT_FALSE(Quantity::parse(bad).has_value()) << bad;
    }
}

TEST(FiscalQuantity, LineAmountRoundsHalfUpAndReportsOverflow) {
    // 1 kop × 0.5 = 0.5 kop → 1; × 0.499999 → 0; 3 kop × 0.5 = 1.5 → 2.
    EXPECT_EQ(line_amount(Kopecks{1}, Quantity::from_micro(500'000))->value(), 1);
    EXPECT_EQ(line_amount(Kopecks{1}, Quantity::from_micro(499'999))->value(), 0);
    EXPECT_EQ(line_amount(Kopecks{3}, Quantity::from_micro(500'000))->value(), 2);
    // 0.333 kg at 99.99 ₽: 9999 × 0.333 = 3329.667 → 3330.
    EXPECT_EQ(line_amount(Kopecks{9999}, Quantity::from_micro(333'000))->value(), 3330);
    EXPECT_EQ(line_amount(Kopecks{150000}, Quantity::whole(2))->value(), 300000);
    EXPECT_FALSE(line_amount(Kopecks{INT64_MAX}, Quantity::whole(2)).has_value());
    EXPECT_EQ(line_amount(Kopecks{INT64_MAX}, Quantity::whole(1))->value(), INT64_MAX);
}

TEST(FiscalVat, CodesFollowTheRateAndThePaymentMethod) {
    // fiscal-rules.md §2: actual rate for 1214 = 4..7 (7 when the goods' rate is kept), the
    // calculated rate for 1214 = 1..3.
    struct Row {
        VatClass vat_class;
        int actual;
        int calculated;
    };
    const Row rows[] = {{VatClass::Vat22, 11, 12}, {VatClass::Vat10, 2, 4}, {VatClass::Vat0, 5, 5},
                        {VatClass::None, 6, 6},    {VatClass::Vat5, 7, 9},  {VatClass::Vat7, 8, 10},
                        {VatClass::Vat20, 1, 3}};
    for (const auto& row : rows) {
        for (int m = 1; m <= 7; ++m) {
            const auto method = static_cast<PaymentMethod>(m);
            EXPECT_EQ(vat_code_for(row.vat_class, method), m <= 3 ? row.calculated : row.actual)
                << "class " << static_cast<int>(row.vat_class) << " method " << m;
        }
    }
}

TEST(FiscalVat, CodeRatesAndKinds) {
    const int rates[] = {0, 20, 10, 20, 10, 0, 0, 5, 7, 5, 7, 22, 22};
    for (int code = 1; code <= 12; ++code) {
        EXPECT_EQ(vat_code_rate(static_cast<std::uint8_t>(code)), rates[code]) << code;
        const bool calc = code == 3 || code == 4 || code == 9 || code == 10 || code == 12;
        EXPECT_EQ(is_calculated_code(static_cast<std::uint8_t>(code)), calc) << code;
    }
    EXPECT_FALSE(vat_code_rate(0).has_value());
    EXPECT_FALSE(vat_code_rate(13).has_value());
}

TEST(FiscalVat, WorkedNumbersOfTheRules) {
    // fiscal-rules.md §3 and scenarios.json: 22/122 and 22 % of the same amount are equal.
    EXPECT_EQ(vat_in_amount(Kopecks{300000}, 22).value(), 54098);
    EXPECT_EQ(vat_in_amount(Kopecks{700000}, 22).value(), 126230);
    EXPECT_EQ(vat_in_amount(Kopecks{1000000}, 22).value(), 180328);
    EXPECT_EQ(vat_in_amount(Kopecks{500000}, 22).value(), 90164);
    EXPECT_EQ(vat_in_amount(Kopecks{100000}, 22).value(), 18033);
    EXPECT_EQ(vat_in_amount(Kopecks{150000}, 22).value(), 27049);
    EXPECT_EQ(vat_in_amount(Kopecks{500000}, 10).value(), 45455);
    // §2 drift example: 900 → 162.30 and 2 100 → 378.69 add up to 540.99, 3 000 → 540.98.
    EXPECT_EQ(vat_in_amount(Kopecks{90000}, 22).value(), 16230);
    EXPECT_EQ(vat_in_amount(Kopecks{210000}, 22).value(), 37869);
    EXPECT_EQ(vat_for_code(Kopecks{300000}, vat_code::kVat22Calc).value(), 54098);
    EXPECT_EQ(vat_for_code(Kopecks{300000}, vat_code::kNone).value(), 0);
    EXPECT_EQ(vat_for_code(Kopecks{300000}, vat_code::kVat0).value(), 0);
}

TEST(FiscalVat, RoundsExactHalvesUp) {
    // At 20 % the VAT is amount / 6, so amounts 3 (mod 6) land exactly on a half kopeck.
    EXPECT_EQ(vat_in_amount(Kopecks{3}, 20).value(), 1);    // 0.5 → 1
    EXPECT_EQ(vat_in_amount(Kopecks{9}, 20).value(), 2);    // 1.5 → 2
    EXPECT_EQ(vat_in_amount(Kopecks{15}, 20).value(), 3);   // 2.5 → 3
    EXPECT_EQ(vat_in_amount(Kopecks{2}, 20).value(), 0);    // 0.33 → 0
    EXPECT_EQ(vat_in_amount(Kopecks{4}, 20).value(), 1);    // 0.67 → 1
    EXPECT_EQ(vat_in_amount(Kopecks{-3}, 20).value(), -1);  // half away from zero on refunds
    // At 22 % (amount × 11 / 61) no amount lands on a half: 61 → 11 exactly, 30 → 5.41 → 5,
    // 31 → 5.59 → 6.
    EXPECT_EQ(vat_in_amount(Kopecks{61}, 22).value(), 11);
    EXPECT_EQ(vat_in_amount(Kopecks{30}, 22).value(), 5);
    EXPECT_EQ(vat_in_amount(Kopecks{31}, 22).value(), 6);
    EXPECT_EQ(vat_in_amount(Kopecks{0}, 22).value(), 0);
}

TEST(FiscalVat, NeverOverflowsAndStaysWithinHalfAKopeck) {
    // |vat × (100 + r) − amount × r| ≤ (100 + r) / 2 for any int64 amount, checked in 128 bits.
    for (int r : {5, 7, 10, 20, 22}) {
        for (std::int64_t a : {INT64_MAX, INT64_MAX - 1, std::int64_t{9'999'999'999}, std::int64_t{1}, -INT64_MAX}) {
            const Int128 vat = vat_in_amount(Kopecks{a}, r).value();
            const Int128 diff = vat * (100 + r) - static_cast<Int128>(a) * r;
            EXPECT_LE(diff < 0 ? -diff : diff, (100 + r) / 2) << r << " " << a;
        }
    }
}

}  // namespace
}  // namespace kassa::fiscal
