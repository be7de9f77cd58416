// The ATOL driver against the ATOL simulator (simulators/atol: the device's protocol over the shared
// emulated FN), in process over both link versions: what the driver sends ends up, checked, signed
// and archived, in the FN. A lost v3 answer is repaired without running the task twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <set>

#include "common/clock.hpp"
#include "drivers/atol/driver.hpp"
#include "drivers/atol/errors.hpp"
#include "fiscal/tlv.hpp"
#include "simulators/atol/device.hpp"
#include "simulators/atol/link.hpp"
#include "simulators/fn/faults.hpp"

namespace kassa::drivers::atol {
namespace {

using sim::ArchivedDocument;
using sim::FnState;
using sim::atol::AtolSimDevice;
using sim::atol::AtolSimLink;

// The line between driver and simulator, in memory. `drop_answer_to` drops what the device sends
// back for the first v3 task carrying that command (the answer and its F0h push): a lost answer.
class LoopTransport final : public Transport {
  public:
    LoopTransport(AtolSimLink& link, LinkVersion version) : link_(link), version_(version) {}
    std::optional<std::uint8_t> drop_answer_to;

    Status open() override {
        open_ = true;
        link_.reset_line();
        return ok();
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    Status write(std::span<const std::uint8_t> bytes) override {
        const bool drop = version_ == LinkVersion::V3 && carries_dropped_task(bytes);
        const auto out = link_.on_bytes(bytes);
        if (!drop) pending_.insert(pending_.end(), out.begin(), out.end());
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds) override {
        std::size_t n = 0;
        while (n < buffer.size() && !pending_.empty()) {
            buffer[n++] = pending_.front();
            pending_.pop_front();
        }
        return n;
    }
    std::string describe() const override { return "loop"; }

  private:
    bool carries_dropped_task(std::span<const std::uint8_t> bytes) {
        if (!drop_answer_to) return false;
        peek_.feed(bytes);
        bool hit = false;
        while (auto e = peek_.next()) {
            auto c = TaskCommand::parse(e->packet.data);
            if (c && (c->code == task::kAdd || c->code == task::kAckAdd) && c->payload.size() > 2 &&
                c->payload[2] == *drop_answer_to)
                hit = true;
        }
        if (hit) drop_answer_to.reset();
        return hit;
    }

    AtolSimLink& link_;
    LinkVersion version_;
    V3Decoder peek_;
    bool open_ = false;
    std::deque<std::uint8_t> pending_;
};

fiscal::Receipt sale() {
    fiscal::Receipt r;
    fiscal::ReceiptLine line;
    line.name = "Молоко";
    line.quantity = fiscal::Quantity::parse("1.5").value();
    line.unit = 11;  // kg
    line.price = fiscal::Kopecks{10000};
    line.amount = fiscal::Kopecks{15000};
    line.vat_code = 11;
    line.vat = fiscal::Kopecks{2705};
    r.lines.push_back(line);
    r.payments.electronic = fiscal::Kopecks{15000};
    r.total = fiscal::Kopecks{15000};
    r.cashier = "Иванов";
    r.buyer_contact = "a@b.ru";
    r.settlement_address = "г. Москва, ул. Садовая, д. 5";
    r.settlement_place = "Магазин";
    return r;
}

std::vector<fiscal::Tlv> tlvs_of(const ArchivedDocument& d) {
    Bytes raw;
    for (std::size_t i = 0; i + 1 < d.tlv_hex.size(); i += 2)
        raw.push_back(static_cast<std::uint8_t>(std::stoi(d.tlv_hex.substr(i, 2), nullptr, 16)));
    return fiscal::decode_tlvs(raw).value();
}

const fiscal::Tlv* find(const std::vector<fiscal::Tlv>& tlvs, std::uint16_t tag) {
    const auto it = std::find_if(tlvs.begin(), tlvs.end(), [tag](const fiscal::Tlv& t) { return t.tag == tag; });
    return it == tlvs.end() ? nullptr : &*it;
}

class AtolSim : public ::testing::TestWithParam<LinkVersion> {
  protected:
    AtolSim()
        : sim_(
              FnState::fresh(std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count()),
              "", clock_),
          link_(sim_, GetParam()) {
        auto t = std::make_unique<LoopTransport>(link_, GetParam());
        line_ = t.get();
        DriverOptions o;
        o.link = GetParam();
        o.session.control_timeout = std::chrono::milliseconds{30};
        o.session.poll_interval = std::chrono::milliseconds{5};
        device_ = std::make_unique<AtolDevice>(std::move(t), o);
    }

    ManualClock clock_;
    AtolSimDevice sim_;
    AtolSimLink link_;
    LoopTransport* line_ = nullptr;
    std::unique_ptr<AtolDevice> device_;
};

TEST_P(AtolSim, ShiftSaleCashAndCloseEndInTheFn) {
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_FALSE(st->shift_open);
    EXPECT_EQ(st->fn_number, sim_.fn().fn_serial);

    ASSERT_TRUE(device_->open_shift("Иванов", "500100732259"));
    const auto& opened = sim_.fn().documents.back();
    EXPECT_EQ(opened.type, 2);
    const auto open_tags = tlvs_of(opened);
    ASSERT_NE(find(open_tags, 1021), nullptr);
    EXPECT_EQ(fiscal::decode_string(find(open_tags, 1021)->value), "Иванов");

    auto result = device_->fiscalise(sale());
    ASSERT_TRUE(result) << result.error().to_string();
    const auto receipt = sim_.fn().documents.back();  // a copy: later documents grow the vector
    EXPECT_EQ(receipt.type, 3);
    EXPECT_EQ(result->fd_number, receipt.number);
    EXPECT_EQ(result->fiscal_sign, receipt.fiscal_sign);
    EXPECT_EQ(result->fn_number, sim_.fn().fn_serial);
    EXPECT_EQ(receipt.total, 15000u);
    const auto tags = tlvs_of(receipt);
    ASSERT_NE(find(tags, 1008), nullptr);  // the e-receipt contact reaches the signed document
    EXPECT_EQ(fiscal::decode_string(find(tags, 1008)->value), "a@b.ru");
    EXPECT_EQ(fiscal::decode_vln(find(tags, 1081)->value).value(), 15000);
    EXPECT_EQ(fiscal::decode_vln(find(tags, 1031)->value).value(), 0);
    ASSERT_NE(find(tags, 1059), nullptr);
    const auto item = fiscal::decode_tlvs(find(tags, 1059)->value).value();
    EXPECT_EQ(fiscal::decode_string(find(item, 1030)->value), "Молоко");
    EXPECT_EQ(fiscal::decode_fvln(find(item, 1023)->value).value(), fiscal::Quantity::parse("1.5").value());
    EXPECT_EQ(find(item, 1199)->value, Bytes{11});
    EXPECT_EQ(find(item, 2108)->value, Bytes{11});

    ASSERT_TRUE(device_->cash_in(fiscal::Kopecks{50000}, "Иванов"));
    EXPECT_EQ(sim_.fn().cash_in_drawer, 50000);
    auto too_much = device_->cash_out(fiscal::Kopecks{60000}, "Иванов");
    ASSERT_FALSE(too_much);
    EXPECT_EQ(too_much.error().outcome, Outcome::Rejected);

    ASSERT_TRUE(device_->x_report());
    ASSERT_TRUE(device_->close_shift("Иванов", ""));
    EXPECT_EQ(sim_.fn().documents.back().type, 5);
    EXPECT_FALSE(sim_.fn().shift_open);
    auto last = device_->last_document();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->type, 5);
    auto sold = device_->document_by_number(receipt.number);
    ASSERT_TRUE(sold);
    EXPECT_EQ(sold->calc_sign, fiscal::CalcSign::Income);
    EXPECT_EQ(sold->total, fiscal::Kopecks{15000});
    ASSERT_TRUE(device_->repeat_document());
}

TEST_P(AtolSim, FnRefusalCancelsTheReceiptAndPaperOutNeedsTheOperator) {
    ASSERT_TRUE(device_->open_shift("Иванов", ""));
    auto bad = sale();
    bad.settlement_place.clear();  // 1187 is mandatory: the FN's format-logical control refuses
    auto refused = device_->fiscalise(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().outcome, Outcome::Rejected);
    EXPECT_EQ(refused.error().device_code, err::kWrongFormat);
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->receipt_open);  // cancelled, nothing fiscalised

    sim_.run_out_of_paper();
    auto out = device_->fiscalise(sale());
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(device_->continue_print().error().outcome, Outcome::NeedsOperator);
    sim_.load_paper();
    ASSERT_TRUE(device_->continue_print());
    ASSERT_TRUE(device_->fiscalise(sale()));
}

TEST_P(AtolSim, StaleReceiptLeftOpenIsCancelled) {
    ASSERT_TRUE(device_->open_shift("Иванов", ""));
    // open_shift left the register in mode 1: a receipt can be opened directly.
    ASSERT_TRUE(device_->execute(open_receipt_request(receipt_type::kIncome), "leave a receipt open"));
    ASSERT_TRUE(device_->status()->receipt_open);
    ASSERT_TRUE(device_->cancel_receipt());
    EXPECT_FALSE(device_->status()->receipt_open);
    const auto before = sim_.fn().last_fd;
    ASSERT_TRUE(device_->execute(open_receipt_request(receipt_type::kIncome), "leave a receipt open"));
    ASSERT_TRUE(device_->fiscalise(sale()));
    EXPECT_EQ(sim_.fn().last_fd, before + 1);
}

INSTANTIATE_TEST_SUITE_P(Links, AtolSim, ::testing::Values(LinkVersion::V2, LinkVersion::V3),
                         [](const auto& p) { return p.param == LinkVersion::V2 ? "V2" : "V3"; });

// Runs one sale on a fresh v3 register; `lose` drops the device's answer to that command once.
struct SaleRun {
    std::uint64_t receipts = 0;  // receipts the FN holds afterwards
    std::uint64_t commands = 0;  // application commands the device executed for the sale
    bool lost = false;
    DeviceResult<FiscalResult> result;
};

SaleRun sale_on_fresh_register(std::optional<std::uint8_t> lose) {
    ManualClock clock;
    AtolSimDevice sim(FnState::fresh(1'790'000'000), "", clock);
    AtolSimLink link(sim, LinkVersion::V3);
    auto t = std::make_unique<LoopTransport>(link, LinkVersion::V3);
    auto* line = t.get();
    DriverOptions o;
    o.session.control_timeout = std::chrono::milliseconds{30};
    o.session.poll_interval = std::chrono::milliseconds{5};
    AtolDevice device(std::move(t), o);
    EXPECT_TRUE(device.open_shift("Иванов", ""));
    const auto before = link.requests_run();
    line->drop_answer_to = lose;
    SaleRun run;
    run.result = device.fiscalise(sale());
    run.lost = lose.has_value() && !line->drop_answer_to.has_value();
    run.commands = link.requests_run() - before;
    run.receipts = sim.fn().receipts_total;
    return run;
}

TEST(AtolSimV3, LostAnswerIsRepairedWithoutRunningAnythingTwice) {
    const auto clean = sale_on_fresh_register(std::nullopt);
    ASSERT_TRUE(clean.result) << clean.result.error().to_string();
    for (const std::uint8_t lose : {cmd::kOpenReceipt, cmd::kEndItem, cmd::kPayment, cmd::kCloseReceipt}) {
        const auto lossy = sale_on_fresh_register(lose);
        ASSERT_TRUE(lossy.result) << std::hex << int{lose} << ": " << lossy.result.error().to_string();
        EXPECT_TRUE(lossy.lost) << std::hex << int{lose};
        EXPECT_EQ(lossy.receipts, clean.receipts) << std::hex << int{lose};
        EXPECT_EQ(lossy.commands, clean.commands) << std::hex << int{lose};  // nothing ran twice
        EXPECT_EQ(lossy.result->fd_number, clean.result->fd_number);
    }
}

TEST(AtolSimFaults, ScriptParsesAndRefusesNonsense) {
    auto f = sim::Faults::parse("# a comment\ndrop_answer 3\ncorrupt_answer 4 # trailing\n\npaper_out_after 2\n",
                                sim::kAtolFaults);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->drop_answers, (std::set<std::uint64_t>{3}));
    EXPECT_EQ(f->corrupt_answers, (std::set<std::uint64_t>{4}));
    EXPECT_EQ(f->paper_out_after, 2u);
    EXPECT_FALSE(f->power_cut_after_receipt);
    // "stall" and "drop_byte" are Shtrih's faults: an ATOL script naming them is refused, not ignored.
    for (const char* bad : {"drop_answer", "drop_answer 0", "stall 3 100", "drop_byte 2", "corrupt_answer x"}) {
        auto r = sim::Faults::parse(bad, sim::kAtolFaults);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, "bad_fault_script");
    }
    // ... and the ATOL ones in a Shtrih script.
    EXPECT_FALSE(sim::Faults::parse("drop_answer 1\n", sim::kShtrihFaults));
}

// Answer latency, in virtual time: the device takes 50 ms to run every task.
constexpr auto kLatency = std::chrono::milliseconds{50};
const sim::atol::AtolSimLink::TimePoint kT0{std::chrono::seconds{1000}};

std::vector<V3Packet> v3_packets(const Bytes& wire) {
    V3Decoder d;
    d.feed(wire);
    std::vector<V3Packet> out;
    while (auto e = d.next()) {
        EXPECT_EQ(e->kind, V3Event::Kind::Packet);
        out.push_back(e->packet);
    }
    return out;
}

TEST(AtolSimLatency, V3AnswersQueuedAtOnceAndPushesTheResultWhenTheTaskIsDone) {
    ManualClock clock;
    AtolSimDevice dev(FnState::fresh(1'790'000'000), "", clock);
    AtolSimLink link(dev, LinkVersion::V3, {}, kLatency);
    const auto add = encode_v3_packet(1, TaskCommand::add(7, simple_request(cmd::kStatus).encode()).encode());
    auto now = link.on_bytes(add, kT0);
    auto packets = v3_packets(now);
    ASSERT_EQ(packets.size(), 1u);  // A1h only: no push yet
    EXPECT_EQ(TaskReply::parse(packets[0].data)->status, task::kPending);
    ASSERT_TRUE(link.next_deadline());
    EXPECT_EQ(*link.next_deadline(), kT0 + kLatency);

    // A Req before the task is done: in progress, no result.
    const auto req = encode_v3_packet(2, TaskCommand::req(7).encode());
    packets = v3_packets(link.on_bytes(req, kT0 + kLatency / 2));
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(TaskReply::parse(packets[0].data)->status, task::kInProgress);
    EXPECT_TRUE(link.on_tick(kT0 + kLatency - std::chrono::milliseconds{1}).empty());

    // Done: the F0h push carries the status answer; a Req now gets the result too.
    packets = v3_packets(link.on_tick(kT0 + kLatency));
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0].id, kAsyncId);
    const auto pushed = TaskReply::parse(packets[0].data);
    ASSERT_TRUE(pushed);
    EXPECT_EQ(pushed->status, task::kAsyncResult);
    EXPECT_EQ(pushed->tid, 7);
    ASSERT_FALSE(pushed->answer.empty());
    EXPECT_EQ(pushed->answer[0], 0x44);  // 3Fh's answer (§2.5)
    EXPECT_FALSE(link.next_deadline());
    const auto req2 = encode_v3_packet(3, TaskCommand::req(7).encode());
    packets = v3_packets(link.on_bytes(req2, kT0 + kLatency));
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(TaskReply::parse(packets[0].data)->status, task::kResult);
    EXPECT_EQ(link.requests_run(), 1u);  // ran once
    EXPECT_EQ(link.frames_received(), 3u);
}

TEST(AtolSimLatency, V2AnnouncesTheAnswerOnlyWhenItIsReady) {
    ManualClock clock;
    AtolSimDevice dev(FnState::fresh(1'790'000'000), "", clock);
    AtolSimLink link(dev, LinkVersion::V2, {}, kLatency);
    EXPECT_EQ(link.on_bytes(Bytes{kEnq}, kT0), Bytes{kAck});
    EXPECT_EQ(link.on_bytes(encode_v2_frame(simple_request(cmd::kStatus).encode()), kT0), Bytes{kAck});
    EXPECT_TRUE(link.on_bytes(Bytes{kEot}, kT0).empty());  // not ready: no ENQ yet
    ASSERT_TRUE(link.next_deadline());
    EXPECT_EQ(*link.next_deadline(), kT0 + kLatency);
    EXPECT_TRUE(link.on_tick(kT0 + kLatency / 2).empty());
    EXPECT_EQ(link.on_tick(kT0 + kLatency), Bytes{kEnq});  // §2.3 step 4
    EXPECT_FALSE(link.next_deadline());
    const auto frame = link.on_bytes(Bytes{kAck}, kT0 + kLatency);
    V2Decoder d;
    d.feed(frame);
    const auto e = d.next();
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind, V2Event::Kind::Frame);
    ASSERT_FALSE(e->data.empty());
    EXPECT_EQ(e->data[0], 0x44);
    EXPECT_EQ(link.on_bytes(Bytes{kAck}, kT0 + kLatency), Bytes{kEot});
}

}  // namespace
}  // namespace kassa::drivers::atol
