// Planner cases beyond scenarios.json: policies, change, credit, cancellations, corrections and
// the error codes. Expected numbers are worked out in the comments.
#include <gtest/gtest.h>

#include <tuple>

#include "fact_store.hpp"
#include "fiscal/planner.hpp"

namespace kassa::fiscal {
namespace {

using testing::FactStore;

// Order №123 of fiscal-rules.md §3: A 2 × 1 500.00, B 1 × 7 000.00, both 22 %; total 10 000.00.
Order order_123() {
    return Order{"123",
                 "C1",
                 "7701234567",
                 {OrderLine{"A", "Товар А", Quantity::whole(2), 0, Kopecks{150000}, VatClass::Vat22, 1},
                  OrderLine{"B", "Товар Б", Quantity::whole(1), 0, Kopecks{700000}, VatClass::Vat22, 1}}};
}

// A mixed-rate order: A 3 000.00 at 22 %, C 5 000.00 at 10 %; total 8 000.00.
Order order_mixed() {
    return Order{"200",
                 "C1",
                 "",
                 {OrderLine{"A", "Товар А", Quantity::whole(2), 0, Kopecks{150000}, VatClass::Vat22, 1},
                  OrderLine{"C", "Товар В", Quantity::whole(1), 0, Kopecks{500000}, VatClass::Vat10, 1}}};
}

const ReceiptContext kCtx{TaxSystem::Osn, "Курьер Иванов", "", "", "", ""};

Plan must(Result<Plan> r) {
    EXPECT_TRUE(r.has_value()) << r.error().code << ": " << r.error().message;
    return r.value_or(Plan{});
}

std::string code_of(const Result<Plan>& r) { return r ? std::string("ok") : r.error().code; }

TEST(FiscalPlanner, PaymentWithAllocationAndAdvanceRestIsOneReceipt) {
    FactStore s;
    s.add_order(order_123());
    // 12 000 by card: 3 000 for №123, the 9 000 rest is an advance.
    const Plan plan =
        must(plan_event(PaymentEvent{"C1", Kopecks{0}, Kopecks{1200000}, {{"123", Kopecks{300000}}}}, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& pr = plan.receipts[0];
    ASSERT_EQ(pr.receipt.lines.size(), 2u);
    EXPECT_EQ(pr.receipt.lines[0].method, PaymentMethod::PartialPrepayment);
    EXPECT_EQ(pr.receipt.lines[0].amount.value(), 300000);
    EXPECT_EQ(pr.receipt.lines[1].method, PaymentMethod::Advance);
    EXPECT_EQ(pr.receipt.lines[1].amount.value(), 900000);
    EXPECT_EQ(pr.receipt.lines[1].vat.value(), 162295);  // 900 000 × 22 / 122 = 162 295.08
    EXPECT_EQ(pr.receipt.payments.electronic.value(), 1200000);
    EXPECT_EQ(pr.orders, std::vector<std::string>{"123"});
    EXPECT_EQ(pr.balance_moves, (std::vector<BalanceMove>{{Account::OrderPrepaid, "123", Kopecks{300000}},
                                                          {Account::CustomerAdvance, "C1", Kopecks{900000}}}));
}

TEST(FiscalPlanner, PartialPrepaymentOfAMixedOrderIsSplitByVatClass) {
    FactStore s;
    s.add_order(order_mixed());
    // 1 000.01 ₽: A's share 100 001 × 300 000 / 800 000 = 37 500.375 → 37 500 (floor); the
    // residue 62 501 goes to the last class. VAT: 37 500 × 22/122 = 6 762.30 → 6 762;
    // 62 501 × 10/110 = 5 681.91 → 5 682.
    const Plan plan =
        must(plan_event(PaymentEvent{"C1", Kopecks{100001}, Kopecks{0}, {{"200", Kopecks{100001}}}}, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& lines = plan.receipts[0].receipt.lines;
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].name, "Предоплата по заказу №200");
    EXPECT_EQ(lines[0].amount.value(), 37500);
    EXPECT_EQ(lines[0].vat_code, 12);
    EXPECT_EQ(lines[0].vat.value(), 6762);
    EXPECT_EQ(lines[1].amount.value(), 62501);
    EXPECT_EQ(lines[1].vat_code, 4);
    EXPECT_EQ(lines[1].vat.value(), 5682);
    EXPECT_EQ(plan.receipts[0].receipt.total.value(), 100001);
}

TEST(FiscalPlanner, OneReceiptPerOrderPolicyDealsElectronicMoneyFirst) {
    FactStore s;
    s.add_order(order_123());
    s.add_order(order_mixed());
    PlannerPolicy policy;
    policy.one_receipt_per_payment = false;
    // 5 000 cash + 12 000 card: №123 takes 10 000 (card), №200 takes 2 000 card + 3 000 cash,
    // the 2 000 cash left is an advance.
    const Plan plan = must(plan_event(
        PaymentEvent{"C1", Kopecks{500000}, Kopecks{1200000}, {{"123", Kopecks{1000000}}, {"200", Kopecks{500000}}}},
        s.facts(), kCtx, policy));
    ASSERT_EQ(plan.receipts.size(), 3u);
    EXPECT_EQ(plan.receipts[0].receipt.payments, (Payments{Kopecks{0}, Kopecks{1000000}, {}, {}, {}}));
    EXPECT_EQ(plan.receipts[0].receipt.lines[0].method, PaymentMethod::FullPrepayment);
    EXPECT_EQ(plan.receipts[1].receipt.payments, (Payments{Kopecks{300000}, Kopecks{200000}, {}, {}, {}}));
    EXPECT_EQ(plan.receipts[2].receipt.payments, (Payments{Kopecks{200000}, Kopecks{0}, {}, {}, {}}));
    EXPECT_EQ(plan.receipts[2].receipt.lines[0].method, PaymentMethod::Advance);
}

TEST(FiscalPlanner, CashAboveWhatIsDueIsChange) {
    FactStore s;
    s.add_order(order_123());
    const Plan plan =
        must(plan_event(DeliveryEvent{"123", Kopecks{1050000}, Kopecks{0}, {}, {}, std::nullopt}, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    EXPECT_EQ(plan.receipts[0].receipt.payments.cash.value(), 1000000);  // 1031 net of change
    EXPECT_EQ(plan.change.value(), 50000);
    EXPECT_EQ(plan.receipts[0].state_moves,
              (std::vector<StateMove>{{"123", OrderState::Delivered, PaymentMethod::FullPayment}}));
    // A card cannot be given change.
    EXPECT_EQ(code_of(plan_event(DeliveryEvent{"123", Kopecks{0}, Kopecks{1050000}, {}, {}, ExcessHandling::Change},
                                 s.facts(), kCtx)),
              "electronic_exceeds_due");
}

TEST(FiscalPlanner, OverpaymentInOneReceiptWhenThePolicySaysSo) {
    FactStore s;
    s.add_order(order_123());
    s.order("123").prepaid = Kopecks{300000};
    PlannerPolicy policy;
    policy.overpayment_separate_receipt = false;
    // §3.6's combined variant: lines A, B at 4 and «Аванс» 1 000 at 3; 1031 = 8 000,
    // 1215 = 3 000, 1020 = 11 000.
    const Plan plan = must(plan_event(DeliveryEvent{"123", Kopecks{800000}, {}, {}, {}, ExcessHandling::Advance},
                                      s.facts(), kCtx, policy));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& r = plan.receipts[0].receipt;
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[2].method, PaymentMethod::Advance);
    EXPECT_EQ(r.payments, (Payments{Kopecks{800000}, {}, Kopecks{300000}, {}, {}}));
    EXPECT_EQ(r.total.value(), 1100000);
}

TEST(FiscalPlanner, HandoverOnFullCreditThenReturnWritesTheCreditOff) {
    FactStore s;
    s.add_order(order_123());
    // §3.8 1a: nothing paid, 1214 = 6 and 1216 = 10 000.
    const Plan sale =
        must(plan_event(DeliveryEvent{"123", {}, {}, {}, Kopecks{1000000}, std::nullopt}, s.facts(), kCtx));
    ASSERT_EQ(sale.receipts.size(), 1u);
    EXPECT_EQ(sale.receipts[0].receipt.lines[0].method, PaymentMethod::CreditTransfer);
    EXPECT_EQ(sale.receipts[0].receipt.lines[0].vat_code, 11);
    EXPECT_EQ(sale.receipts[0].receipt.payments.credit.value(), 1000000);
    s.confirm(sale);
    EXPECT_EQ(s.order("123").credit_owed.value(), 1000000);
    EXPECT_EQ(s.order("123").settlement_method, PaymentMethod::CreditTransfer);

    // One piece of A back: the return repeats 1214 = 6 and writes 1 500 off the credit (1216).
    ReturnEvent ret{"123", {{"A", Quantity::whole(1)}}, Refund{{}, {}, {}, Kopecks{150000}}};
    const Plan back = must(plan_event(ret, s.facts(), kCtx));
    ASSERT_EQ(back.receipts.size(), 1u);
    const auto& r = back.receipts[0].receipt;
    EXPECT_EQ(r.sign, CalcSign::IncomeReturn);
    EXPECT_EQ(r.lines[0].method, PaymentMethod::CreditTransfer);
    EXPECT_EQ(r.lines[0].vat.value(), 27049);
    EXPECT_EQ(r.payments.credit.value(), 150000);
    s.confirm(back);
    EXPECT_EQ(s.order("123").credit_owed.value(), 850000);

    // Cash back for goods still owed for is refused: the debt is written off first.
    EXPECT_EQ(code_of(plan_event(ReturnEvent{"123", {{"A", Quantity::whole(1)}}, Refund{Kopecks{150000}, {}, {}, {}}},
                                 s.facts(), kCtx)),
              "credit_not_written_off");

    // Writing off more credit than is owed is refused.
    ret.items = {{"B", Quantity::whole(1)}};
    ret.refund = Refund{{}, {}, {}, Kopecks{900000}};
    EXPECT_EQ(code_of(plan_event(ret, s.facts(), kCtx)), "credit_exceeds_owed");
}

TEST(FiscalPlanner, CreditRepaymentAtTheGoodsRateWhenConfigured) {
    FactStore s;
    s.add_order(order_mixed(), OrderState::Delivered);
    s.order("200").credit_owed = Kopecks{400000};
    PlannerPolicy policy;
    policy.credit_repayment_without_vat = false;
    // 4 000 split by the classes' shares: 400 000 × 3/8 = 150 000 at 22 % (code 11,
    // VAT 27 049), 250 000 at 10 % (code 2, 250 000 / 11 = 22 727.27 → 22 727).
    const Plan plan = must(plan_event(CreditRepaymentEvent{"200", Kopecks{400000}, {}}, s.facts(), kCtx, policy));
    const auto& lines = plan.receipts.at(0).receipt.lines;
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].method, PaymentMethod::CreditPayment);
    EXPECT_EQ(lines[0].subject, subject::kPayment);
    EXPECT_EQ((std::tuple{lines[0].amount.value(), lines[0].vat_code, lines[0].vat.value()}),
              (std::tuple{150000, std::uint8_t{11}, 27049}));
    EXPECT_EQ((std::tuple{lines[1].amount.value(), lines[1].vat_code, lines[1].vat.value()}),
              (std::tuple{250000, std::uint8_t{2}, 22727}));
    EXPECT_EQ(code_of(plan_event(CreditRepaymentEvent{"200", Kopecks{400001}, {}}, s.facts(), kCtx)),
              "repayment_exceeds_credit");
}

TEST(FiscalPlanner, CancelWithoutPrepaymentNeedsNoReceipt) {
    FactStore s;
    s.add_order(order_123());
    const Plan plan = must(plan_event(CancelEvent{"123", {}}, s.facts(), kCtx));
    EXPECT_TRUE(plan.receipts.empty());
    EXPECT_EQ(plan.state_moves, (std::vector<StateMove>{{"123", OrderState::Cancelled, std::nullopt}}));
    s.confirm(plan);
    EXPECT_EQ(s.order("123").state, OrderState::Cancelled);
    EXPECT_EQ(code_of(plan_event(DeliveryEvent{"123", Kopecks{1000000}, {}, {}, {}, {}}, s.facts(), kCtx)),
              "order_not_open");
}

TEST(FiscalPlanner, CancelOfAFullPrepaymentRepeatsTheGoodsAndMayGoToBalance) {
    FactStore s;
    s.add_order(order_123());
    s.order("123").prepaid = Kopecks{1000000};
    // 4 000 back to the card, 6 000 onto the balance (1215 by the default policy).
    const Plan plan =
        must(plan_event(CancelEvent{"123", Refund{{}, Kopecks{400000}, Kopecks{600000}, {}}}, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& r = plan.receipts[0].receipt;
    EXPECT_EQ(r.sign, CalcSign::IncomeReturn);
    ASSERT_EQ(r.lines.size(), 2u);
    EXPECT_EQ(r.lines[0].method, PaymentMethod::FullPrepayment);
    EXPECT_EQ(r.lines[0].vat_code, 12);
    EXPECT_EQ(r.payments, (Payments{{}, Kopecks{400000}, Kopecks{600000}, {}, {}}));
    s.confirm(plan);
    EXPECT_EQ(s.balance("C1").value(), 600000);
    EXPECT_TRUE(s.order("123").prepaid.is_zero());
    // The refund must be the whole prepayment.
    s.add_order(Order{"124", "C1", "", order_123().lines});
    s.order("124").prepaid = Kopecks{100};
    EXPECT_EQ(code_of(plan_event(CancelEvent{"124", Refund{Kopecks{99}, {}, {}, {}}}, s.facts(), kCtx)),
              "amount_mismatch");
}

TEST(FiscalPlanner, ReturnToBalanceAsCashAndNewAdvanceWhenConfigured) {
    FactStore s;
    s.add_order(order_123(), OrderState::Delivered);
    PlannerPolicy policy;
    policy.return_to_balance_by_prepayment = false;
    const Plan plan = must(plan_event(
        ReturnEvent{"123", {{"A", Quantity::whole(1)}}, Refund{{}, {}, Kopecks{150000}, {}}}, s.facts(), kCtx, policy));
    ASSERT_EQ(plan.receipts.size(), 2u);
    EXPECT_EQ(plan.receipts[0].receipt.sign, CalcSign::IncomeReturn);
    EXPECT_EQ(plan.receipts[0].receipt.payments.cash.value(), 150000);
    EXPECT_EQ(plan.receipts[1].receipt.sign, CalcSign::Income);
    EXPECT_EQ(plan.receipts[1].receipt.lines[0].method, PaymentMethod::Advance);
    s.confirm(plan);
    EXPECT_EQ(s.balance("C1").value(), 150000);
    EXPECT_EQ(s.order("123").returned.at("A"), Quantity::whole(1));
}

TEST(FiscalPlanner, ErrorCodes) {
    FactStore s;
    s.add_order(order_123());
    s.add_order(Order{"999", "C2", "", order_123().lines});
    s.set_balance("C1", Kopecks{100});
    auto code = [&](const Event& e) { return code_of(plan_event(e, s.facts(), kCtx)); };
    EXPECT_EQ(code(DeliveryEvent{"404", Kopecks{1}, {}, {}, {}, {}}), "unknown_order");
    EXPECT_EQ(code(PaymentEvent{"C1", Kopecks{100}, {}, {{"404", Kopecks{100}}}}), "unknown_order");
    EXPECT_EQ(code(PaymentEvent{"C1", Kopecks{100}, {}, {{"999", Kopecks{100}}}}), "customer_mismatch");
    EXPECT_EQ(code(PaymentEvent{"C1", Kopecks{2000000}, {}, {{"123", Kopecks{1000001}}}}), "allocation_exceeds_order");
    EXPECT_EQ(code(PaymentEvent{"C1", {}, {}, {}}), "invalid_payment");
    EXPECT_EQ(code(PaymentEvent{"C1", Kopecks{-5}, Kopecks{10}, {}}), "invalid_payment");
    EXPECT_EQ(code(PaymentEvent{"C1", Kopecks{10'000'000'000}, {}, {}}), "total_too_large");
    EXPECT_EQ(code(ReturnEvent{"123", {{"A", Quantity::whole(1)}}, Refund{Kopecks{150000}, {}, {}, {}}}),
              "order_not_delivered");
    EXPECT_EQ(code(CreditRepaymentEvent{"123", Kopecks{1}, {}}), "order_not_delivered");
    EXPECT_EQ(code(BalanceRefundEvent{"C1", Kopecks{101}, {}}), "insufficient_advance");
    EXPECT_EQ(code(DeliveryEvent{"123", {}, {}, {}, Kopecks{1000001}, {}}), "amount_mismatch");
    s.order("123").state = OrderState::Delivered;
    EXPECT_EQ(code(ReturnEvent{"123", {{"Z", Quantity::whole(1)}}, Refund{Kopecks{1}, {}, {}, {}}}), "unknown_sku");
    EXPECT_EQ(code(ReturnEvent{"123", {{"A", Quantity{}}}, Refund{}}), "invalid_line");
    EXPECT_EQ(code(ReturnEvent{"123", {}, Refund{}}), "empty_receipt");
    // Two entries for A in one return add up: 1 + 1.5 > 2 sold.
    EXPECT_EQ(code(ReturnEvent{"123",
                               {{"A", Quantity::whole(1)}, {"A", Quantity::from_micro(1'500'000)}},
                               Refund{Kopecks{375000}, {}, {}, {}}}),
              "return_exceeds_sold");
    EXPECT_EQ(code(ReturnEvent{"123", {{"A", Quantity::whole(1)}}, Refund{Kopecks{149999}, {}, {}, {}}}),
              "amount_mismatch");
}

// §7 worked examples for order №123 (A and B at 4/1/11).
TEST(FiscalPlanner, CorrectionOfAMissedReceiptFromTheDeliveryPlan) {
    FactStore s;
    s.add_order(order_123());
    s.order("123").prepaid = Kopecks{300000};
    // The courier took 7 000 cash on 15.10.2026 and issued no receipt: correction with
    // 1054 = 1, 1173 = 0, 1178 = 15.10.2026, lines A, B 4/1/11, 1031 = 7 000, 1215 = 3 000.
    const Plan delivery = must(plan_event(DeliveryEvent{"123", Kopecks{700000}, {}, {}, {}, {}}, s.facts(), kCtx));
    const Plan plan = must(as_correction(delivery, Correction{0, 1'792'022'400, ""}));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& r = plan.receipts[0].receipt;
    ASSERT_TRUE(r.is_correction());
    EXPECT_EQ(r.correction->type, 0);
    EXPECT_EQ(r.sign, CalcSign::Income);
    EXPECT_EQ(r.payments, (Payments{Kopecks{700000}, {}, Kopecks{300000}, {}, {}}));
    EXPECT_EQ(r.lines[1].vat_code, 11);
    // The ledger still learns the delivery.
    EXPECT_EQ(plan.receipts[0].state_moves, delivery.receipts[0].state_moves);
    // By order without the order's number is refused.
    EXPECT_EQ(code_of(as_correction(delivery, Correction{1, 1'792'022'400, ""})), "invalid_correction");
}

TEST(FiscalPlanner, CorrectionOfAWrongReceiptIsAReverseAndACorrectPair) {
    // The receipt of 15.10 showed 1031 = 10 000 instead of 7 000 cash + 3 000 offset.
    Receipt wrong;
    for (const auto& l : order_123().lines) {
        wrong.lines.push_back(
            *make_line(l.name, l.quantity, l.unit, l.price, PaymentMethod::FullPayment, l.subject, l.vat_class, l.sku));
    }
    wrong.payments.cash = Kopecks{1000000};
    wrong.total = Kopecks{1000000};
    CorrectionEvent ev;
    ev.correction = Correction{0, 1'792'022'400, ""};
    ev.corrected_fiscal_sign = "1985270688";
    ev.erroneous = wrong;
    ev.correct.sign = CalcSign::Income;
    for (const auto& l : wrong.lines) {
        ReceiptLine bare;  // only what a person types in; 1043, 1199 and 1200 are derived
        bare.name = l.name;
        bare.quantity = l.quantity;
        bare.price = l.price;
        bare.method = PaymentMethod::FullPayment;
        bare.vat_class = VatClass::Vat22;
        ev.correct.lines.push_back(bare);
    }
    ev.correct.payments = Payments{Kopecks{700000}, {}, Kopecks{300000}, {}, {}};
    const Plan plan = must(plan_event(ev, Facts{}, kCtx));
    ASSERT_EQ(plan.receipts.size(), 2u);
    const auto& reverse = plan.receipts[0].receipt;
    const auto& correct = plan.receipts[1].receipt;
    EXPECT_EQ(reverse.sign, CalcSign::IncomeReturn);
    EXPECT_EQ(reverse.payments.cash.value(), 1000000);
    EXPECT_EQ(correct.sign, CalcSign::Income);
    EXPECT_EQ(correct.payments, ev.correct.payments);
    EXPECT_EQ(correct.total.value(), 1000000);
    EXPECT_EQ(correct.lines[0].vat.value(), 54098);
    for (const auto* r : {&reverse, &correct}) {
        EXPECT_EQ(r->additional_attribute, "1985270688");
        EXPECT_EQ(r->correction, ev.correction);
    }
    // A correct receipt that does not add up is refused.
    ev.correct.payments.cash = Kopecks{600000};
    EXPECT_EQ(code_of(plan_event(ev, Facts{}, kCtx)), "amount_mismatch");
    // Lines whose sum overflows int64 are refused, not thrown.
    ev.correct.lines[0].price = ev.correct.lines[1].price = Kopecks{INT64_MAX / 2 + 1};
    ev.correct.lines[0].quantity = Quantity::whole(1);
    EXPECT_EQ(code_of(plan_event(ev, Facts{}, kCtx)), "total_too_large");
}

TEST(FiscalPlanner, RawReceiptIsOnlyValidated) {
    Receipt r;
    r.lines.push_back(*make_line("Услуга", Quantity::whole(1), 0, Kopecks{5000}, PaymentMethod::FullPayment,
                                 subject::kService, VatClass::None));
    r.payments.electronic = Kopecks{5000};
    r.total = Kopecks{5000};
    const Plan plan = must(plan_event(RawReceiptEvent{r, "C9", {}}, Facts{}, kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    EXPECT_EQ(plan.receipts[0].receipt, r);
    EXPECT_TRUE(plan.receipts[0].balance_moves.empty());
    r.payments.electronic = Kopecks{5001};
    EXPECT_EQ(code_of(plan_event(RawReceiptEvent{r, "C9", {}}, Facts{}, kCtx)), "amount_mismatch");
}

// ---- goods refused or changed at the door ----------------------------------------------------------

DeliveryEvent at_door(Kopecks cash, std::vector<ReturnItem> delivered,
                      std::optional<RefusedPrepayment> how = std::nullopt) {
    DeliveryEvent e{"123", cash, {}, {}, {}, std::nullopt};
    e.delivered = std::move(delivered);
    e.refused_prepayment = how;
    return e;
}

TEST(FiscalPlanner, RefusedLineAtTheDoorWithCashAndChange) {
    FactStore s;
    s.add_order(order_123());
    // B refused; A × 2 = 3 000.00 due, 5 000.00 cash given: 2 000.00 change, 1031 = 3 000.00.
    const Plan plan = must(plan_event(at_door(Kopecks{500000}, {{"A", Quantity::whole(2)}}), s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& pr = plan.receipts[0];
    ASSERT_EQ(pr.receipt.lines.size(), 1u);
    EXPECT_EQ(pr.receipt.lines[0].sku, "A");
    EXPECT_EQ(pr.receipt.lines[0].quantity, Quantity::whole(2));
    EXPECT_EQ(pr.receipt.lines[0].vat.value(), 54098);  // 300 000 × 22 / 122
    EXPECT_EQ(pr.receipt.payments, (Payments{Kopecks{300000}, {}, {}, {}, {}}));
    EXPECT_EQ(pr.receipt.total.value(), 300000);
    EXPECT_EQ(plan.change.value(), 200000);
    EXPECT_EQ(pr.refusal_moves, (std::vector<RefusalMove>{{"123", "B", Quantity::whole(1)}}));
    EXPECT_EQ(pr.state_moves, (std::vector<StateMove>{{"123", OrderState::Delivered, PaymentMethod::FullPayment}}));
    // Confirmed: the refused B can never be returned, the A handed over can.
    s.confirm(plan);
    EXPECT_EQ(code_of(plan_event(ReturnEvent{"123", {{"B", Quantity::whole(1)}}, Refund{Kopecks{700000}, {}, {}, {}}},
                                 s.facts(), kCtx)),
              "return_exceeds_sold");
    must(plan_event(ReturnEvent{"123", {{"A", Quantity::whole(2)}}, Refund{Kopecks{300000}, {}, {}, {}}}, s.facts(),
                    kCtx));
}

// Credit at the door (issue #14): the courier leaves what is due owed; the settlement is a sale on
// credit for the goods handed over (§3.8), whatever was refused.
TEST(FiscalPlanner, CreditAtTheDoorForTheGoodsHandedOver) {
    FactStore s;
    s.add_order(order_123());
    // Nothing prepaid, B refused, A × 1 = 1 500.00 handed over all on credit: 1214 = 6, 1216 = 1 500.
    DeliveryEvent e = at_door(Kopecks{0}, {{"A", Quantity::whole(1)}});
    e.credit = Kopecks{150000};
    const Plan plan = must(plan_event(e, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& r = plan.receipts[0].receipt;
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ((std::tuple{r.lines[0].sku, r.lines[0].method, r.lines[0].vat_code}),
              (std::tuple{std::string("A"), PaymentMethod::CreditTransfer, 11}));
    EXPECT_EQ(r.payments, (Payments{{}, {}, {}, Kopecks{150000}, {}}));
    EXPECT_EQ(r.total.value(), 150000);
    s.confirm(plan);
    EXPECT_EQ(s.order("123").credit_owed.value(), 150000);
    EXPECT_EQ(s.order("123").state, OrderState::Delivered);
    // Credit above what is due for the goods handed over is refused.
    FactStore t;
    t.add_order(order_123());
    e.credit = Kopecks{150001};
    EXPECT_EQ(code_of(plan_event(e, t.facts(), kCtx)), "amount_mismatch");
}

TEST(FiscalPlanner, CreditAtTheDoorAfterAPartialPrepaymentIsPartialPaymentAndCredit) {
    FactStore s;
    s.add_order(order_123());
    s.order("123").prepaid = Kopecks{200000};
    s.order("123").prepaid_electronic = Kopecks{200000};
    // B refused; A × 2 = 3 000.00: 2 000.00 prepaid offset (1215), the other 1 000.00 owed: 1214 = 5.
    DeliveryEvent e = at_door(Kopecks{0}, {{"A", Quantity::whole(2)}});
    e.credit = Kopecks{100000};
    const Plan plan = must(plan_event(e, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    const auto& r = plan.receipts[0].receipt;
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].method, PaymentMethod::PartialPaymentAndCredit);
    EXPECT_EQ(r.payments, (Payments{{}, {}, Kopecks{200000}, Kopecks{100000}, {}}));
    EXPECT_EQ(r.total.value(), 300000);
    EXPECT_EQ(plan.change.value(), 0);
    s.confirm(plan);
    EXPECT_EQ((std::tuple{s.order("123").prepaid.value(), s.order("123").credit_owed.value()}),
              (std::tuple{std::int64_t{0}, std::int64_t{100000}}));
}

TEST(FiscalPlanner, RefusedPrepaymentGoesBackTheWayItCame) {
    FactStore s;
    s.add_order(order_123());
    // 10 000.00 prepaid: 4 000.00 by card, 6 000.00 cash. Only A × 1 (1 500.00) handed over, so
    // 8 500.00 of prepayment goes back: 4 000.00 to the card (1081) first, 4 500.00 in cash (1031),
    // on a 1054 = 2 receipt repeating the refused goods at 1214 = 1 (the order was prepaid in full).
    s.order("123").prepaid = Kopecks{1000000};
    s.order("123").prepaid_electronic = Kopecks{400000};
    const Plan plan = must(plan_event(at_door({}, {{"A", Quantity::whole(1)}}), s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 2u);
    const auto& refund = plan.receipts[0];
    EXPECT_EQ(refund.receipt.sign, CalcSign::IncomeReturn);
    ASSERT_EQ(refund.receipt.lines.size(), 2u);
    EXPECT_EQ(refund.receipt.lines[0].sku, "A");
    EXPECT_EQ(refund.receipt.lines[0].quantity, Quantity::whole(1));
    EXPECT_EQ(refund.receipt.lines[0].method, PaymentMethod::FullPrepayment);
    EXPECT_EQ(refund.receipt.lines[0].vat_code, 12);
    EXPECT_EQ(refund.receipt.lines[1].sku, "B");
    EXPECT_EQ(refund.receipt.payments, (Payments{Kopecks{450000}, Kopecks{400000}, {}, {}, {}}));
    EXPECT_EQ(refund.receipt.total.value(), 850000);
    EXPECT_EQ(refund.balance_moves, (std::vector<BalanceMove>{{Account::OrderPrepaid, "123", Kopecks{-850000}}}));
    EXPECT_TRUE(refund.state_moves.empty());  // the order is delivered by the settlement, not by this
    const auto& settlement = plan.receipts[1];
    EXPECT_EQ(settlement.receipt.payments, (Payments{{}, {}, Kopecks{150000}, {}, {}}));
    EXPECT_EQ(settlement.balance_moves, (std::vector<BalanceMove>{{Account::OrderPrepaid, "123", Kopecks{-150000}}}));
    EXPECT_EQ(settlement.refusal_moves,
              (std::vector<RefusalMove>{{"123", "A", Quantity::whole(1)}, {"123", "B", Quantity::whole(1)}}));
    EXPECT_TRUE(plan.change.is_zero());
}

TEST(FiscalPlanner, RefusedPartialPrepaymentKeptAsAdvanceFollowsThePolicy) {
    FactStore s;
    s.add_order(order_mixed());  // A 3 000.00 at 22 %, C 5 000.00 at 10 %
    s.order("200").prepaid = Kopecks{600000};
    // A handed over (3 000.00 offset), C refused: 3 000.00 of prepayment stays as an advance. The
    // return repeats «Предоплата по заказу №200» at C's calculated rate 10/110 (code 4).
    DeliveryEvent e{"200", {}, {}, {}, {}, std::nullopt};
    e.delivered = std::vector<ReturnItem>{{"A", Quantity::whole(2)}};
    e.refused_prepayment = RefusedPrepayment::Advance;
    Plan plan = must(plan_event(e, s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 2u);
    const auto& back = plan.receipts[0].receipt;
    ASSERT_EQ(back.lines.size(), 1u);
    EXPECT_EQ(back.lines[0].name, "Предоплата по заказу №200");
    EXPECT_EQ(back.lines[0].vat_code, 4);
    EXPECT_EQ(back.lines[0].vat.value(), 27273);  // 300 000 × 10 / 110 = 27 272.73
    EXPECT_EQ(back.payments, (Payments{{}, {}, Kopecks{300000}, {}, {}}));
    EXPECT_EQ(plan.receipts[0].balance_moves,
              (std::vector<BalanceMove>{{Account::OrderPrepaid, "200", Kopecks{-300000}},
                                        {Account::CustomerAdvance, "C1", Kopecks{300000}}}));
    // return_to_balance_by_prepayment = false: the same money "paid back" in cash and paid in again
    // as an «Аванс».
    PlannerPolicy cash_and_advance;
    cash_and_advance.return_to_balance_by_prepayment = false;
    plan = must(plan_event(e, s.facts(), kCtx, cash_and_advance));
    ASSERT_EQ(plan.receipts.size(), 3u);
    EXPECT_EQ(plan.receipts[0].receipt.payments.cash.value(), 300000);
    EXPECT_EQ(plan.receipts[1].receipt.lines[0].method, PaymentMethod::Advance);
    EXPECT_EQ(plan.receipts[2].receipt.sign, CalcSign::Income);
}

TEST(FiscalPlanner, RefusingEverythingIsACancellationAtTheDoor) {
    FactStore s;
    s.add_order(order_123());
    // Nothing prepaid: no receipt, the order is cancelled.
    Plan plan = must(plan_event(at_door({}, {}), s.facts(), kCtx));
    EXPECT_TRUE(plan.receipts.empty());
    EXPECT_EQ(plan.state_moves, (std::vector<StateMove>{{"123", OrderState::Cancelled, std::nullopt}}));
    // Money at the door for goods nobody took is a mistake.
    EXPECT_EQ(code_of(plan_event(at_door(Kopecks{100}, {{"B", Quantity{}}}), s.facts(), kCtx)), "amount_mismatch");
    // Prepaid by card, kept as an advance: 1054 = 2 paid by 1215, the order cancelled with it.
    s.order("123").prepaid = Kopecks{300000};
    s.order("123").prepaid_electronic = Kopecks{300000};
    plan = must(plan_event(at_door({}, {}, RefusedPrepayment::Advance), s.facts(), kCtx));
    ASSERT_EQ(plan.receipts.size(), 1u);
    EXPECT_EQ(plan.receipts[0].receipt.payments, (Payments{{}, {}, Kopecks{300000}, {}, {}}));
    EXPECT_EQ(plan.receipts[0].state_moves, (std::vector<StateMove>{{"123", OrderState::Cancelled, std::nullopt}}));
}

TEST(FiscalPlanner, DeliveredGoodsMustBeOnTheOrder) {
    FactStore s;
    s.add_order(order_123());
    EXPECT_EQ(code_of(plan_event(at_door(Kopecks{1050000}, {{"A", Quantity::whole(3)}}), s.facts(), kCtx)),
              "delivered_exceeds_ordered");
    EXPECT_EQ(code_of(plan_event(at_door(Kopecks{100000}, {{"Z", Quantity::whole(1)}}), s.facts(), kCtx)),
              "unknown_sku");
    EXPECT_EQ(code_of(plan_event(at_door(Kopecks{100000}, {{"A", Quantity::from_micro(-1)}}), s.facts(), kCtx)),
              "invalid_line");
    // The same sku named twice counts once with the quantities added: A 1 + 1 = 2 of 2.
    const Plan plan = must(
        plan_event(at_door(Kopecks{300000}, {{"A", Quantity::whole(1)}, {"A", Quantity::whole(1)}}), s.facts(), kCtx));
    EXPECT_EQ(plan.receipts[0].receipt.total.value(), 300000);
    // Prepayment above the goods handed over is never offset on them: 1215 ≤ their value.
    s.order("123").prepaid = Kopecks{1000000};
    EXPECT_EQ(code_of(plan_event(at_door({}, {{"A", Quantity::whole(1)}}), s.facts(), kCtx)), "ok");
}

}  // namespace
}  // namespace kassa::fiscal
