#include "qr/payment_payload.hpp"

#include "common/uri.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace kassa::qr {
namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int digit(char c) { return c - '0'; }

std::unexpected<Error> field_error(std::string code, std::string_view field, std::string_view what) {
    return fail(std::move(code), std::string(field) + ": " + std::string(what));
}

// Common rules for every value: present, valid UTF-8, within the length limit, and free of the
// separator and of control characters (a parser splits on '|' and would see a new field).
Status check_text(std::string_view field, std::string_view value, std::size_t max_chars) {
    if (value.empty()) return field_error("missing_field", field, "is required");
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '|') return field_error("invalid_character", field, "must not contain '|'");
        if (u < 0x20 || u == 0x7F)
            return field_error("invalid_character", field, "must not contain control characters");
    }
    auto length = utf8_length(value);
    if (!length) return field_error("invalid_utf8", field, "is not valid UTF-8");
    if (*length > max_chars) {
        return field_error("field_too_long", field,
                           std::to_string(*length) + " characters, at most " + std::to_string(max_chars));
    }
    return ok();
}

// KPP: NNNNPPXXX. Positions 5-6 (the reason code) may be digits or capital Latin letters since
// 2019; the rest are digits.
bool is_valid_kpp(std::string_view kpp) {
    if (kpp.size() != 9) return false;
    for (std::size_t i = 0; i < 9; ++i) {
        const char c = kpp[i];
        const bool is_digit = c >= '0' && c <= '9';
        if (i == 4 || i == 5) {
            if (!is_digit && !(c >= 'A' && c <= 'Z')) return false;
        } else if (!is_digit) {
            return false;
        }
    }
    return true;
}

int inn_check_digit(std::string_view digits, const int* weights, std::size_t n) {
    int sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += digit(digits[i]) * weights[i];
    return sum % 11 % 10;
}

std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The value of query parameter `key` in `query` (no leading '?'), if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

bool is_nspk_host(std::string_view host) { return host == "nspk.ru" || host.ends_with(".nspk.ru"); }

}  // namespace

bool is_valid_inn(std::string_view inn) {
    if (!all_digits(inn)) return false;
    if (inn.size() == 10) {
        static constexpr int kW10[] = {2, 4, 10, 3, 5, 9, 4, 6, 8};
        return inn_check_digit(inn, kW10, 9) == digit(inn[9]);
    }
    if (inn.size() == 12) {
        static constexpr int kW11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
        static constexpr int kW12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
        return inn_check_digit(inn, kW11, 10) == digit(inn[10]) && inn_check_digit(inn, kW12, 11) == digit(inn[11]);
    }
    return false;
}

bool account_key_matches(std::string_view conditional_number, std::string_view account20) {
    if (conditional_number.size() != 3 || account20.size() != 20) return false;
    if (!all_digits(conditional_number) || !all_digits(account20)) return false;
    // Bank of Russia, "Порядок расчета контрольного ключа в номере лицевого счета" (08.09.1997
    // № 515): weights 7,1,3 repeat over the 23 digits (3-digit conditional number, then the
    // account with its key). The key is chosen so that the sum of the last digits of the products
    // ends in 0; checking the account with its own key therefore needs only that sum.
    static constexpr std::array<int, 3> kWeights = {7, 1, 3};
    int sum = 0;
    for (std::size_t i = 0; i < 23; ++i) {
        const char c = i < 3 ? conditional_number[i] : account20[i - 3];
        sum += digit(c) * kWeights[i % 3] % 10;
    }
    return sum % 10 == 0;
}

Status validate_requisites(const BankRequisites& r) {
    if (auto st = check_text("Name", r.name, kMaxNameLength); !st) return st;

    if (r.personal_acc.empty()) return field_error("missing_field", "PersonalAcc", "is required");
    if (r.personal_acc.size() != 20 || !all_digits(r.personal_acc)) {
        return field_error("invalid_account", "PersonalAcc", "must be exactly 20 digits");
    }
    if (auto st = check_text("BankName", r.bank_name, kMaxBankNameLength); !st) return st;

    if (r.bic.empty()) return field_error("missing_field", "BIC", "is required");
    if (r.bic.size() != 9 || !all_digits(r.bic)) return field_error("invalid_bic", "BIC", "must be exactly 9 digits");

    if (r.corresp_acc.empty()) return field_error("missing_field", "CorrespAcc", "is required (\"0\" if none)");
    const std::string rkc_number = "0" + r.bic.substr(4, 2);
    std::string personal_number = r.bic.substr(6, 3);
    if (r.corresp_acc == "0") {
        // No correspondent account: the payee's account is held at a Bank of Russia division,
        // whose conditional number is "0" + BIC digits 5..6.
        personal_number = rkc_number;
    } else if (r.corresp_acc.size() != 20 || !all_digits(r.corresp_acc)) {
        return field_error("invalid_corresp_account", "CorrespAcc", "must be exactly 20 digits (or \"0\")");
    } else if (!account_key_matches(rkc_number, r.corresp_acc)) {
        return field_error("invalid_corresp_account", "CorrespAcc", "control key does not match the BIC");
    }
    if (!account_key_matches(personal_number, r.personal_acc)) {
        return field_error("invalid_account", "PersonalAcc", "control key does not match the BIC");
    }

    if (r.payee_inn.empty()) return field_error("missing_field", "PayeeINN", "is required");
    if (!is_valid_inn(r.payee_inn)) {
        return field_error("invalid_inn", "PayeeINN", "must be 10 or 12 digits with valid check digits");
    }
    if (r.payee_inn.size() == 10) {
        if (r.kpp.empty()) return field_error("missing_field", "KPP", "is required for an organisation (10-digit INN)");
        if (!is_valid_kpp(r.kpp)) return field_error("invalid_kpp", "KPP", "must be 9 characters NNNNPPNNN");
    } else if (!r.kpp.empty()) {
        return field_error("invalid_kpp", "KPP", "an individual entrepreneur (12-digit INN) has no KPP");
    }
    return ok();
}

Result<std::string> build_gost_payload(const GostPaymentOrder& order) {
    if (order.charset != GostCharset::kUtf8 && order.charset != GostCharset::kWindows1251 &&
        order.charset != GostCharset::kKoi8R) {
        return fail("invalid_charset", "unknown GOST charset flag");
    }
    if (auto st = validate_requisites(order.payee); !st) return std::unexpected(st.error());
    if (order.sum.value() <= 0) return field_error("invalid_sum", "Sum", "must be positive");
    if (order.sum.value() > kMaxSumKopecks) return field_error("invalid_sum", "Sum", "must have at most 18 digits");
    if (auto st = check_text("Purpose", order.purpose, kMaxPurposeLength); !st) return std::unexpected(st.error());

    const BankRequisites& r = order.payee;
    std::string out = "ST0001";
    out.push_back(static_cast<char>(order.charset));
    out.push_back('|');
    bool first = true;
    auto add = [&](std::string_view key, std::string_view value) -> Status {
        auto bytes = encode_text(value, order.charset);
        if (!bytes) return field_error(bytes.error().code, key, bytes.error().message);
        if (!first) out.push_back('|');
        first = false;
        out += key;
        out.push_back('=');
        out += *bytes;
        return ok();
    };
    const std::string sum = std::to_string(order.sum.value());
    for (auto [key, value] : {std::pair<std::string_view, std::string_view>{"Name", r.name},
                              {"PersonalAcc", r.personal_acc},
                              {"BankName", r.bank_name},
                              {"BIC", r.bic},
                              {"CorrespAcc", r.corresp_acc},
                              {"PayeeINN", r.payee_inn},
                              {"KPP", r.kpp},
                              {"Sum", sum},
                              {"Purpose", order.purpose}}) {
        if (value.empty()) continue;  // only KPP may be empty here (12-digit INN)
        if (auto st = add(key, value); !st) return std::unexpected(st.error());
    }
    return out;
}

Result<SbpLink> build_sbp_link(const SbpRequest& request, const SbpConfig& config) {
    const std::string_view link = request.link;
    auto bad = [](std::string_view what) { return fail("invalid_sbp_link", "SBP link: " + std::string(what)); };
    if (link.empty()) return fail("missing_field", "SBP link: none configured or given");
    static constexpr std::string_view kScheme = "https://";
    if (link.size() <= kScheme.size() || to_lower_ascii(link.substr(0, kScheme.size())) != kScheme) {
        return bad("must be an https:// URL");
    }
    for (char c : link) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || std::string_view("\"<>\\^`{|}#").find(c) != std::string_view::npos) {
            return bad("contains a character not allowed in a URL");
        }
    }
    const std::string_view rest = link.substr(kScheme.size());
    const auto authority_end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) return bad("must not contain user information");
    std::string_view host = authority;
    if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        if (!all_digits(authority.substr(colon + 1))) return bad("has an invalid port");
    }
    const std::string host_lc = to_lower_ascii(host);
    const bool allowed = std::any_of(config.allowed_hosts.begin(), config.allowed_hosts.end(),
                                     [&](const std::string& h) { return to_lower_ascii(h) == host_lc; });
    if (!allowed) {
        return fail("sbp_host_not_allowed",
                    "SBP link: host " + host_lc + " is not qr.nspk.ru or the configured bank host");
    }
    if (authority_end == std::string_view::npos || rest[authority_end] != '/') return bad("has no path (QR id)");
    const std::string_view after_host = rest.substr(authority_end);
    const auto qmark = after_host.find('?');
    const std::string_view path = after_host.substr(0, qmark);
    if (path.size() < 2) return bad("has no path (QR id)");
    const std::string_view query = qmark == std::string_view::npos ? std::string_view{} : after_host.substr(qmark + 1);

    if (request.amount && request.amount->value() <= 0) return fail("invalid_sum", "SBP amount must be positive");

    SbpLink out{std::string(link), false};
    const bool nspk = is_nspk_host(host_lc);
    // Whichever parameter carries the amount on this link: "sum" (kopecks) on NSPK links, the
    // configured one on the bank's own links.
    const std::string amount_key = nspk ? std::string("sum") : config.amount_param;
    std::optional<std::string_view> existing;
    if (!amount_key.empty()) existing = query_value(query, amount_key);
    if (existing) {
        if (!all_digits(*existing)) return bad("its amount parameter is not a whole number of kopecks");
        out.amount_embedded = true;
        if (request.amount &&
            (existing->size() > 18 || std::stoll(std::string(*existing)) != request.amount->value())) {
            return fail("sbp_amount_mismatch", "SBP link fixes the amount " + std::string(*existing) +
                                                   " kopecks, but " + std::to_string(request.amount->value()) +
                                                   " is due");
        }
        return out;
    }
    if (nspk) return out;  // opaque: never extend an NSPK link (crc, §8 question 8)

    auto append = [&](std::string_view key, std::string_view value) {
        out.url += out.url.find('?') == std::string::npos ? '?' : '&';
        out.url += url_encode(key);
        out.url += '=';
        out.url += url_encode(value);
    };
    if (request.amount && !config.amount_param.empty()) {
        append(config.amount_param, std::to_string(request.amount->value()));
        out.amount_embedded = true;
    }
    if (!request.order.empty() && !config.order_param.empty() && !query_value(query, config.order_param)) {
        append(config.order_param, request.order);
    }
    return out;
}

}  // namespace kassa::qr
