// Business events the planner turns into receipts (scenarios.json "conventions.events"), the
// receipt context they share, and the policies where the law leaves a choice
// (scenarios.json "policies", fiscal-rules.md §3). All money in kopecks, never negative.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fiscal/money.hpp"
#include "fiscal/quantity.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

// What every receipt of one event carries besides lines and sums (fiscal-rules.md §3.11).
struct ReceiptContext {
    TaxSystem tax_system = TaxSystem::Osn;  // 1055
    std::string cashier;                    // 1021: position and surname of who takes the money
    std::string cashier_inn;                // 1203: 12 digits or empty
    std::string buyer_contact;              // 1008: +7XXXXXXXXXX or e-mail, or empty
    std::string settlement_address;         // 1009: where the money changed hands
    std::string settlement_place;           // 1187
};

// What happens to money paid above what is due at a delivery.
enum class ExcessHandling : std::uint8_t {
    Change,   // handed back in cash (Plan::change); electronic money cannot exceed what is due
    Advance,  // kept as the customer's advance, with its own «Аванс» receipt
};

// What happens to prepayment above the value of the goods handed over, when goods are refused at
// the door (PlannerPolicy::refused_prepayment). Either way a «возврат прихода» receipt repeats the
// prepayment lines for that money (fiscal-rules.md §3.7, last bullets); what differs is its payment.
enum class RefusedPrepayment : std::uint8_t {
    Refund,   // paid back by the way it came: 1081 up to what was prepaid electronically, the rest 1031
    Advance,  // kept as the customer's advance with the same legal entity (1215, §3.7 c)
};

struct PlannerPolicy {
    // unallocated_advance_vat: the VAT class of an «Аванс» line (code 12 = 22/122 for Vat22).
    VatClass unallocated_advance_vat = VatClass::Vat22;
    // credit_repayment_vat: true → one line 1214 = 7, 1212 = 10, 1199 = 6 (fiscal-rules.md §2,
    // S12); false → one line per VAT class of the order at the goods' actual rate.
    bool credit_repayment_without_vat = true;
    // payment_for_several_orders: true → one receipt per incoming payment listing every allocated
    // order and the advance rest; false → one receipt per order, then one for the advance.
    bool one_receipt_per_payment = true;
    // overpayment_at_delivery: true → the settlement, then a separate advance receipt for the
    // excess; false → the «Аванс» line is added to the settlement receipt (§3.6 says [U]).
    bool overpayment_separate_receipt = true;
    // return_to_balance: true → the return receipt is paid by 1215 and the balance grows
    // (§3.7 c); false → a cash return receipt followed by an «Аванс» receipt for the same cash.
    bool return_to_balance_by_prepayment = true;
    // A return from an order that still owes credit first writes the debt off (Refund::credit =
    // min(owed, returned amount)); money goes back only for what was paid. false → as given.
    bool return_reduces_credit_first = true;
    // A payment covering a whole unpaid order lists the order's goods at 1214 = 1 (§3.1); when
    // false, or for any partial prepayment, one line per order and VAT class at 1214 = 2 (§3.2 a),
    // the amount split in proportion to the classes' totals with the kopeck residue on the last.
    bool itemize_full_prepayment = true;
    // §3.11: a courier's cash settlement without a buyer contact (1008) is refused (the API checks it
    // for courier tokens: the planner does not know who sends an event).
    bool courier_cash_requires_contact = true;
    // What a delivery does with excess money when the event does not say.
    ExcessHandling default_excess = ExcessHandling::Change;
    // refused_prepayment: prepayment above the goods handed over, when the event does not say. The
    // money is the buyer's once the goods are refused, so by default it goes back the way it came;
    // keeping it as an advance needs the buyer's word at the door (the courier's choice).
    RefusedPrepayment refused_prepayment = RefusedPrepayment::Refund;
    // Line names (1030).
    std::string advance_line_name = "Аванс";
    std::string prepayment_line_prefix = "Предоплата по заказу №";
    std::string credit_repayment_line_prefix = "Оплата кредита по заказу №";
};

struct Allocation {
    std::string order;
    Kopecks amount;
};

// Money received from a customer; the rest after the allocations is a new advance.
struct PaymentEvent {
    std::string customer;
    Kopecks cash;
    Kopecks electronic;
    std::vector<Allocation> allocate;
};

struct ReturnItem {
    std::string sku;
    Quantity quantity;
};

// Settlement at handover. The order's prepayment is offset automatically, up to the value of the
// goods handed over.
struct DeliveryEvent {
    std::string order;
    Kopecks cash;  // new money at the door
    Kopecks electronic;
    Kopecks use_advance;                   // taken from the customer's advance balance
    Kopecks credit;                        // left owed
    std::optional<ExcessHandling> excess;  // unset → PlannerPolicy::default_excess
    // The goods actually handed over (sku → quantity, each at most what was ordered; a line not
    // named was refused whole). Unset: every line in full. Nothing handed over is a cancellation at
    // the door: the whole prepayment goes as `refused_prepayment` says.
    std::optional<std::vector<ReturnItem>> delivered;
    std::optional<RefusedPrepayment> refused_prepayment;  // unset → PlannerPolicy::refused_prepayment
};

// How money goes back; the parts add up to what is refunded.
struct Refund {
    Kopecks cash;
    Kopecks electronic;
    Kopecks to_balance;  // onto the customer's advance balance
    Kopecks credit;      // returns only: written off the order's unpaid credit (1216)
};

// Goods back from a delivered order (1054 = 2, the sale's 1214 / 1212 / 1199; §3.7).
struct ReturnEvent {
    std::string order;
    std::vector<ReturnItem> items;
    Refund refund;
};

// An undelivered order cancelled; its whole prepayment goes back as given (§3.7, last bullets).
struct CancelEvent {
    std::string order;
    Refund refund;
};

// Money from the customer's advance balance paid back («Аванс», 1054 = 2; §3.7 c′).
struct BalanceRefundEvent {
    std::string customer;
    Kopecks cash;
    Kopecks electronic;
};

// Money received against an order's credit (§3.8 receipt 2).
struct CreditRepaymentEvent {
    std::string order;
    Kopecks cash;
    Kopecks electronic;
};

// A correction receipt (fiscal-rules.md §7) written out by a person.
// Case (a), no receipt was issued: only `correct`. To correct a settlement a business event
// describes (e.g. a delivery), plan that event and pass the plan through as_correction().
// Case (b), a receipt was wrong: `erroneous` repeats it as fiscalised; the planner issues it
// first with the reversed 1054, then `correct`. Both carry 1192 = corrected_fiscal_sign if set.
struct CorrectionEvent {
    Correction correction;              // 1173 / 1178 / 1179
    std::string corrected_fiscal_sign;  // 1192
    std::optional<Receipt> erroneous;   // taken as is (its sums were the device's)
    // The settlement as it should have been: each line's 1043, 1199 and 1200 are derived from
    // price, quantity, VatClass and 1214; payments and 1054 as given; 1020 = Σ 1043.
    Receipt correct;
    std::string customer;
    std::vector<std::string> orders;
};

// A receipt computed by an integrator; Kassa only validates it.
struct RawReceiptEvent {
    Receipt receipt;
    std::string customer;
    std::vector<std::string> orders;
};

using Event = std::variant<PaymentEvent, DeliveryEvent, ReturnEvent, CancelEvent, BalanceRefundEvent,
                           CreditRepaymentEvent, CorrectionEvent, RawReceiptEvent>;

}  // namespace kassa::fiscal
