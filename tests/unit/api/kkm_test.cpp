// The KKMServer adapter's pure parts: exact decimal rubles, numbers kept as text, and how a
// RegisterCheck maps onto a Kassa receipt (peer-apis.md b1).
#include "api/compat/kkm.hpp"

#include "api/compat/common.hpp"

#include <gtest/gtest.h>

#include "api/errors.hpp"

namespace kassa::api::compat {
namespace {

TEST(KkmMoney, ParsesRublesToKopecksExactly) {
    EXPECT_EQ(parse_rubles("5000")->value(), 500000);
    EXPECT_EQ(parse_rubles("50.5")->value(), 5050);
    EXPECT_EQ(parse_rubles("0.01")->value(), 1);
    EXPECT_EQ(parse_rubles("1.230")->value(), 123);  // trailing zeros are not a fraction of a kopeck
    EXPECT_EQ(parse_rubles("-1.20")->value(), -120);
    // 0.1 + 0.2 in binary floating point is 0.30000000000000004: text keeps it exact.
    EXPECT_EQ(parse_rubles("0.30")->value(), 30);
    EXPECT_EQ(parse_rubles("99999999.99")->value(), 9999999999);
}

TEST(KkmMoney, RefusesFractionsOfAKopeckAndMalformedText) {
    EXPECT_EQ(parse_rubles("1.234").error().code, "invalid_money");
    EXPECT_EQ(parse_rubles("0.001").error().code, "invalid_money");
    for (const char* bad : {"", "-", "1.", ".5", "1e3", "1,5", " 1", "1 ", "abc", "--1", "99999999999999999999"})
        EXPECT_FALSE(parse_rubles(bad)) << bad;
}

TEST(KkmJson, QuotesNumbersButNotStrings) {
    EXPECT_EQ(quote_json_numbers(R"({"a": 1.10, "b": [-2, 3e1], "c": "4.5 \"6\"", "d": true})"),
              R"({"a": "1.10", "b": ["-2", "3e1"], "c": "4.5 \"6\"", "d": true})");
}

TEST(KkmCheckMapping, SettlementWithAdvanceOffsetFromThePeersExample) {
    const auto check = read_register_check((R"({
        "Command": "RegisterCheck", "NumDevice": 0, "InnKkm": "", "IdCommand": "ord-1042-final-1",
        "Timeout": 30, "IsFiscalCheck": true, "TypeCheck": 0, "NotPrint": true,
        "CashierName": "Иванов И.И.", "CashierVATIN": "430601071197",
        "ClientAddress": "+79990001122", "TaxVariant": "",
        "CheckStrings": [ { "Register": { "Name": "Доставка заказа 1042", "Quantity": 1,
             "Price": 5000, "Amount": 5000, "Tax": -1,
             "SignMethodCalculation": 4, "SignCalculationObject": 1 } },
             { "PrintText": { "Text": "Спасибо" } } ],
        "Cash": 0, "ElectronicPayment": 3000, "AdvancePayment": 2000, "Credit": 0, "CashProvision": 0 })"));
    EXPECT_EQ(check.id_command, "ord-1042-final-1");
    EXPECT_EQ(check.timeout_s, 30);
    EXPECT_FALSE(check.tax_system_given);
    const auto& r = check.receipt;
    EXPECT_EQ(r.sign, fiscal::CalcSign::Income);
    EXPECT_FALSE(r.is_correction());
    ASSERT_EQ(r.lines.size(), 1u);  // the text line is not a fiscal line
    EXPECT_EQ(r.lines[0].amount.value(), 500000);
    EXPECT_EQ(r.lines[0].method, fiscal::PaymentMethod::FullPayment);
    EXPECT_EQ(r.lines[0].vat_class, fiscal::VatClass::None);
    EXPECT_EQ(r.lines[0].vat_code, 6);  // 1199 = 6: without VAT
    EXPECT_EQ(r.total.value(), 500000);
    EXPECT_EQ(r.payments.electronic.value(), 300000);
    EXPECT_EQ(r.payments.prepayment.value(), 200000);  // 1215
    EXPECT_EQ(r.cashier, "Иванов И.И.");
    EXPECT_EQ(r.cashier_inn, "430601071197");
    EXPECT_EQ(r.buyer_contact, "+79990001122");
}

TEST(KkmCheckMapping, AdvanceGetsTheCalculatedRateAndCorrectionsTheirFields) {
    const auto advance = read_register_check((R"({"Command":"RegisterCheck","TypeCheck":0,
        "TaxVariant":"1","CheckStrings":[{"Register":{"Name":"Аванс","Quantity":1,"Price":2000,"Tax":22,
        "SignMethodCalculation":3,"SignCalculationObject":10}}],"ElectronicPayment":2000})"));
    EXPECT_TRUE(advance.tax_system_given);
    EXPECT_EQ(advance.receipt.tax_system, fiscal::TaxSystem::UsnIncome);
    EXPECT_EQ(advance.receipt.lines[0].vat_code, 12);  // 22/122
    EXPECT_EQ(advance.receipt.lines[0].subject, 10);
    EXPECT_EQ(advance.receipt.lines[0].amount.value(), 200000);  // Amount absent: Price × Quantity

    const auto correction = read_register_check((R"({"Command":"RegisterCheck","TypeCheck":13,
        "CorrectionType":1,"CorrectionBaseDate":"2026-11-30T00:00:00","CorrectionBaseNumber":"77-1",
        "CheckStrings":[{"Register":{"Name":"X","Quantity":2.5,"Price":10.10,"Amount":25.25,"Tax":-1}}],"Cash":25.25})"));
    EXPECT_EQ(correction.receipt.sign, fiscal::CalcSign::ExpenseReturn);
    ASSERT_TRUE(correction.receipt.correction);
    EXPECT_EQ(correction.receipt.correction->type, 1);
    EXPECT_EQ(correction.receipt.correction->order_number, "77-1");
    EXPECT_EQ(correction.receipt.correction->date_unix, 1795996800);  // 2026-11-30 00:00 UTC
    EXPECT_EQ(correction.receipt.lines[0].quantity.micro(), 2'500'000);
}

TEST(KkmCheckMapping, RefusesWhatItCannotReadNamingTheField) {
    const auto field_of = [](const char* body) {
        try {
            read_register_check((body));
        } catch (const ApiError& e) {
            return e.field() + " " + e.code();
        }
        return std::string("accepted");
    };
    EXPECT_EQ(field_of(R"({"CheckStrings":[{"Register":{"Name":"A","Quantity":1,"Price":1.005}}]})"),
              "CheckStrings[0].Register.Price invalid_money");
    EXPECT_EQ(field_of(R"({"CheckStrings":[{"Register":{"Name":"A","Quantity":1,"Price":1,"Tax":18}}]})"),
              "CheckStrings[0].Register.Tax invalid_field");
    EXPECT_EQ(field_of(R"({"TypeCheck":4,"CheckStrings":[]})"), "TypeCheck unsupported");
    EXPECT_EQ(field_of(R"({"CheckStrings":[],"Cash":-1})"), "Cash invalid_money");
    EXPECT_EQ(field_of(R"({"IsFiscalCheck":false,"CheckStrings":[]})"), "IsFiscalCheck unsupported");
    EXPECT_EQ(field_of(R"([1])"), " invalid_json");
}

}  // namespace
}  // namespace kassa::api::compat
