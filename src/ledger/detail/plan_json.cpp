#include "ledger/detail/plan_json.hpp"

#include <boost/json.hpp>

#include "ledger/error.hpp"

namespace kassa::ledger::detail {

namespace json = boost::json;
using namespace kassa::fiscal;

namespace {

// Bumped when the layout changes incompatibly; old layouts stay readable.
constexpr std::int64_t kFormat = 1;

std::int64_t num(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return 0;  // absent fields take their default: forward-compatible additions
    if (const auto* i = v->if_int64()) return *i;
    if (const auto* u = v->if_uint64()) return static_cast<std::int64_t>(*u);
    throw LedgerError(errc::kStorage, "plan json: " + std::string(key) + " is not an integer");
}

std::string str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return {};
    if (const auto* s = v->if_string()) return std::string(s->data(), s->size());
    throw LedgerError(errc::kStorage, "plan json: " + std::string(key) + " is not a string");
}

const json::array& arr(const json::object& o, std::string_view key) {
    static const json::array kEmpty;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return kEmpty;
    if (const auto* a = v->if_array()) return *a;
    throw LedgerError(errc::kStorage, "plan json: " + std::string(key) + " is not an array");
}

const json::object& obj(const json::value& v) {
    if (const auto* o = v.if_object()) return *o;
    throw LedgerError(errc::kStorage, "plan json: object expected");
}

template <class E>
E as_enum(std::int64_t v) {
    return static_cast<E>(static_cast<std::underlying_type_t<E>>(v));
}

json::object encode_line(const ReceiptLine& l) {
    return json::object{{"name", l.name},
                        {"qty", l.quantity.micro()},
                        {"unit", l.unit},
                        {"price", l.price.value()},
                        {"amount", l.amount.value()},
                        {"method", static_cast<int>(l.method)},
                        {"subject", l.subject},
                        {"vat_class", static_cast<int>(l.vat_class)},
                        {"vat_code", l.vat_code},
                        {"vat", l.vat.value()},
                        {"sku", l.sku}};
}

ReceiptLine decode_line(const json::object& o) {
    ReceiptLine l;
    l.name = str(o, "name");
    l.quantity = Quantity::from_micro(num(o, "qty"));
    l.unit = static_cast<std::uint8_t>(num(o, "unit"));
    l.price = Kopecks{num(o, "price")};
    l.amount = Kopecks{num(o, "amount")};
    l.method = as_enum<PaymentMethod>(num(o, "method"));
    l.subject = static_cast<std::uint8_t>(num(o, "subject"));
    l.vat_class = as_enum<VatClass>(num(o, "vat_class"));
    l.vat_code = static_cast<std::uint8_t>(num(o, "vat_code"));
    l.vat = Kopecks{num(o, "vat")};
    l.sku = str(o, "sku");
    return l;
}

json::object encode_receipt(const Receipt& r) {
    json::array lines;
    for (const auto& l : r.lines) lines.emplace_back(encode_line(l));
    json::object o{{"sign", static_cast<int>(r.sign)},
                   {"lines", std::move(lines)},
                   {"cash", r.payments.cash.value()},
                   {"electronic", r.payments.electronic.value()},
                   {"prepayment", r.payments.prepayment.value()},
                   {"credit", r.payments.credit.value()},
                   {"provision", r.payments.provision.value()},
                   {"total", r.total.value()},
                   {"tax_system", static_cast<int>(r.tax_system)},
                   {"cashier", r.cashier},
                   {"cashier_inn", r.cashier_inn},
                   {"buyer_contact", r.buyer_contact},
                   {"settlement_address", r.settlement_address},
                   {"settlement_place", r.settlement_place},
                   {"additional_attribute", r.additional_attribute}};
    if (r.correction) {
        o["correction"] = json::object{{"type", r.correction->type},
                                       {"date_unix", r.correction->date_unix},
                                       {"order_number", r.correction->order_number}};
    }
    return o;
}

Receipt decode_receipt(const json::object& o) {
    Receipt r;
    r.sign = as_enum<CalcSign>(num(o, "sign"));
    for (const auto& l : arr(o, "lines")) r.lines.push_back(decode_line(obj(l)));
    r.payments.cash = Kopecks{num(o, "cash")};
    r.payments.electronic = Kopecks{num(o, "electronic")};
    r.payments.prepayment = Kopecks{num(o, "prepayment")};
    r.payments.credit = Kopecks{num(o, "credit")};
    r.payments.provision = Kopecks{num(o, "provision")};
    r.total = Kopecks{num(o, "total")};
    r.tax_system = as_enum<TaxSystem>(num(o, "tax_system"));
    r.cashier = str(o, "cashier");
    r.cashier_inn = str(o, "cashier_inn");
    r.buyer_contact = str(o, "buyer_contact");
    r.settlement_address = str(o, "settlement_address");
    r.settlement_place = str(o, "settlement_place");
    r.additional_attribute = str(o, "additional_attribute");
    if (const json::value* c = o.if_contains("correction")) {
        const auto& co = obj(*c);
        r.correction =
            Correction{static_cast<std::uint8_t>(num(co, "type")), num(co, "date_unix"), str(co, "order_number")};
    }
    return r;
}

}  // namespace

std::string encode_planned_receipt(const PlannedReceipt& p) {
    json::array orders;
    for (const auto& id : p.orders) orders.emplace_back(id);
    json::array balance;
    for (const auto& m : p.balance_moves) {
        balance.emplace_back(
            json::object{{"account", static_cast<int>(m.account)}, {"owner", m.owner}, {"delta", m.delta.value()}});
    }
    json::array returns;
    for (const auto& m : p.return_moves) {
        returns.emplace_back(json::object{{"order", m.order}, {"sku", m.sku}, {"qty", m.quantity.micro()}});
    }
    json::array refusals;
    for (const auto& m : p.refusal_moves) {
        refusals.emplace_back(json::object{{"order", m.order}, {"sku", m.sku}, {"qty", m.quantity.micro()}});
    }
    json::array states;
    for (const auto& m : p.state_moves) {
        json::object move{{"order", m.order}, {"state", static_cast<int>(m.state)}};
        if (m.settlement_method) move["settlement_method"] = static_cast<int>(*m.settlement_method);
        states.emplace_back(std::move(move));
    }
    json::object o{{"format", kFormat},
                   {"receipt", encode_receipt(p.receipt)},
                   {"customer", p.customer},
                   {"orders", std::move(orders)},
                   {"balance_moves", std::move(balance)},
                   {"return_moves", std::move(returns)},
                   {"state_moves", std::move(states)}};
    if (!refusals.empty()) o["refusal_moves"] = std::move(refusals);  // absent in older plans
    return json::serialize(o);
}

PlannedReceipt decode_planned_receipt(std::string_view text) {
    json::error_code ec;
    const json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec) throw LedgerError(errc::kStorage, "plan json: " + ec.message());
    const auto& o = obj(v);
    if (num(o, "format") != kFormat) throw LedgerError(errc::kStorage, "plan json: unknown format");
    PlannedReceipt p;
    const json::value* r = o.if_contains("receipt");
    if (r == nullptr) throw LedgerError(errc::kStorage, "plan json: no receipt");
    p.receipt = decode_receipt(obj(*r));
    p.customer = str(o, "customer");
    for (const auto& id : arr(o, "orders")) {
        if (!id.is_string()) throw LedgerError(errc::kStorage, "plan json: order id is not a string");
        p.orders.emplace_back(id.get_string().data(), id.get_string().size());
    }
    for (const auto& m : arr(o, "balance_moves")) {
        const auto& mo = obj(m);
        p.balance_moves.push_back(
            BalanceMove{as_enum<Account>(num(mo, "account")), str(mo, "owner"), Kopecks{num(mo, "delta")}});
    }
    for (const auto& m : arr(o, "return_moves")) {
        const auto& mo = obj(m);
        p.return_moves.push_back(ReturnMove{str(mo, "order"), str(mo, "sku"), Quantity::from_micro(num(mo, "qty"))});
    }
    for (const auto& m : arr(o, "refusal_moves")) {
        const auto& mo = obj(m);
        p.refusal_moves.push_back(RefusalMove{str(mo, "order"), str(mo, "sku"), Quantity::from_micro(num(mo, "qty"))});
    }
    for (const auto& m : arr(o, "state_moves")) {
        const auto& mo = obj(m);
        StateMove move{str(mo, "order"), as_enum<OrderState>(num(mo, "state")), std::nullopt};
        if (mo.contains("settlement_method"))
            move.settlement_method = as_enum<PaymentMethod>(num(mo, "settlement_method"));
        p.state_moves.push_back(std::move(move));
    }
    return p;
}

}  // namespace kassa::ledger::detail
