#include "fiscal/counters.hpp"

#include <utility>

#include "fiscal/vat.hpp"

namespace kassa::fiscal {

namespace {

// Operation STLVs by 1054 − 1 (counters.hpp).
constexpr std::uint16_t kReceiptTags[4] = {1129, 1130, 1131, 1132};
constexpr std::uint16_t kCorrectionTags[4] = {1145, 1232, 1146, 1233};
constexpr std::uint16_t kReceiptCount = 1134;
constexpr std::uint16_t kCorrections = 1133;
constexpr std::uint16_t kCorrectionCount = 1144;
constexpr std::uint16_t kOperationCount = 1135;

// The money fields of an operation STLV, in the order they are written.
struct MoneyField {
    std::uint16_t tag;
    Kopecks OperationCounters::*field;
    bool vat;     // receipts only
    bool always;  // written even when zero
};
constexpr MoneyField kMoney[] = {
    {1136, &OperationCounters::cash, false, true},
    {1138, &OperationCounters::electronic, false, true},
    {1218, &OperationCounters::prepayment, false, true},
    {1219, &OperationCounters::credit, false, true},
    {1220, &OperationCounters::provision, false, true},
    {1201, &OperationCounters::total, false, true},
    {1139, &OperationCounters::vat20, true, false},
    {1140, &OperationCounters::vat10, true, false},
    {1141, &OperationCounters::vat20_calculated, true, false},
    {1142, &OperationCounters::vat10_calculated, true, false},
    {1143, &OperationCounters::turnover_vat0, true, false},
    {1183, &OperationCounters::turnover_no_vat, true, false},
};

Status add(Kopecks& to, Kopecks v) {
    auto s = to.checked_add(v);
    if (!s) return fail("counter_overflow", "a totals counter overflows");
    to = *s;
    return ok();
}

void put_u32(TlvWriter& w, std::uint16_t tag, std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                               static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    (void)w.put_raw(tag, b);
}

Result<std::uint32_t> u32(const Tlv& t) {
    if (t.value.size() != 4) return fail("tlv_value", "tag " + std::to_string(t.tag) + " must be a UInt32");
    return static_cast<std::uint32_t>(t.value[0] | (t.value[1] << 8) | (t.value[2] << 16)) |
           (static_cast<std::uint32_t>(t.value[3]) << 24);
}

Status encode_operation(TlvWriter& out, std::uint16_t tag, const OperationCounters& c, bool with_vat) {
    TlvWriter w;
    put_u32(w, kOperationCount, c.count);
    for (const auto& m : kMoney) {
        if (m.vat && !with_vat) continue;
        const Kopecks v = c.*m.field;
        if (!m.always && v.is_zero()) continue;
        if (auto s = w.put_vln(m.tag, v.value()); !s) return s;
    }
    return out.put_stlv(tag, w);
}

Result<OperationCounters> decode_operation(std::span<const std::uint8_t> value) {
    auto tlvs = decode_tlvs(value);
    if (!tlvs) return std::unexpected(tlvs.error());
    OperationCounters c;
    for (const auto& t : *tlvs) {
        if (t.tag == kOperationCount) {
            auto n = u32(t);
            if (!n) return std::unexpected(n.error());
            c.count = *n;
            continue;
        }
        for (const auto& m : kMoney) {
            if (m.tag != t.tag) continue;
            auto v = decode_vln(t.value);
            if (!v) return std::unexpected(v.error());
            c.*m.field = Kopecks{*v};
        }
    }
    return c;
}

}  // namespace

Status count_receipt(TotalsCounters& counters, const Receipt& receipt) {
    const int sign = static_cast<int>(receipt.sign);
    if (sign < 1 || sign > 4) return fail("tlv_value", "calculation sign (1054) outside 1..4");
    OperationCounters& c =
        receipt.is_correction() ? counters.corrections_by_sign[sign - 1] : counters.receipts_by_sign[sign - 1];
    const auto& p = receipt.payments;
    for (auto [to, v] : {std::pair{&c.cash, p.cash},
                         {&c.electronic, p.electronic},
                         {&c.prepayment, p.prepayment},
                         {&c.credit, p.credit},
                         {&c.provision, p.provision},
                         {&c.total, receipt.total}}) {
        if (auto s = add(*to, v); !s) return s;
    }
    if (!receipt.is_correction()) {
        // From each line's 1199 and 1200 (VAT) or 1043 (turnover at 0 % / without VAT).
        for (const auto& line : receipt.lines) {
            Status s = ok();
            switch (line.vat_code) {
                case vat_code::kVat20:
                    s = add(c.vat20, line.vat);
                    break;
                case vat_code::kVat10:
                    s = add(c.vat10, line.vat);
                    break;
                case vat_code::kVat20Calc:
                    s = add(c.vat20_calculated, line.vat);
                    break;
                case vat_code::kVat10Calc:
                    s = add(c.vat10_calculated, line.vat);
                    break;
                case vat_code::kVat0:
                    s = add(c.turnover_vat0, line.amount);
                    break;
                case vat_code::kNone:
                    s = add(c.turnover_no_vat, line.amount);
                    break;
                default:
                    break;  // 5 %, 7 %, 22 %: no counter tag known (counters.hpp)
            }
            if (!s) return s;
        }
    }
    ++c.count;
    ++counters.receipts;
    if (receipt.is_correction()) ++counters.corrections;
    return ok();
}

Result<Bytes> encode_totals_counters(std::uint16_t tag, const TotalsCounters& counters) {
    TlvWriter w;
    put_u32(w, kReceiptCount, counters.receipts);
    for (int i = 0; i < 4; ++i) {
        const auto& c = counters.receipts_by_sign[i];
        if (c.count == 0) continue;
        if (auto s = encode_operation(w, kReceiptTags[i], c, true); !s) return std::unexpected(s.error());
    }
    TlvWriter corr;
    put_u32(corr, kCorrectionCount, counters.corrections);
    for (int i = 0; i < 4; ++i) {
        const auto& c = counters.corrections_by_sign[i];
        if (c.count == 0) continue;
        if (auto s = encode_operation(corr, kCorrectionTags[i], c, false); !s) return std::unexpected(s.error());
    }
    if (auto s = w.put_stlv(kCorrections, corr); !s) return std::unexpected(s.error());
    TlvWriter out;
    if (auto s = out.put_stlv(tag, w); !s) return std::unexpected(s.error());
    return out.take();
}

Result<TotalsCounters> decode_totals_counters(std::span<const std::uint8_t> value) {
    auto tlvs = decode_tlvs(value);
    if (!tlvs) return std::unexpected(tlvs.error());
    TotalsCounters out;
    for (const auto& t : *tlvs) {
        if (t.tag == kReceiptCount) {
            auto n = u32(t);
            if (!n) return std::unexpected(n.error());
            out.receipts = *n;
        } else if (t.tag == kCorrections) {
            auto inner = decode_tlvs(t.value);
            if (!inner) return std::unexpected(inner.error());
            for (const auto& c : *inner) {
                if (c.tag == kCorrectionCount) {
                    auto n = u32(c);
                    if (!n) return std::unexpected(n.error());
                    out.corrections = *n;
                    continue;
                }
                for (int i = 0; i < 4; ++i) {
                    if (c.tag != kCorrectionTags[i]) continue;
                    auto op = decode_operation(c.value);
                    if (!op) return std::unexpected(op.error());
                    out.corrections_by_sign[i] = *op;
                }
            }
        } else {
            for (int i = 0; i < 4; ++i) {
                if (t.tag != kReceiptTags[i]) continue;
                auto op = decode_operation(t.value);
                if (!op) return std::unexpected(op.error());
                out.receipts_by_sign[i] = *op;
            }
        }
    }
    return out;
}

}  // namespace kassa::fiscal
