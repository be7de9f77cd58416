#include "fiscal/validate.hpp"

#include <algorithm>
#include <string>

#include "fiscal/cp866.hpp"
#include "fiscal/tlv.hpp"
#include "fiscal/vat.hpp"

namespace kassa::fiscal {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_phone(std::string_view s) {
    // fiscal-rules.md §3.10: "+7XXXXXXXXXX".
    return s.size() == 12 && s.starts_with("+7") && std::all_of(s.begin() + 2, s.end(), is_digit);
}

bool is_email(std::string_view s) {
    // A deliberately plain check (one '@', a dotted domain of letters, digits and '-'): enough to
    // catch a phone typed wrong or free text; the OFD does the delivery.
    const auto at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
    const auto local = s.substr(0, at);
    const auto domain = s.substr(at + 1);
    constexpr std::string_view kLocalExtra = ".!#$%&'*+/=?^_`{|}~-";
    for (char c : local) {
        if (!is_alnum(c) && kLocalExtra.find(c) == std::string_view::npos) return false;
    }
    if (local.front() == '.' || local.back() == '.') return false;
    if (domain.find('.') == std::string_view::npos) return false;
    std::size_t start = 0;
    while (start <= domain.size()) {
        auto end = domain.find('.', start);
        if (end == std::string_view::npos) end = domain.size();
        const auto label = domain.substr(start, end - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            if (!is_alnum(c) && c != '-') return false;
        }
        start = end + 1;
    }
    return true;
}

bool is_valid_payment_method(PaymentMethod m) {
    const auto v = static_cast<int>(m);
    return v >= 1 && v <= 7;
}

Status check_line(const ReceiptLine& line, std::size_t index) {
    const std::string where = "line " + std::to_string(index + 1) + ": ";
    auto bad = [&](std::string why) { return fail("invalid_line", where + why); };
    if (line.name.empty()) return bad("empty name (1030)");
    if (auto s = validate_text(line.name, limits::kName, "1030 item name"); !s) return s;
    if (!line.quantity.is_positive()) return bad("quantity (1023) must be positive");
    if (!line.price.is_positive()) return bad("price (1079) must be positive");
    if (line.price.value() > limits::kMaxAmount) return bad("price (1079) above 99 999 999.99");
    const auto amount = line_amount(line.price, line.quantity);
    if (!amount || *amount != line.amount) return bad("amount (1043) is not price × quantity rounded half up");
    if (!line.amount.is_positive()) return bad("amount (1043) rounds to 0 kopecks");
    if (line.amount.value() > limits::kMaxAmount) return bad("amount (1043) above 99 999 999.99");
    if (!is_valid_payment_method(line.method)) return bad("1214 must be 1..7");
    if (line.subject < 1 || line.subject > 33) return bad("1212 must be 1..33");
    if (!is_valid_unit(line.unit)) return bad("2108 is not a known measure code");
    // fiscal-rules.md §2: calculated rates only with 1214 = 1..3, actual rates only with 4..7;
    // 0 % and «без НДС» go with any method.
    const auto rate = vat_code_rate(line.vat_code);
    if (!rate) return fail("vat_mismatch", where + "1199 must be 1..12");
    const bool neutral = line.vat_code == vat_code::kVat0 || line.vat_code == vat_code::kNone;
    if (!neutral && is_calculated_code(line.vat_code) != uses_calculated_rate(line.method)) {
        return fail("vat_mismatch", where + "1199 " + std::to_string(line.vat_code) + " does not go with 1214 " +
                                        std::to_string(static_cast<int>(line.method)));
    }
    if (line.vat != vat_for_code(line.amount, line.vat_code)) {
        return fail("vat_mismatch", where + "1200 is not amount × r / (100 + r) rounded half up");
    }
    return ok();
}

}  // namespace

bool is_valid_unit(std::uint8_t unit) {
    switch (unit) {
        case 0:
        case 10:
        case 11:
        case 12:
        case 20:
        case 21:
        case 22:
        case 30:
        case 31:
        case 32:
        case 40:
        case 41:
        case 42:
        case 50:
        case 51:
        case 70:
        case 71:
        case 72:
        case 73:
        case 80:
        case 81:
        case 82:
        case 83:
        case 255:
            return true;
        default:
            return false;
    }
}

Status validate_contact(std::string_view contact) {
    if (contact.size() > limits::kContact) return fail("invalid_contact", "1008 longer than 64 characters");
    if (!is_phone(contact) && !is_email(contact)) {
        return fail("invalid_contact", "1008 must be +7 and ten digits, or an e-mail address");
    }
    return ok();
}

Status validate_inn12(std::string_view inn) {
    if (inn.size() != 12 || !std::all_of(inn.begin(), inn.end(), is_digit)) {
        return fail("invalid_inn", "1203 must be exactly twelve digits");
    }
    return ok();
}

Status validate_text(std::string_view text, std::size_t max_chars, std::string_view field) {
    const auto encoded = utf8_to_cp866(text);
    if (!encoded) {
        return fail(encoded.error().code, std::string(field) + ": " + encoded.error().message);
    }
    // Control characters would reach the printer as commands.
    for (char c : *encoded) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return fail("invalid_text", std::string(field) + ": control character");
        }
    }
    // One CP866 byte per character: the byte count is the character count the FN limits.
    if (encoded->size() > max_chars) {
        return fail("text_too_long", std::string(field) + ": " + std::to_string(encoded->size()) +
                                         " characters, at most " + std::to_string(max_chars));
    }
    return ok();
}

Status validate_order_line(const OrderLine& line) {
    const std::string where = "order line '" + line.sku + "': ";
    if (line.sku.empty()) return fail("invalid_line", where + "empty sku");
    if (line.name.empty()) return fail("invalid_line", where + "empty name");
    if (auto s = validate_text(line.name, limits::kName, "1030 item name"); !s) return s;
    if (!line.quantity.is_positive()) return fail("invalid_line", where + "quantity must be positive");
    if (!line.price.is_positive()) return fail("invalid_line", where + "price must be positive");
    if (line.price.value() > limits::kMaxAmount) return fail("invalid_line", where + "price above 99 999 999.99");
    const auto amount = line_amount(line.price, line.quantity);
    if (!amount || amount->value() > limits::kMaxAmount) {
        return fail("invalid_line", where + "amount above 99 999 999.99");
    }
    // A line of 0.000001 × 1.00 rounds to 0 kopecks: no register prints it and it can never settle.
    if (!amount->is_positive()) return fail("invalid_line", where + "price × quantity rounds to 0 kopecks");
    if (line.subject < 1 || line.subject > 33) return fail("invalid_line", where + "1212 must be 1..33");
    if (!is_valid_unit(line.unit)) return fail("invalid_line", where + "2108 is not a known measure code");
    return ok();
}

Status validate_order(const Order& order) {
    if (order.lines.empty()) return fail("empty_receipt", "order " + order.id + " has no lines");
    for (std::size_t i = 0; i < order.lines.size(); ++i) {
        if (auto s = validate_order_line(order.lines[i]); !s) return s;
        for (std::size_t j = 0; j < i; ++j) {
            // Returns name goods by sku; two lines with one sku would make that ambiguous.
            if (order.lines[j].sku == order.lines[i].sku) {
                return fail("invalid_line", "order " + order.id + ": sku '" + order.lines[i].sku + "' twice");
            }
        }
    }
    return ok();
}

Status validate_receipt(const Receipt& r) {
    const auto sign = static_cast<int>(r.sign);
    if (sign < 1 || sign > 4) return fail("invalid_sign", "1054 must be 1..4");
    if (r.lines.empty()) return fail("empty_receipt", "a receipt needs at least one line (1059)");
    if (r.lines.size() > limits::kMaxLines) {
        return fail("too_many_lines",
                    std::to_string(r.lines.size()) + " lines, at most " + std::to_string(limits::kMaxLines));
    }
    Kopecks lines_sum;
    bool has_credit_line = false;
    for (std::size_t i = 0; i < r.lines.size(); ++i) {
        if (auto s = check_line(r.lines[i], i); !s) return s;
        // Each amount ≤ 10^10, so 249 of them cannot overflow.
        lines_sum += r.lines[i].amount;
        has_credit_line = has_credit_line || r.lines[i].method == PaymentMethod::PartialPaymentAndCredit ||
                          r.lines[i].method == PaymentMethod::CreditTransfer;
    }
    const auto& p = r.payments;
    for (auto v : {p.cash, p.electronic, p.prepayment, p.credit, p.provision}) {
        if (v.is_negative()) return fail("invalid_payment", "payment sums must not be negative");
        if (v.value() > limits::kMaxAmount) return fail("total_too_large", "a payment sum above 99 999 999.99");
    }
    if (r.total.is_zero()) return fail("empty_receipt", "total (1020) is zero");
    if (r.total.is_negative()) return fail("invalid_payment", "total (1020) is negative");
    if (r.total.value() > limits::kMaxAmount) return fail("total_too_large", "1020 above 99 999 999.99");
    const Kopecks paid = p.cash + p.electronic + p.prepayment + p.credit + p.provision;
    if (paid != r.total) {
        return fail("amount_mismatch", "1031 + 1081 + 1215 + 1216 + 1217 = " + paid.to_roubles_string() +
                                           " but 1020 = " + r.total.to_roubles_string());
    }
    if (lines_sum != r.total) {
        return fail("amount_mismatch", "the lines add up to " + lines_sum.to_roubles_string() +
                                           " but 1020 = " + r.total.to_roubles_string());
    }
    // fiscal-rules.md §9: 1216 > 0 iff some line is a credit sale (1214 = 5 or 6).
    // On a return (1054 = 2, 4) the converse is relaxed: goods sold partly on credit may be
    // refunded entirely in money for the part that was paid.
    const bool is_return = r.sign == CalcSign::IncomeReturn || r.sign == CalcSign::ExpenseReturn;
    if (p.credit.is_positive() && !has_credit_line) {
        return fail("credit_mismatch", "1216 needs a line with 1214 = 5 or 6");
    }
    if (!p.credit.is_positive() && has_credit_line && !is_return) {
        return fail("credit_mismatch", "a line with 1214 = 5 or 6 needs 1216 > 0");
    }
    const auto tax = static_cast<unsigned>(r.tax_system);
    if (tax == 0 || tax > 0x20 || (tax & (tax - 1)) != 0) {
        return fail("invalid_tax_system", "1055 must have exactly one of bits 0..5 set");
    }
    if (!r.cashier.empty()) {
        if (auto s = validate_text(r.cashier, limits::kCashier, "1021 cashier"); !s) return s;
    }
    if (!r.cashier_inn.empty()) {
        if (auto s = validate_inn12(r.cashier_inn); !s) return s;
    }
    if (!r.buyer_contact.empty()) {
        if (auto s = validate_contact(r.buyer_contact); !s) return s;
    }
    if (auto s = validate_text(r.settlement_address, limits::kAddress, "1009 settlement address"); !s) return s;
    if (auto s = validate_text(r.settlement_place, limits::kPlace, "1187 settlement place"); !s) return s;
    if (auto s = validate_text(r.additional_attribute, limits::kAdditional, "1192 additional attribute"); !s) {
        return s;
    }
    if (r.correction) {
        const auto& c = *r.correction;
        // fiscal-rules.md §7: 1173 is 0 or 1; 1179 is mandatory with 1 and omitted with 0.
        if (c.type > 1) return fail("invalid_correction", "1173 must be 0 or 1");
        if (c.type == 1 && c.order_number.empty()) {
            return fail("invalid_correction", "1179 (order number) is required when 1173 = 1");
        }
        if (c.type == 0 && !c.order_number.empty()) {
            return fail("invalid_correction", "1179 is only for corrections by order (1173 = 1)");
        }
        if (auto s = validate_text(c.order_number, limits::kOrderNumber, "1179 order number"); !s) return s;
        if (c.date_unix <= 0 || c.date_unix > 0xFFFFFFFFLL) {
            return fail("invalid_correction", "1178 must be a positive 32-bit UnixTime");
        }
    }
    const auto encoded = encode_receipt(r);
    if (!encoded) return std::unexpected(encoded.error());
    if (encoded->size() > limits::kMaxDocumentBytes) {
        return fail("receipt_too_large",
                    "the encoded receipt is " + std::to_string(encoded->size()) + " bytes; the FN takes at most 32768");
    }
    return ok();
}

}  // namespace kassa::fiscal
