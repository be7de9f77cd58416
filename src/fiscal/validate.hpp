// Validation of receipts and of the inputs the planner builds them from. Every failure carries a
// stable snake_case code (the API passes it on unchanged):
//   empty_receipt       no lines, or a zero total
//   invalid_line        quantity or price ≤ 0, amount ≠ price × quantity, bad 1212 / 1214 / 2108,
//                       empty name, amount or price above the FN limit
//   vat_mismatch        1199 unknown or not allowed with the line's 1214, or 1200 ≠ the computed VAT
//   amount_mismatch     1031 + 1081 + 1215 + 1216 + 1217 ≠ 1020, or Σ 1043 ≠ 1020
//   invalid_payment     a negative payment sum
//   credit_mismatch     1216 > 0 without a line with 1214 ∈ {5, 6}, or (except on a return)
//                       such a line with 1216 = 0
//   total_too_large     1020 above 99 999 999.99 ₽
//   too_many_lines      more than kMaxLines lines
//   receipt_too_large   the encoded document above 32 768 bytes
//   text_not_cp866 / invalid_utf8 / invalid_text   a text the FN cannot store
//   text_too_long       a text above its tag's limit
//   invalid_contact     1008 neither +7 and 10 digits nor an e-mail
//   invalid_inn         1203 not 12 digits
//   invalid_tax_system  1055 not exactly one of the six bits
//   invalid_sign        1054 not 1..4
//   invalid_correction  1173 not 0/1, 1179 missing with 1173 = 1 or present with 1173 = 0, bad 1178
// Change: a Receipt never carries more cash than it settles. Cash handed back at the door is not
// a fiscal sum (the FN stores 1031 net of change), so the planner reports it in Plan::change and
// the receipt's 1031 is what was kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "fiscal/plan.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

namespace limits {
// fiscal-rules.md §6 and protocols.md §3.3.
inline constexpr std::size_t kName = 128;        // 1030
inline constexpr std::size_t kContact = 64;      // 1008
inline constexpr std::size_t kCashier = 64;      // 1021
inline constexpr std::size_t kAddress = 243;     // 1009
inline constexpr std::size_t kPlace = 243;       // 1187
inline constexpr std::size_t kAdditional = 16;   // 1192
inline constexpr std::size_t kOrderNumber = 32;  // 1179
inline constexpr std::size_t kMaxLines = 249;    // §9: "item count < 250"
inline constexpr std::size_t kMaxDocumentBytes = 32768;
inline constexpr std::int64_t kMaxAmount = 9'999'999'999;  // 99 999 999.99 ₽: price, line and total
}  // namespace limits

// 1008: "+7" and ten digits, or an e-mail address; at most 64 characters.
Status validate_contact(std::string_view contact);

// 1203: exactly twelve digits.
Status validate_inn12(std::string_view inn);

// A text tag: valid UTF-8, CP866-encodable, no control characters, at most `max_chars`.
Status validate_text(std::string_view text, std::size_t max_chars, std::string_view field);

// An order line as the ledger holds it: positive quantity and price, a name the FN can store,
// valid 1212 / 2108, amount within limits.
Status validate_order_line(const OrderLine& line);
Status validate_order(const Order& order);

// A whole receipt, planned or raw (fiscal-rules.md §1, §6, §7, §9).
Status validate_receipt(const Receipt& receipt);

// 2108 «мера количества» codes of FFD 1.2 (fiscal-rules.md §1.6).
bool is_valid_unit(std::uint8_t unit);

}  // namespace kassa::fiscal
