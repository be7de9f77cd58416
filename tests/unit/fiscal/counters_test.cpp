// The totals counters 1194 / 1157 (fiscal/counters.hpp): what count_receipt adds up, the STLV
// layout, and the decoder.
#include "fiscal/counters.hpp"

#include <gtest/gtest.h>

#include "fiscal/vat.hpp"

namespace kassa::fiscal {
namespace {

Receipt receipt(CalcSign sign, std::int64_t cash, std::int64_t card, std::uint8_t code, std::int64_t vat) {
    Receipt r;
    r.sign = sign;
    ReceiptLine l;
    l.name = "Товар";
    l.quantity = Quantity::whole(1);
    l.price = Kopecks{cash + card};
    l.amount = Kopecks{cash + card};
    l.vat_code = code;
    l.vat = Kopecks{vat};
    r.lines.push_back(l);
    r.payments.cash = Kopecks{cash};
    r.payments.electronic = Kopecks{card};
    r.total = Kopecks{cash + card};
    return r;
}

// The TLVs directly inside `bytes`, by tag (first of each).
std::vector<Tlv> inner(const Bytes& bytes) {
    auto t = decode_tlvs(bytes);
    EXPECT_TRUE(t);
    return t ? *t : std::vector<Tlv>{};
}

TEST(TotalsCounters, CountsReceiptsBySignAndCorrectionsApart) {
    TotalsCounters c;
    ASSERT_TRUE(count_receipt(c, receipt(CalcSign::Income, 1000, 500, vat_code::kVat10, 136)));
    ASSERT_TRUE(count_receipt(c, receipt(CalcSign::Income, 0, 700, vat_code::kNone, 0)));
    ASSERT_TRUE(count_receipt(c, receipt(CalcSign::IncomeReturn, 0, 300, vat_code::kVat0, 0)));
    auto corr = receipt(CalcSign::Income, 200, 0, vat_code::kVat20, 33);
    corr.correction = Correction{};
    ASSERT_TRUE(count_receipt(c, corr));

    EXPECT_EQ(c.receipts, 4u);
    EXPECT_EQ(c.corrections, 1u);
    EXPECT_EQ(c.of(CalcSign::Income).count, 2u);
    EXPECT_EQ(c.of(CalcSign::Income).cash, Kopecks{1000});
    EXPECT_EQ(c.of(CalcSign::Income).electronic, Kopecks{1200});
    EXPECT_EQ(c.of(CalcSign::Income).total, Kopecks{2200});
    EXPECT_EQ(c.of(CalcSign::Income).vat10, Kopecks{136});
    EXPECT_EQ(c.of(CalcSign::Income).turnover_no_vat, Kopecks{700});
    EXPECT_EQ(c.of(CalcSign::Income).vat20, Kopecks{0}) << "the correction's VAT is not a receipt's";
    EXPECT_EQ(c.of(CalcSign::IncomeReturn).turnover_vat0, Kopecks{300});
    EXPECT_EQ(c.of_corrections(CalcSign::Income).count, 1u);
    EXPECT_EQ(c.of_corrections(CalcSign::Income).cash, Kopecks{200});
    EXPECT_EQ(c.of_corrections(CalcSign::Income).vat20, Kopecks{0});
    EXPECT_EQ(c.of(CalcSign::Expense).count, 0u);
}

TEST(TotalsCounters, LayoutNestsOperationsAndCorrections) {
    TotalsCounters c;
    ASSERT_TRUE(count_receipt(c, receipt(CalcSign::IncomeReturn, 300, 0, vat_code::kVat10, 27)));
    auto corr = receipt(CalcSign::Expense, 0, 400, vat_code::kNone, 0);
    corr.correction = Correction{};
    ASSERT_TRUE(count_receipt(c, corr));
    auto encoded = encode_totals_counters(tag::kShiftTotals, c);
    ASSERT_TRUE(encoded) << encoded.error().message;

    const auto top = inner(*encoded);
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].tag, 1194);
    const auto body = inner(top[0].value);
    // 1134 (UInt32), then only the sign with receipts (1130 «возврат прихода»), then 1133.
    ASSERT_EQ(body.size(), 3u);
    EXPECT_EQ(body[0].tag, 1134);
    EXPECT_EQ(body[0].value, (Bytes{2, 0, 0, 0}));
    EXPECT_EQ(body[1].tag, 1130);
    EXPECT_EQ(body[2].tag, 1133);
    const auto op = inner(body[1].value);
    ASSERT_FALSE(op.empty());
    EXPECT_EQ(op[0].tag, 1135);
    EXPECT_EQ(op[0].value, (Bytes{1, 0, 0, 0}));
    bool vat10 = false;
    for (const auto& t : op) {
        if (t.tag == 1140) vat10 = t.value == Bytes{27};
        EXPECT_NE(t.tag, 1139) << "a zero VAT sum is left out";
    }
    EXPECT_TRUE(vat10);
    const auto corrections = inner(body[2].value);
    ASSERT_EQ(corrections.size(), 2u);
    EXPECT_EQ(corrections[0].tag, 1144);
    EXPECT_EQ(corrections[1].tag, 1146) << "«расход» corrections";

    auto back = decode_totals_counters(top[0].value);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, c);
}

TEST(TotalsCounters, DecoderRefusesABrokenCount) {
    // 1134 with three bytes instead of four.
    const Bytes bad{0x6E, 0x04, 0x03, 0x00, 1, 0, 0};
    auto r = decode_totals_counters(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "tlv_value");
    const Bytes truncated{0x6E, 0x04, 0x04, 0x00, 1};
    EXPECT_FALSE(decode_totals_counters(truncated));
}

}  // namespace
}  // namespace kassa::fiscal
