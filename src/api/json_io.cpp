#include "api/json_io.hpp"

#include <cctype>
#include <chrono>
#include <set>

#include "api/errors.hpp"
#include "fiscal/validate.hpp"

namespace kassa::api {

namespace json = boost::json;
using fiscal::Kopecks;

namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& message) {
    throw ApiError(400, "invalid_field", field + ": " + message, field);
}

// Reads one JSON object strictly: every getter marks its key; finish() rejects the rest.
class Reader {
  public:
    Reader(const json::object& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

    std::string field(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    const json::value* get(std::string_view key, bool required) {
        known_.insert(std::string(key));
        const auto* v = obj_.if_contains(key);
        if (v && v->is_null()) v = nullptr;
        if (!v && required) throw ApiError(400, "missing_field", field(key) + " is required", field(key));
        return v;
    }

    std::string string(std::string_view key, bool required = false, std::size_t max_bytes = 1024) {
        const auto* v = get(key, required);
        if (!v) return {};
        if (!v->is_string()) invalid(field(key), "must be a string");
        const auto& s = v->as_string();
        if (s.size() > max_bytes) invalid(field(key), "is longer than " + std::to_string(max_bytes) + " bytes");
        if (required && s.empty()) throw ApiError(400, "missing_field", field(key) + " must not be empty", field(key));
        return std::string(s);
    }

    // An id (order, customer, register): the documented safe set (http.hpp), so that whatever is
    // stored can be reached in a path and written to JSON and logs as it is.
    std::string id(std::string_view key, bool required) {
        auto s = string(key, required, 64);
        if (!s.empty() && !is_safe_id(s))
            throw ApiError(400, "invalid_id", field(key) + " must be 1 to 64 of A-Z a-z 0-9 . _ : -", field(key));
        return s;
    }

    // Money is an integer number of kopecks, never a fraction (no floating point on a money path).
    Kopecks money(std::string_view key, bool required = false) {
        const auto* v = get(key, required);
        if (!v) return Kopecks{0};
        if (v->is_double()) invalid(field(key), "money is an integer number of kopecks, not a fraction");
        if (v->is_uint64() && v->as_uint64() > static_cast<std::uint64_t>(INT64_MAX))
            invalid(field(key), "is too large");
        if (!v->is_int64() && !v->is_uint64()) invalid(field(key), "must be an integer number of kopecks");
        const std::int64_t k = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
        if (k < 0) invalid(field(key), "must not be negative");
        if (k > 9'999'999'999) invalid(field(key), "is above 99 999 999.99 roubles");
        return Kopecks{k};
    }

    // A signed price for lines: the planner's validation turns ≤ 0 into invalid_line.
    Kopecks signed_money(std::string_view key, bool required) {
        const auto* v = get(key, required);
        if (!v) return Kopecks{0};
        if (v->is_double()) invalid(field(key), "money is an integer number of kopecks, not a fraction");
        if (!v->is_int64()) invalid(field(key), "must be an integer number of kopecks");
        const auto k = v->as_int64();
        if (k > 9'999'999'999 || k < -9'999'999'999) invalid(field(key), "is out of range");
        return Kopecks{k};
    }

    // "1.5" or 2: decimal strings keep six fraction digits exactly; JSON fractions are refused.
    fiscal::Quantity quantity(std::string_view key, bool required) {
        const auto* v = get(key, required);
        if (!v) return fiscal::Quantity::whole(1);
        if (v->is_int64()) {
            if (v->as_int64() < 0 || v->as_int64() > 99'999'999) invalid(field(key), "is out of range");
            return fiscal::Quantity::whole(v->as_int64());
        }
        if (v->is_string()) {
            const std::string_view s = v->as_string();
            if (!s.empty() && s.front() == '-') return fiscal::Quantity::from_micro(-1);  // invalid_line later
            auto q = fiscal::Quantity::parse(s);
            if (!q) invalid(field(key), q.error().message);
            return *q;
        }
        invalid(field(key), "must be a decimal string such as \"1.5\" or an integer");
    }

    std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t fallback) {
        const auto* v = get(key, false);
        if (!v) return fallback;
        if (!v->is_int64() && !v->is_uint64()) invalid(field(key), "must be an integer");
        const auto i = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
        if (i < min || i > max)
            invalid(field(key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return i;
    }

    std::optional<bool> boolean(std::string_view key) {
        const auto* v = get(key, false);
        if (!v) return std::nullopt;
        if (!v->is_bool()) invalid(field(key), "must be true or false");
        return v->as_bool();
    }

    const json::object* object(std::string_view key, bool required) {
        const auto* v = get(key, required);
        if (!v) return nullptr;
        if (!v->is_object()) invalid(field(key), "must be an object");
        return &v->as_object();
    }

    const json::array* array(std::string_view key, bool required) {
        const auto* v = get(key, required);
        if (!v) return nullptr;
        if (!v->is_array()) invalid(field(key), "must be an array");
        return &v->as_array();
    }

    void finish() const {
        for (const auto& [key, value] : obj_)
            if (!known_.contains(std::string(key)))
                throw ApiError(400, "unknown_field", field(key) + " is not a known field", field(key));
    }

    const std::string& path() const { return path_; }

  private:
    const json::object& obj_;
    std::string path_;
    std::set<std::string> known_;
};

const json::object& element_object(const json::value& v, const std::string& path) {
    if (!v.is_object()) invalid(path, "must be an object");
    return v.as_object();
}

std::string indexed(const std::string& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

// An optional array of ids (orders of a correction or raw receipt).
std::vector<std::string> read_ids(Reader& r, std::string_view key) {
    std::vector<std::string> out;
    const auto* ids = r.array(key, false);
    if (!ids) return out;
    for (std::size_t i = 0; i < ids->size(); ++i) {
        const auto field = indexed(r.field(key), i);
        if (!(*ids)[i].is_string()) invalid(field, "must be a string");
        const std::string_view id = (*ids)[i].as_string();
        if (!is_safe_id(id))
            throw ApiError(400, "invalid_id", field + " must be 1 to 64 of A-Z a-z 0-9 . _ : -", field);
        out.emplace_back(id);
    }
    return out;
}

// Fields every event may carry: the buyer's contact, who took the money, where, and routing.
void read_common(Reader& r, EventRequest& out) {
    out.context.buyer_contact = r.string("buyer_contact", false, 256);
    out.context.cashier = r.string("cashier", false, 256);
    out.context.cashier_inn = r.string("cashier_inn", false, 64);
    out.context.settlement_address = r.string("settlement_address", false, 1024);
    out.context.settlement_place = r.string("settlement_place", false, 1024);
    if (auto tax = r.string("tax_system", false, 64); !tax.empty()) {
        auto parsed = parse_tax_system(tax);
        if (!parsed)
            invalid(r.field("tax_system"), "must be one of osn, usn_income, usn_income_expense, envd, eshn, patent");
        out.context.tax_system = *parsed;
        out.tax_system_given = true;
    }
    out.entity_inn = r.string("entity_inn", false, 12);
    out.register_id = r.id("register", false);
}

// settled_at: "YYYY-MM-DDTHH:MM:SS", optional fraction, then Z or ±HH:MM (what a phone's
// Date.toISOString() writes). The day for 1178 is the one at the offset given: the place of settlement.
void read_settled_at(Reader& r, EventRequest& out) {
    const auto text = r.string("settled_at", false, 40);
    if (text.empty()) return;
    const auto bad = [&] { invalid("settled_at", "must be a time such as 2026-12-02T14:05:00Z or ...+03:00"); };
    const auto digits = [&](std::size_t at, std::size_t n) {
        int v = 0;
        if (at + n > text.size()) bad();
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') bad();
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    if (text.size() < 20 || !is_iso_date(std::string_view(text).substr(0, 10)) || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':')
        bad();
    const int hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (hour > 23 || minute > 59 || second > 59) bad();
    std::size_t at = 19;
    if (text[at] == '.') {
        ++at;
        const std::size_t from = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
        if (at == from || at - from > 9) bad();
    }
    int offset_minutes = 0;
    if (at < text.size() && text[at] == 'Z' && at + 1 == text.size()) {
        offset_minutes = 0;
    } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
        const int h = digits(at + 1, 2), m = digits(at + 4, 2);
        if (h > 14 || m > 59) bad();
        offset_minutes = (text[at] == '-' ? -1 : 1) * (h * 60 + m);
    } else {
        bad();
    }
    const std::chrono::year_month_day day{std::chrono::year{digits(0, 4)},
                                          std::chrono::month{static_cast<unsigned>(digits(5, 2))},
                                          std::chrono::day{static_cast<unsigned>(digits(8, 2))}};
    const std::chrono::sys_days local_day{day};
    const auto local =
        local_day + std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
    out.settled_at = Clock::time_point{
        std::chrono::duration_cast<Clock::duration>((local - std::chrono::minutes(offset_minutes)).time_since_epoch())};
    out.settled_day_unix = std::chrono::duration_cast<std::chrono::seconds>(local_day.time_since_epoch()).count();
}

// A field that names one of two choices, e.g. excess: "advance" | "change"; unset when absent.
template <class E>
std::optional<E> read_choice(Reader& r, std::string_view key, std::pair<const char*, E> a,
                             std::pair<const char*, E> b) {
    const auto text = r.string(key, false, 16);
    if (text.empty()) return std::nullopt;
    if (text == a.first) return a.second;
    if (text == b.first) return b.second;
    invalid(r.field(key), std::string("must be \"") + a.first + "\" or \"" + b.first + "\"");
}

// Goods by sku and quantity (returned, or handed over at the door): positive, or at least zero.
std::vector<fiscal::ReturnItem> read_items(const json::array& lines, const std::string& key, bool positive) {
    std::vector<fiscal::ReturnItem> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto path = indexed(key, i);
        Reader l(element_object(lines[i], path), path);
        fiscal::ReturnItem item{l.string("sku", true, 64), l.quantity("qty", true)};
        if (positive && !item.quantity.is_positive()) invalid(l.field("qty"), "must be positive");
        if (item.quantity.micro() < 0) invalid(l.field("qty"), "must not be negative");
        l.finish();
        out.push_back(std::move(item));
    }
    return out;
}

fiscal::Refund read_refund(Reader& parent) {
    const auto* obj = parent.object("refund", true);
    Reader r(*obj, parent.field("refund"));
    fiscal::Refund refund{.cash = r.money("cash"),
                          .electronic = r.money("electronic"),
                          .to_balance = r.money("to_balance"),
                          .credit = r.money("credit")};
    r.finish();
    return refund;
}

template <class T>
T read_enum(Reader& r, std::string_view key, std::int64_t min, std::int64_t max, T fallback) {
    return static_cast<T>(r.integer(key, min, max, static_cast<std::int64_t>(fallback)));
}

}  // namespace

TokenRequest read_token_request(const json::object& body) {
    Reader r(body, "");
    TokenRequest t;
    t.name = r.string("name", true, 64);
    if (std::ranges::any_of(t.name, [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
        invalid("name", "must not contain control characters");
    t.role = r.string("role", true, 16);
    const auto ids = [&](std::string_view key) {
        std::vector<std::string> out;
        const auto* list = r.array(key, false);
        if (!list) return out;
        if (list->size() > 64) invalid(std::string(key), "at most 64 ids");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto path = indexed(std::string(key), i);
            const auto& v = (*list)[i];
            if (!v.is_string() || !is_safe_id(v.as_string()))
                throw ApiError(400, "invalid_id", path + " must be 1 to 64 of A-Z a-z 0-9 . _ : -", path);
            if (std::ranges::find(out, std::string_view(v.as_string())) == out.end()) out.emplace_back(v.as_string());
        }
        return out;
    };
    t.entities = ids("entities");
    t.registers = ids("registers");
    t.base_url = r.string("base_url", false, 256);
    if (!t.base_url.empty()) {
        const bool scheme = t.base_url.starts_with("http://") || t.base_url.starts_with("https://");
        const bool plain = std::ranges::none_of(
            t.base_url, [](unsigned char c) { return c <= 0x20 || c >= 0x7F || c == '#' || c == '?' || c == '"'; });
        if (!scheme || !plain) invalid("base_url", "must be an http:// or https:// address without spaces, ? or #");
        while (t.base_url.ends_with('/')) t.base_url.pop_back();
    }
    r.finish();
    return t;
}

HttpResponse json_response(int status, const json::value& body) {
    HttpResponse res;
    res.status = status;
    res.body = json::serialize(body);
    return res;
}

json::object parse_body(const HttpRequest& req) {
    const auto type = req.header("content-type");
    if (!type.empty() && type.rfind("application/json", 0) != 0)
        throw ApiError(415, "unsupported_media_type", "the body must be application/json");
    if (req.body.empty()) throw ApiError(400, "invalid_json", "the request needs a JSON object body");
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 32;
    auto value = json::parse(req.body, ec, {}, options);
    if (ec) throw ApiError(400, "invalid_json", "the body is not valid JSON: " + ec.message());
    if (!value.is_object()) throw ApiError(400, "invalid_json", "the body must be a JSON object");
    return std::move(value.as_object());
}

std::string_view vat_class_name(fiscal::VatClass vat) {
    using fiscal::VatClass;
    switch (vat) {
        case VatClass::Vat22:
            return "vat22";
        case VatClass::Vat10:
            return "vat10";
        case VatClass::Vat0:
            return "vat0";
        case VatClass::None:
            return "none";
        case VatClass::Vat5:
            return "vat5";
        case VatClass::Vat7:
            return "vat7";
        case VatClass::Vat20:
            return "vat20";
    }
    return "unknown";
}

std::optional<fiscal::VatClass> parse_vat_class(std::string_view name) {
    using fiscal::VatClass;
    for (auto v : {VatClass::Vat22, VatClass::Vat10, VatClass::Vat0, VatClass::None, VatClass::Vat5, VatClass::Vat7,
                   VatClass::Vat20})
        if (vat_class_name(v) == name) return v;
    return std::nullopt;
}

std::string_view tax_system_name(fiscal::TaxSystem tax) {
    using fiscal::TaxSystem;
    switch (tax) {
        case TaxSystem::Osn:
            return "osn";
        case TaxSystem::UsnIncome:
            return "usn_income";
        case TaxSystem::UsnIncomeMinusExpense:
            return "usn_income_expense";
        case TaxSystem::Envd:
            return "envd";
        case TaxSystem::Eshn:
            return "eshn";
        case TaxSystem::Patent:
            return "patent";
    }
    return "unknown";
}

std::optional<fiscal::TaxSystem> parse_tax_system(std::string_view name) {
    using fiscal::TaxSystem;
    for (auto t : {TaxSystem::Osn, TaxSystem::UsnIncome, TaxSystem::UsnIncomeMinusExpense, TaxSystem::Envd,
                   TaxSystem::Eshn, TaxSystem::Patent})
        if (tax_system_name(t) == name) return t;
    return std::nullopt;
}

bool is_iso_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (text[i] < '0' || text[i] > '9') return false;
    const auto number = [&](std::size_t at, std::size_t n) {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
        return v;
    };
    const std::chrono::year_month_day day{std::chrono::year{number(0, 4)},
                                          std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                          std::chrono::day{static_cast<unsigned>(number(8, 2))}};
    return day.ok();
}

bool is_clock_time(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return false;
    for (std::size_t i : {0, 1, 3, 4})
        if (text[i] < '0' || text[i] > '9') return false;
    return (text[0] - '0') * 10 + (text[1] - '0') <= 23 && text[3] <= '5';
}

bool is_payment_method(std::string_view text) {
    return text == "cash" || text == "card" || text == "sbp" || text == "credit" || text == "prepaid";
}

fiscal::Order read_order(const json::object& body, const std::string& path_id, ledger::OrderDelivery* delivery) {
    Reader r(body, "");
    fiscal::Order order;
    order.id = r.id("id", path_id.empty());
    if (!path_id.empty()) {
        if (!order.id.empty() && order.id != path_id)
            throw ApiError(400, "invalid_field", "id in the body differs from the one in the path", "id");
        order.id = path_id;
    }
    order.customer = r.id("customer", true);
    order.entity_inn = r.string("entity_inn", false, 12);
    const auto* lines = r.array("lines", true);
    if (lines->empty()) throw ApiError(400, "missing_field", "lines must not be empty", "lines");
    if (lines->size() > 249) invalid("lines", "at most 249 lines fit one receipt");
    for (std::size_t i = 0; i < lines->size(); ++i) {
        const auto path = indexed("lines", i);
        Reader l(element_object((*lines)[i], path), path);
        fiscal::OrderLine line;
        line.sku = l.string("sku", true, 64);
        line.name = l.string("name", true, 512);
        line.quantity = l.quantity("qty", true);
        line.unit = static_cast<std::uint8_t>(l.integer("unit", 0, 255, 0));
        line.price = l.signed_money("price", true);
        const auto vat = l.string("vat", true, 16);
        auto parsed = parse_vat_class(vat);
        if (!parsed) invalid(l.field("vat"), "must be one of vat22, vat10, vat0, none, vat5, vat7, vat20");
        line.vat_class = *parsed;
        line.subject = static_cast<std::uint8_t>(l.integer("subject", 1, 33, fiscal::subject::kGoods));
        l.finish();
        order.lines.push_back(std::move(line));
    }
    ledger::OrderDelivery d;
    d.courier = r.string("courier", false, 64);
    d.date = r.string("delivery_date", false, 10);
    if (!d.date.empty() && !is_iso_date(d.date)) invalid("delivery_date", "must be a date written YYYY-MM-DD");
    d.address = r.string("delivery_address", false, 1024);
    if (!d.address.empty()) {
        if (auto valid = fiscal::validate_text(d.address, fiscal::limits::kAddress, "delivery_address"); !valid)
            invalid("delivery_address", valid.error().message);
    }
    d.contact = r.string("customer_contact", false, 256);
    if (!d.contact.empty()) {
        if (auto valid = fiscal::validate_contact(d.contact); !valid)
            throw ApiError(400, "invalid_contact", "customer_contact: " + valid.error().message, "customer_contact");
    }
    // What the courier should expect at the door (migration 009).
    d.payment_method = r.string("payment_method", false, 16);
    if (!d.payment_method.empty() && !is_payment_method(d.payment_method))
        invalid("payment_method", "must be one of cash, card, sbp, credit, prepaid");
    d.deliver_from = r.string("deliver_from", false, 5);
    d.deliver_by = r.string("deliver_by", false, 5);
    if (!d.deliver_from.empty() && !is_clock_time(d.deliver_from))
        invalid("deliver_from", "must be a time of day written HH:MM");
    if (!d.deliver_by.empty() && !is_clock_time(d.deliver_by))
        invalid("deliver_by", "must be a time of day written HH:MM");
    if (!d.deliver_from.empty() && d.deliver_by.empty())
        invalid("deliver_from", "a window needs its end: give deliver_by as well");
    if (!d.deliver_from.empty() && d.deliver_from >= d.deliver_by)  // HH:MM compares as text
        invalid("deliver_from", "must be earlier than deliver_by");
    if (!d.deliver_by.empty() && d.date.empty())
        invalid("deliver_by", "a deadline needs the day: give delivery_date as well");
    // An order to be paid on credit may of course be settled on credit; otherwise only when it says so.
    const auto credit = r.boolean("credit_allowed");
    if (credit == false && d.payment_method == "credit")
        invalid("credit_allowed", "an order to be paid on credit (payment_method credit) allows credit");
    d.credit_allowed = credit.value_or(d.payment_method == "credit");
    if (delivery) *delivery = std::move(d);
    r.finish();
    return order;
}

EventRequest read_payment(const json::object& body) {
    Reader r(body, "");
    EventRequest out;
    fiscal::PaymentEvent e;
    e.customer = r.id("customer", true);
    e.cash = r.money("cash");
    e.electronic = r.money("electronic");
    if (const auto* allocate = r.array("allocate", false)) {
        for (std::size_t i = 0; i < allocate->size(); ++i) {
            const auto path = indexed("allocate", i);
            Reader a(element_object((*allocate)[i], path), path);
            e.allocate.push_back(fiscal::Allocation{a.id("order", true), a.money("amount", true)});
            a.finish();
        }
    }
    read_settled_at(r, out);  // money taken while offline: the phone's time of it (late settlement)
    read_common(r, out);
    r.finish();
    if ((e.cash + e.electronic).is_zero())
        throw ApiError(422, "invalid_payment", "a payment needs cash or electronic money");
    out.event = std::move(e);
    return out;
}

EventRequest read_delivery(const json::object& body, const std::string& order) {
    Reader r(body, "");
    EventRequest out;
    fiscal::DeliveryEvent e;
    e.order = order;
    e.cash = r.money("cash");
    e.electronic = r.money("electronic");
    e.use_advance = r.money("use_advance");
    e.credit = r.money("credit");
    e.excess = read_choice<fiscal::ExcessHandling>(r, "excess", {"advance", fiscal::ExcessHandling::Advance},
                                                   {"change", fiscal::ExcessHandling::Change});
    // The goods handed over, when some were refused at the door (absent: everything).
    if (const auto* lines = r.array("delivered", false)) e.delivered = read_items(*lines, "delivered", false);
    e.refused_prepayment =
        read_choice<fiscal::RefusedPrepayment>(r, "refused_prepayment", {"advance", fiscal::RefusedPrepayment::Advance},
                                               {"refund", fiscal::RefusedPrepayment::Refund});
    read_settled_at(r, out);
    // The reference (RRN) of a payment on the courier's own card terminal.
    out.card_reference = r.string("card_reference", false, 64);
    for (const char c : out.card_reference)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '/')
            invalid("card_reference", "may hold only letters, digits, - and /");
    if (!out.card_reference.empty() && !e.electronic.is_positive())
        invalid("card_reference", "is for a card payment: electronic must be above zero");
    read_common(r, out);
    r.finish();
    out.event = std::move(e);
    return out;
}

EventRequest read_return(const json::object& body, const std::string& order) {
    Reader r(body, "");
    EventRequest out;
    fiscal::ReturnEvent e;
    e.order = order;
    const auto* lines = r.array("lines", true);
    if (lines->empty()) throw ApiError(400, "missing_field", "lines must not be empty", "lines");
    e.items = read_items(*lines, "lines", true);
    e.refund = read_refund(r);
    read_common(r, out);
    r.finish();
    out.event = std::move(e);
    return out;
}

EventRequest read_cancel(const json::object& body, const std::string& order) {
    Reader r(body, "");
    EventRequest out;
    fiscal::CancelEvent e;
    e.order = order;
    e.refund = read_refund(r);
    read_common(r, out);
    r.finish();
    out.event = std::move(e);
    return out;
}

EventRequest read_balance_refund(const json::object& body, const std::string& customer) {
    Reader r(body, "");
    EventRequest out;
    fiscal::BalanceRefundEvent e{.customer = customer, .cash = r.money("cash"), .electronic = r.money("electronic")};
    read_common(r, out);
    r.finish();
    if ((e.cash + e.electronic).is_zero())
        throw ApiError(422, "invalid_payment", "a refund needs cash or electronic money");
    out.event = std::move(e);
    return out;
}

EventRequest read_credit_repayment(const json::object& body, const std::string& order) {
    Reader r(body, "");
    EventRequest out;
    fiscal::CreditRepaymentEvent e{.order = order, .cash = r.money("cash"), .electronic = r.money("electronic")};
    read_settled_at(r, out);  // a repayment taken at the door while offline: as for a delivery
    read_common(r, out);
    r.finish();
    if ((e.cash + e.electronic).is_zero())
        throw ApiError(422, "invalid_payment", "a repayment needs cash or electronic money");
    out.event = std::move(e);
    return out;
}

fiscal::Receipt read_receipt(const json::object& obj, const std::string& path) {
    Reader r(obj, path);
    fiscal::Receipt receipt;
    receipt.sign = read_enum(r, "tag1054", 1, 4, fiscal::CalcSign::Income);
    const auto* lines = r.array("lines", true);
    for (std::size_t i = 0; i < lines->size(); ++i) {
        const auto lpath = indexed(r.field("lines"), i);
        Reader l(element_object((*lines)[i], lpath), lpath);
        fiscal::ReceiptLine line;
        line.name = l.string("name", true, 512);
        line.quantity = l.quantity("qty", true);
        line.unit = static_cast<std::uint8_t>(l.integer("unit", 0, 255, 0));
        line.price = l.signed_money("price", true);
        line.amount = l.signed_money("amount", false);
        line.method = read_enum(l, "tag1214", 1, 7, fiscal::PaymentMethod::FullPayment);
        line.subject = static_cast<std::uint8_t>(l.integer("tag1212", 1, 33, fiscal::subject::kGoods));
        line.vat_code = static_cast<std::uint8_t>(l.integer("tag1199", 1, 12, 0));
        line.vat = l.money("vat");
        if (auto vat = l.string("vat_class", false, 16); !vat.empty()) {
            auto parsed = parse_vat_class(vat);
            if (!parsed) invalid(l.field("vat_class"), "is not a VAT class");
            line.vat_class = *parsed;
        }
        line.sku = l.string("sku", false, 64);
        l.finish();
        receipt.lines.push_back(std::move(line));
    }
    receipt.payments = fiscal::Payments{.cash = r.money("tag1031"),
                                        .electronic = r.money("tag1081"),
                                        .prepayment = r.money("tag1215"),
                                        .credit = r.money("tag1216"),
                                        .provision = r.money("tag1217")};
    receipt.total = r.money("total", true);
    if (auto tax = r.string("tax_system", false, 64); !tax.empty()) {
        auto parsed = parse_tax_system(tax);
        if (!parsed) invalid(r.field("tax_system"), "is not a taxation system");
        receipt.tax_system = *parsed;
    }
    receipt.buyer_contact = r.string("buyer_contact", false, 256);
    receipt.cashier = r.string("cashier", false, 256);
    receipt.cashier_inn = r.string("cashier_inn", false, 64);
    receipt.settlement_address = r.string("settlement_address", false, 1024);
    receipt.settlement_place = r.string("settlement_place", false, 1024);
    receipt.additional_attribute = r.string("tag1192", false, 64);
    r.finish();
    return receipt;
}

namespace {

fiscal::Correction read_correction_fields(Reader& parent) {
    const auto* obj = parent.object("correction", true);
    Reader r(*obj, parent.field("correction"));
    fiscal::Correction c;
    const auto type = r.string("type", true, 16);
    if (type == "self")
        c.type = 0;
    else if (type == "by_order")
        c.type = 1;
    else
        invalid(r.field("type"), "must be \"self\" or \"by_order\"");
    // 1178 is a date: "YYYY-MM-DD", stored as UnixTime at 00:00:00 (fiscal-rules.md §7). It must be a
    // day of the calendar: 2024-02-31 is refused, never rolled over into March.
    const auto date = r.string("date", true, 10);
    const auto digits = [&](std::size_t from, std::size_t n) {
        int v = 0;
        for (std::size_t i = from; i < from + n; ++i) {
            if (date[i] < '0' || date[i] > '9') invalid(r.field("date"), "must be a date YYYY-MM-DD");
            v = v * 10 + (date[i] - '0');
        }
        return v;
    };
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') invalid(r.field("date"), "must be a date YYYY-MM-DD");
    const std::chrono::year_month_day ymd{std::chrono::year(digits(0, 4)),
                                          std::chrono::month(static_cast<unsigned>(digits(5, 2))),
                                          std::chrono::day(static_cast<unsigned>(digits(8, 2)))};
    if (!ymd.ok() || ymd.year() < std::chrono::year(2000))
        invalid(r.field("date"), "is not a day of the calendar (YYYY-MM-DD, from 2000)");
    const auto days = std::chrono::sys_days(ymd);
    c.date_unix = std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count();
    c.order_number = r.string("order_number", false, 128);
    r.finish();
    return c;
}

}  // namespace

EventRequest read_correction(const json::object& body) {
    Reader r(body, "");
    EventRequest out;
    fiscal::CorrectionEvent e;
    e.correction = read_correction_fields(r);
    e.corrected_fiscal_sign = r.string("corrected_fiscal_sign", false, 64);
    if (const auto* wrong = r.object("erroneous", false)) e.erroneous = read_receipt(*wrong, "erroneous");
    e.correct = read_receipt(*r.object("correct", true), "correct");
    e.customer = r.id("customer", false);
    e.orders = read_ids(r, "orders");
    read_common(r, out);
    r.finish();
    out.event = std::move(e);
    return out;
}

EventRequest read_raw_receipt(const json::object& body) {
    Reader r(body, "");
    EventRequest out;
    fiscal::RawReceiptEvent e;
    e.receipt = read_receipt(*r.object("receipt", true), "receipt");
    e.customer = r.id("customer", false);
    e.orders = read_ids(r, "orders");
    out.entity_inn = r.string("entity_inn", false, 12);
    out.register_id = r.id("register", false);
    r.finish();
    out.context.tax_system = e.receipt.tax_system;
    out.event = std::move(e);
    return out;
}

json::object receipt_to_json(const fiscal::Receipt& receipt) {
    json::object out;
    out["tag1054"] = static_cast<int>(receipt.sign);
    json::array lines;
    for (const auto& l : receipt.lines) {
        json::object line;
        line["name"] = l.name;
        if (!l.sku.empty()) line["sku"] = l.sku;
        line["qty"] = l.quantity.to_string();
        line["unit"] = l.unit;
        line["price"] = l.price.value();
        line["amount"] = l.amount.value();
        line["tag1214"] = static_cast<int>(l.method);
        line["tag1212"] = l.subject;
        line["tag1199"] = l.vat_code;
        line["vat"] = l.vat.value();
        lines.push_back(std::move(line));
    }
    out["lines"] = std::move(lines);
    out["tag1031"] = receipt.payments.cash.value();
    out["tag1081"] = receipt.payments.electronic.value();
    out["tag1215"] = receipt.payments.prepayment.value();
    out["tag1216"] = receipt.payments.credit.value();
    out["tag1217"] = receipt.payments.provision.value();
    out["total"] = receipt.total.value();
    out["tax_system"] = tax_system_name(receipt.tax_system);
    if (!receipt.cashier.empty()) out["cashier"] = receipt.cashier;
    if (!receipt.buyer_contact.empty()) out["buyer_contact"] = receipt.buyer_contact;
    if (!receipt.settlement_address.empty()) out["settlement_address"] = receipt.settlement_address;
    if (!receipt.settlement_place.empty()) out["settlement_place"] = receipt.settlement_place;
    if (receipt.correction) {
        out["correction"] = json::object{{"type", receipt.correction->type == 0 ? "self" : "by_order"},
                                         {"date_unix", receipt.correction->date_unix},
                                         {"order_number", receipt.correction->order_number}};
    }
    if (!receipt.additional_attribute.empty()) out["tag1192"] = receipt.additional_attribute;
    return out;
}

json::object order_to_json(const fiscal::Order& order, const ledger::OrderDelivery& delivery) {
    json::array lines;
    for (const auto& l : order.lines)
        lines.push_back(json::object{{"sku", l.sku},
                                     {"name", l.name},
                                     {"qty", l.quantity.to_string()},
                                     {"unit", l.unit},
                                     {"price", l.price.value()},
                                     {"vat", vat_class_name(l.vat_class)},
                                     {"subject", l.subject}});
    json::object out{
        {"id", order.id}, {"customer", order.customer}, {"entity_inn", order.entity_inn}, {"lines", std::move(lines)}};
    if (!delivery.courier.empty()) out["courier"] = delivery.courier;
    if (!delivery.date.empty()) out["delivery_date"] = delivery.date;
    if (!delivery.address.empty()) out["delivery_address"] = delivery.address;
    if (!delivery.contact.empty()) out["customer_contact"] = delivery.contact;
    if (!delivery.payment_method.empty()) out["payment_method"] = delivery.payment_method;
    if (!delivery.deliver_from.empty()) out["deliver_from"] = delivery.deliver_from;
    if (!delivery.deliver_by.empty()) out["deliver_by"] = delivery.deliver_by;
    if (delivery.credit_allowed) out["credit_allowed"] = true;
    return out;
}

}  // namespace kassa::api
