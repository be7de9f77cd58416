// FFD TLV encoding checked byte for byte against vectors worked out by hand from protocols.md
// §3.1–3.3, anchored on the worked encodings of §3.6.
#include <gtest/gtest.h>

#include "fiscal/planner.hpp"
#include "fiscal/tlv.hpp"
#include "fiscal/validate.hpp"

namespace kassa::fiscal {
namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Receipt 1: §3.6's «Молоко» line (1.5 × 100.00 = 150.00 at 1199 = 1, 1214 = 4, 1212 = 1), paid
// in cash, cashier «Иванов», e-receipt to +79001234567.
Receipt milk_receipt() {
    Receipt r;
    r.sign = CalcSign::Income;
    r.tax_system = TaxSystem::Osn;
    r.cashier = "Иванов";
    r.buyer_contact = "+79001234567";
    ReceiptLine l;
    l.name = "Молоко";
    l.quantity = Quantity::from_micro(1'500'000);
    l.unit = 0;
    l.price = Kopecks{10000};
    l.amount = Kopecks{15000};
    l.method = PaymentMethod::FullPayment;
    l.subject = subject::kGoods;
    l.vat_class = VatClass::Vat20;
    l.vat_code = 1;
    l.vat = Kopecks{2500};
    r.lines.push_back(l);
    r.payments.cash = Kopecks{15000};
    r.total = Kopecks{15000};
    return r;
}

TEST(FiscalTlv, MilkReceiptMatchesHandVector) {
    const Receipt r = milk_receipt();
    ASSERT_TRUE(validate_receipt(r).has_value());
    const auto enc = encode_receipt(r);
    ASSERT_TRUE(enc.has_value());
    ASSERT_EQ(enc->lines.size(), 1u);

    // The 43-byte 1059 value of §3.6 (1030, 1079, 1023, 1043, 1199, 1214, 1212), then:
    //   2108 = 0x083C, length 1, value 0 (pieces)                   → 3C 08 01 00 00
    //   1200 = 0x04B0, VAT 150.00 × 20/120 = 25.00 = 2500 = 0x09C4  → B0 04 02 00 C4 09
    // so the STLV value is 43 + 5 + 6 = 54 = 0x36 bytes: header 23 04 36 00.
    const Bytes line = cat({
        {0x23, 0x04, 0x36, 0x00},                                      // 1059 = 0x0423, 54 bytes
        {0x06, 0x04, 0x06, 0x00, 0x8C, 0xAE, 0xAB, 0xAE, 0xAA, 0xAE},  // 1030 «Молоко», CP866
        {0x37, 0x04, 0x02, 0x00, 0x10, 0x27},                          // 1079 10000 kop
        {0xFF, 0x03, 0x02, 0x00, 0x01, 0x0F},                          // 1023 1.5: 1 digit, 15
        {0x13, 0x04, 0x02, 0x00, 0x98, 0x3A},                          // 1043 15000 kop
        {0xAF, 0x04, 0x01, 0x00, 0x01},                                // 1199 = 1
        {0xBE, 0x04, 0x01, 0x00, 0x04},                                // 1214 = 4
        {0xBC, 0x04, 0x01, 0x00, 0x01},                                // 1212 = 1
        {0x3C, 0x08, 0x01, 0x00, 0x00},                                // 2108 = 0
        {0xB0, 0x04, 0x02, 0x00, 0xC4, 0x09},                          // 1200 = 2500
    });
    EXPECT_EQ(enc->lines[0], line);

    const Bytes document = cat({
        {0x1E, 0x04, 0x01, 0x00, 0x01},  // 1054 = 0x041E: приход (§3.6)
        {0x1F, 0x04, 0x01, 0x00, 0x01},  // 1055 = 0x041F: ОСН, bit 0 (§3.6)
        // 1021 = 0x03FD, «Иванов» in CP866: И 88, в A2, а A0, н AD, о AE, в A2
        {0xFD, 0x03, 0x06, 0x00, 0x88, 0xA2, 0xA0, 0xAD, 0xAE, 0xA2},
        // 1008 = 0x03F0, the twelve ASCII bytes of +79001234567 (§3.6)
        {0xF0, 0x03, 0x0C, 0x00, 0x2B, 0x37, 0x39, 0x30, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37},
        {0x07, 0x04, 0x02, 0x00, 0x98, 0x3A},  // 1031 = 0x0407: 15000 = 0x3A98, little-endian
        {0x39, 0x04, 0x01, 0x00, 0x00},        // 1081 = 0x0439: 0 is one zero byte (§3.2)
        {0xBF, 0x04, 0x01, 0x00, 0x00},        // 1215 = 0x04BF
        {0xC0, 0x04, 0x01, 0x00, 0x00},        // 1216 = 0x04C0
        {0xC1, 0x04, 0x01, 0x00, 0x00},        // 1217 = 0x04C1
        {0xFC, 0x03, 0x02, 0x00, 0x98, 0x3A},  // 1020 = 0x03FC: 15000
    });
    EXPECT_EQ(enc->document, document);
    EXPECT_EQ(enc->flat(), cat({line, document}));
    EXPECT_EQ(enc->size(), line.size() + document.size());
}

// Receipt 2: a correction by order of the tax authority for a cheese sale by weight, paid by
// card, under УСН доход, referring to the fiscal sign of the wrong receipt.
Receipt cheese_correction() {
    Receipt r;
    r.sign = CalcSign::Income;
    r.tax_system = TaxSystem::UsnIncome;
    r.cashier = "Иванов";
    r.additional_attribute = "1234567890";
    r.correction = Correction{1, 1'792'022'400, "12-34/5"};
    auto line = make_line("Сыр", Quantity::from_micro(250'000), 11, Kopecks{40000}, PaymentMethod::FullPayment,
                          subject::kGoods, VatClass::Vat22);
    EXPECT_TRUE(line.has_value());
    r.lines.push_back(*line);
    r.payments.electronic = Kopecks{10000};
    r.total = Kopecks{10000};
    return r;
}

TEST(FiscalTlv, CorrectionReceiptMatchesHandVector) {
    const Receipt r = cheese_correction();
    ASSERT_TRUE(validate_receipt(r).has_value()) << validate_receipt(r).error().message;
    const auto enc = encode_receipt(r);
    ASSERT_TRUE(enc.has_value());
    ASSERT_EQ(enc->lines.size(), 1u);
    // Value: 7 + 6 + 6 + 6 + 5 + 5 + 5 + 5 + 6 = 51 = 0x33 bytes.
    const Bytes line = cat({
        {0x23, 0x04, 0x33, 0x00},                    // 1059, 51 bytes
        {0x06, 0x04, 0x03, 0x00, 0x91, 0xEB, 0xE0},  // 1030 «Сыр»: С 91, ы EB, р E0
        {0x37, 0x04, 0x02, 0x00, 0x40, 0x9C},        // 1079 400.00 = 40000 = 0x9C40
        {0xFF, 0x03, 0x02, 0x00, 0x02, 0x19},        // 1023 0.25: 2 digits, 25 = 0x19
        {0x13, 0x04, 0x02, 0x00, 0x10, 0x27},        // 1043 0.25 × 400.00 = 100.00 = 0x2710
        {0xAF, 0x04, 0x01, 0x00, 0x0B},              // 1199 = 11: 22 % at handover (§2)
        {0xBE, 0x04, 0x01, 0x00, 0x04},              // 1214 = 4
        {0xBC, 0x04, 0x01, 0x00, 0x01},              // 1212 = 1
        {0x3C, 0x08, 0x01, 0x00, 0x0B},              // 2108 = 11: kilograms (§1.6)
        {0xB0, 0x04, 0x02, 0x00, 0x0B, 0x07},        // 1200: 10000 × 22 / 122 = 1803.28 → 1803 = 0x070B
    });
    EXPECT_EQ(enc->lines[0], line);

    const Bytes document = cat({
        {0x1E, 0x04, 0x01, 0x00, 0x01},                                // 1054 = 1
        {0x1F, 0x04, 0x01, 0x00, 0x02},                                // 1055: УСН доход, bit 1
        {0xFD, 0x03, 0x06, 0x00, 0x88, 0xA2, 0xA0, 0xAD, 0xAE, 0xA2},  // 1021 «Иванов»
        // 1192 = 0x04A8, ten ASCII digits
        {0xA8, 0x04, 0x0A, 0x00, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30},
        {0x95, 0x04, 0x01, 0x00, 0x01},  // 1173 = 0x0495: by order
        // 1174 = 0x0496, STLV of 8 + 11 = 19 = 0x13 bytes:
        {0x96, 0x04, 0x13, 0x00},
        // 1178 = 0x049A: 2026-10-15 00:00. Days since 1970-01-01: 56 years with 14 leap days
        // = 20454 to 2026-01-01, + 273 (Jan..Sep) + 14 = 20741; × 86400 = 1 792 022 400
        // = 0x6AD01780, little-endian 80 17 D0 6A.
        {0x9A, 0x04, 0x04, 0x00, 0x80, 0x17, 0xD0, 0x6A},
        // 1179 = 0x049B: "12-34/5" in ASCII
        {0x9B, 0x04, 0x07, 0x00, 0x31, 0x32, 0x2D, 0x33, 0x34, 0x2F, 0x35},
        {0x07, 0x04, 0x01, 0x00, 0x00},        // 1031 = 0
        {0x39, 0x04, 0x02, 0x00, 0x10, 0x27},  // 1081 = 10000
        {0xBF, 0x04, 0x01, 0x00, 0x00},        // 1215 = 0
        {0xC0, 0x04, 0x01, 0x00, 0x00},        // 1216 = 0
        {0xC1, 0x04, 0x01, 0x00, 0x00},        // 1217 = 0
        {0xFC, 0x03, 0x02, 0x00, 0x10, 0x27},  // 1020 = 10000
    });
    EXPECT_EQ(enc->document, document);
}

void expect_same_sent_fields(const Receipt& a, const Receipt& b) {
    EXPECT_EQ(a.sign, b.sign);
    EXPECT_EQ(a.tax_system, b.tax_system);
    EXPECT_EQ(a.payments, b.payments);
    EXPECT_EQ(a.total, b.total);
    EXPECT_EQ(a.cashier, b.cashier);
    EXPECT_EQ(a.cashier_inn, b.cashier_inn);
    EXPECT_EQ(a.buyer_contact, b.buyer_contact);
    EXPECT_EQ(a.settlement_address, b.settlement_address);
    EXPECT_EQ(a.settlement_place, b.settlement_place);
    EXPECT_EQ(a.additional_attribute, b.additional_attribute);
    EXPECT_EQ(a.correction, b.correction);
    ASSERT_EQ(a.lines.size(), b.lines.size());
    for (std::size_t i = 0; i < a.lines.size(); ++i) {
        // VatClass and sku are not sent; everything else is.
        ReceiptLine x = a.lines[i];
        ReceiptLine y = b.lines[i];
        x.vat_class = y.vat_class = VatClass::Vat22;
        x.sku = y.sku = "";
        EXPECT_EQ(x, y) << "line " << i;
    }
}

TEST(FiscalTlv, ReceiptsSurviveARoundTrip) {
    for (const Receipt& r : {milk_receipt(), cheese_correction()}) {
        const auto enc = encode_receipt(r);
        ASSERT_TRUE(enc.has_value());
        const auto back = decode_receipt(enc->flat());
        ASSERT_TRUE(back.has_value()) << back.error().message;
        expect_same_sent_fields(r, *back);
    }
}

TEST(FiscalTlv, PlannedReceiptSurvivesARoundTrip) {
    Receipt r;
    r.sign = CalcSign::IncomeReturn;
    r.cashier = "Экспедитор Пётр Ёлкин";
    r.cashier_inn = "500100732259";
    r.buyer_contact = "client@example.ru";
    r.settlement_address = "г. Москва, ул. Льва Толстого, д. 16";
    r.settlement_place = "Доставка";
    for (int i = 0; i < 3; ++i) {
        auto l = make_line("Товар №" + std::to_string(i), Quantity::from_micro(1'234'567 * (i + 1)), 11,
                           Kopecks{99'999 + i}, PaymentMethod::PartialPrepayment, subject::kGoods, VatClass::Vat10);
        ASSERT_TRUE(l.has_value());
        r.lines.push_back(*l);
        r.total += l->amount;
    }
    r.payments.cash = Kopecks{100};
    r.payments.electronic = r.total - Kopecks{100};
    ASSERT_TRUE(validate_receipt(r).has_value());
    const auto enc = encode_receipt(r);
    ASSERT_TRUE(enc.has_value());
    const auto back = decode_receipt(enc->flat());
    ASSERT_TRUE(back.has_value());
    expect_same_sent_fields(r, *back);
}

TEST(FiscalTlv, VlnUsesTheFewestBytes) {
    struct Case {
        std::int64_t value;
        Bytes bytes;
    };
    const Case cases[] = {{0, {0x00}},
                          {1, {0x01}},
                          {255, {0xFF}},
                          {256, {0x00, 0x01}},
                          {65535, {0xFF, 0xFF}},
                          {65536, {0x00, 0x00, 0x01}},
                          // 99 999 999.99 ₽ = 9 999 999 999 = 0x02540BE3FF: five bytes
                          {9'999'999'999, {0xFF, 0xE3, 0x0B, 0x54, 0x02}},
                          {0xFFFF'FFFF'FFFF, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}};
    for (const auto& c : cases) {
        TlvWriter w;
        ASSERT_TRUE(w.put_vln(tag::kTotal, c.value).has_value());
        Bytes want = {0xFC, 0x03, static_cast<std::uint8_t>(c.bytes.size()), 0x00};
        want.insert(want.end(), c.bytes.begin(), c.bytes.end());
        EXPECT_EQ(w.bytes(), want) << c.value;
        EXPECT_EQ(decode_vln(c.bytes).value(), c.value);
    }
}

TEST(FiscalTlv, VlnRejectsNegativeAndOversizedValues) {
    TlvWriter w;
    EXPECT_EQ(w.put_vln(tag::kTotal, -1).error().code, "tlv_value");
    EXPECT_EQ(w.put_vln(tag::kTotal, 0x1'0000'0000'0000).error().code, "tlv_value");  // 7 bytes
    EXPECT_TRUE(w.bytes().empty());
    EXPECT_FALSE(decode_vln(Bytes{}).has_value());
}

TEST(FiscalTlv, FvlnMatchesTheSpecExamples) {
    // protocols.md §3.2: 1.5 → 01 0F; 1 → 00 01. 2.000 is sent in its shortest form 00 02, and
    // the decoder accepts the spec's 03 D0 07 as the same quantity.
    auto fvln = [](Quantity q) {
        TlvWriter w;
        EXPECT_TRUE(w.put_fvln(tag::kQuantity, q).has_value());
        return Bytes(w.bytes().begin() + 4, w.bytes().end());
    };
    EXPECT_EQ(fvln(Quantity::from_micro(1'500'000)), (Bytes{0x01, 0x0F}));
    EXPECT_EQ(fvln(Quantity::whole(1)), (Bytes{0x00, 0x01}));
    EXPECT_EQ(fvln(Quantity::whole(2)), (Bytes{0x00, 0x02}));
    // 0.000001: six digits, value 1.
    EXPECT_EQ(fvln(Quantity::from_micro(1)), (Bytes{0x06, 0x01}));
    EXPECT_EQ(decode_fvln(Bytes{0x03, 0xD0, 0x07}).value(), Quantity::whole(2));
    EXPECT_EQ(decode_fvln(Bytes{0x01, 0x0F}).value(), Quantity::from_micro(1'500'000));
    EXPECT_FALSE(decode_fvln(Bytes{0x07, 0x01}).has_value());  // 7 fraction digits do not fit
    EXPECT_FALSE(decode_fvln(Bytes{0x00}).has_value());
}

TEST(FiscalTlv, StringsAreCp866AndNonCp866TextIsAnError) {
    TlvWriter w;
    ASSERT_TRUE(w.put_string(tag::kItemName, "Товар").has_value());
    // protocols.md §3.6: «Товар» is 92 AE A2 A0 E0 in CP866.
    EXPECT_EQ(w.bytes(), (Bytes{0x06, 0x04, 0x05, 0x00, 0x92, 0xAE, 0xA2, 0xA0, 0xE0}));
    EXPECT_EQ(w.put_string(tag::kItemName, "Tea 🍵").error().code, "text_not_cp866");
    EXPECT_EQ(w.put_string(tag::kItemName, "Café").error().code, "text_not_cp866");  // é is not in CP866
}

TEST(FiscalTlv, DecoderReportsTruncation) {
    const auto enc = encode_receipt(milk_receipt());
    ASSERT_TRUE(enc.has_value());
    Bytes flat = enc->flat();
    // Every strict prefix that cuts a TLV (header or value) is truncated; the whole decodes.
    const auto tlvs = decode_tlvs(flat);
    ASSERT_TRUE(tlvs.has_value());
    std::vector<std::size_t> boundaries{0};
    for (const auto& t : *tlvs) boundaries.push_back(boundaries.back() + 4 + t.value.size());
    for (std::size_t n = 1; n < flat.size(); ++n) {
        const bool at_boundary = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
        const auto r = decode_tlvs(std::span(flat.data(), n));
        EXPECT_EQ(r.has_value(), at_boundary) << n;
        if (!r) {
            EXPECT_EQ(r.error().code, "tlv_truncated");
        }
    }
}

TEST(FiscalTlv, OversizedValueIsRefused) {
    TlvWriter w;
    const Bytes big(65536, 0x20);
    EXPECT_EQ(w.put_raw(tag::kItemName, big).error().code, "tlv_value");
    EXPECT_TRUE(w.put_raw(tag::kItemName, std::span(big.data(), 65535)).has_value());
    EXPECT_EQ(w.bytes()[2], 0xFF);
    EXPECT_EQ(w.bytes()[3], 0xFF);
}

TEST(FiscalTlv, DecoderRejectsMalformedValues) {
    // 1054 with two bytes.
    EXPECT_EQ(decode_receipt(Bytes{0x1E, 0x04, 0x02, 0x00, 0x01, 0x01}).error().code, "tlv_value");
    // 1031 with an empty value (a VLN has at least one byte).
    EXPECT_EQ(decode_receipt(Bytes{0x07, 0x04, 0x00, 0x00}).error().code, "tlv_value");
    // A 1059 whose inner 1030 announces 6 bytes but holds 2.
    EXPECT_EQ(decode_receipt(Bytes{0x23, 0x04, 0x06, 0x00, 0x06, 0x04, 0x06, 0x00, 0x8C, 0xAE}).error().code,
              "tlv_truncated");
    // 1178 inside 1174 with three bytes.
    EXPECT_EQ(decode_receipt(Bytes{0x96, 0x04, 0x07, 0x00, 0x9A, 0x04, 0x03, 0x00, 0x01, 0x02, 0x03}).error().code,
              "tlv_value");
    // Unknown tags are skipped, not fatal.
    const auto r = decode_receipt(Bytes{0x39, 0x30, 0x01, 0x00, 0x07, 0xFC, 0x03, 0x01, 0x00, 0x05});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->total.value(), 5);
}

}  // namespace
TEST(FiscalTlv, TagSpansTileEveryBufferAtTagBoundaries) {
    const Receipt r = cheese_correction();
    const auto enc = encode_receipt(r);
    ASSERT_TRUE(enc.has_value());
    auto check = [](const Bytes& buffer, const std::vector<TagSpan>& spans, std::size_t from) {
        std::size_t at = from;
        for (const auto& sp : spans) {
            EXPECT_EQ(sp.offset, at);
            const auto tag = static_cast<std::uint16_t>(buffer[sp.offset] | buffer[sp.offset + 1] << 8);
            const auto len = static_cast<std::size_t>(buffer[sp.offset + 2] | buffer[sp.offset + 3] << 8);
            EXPECT_EQ(tag, sp.tag);
            EXPECT_EQ(sp.size, len + 4);
            at += sp.size;
        }
        EXPECT_EQ(at, buffer.size());
    };
    check(enc->document, enc->document_tags, 0);
    std::vector<std::uint16_t> doc_tags;
    for (const auto& sp : enc->document_tags) doc_tags.push_back(sp.tag);
    EXPECT_EQ(doc_tags,
              (std::vector<std::uint16_t>{1054, 1055, 1021, 1192, 1173, 1174, 1031, 1081, 1215, 1216, 1217, 1020}));
    ASSERT_EQ(enc->line_tags.size(), 1u);
    check(enc->lines[0], enc->line_tags[0], 4);  // inside the 1059 header
    EXPECT_EQ(enc->line_tags[0].size(), 9u);
    EXPECT_EQ(enc->line_tags[0][7].tag, 2108);
}

}  // namespace kassa::fiscal
