// The ATOL driver against the ATOL simulator through FiscalDevice (DESIGN.md §5), over a pty and
// over TCP, on both link versions: shifts, the receipt kinds the planner makes (sale, return,
// settlement with prepayment offset, credit, correction) with the e-receipt contact, each decoded
// back from the simulated FN's archive and compared with what was sent; cash in/out; paper out;
// and a power cut mid-receipt, recovered from the FN's last document after a restart.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.hpp"
#include "drivers/registry.hpp"
#include "fiscal/receipt.hpp"
#include "fiscal/tlv.hpp"
#include "simulators/atol/server.hpp"

namespace kassa::conformance {
namespace {

using drivers::FiscalDevice;
using drivers::Outcome;
using drivers::atol::LinkVersion;
using fiscal::Kopecks;
using fiscal::Receipt;
using sim::atol::AtolSimulator;
using sim::atol::AtolSimulatorConfig;

fiscal::ReceiptLine line(std::string name, std::int64_t price, const char* qty, std::int64_t amount) {
    fiscal::ReceiptLine l;
    l.name = std::move(name);
    l.quantity = fiscal::Quantity::parse(qty).value();
    l.price = Kopecks{price};
    l.amount = Kopecks{amount};
    l.vat_code = 11;
    l.vat = Kopecks{(amount * 22 + 61) / 122};  // half up
    return l;
}

Receipt base(fiscal::CalcSign sign, std::vector<fiscal::ReceiptLine> lines) {
    Receipt r;
    r.sign = sign;
    r.lines = std::move(lines);
    for (const auto& l : r.lines) r.total += l.amount;
    r.cashier = "Кассир Иванов";
    r.settlement_address = "г. Москва, ул. Примерная, д. 1";
    r.settlement_place = "Офис";
    return r;
}

// One receipt of each kind the planner makes (fiscal-rules.md), paid in different forms.
std::vector<std::pair<std::string, Receipt>> receipts() {
    std::vector<std::pair<std::string, Receipt>> out;
    auto sale =
        base(fiscal::CalcSign::Income, {line("Товар А", 150000, "2", 300000), line("Молоко", 8990, "1.5", 13485)});
    sale.lines[1].unit = 11;  // kg
    sale.payments.cash = Kopecks{100000};
    sale.payments.electronic = sale.total - Kopecks{100000};
    sale.buyer_contact = "+79001234567";
    out.emplace_back("sale", sale);

    auto prepay = base(fiscal::CalcSign::Income, {line("Предоплата", 300000, "1", 300000)});
    prepay.lines[0].method = fiscal::PaymentMethod::FullPrepayment;
    prepay.lines[0].subject = fiscal::subject::kPayment;
    prepay.lines[0].vat_code = 12;  // 22/122
    prepay.payments.electronic = prepay.total;
    prepay.buyer_contact = "a@b.ru";
    out.emplace_back("prepayment", prepay);

    auto settle = base(fiscal::CalcSign::Income, {line("Товар Б", 1000000, "1", 1000000)});
    settle.payments.prepayment = Kopecks{300000};
    settle.payments.cash = Kopecks{700000};
    out.emplace_back("settlement_with_offset", settle);

    auto credit = base(fiscal::CalcSign::Income, {line("Товар В", 50000, "1", 50000)});
    credit.lines[0].method = fiscal::PaymentMethod::PartialPaymentAndCredit;
    credit.payments.cash = Kopecks{20000};
    credit.payments.credit = Kopecks{30000};
    out.emplace_back("credit", credit);

    auto refund = base(fiscal::CalcSign::IncomeReturn, {line("Товар А", 150000, "1", 150000)});
    refund.payments.electronic = refund.total;
    out.emplace_back("return", refund);

    auto correction = base(fiscal::CalcSign::Income, {line("Товар Г", 20000, "1", 20000)});
    correction.payments.cash = correction.total;
    correction.correction = fiscal::Correction{1, 1'788'998'400, "ЕД-1/2026"};
    out.emplace_back("correction", correction);
    return out;
}

struct Endpoint {
    AtolSimulatorConfig::Endpoint endpoint;
    LinkVersion link;
};

class AtolConformance : public ::testing::TestWithParam<Endpoint> {
  protected:
    void SetUp() override {
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        for (auto& c : name) c = (c == '/') ? '_' : c;
        std::filesystem::create_directories(KASSA_TEST_TMP_DIR);
        state_file_ = std::filesystem::path(KASSA_TEST_TMP_DIR) / ("atol-" + name + ".json");
        std::filesystem::remove(state_file_);
    }
    void TearDown() override {
        device_.reset();
        if (sim_) sim_->stop();
    }

    void start(const std::string& fault_script = "", unsigned baud = 0,
               std::chrono::microseconds latency = std::chrono::microseconds{0}) {
        device_.reset();
        if (sim_) sim_->stop();
        AtolSimulatorConfig cfg;
        cfg.endpoint = GetParam().endpoint;
        cfg.link = GetParam().link;
        cfg.state_file = state_file_.string();
        cfg.baud = baud;
        cfg.answer_latency = latency;
        auto faults = sim::Faults::parse(fault_script, sim::kAtolFaults);
        ASSERT_TRUE(faults) << faults.error().message;
        cfg.faults = std::move(*faults);
        cfg.clock = &clock_;
        sim_ = std::make_unique<AtolSimulator>(std::move(cfg));
        auto ready = sim_->start();
        ASSERT_TRUE(ready) << ready.error().message;
        auto dev = drivers::make_device("atol", sim_->device_uri() + "&control_timeout_ms=200&answer_timeout_ms=1000");
        ASSERT_TRUE(dev) << dev.error().message;
        device_ = std::move(*dev);
    }

    // The archived receipt, decoded, must be the receipt that was sent, field for field.
    void expect_archived(std::uint32_t number, const Receipt& sent) {
        const auto fn = sim_->fn_snapshot();
        const auto* doc = fn.find(number);
        ASSERT_NE(doc, nullptr);
        fiscal::Bytes raw;
        for (std::size_t i = 0; i + 1 < doc->tlv_hex.size(); i += 2)
            raw.push_back(static_cast<std::uint8_t>(std::stoi(doc->tlv_hex.substr(i, 2), nullptr, 16)));
        auto got = fiscal::decode_receipt(raw);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_TRUE(*got == sent);
        EXPECT_EQ(got->buyer_contact, sent.buyer_contact);
        EXPECT_EQ(got->payments, sent.payments);
        ASSERT_EQ(got->lines.size(), sent.lines.size());
        for (std::size_t i = 0; i < sent.lines.size(); ++i) EXPECT_TRUE(got->lines[i] == sent.lines[i]) << i;
    }

    ManualClock clock_;
    std::filesystem::path state_file_;
    std::unique_ptr<AtolSimulator> sim_;
    std::unique_ptr<FiscalDevice> device_;
};

TEST_P(AtolConformance, ShiftAndEveryReceiptKindReachTheFnAsSent) {
    start();
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_FALSE(st->shift_open);
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    for (const auto& [name, receipt] : receipts()) {
        SCOPED_TRACE(name);
        auto r = device_->fiscalise(receipt);
        ASSERT_TRUE(r) << r.error().to_string();
        expect_archived(r->fd_number, receipt);
        auto back = device_->document_by_number(r->fd_number);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->total, receipt.total);
        EXPECT_EQ(back->calc_sign, receipt.sign);
        EXPECT_EQ(back->fiscal_sign, r->fiscal_sign);
    }
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->last_fd_number, sim_->fn_snapshot().last_fd);
    ASSERT_TRUE(device_->close_shift("Кассир Иванов", ""));
    EXPECT_FALSE(sim_->fn_snapshot().shift_open);
    EXPECT_EQ(device_->last_document()->type, 5);
}

// The shared server's line model (8N1 at 115 200 baud, both ways) and a device that takes 5 ms to
// run every task: the driver still gets every answer, and the line counters see both directions.
TEST_P(AtolConformance, PacedLineAndSlowDevice) {
    start("", 115200, std::chrono::milliseconds{5});
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    const auto before = sim_->line_stats();
    auto res = device_->fiscalise(receipts()[0].second);
    ASSERT_TRUE(res) << res.error().to_string();
    expect_archived(res->fd_number, receipts()[0].second);
    const auto after = sim_->line_stats();
    EXPECT_GT(after.bytes_in, before.bytes_in);
    EXPECT_GT(after.bytes_out, before.bytes_out);
    EXPECT_GE(after.frames_in - before.frames_in, 5u);  // open, requisites, item, payment, close at least
}

TEST_P(AtolConformance, CashInOutAndPaperOut) {
    start();
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    ASSERT_TRUE(device_->cash_in(Kopecks{100000}, "Кассир Иванов"));
    ASSERT_TRUE(device_->cash_out(Kopecks{40000}, "Кассир Иванов"));
    EXPECT_EQ(sim_->fn_snapshot().cash_in_drawer, 60000);
    EXPECT_EQ(device_->cash_out(Kopecks{70000}, "").error().outcome, Outcome::Rejected);

    sim_->run_out_of_paper();
    auto out = device_->fiscalise(receipts()[0].second);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().outcome, Outcome::NeedsOperator);
    EXPECT_FALSE(device_->status()->paper_ok);
    sim_->load_paper();
    ASSERT_TRUE(device_->continue_print());
    ASSERT_TRUE(device_->fiscalise(receipts()[0].second));
    ASSERT_TRUE(device_->print_text({"Спасибо!"}));
    ASSERT_TRUE(device_->print_qr("t=20261202T1200&s=3134.85&fn=9999078900012345&i=2&fp=1&n=1"));
    ASSERT_TRUE(device_->cut());
}

TEST_P(AtolConformance, PowerCutMidReceiptIsFoundInTheFnAfterRestart) {
    start();
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    start("power_cut_after_receipt 1");  // the first receipt of this run cuts the power once it is in the FN
    const auto sent = receipts()[0].second;
    auto cut = device_->fiscalise(sent);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().outcome, Outcome::RetryLater);
    EXPECT_TRUE(cut.error().maybe_executed);
    start();  // the register comes back with the same FN
    auto last = device_->last_document();
    ASSERT_TRUE(last) << last.error().to_string();
    EXPECT_EQ(last->type, 3);
    EXPECT_EQ(last->total, sent.total);
    EXPECT_EQ(last->calc_sign, sent.sign);
    expect_archived(last->number, sent);
    ASSERT_TRUE(device_->cancel_receipt());  // nothing is left open
}

TEST_P(AtolConformance, CorruptAnswersAreAskedAgain) {
    // Bad CRCs on answers spread over the shift opening and the sale: v2 answers NAK, v3 an empty
    // packet or a Req poll; every one is repaired and the sale is fiscalised once.
    start("corrupt_answer 2\ncorrupt_answer 5\ncorrupt_answer 9\ncorrupt_answer 14\ncorrupt_answer 20");
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    const auto sent = receipts()[0].second;
    auto r = device_->fiscalise(sent);
    ASSERT_TRUE(r) << r.error().to_string();
    expect_archived(r->fd_number, sent);
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 1u);
}

TEST_P(AtolConformance, LostAnswersOnV3AreRepairedWithoutADuplicate) {
    if (GetParam().link != LinkVersion::V3) GTEST_SKIP() << "v2 has no way to ask for a lost answer (§2.3)";
    start("drop_answer 3\ndrop_answer 7\ndrop_answer 11\ndrop_answer 15\ndrop_answer 19");
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    const auto sent = receipts()[0].second;
    auto r = device_->fiscalise(sent);
    ASSERT_TRUE(r) << r.error().to_string();
    expect_archived(r->fd_number, sent);
    const auto fn = sim_->fn_snapshot();
    EXPECT_EQ(fn.receipts_total, 1u);
    EXPECT_EQ(fn.documents.size(), 2u);  // the shift-open report and one receipt: nothing ran twice
}

TEST_P(AtolConformance, PaperRunsOutAfterAReceipt) {
    start("paper_out_after 1");
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    ASSERT_TRUE(device_->fiscalise(receipts()[0].second));
    auto next = device_->fiscalise(receipts()[1].second);
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().outcome, Outcome::NeedsOperator);
    sim_->load_paper();
    ASSERT_TRUE(device_->fiscalise(receipts()[1].second));
}

TEST_P(AtolConformance, ShiftOlderThan24HoursNeedsTheOperatorUntilClosed) {
    start();
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    clock_.advance(std::chrono::hours{25});
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_TRUE(st->shift_expired);
    auto late = device_->fiscalise(receipts()[0].second);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().outcome, Outcome::NeedsOperator);
    ASSERT_TRUE(device_->close_shift("Кассир Иванов", ""));  // closing is still allowed
    ASSERT_TRUE(device_->open_shift("Кассир Иванов", ""));
    ASSERT_TRUE(device_->fiscalise(receipts()[0].second));
}

INSTANTIATE_TEST_SUITE_P(Links, AtolConformance,
                         ::testing::Values(Endpoint{AtolSimulatorConfig::Endpoint::Pty, LinkVersion::V3},
                                           Endpoint{AtolSimulatorConfig::Endpoint::Tcp, LinkVersion::V3},
                                           Endpoint{AtolSimulatorConfig::Endpoint::Pty, LinkVersion::V2},
                                           Endpoint{AtolSimulatorConfig::Endpoint::Tcp, LinkVersion::V2}),
                         [](const auto& p) {
                             return std::string(p.param.endpoint == AtolSimulatorConfig::Endpoint::Pty ? "Pty"
                                                                                                       : "Tcp") +
                                    (p.param.link == LinkVersion::V2 ? "V2" : "V3");
                         });

}  // namespace
}  // namespace kassa::conformance
