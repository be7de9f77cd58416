// ATOL Web-server receipt tasks as Kassa receipts (peer-apis.md b2).
#include "api/compat/atol_web.hpp"

#include <gtest/gtest.h>

#include "api/errors.hpp"

namespace kassa::api::compat {
namespace {

TEST(AtolReceiptTask, TheAdvanceOfThePeersExample) {
    const auto r = read_atol_receipt(R"({
        "type": "sell", "taxationType": "osn", "electronically": true, "ignoreNonFiscalPrintErrors": true,
        "operator": { "name": "Иванов", "vatin": "123654789507" },
        "clientInfo": { "emailOrPhone": "+79161234567" },
        "items": [ { "type": "position", "name": "Аванс по заказу 1042", "price": 2000,
                     "quantity": 1, "amount": 2000, "paymentMethod": "advance",
                     "paymentObject": "payment", "tax": { "type": "none" } },
                   { "type": "text", "text": "Спасибо" } ],
        "payments": [ { "type": "electronically", "sum": 2000 } ],
        "total": 2000 })");
    EXPECT_EQ(r.sign, fiscal::CalcSign::Income);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].method, fiscal::PaymentMethod::Advance);
    EXPECT_EQ(r.lines[0].subject, 10);
    EXPECT_EQ(r.lines[0].vat_code, 6);
    EXPECT_EQ(r.total.value(), 200000);
    EXPECT_EQ(r.payments.electronic.value(), 200000);
    EXPECT_EQ(r.cashier, "Иванов");
    EXPECT_EQ(r.cashier_inn, "123654789507");
    EXPECT_EQ(r.buyer_contact, "+79161234567");
}

TEST(AtolReceiptTask, SettlementWithPrepaidAndACorrection) {
    const auto settle = read_atol_receipt(R"({"type":"sellReturn","taxationType":"usnIncome","items":[
        {"type":"position","name":"A","price":50.05,"quantity":2,"amount":100.10,"paymentMethod":"fullPayment",
         "paymentObject":"service","tax":{"type":"vat22"}}],
        "payments":[{"type":"prepaid","sum":20},{"type":"electronically","sum":80.10}]})");
    EXPECT_EQ(settle.sign, fiscal::CalcSign::IncomeReturn);
    EXPECT_EQ(settle.tax_system, fiscal::TaxSystem::UsnIncome);
    EXPECT_EQ(settle.lines[0].vat_code, 11);  // 1199 = 11: 22 %
    EXPECT_EQ(settle.payments.prepayment.value(), 2000);
    EXPECT_EQ(settle.payments.electronic.value(), 8010);

    const auto corr = read_atol_receipt(R"({"type":"buyCorrection","correctionType":"instruction",
        "correctionBaseDate":"2026.11.30","correctionBaseNumber":"12-ФНС","items":[
        {"type":"position","name":"A","price":1,"quantity":1,"amount":1,"tax":{"type":"none"}}],
        "payments":[{"type":"cash","sum":1}]})");
    EXPECT_EQ(corr.sign, fiscal::CalcSign::Expense);
    ASSERT_TRUE(corr.correction);
    EXPECT_EQ(corr.correction->type, 1);
    EXPECT_EQ(corr.correction->date_unix, 1795996800);
    EXPECT_EQ(corr.correction->order_number, "12-ФНС");
}

TEST(AtolReceiptTask, RefusesSumsTheDeviceWouldRefuseAndUnknownNames) {
    const auto code_of = [](const char* task) {
        try {
            read_atol_receipt(task);
        } catch (const ApiError& e) {
            return e.code();
        }
        return std::string("accepted");
    };
    const char* line =
        R"("items":[{"type":"position","name":"A","price":10,"quantity":1,"amount":10,"tax":{"type":"none"}}])";
    EXPECT_EQ(code_of((std::string(R"({"type":"sell",)") + line + R"(,"payments":[{"type":"cash","sum":9}]})").c_str()),
              "amount_mismatch");
    EXPECT_EQ(
        code_of((std::string(R"({"type":"sell",)") + line + R"(,"payments":[{"type":"cash","sum":10}],"total":11})")
                    .c_str()),
        "amount_mismatch");
    EXPECT_EQ(
        code_of((std::string(R"({"type":"sell",)") + line + R"(,"payments":[{"type":"card","sum":10}]})").c_str()),
        "invalid_field");
    EXPECT_EQ(
        code_of((std::string(R"({"type":"sell",)") + line + R"(,"payments":[{"type":"cash","sum":9.999}]})").c_str()),
        "invalid_money");
    EXPECT_EQ(
        code_of((std::string(R"({"type":"sell",)") + line + R"(,"payments":[{"type":"cash","sum":10}]})").c_str()),
        "accepted");
}

}  // namespace
}  // namespace kassa::api::compat
