// ATOL application layer: shared/spec/protocols.md §2.1 (message, BCD, text), §2.5 (commands), §2.6 (errors).
#include <gtest/gtest.h>

#include "drivers/atol/assumptions.hpp"
#include "drivers/atol/commands.hpp"
#include "drivers/atol/errors.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::atol {
namespace {

using test::hex;
using test::to_hex;

TEST(AtolCommands, BcdIsBigEndianPackedDigits) {
    Bytes out;
    ASSERT_TRUE(put_bcd(out, 12345, 5));  // 123.45 in kopecks (§2.1)
    EXPECT_EQ(to_hex(out), "00 00 01 23 45");
    out.clear();
    ASSERT_TRUE(put_bcd(out, 30, 4));  // mode password 30
    EXPECT_EQ(to_hex(out), "00 00 00 30");
    out.clear();
    EXPECT_FALSE(put_bcd(out, 100, 1));
    EXPECT_TRUE(out.empty());
    ASSERT_TRUE(put_bcd(out, 9'999'999'999ull, 5));
    EXPECT_EQ(to_hex(out), "99 99 99 99 99");
    EXPECT_EQ(read_bcd(hex("00 00 01 23 45")).value(), 12345u);
    auto bad = read_bcd(hex("1A"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "bad_bcd");
}

TEST(AtolCommands, RequestsMatchTheSpecFrames) {
    // The data of the §2.3 worked frames: status, and enter mode 1 with password 30.
    EXPECT_EQ(to_hex(simple_request(cmd::kStatus).encode()), "00 00 3F");
    EXPECT_EQ(to_hex(EnterModeRequest{mode::kRegistration, 30}.request().encode()), "00 00 56 01 00 00 00 30");
    EXPECT_EQ(to_hex(simple_request(cmd::kDeviceType).encode()), "00 00 A5");
    auto parsed = Request::parse(hex("00 00 56 01 00 00 00 30"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->code, cmd::kEnterMode);
    auto mode = EnterModeRequest::decode(parsed->params);
    ASSERT_TRUE(mode);
    EXPECT_EQ(mode->mode, 1);
    EXPECT_EQ(mode->password, 30u);
    EXPECT_FALSE(Request::parse(hex("00 00")));
}

TEST(AtolCommands, AnswerForms) {
    auto ok = Answer::parse(hex("55 00 00 12 34"), cmd::kPayment);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->error, 0);
    EXPECT_EQ(to_hex(ok->data), "12 34");
    auto refused = Answer::parse(hex("55 9B 00"), cmd::kOpenReceipt);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->error, err::kReceiptOpen);
    auto shortform = Answer::parse(hex("55 66"), cmd::kZReport);
    ASSERT_TRUE(shortform);
    EXPECT_EQ(shortform->error, err::kNotInThisMode);
    auto status = Answer::parse(hex("44 01 02"), cmd::kStatus);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->error, 0);
    EXPECT_EQ(to_hex(status->data), "01 02");
    auto status_failed = Answer::parse(hex("55 8C 00"), cmd::kStatus);
    ASSERT_TRUE(status_failed);
    EXPECT_EQ(status_failed->error, err::kWrongPassword);
    auto type = Answer::parse(hex("00 02 01 3D"), cmd::kDeviceType);
    ASSERT_TRUE(type);
    EXPECT_EQ(type->error, 0);
    EXPECT_EQ(to_hex(type->data), "02 01 3D");
    auto garbage = Answer::parse(hex("44 00 00"), cmd::kPayment);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, "bad_answer");
    // encode() is parse()'s inverse, error answers carry no data.
    EXPECT_EQ(to_hex(Answer{0, 0, hex("AA")}.encode(cmd::kStatus)), "44 AA");
    // 4Dh answers with its own code and the drawer sum, BCD7 kopecks.
    auto cash = Answer::parse(hex("4D 00 00 00 01 00 00 50"), cmd::kCashSum);
    ASSERT_TRUE(cash);
    EXPECT_EQ(cash->error, 0);
    EXPECT_EQ(read_bcd(std::span<const std::uint8_t>(cash->data).first(kCashSumSize)).value(), 1000050u);
    EXPECT_EQ(to_hex(Answer{0, 0, hex("00 00 00 01 00 00 50")}.encode(cmd::kCashSum)), "4D 00 00 00 01 00 00 50");
    EXPECT_FALSE(Answer::parse(hex("4D 00 00"), cmd::kPayment));
    EXPECT_EQ(to_hex(Answer{0x67, 0, hex("AA")}.encode(cmd::kPayment)), "55 67 00");
    EXPECT_EQ(to_hex(Answer{0, 0, hex("AA")}.encode(cmd::kDeviceType)), "00 AA");
}

TEST(AtolCommands, TextIsCp866WithTheDollarNumeroSwap) {
    auto text = to_atol_text("Чек №5 $1");
    ASSERT_TRUE(text);
    EXPECT_EQ(to_hex(*text), "97 A5 AA 20 24 35 20 FC 31");
    EXPECT_EQ(from_atol_text(*text), "Чек №5 $1");
    auto bad = to_atol_text("€");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "text_not_cp866");
}

TEST(AtolCommands, StatusAnswerRoundTripsAndReadsFields) {
    StatusAnswer s;
    s.cashier = 30;
    s.date_time = {26, 12, 2, 8, 15, 59};
    s.flags = assume::kStatusFlagShiftOpen | assume::kStatusFlagPaperPresent | 0x01;
    s.serial = 12345678;
    s.model = 61;
    s.mode = 0x01;
    s.receipt_number = 17;
    s.shift_number = 4;
    s.receipt_state = 1;
    s.receipt_sum = 1234567;
    s.port = 4;
    const auto bytes = s.encode();
    ASSERT_EQ(bytes.size(), StatusAnswer::kSize);
    EXPECT_EQ(to_hex(Bytes(bytes.begin(), bytes.begin() + 8)), "30 01 26 12 02 08 15 59");
    auto d = StatusAnswer::decode(bytes);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->cashier, 30);
    EXPECT_EQ(d->date_time, s.date_time);
    EXPECT_EQ(d->flags, s.flags);
    EXPECT_EQ(d->serial, 12345678u);
    EXPECT_EQ(d->mode, 1);
    EXPECT_EQ(d->receipt_number, 17);
    EXPECT_EQ(d->shift_number, 4);
    EXPECT_EQ(d->receipt_state, 1);
    EXPECT_EQ(d->receipt_sum, 1234567u);
    EXPECT_EQ(d->port, 4);
    EXPECT_FALSE(StatusAnswer::decode(Bytes(bytes.begin(), bytes.end() - 1)));
}

TEST(AtolCommands, ReceiptTypesForCalculationSigns) {
    EXPECT_EQ(receipt_type_for(1, false), receipt_type::kIncome);
    EXPECT_EQ(receipt_type_for(2, false), receipt_type::kIncomeReturn);
    EXPECT_EQ(receipt_type_for(3, false), receipt_type::kExpense);
    EXPECT_EQ(receipt_type_for(4, false), receipt_type::kExpenseReturn);
    EXPECT_EQ(receipt_type_for(1, true), 7);
    EXPECT_EQ(receipt_type_for(3, true), 9);
    EXPECT_FALSE(receipt_type_for(0, false));
    for (std::uint8_t sign = 1; sign <= 4; ++sign) {
        for (const bool corr : {false, true}) {
            auto back = calc_sign_for(*receipt_type_for(sign, corr));
            ASSERT_TRUE(back);
            EXPECT_EQ(back->first, sign);
            EXPECT_EQ(back->second, corr);
        }
    }
    EXPECT_EQ(to_hex(open_receipt_request(receipt_type::kIncome).encode()), "00 00 92 00 01");
    EXPECT_EQ(to_hex(open_shift_request().encode()), "00 00 9A 00");
    EXPECT_EQ(to_hex(report_request(1).encode()), "00 00 67 01");
}

TEST(AtolCommands, EndItemLayout) {
    EndItemRequest e;
    e.price = 10000;          // 100.00
    e.quantity_milli = 1500;  // 1.5
    e.amount = 15000;         // 150.00
    e.tax = 11;               // 1199 = 11 (22 %)
    e.tax_sum = 2705;         // 27.05
    e.subject = 1;
    e.method = 4;
    e.name = "Молоко";
    auto req = e.request();
    ASSERT_TRUE(req);
    EXPECT_EQ(to_hex(req->encode()),
              "00 00 EB 00 "
              "00 00 00 00 01 00 00 "  // price BCD7
              "00 00 00 15 00 "        // quantity BCD5, thousandths
              "00 00 00 00 01 50 00 "  // value BCD7
              "0B "                    // tax
              "00 00 00 00 00 27 05 "  // tax sum BCD7
              "01 01 04 00 "           // section, 1212, 1214, discount sign
              "00 00 00 00 00 00 00 "  // discount BCD7
              "00 00 "                 // reserved
              "8C AE AB AE AA AE");    // name CP866
    auto back = EndItemRequest::decode(req->params);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->price, e.price);
    EXPECT_EQ(back->quantity_milli, e.quantity_milli);
    EXPECT_EQ(back->amount, e.amount);
    EXPECT_EQ(back->tax, e.tax);
    EXPECT_EQ(back->tax_sum, e.tax_sum);
    EXPECT_EQ(back->name, e.name);
    e.price = 100'000'000'000'000ull;  // 15 digits do not fit BCD7
    EXPECT_EQ(e.request().error().code, "value_too_large");
    EXPECT_FALSE(EndItemRequest::decode(hex("00 00 00")));
}

TEST(AtolCommands, MoneyCommands) {
    auto pay = MoneyRequest{cmd::kPayment, 0, assume::kPayElectronic, 300000}.request();
    ASSERT_TRUE(pay);
    EXPECT_EQ(to_hex(pay->encode()), "00 00 99 00 02 00 00 30 00 00");
    auto cash_in = MoneyRequest{cmd::kCashIn, 0, std::nullopt, 12345}.request();
    ASSERT_TRUE(cash_in);
    EXPECT_EQ(to_hex(cash_in->encode()), "00 00 49 00 00 00 01 23 45");
    auto back = MoneyRequest::decode(cmd::kCashIn, cash_in->params);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->sum, 12345u);
    EXPECT_FALSE(back->type);
    auto close = MoneyRequest::decode(cmd::kCloseReceipt, hex("00 01 00 00 00 00 00"));
    ASSERT_TRUE(close);
    EXPECT_EQ(close->type, 1);
    EXPECT_FALSE(MoneyRequest::decode(cmd::kPayment, hex("00 01 00")));
    EXPECT_FALSE((MoneyRequest{cmd::kCashOut, 0, std::nullopt, 10'000'000'000ull}.request()));
    auto answer = PaymentAnswer::decode(PaymentAnswer{0, 5000}.encode());
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->change, 5000u);
}

TEST(AtolCommands, WriteTagCarriesOneWholeTlv) {
    WriteTagRequest w{assume::kWriteTagItem, hex("3C 08 01 00 00")};  // 2108 = 0 (pieces)
    EXPECT_EQ(to_hex(w.request().encode()), "00 00 E8 01 3C 08 01 00 00");
    auto back = WriteTagRequest::decode(w.request().params);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->tlv, w.tlv);
    EXPECT_FALSE(WriteTagRequest::decode(hex("00 3C 08 02 00 00")));  // length says 2, carries 1
}

TEST(AtolCommands, PrintingCommands) {
    auto line = print_string_request("Итого");
    ASSERT_TRUE(line);
    EXPECT_EQ(to_hex(line->encode()), "00 00 4C 88 E2 AE A3 AE");
    EXPECT_EQ(to_hex(cut_request(1).encode()), "00 00 75 01");
    BarcodeRequest qr;
    qr.data = {'t', '=', '1'};
    const auto req = qr.request();
    EXPECT_EQ(req.params.size(), BarcodeRequest::kHeader + 3);
    auto back = BarcodeRequest::decode(req.params);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->data, qr.data);
    EXPECT_EQ(back->type, assume::kBarcodeQr);
}

TEST(AtolCommands, FnAnswersRoundTrip) {
    FnStatusAnswer st;
    st.shift_open = true;
    st.date_time = {2026, 12, 2, 8, 15};
    st.fn_number = "9999078900012345";
    st.last_fd_number = 0x01020304;
    const auto st_bytes = st.encode();
    EXPECT_EQ(st_bytes.size(), 30u);
    EXPECT_EQ(to_hex(Bytes(st_bytes.end() - 4, st_bytes.end())), "04 03 02 01");  // little-endian
    auto st2 = FnStatusAnswer::decode(st_bytes);
    ASSERT_TRUE(st2);
    EXPECT_TRUE(st2->shift_open);
    EXPECT_EQ(st2->fn_number, st.fn_number);
    EXPECT_EQ(st2->last_fd_number, st.last_fd_number);
    EXPECT_EQ(st2->date_time.to_time_point(), st.date_time.to_time_point());

    auto sh = FnShiftAnswer::decode(FnShiftAnswer{true, 7, 3}.encode());
    ASSERT_TRUE(sh);
    EXPECT_EQ(sh->shift_number, 7);
    EXPECT_EQ(sh->receipt_number, 3);

    auto ofd = FnOfdAnswer::decode(FnOfdAnswer{0x02, 0, 5, 40, {2026, 12, 1, 23, 59}}.encode());
    ASSERT_TRUE(ofd);
    EXPECT_EQ(ofd->queued, 5);
    EXPECT_EQ(ofd->first_number, 40u);

    auto exp = FnExpiryAnswer::decode(hex("1C 03 1F"));
    ASSERT_TRUE(exp);
    EXPECT_EQ(exp->year, 2028);
    EXPECT_FALSE(FnExpiryAnswer::decode(hex("1C 0D 01")));

    EXPECT_EQ(to_hex(find_document_request(0x123).encode()), "00 00 A4 40 23 01 00 00");
    EXPECT_EQ(decode_find_document(hex("23 01 00 00")).value(), 0x123u);
    FnDocumentAnswer doc{doc_type::kReceipt, true, {2026, 12, 2, 8, 16}, 42, 3'000'000'000u, 1, 150000};
    auto doc2 = FnDocumentAnswer::decode(doc.encode());
    ASSERT_TRUE(doc2);
    EXPECT_EQ(doc2->number, 42u);
    EXPECT_EQ(doc2->fiscal_sign, 3'000'000'000u);
    EXPECT_EQ(doc2->operation, 1);
    EXPECT_EQ(doc2->amount, 150000u);
    FnDocumentAnswer shift{doc_type::kShiftOpen, false, {2026, 12, 2, 8, 0}, 41, 7, std::nullopt, std::nullopt};
    auto shift2 = FnDocumentAnswer::decode(shift.encode());
    ASSERT_TRUE(shift2);
    EXPECT_FALSE(shift2->amount);
    EXPECT_FALSE(FnDocumentAnswer::decode(hex("03 00 1A 0C")));
}

TEST(AtolErrors, OutcomesFollowTheTable) {
    EXPECT_EQ(outcome_for_error(err::kOk), Outcome::Done);
    EXPECT_EQ(outcome_for_error(err::kNoPaper), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kShiftOver24h), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kFnShiftOver24h), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kFnExpired), Outcome::DeviceStopped);
    EXPECT_EQ(outcome_for_error(err::kFnArchiveFull), Outcome::DeviceStopped);
    EXPECT_EQ(outcome_for_error(err::kFnNoTransport), Outcome::RetryLater);
    EXPECT_EQ(outcome_for_error(err::kReceiptOpen), Outcome::Rejected);
    EXPECT_EQ(outcome_for_error(err::kWrongPrice), Outcome::Rejected);
    EXPECT_EQ(outcome_for_error(0xFE), Outcome::Rejected);
    EXPECT_EQ(error_text(err::kNoPaper), "no paper");
    EXPECT_EQ(error_text(err::kShiftOpen), "shift open, operation impossible");
    EXPECT_EQ(error_text(0xFE), "");
}

}  // namespace
}  // namespace kassa::drivers::atol
