// The FN's totals counters as FFD 1.2 reports carry them: «счетчики итогов смены» (tag 1194, in the
// shift-close report) and «счетчики итогов ФН» (tag 1157, in the shift-close report, the report on
// the state of settlements and the FN close report). Both are the same STLV (ФФД tables 51/89):
//   1134 UInt32  receipts and correction receipts of every calculation sign
//   1129 / 1130 / 1131 / 1132  STLV  receipts «приход» / «возврат прихода» / «расход» / «возврат расхода»
//                (tables 52/90): 1135 UInt32 count; VLN sums 1136 cash, 1138 electronic,
//                1218 prepayment, 1219 credit, 1220 counter-provision, 1201 total; VAT 1139 (20 %),
//                1140 (10 %), 1141 (20/120), 1142 (10/110); turnover 1143 (at 0 %), 1183 (without VAT)
//   1133 STLV  correction receipts (tables 53/91): 1144 UInt32 count, then per sign 1145 «приход»,
//                1232 «возврат прихода», 1146 «расход», 1233 «возврат расхода» (tables 54/92: 1135
//                and the sums 1136, 1138, 1218, 1219, 1220, 1201; no VAT)
// shared/spec/ is silent on these; the tag numbers and nesting were confirmed against public FFD
// tag tables (issue 12 note). Assumptions: ordinary receipts are counted in 1129–1132 and correction
// receipts only in 1133 (1134 counts both); VAT counters exist for the rates above only — the
// tags for 5 %, 7 % and 22 % counters were not found (like their receipt-level 1102–1107
// counterparts, fiscal-rules.md §1.5), so those rates add to the sums but to no VAT counter.
// An operation STLV is written only for a sign with receipts; a zero VAT or turnover sum is left out.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "fiscal/money.hpp"
#include "fiscal/receipt.hpp"
#include "fiscal/tlv.hpp"

namespace kassa::fiscal {

namespace tag {
inline constexpr std::uint16_t kFnTotals = 1157;
inline constexpr std::uint16_t kShiftTotals = 1194;
}  // namespace tag

struct OperationCounters {
    std::uint32_t count = 0;  // 1135
    Kopecks cash;             // 1136
    Kopecks electronic;       // 1138
    Kopecks prepayment;       // 1218
    Kopecks credit;           // 1219
    Kopecks provision;        // 1220
    Kopecks total;            // 1201
    // Receipts only (1129–1132); the correction counters carry none.
    Kopecks vat20;             // 1139
    Kopecks vat10;             // 1140
    Kopecks vat20_calculated;  // 1141
    Kopecks vat10_calculated;  // 1142
    Kopecks turnover_vat0;     // 1143
    Kopecks turnover_no_vat;   // 1183

    friend bool operator==(const OperationCounters&, const OperationCounters&) = default;
};

struct TotalsCounters {
    std::uint32_t receipts = 0;  // 1134: receipts and correction receipts
    // Index = 1054 − 1: 1129 income, 1130 income return, 1131 expense, 1132 expense return.
    std::array<OperationCounters, 4> receipts_by_sign{};
    std::uint32_t corrections = 0;  // 1144
    // Index = 1054 − 1: 1145, 1232, 1146, 1233.
    std::array<OperationCounters, 4> corrections_by_sign{};

    const OperationCounters& of(CalcSign sign) const { return receipts_by_sign[static_cast<int>(sign) - 1]; }
    const OperationCounters& of_corrections(CalcSign sign) const {
        return corrections_by_sign[static_cast<int>(sign) - 1];
    }
    friend bool operator==(const TotalsCounters&, const TotalsCounters&) = default;
};

// Adds one fiscalised receipt (or correction receipt). Errors: "counter_overflow", "tlv_value" (a
// calculation sign outside 1..4).
Status count_receipt(TotalsCounters& counters, const Receipt& receipt);

// The whole TLV `tag` (1157 or 1194) with the counters inside. Error "tlv_value" (a sum too large).
Result<Bytes> encode_totals_counters(std::uint16_t tag, const TotalsCounters& counters);
// The value of a 1157 / 1194 TLV. Tags it does not know are skipped; a missing field is zero.
// Errors: "tlv_truncated", "tlv_value".
Result<TotalsCounters> decode_totals_counters(std::span<const std::uint8_t> value);

}  // namespace kassa::fiscal
