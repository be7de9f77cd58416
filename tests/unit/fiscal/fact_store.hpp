// A tiny in-memory ledger for tests: holds the facts the planner reads and applies a planned
// receipt's moves as if the receipt had been confirmed.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "fiscal/planner.hpp"

namespace kassa::fiscal::testing {

class FactStore {
  public:
    void add_order(Order order, OrderState state = OrderState::Open) {
        OrderFacts f;
        f.order = std::move(order);
        f.state = state;
        facts_.orders.push_back(std::move(f));
    }
    void set_balance(const std::string& customer, Kopecks balance) { customer_ref(customer).advance_balance = balance; }

    OrderFacts& order(const std::string& id) {
        for (auto& o : facts_.orders) {
            if (o.order.id == id) return o;
        }
        ADD_FAILURE() << "no order " << id;
        static OrderFacts none;
        return none;
    }
    Kopecks balance(const std::string& customer) const { return facts_.customer(customer).advance_balance; }
    const Facts& facts() const { return facts_; }

    // Applies every move of one confirmed receipt. Electronic prepayment is counted as the ledger
    // does: each allocation takes its payment's electronic money first, never above what is prepaid.
    void confirm(const PlannedReceipt& pr) {
        Kopecks electronic = pr.receipt.sign == CalcSign::Income ? pr.receipt.payments.electronic : Kopecks{0};
        for (const auto& m : pr.balance_moves) {
            switch (m.account) {
                case Account::CustomerAdvance:
                    customer_ref(m.owner).advance_balance += m.delta;
                    break;
                case Account::OrderPrepaid: {
                    auto& o = order(m.owner);
                    o.prepaid += m.delta;
                    if (m.delta.is_positive()) electronic_paid_[m.owner] += std::min(m.delta, electronic);
                    o.prepaid_electronic = std::min(electronic_paid_[m.owner], o.prepaid);
                    break;
                }
                case Account::OrderCredit:
                    order(m.owner).credit_owed += m.delta;
                    break;
            }
        }
        for (const auto& m : pr.return_moves) {
            auto& returned = order(m.order).returned[m.sku];
            returned = returned + m.quantity;
        }
        for (const auto& m : pr.refusal_moves) {
            auto& refused = order(m.order).refused[m.sku];
            refused = refused + m.quantity;
        }
        for (const auto& m : pr.state_moves) apply(m);
    }
    void confirm(const Plan& plan) {
        for (const auto& m : plan.state_moves) apply(m);
        for (const auto& pr : plan.receipts) confirm(pr);
    }

  private:
    void apply(const StateMove& m) {
        auto& o = order(m.order);
        o.state = m.state;
        if (m.settlement_method) o.settlement_method = *m.settlement_method;
    }
    CustomerFacts& customer_ref(const std::string& id) {
        for (auto& c : facts_.customers) {
            if (c.id == id) return c;
        }
        facts_.customers.push_back(CustomerFacts{id, Kopecks{0}});
        return facts_.customers.back();
    }
    Facts facts_;
    std::map<std::string, Kopecks> electronic_paid_;  // order → Σ electronic money allocated to it
};

}  // namespace kassa::fiscal::testing
