#include "fiscal/tlv.hpp"

#include "fiscal/cp866.hpp"

namespace kassa::fiscal {
namespace {

constexpr std::int64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};

Bytes vln_bytes(std::uint64_t v) {
    // protocols.md §3.2: little-endian, minimum length, 0 is one zero byte.
    Bytes b;
    do {
        b.push_back(static_cast<std::uint8_t>(v & 0xFF));
        v >>= 8;
    } while (v != 0);
    return b;
}

}  // namespace

void TlvWriter::put_header(std::uint16_t tag, std::uint16_t length) {
    spans_.push_back(TagSpan{tag, out_.size(), std::size_t{4} + length});
    out_.push_back(static_cast<std::uint8_t>(tag & 0xFF));
    out_.push_back(static_cast<std::uint8_t>(tag >> 8));
    out_.push_back(static_cast<std::uint8_t>(length & 0xFF));
    out_.push_back(static_cast<std::uint8_t>(length >> 8));
}

void TlvWriter::put_byte(std::uint16_t tag, std::uint8_t value) {
    put_header(tag, 1);
    out_.push_back(value);
}

Status TlvWriter::put_vln(std::uint16_t tag, std::int64_t value, std::size_t max_bytes) {
    if (value < 0) return fail("tlv_value", "tag " + std::to_string(tag) + ": VLN cannot be negative");
    const Bytes b = vln_bytes(static_cast<std::uint64_t>(value));
    if (b.size() > max_bytes) return fail("tlv_value", "tag " + std::to_string(tag) + ": VLN too large");
    return put_raw(tag, b);
}

Status TlvWriter::put_fvln(std::uint16_t tag, Quantity value) {
    if (value.micro() < 0) return fail("tlv_value", "tag " + std::to_string(tag) + ": FVLN cannot be negative");
    const int digits = value.fraction_digits();
    const auto scaled = static_cast<std::uint64_t>(value.micro() / kPow10[6 - digits]);
    Bytes b{static_cast<std::uint8_t>(digits)};
    const Bytes v = vln_bytes(scaled);
    b.insert(b.end(), v.begin(), v.end());
    // protocols.md §3.2: an FVLN is at most 8 bytes in all.
    if (b.size() > 8) return fail("tlv_value", "tag " + std::to_string(tag) + ": FVLN too large");
    return put_raw(tag, b);
}

void TlvWriter::put_unixtime(std::uint16_t tag, std::uint32_t seconds) {
    put_header(tag, 4);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(seconds >> (8 * i)));
}

Status TlvWriter::put_string(std::uint16_t tag, std::string_view utf8) {
    auto cp = utf8_to_cp866(utf8);
    if (!cp) return fail(cp.error().code, "tag " + std::to_string(tag) + ": " + cp.error().message);
    return put_raw(tag, std::span(reinterpret_cast<const std::uint8_t*>(cp->data()), cp->size()));
}

Status TlvWriter::put_raw(std::uint16_t tag, std::span<const std::uint8_t> value) {
    if (value.size() > 0xFFFF) return fail("tlv_value", "tag " + std::to_string(tag) + ": value above 65535 bytes");
    put_header(tag, static_cast<std::uint16_t>(value.size()));
    out_.insert(out_.end(), value.begin(), value.end());
    return ok();
}

std::size_t EncodedReceipt::size() const {
    std::size_t n = document.size();
    for (const auto& l : lines) n += l.size();
    return n;
}

Bytes EncodedReceipt::flat() const {
    Bytes out;
    out.reserve(size());
    for (const auto& l : lines) out.insert(out.end(), l.begin(), l.end());
    out.insert(out.end(), document.begin(), document.end());
    return out;
}

namespace {

// A 1059 STLV and the spans of its inner TLVs (offsets into the whole 1059, header included).
Result<std::pair<Bytes, std::vector<TagSpan>>> encode_line_spans(const ReceiptLine& line) {
    // The first seven in the order of protocols.md §3.6's worked 1059; then 2108 (mandatory in
    // FFD 1.2, §1.6) and 1200.
    TlvWriter in;
    if (auto s = in.put_string(tag::kItemName, line.name); !s) return std::unexpected(s.error());
    if (auto s = in.put_vln(tag::kPrice, line.price.value()); !s) return std::unexpected(s.error());
    if (auto s = in.put_fvln(tag::kQuantity, line.quantity); !s) return std::unexpected(s.error());
    if (auto s = in.put_vln(tag::kItemAmount, line.amount.value()); !s) return std::unexpected(s.error());
    in.put_byte(tag::kVatCode, line.vat_code);
    in.put_byte(tag::kPaymentMethod, static_cast<std::uint8_t>(line.method));
    in.put_byte(tag::kSubject, line.subject);
    in.put_byte(tag::kUnit, line.unit);
    if (auto s = in.put_vln(tag::kVatSum, line.vat.value()); !s) return std::unexpected(s.error());
    TlvWriter out;
    if (auto s = out.put_stlv(tag::kItem, in); !s) return std::unexpected(s.error());
    std::vector<TagSpan> spans = in.spans();
    for (auto& sp : spans) sp.offset += 4;  // behind the 1059 header
    return std::pair{out.take(), std::move(spans)};
}

}  // namespace

Result<Bytes> encode_line(const ReceiptLine& line) {
    auto l = encode_line_spans(line);
    if (!l) return std::unexpected(l.error());
    return std::move(l->first);
}

Result<EncodedReceipt> encode_receipt(const Receipt& r) {
    EncodedReceipt enc;
    for (const auto& line : r.lines) {
        auto b = encode_line_spans(line);
        if (!b) return std::unexpected(b.error());
        enc.lines.push_back(std::move(b->first));
        enc.line_tags.push_back(std::move(b->second));
    }
    TlvWriter w;
    auto text = [&](std::uint16_t t, const std::string& v) -> Status { return v.empty() ? ok() : w.put_string(t, v); };
    w.put_byte(tag::kCalcSign, static_cast<std::uint8_t>(r.sign));
    w.put_byte(tag::kTaxSystem, static_cast<std::uint8_t>(r.tax_system));
    for (auto [t, v] : {std::pair{tag::kCashier, &r.cashier},
                        {tag::kCashierInn, &r.cashier_inn},
                        {tag::kBuyerContact, &r.buyer_contact},
                        {tag::kSettlementAddress, &r.settlement_address},
                        {tag::kSettlementPlace, &r.settlement_place},
                        {tag::kAdditionalAttribute, &r.additional_attribute}}) {
        if (auto s = text(t, *v); !s) return std::unexpected(s.error());
    }
    if (r.correction) {
        // fiscal-rules.md §7: 1173, then the STLV 1174 with 1178 and (by order only) 1179.
        w.put_byte(tag::kCorrectionType, r.correction->type);
        TlvWriter basis;
        if (r.correction->date_unix < 0 || r.correction->date_unix > 0xFFFFFFFFLL) {
            return fail("tlv_value", "1178 outside UnixTime");
        }
        basis.put_unixtime(tag::kCorrectedDate, static_cast<std::uint32_t>(r.correction->date_unix));
        if (!r.correction->order_number.empty()) {
            if (auto s = basis.put_string(tag::kOrderNumber, r.correction->order_number); !s) {
                return std::unexpected(s.error());
            }
        }
        if (auto s = w.put_stlv(tag::kCorrectionBasis, basis); !s) return std::unexpected(s.error());
    }
    const auto& p = r.payments;
    for (auto [t, v] : {std::pair{tag::kCash, p.cash},
                        {tag::kElectronic, p.electronic},
                        {tag::kPrepayment, p.prepayment},
                        {tag::kCredit, p.credit},
                        {tag::kProvision, p.provision},
                        {tag::kTotal, r.total}}) {
        if (auto s = w.put_vln(t, v.value()); !s) return std::unexpected(s.error());
    }
    enc.document_tags = w.spans();
    enc.document = w.take();
    return enc;
}

Result<std::vector<Tlv>> decode_tlvs(std::span<const std::uint8_t> bytes) {
    std::vector<Tlv> out;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (bytes.size() - pos < 4) return fail("tlv_truncated", "a TLV header needs 4 bytes");
        const auto t = static_cast<std::uint16_t>(bytes[pos] | (bytes[pos + 1] << 8));
        const std::size_t len = bytes[pos + 2] | (bytes[pos + 3] << 8);
        pos += 4;
        if (bytes.size() - pos < len) {
            return fail("tlv_truncated", "tag " + std::to_string(t) + " announces " + std::to_string(len) + " bytes");
        }
        out.push_back(Tlv{t, Bytes(bytes.begin() + pos, bytes.begin() + pos + len)});
        pos += len;
    }
    return out;
}

Result<std::int64_t> decode_vln(std::span<const std::uint8_t> value) {
    if (value.empty() || value.size() > 7) return fail("tlv_value", "a VLN has 1..7 bytes");
    std::int64_t v = 0;
    for (std::size_t i = value.size(); i-- > 0;) v = (v << 8) | value[i];
    return v;
}

Result<Quantity> decode_fvln(std::span<const std::uint8_t> value) {
    if (value.size() < 2 || value.size() > 8) return fail("tlv_value", "an FVLN has 2..8 bytes");
    const int digits = value[0];
    if (digits > 6) return fail("tlv_value", "more than 6 fraction digits do not fit a Quantity");
    auto scaled = decode_vln(value.subspan(1));
    if (!scaled) return std::unexpected(scaled.error());
    std::int64_t micro = 0;
    if (__builtin_mul_overflow(*scaled, kPow10[6 - digits], &micro)) return fail("tlv_value", "FVLN too large");
    return Quantity::from_micro(micro);
}

std::string decode_string(std::span<const std::uint8_t> value) {
    return cp866_to_utf8(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

namespace {

Result<std::uint8_t> one_byte(const Tlv& t) {
    if (t.value.size() != 1) return fail("tlv_value", "tag " + std::to_string(t.tag) + " must be one byte");
    return t.value[0];
}

Result<Kopecks> money(const Tlv& t) {
    auto v = decode_vln(t.value);
    if (!v) return std::unexpected(v.error());
    return Kopecks{*v};
}

Result<ReceiptLine> decode_line(std::span<const std::uint8_t> value) {
    auto tlvs = decode_tlvs(value);
    if (!tlvs) return std::unexpected(tlvs.error());
    ReceiptLine line;
    for (const auto& t : *tlvs) {
        switch (t.tag) {
            case tag::kItemName:
                line.name = decode_string(t.value);
                break;
            case tag::kPrice: {
                auto v = money(t);
                if (!v) return std::unexpected(v.error());
                line.price = *v;
                break;
            }
            case tag::kQuantity: {
                auto q = decode_fvln(t.value);
                if (!q) return std::unexpected(q.error());
                line.quantity = *q;
                break;
            }
            case tag::kItemAmount: {
                auto v = money(t);
                if (!v) return std::unexpected(v.error());
                line.amount = *v;
                break;
            }
            case tag::kVatSum: {
                auto v = money(t);
                if (!v) return std::unexpected(v.error());
                line.vat = *v;
                break;
            }
            case tag::kVatCode:
            case tag::kPaymentMethod:
            case tag::kSubject:
            case tag::kUnit: {
                auto b = one_byte(t);
                if (!b) return std::unexpected(b.error());
                if (t.tag == tag::kVatCode) line.vat_code = *b;
                if (t.tag == tag::kPaymentMethod) line.method = static_cast<PaymentMethod>(*b);
                if (t.tag == tag::kSubject) line.subject = *b;
                if (t.tag == tag::kUnit) line.unit = *b;
                break;
            }
            default:
                break;  // tags Kassa does not model are skipped
        }
    }
    return line;
}

}  // namespace

Result<Receipt> decode_receipt(std::span<const std::uint8_t> bytes) {
    auto tlvs = decode_tlvs(bytes);
    if (!tlvs) return std::unexpected(tlvs.error());
    Receipt r;
    for (const auto& t : *tlvs) {
        Kopecks* money_field = nullptr;
        std::string* text_field = nullptr;
        switch (t.tag) {
            case tag::kItem: {
                auto line = decode_line(t.value);
                if (!line) return std::unexpected(line.error());
                r.lines.push_back(std::move(*line));
                break;
            }
            case tag::kCalcSign: {
                auto b = one_byte(t);
                if (!b) return std::unexpected(b.error());
                r.sign = static_cast<CalcSign>(*b);
                break;
            }
            case tag::kTaxSystem: {
                auto b = one_byte(t);
                if (!b) return std::unexpected(b.error());
                r.tax_system = static_cast<TaxSystem>(*b);
                break;
            }
            case tag::kCorrectionType: {
                auto b = one_byte(t);
                if (!b) return std::unexpected(b.error());
                if (!r.correction) r.correction.emplace();
                r.correction->type = *b;
                break;
            }
            case tag::kCorrectionBasis: {
                auto inner = decode_tlvs(t.value);
                if (!inner) return std::unexpected(inner.error());
                if (!r.correction) r.correction.emplace();
                for (const auto& i : *inner) {
                    if (i.tag == tag::kCorrectedDate) {
                        if (i.value.size() != 4) return fail("tlv_value", "1178 must be 4 bytes");
                        std::uint32_t s = 0;
                        for (int k = 3; k >= 0; --k) s = (s << 8) | i.value[k];
                        r.correction->date_unix = s;
                    } else if (i.tag == tag::kOrderNumber) {
                        r.correction->order_number = decode_string(i.value);
                    }
                }
                break;
            }
            case tag::kCashier:
                text_field = &r.cashier;
                break;
            case tag::kCashierInn:
                text_field = &r.cashier_inn;
                break;
            case tag::kBuyerContact:
                text_field = &r.buyer_contact;
                break;
            case tag::kSettlementAddress:
                text_field = &r.settlement_address;
                break;
            case tag::kSettlementPlace:
                text_field = &r.settlement_place;
                break;
            case tag::kAdditionalAttribute:
                text_field = &r.additional_attribute;
                break;
            case tag::kCash:
                money_field = &r.payments.cash;
                break;
            case tag::kElectronic:
                money_field = &r.payments.electronic;
                break;
            case tag::kPrepayment:
                money_field = &r.payments.prepayment;
                break;
            case tag::kCredit:
                money_field = &r.payments.credit;
                break;
            case tag::kProvision:
                money_field = &r.payments.provision;
                break;
            case tag::kTotal:
                money_field = &r.total;
                break;
            default:
                break;
        }
        if (text_field) *text_field = decode_string(t.value);
        if (money_field) {
            auto v = money(t);
            if (!v) return std::unexpected(v.error());
            *money_field = *v;
        }
    }
    return r;
}

}  // namespace kassa::fiscal
