// The simulator's device rules (SimDevice) and its link side with faults (SimLink), without I/O.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/errors.hpp"
#include "simulators/shtrih/device.hpp"
#include "simulators/shtrih/link.hpp"
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
    EXPECT_EQ(rig.error(line(10000, 10002).request()), sh::err::kBadParameters);  // > ±1 kopeck
    EXPECT_EQ(rig.error(line(10000, 10001).request()), 0);                        // within ±1
    EXPECT_EQ(rig.error(pay_cash(10000).request()), sh::err::kPaymentsBelowTotal);
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
    EXPECT_EQ(rig.error(pay_cash(1).request()), sh::err::kReceiptClosed);
}

TEST(ShtrihSimDevice, FiscalSignIsHmacOfTheDocument) {
    Rig a, b;
    for (Rig* r : {&a, &b}) {
        ASSERT_EQ(r->error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
        ASSERT_EQ(r->error(line(5000).request()), 0);
        ASSERT_EQ(r->error(pay_cash(5000).request()), 0);
    }
    const auto* da = a.device.fn().find(2);
    const auto* db = b.device.fn().find(2);
    ASSERT_NE(da, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(da->tlv_hex, db->tlv_hex);
    EXPECT_NE(da->fiscal_sign, db->fiscal_sign) << "per-FN secrets differ";
    // The line carries 1199 = 11 (22 %) after 2026 for tax row 1.
    EXPECT_NE(da->tlv_hex.find("af0401000b"), std::string::npos);
}

TEST(ShtrihSimDevice, CorrectionV2Ffd105Flow) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kBeginCorrection, 30)), 0);
    sh::TlvRequest basis;
    sh::put_tlv_u32(basis.tlv, 1178, 1'789'948'800);
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
    EXPECT_NE(doc->tlv_hex.find("9a04040080"
                                "73b06a"),
              std::string::npos)
        << "1178 from FF0C";
}

TEST(ShtrihSimDevice, ShiftExpiryAllowsOnlyTheZReport) {
    Rig rig;
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    rig.clock.advance(24h + 1s);
    EXPECT_EQ(rig.mode(), 3);
    EXPECT_EQ(rig.error(sh::OpenReceiptRequest{30, 0}.request()), sh::err::kShiftOver24h);
    EXPECT_EQ(rig.error(line(100).request()), sh::err::kShiftOver24h);
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
    ASSERT_EQ(rig.error(line(100).request()), 0);
    ASSERT_EQ(rig.error(pay_cash(100).request()), 0) << "the FN has the receipt";
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
    ASSERT_EQ(rig.error(line(100).request()), 0);
    ASSERT_EQ(rig.error(pay_cash(100).request()), 0);
    EXPECT_EQ(submode(rig), 0);
}

TEST(ShtrihSimDevice, PaperStateIsThePrintersNotTheFns) {
    Faults f;
    f.paper_out_after = 1;
    Rig rig(f);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kOpenShift, 30)), 0);
    ASSERT_EQ(rig.error(line(100).request()), 0);
    ASSERT_EQ(rig.error(pay_cash(100).request()), 0);
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
    ASSERT_EQ(rig.error(line(10000).request()), 0);
    ASSERT_EQ(rig.error(pay_cash(20000).request()), 0);  // 10 000 kept, 10 000 change
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
    ASSERT_EQ(rig.error(line(100).request()), 0);
    ASSERT_EQ(rig.error(pay_cash(100).request()), 0);
    ASSERT_EQ(rig.error(sh::password_request(sh::cmd::kRepeatDocument, 30)), 0);
    EXPECT_EQ(rig.device.tape().back(), "copy: FD 2");
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

}  // namespace
}  // namespace kassa::sim
