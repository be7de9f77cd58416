// Table-driven: every scenario and rejection of scenarios.json through the planner.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fact_store.hpp"
#include "fiscal/planner.hpp"

namespace kassa::fiscal {
namespace {

namespace json = boost::json;
using testing::FactStore;

json::value load_vectors(const char* name = "scenarios.json") {
    const auto path = std::filesystem::path(KASSA_VECTORS_DIR) / name;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return json::parse(s.str());
}

const json::value& vectors() {
    static const json::value v = load_vectors();
    return v;
}

// The worked settlements at the door (goods refused there), in the same shape.
const json::value& door_vectors() {
    static const json::value v = load_vectors("door.json");
    return v;
}

std::int64_t money(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v ? v->as_int64() : 0;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

Quantity qty(const json::value& v) {
    auto q = Quantity::parse(v.as_string());
    EXPECT_TRUE(q.has_value()) << v;
    return q.value_or(Quantity{});
}

VatClass vat_class(const json::value& v) {
    const auto s = str(v);
    if (s == "vat22") return VatClass::Vat22;
    if (s == "vat10") return VatClass::Vat10;
    if (s == "vat0") return VatClass::Vat0;
    if (s == "none") return VatClass::None;
    if (s == "vat5") return VatClass::Vat5;
    if (s == "vat7") return VatClass::Vat7;
    if (s == "vat20") return VatClass::Vat20;
    ADD_FAILURE() << "unknown vat class " << s;
    return VatClass::Vat22;
}

OrderLine order_line(const json::object& l) {
    OrderLine ol;
    ol.sku = str(l.at("sku"));
    ol.name = str(l.at("name"));
    ol.quantity = qty(l.at("qty"));
    ol.price = Kopecks{l.at("price").as_int64()};
    ol.vat_class = vat_class(l.at("vat"));
    ol.subject = static_cast<std::uint8_t>(l.at("subject").as_int64());
    return ol;
}

Order order(const json::object& o) {
    Order ord;
    ord.id = str(o.at("id"));
    ord.customer = str(o.at("customer"));
    for (const auto& l : o.at("lines").as_array()) ord.lines.push_back(order_line(l.as_object()));
    return ord;
}

Refund refund(const json::object& o) {
    Refund r;
    r.cash = Kopecks{money(o, "cash")};
    r.electronic = Kopecks{money(o, "electronic")};
    r.to_balance = Kopecks{money(o, "to_balance")};
    return r;
}

Event event(const json::object& e) {
    const auto kind = str(e.at("kind"));
    if (kind == "payment") {
        PaymentEvent p{str(e.at("customer")), Kopecks{money(e, "cash")}, Kopecks{money(e, "electronic")}, {}};
        for (const auto& a : e.at("allocate").as_array()) {
            p.allocate.push_back(Allocation{str(a.at("order")), Kopecks{a.at("amount").as_int64()}});
        }
        return p;
    }
    if (kind == "delivery") {
        DeliveryEvent d{str(e.at("order")),
                        Kopecks{money(e, "cash")},
                        Kopecks{money(e, "electronic")},
                        Kopecks{money(e, "use_advance")},
                        Kopecks{money(e, "credit")},
                        std::nullopt};
        if (const auto* x = e.if_contains("excess")) {
            d.excess = x->as_string() == "advance" ? ExcessHandling::Advance : ExcessHandling::Change;
        }
        if (const auto* x = e.if_contains("delivered")) {
            d.delivered.emplace();
            for (const auto& l : x->as_array()) d.delivered->push_back(ReturnItem{str(l.at("sku")), qty(l.at("qty"))});
        }
        if (const auto* x = e.if_contains("refused_prepayment")) {
            d.refused_prepayment = x->as_string() == "advance" ? RefusedPrepayment::Advance : RefusedPrepayment::Refund;
        }
        return d;
    }
    if (kind == "return") {
        ReturnEvent r{str(e.at("order")), {}, refund(e.at("refund").as_object())};
        for (const auto& l : e.at("lines").as_array())
            r.items.push_back(ReturnItem{str(l.at("sku")), qty(l.at("qty"))});
        return r;
    }
    if (kind == "cancel") return CancelEvent{str(e.at("order")), refund(e.at("refund").as_object())};
    if (kind == "balance_refund") {
        return BalanceRefundEvent{str(e.at("customer")), Kopecks{money(e, "cash")}, Kopecks{money(e, "electronic")}};
    }
    if (kind == "credit_repayment") {
        return CreditRepaymentEvent{str(e.at("order")), Kopecks{money(e, "cash")}, Kopecks{money(e, "electronic")}};
    }
    ADD_FAILURE() << "unknown event kind " << kind;
    return RawReceiptEvent{};
}

void expect_receipt(const json::object& want, const Receipt& got) {
    EXPECT_EQ(static_cast<int>(got.sign), want.at("tag1054").as_int64());
    const auto& lines = want.at("lines").as_array();
    ASSERT_EQ(got.lines.size(), lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        SCOPED_TRACE("line " + std::to_string(i));
        const auto& w = lines[i].as_object();
        const auto& g = got.lines[i];
        EXPECT_EQ(g.name, str(w.at("name")));
        EXPECT_EQ(g.quantity, qty(w.at("qty")));
        EXPECT_EQ(g.price.value(), w.at("price").as_int64());
        EXPECT_EQ(g.amount.value(), w.at("amount").as_int64());
        EXPECT_EQ(static_cast<int>(g.method), w.at("tag1214").as_int64());
        EXPECT_EQ(g.subject, w.at("tag1212").as_int64());
        EXPECT_EQ(g.vat_code, w.at("tag1199").as_int64());
        EXPECT_EQ(g.vat.value(), w.at("vat").as_int64());
    }
    EXPECT_EQ(got.payments.cash.value(), want.at("tag1031").as_int64());
    EXPECT_EQ(got.payments.electronic.value(), want.at("tag1081").as_int64());
    EXPECT_EQ(got.payments.prepayment.value(), want.at("tag1215").as_int64());
    EXPECT_EQ(got.payments.credit.value(), want.at("tag1216").as_int64());
    EXPECT_EQ(got.payments.provision.value(), want.at("tag1217").as_int64());
    EXPECT_EQ(got.total.value(), want.at("total").as_int64());
}

TEST(FiscalScenarios, VectorsHaveTheExpectedShape) {
    // Guards the loops below against passing on an empty or renamed table.
    EXPECT_EQ(vectors().at("scenarios").as_array().size(), 10u);
    EXPECT_EQ(vectors().at("rejections").as_array().size(), 7u);
    EXPECT_EQ(door_vectors().at("scenarios").as_array().size(), 4u);
}

// One scenario: its events in order through the planner, each plan confirmed in the store.
// A fatal failure ends only this scenario.
void run_scenario(const json::object& sc) {
    const ReceiptContext ctx{TaxSystem::Osn, "Курьер Иванов", "", "+79001234567", "Москва, ул. Тверская, 1", "курьер"};
    FactStore store;
    for (const auto& o : sc.at("orders").as_array()) store.add_order(order(o.as_object()));

    // Every receipt with the index of the event that produced it, in printing order.
    std::vector<std::pair<std::int64_t, Receipt>> produced;
    const auto& events = sc.at("events").as_array();
    for (std::size_t i = 0; i < events.size(); ++i) {
        SCOPED_TRACE("event " + std::to_string(i));
        const auto plan = plan_event(event(events[i].as_object()), store.facts(), ctx);
        ASSERT_TRUE(plan.has_value()) << plan.error().code << ": " << plan.error().message;
        for (const auto& pr : plan->receipts) {
            produced.emplace_back(static_cast<std::int64_t>(i), pr.receipt);
            EXPECT_EQ(pr.receipt.buyer_contact, ctx.buyer_contact);
            EXPECT_EQ(pr.receipt.cashier, ctx.cashier);
        }
        EXPECT_TRUE(plan->change.is_zero());
        store.confirm(*plan);
    }
    const auto& want = sc.at("receipts").as_array();
    ASSERT_EQ(produced.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("receipt " + std::to_string(i));
        EXPECT_EQ(produced[i].first, want[i].at("after_event").as_int64());
        expect_receipt(want[i].as_object(), produced[i].second);
    }
    for (const auto& [customer, balance] : sc.at("balance_after").as_object()) {
        EXPECT_EQ(store.balance(std::string(customer)).value(), balance.as_int64()) << customer;
    }
    // Nothing is left half-settled in these stories: no prepayment or credit stays open.
    for (const auto& o : store.facts().orders) {
        EXPECT_TRUE(o.prepaid.is_zero()) << o.order.id;
        EXPECT_TRUE(o.credit_owed.is_zero()) << o.order.id;
    }
}

TEST(FiscalScenarios, ReproducesEveryReceiptAndBalance) {
    for (const auto* file : {&vectors(), &door_vectors()}) {
        for (const auto& sv : file->at("scenarios").as_array()) {
            SCOPED_TRACE("scenario " + str(sv.at("id")));
            run_scenario(sv.as_object());
        }
    }
}

// The reference order №123 of fiscal-rules.md §3 (A: 2 × 1 500, B: 1 × 7 000), which the
// rejection stories refer to.
Order order_123() {
    Order o;
    o.id = "123";
    o.customer = "C1";
    o.lines.push_back(OrderLine{"A", "Товар А", Quantity::whole(2), 0, Kopecks{150000}, VatClass::Vat22, 1});
    o.lines.push_back(OrderLine{"B", "Товар Б", Quantity::whole(1), 0, Kopecks{700000}, VatClass::Vat22, 1});
    return o;
}

TEST(FiscalScenarios, RejectsEveryRejectionWithItsCode) {
    for (const auto& rv : vectors().at("rejections").as_array()) {
        const auto& rj = rv.as_object();
        SCOPED_TRACE("rejection " + str(rj.at("id")));
        FactStore store;
        Order o = order_123();
        ReceiptContext ctx;
        Event ev;
        if (const auto* e = rj.if_contains("event")) {
            ev = event(e->as_object());
            // A return needs the order delivered first (in full, by cash).
            const bool is_return = std::holds_alternative<ReturnEvent>(ev);
            store.add_order(o, is_return ? OrderState::Delivered : OrderState::Open);
        } else if (const auto* c = rj.if_contains("contact")) {
            // A valid payment, made invalid only by the buyer's contact.
            store.add_order(o);
            ctx.buyer_contact = str(*c);
            ev = PaymentEvent{"C1", Kopecks{100000}, Kopecks{0}, {}};
        } else {
            // A bad order line: delivering the order that holds it, paid in full in cash.
            o.lines.push_back(order_line(rj.at("line").as_object()));
            store.add_order(o);
            ev = DeliveryEvent{"123", Kopecks{1000100}, Kopecks{0}, Kopecks{0}, Kopecks{0}, std::nullopt};
        }
        if (const auto* b = rj.if_contains("setup_balance")) {
            for (const auto& [customer, balance] : b->as_object()) {
                store.set_balance(std::string(customer), Kopecks{balance.as_int64()});
            }
        }
        const auto plan = plan_event(ev, store.facts(), ctx);
        ASSERT_FALSE(plan.has_value());
        EXPECT_EQ(plan.error().code, str(rj.at("error"))) << plan.error().message;
        EXPECT_FALSE(plan.error().message.empty());
    }
}

}  // namespace
}  // namespace kassa::fiscal
