// Command layouts: shared/spec/protocols.md §1.8, worked frames §1.12.
#include <gtest/gtest.h>

#include "drivers/shtrih/codec.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/errors.hpp"
#include "drivers/shtrih/frame.hpp"
#include "fiscal/tlv.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::shtrih {
namespace {

using test::hex;
using test::to_hex;

TEST(ShtrihCommands, PasswordRequestsMatchWorkedFrames) {
    EXPECT_EQ(to_hex(encode_frame(password_request(cmd::kShortStatus, 30).body())), "02 05 10 1E 00 00 00 0B");
    EXPECT_EQ(to_hex(encode_frame(password_request(cmd::kFnStatus, 30).body())), "02 06 FF 01 1E 00 00 00 E6");
    EXPECT_EQ(to_hex(encode_frame(password_request(cmd::kOpenShift, 1).body())), "02 05 E0 01 00 00 00 E4");
    EXPECT_EQ(to_hex(encode_frame(OpenReceiptRequest{1, 0}.request().body())), "02 06 8D 01 00 00 00 00 8A");
}

TEST(ShtrihCommands, MoneyRegisterReadsTheDrawer) {
    // 1Ah, password 30, register 241 (F1h); LRC = 06^1A^1E^F1 = F3.
    EXPECT_EQ(to_hex(encode_frame(MoneyRegisterRequest{30, kCashInDrawerRegister}.request().body())),
              "02 06 1A 1E 00 00 00 F1 F3");
    auto req = MoneyRegisterRequest::decode(hex("1E 00 00 00 F1"));
    ASSERT_TRUE(req);
    EXPECT_EQ(req->number, 241);
    auto answer = MoneyRegisterAnswer::decode(hex("1E 50 C3 00 00 00 00"));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->operator_number, 30);
    EXPECT_EQ(answer->value, 50000u);  // 500.00 ₽, six bytes LE
    EXPECT_EQ(to_hex(MoneyRegisterAnswer{30, 50000}.encode()), "1E 50 C3 00 00 00 00");
    EXPECT_FALSE(MoneyRegisterAnswer::decode(hex("1E 50 C3 00")));
}

TEST(ShtrihCommands, OperationV2MatchesWorkedFrame) {
    OperationV2 op;
    op.password = 1;
    op.operation = 1;
    op.quantity_micro = 1'000'000;
    op.price = 10000;
    op.tax = 0x01;
    op.department = 1;
    op.method = 4;
    op.subject = 1;
    op.name = "Товар";
    EXPECT_EQ(to_hex(encode_frame(op.request().body())),
              "02 25 FF 46 01 00 00 00 01 40 42 0F 00 00 00 10 27 00 00 00 FF FF FF FF FF FF FF FF FF FF 01 01 04 01 "
              "D2 EE E2 E0 F0 6D");
    auto back = OperationV2::decode(op.request().data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->name, "Товар");
    EXPECT_EQ(back->quantity_micro, 1'000'000);
    EXPECT_EQ(back->amount, kMoneyAuto);
}

TEST(ShtrihCommands, SendTlvMatchesWorkedFrame) {
    TlvRequest t;
    fiscal::TlvWriter w;  // the one FFD encoder (src/fiscal)
    ASSERT_TRUE(w.put_string(1008, "+79001234567"));
    t.tlv = w.take();
    EXPECT_EQ(to_hex(encode_frame(t.request().body())),
              "02 16 FF 0C 1E 00 00 00 F0 03 0C 00 2B 37 39 30 30 31 32 33 34 35 36 37 11");
}

TEST(ShtrihCommands, CloseReceiptV2MatchesWorkedFrame) {
    CloseReceiptV2 c;
    c.payments[0] = 10000;
    c.tax_system = 0x01;
    const auto frame = encode_frame(c.request().body());
    std::string expected = "02 76 FF 45 1E 00 00 00 10 27 00 00 00";
    for (int i = 0; i < 75 + 1 + 30; ++i) expected += " 00";
    expected += " 01 E4";
    EXPECT_EQ(to_hex(frame), expected);
    auto back = CloseReceiptV2::decode(c.request().data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->payments[0], 10000u);
    EXPECT_EQ(back->tax_system, 0x01);
}

TEST(ShtrihCommands, ShortStatusAnswerMatchesWorkedFrame) {
    ShortStatus s;
    s.operator_number = 30;
    s.flags = 0x02C2;
    s.mode = 4;
    const Answer a{cmd::kShortStatus, 0, s.encode()};
    EXPECT_EQ(to_hex(encode_frame(a.body())), "02 10 10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00 DA");
    auto parsed = Answer::parse(hex("10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00"), cmd::kShortStatus);
    ASSERT_TRUE(parsed);
    auto st = ShortStatus::decode(parsed->data);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->flags, 0x02C2);
    EXPECT_EQ(st->mode, 4);
    EXPECT_FALSE(st->last_print_result.has_value());
}

TEST(ShtrihCommands, ErrorAnswersInBothForms) {
    auto one = Answer::parse(hex("10 4F"), cmd::kShortStatus);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->error, err::kWrongPassword);
    EXPECT_EQ(error_text(one->error), "wrong password");
    auto full = Answer::parse(hex("FF 46 02"), cmd::kOperationV2);
    ASSERT_TRUE(full);
    EXPECT_EQ(full->error, 0x02);
    auto short_form = Answer::parse(hex("FF 37"), cmd::kOperationV2);
    ASSERT_TRUE(short_form);
    EXPECT_EQ(short_form->error, err::kNotSupported);
    EXPECT_FALSE(Answer::parse(hex("11 00"), cmd::kShortStatus));
    EXPECT_FALSE(Answer::parse(hex("FF 45 00"), cmd::kOperationV2));
    EXPECT_EQ(to_hex(Answer{cmd::kOperationV2, 0x02, hex("01 02")}.body()), "FF 46 02");
}

TEST(ShtrihCommands, FullStatusIsTheLegacy48ByteLayout) {
    FullStatus s;
    s.mode = 2;
    s.inn = 7701234567;
    const Answer a{cmd::kFullStatus, 0, s.encode()};
    EXPECT_EQ(a.body().size(), 48u);
    auto back = FullStatus::decode(a.data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->inn, 7701234567u);
    EXPECT_EQ(back->mode, 2);
}

TEST(ShtrihCommands, FnStatusRoundTripsAtLen33) {
    FnStatus s;
    s.life_phase = 0x03;
    s.shift_open = 1;
    s.date_time = DateTime{2026, 9, 21, 10, 30};
    s.fn_number = "9999078900012345";
    s.last_fd_number = 42;
    const Answer a{cmd::kFnStatus, 0, s.encode()};
    EXPECT_EQ(a.body().size(), 33u);
    auto back = FnStatus::decode(a.data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->fn_number, "9999078900012345");
    EXPECT_EQ(back->last_fd_number, 42u);
    EXPECT_EQ(back->date_time, (DateTime{2026, 9, 21, 10, 30}));
}

TEST(ShtrihCommands, OfdStatusAndFindDocumentLengths) {
    EXPECT_EQ((Answer{cmd::kOfdStatus, 0, OfdStatus{}.encode()}.body().size()), 16u);
    FoundDocument d;
    d.type = doc_type::kReceipt;
    d.number = 7;
    d.fiscal_sign = 0xDEADBEEF;
    d.operation = 1;
    d.amount = 150000;
    auto back = FoundDocument::decode(d.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->fiscal_sign, 0xDEADBEEFu);
    ASSERT_TRUE(back->amount);
    EXPECT_EQ(*back->amount, 150000u);
    FoundDocument shift;
    shift.type = doc_type::kShiftOpen;
    auto back2 = FoundDocument::decode(shift.encode());
    ASSERT_TRUE(back2);
    EXPECT_FALSE(back2->amount.has_value());
}

TEST(ShtrihCommands, CloseAnswerWithAndWithoutDateTime) {
    CloseReceiptV2Answer a{0, 5, 123456, std::nullopt};
    EXPECT_EQ((Answer{cmd::kCloseReceiptV2, 0, a.encode()}.body().size()), 16u);
    a.date_time = DateTime{2026, 1, 2, 3, 4};
    EXPECT_EQ((Answer{cmd::kCloseReceiptV2, 0, a.encode()}.body().size()), 21u);
    auto back = CloseReceiptV2Answer::decode(a.encode());
    ASSERT_TRUE(back);
    ASSERT_TRUE(back->date_time);
    EXPECT_EQ(back->date_time->minute, 4);
}

TEST(ShtrihCommands, CorrectionV2IsLen69) {
    CorrectionV2 c;
    c.total = 100;
    EXPECT_EQ(c.request().body().size(), 69u);
    EXPECT_TRUE(CorrectionV2::decode(c.request().data));
}

TEST(ShtrihCommands, TaxByteIsABitmask) {
    EXPECT_EQ(tax_byte_for_1199(1), 0x01);
    EXPECT_EQ(tax_byte_for_1199(11), 0x01);
    EXPECT_EQ(tax_byte_for_1199(2), 0x02);
    EXPECT_EQ(tax_byte_for_1199(5), 0x04);
    EXPECT_EQ(tax_byte_for_1199(6), 0x08);
    EXPECT_EQ(tax_byte_for_1199(12), 0x10);
    EXPECT_EQ(tax_byte_for_1199(4), 0x20);
    EXPECT_EQ(tax_byte_for_1199(7), 0x81);
    EXPECT_FALSE(tax_byte_for_1199(0));
    EXPECT_EQ(tag_1199_for_tax_byte(0x01, true), 11);
    EXPECT_EQ(tag_1199_for_tax_byte(0x01, false), 1);
    EXPECT_EQ(tag_1199_for_tax_byte(0x10, true), 12);
}

TEST(ShtrihCommands, PrintStringsAreFixedLength) {
    const auto p17 = PrintStringRequest{30, 0x02, "Привет"}.request();
    EXPECT_EQ(p17.body().size(), 46u);  // LEN 46 (§1.8)
    EXPECT_EQ(PrintStringRequest::decode(p17.data)->text, "Привет");
    const auto p2f = PrintFontStringRequest{30, 0x02, 3, "Шрифт"}.request();
    EXPECT_EQ(p2f.body().size(), 47u);  // LEN 47
    auto back = PrintFontStringRequest::decode(p2f.data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->font, 3);
    EXPECT_EQ(back->text, "Шрифт");
}

TEST(ShtrihCommands, TwoDimensionalBarcodeLayouts) {
    Print2DBarcodeRequest p;
    p.password = 30;
    p.length = 100;
    EXPECT_EQ(p.request().body().size(), 15u);  // LEN 15
    EXPECT_EQ(to_hex(p.request().body()), "DE 1E 00 00 00 03 64 00 00 00 00 04 00 01 01");
    auto back = Print2DBarcodeRequest::decode(p.request().data);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->length, 100);
    LoadDataRequest l{30, 0, 1, Bytes{'a', 'b'}};
    EXPECT_EQ(to_hex(l.request().body()), "DD 1E 00 00 00 00 01 61 62");
}

TEST(ShtrihCommands, TimeoutsFollowTheSpec) {
    EXPECT_EQ(answer_timeout(cmd::kShortStatus), std::chrono::seconds{3});
    EXPECT_EQ(answer_timeout(cmd::kZReport), std::chrono::seconds{65});
    EXPECT_EQ(answer_timeout(cmd::kOpenShift), std::chrono::seconds{120});
    EXPECT_EQ(answer_timeout(cmd::kOperationV2), std::chrono::seconds{30});
}

TEST(ShtrihCodec, CommandTextIsCp1251) {
    EXPECT_EQ(to_hex(to_cp1251("Товар")), "D2 EE E2 E0 F0");
    EXPECT_EQ(from_cp1251(to_cp1251("Ёлка ёж №5 яЯ")), "Ёлка ёж №5 яЯ");
}

}  // namespace
}  // namespace kassa::drivers::shtrih
