// Payment QR payloads (pure: no I/O). spec/fiscal-rules.md §5.
//
//  * GOST R 56042-2014 payment order "ST0001<charset>|Name=…|PersonalAcc=…|…" (§5.2), built from a
//    legal entity's bank requisites, a sum in kopecks and a purpose; every field validated.
//  * SBP (Faster Payments) link issued by the bank (§5.1): validated and used as issued. Kassa
//    never forms an NSPK QR id or crc itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fiscal/money.hpp"
#include "qr/charset.hpp"

namespace kassa::qr {

// Field limits (characters, not bytes). Purpose: the standard's table says 210, QRCoder enforces
// 160; §8 question 10 is open, so the safe 160.
inline constexpr std::size_t kMaxNameLength = 160;
inline constexpr std::size_t kMaxBankNameLength = 45;
inline constexpr std::size_t kMaxPurposeLength = 160;
inline constexpr std::int64_t kMaxSumKopecks = 999'999'999'999'999'999;  // Sum: ≤ 18 digits

// A payee's bank requisites as configured for a legal entity. Text in UTF-8.
struct BankRequisites {
    std::string name{};          // Name: payee name, 1..160 characters
    std::string personal_acc{};  // PersonalAcc: settlement account, 20 digits, key checked against the BIC
    std::string bank_name{};     // BankName: 1..45 characters
    std::string bic{};           // BIC: 9 digits
    std::string corresp_acc{};   // CorrespAcc: 20 digits, key checked against the BIC; "0" when the
                                 // account is held directly at a Bank of Russia division
    std::string payee_inn{};     // PayeeINN: 10 digits (organisation) or 12 (individual entrepreneur), check digits
    std::string kpp{};           // KPP: 9 characters for a 10-digit INN; empty for a 12-digit INN
};

struct GostPaymentOrder {
    BankRequisites payee;
    fiscal::Kopecks sum{};  // Sum: > 0, written in kopecks ("700000" = 7 000.00 ₽)
    std::string purpose{};  // Purpose: 1..160 characters, e.g. "Оплата заказа №123"
    GostCharset charset = GostCharset::kUtf8;
};

// Error codes (stable, for the API's 4xx body): missing_field, field_too_long, invalid_character
// ('|' or a control character inside a value), invalid_utf8, unencodable_character, invalid_charset, invalid_bic,
// invalid_account, invalid_corresp_account, invalid_inn, invalid_kpp, invalid_sum.
// The message starts with the GOST field name, e.g. "PersonalAcc: control key mismatch".

// Validates the requisites alone (for config loading).
Status validate_requisites(const BankRequisites& requisites);

// The payload bytes: header "ST0001" + charset flag + '|', then Name, PersonalAcc, BankName, BIC,
// CorrespAcc (the mandatory block, in this order), PayeeINN, KPP (omitted when empty), Sum,
// Purpose. Values are encoded in the declared charset; render them as they are.
Result<std::string> build_gost_payload(const GostPaymentOrder& order);

// INN check digits (10 or 12 digits).
bool is_valid_inn(std::string_view inn);
// The Bank of Russia control key (9th digit) of a 20-digit account, over the 3-digit conditional
// number prefixed to it: the BIC's last 3 digits for an account at a credit institution, or "0" +
// BIC digits 5..6 for an account at a Bank of Russia division (e.g. a correspondent account).
bool account_key_matches(std::string_view conditional_number, std::string_view account20);

// --- SBP -------------------------------------------------------------------------------------

struct SbpConfig {
    // Hosts a link may point to (exact match, case-insensitive): qr.nspk.ru plus the bank's own
    // host if it has one.
    std::vector<std::string> allowed_hosts = {"qr.nspk.ru"};
    // Query parameter names that the bank documents for its *own* (non-NSPK) links to carry the
    // amount in kopecks and an order reference. Empty (the default): nothing is appended. NSPK
    // links are never extended: their crc covers the parameters by an unpublished algorithm
    // (§5.1, §8 question 8).
    std::string amount_param{};
    std::string order_param{};
};

struct SbpRequest {
    std::string link{};                       // as issued by the bank (static from config or per request)
    std::optional<fiscal::Kopecks> amount{};  // the amount due, if known
    std::string order{};                      // order reference, if any
};

struct SbpLink {
    std::string url{};
    // True when the link fixes the amount (its own "sum" or the configured amount parameter);
    // false for a static link where the buyer types the amount in the bank app.
    bool amount_embedded = false;
};

// Errors: "invalid_sbp_link" (not https, userinfo, empty path, bad characters), "sbp_host_not_allowed",
// "sbp_amount_mismatch" (the link's sum differs from the amount), "invalid_sum".
Result<SbpLink> build_sbp_link(const SbpRequest& request, const SbpConfig& config);

}  // namespace kassa::qr
