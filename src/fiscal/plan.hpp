// The contract between the planner (src/fiscal) and the ledger (src/ledger): the facts the ledger
// holds about orders and customers, and the receipt plans with the ledger movements each one
// causes once it is confirmed. Balances and order states move only when a receipt is confirmed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fiscal/money.hpp"
#include "fiscal/quantity.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

struct OrderLine {
    std::string sku;
    std::string name;
    Quantity quantity;
    std::uint8_t unit = 0;  // 2108
    Kopecks price;          // per unit, incl. discounts
    VatClass vat_class = VatClass::Vat22;
    std::uint8_t subject = subject::kGoods;  // 1212

    friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

struct Order {
    std::string id;
    std::string customer;
    std::string entity_inn;  // the legal entity that sells; picks the registers
    std::vector<OrderLine> lines;

    friend bool operator==(const Order&, const Order&) = default;
};

enum class OrderState : std::uint8_t { Open, Delivered, Cancelled };

// What the ledger knows about an order when an event arrives (confirmed receipts only).
struct OrderFacts {
    Order order;
    OrderState state = OrderState::Open;
    Kopecks prepaid;                           // prepayments received and not yet offset
    Kopecks credit_owed;                       // left on credit at delivery, not yet repaid
    std::map<std::string, Quantity> returned;  // sku → quantity already returned
    std::map<std::string, Quantity> refused;   // sku → quantity refused at the door (never sold)
    // The part of `prepaid` that came as electronic money (1081): a refund of prepayment goes back
    // that way first, the rest in cash. Never above `prepaid`.
    Kopecks prepaid_electronic;
    // 1214 of the confirmed delivery receipt's lines (4, 5 or 6; from StateMove::settlement_method).
    // Returns repeat it (fiscal-rules.md §3.7). Meaningful once the order is Delivered.
    PaymentMethod settlement_method = PaymentMethod::FullPayment;
};

struct CustomerFacts {
    std::string id;
    Kopecks advance_balance;  // money held for the customer, not tied to an order
};

// A movement of one account; the ledger journals it against the receipt that caused it.
enum class Account : std::uint8_t {
    CustomerAdvance,  // owner = customer id
    OrderPrepaid,     // owner = order id
    OrderCredit,      // owner = order id
};

struct BalanceMove {
    Account account = Account::CustomerAdvance;
    std::string owner;
    Kopecks delta;

    friend bool operator==(const BalanceMove&, const BalanceMove&) = default;
};

struct ReturnMove {
    std::string order;
    std::string sku;
    Quantity quantity;

    friend bool operator==(const ReturnMove&, const ReturnMove&) = default;
};

// Goods refused at the door: recorded with the settlement; never sold, so never returned.
using RefusalMove = ReturnMove;

struct StateMove {
    std::string order;
    OrderState state = OrderState::Open;
    // With state = Delivered: the 1214 the settlement used, for OrderFacts::settlement_method.
    std::optional<PaymentMethod> settlement_method;

    friend bool operator==(const StateMove&, const StateMove&) = default;
};

// One receipt to fiscalise and what its confirmation changes in the ledger.
struct PlannedReceipt {
    Receipt receipt;
    std::string customer;             // may be empty for raw receipts
    std::vector<std::string> orders;  // the orders it concerns, in receipt order
    std::vector<BalanceMove> balance_moves;
    std::vector<ReturnMove> return_moves;
    std::vector<StateMove> state_moves;
    std::vector<RefusalMove> refusal_moves;

    friend bool operator==(const PlannedReceipt&, const PlannedReceipt&) = default;
};

// The planner's answer for one business event: receipts in the order they must be printed.
struct Plan {
    std::vector<PlannedReceipt> receipts;
    // Moves that need no receipt (cancelling an order nobody paid for): apply them at once.
    std::vector<StateMove> state_moves;
    // Cash to hand back at the door. Not a fiscal sum: receipts carry 1031 net of change.
    Kopecks change;
};

}  // namespace kassa::fiscal
