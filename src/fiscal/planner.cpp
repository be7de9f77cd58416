#include "fiscal/planner.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include "fiscal/validate.hpp"
#include "fiscal/vat.hpp"

namespace kassa::fiscal {
namespace {

__extension__ using Int128 = __int128;

// Facts from the ledger larger than this are a ledger bug, not input; the bound keeps every sum
// below far from int64 overflow.
constexpr std::int64_t kMaxFact = 1'000'000'000'000'000;

Receipt base_receipt(const ReceiptContext& ctx, CalcSign sign) {
    Receipt r;
    r.sign = sign;
    r.tax_system = ctx.tax_system;
    r.cashier = ctx.cashier;
    r.cashier_inn = ctx.cashier_inn;
    r.buyer_contact = ctx.buyer_contact;
    r.settlement_address = ctx.settlement_address;
    r.settlement_place = ctx.settlement_place;
    return r;
}

Kopecks lines_total(const std::vector<ReceiptLine>& lines) {
    Kopecks sum;
    for (const auto& l : lines) sum += l.amount;
    return sum;
}

// Sets the total from the lines and validates; every planned receipt passes here. The sum is
// checked because correction lines come straight from a person and may be absurdly large.
Status finish(Receipt& r) {
    Kopecks sum;
    for (const auto& l : r.lines) {
        const auto next = sum.checked_add(l.amount);
        if (!next) return fail("total_too_large", "the lines add up beyond any receipt");
        sum = *next;
    }
    r.total = sum;
    return validate_receipt(r);
}

// Event amounts: never negative, never above the FN's receipt limit.
Status check_amounts(std::initializer_list<Kopecks> amounts) {
    for (auto a : amounts) {
        if (a.is_negative()) return fail("invalid_payment", "amounts must not be negative");
        if (a.value() > limits::kMaxAmount) return fail("total_too_large", "an amount above 99 999 999.99");
    }
    return ok();
}

Status check_facts(const OrderFacts& f) {
    for (auto a : {f.prepaid, f.credit_owed}) {
        if (a.is_negative() || a.value() > kMaxFact) {
            return fail("inconsistent_facts", "order " + f.order.id + ": prepaid or credit out of range");
        }
    }
    return ok();
}

Status check_facts(const CustomerFacts& c) {
    if (c.advance_balance.is_negative() || c.advance_balance.value() > kMaxFact) {
        return fail("inconsistent_facts", "customer " + c.id + ": advance balance out of range");
    }
    return ok();
}

// An order the planner may put on a receipt: valid lines, a total within the FN limit.
Status check_order(const OrderFacts& f) {
    if (auto s = validate_order(f.order); !s) return s;
    if (f.order.lines.size() > limits::kMaxLines) return fail("too_many_lines", "order " + f.order.id);
    if (order_total(f.order).value() > limits::kMaxAmount) {
        return fail("total_too_large", "order " + f.order.id + " above 99 999 999.99");
    }
    return check_facts(f);
}

// The order's goods as receipt lines with one payment method.
Result<std::vector<ReceiptLine>> goods_lines(const Order& order, PaymentMethod method) {
    std::vector<ReceiptLine> out;
    for (const auto& l : order.lines) {
        auto line = make_line(l.name, l.quantity, l.unit, l.price, method, l.subject, l.vat_class, l.sku);
        if (!line) return std::unexpected(line.error());
        out.push_back(std::move(*line));
    }
    return out;
}

// policies.partial_prepayment_lines: one line per VAT class of the order, all named `name`, the
// amount split in proportion to the classes' totals (floor), the kopeck residue on the last
// class. The ledger keeps one prepaid sum per order, not per class, so the classes' shares of
// what is still unpaid are taken to be their shares of the order (exact when earlier payments
// were split the same way). A zero share gets no line. The subject is the class's common 1212,
// or 10 («платеж») when its goods differ.
Result<std::vector<ReceiptLine>> split_lines(const Order& order, Kopecks amount, PaymentMethod method,
                                             const std::string& name) {
    struct Part {
        VatClass vat_class;
        Kopecks total;
        std::uint8_t subject;
    };
    std::vector<Part> parts;
    for (const auto& l : order.lines) {
        const Kopecks a = *line_amount(l.price, l.quantity);  // bounded by check_order
        auto it = std::find_if(parts.begin(), parts.end(), [&](const Part& p) { return p.vat_class == l.vat_class; });
        if (it == parts.end()) {
            parts.push_back(Part{l.vat_class, a, l.subject});
        } else {
            it->total += a;
            if (it->subject != l.subject) it->subject = subject::kPayment;
        }
    }
    const Kopecks whole = order_total(order);
    std::vector<ReceiptLine> out;
    Kopecks given;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        Kopecks share;
        if (i + 1 == parts.size()) {
            share = amount - given;
        } else {
            share = Kopecks{static_cast<std::int64_t>(static_cast<Int128>(amount.value()) * parts[i].total.value() /
                                                      whole.value())};
        }
        given += share;
        if (!share.is_positive()) continue;
        auto line = make_line(name, Quantity::whole(1), 0, share, method, parts[i].subject, parts[i].vat_class);
        if (!line) return std::unexpected(line.error());
        out.push_back(std::move(*line));
    }
    return out;
}

// The prepayment lines for `amount` of an order: the goods at 1214 = 1 when the amount is the
// whole order and nothing was paid before (§3.1), otherwise per-class lines at 1214 = 2 (§3.2).
Result<std::vector<ReceiptLine>> prepayment_lines(const OrderFacts& f, Kopecks amount, const PlannerPolicy& policy,
                                                  bool whole_order) {
    if (policy.itemize_full_prepayment && whole_order) return goods_lines(f.order, PaymentMethod::FullPrepayment);
    return split_lines(f.order, amount, PaymentMethod::PartialPrepayment, policy.prepayment_line_prefix + f.order.id);
}

Result<ReceiptLine> advance_line(Kopecks amount, const PlannerPolicy& policy) {
    // §3.3: goods unknown, so 1214 = 3, 1212 = 10 and the calculated rate of the policy's class.
    return make_line(policy.advance_line_name, Quantity::whole(1), 0, amount, PaymentMethod::Advance, subject::kPayment,
                     policy.unallocated_advance_vat);
}

BalanceMove move(Account account, const std::string& owner, Kopecks delta) {
    return BalanceMove{account, owner, delta};
}

// Takes `need` out of the money at hand, electronic first: card and transfer sums are exact, so
// the leftover that becomes an advance (or change) is the cash.
std::pair<Kopecks, Kopecks> take(Kopecks need, Kopecks& electronic, Kopecks& cash) {
    const Kopecks e = std::min(need, electronic);
    const Kopecks c = need - e;
    electronic -= e;
    cash -= c;
    return {e, c};
}

Status append_receipt(Plan& plan, PlannedReceipt pr) {
    if (auto s = finish(pr.receipt); !s) return s;
    plan.receipts.push_back(std::move(pr));
    return ok();
}

Result<Kopecks> refund_sum(const Refund& r) {
    if (auto s = check_amounts({r.cash, r.electronic, r.to_balance, r.credit}); !s) return std::unexpected(s.error());
    return r.cash + r.electronic + r.to_balance + r.credit;
}

// A refund's money forms on a 1054 = 2 receipt; to_balance per policies.return_to_balance.
// Returns the receipts to issue: the refund and, when the policy says so, the advance receipt
// for money "returned" in cash and paid straight back onto the balance.
Status refund_receipts(Plan& plan, PlannedReceipt refund, const Refund& r, const std::string& customer,
                       const ReceiptContext& ctx, const PlannerPolicy& policy) {
    refund.receipt.payments.cash = r.cash;
    refund.receipt.payments.electronic = r.electronic;
    refund.receipt.payments.credit = r.credit;
    if (r.to_balance.is_zero() || policy.return_to_balance_by_prepayment) {
        refund.receipt.payments.prepayment = r.to_balance;
        if (r.to_balance.is_positive()) {
            refund.balance_moves.push_back(move(Account::CustomerAdvance, customer, r.to_balance));
        }
        return append_receipt(plan, std::move(refund));
    }
    refund.receipt.payments.cash += r.to_balance;
    if (auto s = append_receipt(plan, std::move(refund)); !s) return s;
    PlannedReceipt advance;
    advance.receipt = base_receipt(ctx, CalcSign::Income);
    advance.customer = customer;
    auto line = advance_line(r.to_balance, policy);
    if (!line) return std::unexpected(line.error());
    advance.receipt.lines.push_back(std::move(*line));
    advance.receipt.payments.cash = r.to_balance;
    advance.balance_moves.push_back(move(Account::CustomerAdvance, customer, r.to_balance));
    return append_receipt(plan, std::move(advance));
}

}  // namespace

const OrderFacts* Facts::find_order(std::string_view id) const {
    for (const auto& o : orders) {
        if (o.order.id == id) return &o;
    }
    return nullptr;
}

CustomerFacts Facts::customer(std::string_view id) const {
    for (const auto& c : customers) {
        if (c.id == id) return c;
    }
    return CustomerFacts{std::string(id), Kopecks{0}};
}

Kopecks order_total(const Order& order) {
    Kopecks sum;
    for (const auto& l : order.lines) {
        const auto a = line_amount(l.price, l.quantity);
        if (!a) return Kopecks{INT64_MAX};
        const auto s = sum.checked_add(*a);
        if (!s) return Kopecks{INT64_MAX};
        sum = *s;
    }
    return sum;
}

Result<ReceiptLine> make_line(std::string name, Quantity quantity, std::uint8_t unit, Kopecks price,
                              PaymentMethod method, std::uint8_t subject, VatClass vat_class, std::string sku) {
    ReceiptLine l;
    l.name = std::move(name);
    l.quantity = quantity;
    l.unit = unit;
    l.price = price;
    const auto amount = line_amount(price, quantity);
    if (!amount) return fail("invalid_line", "price × quantity overflows");
    l.amount = *amount;
    l.method = method;
    l.subject = subject;
    l.vat_class = vat_class;
    l.vat_code = vat_code_for(vat_class, method);
    l.vat = vat_for_code(l.amount, l.vat_code);
    l.sku = std::move(sku);
    return l;
}

Result<Plan> plan_payment(const PaymentEvent& ev, const CustomerFacts& customer, std::span<const OrderFacts> orders,
                          const ReceiptContext& ctx, const PlannerPolicy& policy) {
    if (auto s = check_amounts({ev.cash, ev.electronic}); !s) return std::unexpected(s.error());
    if (auto s = check_facts(customer); !s) return std::unexpected(s.error());
    const Kopecks money = ev.cash + ev.electronic;
    if (!money.is_positive()) return fail("invalid_payment", "a payment must bring money");
    Kopecks allocated;
    for (const auto& a : ev.allocate) {
        if (auto s = check_amounts({a.amount}); !s) return std::unexpected(s.error());
        if (!a.amount.is_positive()) return fail("invalid_payment", "allocation to order " + a.order + " is zero");
        allocated += a.amount;
    }
    // Checked before any order: the story is about the payment, whatever the orders are.
    if (allocated > money) {
        return fail("allocation_exceeds_payment",
                    "allocated " + allocated.to_roubles_string() + " of a payment of " + money.to_roubles_string());
    }

    struct Allocated {
        const OrderFacts* facts;
        Kopecks amount;
        std::vector<ReceiptLine> lines;
    };
    std::vector<Allocated> parts;
    for (const auto& a : ev.allocate) {
        const auto it =
            std::find_if(orders.begin(), orders.end(), [&](const OrderFacts& f) { return f.order.id == a.order; });
        if (it == orders.end()) return fail("unknown_order", "order " + a.order + " is not known");
        if (std::any_of(parts.begin(), parts.end(), [&](const Allocated& p) { return p.facts->order.id == a.order; })) {
            return fail("invalid_payment", "order " + a.order + " is allocated twice");
        }
        const OrderFacts& f = *it;
        if (auto s = check_order(f); !s) return std::unexpected(s.error());
        if (f.order.customer != ev.customer) {
            return fail("customer_mismatch", "order " + a.order + " belongs to another customer");
        }
        if (f.state != OrderState::Open)
            return fail("order_not_open", "order " + a.order + " is delivered or cancelled");
        const Kopecks total = order_total(f.order);
        if (f.prepaid > total) return fail("inconsistent_facts", "order " + a.order + " is prepaid above its total");
        if (a.amount > total - f.prepaid) {
            return fail("allocation_exceeds_order", "order " + a.order + " has " +
                                                        (total - f.prepaid).to_roubles_string() +
                                                        " unpaid, allocated " + a.amount.to_roubles_string());
        }
        auto lines = prepayment_lines(f, a.amount, policy, f.prepaid.is_zero() && a.amount == total);
        if (!lines) return std::unexpected(lines.error());
        parts.push_back(Allocated{&f, a.amount, std::move(*lines)});
    }
    const Kopecks rest = money - allocated;

    Plan plan;
    if (policy.one_receipt_per_payment) {
        PlannedReceipt pr;
        pr.receipt = base_receipt(ctx, CalcSign::Income);
        pr.customer = ev.customer;
        for (auto& p : parts) {
            pr.orders.push_back(p.facts->order.id);
            for (auto& l : p.lines) pr.receipt.lines.push_back(std::move(l));
            pr.balance_moves.push_back(move(Account::OrderPrepaid, p.facts->order.id, p.amount));
        }
        if (rest.is_positive()) {
            auto line = advance_line(rest, policy);
            if (!line) return std::unexpected(line.error());
            pr.receipt.lines.push_back(std::move(*line));
            pr.balance_moves.push_back(move(Account::CustomerAdvance, ev.customer, rest));
        }
        pr.receipt.payments.cash = ev.cash;
        pr.receipt.payments.electronic = ev.electronic;
        if (auto s = append_receipt(plan, std::move(pr)); !s) return std::unexpected(s.error());
        return plan;
    }
    // One receipt per order, then the advance: the money is dealt out electronic first.
    Kopecks electronic = ev.electronic;
    Kopecks cash = ev.cash;
    for (auto& p : parts) {
        PlannedReceipt pr;
        pr.receipt = base_receipt(ctx, CalcSign::Income);
        pr.customer = ev.customer;
        pr.orders.push_back(p.facts->order.id);
        pr.receipt.lines = std::move(p.lines);
        std::tie(pr.receipt.payments.electronic, pr.receipt.payments.cash) = take(p.amount, electronic, cash);
        pr.balance_moves.push_back(move(Account::OrderPrepaid, p.facts->order.id, p.amount));
        if (auto s = append_receipt(plan, std::move(pr)); !s) return std::unexpected(s.error());
    }
    if (rest.is_positive()) {
        PlannedReceipt pr;
        pr.receipt = base_receipt(ctx, CalcSign::Income);
        pr.customer = ev.customer;
        auto line = advance_line(rest, policy);
        if (!line) return std::unexpected(line.error());
        pr.receipt.lines.push_back(std::move(*line));
        pr.receipt.payments.electronic = electronic;
        pr.receipt.payments.cash = cash;
        pr.balance_moves.push_back(move(Account::CustomerAdvance, ev.customer, rest));
        if (auto s = append_receipt(plan, std::move(pr)); !s) return std::unexpected(s.error());
    }
    return plan;
}

namespace {

// The goods of a delivery: what was handed over and what was refused, as two orders with the same
// lines and the quantities split (a line with nothing in it is left out).
struct Handover {
    Order delivered;
    Order refused;
};

Result<Handover> split_handover(const OrderFacts& f, const std::optional<std::vector<ReturnItem>>& named) {
    Handover h{f.order, f.order};
    h.refused.lines.clear();
    if (!named) return h;
    std::map<std::string, Quantity> given;
    for (const auto& it : *named) {
        if (it.quantity.micro() < 0)
            return fail("invalid_line", "delivered quantity of " + it.sku + " must not be negative");
        if (std::none_of(f.order.lines.begin(), f.order.lines.end(),
                         [&](const OrderLine& l) { return l.sku == it.sku; }))
            return fail("unknown_sku", "order " + f.order.id + " has no sku " + it.sku);
        given[it.sku] = given[it.sku] + it.quantity;
    }
    h.delivered.lines.clear();
    // Several lines with one sku take the delivered quantity in their order.
    for (const auto& l : f.order.lines) {
        Quantity& left = given[l.sku];
        const Quantity here = left > l.quantity ? l.quantity : left;
        left = left - here;
        if (here.is_positive()) {
            OrderLine d = l;
            d.quantity = here;
            h.delivered.lines.push_back(std::move(d));
        }
        if (here < l.quantity) {
            OrderLine r = l;
            r.quantity = l.quantity - here;
            h.refused.lines.push_back(std::move(r));
        }
    }
    for (const auto& [sku, left] : given)
        if (left.is_positive())
            return fail("delivered_exceeds_ordered", "sku " + sku + ": " + left.to_string() + " more than ordered");
    return h;
}

// The «возврат прихода» for `amount` of an order's prepayment that the refused goods no longer need:
// the refused goods at 1214 = 1 when the order was prepaid in full and they add up to the amount
// (§3.1, itemised), otherwise «Предоплата по заказу №…» per VAT class of the refused goods (§3.2 a).
Status refused_prepayment_receipt(Plan& plan, const OrderFacts& f, const Order& refused, Kopecks amount,
                                  RefusedPrepayment how, const ReceiptContext& ctx, const PlannerPolicy& policy) {
    std::vector<ReceiptLine> lines;
    if (policy.itemize_full_prepayment && f.prepaid == order_total(f.order) && order_total(refused) == amount) {
        auto goods = goods_lines(refused, PaymentMethod::FullPrepayment);
        if (!goods) return std::unexpected(goods.error());
        lines = std::move(*goods);
    } else {
        auto split =
            split_lines(refused, amount, PaymentMethod::PartialPrepayment, policy.prepayment_line_prefix + f.order.id);
        if (!split) return std::unexpected(split.error());
        lines = std::move(*split);
    }
    PlannedReceipt pr;
    pr.receipt = base_receipt(ctx, CalcSign::IncomeReturn);
    pr.customer = f.order.customer;
    pr.orders.push_back(f.order.id);
    pr.receipt.lines = std::move(lines);
    pr.balance_moves.push_back(move(Account::OrderPrepaid, f.order.id, -amount));
    Refund r;
    if (how == RefusedPrepayment::Advance) {
        r.to_balance = amount;
    } else {
        r.electronic = std::min(amount, f.prepaid_electronic);
        r.cash = amount - r.electronic;
    }
    return refund_receipts(plan, std::move(pr), r, f.order.customer, ctx, policy);
}

}  // namespace

Result<Plan> plan_delivery(const DeliveryEvent& ev, const OrderFacts& f, const CustomerFacts& customer,
                           const ReceiptContext& ctx, const PlannerPolicy& policy) {
    if (auto s = check_amounts({ev.cash, ev.electronic, ev.use_advance, ev.credit}); !s) {
        return std::unexpected(s.error());
    }
    if (auto s = check_order(f); !s) return std::unexpected(s.error());
    if (auto s = check_facts(customer); !s) return std::unexpected(s.error());
    if (f.prepaid_electronic.is_negative() || f.prepaid_electronic > f.prepaid)
        return fail("inconsistent_facts", "order " + f.order.id + ": electronic prepayment out of range");
    if (f.state != OrderState::Open)
        return fail("order_not_open", "order " + f.order.id + " is delivered or cancelled");
    if (customer.id != f.order.customer) {
        return fail("customer_mismatch", "order " + f.order.id + " belongs to customer " + f.order.customer);
    }
    // §3.4: each 1215 must not exceed the customer's unspent advance.
    if (ev.use_advance > customer.advance_balance) {
        return fail("insufficient_advance", "asked to use " + ev.use_advance.to_roubles_string() +
                                                " of advance, the balance is " +
                                                customer.advance_balance.to_roubles_string());
    }
    if (f.prepaid > order_total(f.order))
        return fail("inconsistent_facts", "order " + f.order.id + " is prepaid above its total");
    auto handover = split_handover(f, ev.delivered);
    if (!handover) return std::unexpected(handover.error());
    const RefusedPrepayment refused_how = ev.refused_prepayment.value_or(policy.refused_prepayment);
    const Kopecks total = order_total(handover->delivered);
    if (handover->delivered.lines.empty()) {
        // Everything refused: a cancellation at the door (§3.7), no money changes hands there.
        if ((ev.cash + ev.electronic + ev.use_advance + ev.credit).is_positive())
            return fail("amount_mismatch", "every line was refused: nothing is due at the door");
        CancelEvent cancel{f.order.id, {}};
        if (refused_how == RefusedPrepayment::Advance) {
            cancel.refund.to_balance = f.prepaid;
        } else {
            cancel.refund.electronic = f.prepaid_electronic;
            cancel.refund.cash = f.prepaid - f.prepaid_electronic;
        }
        return plan_cancel(cancel, f, ctx, policy);
    }
    // Prepayment covers the goods handed over; what is above them is the refused goods' money.
    const Kopecks offset_prepaid = std::min(f.prepaid, total);
    const Kopecks refused_money = f.prepaid - offset_prepaid;
    const Kopecks offset = offset_prepaid + ev.use_advance;
    if (offset + ev.credit > total) {
        return fail("amount_mismatch", "prepayment, advance and credit (" + (offset + ev.credit).to_roubles_string() +
                                           ") exceed the goods handed over, " + total.to_roubles_string());
    }
    const Kopecks need = total - offset - ev.credit;
    const Kopecks money = ev.cash + ev.electronic;
    if (money < need) {
        return fail("amount_mismatch",
                    need.to_roubles_string() + " is due, " + money.to_roubles_string() + " was paid");
    }
    const Kopecks excess = money - need;
    const ExcessHandling handling = ev.excess.value_or(policy.default_excess);
    if (handling == ExcessHandling::Change && ev.electronic > need) {
        return fail("electronic_exceeds_due", "electronic money above what is due cannot be given back as change");
    }

    // §1.2 / §3.8: 4 when paid in full (offsets included), 6 when nothing is paid, 5 otherwise.
    PaymentMethod method = PaymentMethod::FullPayment;
    if (ev.credit == total) {
        method = PaymentMethod::CreditTransfer;
    } else if (ev.credit.is_positive()) {
        method = PaymentMethod::PartialPaymentAndCredit;
    }
    auto lines = goods_lines(handover->delivered, method);
    if (!lines) return std::unexpected(lines.error());

    Plan plan;
    // The refused goods' prepayment first: if the settlement then fails, the order is still open
    // with exactly the prepayment its goods need, and the delivery can simply be sent again.
    if (refused_money.is_positive()) {
        if (auto s = refused_prepayment_receipt(plan, f, handover->refused, refused_money, refused_how, ctx, policy);
            !s)
            return std::unexpected(s.error());
    }

    PlannedReceipt settlement;
    settlement.receipt = base_receipt(ctx, CalcSign::Income);
    settlement.customer = f.order.customer;
    settlement.orders.push_back(f.order.id);
    settlement.receipt.lines = std::move(*lines);
    Kopecks electronic = ev.electronic;
    Kopecks cash = ev.cash;
    std::tie(settlement.receipt.payments.electronic, settlement.receipt.payments.cash) = take(need, electronic, cash);
    settlement.receipt.payments.prepayment = offset;
    settlement.receipt.payments.credit = ev.credit;
    if (offset_prepaid.is_positive())
        settlement.balance_moves.push_back(move(Account::OrderPrepaid, f.order.id, -offset_prepaid));
    if (ev.use_advance.is_positive()) {
        settlement.balance_moves.push_back(move(Account::CustomerAdvance, customer.id, -ev.use_advance));
    }
    if (ev.credit.is_positive()) settlement.balance_moves.push_back(move(Account::OrderCredit, f.order.id, ev.credit));
    for (const auto& l : handover->refused.lines)
        settlement.refusal_moves.push_back(RefusalMove{f.order.id, l.sku, l.quantity});
    settlement.state_moves.push_back(StateMove{f.order.id, OrderState::Delivered, method});

    if (excess.is_zero() || handling == ExcessHandling::Change) {
        plan.change = excess;  // electronic ≤ need here, so the excess is all cash
        if (auto s = append_receipt(plan, std::move(settlement)); !s) return std::unexpected(s.error());
        return plan;
    }
    // policies.overpayment_at_delivery (§3.6): the excess becomes an advance.
    auto line = advance_line(excess, policy);
    if (!line) return std::unexpected(line.error());
    if (!policy.overpayment_separate_receipt) {
        settlement.receipt.lines.push_back(std::move(*line));
        settlement.receipt.payments.electronic += electronic;
        settlement.receipt.payments.cash += cash;
        settlement.balance_moves.push_back(move(Account::CustomerAdvance, customer.id, excess));
        if (auto s = append_receipt(plan, std::move(settlement)); !s) return std::unexpected(s.error());
        return plan;
    }
    if (auto s = append_receipt(plan, std::move(settlement)); !s) return std::unexpected(s.error());
    PlannedReceipt advance;
    advance.receipt = base_receipt(ctx, CalcSign::Income);
    advance.customer = f.order.customer;
    advance.receipt.lines.push_back(std::move(*line));
    advance.receipt.payments.electronic = electronic;
    advance.receipt.payments.cash = cash;
    advance.balance_moves.push_back(move(Account::CustomerAdvance, customer.id, excess));
    if (auto s = append_receipt(plan, std::move(advance)); !s) return std::unexpected(s.error());
    return plan;
}

Result<Plan> plan_return(const ReturnEvent& ev, const OrderFacts& f, const ReceiptContext& ctx,
                         const PlannerPolicy& policy) {
    if (auto s = check_order(f); !s) return std::unexpected(s.error());
    if (f.state != OrderState::Delivered)
        return fail("order_not_delivered", "order " + f.order.id + " was not delivered");
    if (ev.items.empty()) return fail("empty_receipt", "a return needs at least one item");
    const auto sum = refund_sum(ev.refund);
    if (!sum) return std::unexpected(sum.error());
    if (ev.refund.credit > f.credit_owed) {
        return fail("credit_exceeds_owed", "writing off " + ev.refund.credit.to_roubles_string() + " of credit, " +
                                               f.credit_owed.to_roubles_string() + " is owed");
    }

    // The same sku twice in one event counts once, with the quantities added.
    std::vector<ReturnItem> items;
    for (const auto& it : ev.items) {
        if (!it.quantity.is_positive())
            return fail("invalid_line", "returned quantity of " + it.sku + " must be positive");
        auto same = std::find_if(items.begin(), items.end(), [&](const ReturnItem& x) { return x.sku == it.sku; });
        if (same == items.end()) {
            items.push_back(it);
        } else {
            same->quantity = same->quantity + it.quantity;
        }
    }
    PlannedReceipt pr;
    pr.receipt = base_receipt(ctx, CalcSign::IncomeReturn);
    pr.customer = f.order.customer;
    pr.orders.push_back(f.order.id);
    for (const auto& it : items) {
        const auto ol = std::find_if(f.order.lines.begin(), f.order.lines.end(),
                                     [&](const OrderLine& l) { return l.sku == it.sku; });
        if (ol == f.order.lines.end()) return fail("unknown_sku", "order " + f.order.id + " has no sku " + it.sku);
        const auto done = f.returned.find(it.sku);
        const Quantity already = done == f.returned.end() ? Quantity{} : done->second;
        // Goods refused at the door were never sold: only what was handed over can come back.
        const auto no = f.refused.find(it.sku);
        const Quantity sold = ol->quantity - (no == f.refused.end() ? Quantity{} : no->second);
        if (already.micro() < 0 || sold.micro() < 0 || already + it.quantity > sold) {
            return fail("return_exceeds_sold", "sku " + it.sku + ": sold " + sold.to_string() + ", returned " +
                                                   already.to_string() + ", asked " + it.quantity.to_string());
        }
        // §3.7: the return repeats the sale's 1214 / 1212 / 1199.
        auto line = make_line(ol->name, it.quantity, ol->unit, ol->price, f.settlement_method, ol->subject,
                              ol->vat_class, ol->sku);
        if (!line) return std::unexpected(line.error());
        pr.receipt.lines.push_back(std::move(*line));
        pr.return_moves.push_back(ReturnMove{f.order.id, it.sku, it.quantity});
    }
    const Kopecks total = lines_total(pr.receipt.lines);
    if (*sum != total) {
        return fail("amount_mismatch", "the returned goods cost " + total.to_roubles_string() + ", the refund is " +
                                           sum->to_roubles_string());
    }
    // Goods still owed for are not paid back in money: the debt goes first.
    const Kopecks must_write_off = std::min(f.credit_owed, total);
    if (policy.return_reduces_credit_first && ev.refund.credit < must_write_off) {
        return fail("credit_not_written_off", "the order owes " + f.credit_owed.to_roubles_string() +
                                                  "; the refund must write off " + must_write_off.to_roubles_string() +
                                                  " of credit first");
    }
    if (ev.refund.credit.is_positive()) {
        pr.balance_moves.push_back(move(Account::OrderCredit, f.order.id, -ev.refund.credit));
    }
    Plan plan;
    if (auto s = refund_receipts(plan, std::move(pr), ev.refund, f.order.customer, ctx, policy); !s) {
        return std::unexpected(s.error());
    }
    return plan;
}

Result<Plan> plan_cancel(const CancelEvent& ev, const OrderFacts& f, const ReceiptContext& ctx,
                         const PlannerPolicy& policy) {
    if (auto s = check_order(f); !s) return std::unexpected(s.error());
    if (f.state != OrderState::Open)
        return fail("order_not_open", "order " + f.order.id + " is delivered or cancelled");
    const auto sum = refund_sum(ev.refund);
    if (!sum) return std::unexpected(sum.error());
    if (ev.refund.credit.is_positive())
        return fail("invalid_payment", "an undelivered order has no credit to write off");
    if (*sum != f.prepaid) {
        return fail("amount_mismatch", "the order's prepayment is " + f.prepaid.to_roubles_string() +
                                           ", the refund is " + sum->to_roubles_string());
    }
    const StateMove cancelled{f.order.id, OrderState::Cancelled, std::nullopt};
    Plan plan;
    if (f.prepaid.is_zero()) {
        // Nothing was paid, so there is nothing to fiscalise.
        plan.state_moves.push_back(cancelled);
        return plan;
    }
    const Kopecks total = order_total(f.order);
    if (f.prepaid > total) return fail("inconsistent_facts", "order " + f.order.id + " is prepaid above its total");
    // §3.7: the refund of a prepayment repeats the prepayment lines (1214 = 1/2, calculated rate).
    auto lines = prepayment_lines(f, f.prepaid, policy, f.prepaid == total);
    if (!lines) return std::unexpected(lines.error());
    PlannedReceipt pr;
    pr.receipt = base_receipt(ctx, CalcSign::IncomeReturn);
    pr.customer = f.order.customer;
    pr.orders.push_back(f.order.id);
    pr.receipt.lines = std::move(*lines);
    pr.balance_moves.push_back(move(Account::OrderPrepaid, f.order.id, -f.prepaid));
    pr.state_moves.push_back(cancelled);
    if (auto s = refund_receipts(plan, std::move(pr), ev.refund, f.order.customer, ctx, policy); !s) {
        return std::unexpected(s.error());
    }
    return plan;
}

Result<Plan> plan_balance_refund(const BalanceRefundEvent& ev, const CustomerFacts& customer, const ReceiptContext& ctx,
                                 const PlannerPolicy& policy) {
    if (auto s = check_amounts({ev.cash, ev.electronic}); !s) return std::unexpected(s.error());
    if (auto s = check_facts(customer); !s) return std::unexpected(s.error());
    const Kopecks amount = ev.cash + ev.electronic;
    if (!amount.is_positive()) return fail("invalid_payment", "a refund must pay something back");
    if (amount > customer.advance_balance) {
        return fail("insufficient_advance", "refunding " + amount.to_roubles_string() + ", the balance is " +
                                                customer.advance_balance.to_roubles_string());
    }
    // §3.7 c′: «Аванс» at 1214 = 3 with 1054 = 2.
    PlannedReceipt pr;
    pr.receipt = base_receipt(ctx, CalcSign::IncomeReturn);
    pr.customer = customer.id;
    auto line = advance_line(amount, policy);
    if (!line) return std::unexpected(line.error());
    pr.receipt.lines.push_back(std::move(*line));
    pr.receipt.payments.cash = ev.cash;
    pr.receipt.payments.electronic = ev.electronic;
    pr.balance_moves.push_back(move(Account::CustomerAdvance, customer.id, -amount));
    Plan plan;
    if (auto s = append_receipt(plan, std::move(pr)); !s) return std::unexpected(s.error());
    return plan;
}

Result<Plan> plan_credit_repayment(const CreditRepaymentEvent& ev, const OrderFacts& f, const ReceiptContext& ctx,
                                   const PlannerPolicy& policy) {
    if (auto s = check_amounts({ev.cash, ev.electronic}); !s) return std::unexpected(s.error());
    if (auto s = check_order(f); !s) return std::unexpected(s.error());
    if (f.state != OrderState::Delivered)
        return fail("order_not_delivered", "order " + f.order.id + " was not delivered");
    const Kopecks amount = ev.cash + ev.electronic;
    if (!amount.is_positive()) return fail("invalid_payment", "a repayment must bring money");
    if (amount > f.credit_owed) {
        return fail("repayment_exceeds_credit",
                    "repaying " + amount.to_roubles_string() + ", " + f.credit_owed.to_roubles_string() + " is owed");
    }
    const std::string name = policy.credit_repayment_line_prefix + f.order.id;
    PlannedReceipt pr;
    pr.receipt = base_receipt(ctx, CalcSign::Income);
    pr.customer = f.order.customer;
    pr.orders.push_back(f.order.id);
    if (policy.credit_repayment_without_vat) {
        // §3.8 / S12: 1214 = 7, 1212 = 10, 1199 = 6.
        auto line = make_line(name, Quantity::whole(1), 0, amount, PaymentMethod::CreditPayment, subject::kPayment,
                              VatClass::None);
        if (!line) return std::unexpected(line.error());
        pr.receipt.lines.push_back(std::move(*line));
    } else {
        auto lines = split_lines(f.order, amount, PaymentMethod::CreditPayment, name);
        if (!lines) return std::unexpected(lines.error());
        for (auto& l : *lines) l.subject = subject::kPayment;
        pr.receipt.lines = std::move(*lines);
    }
    pr.receipt.payments.cash = ev.cash;
    pr.receipt.payments.electronic = ev.electronic;
    pr.balance_moves.push_back(move(Account::OrderCredit, f.order.id, -amount));
    Plan plan;
    if (auto s = append_receipt(plan, std::move(pr)); !s) return std::unexpected(s.error());
    return plan;
}

namespace {

CalcSign reversed(CalcSign s) {
    switch (s) {
        case CalcSign::Income:
            return CalcSign::IncomeReturn;
        case CalcSign::IncomeReturn:
            return CalcSign::Income;
        case CalcSign::Expense:
            return CalcSign::ExpenseReturn;
        case CalcSign::ExpenseReturn:
            return CalcSign::Expense;
    }
    return s;
}

}  // namespace

Result<Plan> plan_correction(const CorrectionEvent& ev, const ReceiptContext& ctx) {
    Plan plan;
    if (ev.erroneous) {
        // §7 case (b), FFD 1.2: first the reverse correction repeating the wrong data.
        PlannedReceipt reverse;
        reverse.receipt = *ev.erroneous;
        reverse.receipt.sign = reversed(ev.erroneous->sign);
        reverse.receipt.cashier = ctx.cashier;
        reverse.receipt.cashier_inn = ctx.cashier_inn;
        reverse.receipt.correction = ev.correction;
        reverse.receipt.additional_attribute = ev.corrected_fiscal_sign;
        reverse.customer = ev.customer;
        reverse.orders = ev.orders;
        if (auto s = validate_receipt(reverse.receipt); !s) return std::unexpected(s.error());
        plan.receipts.push_back(std::move(reverse));
    }
    PlannedReceipt correct;
    correct.receipt = base_receipt(ctx, ev.correct.sign);
    for (const auto& l : ev.correct.lines) {
        auto line = make_line(l.name, l.quantity, l.unit, l.price, l.method, l.subject, l.vat_class, l.sku);
        if (!line) return std::unexpected(line.error());
        correct.receipt.lines.push_back(std::move(*line));
    }
    correct.receipt.payments = ev.correct.payments;
    correct.receipt.correction = ev.correction;
    correct.receipt.additional_attribute = ev.corrected_fiscal_sign;
    correct.customer = ev.customer;
    correct.orders = ev.orders;
    if (auto s = append_receipt(plan, std::move(correct)); !s) return std::unexpected(s.error());
    return plan;
}

Result<Plan> plan_raw_receipt(const RawReceiptEvent& ev) {
    if (auto s = validate_receipt(ev.receipt); !s) return std::unexpected(s.error());
    Plan plan;
    plan.receipts.push_back(PlannedReceipt{ev.receipt, ev.customer, ev.orders, {}, {}, {}});
    return plan;
}

Result<Plan> as_correction(Plan plan, const Correction& correction, const std::string& corrected_fiscal_sign) {
    for (auto& pr : plan.receipts) {
        pr.receipt.correction = correction;
        pr.receipt.additional_attribute = corrected_fiscal_sign;
        if (auto s = validate_receipt(pr.receipt); !s) return std::unexpected(s.error());
    }
    return plan;
}

Result<Plan> plan_event(const Event& event, const Facts& facts, const ReceiptContext& ctx,
                        const PlannerPolicy& policy) {
    auto order = [&](const std::string& id) -> Result<const OrderFacts*> {
        const auto* f = facts.find_order(id);
        if (!f) return fail("unknown_order", "order " + id + " is not known");
        return f;
    };
    struct Visitor {
        const Facts& facts;
        const ReceiptContext& ctx;
        const PlannerPolicy& policy;
        decltype(order)& find;

        Result<Plan> operator()(const PaymentEvent& e) const {
            return plan_payment(e, facts.customer(e.customer), facts.orders, ctx, policy);
        }
        Result<Plan> operator()(const DeliveryEvent& e) const {
            auto f = find(e.order);
            if (!f) return std::unexpected(f.error());
            return plan_delivery(e, **f, facts.customer((*f)->order.customer), ctx, policy);
        }
        Result<Plan> operator()(const ReturnEvent& e) const {
            auto f = find(e.order);
            if (!f) return std::unexpected(f.error());
            return plan_return(e, **f, ctx, policy);
        }
        Result<Plan> operator()(const CancelEvent& e) const {
            auto f = find(e.order);
            if (!f) return std::unexpected(f.error());
            return plan_cancel(e, **f, ctx, policy);
        }
        Result<Plan> operator()(const BalanceRefundEvent& e) const {
            return plan_balance_refund(e, facts.customer(e.customer), ctx, policy);
        }
        Result<Plan> operator()(const CreditRepaymentEvent& e) const {
            auto f = find(e.order);
            if (!f) return std::unexpected(f.error());
            return plan_credit_repayment(e, **f, ctx, policy);
        }
        Result<Plan> operator()(const CorrectionEvent& e) const { return plan_correction(e, ctx); }
        Result<Plan> operator()(const RawReceiptEvent& e) const { return plan_raw_receipt(e); }
    };
    return std::visit(Visitor{facts, ctx, policy, order}, event);
}

}  // namespace kassa::fiscal
