// The settlement planner: pure functions from a business event and the ledger's facts to the
// receipts to print and the ledger movements each causes once confirmed. No I/O, no clock.
// Error codes (besides validate.hpp's): unknown_order, customer_mismatch, order_not_open,
// order_not_delivered, allocation_exceeds_payment, allocation_exceeds_order, insufficient_advance,
// amount_mismatch, electronic_exceeds_due, return_exceeds_sold, unknown_sku, delivered_exceeds_ordered,
// repayment_exceeds_credit, credit_exceeds_owed, credit_not_written_off, invalid_payment,
// inconsistent_facts.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fiscal/events.hpp"
#include "fiscal/plan.hpp"

namespace kassa::fiscal {

// The facts one event needs. Orders the event names must be present; a customer absent from
// `customers` has a zero advance balance.
struct Facts {
    std::vector<OrderFacts> orders;
    std::vector<CustomerFacts> customers;

    const OrderFacts* find_order(std::string_view id) const;
    CustomerFacts customer(std::string_view id) const;
};

// Each function validates every receipt it plans (validate_receipt) and fails with the first
// error; on success the receipts are in printing order. `customer` must be the order's customer
// (Facts::customer gives one with a zero balance when the ledger has none).
//
// payment: one receipt (policy) with per-order prepayment lines and an «Аванс» line for the rest;
//   moves OrderPrepaid +allocation, CustomerAdvance +rest.
// delivery: the settlement of the goods handed over (1214 = 4, or 5 / 6 with credit), 1215 =
//   min(prepaid, their value) + use_advance, 1216 = credit; moves OrderPrepaid −offset,
//   CustomerAdvance −use_advance, OrderCredit +credit, RefusalMove per refused sku, state Delivered;
//   excess as Plan::change or an advance receipt. Prepayment above the goods handed over goes first,
//   on a 1054 = 2 receipt with prepayment lines: refunded (1081 up to prepaid_electronic, then 1031)
//   or onto the advance balance (refund_receipts). Nothing handed over: plan_cancel.
// return: 1054 = 2 with the sale's 1214; moves ReturnMove per sku, CustomerAdvance +to_balance,
//   OrderCredit −refund.credit.
// cancel: 1054 = 2 with the prepayment lines; OrderPrepaid −prepaid, state Cancelled (without a
//   receipt, in Plan::state_moves, when nothing was prepaid).
// balance_refund: 1054 = 2 «Аванс»; CustomerAdvance −amount.
// credit_repayment: 1214 = 7; OrderCredit −amount.
Result<Plan> plan_payment(const PaymentEvent& event, const CustomerFacts& customer, std::span<const OrderFacts> orders,
                          const ReceiptContext& context, const PlannerPolicy& policy = {});
Result<Plan> plan_delivery(const DeliveryEvent& event, const OrderFacts& order, const CustomerFacts& customer,
                           const ReceiptContext& context, const PlannerPolicy& policy = {});
Result<Plan> plan_return(const ReturnEvent& event, const OrderFacts& order, const ReceiptContext& context,
                         const PlannerPolicy& policy = {});
Result<Plan> plan_cancel(const CancelEvent& event, const OrderFacts& order, const ReceiptContext& context,
                         const PlannerPolicy& policy = {});
Result<Plan> plan_balance_refund(const BalanceRefundEvent& event, const CustomerFacts& customer,
                                 const ReceiptContext& context, const PlannerPolicy& policy = {});
Result<Plan> plan_credit_repayment(const CreditRepaymentEvent& event, const OrderFacts& order,
                                   const ReceiptContext& context, const PlannerPolicy& policy = {});
Result<Plan> plan_correction(const CorrectionEvent& event, const ReceiptContext& context);
Result<Plan> plan_raw_receipt(const RawReceiptEvent& event);

// Any event: looks up the facts it needs and calls the function above.
Result<Plan> plan_event(const Event& event, const Facts& facts, const ReceiptContext& context,
                        const PlannerPolicy& policy = {});

// Turns every receipt of a plan into a correction receipt (fiscal-rules.md §7 case a: the
// settlement happened but no receipt was issued), keeping its ledger moves; validates again.
Result<Plan> as_correction(Plan plan, const Correction& correction, const std::string& corrected_fiscal_sign = {});

// A line whose 1043, 1199 and 1200 are derived from price, quantity, VatClass and 1214.
// Errors: invalid_line (amount overflow).
Result<ReceiptLine> make_line(std::string name, Quantity quantity, std::uint8_t unit, Kopecks price,
                              PaymentMethod method, std::uint8_t subject, VatClass vat_class, std::string sku = {});

// The order's value: Σ price × quantity, each rounded half up.
Kopecks order_total(const Order& order);

}  // namespace kassa::fiscal
