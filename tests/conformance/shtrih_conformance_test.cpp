// Each family's driver against its simulator through FiscalDevice (DESIGN.md §5), parameterised
// over (family, link): shifts, every receipt of scenarios.json, e-receipt contact, correction, shift
// expiry, paper out, cash in/out, each injected fault, and recovery after a power cut mid-receipt.
// Documents are checked by decoding what the simulated FN archived (fiscal::decode_receipt) and
// comparing it field by field with the receipt that was sent. A family joins by adding its
// simulator to start() and a row to the instantiation at the end (ATOL: simulators/atol).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.hpp"
#include "drivers/registry.hpp"
#include "drivers/shtrih/codec.hpp"
#include "drivers/shtrih/driver.hpp"
#include "fiscal/receipt.hpp"
#include "fiscal/tlv.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::conformance {
namespace {

namespace json = boost::json;
using drivers::FiscalDevice;
using drivers::Outcome;
using fiscal::Kopecks;
using fiscal::Receipt;
using sim::SimulatorConfig;
using namespace std::chrono_literals;

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The expected receipts of scenarios.json as receipt plans.
struct NamedReceipt {
    std::string name;
    Receipt receipt;
};

std::vector<NamedReceipt> scenario_receipts() {
    const auto doc = json::parse(slurp(std::filesystem::path(KASSA_VECTORS_DIR) / "scenarios.json"));
    std::vector<NamedReceipt> out;
    for (const auto& sv : doc.at("scenarios").as_array()) {
        const auto& s = sv.as_object();
        int i = 0;
        for (const auto& rv : s.at("receipts").as_array()) {
            const auto& r = rv.as_object();
            Receipt rec;
            rec.sign = static_cast<fiscal::CalcSign>(r.at("tag1054").to_number<int>());
            for (const auto& lv : r.at("lines").as_array()) {
                const auto& l = lv.as_object();
                fiscal::ReceiptLine line;
                line.name = json::value_to<std::string>(l.at("name"));
                line.quantity = *fiscal::Quantity::parse(json::value_to<std::string>(l.at("qty")));
                line.price = Kopecks{l.at("price").to_number<std::int64_t>()};
                line.amount = Kopecks{l.at("amount").to_number<std::int64_t>()};
                line.method = static_cast<fiscal::PaymentMethod>(l.at("tag1214").to_number<int>());
                line.subject = static_cast<std::uint8_t>(l.at("tag1212").to_number<int>());
                line.vat_code = static_cast<std::uint8_t>(l.at("tag1199").to_number<int>());
                line.vat = Kopecks{l.at("vat").to_number<std::int64_t>()};
                rec.lines.push_back(line);
            }
            rec.payments.cash = Kopecks{r.at("tag1031").to_number<std::int64_t>()};
            rec.payments.electronic = Kopecks{r.at("tag1081").to_number<std::int64_t>()};
            rec.payments.prepayment = Kopecks{r.at("tag1215").to_number<std::int64_t>()};
            rec.payments.credit = Kopecks{r.at("tag1216").to_number<std::int64_t>()};
            rec.payments.provision = Kopecks{r.at("tag1217").to_number<std::int64_t>()};
            rec.total = Kopecks{r.at("total").to_number<std::int64_t>()};
            rec.cashier = "Кассир Иванов";
            rec.settlement_address = "г. Москва, ул. Примерная, д. 1";
            rec.settlement_place = "Офис";
            out.push_back({json::value_to<std::string>(s.at("id")) + "#" + std::to_string(i++), rec});
        }
    }
    return out;
}

Receipt simple_sale(std::int64_t kopecks = 10000) {
    Receipt r;
    fiscal::ReceiptLine line;
    line.name = "Товар";
    line.quantity = fiscal::Quantity::whole(1);
    line.price = Kopecks{kopecks};
    line.amount = Kopecks{kopecks};
    line.vat_code = 11;
    line.vat = Kopecks{kopecks * 22 / 122};
    r.lines.push_back(line);
    r.payments.cash = Kopecks{kopecks};
    r.total = Kopecks{kopecks};
    r.cashier = "Кассир";
    r.settlement_address = "г. Москва, ул. Примерная, д. 1";
    r.settlement_place = "Офис";
    return r;
}

struct FamilyLink {
    std::string family;
    SimulatorConfig::Endpoint endpoint;
};

// The archived document, decoded, against the receipt that was sent: every field the FN stores.
void expect_archived(const sim::ArchivedDocument* archived, const Receipt& sent) {
    ASSERT_NE(archived, nullptr);
    drivers::shtrih::Bytes bytes;
    for (std::size_t i = 0; i + 1 < archived->tlv_hex.size(); i += 2)
        bytes.push_back(static_cast<std::uint8_t>(std::stoi(archived->tlv_hex.substr(i, 2), nullptr, 16)));
    auto got = fiscal::decode_receipt(bytes);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->sign, sent.sign);
    EXPECT_EQ(got->tax_system, sent.tax_system);
    EXPECT_EQ(got->total, sent.total);
    EXPECT_EQ(got->payments.cash, sent.payments.cash);
    EXPECT_EQ(got->payments.electronic, sent.payments.electronic);
    EXPECT_EQ(got->payments.prepayment, sent.payments.prepayment);
    EXPECT_EQ(got->payments.credit, sent.payments.credit);
    EXPECT_EQ(got->payments.provision, sent.payments.provision);
    EXPECT_EQ(got->cashier, sent.cashier);
    EXPECT_EQ(got->cashier_inn, sent.cashier_inn);
    EXPECT_EQ(got->buyer_contact, sent.buyer_contact);
    EXPECT_EQ(got->settlement_address, sent.settlement_address);
    EXPECT_EQ(got->settlement_place, sent.settlement_place);
    EXPECT_EQ(got->additional_attribute, sent.additional_attribute);
    ASSERT_EQ(got->correction.has_value(), sent.correction.has_value());
    if (sent.correction) {
        EXPECT_EQ(got->correction->type, sent.correction->type);
        EXPECT_EQ(got->correction->date_unix, sent.correction->date_unix);
        EXPECT_EQ(got->correction->order_number, sent.correction->order_number);
    }
    ASSERT_EQ(got->lines.size(), sent.lines.size());
    for (std::size_t i = 0; i < sent.lines.size(); ++i) {
        SCOPED_TRACE("line " + std::to_string(i + 1));
        const auto& g = got->lines[i];
        const auto& s = sent.lines[i];
        EXPECT_EQ(g.name, s.name);
        EXPECT_EQ(g.price, s.price);
        EXPECT_EQ(g.quantity.micro(), s.quantity.micro());
        EXPECT_EQ(g.amount, s.amount);
        EXPECT_EQ(g.vat_code, s.vat_code);
        EXPECT_EQ(g.vat, s.vat);
        EXPECT_EQ(g.method, s.method);
        EXPECT_EQ(g.subject, s.subject);
        EXPECT_EQ(g.unit, s.unit);
    }
}

class ShtrihConformance : public ::testing::TestWithParam<FamilyLink> {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->name());
        for (auto& c : name) c = (c == '/') ? '_' : c;
        state_file_ = std::filesystem::path(KASSA_TEST_TMP_DIR) / ("shtrih-" + name + ".json");
        std::filesystem::remove(state_file_);
    }
    void TearDown() override {
        device_.reset();
        if (sim_) sim_->stop();
    }

    void start(sim::Faults faults = {}, std::string extra = "") {
        device_.reset();
        if (sim_) sim_->stop();
        SimulatorConfig cfg;
        cfg.endpoint = GetParam().endpoint;
        cfg.state_file = state_file_.string();
        cfg.faults = std::move(faults);
        cfg.clock = &clock_;
        sim_ = std::make_unique<sim::ShtrihSimulator>(std::move(cfg));
        auto ready = sim_->start();
        ASSERT_TRUE(ready) << ready.error().message;
        std::string uri = sim_->device_uri();
        uri += uri.find('?') == std::string::npos ? "?" : "&";
        uri += "control_timeout_ms=200&answer_timeout_ms=2000&max_enq=4" + extra;
        auto dev = drivers::make_device(GetParam().family, uri);
        ASSERT_TRUE(dev) << dev.error().message;
        device_ = std::move(*dev);
    }

    void open_shift() {
        auto r = device_->open_shift("Кассир Иванов", "");
        ASSERT_TRUE(r) << r.error().to_string();
    }

    static sim::Faults faults(const std::string& script) {
        auto f = sim::Faults::parse(script);
        EXPECT_TRUE(f) << f.error().message;
        return f ? *f : sim::Faults{};
    }

    ManualClock clock_;
    std::filesystem::path state_file_;
    std::unique_ptr<sim::ShtrihSimulator> sim_;
    std::unique_ptr<FiscalDevice> device_;
};

TEST_P(ShtrihConformance, ShiftOpenXReportClose) {
    start();
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(st->mode, 4);
    EXPECT_FALSE(st->shift_open);
    EXPECT_EQ(st->fn_number, "9999078900012345");
    EXPECT_EQ(st->inn, "7701234567");
    EXPECT_TRUE(st->fn_expiry.has_value());
    EXPECT_TRUE(st->paper_ok);

    open_shift();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->mode, 2);
    EXPECT_EQ(st->shift_number, 1);
    ASSERT_TRUE(st->shift_opened_at.has_value());
    EXPECT_LE(std::chrono::abs(*st->shift_opened_at - clock_.now()), 60s);
    EXPECT_EQ(st->last_fd_number, 1u);
    EXPECT_EQ(st->ofd_unsent, 1);

    auto again = device_->open_shift("", "");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().outcome, Outcome::Rejected);

    ASSERT_TRUE(device_->x_report());
    auto closed = device_->close_shift("Кассир Иванов", "");
    ASSERT_TRUE(closed) << closed.error().to_string();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->shift_open);
    EXPECT_EQ(st->last_fd_number, 2u);
    auto doc = device_->last_document();
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->type, 5);

    // Plain E0h / 41h path (no cashier tags).
    ASSERT_TRUE(device_->open_shift("", ""));
    ASSERT_TRUE(device_->close_shift("", ""));
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->shift_number, 2);
}

TEST_P(ShtrihConformance, EveryScenarioReceipt) {
    start();
    open_shift();
    std::uint32_t fd = 1;
    int in_shift = 0;
    for (const auto& [name, receipt] : scenario_receipts()) {
        SCOPED_TRACE(name);
        auto r = device_->fiscalise(receipt);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->fd_number, ++fd);
        EXPECT_NE(r->fiscal_sign, 0u);
        EXPECT_EQ(r->fn_number, "9999078900012345");
        EXPECT_EQ(r->shift_number, 1);
        EXPECT_EQ(r->receipt_number, ++in_shift);
        auto doc = device_->document_by_number(r->fd_number);
        ASSERT_TRUE(doc);
        EXPECT_EQ(doc->type, 3);
        EXPECT_EQ(doc->fiscal_sign, r->fiscal_sign);
        ASSERT_TRUE(doc->total);
        EXPECT_EQ(*doc->total, receipt.total);
        ASSERT_TRUE(doc->calc_sign);
        EXPECT_EQ(*doc->calc_sign, receipt.sign);
        // The FN's document, decoded, is the receipt that was sent.
        const auto fn_1 = sim_->fn_snapshot();  // keep the snapshot alive: find() points into it
        expect_archived(fn_1.find(r->fd_number), receipt);
    }
    ASSERT_TRUE(device_->close_shift("", ""));
}

TEST_P(ShtrihConformance, EReceiptContactReachesTheFn) {
    start();
    open_shift();
    Receipt r = simple_sale();
    r.buyer_contact = "+79001234567";
    r.settlement_address = "Москва, ул. Тверская, 1";
    r.settlement_place = "Курьер";
    r.cashier_inn = "770123456789";
    auto res = device_->fiscalise(r);
    ASSERT_TRUE(res) << res.error().to_string();
    const auto fn_2 = sim_->fn_snapshot();  // keep the snapshot alive: find() points into it
    expect_archived(fn_2.find(res->fd_number), r);
}

TEST_P(ShtrihConformance, CorrectionReceipt) {
    start();
    open_shift();
    Receipt r = simple_sale(50000);
    r.correction = fiscal::Correction{1, 1'788'000'000 / 86400 * 86400, "ЕД-12/345"};
    r.additional_attribute = "1234567890";
    auto res = device_->fiscalise(r);
    ASSERT_TRUE(res) << res.error().to_string();
    auto doc = device_->document_by_number(res->fd_number);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->type, 31);
    const auto fn_3 = sim_->fn_snapshot();  // keep the snapshot alive: find() points into it
    expect_archived(fn_3.find(res->fd_number), r);
}

TEST_P(ShtrihConformance, RefusedReceiptIsCancelledAndNothingFiscalised) {
    start();
    open_shift();
    Receipt r = simple_sale();
    r.payments.cash = Kopecks{5000};  // less than the total: 45h
    auto res = device_->fiscalise(r);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);
    EXPECT_EQ(res.error().device_code, 0x45);
    EXPECT_FALSE(res.error().maybe_executed);
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->receipt_open);
    EXPECT_EQ(st->last_fd_number, 1u);

    Receipt bad_line = simple_sale();
    bad_line.lines[0].amount = Kopecks{10002};  // more than ±1 kopeck off price × quantity
    bad_line.total = Kopecks{10002};
    bad_line.payments.cash = Kopecks{10002};
    res = device_->fiscalise(bad_line);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);

    EXPECT_TRUE(device_->fiscalise(simple_sale()));
    EXPECT_TRUE(device_->cancel_receipt());  // none open: succeeds
}

TEST_P(ShtrihConformance, NoReceiptWithAClosedShift) {
    start();
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);
    EXPECT_EQ(res.error().device_code, 0x02);
}

TEST_P(ShtrihConformance, ShiftExpiresAfter24Hours) {
    start();
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    clock_.advance(24h + 1min);
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_expired);
    EXPECT_EQ(st->mode, 3);
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(res.error().device_code, 0x4E);
    ASSERT_TRUE(device_->close_shift("", ""));  // only the Z report is allowed
    open_shift();
    EXPECT_TRUE(device_->fiscalise(simple_sale()));
}

TEST_P(ShtrihConformance, PaperOut) {
    start(faults("paper_out_after 1\n"));
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->paper_ok);
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(res.error().device_code, 0x6B);
    EXPECT_FALSE(res.error().maybe_executed);
    ASSERT_FALSE(device_->continue_print()) << "no paper yet";

    // Paper loaded: the interrupted receipt waits for "continue printing" (§1.7 sub-mode 3).
    sim_->load_paper();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->paper_ok);
    EXPECT_TRUE(st->awaiting_continue_print);
    res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(res.error().device_code, 0x58);
    ASSERT_TRUE(device_->continue_print());
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->paper_ok);
    EXPECT_FALSE(st->awaiting_continue_print);
    EXPECT_TRUE(device_->continue_print()) << "nothing to continue is not an error";
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    const auto tape = sim_->tape_snapshot();
    EXPECT_NE(std::find_if(tape.begin(), tape.end(), [](const std::string& l) { return l.starts_with("continued: "); }),
              tape.end());

    // Paper-out is the printer's: a restart without the fault finds paper.
    start();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->paper_ok);
}

TEST_P(ShtrihConformance, CashInOutAndRepeat) {
    start();
    open_shift();
    ASSERT_TRUE(device_->cash_in(Kopecks{150000}, "Кассир Иванов"));
    auto out = device_->cash_out(Kopecks{150001}, "Кассир Иванов");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().outcome, Outcome::Rejected);
    EXPECT_EQ(out.error().device_code, 0x46);
    EXPECT_FALSE(device_->cash_out(Kopecks{0}, ""));
    ASSERT_TRUE(device_->cash_out(Kopecks{50000}, "Кассир Иванов"));
    EXPECT_EQ(sim_->fn_snapshot().cash_in_drawer, 100000);
    ASSERT_TRUE(device_->repeat_document());
    EXPECT_EQ(sim_->tape_snapshot().back(), "copy: cash out 50000");
}

TEST_P(ShtrihConformance, FreshStatusIsNotReadAgain) {
    start();
    ASSERT_TRUE(device_->status());
    auto frames = [&] { return sim_->line_stats().frames_in; };
    const auto before = frames();
    auto st = device_->status();  // fresh: only the short status goes to the device
    ASSERT_TRUE(st);
    EXPECT_EQ(frames() - before, 1u);
    EXPECT_FALSE(st->shift_open);
    open_shift();  // a shift change ends the cached state
    const auto opened = frames();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_GT(frames() - opened, 1u);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->shift_number, 1);
    auto r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->receipt_number, 1);
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->last_fd_number, r->fd_number) << "the cache follows the driver's own receipts";
    r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->receipt_number, 2);
    auto* shtrih = dynamic_cast<drivers::shtrih::ShtrihDevice*>(device_.get());
    ASSERT_NE(shtrih, nullptr);
    EXPECT_GT(shtrih->status_reads_skipped(), 0u);
}

TEST_P(ShtrihConformance, PrintTextAndCut) {
    start();
    EXPECT_TRUE(device_->print_text({"Спасибо за покупку!", "www.example.ru"}));
    EXPECT_TRUE(device_->cut());
    start({}, "&font=2");  // the same through 2Fh
    EXPECT_TRUE(device_->print_text({"Шрифт 2"}));
    // A QR payload longer than one 64-byte block.
    const std::string payload = "t=20260921T1030&s=100.00&fn=9999078900012345&i=2&fp=1234567890&n=1&extra=abcdefghij";
    ASSERT_TRUE(device_->print_qr(payload));
    const auto tape = sim_->tape_snapshot();
    ASSERT_FALSE(tape.empty());
    EXPECT_EQ(tape.back(), "[2D 3] " + payload);
    EXPECT_FALSE(device_->print_qr(""));
}

// Byte faults on the device's answers: the session recovers and the call is done.
TEST_P(ShtrihConformance, CorruptedAnswerByteIsRecovered) {
    start(faults("corrupt_byte 5\ncorrupt_byte 40\n"));
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    open_shift();
    EXPECT_TRUE(device_->fiscalise(simple_sale()));
}

TEST_P(ShtrihConformance, DroppedAnswerByteIsRecovered) {
    start(faults("drop_byte 2\ndrop_byte 6\ndrop_byte 60\n"));
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    open_shift();
    auto r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->fd_number, 2u);
}

TEST_P(ShtrihConformance, NakedFrameIsResent) {
    start(faults("nak_frame 1\nnak_frame 3\nnak_frame 4\n"));
    open_shift();
    auto r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->fd_number, 2u);
}

TEST_P(ShtrihConformance, StalledAnswerIsAwaited) {
    // The 1st frame (10h) answers after 2.5 s: beyond the 2 s answer timeout, so the driver asks
    // with ENQ, the device says ACK (preparing) and the answer arrives.
    start(faults("stall 1 2500\n"));
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
}

TEST_P(ShtrihConformance, DeviceThatNeverAnswersGivesRetryLater) {
    start(faults("stall 1 60000\n"), "&answer_timeout_ms=200");
    auto st = device_->status();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().outcome, Outcome::RetryLater);
}

TEST_P(ShtrihConformance, PowerCutMidReceiptIsResolvedFromTheDevice) {
    start(faults("power_cut_after_receipt 2\n"));
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    const Receipt lost = simple_sale(77700);
    auto res = device_->fiscalise(lost);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::RetryLater);
    EXPECT_TRUE(res.error().maybe_executed);
    EXPECT_TRUE(sim_->powered_off());

    // Power back: the same FN (state file), a fresh link.
    start();
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_FALSE(st->receipt_open);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->last_fd_number, 3u);
    auto doc = device_->last_document();
    ASSERT_TRUE(doc) << doc.error().to_string();
    EXPECT_EQ(doc->number, 3u);
    EXPECT_EQ(doc->type, 3);
    ASSERT_TRUE(doc->total);
    EXPECT_EQ(*doc->total, lost.total) << "the receipt was fiscalised before the power went";
    ASSERT_TRUE(doc->calc_sign);
    EXPECT_EQ(*doc->calc_sign, lost.sign);
}

TEST_P(ShtrihConformance, RegistrationOfAFreshFnAndTaxSystems) {
    device_.reset();
    SimulatorConfig cfg;
    cfg.endpoint = GetParam().endpoint;
    cfg.clock = &clock_;
    cfg.inn = "500100732259";
    cfg.fn_serial = "7281440500123456";
    cfg.tax_systems = 0x02;  // УСН доход only
    sim_ = std::make_unique<sim::ShtrihSimulator>(std::move(cfg));
    ASSERT_TRUE(sim_->start());
    auto dev = drivers::make_device(GetParam().family, sim_->device_uri());
    ASSERT_TRUE(dev);
    device_ = std::move(*dev);
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(st->inn, "500100732259");
    EXPECT_EQ(st->fn_number, "7281440500123456");
    open_shift();
    auto osn = device_->fiscalise(simple_sale());  // ОСН is not registered
    ASSERT_FALSE(osn);
    EXPECT_EQ(osn.error().outcome, Outcome::Rejected);
    Receipt usn = simple_sale();
    usn.tax_system = fiscal::TaxSystem::UsnIncome;
    EXPECT_TRUE(device_->fiscalise(usn));
}

TEST_P(ShtrihConformance, StateSurvivesRestart) {
    start();
    open_shift();
    auto r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r);
    start();
    auto doc = device_->document_by_number(r->fd_number);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->fiscal_sign, r->fiscal_sign);
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_open);
}

INSTANTIATE_TEST_SUITE_P(Families, ShtrihConformance,
                         ::testing::Values(FamilyLink{"shtrih", SimulatorConfig::Endpoint::Pty},
                                           FamilyLink{"shtrih", SimulatorConfig::Endpoint::Tcp}),
                         [](const auto& param_info) {
                             return param_info.param.family +
                                    (param_info.param.endpoint == SimulatorConfig::Endpoint::Pty ? "_pty" : "_tcp");
                         });

}  // namespace
}  // namespace kassa::conformance
