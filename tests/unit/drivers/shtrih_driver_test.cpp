// The Shtrih driver over a scripted in-memory device: command sequence of a receipt, outcomes,
// and the "maybe executed" flag when the link dies at the close.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>

#include "drivers/shtrih/driver.hpp"
#include "drivers/shtrih/errors.hpp"
#include "fiscal/tlv.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::shtrih {
namespace {

using test::to_hex;

// A device at the link level: ENQ → NAK, frame → ACK + answer(frame body). `answer` returns
// nullopt to make the device go silent and the link break (a power cut) after it took the frame.
class ScriptedTransport final : public Transport {
  public:
    std::function<std::optional<Bytes>(const Request&)> answer;
    std::vector<Request> requests;
    bool broken = false;

    Status open() override {
        open_ = true;
        return ok();
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    Status write(std::span<const std::uint8_t> bytes) override {
        if (broken) return fail("link_broken", "gone");
        decoder_.feed(bytes);
        while (auto e = decoder_.next()) {
            if (e->kind == LinkEvent::Kind::Control && e->control == kEnq) {
                pending_.push_back(kNak);
            } else if (e->kind == LinkEvent::Kind::Frame) {
                auto req = Request::parse(e->body);
                requests.push_back(*req);
                pending_.push_back(kAck);
                auto a = answer(*req);
                if (!a) {
                    broken = true;
                    continue;
                }
                for (auto b : encode_frame(*a)) pending_.push_back(b);
            }
        }
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds) override {
        if (pending_.empty()) {
            if (broken) return fail("link_broken", "connection reset");
            return std::size_t{0};
        }
        std::size_t n = 0;
        while (n < buffer.size() && !pending_.empty()) {
            buffer[n++] = pending_.front();
            pending_.pop_front();
        }
        return n;
    }
    std::string describe() const override { return "scripted"; }

  private:
    bool open_ = false;
    FrameDecoder decoder_;
    std::deque<std::uint8_t> pending_;
};

fiscal::Receipt sale() {
    fiscal::Receipt r;
    fiscal::ReceiptLine line;
    line.name = "Товар";
    line.quantity = fiscal::Quantity::whole(1);
    line.price = fiscal::Kopecks{10000};
    line.amount = fiscal::Kopecks{10000};
    line.vat_code = 11;
    line.vat = fiscal::Kopecks{1803};
    r.lines.push_back(line);
    r.payments.cash = fiscal::Kopecks{6000};
    r.payments.electronic = fiscal::Kopecks{4000};
    r.total = fiscal::Kopecks{10000};
    r.buyer_contact = "a@b.ru";
    return r;
}

std::optional<Bytes> good_answer(const Request& req) {
    switch (req.code) {
        case cmd::kCloseReceiptV2:
            return Answer{req.code, 0, CloseReceiptV2Answer{0, 7, 0xCAFEBABE, DateTime{2026, 9, 21, 10, 30}}.encode()}
                .body();
        case cmd::kFnNumber:
            return Answer{req.code, 0, FnNumber{"9999078900012345"}.encode()}.body();
        case cmd::kShiftParams:
            return Answer{req.code, 0, ShiftParams{true, 3, 5}.encode()}.body();
        case cmd::kOpenReceipt:
        case cmd::kCancelReceipt:
            return Answer{req.code, 0, Bytes{30}}.body();
        default:
            return Answer{req.code, 0, {}}.body();
    }
}

std::unique_ptr<ShtrihDevice> make(ScriptedTransport*& raw) {
    auto t = std::make_unique<ScriptedTransport>();
    raw = t.get();
    DriverOptions o;
    o.session.control_timeout = std::chrono::milliseconds{20};
    o.session.max_enq = 2;
    return std::make_unique<ShtrihDevice>(std::move(t), o);
}

TEST(ShtrihDriver, ReceiptIsOpenTagsLinesTagsClose) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = good_answer;
    auto r = dev->fiscalise(sale());
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->fd_number, 7u);
    EXPECT_EQ(r->fiscal_sign, 0xCAFEBABEu);
    EXPECT_EQ(r->fn_number, "9999078900012345");
    EXPECT_EQ(r->shift_number, 3);
    EXPECT_EQ(r->receipt_number, 5);
    std::vector<std::uint16_t> codes;
    for (const auto& q : t->requests) codes.push_back(q.code);
    EXPECT_EQ(codes, (std::vector<std::uint16_t>{cmd::kOpenReceipt, cmd::kSendTlv, cmd::kOperationV2, cmd::kSendLineTlv,
                                                 cmd::kCloseReceiptV2, cmd::kFnNumber, cmd::kShiftParams}));
    EXPECT_EQ(to_hex(t->requests[0].data), "1E 00 00 00 00");                             // sale, pwd 30
    EXPECT_EQ(to_hex(t->requests[1].data), "1E 00 00 00 F0 03 06 00 61 40 62 2E 72 75");  // 1008
    EXPECT_EQ(to_hex(t->requests[3].data), "1E 00 00 00 3C 08 01 00 00");                 // 2108 = 0 pieces
    auto op = OperationV2::decode(t->requests[2].data);
    ASSERT_TRUE(op);
    EXPECT_EQ(op->tax, 0x01);  // 1199 = 11 (22 %) goes as row 1
    EXPECT_EQ(op->tax_amount, 1803u);
    auto close = CloseReceiptV2::decode(t->requests[4].data);
    ASSERT_TRUE(close);
    EXPECT_EQ(close->payments[0], 6000u);
    EXPECT_EQ(close->payments[1], 4000u);
    EXPECT_EQ(close->taxes[0], 1803u);
}

TEST(ShtrihDriver, CorrectionOpensWithHighBitAndSendsBasis) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = good_answer;
    auto r = sale();
    r.sign = fiscal::CalcSign::Expense;
    r.correction = fiscal::Correction{0, 1'789'948'800, ""};
    ASSERT_TRUE(dev->fiscalise(r));
    EXPECT_EQ(t->requests[0].data.back(), 0x82);  // 1054 = 3 → type 2 | 0x80
    const std::string tags = to_hex(t->requests[1].data);
    EXPECT_NE(tags.find("95 04 01 00 00"), std::string::npos);                       // 1173 = 0
    EXPECT_NE(tags.find("96 04 08 00 9A 04 04 00 80 73 B0 6A"), std::string::npos);  // 1174 {1178}
}

TEST(ShtrihDriver, RefusedLineCancelsTheReceipt) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = [](const Request& req) -> std::optional<Bytes> {
        if (req.code == cmd::kOperationV2) return Answer{req.code, err::kBadParameters, {}}.body();
        return good_answer(req);
    };
    auto r = dev->fiscalise(sale());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().outcome, Outcome::Rejected);
    EXPECT_EQ(r.error().device_code, 0x33);
    EXPECT_EQ(r.error().device_text, "wrong command parameters");
    EXPECT_FALSE(r.error().maybe_executed);
    EXPECT_EQ(t->requests.back().code, cmd::kCancelReceipt);
}

TEST(ShtrihDriver, StaleOpenReceiptIsCancelledFirst) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    int opens = 0;
    t->answer = [&](const Request& req) -> std::optional<Bytes> {
        if (req.code == cmd::kOpenReceipt && opens++ == 0) return Answer{req.code, err::kReceiptOpen, {}}.body();
        return good_answer(req);
    };
    ASSERT_TRUE(dev->fiscalise(sale()));
    EXPECT_EQ(t->requests[1].code, cmd::kCancelReceipt);
    EXPECT_EQ(t->requests[2].code, cmd::kOpenReceipt);
}

TEST(ShtrihDriver, LinkDeathAtCloseIsMaybeExecuted) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = [](const Request& req) -> std::optional<Bytes> {
        if (req.code == cmd::kCloseReceiptV2) return std::nullopt;
        return good_answer(req);
    };
    auto r = dev->fiscalise(sale());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().outcome, Outcome::RetryLater);
    EXPECT_TRUE(r.error().maybe_executed);
    EXPECT_EQ(t->requests.back().code, cmd::kCloseReceiptV2) << "nothing is sent after a lost close";
}

TEST(ShtrihDriver, LinkDeathOnALineIsNotExecuted) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = [](const Request& req) -> std::optional<Bytes> {
        if (req.code == cmd::kOperationV2) return std::nullopt;
        return good_answer(req);
    };
    auto r = dev->fiscalise(sale());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().outcome, Outcome::RetryLater);
}

TEST(ShtrihDriver, UnknownVatCodeIsRejectedBeforeAnyIo) {
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = good_answer;
    auto r = sale();
    r.lines[0].vat_code = 0;
    auto res = dev->fiscalise(r);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);
    EXPECT_TRUE(t->requests.empty());
}

TEST(ShtrihDriver, SendsTheEncodersTagsCutAtTagBoundaries) {
    // Sums are validated upstream (src/fiscal), once; the driver forwards what fiscal::encode_receipt
    // wrote, minus what FF46h/FF45h carry, in FF0Ch commands of at most 250 TLV bytes (§1.8.4).
    ScriptedTransport* t = nullptr;
    auto dev = make(t);
    t->answer = good_answer;
    auto r = sale();
    r.cashier = "Кассир Иванов";
    r.settlement_address = std::string(200, 'A');
    r.settlement_place = std::string(100, 'P');
    ASSERT_TRUE(dev->fiscalise(r));
    const auto enc = fiscal::encode_receipt(r);
    ASSERT_TRUE(enc);
    Bytes sent;
    int commands = 0;
    for (const auto& q : t->requests) {
        if (q.code != cmd::kSendTlv) continue;
        ++commands;
        const Bytes tlv(q.data.begin() + 4, q.data.end());
        EXPECT_LE(tlv.size(), kMaxTlvPerCommand);
        EXPECT_TRUE(fiscal::decode_tlvs(tlv)) << "whole TLVs in every command";
        sent.insert(sent.end(), tlv.begin(), tlv.end());
    }
    EXPECT_EQ(commands, 2);  // 1021 + 1008 + 1009 (17 + 10 + 204 bytes) | 1187 (104 bytes)
    auto tlvs = fiscal::decode_tlvs(sent);
    ASSERT_TRUE(tlvs);
    std::vector<std::uint16_t> tags;
    for (const auto& x : *tlvs) tags.push_back(x.tag);
    EXPECT_EQ(tags, (std::vector<std::uint16_t>{1021, 1008, 1009, 1187}));
    for (const auto& sp : enc->document_tags) {
        if (sp.tag != 1009) continue;
        const Bytes expected(enc->document.begin() + static_cast<std::ptrdiff_t>(sp.offset),
                             enc->document.begin() + static_cast<std::ptrdiff_t>(sp.offset + sp.size));
        EXPECT_NE(std::search(sent.begin(), sent.end(), expected.begin(), expected.end()), sent.end())
            << "the encoder's bytes, unchanged";
    }
}

TEST(ShtrihDriver, OutcomeForDeviceErrors) {
    EXPECT_EQ(outcome_for_error(0x00), Outcome::Done);
    EXPECT_EQ(outcome_for_error(err::kNoPaper), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kShiftOver24h), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kWaitContinuePrint), Outcome::NeedsOperator);
    EXPECT_EQ(outcome_for_error(err::kPrinting), Outcome::RetryNow);
    EXPECT_EQ(outcome_for_error(0x30), Outcome::RetryLater);
    EXPECT_EQ(outcome_for_error(err::kFnFailure), Outcome::DeviceStopped);
    EXPECT_EQ(outcome_for_error(0x12), Outcome::DeviceStopped);
    EXPECT_EQ(outcome_for_error(err::kWrongPassword), Outcome::Rejected);
    EXPECT_EQ(outcome_for_error(err::kPaymentsBelowTotal), Outcome::Rejected);
}

TEST(ShtrihDriver, OptionsFromUri) {
    auto uri = parse_uri("tcp://127.0.0.1:7778?password=29&answer_timeout_ms=1500&control_timeout_ms=80&tlv_first=1");
    ASSERT_TRUE(uri);
    auto o = options_from_uri(*uri);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->password, 29u);
    ASSERT_TRUE(o->session.answer_timeout);
    EXPECT_EQ(*o->session.answer_timeout, std::chrono::milliseconds{1500});
    EXPECT_EQ(o->session.control_timeout, std::chrono::milliseconds{80});
    EXPECT_TRUE(o->tlv_before_operation);
    auto bad = parse_uri("tcp://127.0.0.1:7778?password=abc");
    ASSERT_TRUE(bad);
    EXPECT_FALSE(options_from_uri(*bad));
}

}  // namespace
}  // namespace kassa::drivers::shtrih
