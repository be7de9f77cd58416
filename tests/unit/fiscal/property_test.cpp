// Property tests: random valid event streams (fixed seeds, bounded length) through the planner
// and an in-memory ledger. Invariants after every event:
//   every receipt: 1031 + 1081 + 1215 + 1216 + 1217 = 1020 = Σ 1043, and it validates;
//   no balance (customer advance, order prepayment, order credit) is ever negative;
//   no sku is returned beyond what was sold;
//   every receipt survives a TLV encode / decode round trip;
// and events made invalid on purpose are rejected with their codes.
#include <gtest/gtest.h>

#include <random>

#include "fact_store.hpp"
#include "fiscal/planner.hpp"
#include "fiscal/tlv.hpp"
#include "fiscal/validate.hpp"

namespace kassa::fiscal {
namespace {

using testing::FactStore;

class Simulation {
  public:
    Simulation(std::uint64_t seed, PlannerPolicy policy) : rng_(seed), policy_(std::move(policy)) {}

    void run(int events) {
        for (int i = 0; i < events && !::testing::Test::HasFatalFailure(); ++i) {
            SCOPED_TRACE("event " + std::to_string(i));
            step();
        }
    }

    int receipts() const { return receipts_; }
    int rejections() const { return rejections_; }

  private:
    std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
    }
    bool coin(int percent = 50) { return uniform(1, 100) <= percent; }
    // Splits `amount` into two random non-negative parts.
    std::pair<Kopecks, Kopecks> split(Kopecks amount) {
        const Kopecks a{uniform(0, amount.value())};
        return {a, amount - a};
    }
    std::string customer() { return "C" + std::to_string(uniform(1, 3)); }

    void add_order() {
        Order o;
        o.id = std::to_string(next_order_++);
        o.customer = customer();
        const auto lines = uniform(1, 4);
        for (int i = 0; i < lines; ++i) {
            OrderLine l;
            l.sku = "S" + std::to_string(i);
            l.name = "Товар " + l.sku;
            // Whole pieces, or a weight with up to three decimals.
            l.quantity = coin(70) ? Quantity::whole(uniform(1, 5)) : Quantity::from_micro(uniform(1, 5000) * 1000);
            l.unit = l.quantity.fraction_digits() == 0 ? 0 : 11;
            l.price = Kopecks{uniform(100, 2'000'000)};
            l.vat_class = static_cast<VatClass>(uniform(0, 6));
            l.subject = static_cast<std::uint8_t>(uniform(1, 4));
            o.lines.push_back(l);
        }
        store_.add_order(std::move(o));
    }

    std::vector<const OrderFacts*> orders_in(OrderState state) const {
        std::vector<const OrderFacts*> out;
        for (const auto& o : store_.facts().orders) {
            if (o.state == state) out.push_back(&o);
        }
        return out;
    }
    template <class T>
    T pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(v.size()) - 1))];
    }

    void step() {
        if (orders_in(OrderState::Open).size() < 3) add_order();
        switch (uniform(0, 6)) {
            case 0:
                payment();
                break;
            case 1:
                delivery();
                break;
            case 2:
                return_goods();
                break;
            case 3:
                cancel();
                break;
            case 4:
                balance_refund();
                break;
            case 5:
                credit_repayment();
                break;
            case 6:
                delivery();
                break;  // deliveries feed returns and repayments
        }
    }

    void payment() {
        const std::string c = customer();
        PaymentEvent ev{c, {}, {}, {}};
        Kopecks money;
        for (const auto* o : orders_in(OrderState::Open)) {
            const Kopecks unpaid = order_total(o->order) - o->prepaid;
            if (o->order.customer != c || !unpaid.is_positive() || coin(40)) continue;
            const Kopecks amount = coin(50) ? unpaid : Kopecks{uniform(1, unpaid.value())};
            ev.allocate.push_back(Allocation{o->order.id, amount});
            money += amount;
        }
        if (coin(50) || money.is_zero()) money += Kopecks{uniform(1, 500'000)};  // an advance rest
        std::tie(ev.cash, ev.electronic) = split(money);
        if (coin(10)) {
            // Allocating a kopeck more than the payment brings (checked before the orders).
            Kopecks allocated;
            for (const auto& a : ev.allocate) allocated += a.amount;
            ev.allocate.push_back(Allocation{"nonexistent", money - allocated + Kopecks{1}});
            expect_rejected(ev, "allocation_exceeds_payment");
            return;
        }
        expect_planned(ev);
    }

    void delivery() {
        const auto open = orders_in(OrderState::Open);
        if (open.empty()) return;
        const OrderFacts& o = *pick(open);
        const Kopecks balance = store_.balance(o.order.customer);
        const Kopecks due = order_total(o.order) - o.prepaid;
        DeliveryEvent ev{o.order.id, {}, {}, {}, {}, std::nullopt};
        if (coin(10)) {
            ev.use_advance = balance + Kopecks{1};
            ev.cash = due;
            expect_rejected(ev, "insufficient_advance");
            return;
        }
        ev.use_advance = Kopecks{uniform(0, std::min(balance, due).value())};
        ev.credit = coin(30) ? Kopecks{uniform(0, (due - ev.use_advance).value())} : Kopecks{};
        const Kopecks need = due - ev.use_advance - ev.credit;
        if (need.is_positive() && coin(5)) {
            ev.cash = need - Kopecks{1};
            expect_rejected(ev, "amount_mismatch");
            return;
        }
        const Kopecks extra{coin(30) ? uniform(1, 300'000) : 0};
        if (coin(50)) {
            ev.excess = ExcessHandling::Advance;
            std::tie(ev.cash, ev.electronic) = split(need + extra);
        } else {
            ev.excess = ExcessHandling::Change;
            std::tie(ev.cash, ev.electronic) = split(need);
            ev.cash += extra;
        }
        const auto plan = expect_planned(ev);
        if (plan && ev.excess == ExcessHandling::Change) {
            EXPECT_EQ(plan->change, extra);
        }
    }

    void return_goods() {
        const auto delivered = orders_in(OrderState::Delivered);
        if (delivered.empty()) return;
        const OrderFacts& o = *pick(delivered);
        ReturnEvent ev{o.order.id, {}, {}};
        Kopecks amount;
        for (const auto& l : o.order.lines) {
            const auto done = o.returned.find(l.sku);
            const Quantity left = l.quantity - (done == o.returned.end() ? Quantity{} : done->second);
            if (!left.is_positive() || coin(40)) continue;
            const Quantity q = coin(50) ? left : Quantity::from_micro(uniform(1, left.micro()));
            const Kopecks a = *line_amount(l.price, q);
            if (!a.is_positive()) continue;
            ev.items.push_back(ReturnItem{l.sku, q});
            amount += a;
        }
        if (ev.items.empty()) {
            // Whatever is left of the first line plus a millionth: more than was sold.
            const auto& l = o.order.lines.front();
            const auto done = o.returned.find(l.sku);
            const Quantity left = l.quantity - (done == o.returned.end() ? Quantity{} : done->second);
            ev.items.push_back(ReturnItem{l.sku, left + Quantity::from_micro(1)});
            ev.refund.cash = *line_amount(l.price, ev.items[0].quantity);
            expect_rejected(ev, "return_exceeds_sold");
            return;
        }
        const bool on_credit = o.settlement_method == PaymentMethod::PartialPaymentAndCredit ||
                               o.settlement_method == PaymentMethod::CreditTransfer;
        if (on_credit) {
            const Kopecks owed = std::min(o.credit_owed, amount);
            ev.refund.credit = policy_.return_reduces_credit_first ? owed : Kopecks{uniform(0, owed.value())};
        }
        const Kopecks rest = amount - ev.refund.credit;
        const auto [a, b] = split(rest);
        std::tie(ev.refund.cash, ev.refund.electronic) = split(a);
        ev.refund.to_balance = b;
        expect_planned(ev);
    }

    void cancel() {
        const auto open = orders_in(OrderState::Open);
        if (open.empty() || coin(50)) return;
        const OrderFacts& o = *pick(open);
        CancelEvent ev{o.order.id, {}};
        const auto [a, b] = split(o.prepaid);
        std::tie(ev.refund.cash, ev.refund.electronic) = split(a);
        ev.refund.to_balance = b;
        expect_planned(ev);
    }

    void balance_refund() {
        const std::string c = customer();
        const Kopecks balance = store_.balance(c);
        BalanceRefundEvent ev{c, {}, {}};
        if (!balance.is_positive() || coin(10)) {
            ev.cash = balance + Kopecks{1};
            expect_rejected(ev, "insufficient_advance");
            return;
        }
        std::tie(ev.cash, ev.electronic) = split(Kopecks{uniform(1, balance.value())});
        expect_planned(ev);
    }

    void credit_repayment() {
        std::vector<const OrderFacts*> owing;
        for (const auto* o : orders_in(OrderState::Delivered)) {
            if (o->credit_owed.is_positive()) owing.push_back(o);
        }
        if (owing.empty()) return;
        const OrderFacts& o = *pick(owing);
        CreditRepaymentEvent ev{o.order.id, {}, {}};
        if (coin(10)) {
            ev.electronic = o.credit_owed + Kopecks{1};
            expect_rejected(ev, "repayment_exceeds_credit");
            return;
        }
        std::tie(ev.cash, ev.electronic) = split(Kopecks{uniform(1, o.credit_owed.value())});
        expect_planned(ev);
    }

    void expect_rejected(const Event& ev, const std::string& code) {
        const auto plan = plan_event(ev, store_.facts(), ctx_, policy_);
        ASSERT_FALSE(plan.has_value()) << "expected " << code;
        EXPECT_EQ(plan.error().code, code) << plan.error().message;
        ++rejections_;
    }

    std::optional<Plan> expect_planned(const Event& ev) {
        auto plan = plan_event(ev, store_.facts(), ctx_, policy_);
        EXPECT_TRUE(plan.has_value()) << plan.error().code << ": " << plan.error().message;
        if (!plan) return std::nullopt;
        for (const auto& pr : plan->receipts) {
            const Receipt& r = pr.receipt;
            const auto& p = r.payments;
            Kopecks lines;
            for (const auto& l : r.lines) lines += l.amount;
            EXPECT_EQ(p.cash + p.electronic + p.prepayment + p.credit + p.provision, r.total);
            EXPECT_EQ(lines, r.total);
            EXPECT_TRUE(r.total.is_positive());
            const auto valid = validate_receipt(r);
            EXPECT_TRUE(valid.has_value()) << valid.error().message;
            // What reaches the device decodes back to the same receipt (VatClass and sku stay
            // behind: they are never sent).
            const auto encoded = encode_receipt(r);
            EXPECT_TRUE(encoded.has_value());
            if (encoded) {
                auto back = decode_receipt(encoded->flat());
                EXPECT_TRUE(back.has_value());
                if (back) {
                    for (std::size_t i = 0; i < back->lines.size() && i < r.lines.size(); ++i) {
                        back->lines[i].vat_class = r.lines[i].vat_class;
                        back->lines[i].sku = r.lines[i].sku;
                    }
                    EXPECT_EQ(*back, r);
                }
            }
            ++receipts_;
        }
        store_.confirm(*plan);
        check_ledger();
        return std::move(*plan);
    }

    void check_ledger() {
        for (const auto& c : store_.facts().customers) EXPECT_FALSE(c.advance_balance.is_negative()) << c.id;
        for (const auto& o : store_.facts().orders) {
            EXPECT_FALSE(o.prepaid.is_negative()) << o.order.id;
            EXPECT_FALSE(o.credit_owed.is_negative()) << o.order.id;
            EXPECT_LE(o.prepaid, order_total(o.order)) << o.order.id;
            if (o.state != OrderState::Open) {
                EXPECT_TRUE(o.prepaid.is_zero()) << o.order.id;
            }
            for (const auto& l : o.order.lines) {
                const auto done = o.returned.find(l.sku);
                if (done != o.returned.end()) {
                    EXPECT_LE(done->second, l.quantity) << o.order.id << "/" << l.sku;
                }
            }
        }
    }

    std::mt19937_64 rng_;
    PlannerPolicy policy_;
    ReceiptContext ctx_{TaxSystem::Osn, "Курьер Петров", "", "", "", ""};
    FactStore store_;
    int next_order_ = 1;
    int receipts_ = 0;
    int rejections_ = 0;
};

TEST(FiscalProperties, RandomEventStreamsKeepTheInvariants) {
    for (std::uint64_t seed : {1u, 2u, 3u, 42u, 2026u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Simulation sim(seed, PlannerPolicy{});
        sim.run(400);
        // The stream must actually have exercised the planner.
        EXPECT_GT(sim.receipts(), 150);
        EXPECT_GT(sim.rejections(), 10);
    }
}

TEST(FiscalProperties, AlternativePoliciesKeepTheInvariants) {
    for (std::uint64_t seed : {7u, 8u, 9u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        PlannerPolicy policy;
        policy.credit_repayment_without_vat = false;
        policy.one_receipt_per_payment = false;
        policy.overpayment_separate_receipt = seed % 2 == 0;
        policy.return_to_balance_by_prepayment = false;
        policy.itemize_full_prepayment = false;
        policy.unallocated_advance_vat = VatClass::Vat10;
        policy.return_reduces_credit_first = false;
        Simulation sim(seed, policy);
        sim.run(400);
        EXPECT_GT(sim.receipts(), 150);
    }
}

}  // namespace
}  // namespace kassa::fiscal
