#include "scenario_plans.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kassa::ledger::testing {

namespace json = boost::json;
using namespace kassa::fiscal;

namespace {

std::int64_t num(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr ? v->to_number<std::int64_t>() : 0;
}

std::string str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr ? std::string(v->as_string().c_str()) : std::string{};
}

Quantity qty(const json::value& v) {
    auto q = Quantity::parse(v.as_string().c_str());
    if (!q) throw std::runtime_error("bad quantity: " + q.error().message);
    return *q;
}

VatClass vat_class(const std::string& s) {
    static const std::map<std::string, VatClass> table{
        {"vat22", VatClass::Vat22}, {"vat10", VatClass::Vat10}, {"vat0", VatClass::Vat0},  {"none", VatClass::None},
        {"vat5", VatClass::Vat5},   {"vat7", VatClass::Vat7},   {"vat20", VatClass::Vat20}};
    return table.at(s);
}

// The expected receipt as a fiscal::Receipt. Lines take their sku and VAT class from the order line
// of the same name (returns need the sku); prepayment and advance lines have none.
Receipt to_receipt(const json::object& r, const std::vector<Order>& orders) {
    Receipt out;
    out.sign = static_cast<CalcSign>(num(r, "tag1054"));
    for (const auto& lv : r.at("lines").as_array()) {
        const auto& l = lv.as_object();
        ReceiptLine line;
        line.name = str(l, "name");
        line.quantity = qty(l.at("qty"));
        line.price = Kopecks{num(l, "price")};
        line.amount = Kopecks{num(l, "amount")};
        line.method = static_cast<PaymentMethod>(num(l, "tag1214"));
        line.subject = static_cast<std::uint8_t>(num(l, "tag1212"));
        line.vat_code = static_cast<std::uint8_t>(num(l, "tag1199"));
        line.vat = Kopecks{num(l, "vat")};
        for (const auto& o : orders) {
            for (const auto& ol : o.lines) {
                if (ol.name == line.name) {
                    line.sku = ol.sku;
                    line.vat_class = ol.vat_class;
                }
            }
        }
        out.lines.push_back(std::move(line));
    }
    out.payments = Payments{Kopecks{num(r, "tag1031")}, Kopecks{num(r, "tag1081")}, Kopecks{num(r, "tag1215")},
                            Kopecks{num(r, "tag1216")}, Kopecks{num(r, "tag1217")}};
    out.total = Kopecks{num(r, "total")};
    return out;
}

PlannedReceipt planned(Receipt r, std::string customer, std::vector<std::string> orders) {
    PlannedReceipt p;
    p.receipt = std::move(r);
    p.customer = std::move(customer);
    p.orders = std::move(orders);
    return p;
}

void move(PlannedReceipt& p, Account account, const std::string& owner, std::int64_t delta) {
    if (delta != 0) p.balance_moves.push_back(BalanceMove{account, owner, Kopecks{delta}});
}

void expect_receipts(const ScenarioEvent& e, std::size_t n) {
    if (e.receipts.size() != n) {
        throw std::runtime_error(e.kind + ": expected " + std::to_string(n) + " receipt(s), scenario has " +
                                 std::to_string(e.receipts.size()));
    }
}

}  // namespace

std::vector<Scenario> load_scenarios(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const auto root = json::parse(text.str()).as_object();
    std::vector<Scenario> out;
    for (const auto& sv : root.at("scenarios").as_array()) {
        const auto& s = sv.as_object();
        Scenario sc;
        sc.id = str(s, "id");
        for (const auto& ov : s.at("orders").as_array()) {
            const auto& o = ov.as_object();
            Order order{str(o, "id"), str(o, "customer"), "", {}};
            for (const auto& lv : o.at("lines").as_array()) {
                const auto& l = lv.as_object();
                order.lines.push_back(OrderLine{str(l, "sku"), str(l, "name"), qty(l.at("qty")), 0,
                                                Kopecks{num(l, "price")}, vat_class(str(l, "vat")),
                                                static_cast<std::uint8_t>(num(l, "subject"))});
            }
            sc.orders.push_back(std::move(order));
        }
        for (const auto& ev : s.at("events").as_array()) {
            const auto& e = ev.as_object();
            ScenarioEvent event;
            event.kind = str(e, "kind");
            event.customer = str(e, "customer");
            event.order = str(e, "order");
            event.cash = num(e, "cash");
            event.electronic = num(e, "electronic");
            event.use_advance = num(e, "use_advance");
            event.credit = num(e, "credit");
            event.excess_to_advance = str(e, "excess") == "advance";
            if (const auto* a = e.if_contains("allocate")) {
                for (const auto& av : a->as_array()) {
                    event.allocate.emplace_back(str(av.as_object(), "order"), num(av.as_object(), "amount"));
                }
            }
            if (const auto* ls = e.if_contains("lines")) {
                for (const auto& lv : ls->as_array()) {
                    event.return_lines.emplace_back(str(lv.as_object(), "sku"), qty(lv.as_object().at("qty")));
                }
            }
            if (const auto* d = e.if_contains("delivered")) {
                event.delivered.emplace();
                for (const auto& lv : d->as_array())
                    event.delivered->emplace_back(str(lv.as_object(), "sku"), qty(lv.as_object().at("qty")));
            }
            if (const auto* r = e.if_contains("refund")) {
                event.refund_cash = num(r->as_object(), "cash");
                event.refund_electronic = num(r->as_object(), "electronic");
                event.refund_to_balance = num(r->as_object(), "to_balance");
            }
            sc.events.push_back(std::move(event));
        }
        for (const auto& rv : s.at("receipts").as_array()) {
            const auto& r = rv.as_object();
            sc.events.at(static_cast<std::size_t>(num(r, "after_event"))).receipts.push_back(to_receipt(r, sc.orders));
        }
        for (const auto& [customer, balance] : s.at("balance_after").as_object()) {
            sc.balance_after[std::string(customer)] = balance.to_number<std::int64_t>();
        }
        out.push_back(std::move(sc));
    }
    return out;
}

Plan plan_for_event(const ScenarioEvent& e, const OrderFactsFn& order_facts) {
    Plan plan;
    if (e.kind == "payment") {
        // One receipt per incoming payment. Money allocated to an order is that order's
        // prepayment; what is left unallocated is an advance held for the customer.
        expect_receipts(e, 1);
        std::vector<std::string> orders;
        for (const auto& [order, amount] : e.allocate) orders.push_back(order);
        auto p = planned(e.receipts[0], e.customer, orders);
        std::int64_t allocated = 0;
        for (const auto& [order, amount] : e.allocate) {
            move(p, Account::OrderPrepaid, order, amount);
            allocated += amount;
        }
        move(p, Account::CustomerAdvance, e.customer, e.cash + e.electronic - allocated);
        plan.receipts.push_back(std::move(p));
    } else if (e.kind == "delivery") {
        // The settlement receipt offsets everything the order had prepaid (the order's prepaid
        // account goes to zero), takes `use_advance` from the customer's advance balance, and leaves
        // `credit` owed on the order; the order becomes delivered. With excess = advance, a second
        // receipt takes the money above what was due as a new advance for the customer.
        const auto facts = order_facts(e.order);
        const auto& customer = facts.order.customer;
        // Goods refused at the door: what was ordered less what was handed over, per sku.
        std::vector<RefusalMove> refused;
        for (const auto& l : facts.order.lines) {
            Quantity handed = l.quantity;
            if (e.delivered) {
                handed = Quantity{};
                for (const auto& [sku, q] : *e.delivered)
                    if (sku == l.sku) handed = handed + q;
            }
            if (handed < l.quantity) refused.push_back(RefusalMove{e.order, l.sku, l.quantity - handed});
        }
        const bool nothing_handed = refused.size() == facts.order.lines.size() && e.delivered &&
                                    std::none_of(e.delivered->begin(), e.delivered->end(),
                                                 [](const auto& d) { return d.second.is_positive(); });
        // Prepayment above the goods handed over goes back first (1054 = 2); its 1215 part stays
        // with the customer as an advance. Everything refused: that receipt cancels the order.
        std::int64_t prepaid = facts.prepaid.value();
        std::size_t next = 0;
        if (!e.receipts.empty() && e.receipts[0].sign == CalcSign::IncomeReturn) {
            auto r = planned(e.receipts[0], customer, {e.order});
            move(r, Account::OrderPrepaid, e.order, -r.receipt.total.value());
            move(r, Account::CustomerAdvance, customer, r.receipt.payments.prepayment.value());
            prepaid -= r.receipt.total.value();
            if (nothing_handed) r.state_moves.push_back(StateMove{e.order, OrderState::Cancelled});
            plan.receipts.push_back(std::move(r));
            next = 1;
        }
        if (nothing_handed) return plan;
        expect_receipts(e, next + (e.excess_to_advance ? 2 : 1));
        auto p = planned(e.receipts[next], customer, {e.order});
        if (p.receipt.payments.prepayment.value() != prepaid + e.use_advance) {
            throw std::runtime_error("delivery offsets " + std::to_string(p.receipt.payments.prepayment.value()) +
                                     " but the ledger holds prepaid " + std::to_string(prepaid) + " + advance used " +
                                     std::to_string(e.use_advance));
        }
        move(p, Account::OrderPrepaid, e.order, -prepaid);
        p.refusal_moves = std::move(refused);
        move(p, Account::CustomerAdvance, customer, -e.use_advance);
        move(p, Account::OrderCredit, e.order, e.credit);
        p.state_moves.push_back(StateMove{e.order, OrderState::Delivered});
        plan.receipts.push_back(std::move(p));
        if (e.excess_to_advance) {
            auto a = planned(e.receipts[next + 1], customer, {e.order});
            move(a, Account::CustomerAdvance, customer, a.receipt.total.value());
            plan.receipts.push_back(std::move(a));
        }
    } else if (e.kind == "return") {
        // Goods come back: the returned quantities are recorded per sku; a refund to the balance
        // grows the customer's advance, a cash/card refund moves no ledger account.
        const auto facts = order_facts(e.order);
        expect_receipts(e, 1);
        auto p = planned(e.receipts[0], facts.order.customer, {e.order});
        for (const auto& [sku, q] : e.return_lines) p.return_moves.push_back(ReturnMove{e.order, sku, q});
        move(p, Account::CustomerAdvance, facts.order.customer, e.refund_to_balance);
        plan.receipts.push_back(std::move(p));
    } else if (e.kind == "cancel") {
        // The order's prepayment is refunded: its prepaid account goes back to zero, it is cancelled.
        const auto facts = order_facts(e.order);
        expect_receipts(e, 1);
        if (e.refund_cash + e.refund_electronic != facts.prepaid.value()) {
            throw std::runtime_error("cancel refunds a different sum than the prepaid one");
        }
        auto p = planned(e.receipts[0], facts.order.customer, {e.order});
        move(p, Account::OrderPrepaid, e.order, -facts.prepaid.value());
        p.state_moves.push_back(StateMove{e.order, OrderState::Cancelled});
        plan.receipts.push_back(std::move(p));
    } else if (e.kind == "balance_refund") {
        // Money paid back out of the customer's advance balance.
        expect_receipts(e, 1);
        auto p = planned(e.receipts[0], e.customer, {});
        move(p, Account::CustomerAdvance, e.customer, -(e.cash + e.electronic));
        plan.receipts.push_back(std::move(p));
    } else if (e.kind == "credit_repayment") {
        // Money received against the order's credit reduces what is owed.
        const auto facts = order_facts(e.order);
        expect_receipts(e, 1);
        auto p = planned(e.receipts[0], facts.order.customer, {e.order});
        move(p, Account::OrderCredit, e.order, -(e.cash + e.electronic));
        plan.receipts.push_back(std::move(p));
    } else {
        throw std::runtime_error("unknown event kind " + e.kind);
    }
    return plan;
}

}  // namespace kassa::ledger::testing
