// Receipt validation, contacts, INN, CP866 text.
#include <gtest/gtest.h>

#include <functional>

#include "fiscal/cp866.hpp"
#include "fiscal/planner.hpp"
#include "fiscal/validate.hpp"

namespace kassa::fiscal {
namespace {

TEST(FiscalContact, AcceptsPhonesAndEmails) {
    for (const char* ok_contact :
         {"+79001234567", "a@b.ru", "user.name+tag@mail.example.com", "x_y@sub-domain.rf.ru"}) {
        EXPECT_TRUE(validate_contact(ok_contact).has_value()) << ok_contact;
    }
}

TEST(FiscalContact, RejectsAnythingElse) {
    const std::string long_mail = std::string(60, 'a') + "@b.ru";  // 65 characters
    for (const std::string& bad : std::vector<std::string>{
             "call me maybe", "89001234567", "+7900123456", "+790012345678", "+7900123456a", "+19001234567", "a@b",
             "@b.ru", "a@@b.ru", "a b@c.ru", "a@b..ru", "a@-b.ru", ".a@b.ru", "", long_mail}) {
        const auto s = validate_contact(bad);
        ASSERT_FALSE(s.has_value()) << bad;
        EXPECT_EQ(s.error().code, "invalid_contact") << bad;
    }
}

TEST(FiscalInn, TwelveDigits) {
    EXPECT_TRUE(validate_inn12("500100732259").has_value());
    for (const char* bad : {"50010073225", "5001007322591", "50010073225x", ""}) {
        EXPECT_EQ(validate_inn12(bad).error().code, "invalid_inn") << bad;
    }
}

TEST(FiscalCp866, EncodesRussianAndPseudographics) {
    // А 80, я EF, Ё F0, ё F1, № FC, ░ B0, ▀ DF, no-break space FF.
    EXPECT_EQ(utf8_to_cp866("Ая Ёё №░▀\u00A0").value(), "\x80\xEF\x20\xF0\xF1\x20\xFC\xB0\xDF\xFF");
    EXPECT_EQ(utf8_to_cp866("ASCII 1-2").value(), "ASCII 1-2");
}

TEST(FiscalCp866, EveryByteRoundTrips) {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    const std::string utf8 = cp866_to_utf8(all);
    EXPECT_EQ(utf8_to_cp866(utf8).value(), all);
    EXPECT_EQ(utf8_length(utf8), 256u);
}

TEST(FiscalCp866, RejectsWhatItCannotEncode) {
    EXPECT_EQ(utf8_to_cp866("€").error().code, "text_not_cp866");
    EXPECT_EQ(utf8_to_cp866("Ї").value(), "\xF4");  // Ukrainian Ї is in CP866, ґ is not
    EXPECT_EQ(utf8_to_cp866("ґ").error().code, "text_not_cp866");
    EXPECT_EQ(utf8_to_cp866("\xFF").error().code, "invalid_utf8");
    EXPECT_EQ(utf8_to_cp866("\xC0\xAF").error().code, "invalid_utf8");      // overlong '/'
    EXPECT_EQ(utf8_to_cp866("\xD0").error().code, "invalid_utf8");          // truncated
    EXPECT_EQ(utf8_to_cp866("\xED\xA0\x80").error().code, "invalid_utf8");  // surrogate
}

// A valid receipt: Товар А and Товар Б of order №123 at handover, 7 000 cash + 3 000 offset.
Receipt valid_receipt() {
    Receipt r;
    for (auto [name, qty, price] : {std::tuple{"Товар А", 2, 150000}, {"Товар Б", 1, 700000}}) {
        auto l = make_line(name, Quantity::whole(qty), 0, Kopecks{price}, PaymentMethod::FullPayment, subject::kGoods,
                           VatClass::Vat22);
        r.lines.push_back(*l);
    }
    r.payments.cash = Kopecks{700000};
    r.payments.prepayment = Kopecks{300000};
    r.total = Kopecks{1000000};
    r.cashier = "Курьер Иванов";
    r.cashier_inn = "500100732259";
    r.buyer_contact = "a@b.ru";
    return r;
}

TEST(FiscalValidate, AcceptsAValidReceipt) {
    const auto s = validate_receipt(valid_receipt());
    EXPECT_TRUE(s.has_value()) << s.error().message;
}

TEST(FiscalValidate, EachBrokenRuleHasItsCode) {
    struct Case {
        const char* what;
        std::function<void(Receipt&)> breaks;
        const char* code;
    };
    const std::vector<Case> cases = {
        {"no lines", [](Receipt& r) { r.lines.clear(); }, "empty_receipt"},
        {"zero quantity", [](Receipt& r) { r.lines[0].quantity = Quantity{}; }, "invalid_line"},
        {"zero price", [](Receipt& r) { r.lines[0].price = Kopecks{0}; }, "invalid_line"},
        {"negative price", [](Receipt& r) { r.lines[0].price = Kopecks{-1}; }, "invalid_line"},
        {"amount not price × qty", [](Receipt& r) { r.lines[0].amount = Kopecks{299999}; }, "invalid_line"},
        {"empty name", [](Receipt& r) { r.lines[0].name.clear(); }, "invalid_line"},
        {"1212 = 0", [](Receipt& r) { r.lines[0].subject = 0; }, "invalid_line"},
        {"2108 = 5", [](Receipt& r) { r.lines[0].unit = 5; }, "invalid_line"},
        {"1214 = 8", [](Receipt& r) { r.lines[0].method = static_cast<PaymentMethod>(8); }, "invalid_line"},
        {"129-character name", [](Receipt& r) { r.lines[0].name = std::string(129, 'x'); }, "text_too_long"},
        {"emoji in a name", [](Receipt& r) { r.lines[0].name = "Товар 🍵"; }, "text_not_cp866"},
        {"control character", [](Receipt& r) { r.lines[0].name = "Товар\n"; }, "invalid_text"},
        {"calculated rate at handover", [](Receipt& r) { r.lines[0].vat_code = 12; }, "vat_mismatch"},
        {"unknown 1199", [](Receipt& r) { r.lines[0].vat_code = 13; }, "vat_mismatch"},
        {"VAT off by a kopeck", [](Receipt& r) { r.lines[0].vat = Kopecks{54099}; }, "vat_mismatch"},
        {"cash above the total (change)", [](Receipt& r) { r.payments.cash = Kopecks{800000}; }, "amount_mismatch"},
        {"payments short", [](Receipt& r) { r.payments.prepayment = Kopecks{200000}; }, "amount_mismatch"},
        {"lines ≠ total",
         [](Receipt& r) {
             r.total = Kopecks{1100000};
             r.payments.cash = Kopecks{800000};
         },
         "amount_mismatch"},
        {"negative payment",
         [](Receipt& r) {
             r.payments.cash = Kopecks{1100000};
             r.payments.electronic = Kopecks{-100000};
         },
         "invalid_payment"},
        {"credit without a credit line",
         [](Receipt& r) {
             r.payments.cash = Kopecks{400000};
             r.payments.credit = Kopecks{300000};
         },
         "credit_mismatch"},
        {"credit line without credit",
         [](Receipt& r) {
             for (auto& l : r.lines) l.method = PaymentMethod::PartialPaymentAndCredit;
         },
         "credit_mismatch"},
        {"two tax systems", [](Receipt& r) { r.tax_system = static_cast<TaxSystem>(0x03); }, "invalid_tax_system"},
        {"no tax system", [](Receipt& r) { r.tax_system = static_cast<TaxSystem>(0); }, "invalid_tax_system"},
        {"bit 6 tax system", [](Receipt& r) { r.tax_system = static_cast<TaxSystem>(0x40); }, "invalid_tax_system"},
        {"short cashier INN", [](Receipt& r) { r.cashier_inn = "12345"; }, "invalid_inn"},
        {"bad contact", [](Receipt& r) { r.buyer_contact = "call me maybe"; }, "invalid_contact"},
        {"65-character cashier", [](Receipt& r) { r.cashier = std::string(65, 'x'); }, "text_too_long"},
        {"244-character address", [](Receipt& r) { r.settlement_address = std::string(244, 'x'); }, "text_too_long"},
        {"17-character 1192", [](Receipt& r) { r.additional_attribute = std::string(17, '1'); }, "text_too_long"},
        {"1054 = 5", [](Receipt& r) { r.sign = static_cast<CalcSign>(5); }, "invalid_sign"},
        {"by order without 1179",
         [](Receipt& r) {
             r.correction = Correction{1, 1792022400, ""};
         },
         "invalid_correction"},
        {"1179 on own initiative",
         [](Receipt& r) {
             r.correction = Correction{0, 1792022400, "1"};
         },
         "invalid_correction"},
        {"1173 = 2",
         [](Receipt& r) {
             r.correction = Correction{2, 1792022400, "1"};
         },
         "invalid_correction"},
        {"no 1178",
         [](Receipt& r) {
             r.correction = Correction{0, 0, ""};
         },
         "invalid_correction"},
    };
    for (const auto& c : cases) {
        Receipt r = valid_receipt();
        c.breaks(r);
        const auto s = validate_receipt(r);
        ASSERT_FALSE(s.has_value()) << c.what;
        EXPECT_EQ(s.error().code, c.code) << c.what << ": " << s.error().message;
    }
}

TEST(FiscalValidate, ReturnOfACreditSaleMayBeRefundedInMoney) {
    Receipt r = valid_receipt();
    for (auto& l : r.lines) l.method = PaymentMethod::PartialPaymentAndCredit;
    EXPECT_EQ(validate_receipt(r).error().code, "credit_mismatch");
    r.sign = CalcSign::IncomeReturn;
    EXPECT_TRUE(validate_receipt(r).has_value());
}

TEST(FiscalValidate, LimitsAreInclusive) {
    Receipt r = valid_receipt();
    r.lines[0].name = std::string(128, 'x');
    r.cashier = "Курьер " + std::string(57, 'x');  // 64 characters, 71 bytes of UTF-8
    r.settlement_address = std::string(243, 'x');
    r.additional_attribute = std::string(16, '1');
    r.correction = Correction{1, 1792022400, std::string(32, '1')};
    const auto s = validate_receipt(r);
    EXPECT_TRUE(s.has_value()) << s.error().message;
    r.correction->order_number += "1";
    EXPECT_EQ(validate_receipt(r).error().code, "text_too_long");
}

Receipt many_lines(std::size_t n, std::size_t name_length) {
    Receipt r;
    for (std::size_t i = 0; i < n; ++i) {
        r.lines.push_back(*make_line(std::string(name_length, 'x'), Quantity::whole(1), 0, Kopecks{100},
                                     PaymentMethod::FullPayment, subject::kGoods, VatClass::Vat22));
    }
    r.total = Kopecks{static_cast<std::int64_t>(100 * n)};
    r.payments.cash = r.total;
    return r;
}

TEST(FiscalValidate, LineCountAndDocumentSize) {
    EXPECT_TRUE(validate_receipt(many_lines(249, 10)).has_value());
    EXPECT_EQ(validate_receipt(many_lines(250, 10)).error().code, "too_many_lines");
    // 249 lines with 128-character names: each 1059 is 4 + (4+128) + (4+1) + (4+2) + (4+1) + 4×5 + (4+1)
    // = 177 bytes, 249 × 177 = 44 073 > 32 768.
    EXPECT_EQ(validate_receipt(many_lines(249, 128)).error().code, "receipt_too_large");
}

TEST(FiscalValidate, TotalLimit) {
    Receipt r = many_lines(2, 1);
    r.lines[0] = *make_line("x", Quantity::whole(1), 0, Kopecks{9'999'999'999}, PaymentMethod::FullPayment,
                            subject::kGoods, VatClass::Vat22);
    r.total = Kopecks{9'999'999'999 + 100};
    r.payments.cash = r.total;
    EXPECT_EQ(validate_receipt(r).error().code, "total_too_large");
}

TEST(FiscalValidate, OrderLines) {
    OrderLine l{"A", "Товар А", Quantity::whole(1), 0, Kopecks{100}, VatClass::Vat22, 1};
    EXPECT_TRUE(validate_order_line(l).has_value());
    for (auto breaks : std::vector<std::function<void(OrderLine&)>>{
             [](OrderLine& x) { x.price = Kopecks{-100}; }, [](OrderLine& x) { x.quantity = Quantity{}; },
             [](OrderLine& x) { x.sku.clear(); }, [](OrderLine& x) { x.name.clear(); },
             [](OrderLine& x) { x.subject = 40; }, [](OrderLine& x) { x.price = Kopecks{10'000'000'000}; },
             // 0.000001 × 1.00 rounds to 0 kopecks: a line no register prints.
             [](OrderLine& x) { x.quantity = Quantity::from_micro(1); }}) {
        OrderLine x = l;
        breaks(x);
        EXPECT_EQ(validate_order_line(x).error().code, "invalid_line");
    }
    Order o{"1", "C1", "", {l, l}};
    EXPECT_EQ(validate_order(o).error().code, "invalid_line");  // the same sku twice
}

TEST(FiscalValidate, AReceiptLineOfZeroKopecksIsRefused) {
    auto r = valid_receipt();
    r.lines.push_back(r.lines[0]);
    r.lines.back().quantity = Quantity::from_micro(1);
    r.lines.back().price = Kopecks{100};
    r.lines.back().amount = Kopecks{0};
    r.lines.back().vat = Kopecks{0};
    EXPECT_EQ(validate_receipt(r).error().code, "invalid_line");
}

}  // namespace
}  // namespace kassa::fiscal
