// The stored form of a planned receipt round-trips exactly.
#include "ledger/detail/plan_json.hpp"

#include <gtest/gtest.h>

#include "ledger/error.hpp"

namespace kassa::ledger {
namespace {

using namespace kassa::fiscal;

PlannedReceipt sample() {
    PlannedReceipt p;
    p.receipt.sign = CalcSign::IncomeReturn;
    ReceiptLine l;
    l.name = "Товар «А»\n\"quoted\"";
    l.quantity = Quantity::from_micro(1'500'001);
    l.unit = 11;
    l.price = Kopecks{150000};
    l.amount = Kopecks{225000};
    l.method = PaymentMethod::PartialPaymentAndCredit;
    l.subject = subject::kService;
    l.vat_class = VatClass::Vat10;
    l.vat_code = 2;
    l.vat = Kopecks{20455};
    l.sku = "A-1";
    p.receipt.lines = {l, l};
    p.receipt.payments = Payments{Kopecks{1}, Kopecks{2}, Kopecks{3}, Kopecks{4}, Kopecks{5}};
    p.receipt.total = Kopecks{450000};
    p.receipt.tax_system = TaxSystem::UsnIncome;
    p.receipt.cashier = "Иванов И.И.";
    p.receipt.cashier_inn = "123456789012";
    p.receipt.buyer_contact = "+79001234567";
    p.receipt.settlement_address = "Москва";
    p.receipt.settlement_place = "shop.example";
    p.receipt.correction = Correction{1, 1'790'000'000, "12-34"};
    p.receipt.additional_attribute = "1234567890";
    p.customer = "C1";
    p.orders = {"123", "124"};
    p.balance_moves = {{Account::CustomerAdvance, "C1", Kopecks{-5}}, {Account::OrderCredit, "123", Kopecks{7}}};
    p.return_moves = {{"123", "A-1", Quantity::whole(1)}};
    p.state_moves = {{"124", OrderState::Cancelled}};
    return p;
}

TEST(LedgerPlanJson, RoundTripsEveryField) {
    const auto p = sample();
    EXPECT_EQ(detail::decode_planned_receipt(detail::encode_planned_receipt(p)), p);
}

TEST(LedgerPlanJson, RoundTripsAnEmptyReceipt) {
    const PlannedReceipt p;
    EXPECT_EQ(detail::decode_planned_receipt(detail::encode_planned_receipt(p)), p);
}

TEST(LedgerPlanJson, GarbageIsAStorageError) {
    for (const char* bad :
         {"", "{", "[]", "{\"format\": 99}", "{\"format\": 1}", "{\"format\":1,\"receipt\":{\"lines\":5}}"}) {
        try {
            detail::decode_planned_receipt(bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const LedgerError& e) {
            EXPECT_EQ(e.code(), "storage_error") << bad;
        }
    }
}

}  // namespace
}  // namespace kassa::ledger
