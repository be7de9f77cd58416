// The simulator's device rules (SimDevice) and its link side with faults (SimLink), without I/O.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "common/clock.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/errors.hpp"
#include "fiscal/tlv.hpp"
#include "simulators/shtrih/device.hpp"
#include "simulators/shtrih/link.hpp"
#include "simulators/shtrih/server.hpp"
#include "test_hex.hpp"

namespace kassa::sim {
namespace {

namespace sh = drivers::shtrih;
using test::hex;
using test::to_hex;
using namespace std::chrono_literals;

struct Rig {
    ManualClock clock;
    SimDevice device;
    explicit Rig(Faults f = {}) : device(FnState::fresh(1'790'000'000), "", clock, std::move(f)) {}

    sh::Answer call(const sh::Request& r) {
        bool cut = false;
        const Bytes body = device.handle(r.body(), cut);
        return *sh::Answer::parse(body, r.code);
    }
    std::uint8_t error(const sh::Request& r) { return call(r).error; }
    // A receipt line as the driver sends it: FF46h, then FF4Dh 2108 (measure), and with the first
    // line FF0Ch 1009/1187, which the FN's format-logical control requires (simulators/fn).
    std::uint8_t add(const sh::OperationV2& op) {
        const bool first = !open_;
        if (const auto e = error(op.request()); e != 0) return e;
        open_ = true;
        fiscal::TlvWriter unit;
        unit.put_byte(2108, 0);
        if (const auto e = error(sh::TlvRequest{sh::cmd::kSendLineTlv, 30, unit.take()}.request()); e != 0) return e;
        if (first) {
            fiscal::TlvWriter doc;
            (void)doc.put_string(1009, "г. Москва, ул. Примерная, д. 1");
            (void)doc.put_string(1187, "Офис");
            return error(sh::TlvRequest{sh::cmd::kSendTlv, 30, doc.take()}.request());
        }
        return 0;
    }
    std::uint8_t close(const sh::CloseReceiptV2& c) {
        const auto e = error(c.request());
        if (e == 0) open_ = false;
        return e;
    }
    bool open_ = false;
    std::uint8_t mode() {
        return sh::ShortStatus::decode(call(sh::password_request(sh::cmd::kShortStatus, 30)).data)->mode;
    }
};

sh::OperationV2 line(std::uint64_t price, std::uint64_t amount = sh::kMoneyAuto) {
    sh::OperationV2 op;
    op.quantity_micro = 1'000'000;
    op.price = price;
    op.amount = amount;
    op.name = "Товар";
    return op;
}

sh::CloseReceiptV2 pay_cash(std::uint64_t cash) {
    sh::CloseReceiptV2 c;
    c.payments[0] = cash;
    return c;
}

TEST(ShtrihSimDevice, ModesFollowShiftAndReceipt) {
    Rig rig;
    EXPECT_EQ(rig.mode(), 4);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 1)), 0);
    EXPECT_EQ(rig.mode(), 2);
    EXPECT_EQ(rig.error(sh::OpenReceiptRequest{1, 2}.request()), 0);
    EXPECT_EQ(rig.mode(), 0x28);  // mode 8, status 2 (sale return)
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kCancelReceipt, 1)), 0);
    EXPECT_EQ(rig.mode(), 2);
}

TEST(ShtrihSimDevice, PasswordsByRole) {
    Rig rig;
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kShortStatus, 31)), sh::err::kWrongPassword);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kFnStatus, 1)), sh::err::kWrongPassword);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 5)), 0);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kZReport, 5)), sh::err::kWrongPassword);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kZReport, 29)), 0);
}

TEST(ShtrihSimDevice, SumsAreCheckedAsAnFnWould) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    EXPECT_EQ(rig.add(line(10000, 10002)), sh::err::kBadParameters);  // > ±1 kopeck
    EXPECT_EQ(rig.add(line(10000, 10001)), 0);                        // within ±1
    EXPECT_EQ(rig.close(pay_cash(10000)), sh::err::kPaymentsBelowTotal);
    sh::CloseReceiptV2 card = pay_cash(0);
    card.payments[1] = 20000;
    EXPECT_EQ(rig.error(card.request()), sh::err::kNonCashAboveTotal);
    sh::CloseReceiptV2 two_systems = pay_cash(10001);
    two_systems.tax_system = 0x03;
    EXPECT_EQ(rig.error(two_systems.request()), sh::err::kBadParameters);
    auto closed = rig.call(pay_cash(20000).request());
    ASSERT_EQ(closed.error, 0);
    auto a = sh::CloseReceiptV2Answer::decode(closed.data);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->change, 9999u);
    EXPECT_EQ(a->fd_number, 2u);
    ASSERT_TRUE(a->date_time);
    EXPECT_EQ(rig.close(pay_cash(1)), sh::err::kReceiptClosed);
}

TEST(ShtrihSimDevice, FiscalSignIsHmacOfTheDocument) {
    Rig a, b;
    for (Rig* r : {&a, &b}) {
        ASSERT_EQ(r->error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
        ASSERT_EQ(r->add(line(5000)), 0);
        ASSERT_EQ(r->close(pay_cash(5000)), 0);
    }
    const auto* da = a.device.fn().find(2);
    const auto* db = b.device.fn().find(2);
    ASSERT_NE(da, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(da->tlv_hex, db->tlv_hex);
    EXPECT_NE(da->fiscal_sign, db->fiscal_sign) << "per-FN secrets differ";
    // The line carries 1199 = 11 (22 %) after 2026 for tax row 1; the KKT named the operator (1021).
    auto receipt = fiscal::decode_receipt(hex(da->tlv_hex));
    ASSERT_TRUE(receipt) << receipt.error().message;
    ASSERT_EQ(receipt->lines.size(), 1u);
    EXPECT_EQ(receipt->lines[0].vat_code, 11);
    EXPECT_EQ(receipt->lines[0].amount.value(), 5000);
    EXPECT_EQ(receipt->cashier, "СИСТЕМНЫЙ АДМИНИСТРАТОР");
}

TEST(ShtrihSimDevice, CorrectionV2Ffd105Flow) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kBeginCorrection, 30)), 0);
    sh::TlvRequest basis;
    fiscal::TlvWriter date;
    date.put_unixtime(1178, 1'789'948'800);
    basis.tlv = date.take();
    ASSERT_EQ(rig.error(basis.request()), 0);
    sh::CorrectionV2 c;
    c.calc_sign = 1;
    c.total = 15000;
    c.payments[0] = 10000;
    EXPECT_EQ(rig.error(c.request()), sh::err::kPaymentsBelowTotal);
    c.payments[1] = 5000;
    auto a = rig.call(c.request());
    ASSERT_EQ(a.error, 0);
    auto ans = sh::CorrectionV2Answer::decode(a.data);
    ASSERT_TRUE(ans);
    EXPECT_EQ(ans->fd_number, 2u);
    EXPECT_EQ(ans->receipt_number, 1);
    ASSERT_TRUE(ans->date_time);
    const auto* doc = rig.device.fn().find(2);
    ASSERT_NE(doc, nullptr);
    EXPECT_EQ(doc->type, sh::doc_type::kCorrectionReceipt);
    auto tlvs = fiscal::decode_tlvs(hex(doc->tlv_hex));
    ASSERT_TRUE(tlvs);
    auto date_tag = std::find_if(tlvs->begin(), tlvs->end(), [](const fiscal::Tlv& t) { return t.tag == 1178; });
    ASSERT_NE(date_tag, tlvs->end()) << "1178 from FF0C";
    EXPECT_EQ(fiscal::decode_vln(date_tag->value).value_or(0), 1'789'948'800);
}

TEST(ShtrihSimDevice, ShiftExpiryAllowsOnlyTheZReport) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    rig.clock.advance(24h + 1s);
    EXPECT_EQ(rig.mode(), 3);
    EXPECT_EQ(rig.error(sh::OpenReceiptRequest{30, 0}.request()), sh::err::kShiftOver24h);
    EXPECT_EQ(rig.add(line(100)), sh::err::kShiftOver24h);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kZReport, 30)), 0);
    EXPECT_EQ(rig.mode(), 4);
}

TEST(ShtrihSimDevice, ArchiveAndUnknownCommands) {
    Rig rig;
    EXPECT_EQ(rig.error(sh::FindDocumentRequest{30, 1}.request()), sh::err::kFnNoData);
    EXPECT_EQ(to_hex(rig.call(sh::Request{0xFF7E, hex("1E 00 00 00")}).body()), "FF 7E 37");
    EXPECT_EQ(to_hex(rig.call(sh::Request{0x9A, hex("1E 00 00 00")}).body()), "9A 37");
}

std::uint8_t submode(Rig& rig) {
    return sh::ShortStatus::decode(rig.call(sh::password_request(sh::cmd::kShortStatus, 30)).data)->submode;
}

TEST(ShtrihSimDevice, PaperRunsOutWhileTheNthReceiptPrints) {
    Faults f;
    f.paper_out_after = 1;
    Rig rig(f);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.add(line(100)), 0);
    ASSERT_EQ(rig.close(pay_cash(100)), 0) << "the FN has the receipt";
    auto st = sh::ShortStatus::decode(rig.call(sh::password_request(sh::cmd::kShortStatus, 30)).data);
    EXPECT_EQ(st->submode, 2);  // §1.7 active paper-out
    EXPECT_EQ(st->flags & sh::flags::kReceiptOptical, 0);
    EXPECT_EQ(rig.error(sh::OpenReceiptRequest{30, 0}.request()), sh::err::kNoPaper);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kContinuePrint, 30)), sh::err::kNoPaper);
    EXPECT_EQ(rig.device.tape().back(),
              "receipt FD 2 FP " + std::to_string(rig.device.fn().find(2)->fiscal_sign) + " [paper out]");

    rig.device.load_paper();
    EXPECT_EQ(submode(rig), 3);  // paper back, waiting for B0h
    EXPECT_EQ(rig.error(sh::OpenReceiptRequest{30, 0}.request()), sh::err::kWaitContinuePrint);
    EXPECT_EQ(rig.error(sh::PrintStringRequest{30, 0x02, "x"}.request()), sh::err::kWaitContinuePrint);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kContinuePrint, 30)), 0);
    EXPECT_EQ(submode(rig), 0);
    EXPECT_EQ(rig.device.tape().back().rfind("continued: receipt FD 2", 0), 0u);
    // Only the Nth receipt runs the tape out.
    ASSERT_EQ(rig.add(line(100)), 0);
    ASSERT_EQ(rig.close(pay_cash(100)), 0);
    EXPECT_EQ(submode(rig), 0);
}

TEST(ShtrihSimDevice, PaperStateIsThePrintersNotTheFns) {
    Faults f;
    f.paper_out_after = 1;
    Rig rig(f);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.add(line(100)), 0);
    ASSERT_EQ(rig.close(pay_cash(100)), 0);
    ASSERT_EQ(submode(rig), 2);
    ManualClock clock;
    // A restart with the same fault script: the tape is still empty (passive, sub-mode 1); loading
    // paper ends it without B0h.
    SimDevice again(rig.device.fn(), "", clock, f);
    bool cut = false;
    auto status = [&](SimDevice& d) {
        return sh::ShortStatus::decode(
                   sh::Answer::parse(d.handle(sh::password_request(sh::cmd::kShortStatus, 30).body(), cut),
                                     sh::cmd::kShortStatus)
                       ->data)
            ->submode;
    };
    EXPECT_EQ(status(again), 1);
    again.load_paper();
    EXPECT_EQ(status(again), 0);
    // Without the fault, a restart finds paper.
    SimDevice clean(rig.device.fn(), "", clock, {});
    EXPECT_EQ(status(clean), 0);
}

TEST(ShtrihSimDevice, CashInOutMovesTheDrawer) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    auto in = rig.call(sh::CashRequest{sh::cmd::kCashIn, 1, 50000}.request());
    ASSERT_EQ(in.error, 0);
    auto a = sh::CashAnswer::decode(in.data);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->operator_number, 1);
    EXPECT_EQ(a->document_number, 2);  // shift-open report, then this
    EXPECT_EQ(rig.device.fn().cash_in_drawer, 50000);
    ASSERT_EQ(rig.add(line(10000)), 0);
    ASSERT_EQ(rig.close(pay_cash(20000)), 0);  // 10 000 kept, 10 000 change
    EXPECT_EQ(rig.device.fn().cash_in_drawer, 60000);
    EXPECT_EQ(rig.error(sh::CashRequest{sh::cmd::kCashOut, 1, 60001}.request()), sh::err::kNotEnoughCash);
    EXPECT_EQ(rig.error(sh::CashRequest{sh::cmd::kCashOut, 1, 0}.request()), sh::err::kBadParameters);
    EXPECT_EQ(rig.error(sh::CashRequest{sh::cmd::kCashOut, 1, 60000}.request()), 0);
    EXPECT_EQ(rig.device.fn().cash_in_drawer, 0);
    EXPECT_EQ(rig.device.tape().back(), "cash out 60000");
}

TEST(ShtrihSimDevice, RepeatDocumentPrintsTheLastOneAgain) {
    Rig rig;
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kRepeatDocument, 30)), sh::err::kNoDocumentToRepeat);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.add(line(100)), 0);
    ASSERT_EQ(rig.close(pay_cash(100)), 0);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kRepeatDocument, 30)), 0);
    EXPECT_EQ(rig.device.tape().back().rfind("copy: receipt FD 2 FP ", 0), 0u);
}

TEST(ShtrihSimDevice, TheFnRefusesAReceiptWithoutMandatoryTags) {
    Rig rig;
    // 2108 missing: refused even though the KKT adds 1021, 1009 and 1187 from its registration.
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(line(100).request()), 0);  // no FF4Dh 2108
    EXPECT_EQ(rig.error(pay_cash(100).request()), 0x01) << "FN format-logical control (§1.10 01h)";
    EXPECT_EQ(rig.device.fn().last_fd, 1u) << "nothing numbered or signed";
    EXPECT_EQ(rig.mode() & 0x0F, 8) << "the receipt stays open for the host to cancel";
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kCancelReceipt, 30)), 0);
}

TEST(ShtrihSimDevice, RegisteredPlaceFillsInAndNoneRegisteredIsRefused) {
    FnState state = FnState::fresh(1'790'000'000);
    state.settlement_address.clear();
    state.settlement_place.clear();
    ManualClock clock;
    SimDevice device(state, "", clock, {});
    bool cut = false;
    auto call = [&](const sh::Request& r) { return sh::Answer::parse(device.handle(r.body(), cut), r.code)->error; };
    ASSERT_EQ(call(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(call(line(100).request()), 0);
    fiscal::TlvWriter unit;
    unit.put_byte(2108, 0);
    ASSERT_EQ(call(sh::TlvRequest{sh::cmd::kSendLineTlv, 30, unit.take()}.request()), 0);
    EXPECT_EQ(call(pay_cash(100).request()), 0x01) << "no 1009/1187 sent, none registered";

    Rig rig;  // registered with an address and a place: the KKT puts them in
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(line(100).request()), 0);
    fiscal::TlvWriter unit2;
    unit2.put_byte(2108, 0);
    ASSERT_EQ(rig.error(sh::TlvRequest{sh::cmd::kSendLineTlv, 30, unit2.take()}.request()), 0);
    ASSERT_EQ(rig.error(pay_cash(100).request()), 0);
    auto receipt = fiscal::decode_receipt(hex(rig.device.fn().find(2)->tlv_hex));
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->settlement_address, rig.device.fn().settlement_address);
    EXPECT_EQ(receipt->settlement_place, "Офис");
}

TEST(ShtrihSimDevice, SettlementReportCountsWhatWaitsForTheOfd) {
    Rig rig;
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kSettlementReport, 30)), sh::err::kFnWrongState);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kBeginSettlementReport, 30)), 0);
    auto a = rig.call(sh::password_request(sh::cmd::kSettlementReport, 30));
    ASSERT_EQ(a.error, 0);
    auto report = sh::SettlementReportAnswer::decode(a.data);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->fd_number, 2u);
    EXPECT_EQ(report->unconfirmed, 1u);  // the shift-open report waits for its ticket
    const auto* doc = rig.device.fn().find(2);
    ASSERT_NE(doc, nullptr);
    EXPECT_EQ(doc->type, 21);
    auto tlvs = fiscal::decode_tlvs(hex(doc->tlv_hex));
    ASSERT_TRUE(tlvs);
    EXPECT_NE(std::find_if(tlvs->begin(), tlvs->end(), [](const fiscal::Tlv& t) { return t.tag == 1097; }),
              tlvs->end());
}

TEST(ShtrihSimDevice, DeviceTypeNeedsNoPassword) {
    Rig rig;
    auto a = rig.call(sh::Request{sh::cmd::kDeviceType, {}});
    ASSERT_EQ(a.error, 0);
    auto t = sh::DeviceType::decode(a.data);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "ШТРИХ-М-01Ф");
    EXPECT_EQ(t->language, 0);
    auto full = sh::FullStatus::decode(rig.call(sh::password_request(sh::cmd::kFullStatus, 30)).data);
    ASSERT_TRUE(full);
    EXPECT_EQ(full->firmware_version[0], 'C');
    EXPECT_GT(full->firmware_build, 0);
    EXPECT_GE(full->firmware_date[0], 1);  // a real date: clients parse it
    EXPECT_GE(full->firmware_date[1], 1);
}

TEST(ShtrihSimDevice, LegacySaleAndCloseAndTables) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 1)), 0);
    sh::LegacyOperation sale;
    sale.password = 1;
    sale.quantity_milli = 2000;
    sale.price = 15050;
    sale.taxes[0] = 2;  // row 2: 10 %
    sale.text = "Хлеб";
    ASSERT_EQ(rig.error(sale.request()), 0);
    fiscal::TlvWriter doc;
    (void)doc.put_string(1009, "Адрес");
    (void)doc.put_string(1187, "Место");
    ASSERT_EQ(rig.error(sh::TlvRequest{sh::cmd::kSendTlv, 30, doc.take()}.request()), 0);
    sh::LegacyClose close;
    close.password = 1;
    close.payments[0] = 40000;
    auto a = rig.call(close.request());
    ASSERT_EQ(a.error, 0);
    auto ans = sh::LegacyCloseAnswer::decode(a.data);
    ASSERT_TRUE(ans);
    EXPECT_EQ(ans->change, 40000u - 30100u);
    auto receipt = fiscal::decode_receipt(hex(rig.device.fn().find(2)->tlv_hex));
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->total.value(), 30100);
    EXPECT_EQ(receipt->cashier, "КАССИР 1");
    ASSERT_EQ(receipt->lines.size(), 1u);
    EXPECT_EQ(receipt->lines[0].name, "Хлеб");
    EXPECT_EQ(receipt->lines[0].vat_code, 2);
    EXPECT_EQ(receipt->lines[0].quantity.micro(), 2'000'000);

    auto name = rig.call(sh::ReadTableRequest{30, 2, 29, 2}.request());
    ASSERT_EQ(name.error, 0);
    EXPECT_EQ(name.data.size(), 21u);
    EXPECT_EQ(rig.error(sh::ReadTableRequest{30, 99, 1, 1}.request()), sh::err::kBadParameters);
    EXPECT_EQ(rig.error(sh::ReadTableRequest{1, 2, 1, 1}.request()), sh::err::kWrongPassword);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kBeep, 1)), 0);
    auto exchange = rig.call(sh::Request{sh::cmd::kReadExchangeParams, hex("1E 00 00 00 00")});
    ASSERT_EQ(exchange.error, 0);
    EXPECT_EQ(exchange.data, hex("06 64"));
    auto unconfirmed = rig.call(sh::password_request(sh::cmd::kUnconfirmedCount, 30));
    ASSERT_EQ(unconfirmed.error, 0);
    EXPECT_EQ(unconfirmed.data, hex("02 00"));  // the shift-open report and the sale: no tickets
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kCancelFnDocument, 30)), sh::err::kFnWrongState);
    ASSERT_EQ(rig.error(sh::OpenReceiptRequest{30, 0}.request()), 0);
    EXPECT_EQ(rig.error(sh::password_request(sh::cmd::kCancelFnDocument, 30)), 0);
    EXPECT_EQ(rig.mode(), 2);
}

TEST(ShtrihSimDevice, ShiftCloseReportCarriesTheCounters) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(rig.add(line(100)), 0);
        ASSERT_EQ(rig.close(pay_cash(100)), 0);
    }
    rig.device.emulated_fn().ofd_deliver(2);  // the OFD confirmed the shift-open report and one receipt
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kZReport, 30)), 0);
    const auto* z = rig.device.fn().find(4);
    ASSERT_NE(z, nullptr);
    EXPECT_EQ(z->type, sh::doc_type::kShiftClose);
    auto tlvs = fiscal::decode_tlvs(hex(z->tlv_hex));
    ASSERT_TRUE(tlvs);
    auto value = [&](std::uint16_t tag) -> std::optional<std::vector<std::uint8_t>> {
        for (const auto& t : *tlvs)
            if (t.tag == tag) return t.value;
        return std::nullopt;
    };
    auto u32 = [&](std::uint16_t tag) {
        return static_cast<std::int64_t>(fiscal::decode_vln(*value(tag)).value_or(-1));
    };
    for (const std::uint16_t tag : {1118, 1111, 1097, 1098, 1050, 1051, 1052, 1053, 1021})
        EXPECT_TRUE(value(tag)) << "tag " << tag;
    EXPECT_EQ(u32(1118), 2);  // receipts in the shift
    EXPECT_EQ(u32(1111), 4);  // open report, two receipts, this report
    EXPECT_EQ(u32(1097), 1);  // the second receipt still waits for its ticket
    EXPECT_EQ(u32(1098), rig.device.fn().find(3)->unix_time);
    EXPECT_EQ(u32(1050), 0);
}

// ---- link side ----

struct LinkRig {
    ManualClock clock;
    SimDevice device;
    SimLink link;
    SimLink::TimePoint now{};
    explicit LinkRig(Faults f = {}, bool tcp = false)
        : device(FnState::fresh(1'790'000'000), "", clock, f), link(device, f, tcp) {}
    std::string in(std::string_view h) { return to_hex(link.on_bytes(hex(h), now)); }
    std::string tick(std::chrono::milliseconds d) {
        now += d;
        return to_hex(link.on_tick(now));
    }
};

constexpr std::string_view kStatus = "02 05 10 1E 00 00 00 0B";

TEST(ShtrihSimLink, IdleEnqIsNakAndFrameIsAckPlusAnswer) {
    LinkRig r;
    EXPECT_EQ(r.in("05"), "15");
    const std::string out = r.in(kStatus);
    EXPECT_EQ(out.substr(0, 8), "06 02 10");
    EXPECT_EQ(r.in("06"), "");
    EXPECT_EQ(r.in("05"), "15");
}

TEST(ShtrihSimLink, HostNakThenEnqRepeatsTheAnswer) {
    LinkRig r;
    const std::string first = r.in(kStatus).substr(3);  // without the ACK
    EXPECT_EQ(r.in("15"), "");                          // no resend on its own (§1.3)
    EXPECT_EQ(r.in("05"), "06 " + first);
    EXPECT_EQ(r.in("06"), "");
}

TEST(ShtrihSimLink, BadFrameIsNaked) { EXPECT_EQ(LinkRig{}.in("02 05 10 1E 00 00 00 0C"), "15"); }

TEST(ShtrihSimLink, HalfAFrameTimesOut) {
    LinkRig r;
    EXPECT_EQ(r.in("02 05 10"), "");
    EXPECT_EQ(r.tick(100ms), "");
    EXPECT_EQ(r.tick(SimLink::kByteTimeout), "15");
}

TEST(ShtrihSimLink, StallAnswersEnqWithAckUntilReady) {
    Faults f;
    f.stalls[1] = 1000ms;
    LinkRig r(f);
    EXPECT_EQ(r.in(kStatus), "06");
    EXPECT_EQ(r.in("05"), "06");  // preparing
    EXPECT_EQ(r.tick(500ms), "");
    EXPECT_EQ(r.tick(600ms).substr(0, 5), "02 10");
}

TEST(ShtrihSimLink, ByteFaultsAndNakFault) {
    Faults f;
    f.drop_bytes.insert(1);     // the NAK to the first ENQ
    f.corrupt_bytes.insert(2);  // the NAK to the second ENQ
    f.nak_frames.insert(1);
    LinkRig r(f);
    EXPECT_EQ(r.in("05"), "");
    EXPECT_EQ(r.in("05"), "EA");
    EXPECT_EQ(r.in(kStatus), "15");  // NAKed, not executed
    EXPECT_EQ(r.in(kStatus).substr(0, 2), "06");
}

TEST(ShtrihSimLink, TcpSendsFfAfterTheFinalAck) {
    LinkRig r({}, true);
    (void)r.in(kStatus);
    EXPECT_EQ(r.in("06"), "FF");
}

TEST(ShtrihSimLink, PowerCutAfterTheFiscalWrite) {
    Faults f;
    f.power_cut_after_receipt = 1;
    LinkRig r(f);
    auto frame = [](const sh::Request& q) { return to_hex(sh::encode_frame(q.body())); };
    (void)r.in(frame(sh::password_request(sh::cmd::kOpenShift, 30)));
    (void)r.in("06");
    (void)r.in(frame(line(100).request()));
    (void)r.in("06");
    fiscal::TlvWriter unit, doc;
    unit.put_byte(2108, 0);
    (void)doc.put_string(1009, "Адрес");
    (void)doc.put_string(1187, "Место");
    (void)r.in(frame(sh::TlvRequest{sh::cmd::kSendLineTlv, 30, unit.take()}.request()));
    (void)r.in("06");
    (void)r.in(frame(sh::TlvRequest{sh::cmd::kSendTlv, 30, doc.take()}.request()));
    (void)r.in("06");
    EXPECT_EQ(r.in(frame(pay_cash(100).request())), "06");  // took the frame, then the power went
    EXPECT_TRUE(r.link.powered_off());
    EXPECT_EQ(r.in("05"), "");
    EXPECT_EQ(r.device.fn().last_fd, 2u);
}

TEST(ShtrihSimFaults, ParsesScripts) {
    auto f = Faults::parse(
        "# comment\ncorrupt_byte 3\ndrop_byte 4\nnak_frame 2\nstall 5 1500\n"
        "power_cut_after_receipt 1\npaper_out_after 7\n\n");
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_TRUE(f->corrupt_bytes.contains(3));
    EXPECT_TRUE(f->drop_bytes.contains(4));
    EXPECT_TRUE(f->nak_frames.contains(2));
    EXPECT_EQ(f->stalls.at(5), 1500ms);
    EXPECT_EQ(f->power_cut_after_receipt, 1u);
    EXPECT_EQ(f->paper_out_after, 7u);
    EXPECT_FALSE(Faults::parse("explode 1\n"));
    EXPECT_FALSE(Faults::parse("stall 1\n"));
    EXPECT_FALSE(Faults::parse("drop_byte 0\n"));
}

TEST(ShtrihSimFaults, CutLinkNeedsPermilleAndSeedForBothFamilies) {
    auto f = Faults::parse("cut_link 25 42\n", kShtrihFaults);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->link_cut, (LinkCut{25, 42}));
    EXPECT_TRUE(Faults::parse("cut_link 1000 7\n", kAtolFaults));
    EXPECT_FALSE(Faults::parse("cut_link 25\n"));      // no seed
    EXPECT_FALSE(Faults::parse("cut_link 1001 1\n"));  // more than certain
    EXPECT_FALSE(Faults::parse("cut_link 0 1\n"));     // never: not a fault
}

// A TCP client of the simulator: connect, write, read until the peer closes or nothing comes.
struct TcpClient {
    int fd = -1;
    explicit TcpClient(const std::string& uri) {
        const auto colon = uri.rfind(':');
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(uri.substr(colon + 1))));
        ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    }
    ~TcpClient() { ::close(fd); }
    void write(const Bytes& b) {
        ASSERT_EQ(::send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
    }
    // Everything until the simulator closes the connection; `closed` says whether it did.
    Bytes read_until_closed(bool& closed) {
        Bytes got;
        closed = false;
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) return got;  // bounded: a connection left open is a failure
            std::uint8_t buf[512];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                closed = true;
                return got;
            }
            got.insert(got.end(), buf, buf + n);
        }
    }
};

TEST(ShtrihSimFaults, CutLinkDropsTheConnectionMidChunkAndTheNextOneIsServed) {
    SimulatorConfig config;
    config.link_cut = LinkCut{1000, 7};  // every chunk is cut
    ShtrihSimulator sim(config);
    ASSERT_TRUE(sim.start());
    const auto uri = sim.device_uri();
    const Bytes status = sh::encode_frame(sh::Request{sh::cmd::kShortStatus, {0x1E, 0, 0, 0}}.body());
    for (int round = 1; round <= 3; ++round) {
        TcpClient c(uri);
        c.write(status);
        bool closed = false;
        const Bytes got = c.read_until_closed(closed);
        EXPECT_TRUE(closed) << "round " << round;
        // A cut on the way in leaves nothing to answer; on the way out, less than ACK + answer frame.
        EXPECT_LT(got.size(), 1 + sh::encode_frame(Bytes(17, 0)).size()) << "round " << round;
        EXPECT_EQ(sim.line_stats().link_cuts, static_cast<std::uint64_t>(round));
    }
}

TEST(ShtrihSimFaults, CutLinkIsRefusedOnAPty) {
    SimulatorConfig config;
    config.endpoint = SimulatorConfig::Endpoint::Pty;
    config.link_cut = LinkCut{10, 1};
    ShtrihSimulator sim(config);
    EXPECT_FALSE(sim.start());
}

}  // namespace
}  // namespace kassa::sim
