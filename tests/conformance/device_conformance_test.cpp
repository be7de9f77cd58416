// Every family's driver against its simulator through FiscalDevice (DESIGN.md §5), one suite
// parameterised over (family, link): Shtrih over a pty and TCP; ATOL on link v3 and v2, each over
// a pty and TCP. Shifts and the X report, every receipt of scenarios.json and every receipt kind of
// the planner, e-receipt contact, correction, refusals, shift expiry on virtual time, paper out,
// cash in/out, printing, each family's faults on the line, a power cut mid-receipt recovered from
// the FN, a fresh FN's registration and a restart. Documents are checked by decoding what the
// simulated FN archived (fiscal::decode_receipt) and comparing it field by field with the receipt
// that was sent. What differs between families (their fault scripts, vendor error codes, the INN
// that only Shtrih's status carries) is in FamilyLink, one row per parameter; what only one family
// has (Shtrih's status cache, sub-mode 3, fonts, stalls and NAKs) is in the family's own fixture at
// the end. A family joins with its simulator in make_simulator() and rows in the instantiations.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/clock.hpp"
#include "drivers/atol/frame.hpp"
#include "drivers/registry.hpp"
#include "drivers/shtrih/driver.hpp"
#include "fiscal/counters.hpp"
#include "fiscal/receipt.hpp"
#include "fiscal/tlv.hpp"
#include "simulators/atol/server.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::conformance {
namespace {

namespace json = boost::json;
using drivers::FiscalDevice;
using drivers::Outcome;
using drivers::atol::LinkVersion;
using fiscal::Kopecks;
using fiscal::Receipt;
using Endpoint = sim::ServerConfig::Endpoint;
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

Receipt with_lines(fiscal::CalcSign sign, std::vector<fiscal::ReceiptLine> lines) {
    Receipt r;
    r.sign = sign;
    r.lines = std::move(lines);
    for (const auto& l : r.lines) r.total += l.amount;
    r.cashier = "Кассир Иванов";
    r.settlement_address = "г. Москва, ул. Примерная, д. 1";
    r.settlement_place = "Офис";
    return r;
}

// One receipt of each kind the planner makes (fiscal-rules.md), paid in different forms, with a
// fractional quantity in kilograms and both kinds of e-receipt contact.
std::vector<NamedReceipt> receipt_kinds() {
    std::vector<NamedReceipt> out;
    auto sale = with_lines(fiscal::CalcSign::Income,
                           {line("Товар А", 150000, "2", 300000), line("Молоко", 8990, "1.5", 13485)});
    sale.lines[1].unit = 11;  // kg
    sale.payments.cash = Kopecks{100000};
    sale.payments.electronic = sale.total - Kopecks{100000};
    sale.buyer_contact = "+79001234567";
    out.push_back({"sale", sale});

    auto prepay = with_lines(fiscal::CalcSign::Income, {line("Предоплата", 300000, "1", 300000)});
    prepay.lines[0].method = fiscal::PaymentMethod::FullPrepayment;
    prepay.lines[0].subject = fiscal::subject::kPayment;
    prepay.lines[0].vat_code = 12;  // 22/122
    prepay.payments.electronic = prepay.total;
    prepay.buyer_contact = "a@b.ru";
    out.push_back({"prepayment", prepay});

    auto settle = with_lines(fiscal::CalcSign::Income, {line("Товар Б", 1000000, "1", 1000000)});
    settle.payments.prepayment = Kopecks{300000};
    settle.payments.cash = Kopecks{700000};
    out.push_back({"settlement_with_offset", settle});

    auto credit = with_lines(fiscal::CalcSign::Income, {line("Товар В", 50000, "1", 50000)});
    credit.lines[0].method = fiscal::PaymentMethod::PartialPaymentAndCredit;
    credit.payments.cash = Kopecks{20000};
    credit.payments.credit = Kopecks{30000};
    out.push_back({"credit", credit});

    auto refund = with_lines(fiscal::CalcSign::IncomeReturn, {line("Товар А", 150000, "1", 150000)});
    refund.payments.electronic = refund.total;
    out.push_back({"return", refund});

    auto correction = with_lines(fiscal::CalcSign::Income, {line("Товар Г", 20000, "1", 20000)});
    correction.payments.cash = correction.total;
    correction.correction = fiscal::Correction{1, 1'788'998'400, "ЕД-1/2026"};
    out.push_back({"correction", correction});
    return out;
}

// The archived document, decoded, against the receipt that was sent: every field the FN stores.
void expect_archived(const sim::ArchivedDocument* archived, const Receipt& sent) {
    ASSERT_NE(archived, nullptr);
    fiscal::Bytes bytes;
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

// One parameter: a family over one link, and what differs between families.
struct FamilyLink {
    std::string family;  // a family of the driver registry
    Endpoint endpoint = Endpoint::Tcp;
    LinkVersion atol_link = LinkVersion::V3;  // ATOL only
    std::string driver_query;                 // the test's timeouts, in the family's option names
    // Fault scripts in the family's own terms (simulators/fn/faults.hpp): answers corrupted on the
    // line, answers lost on the line, both spread over opening a shift and one sale.
    std::string corrupt_answers;
    std::string lose_answers;
    // Whether the link can ask for a lost answer again (Shtrih ENQ §1.3, ATOL v3 same packet id
    // §2.4). ATOL v2 cannot (§2.3): the call fails "maybe executed" and the device's state tells.
    bool recovers_lost_answers = true;
    bool status_has_inn = true;  // Shtrih 11h carries the INN; ATOL's status commands do not
    // The vendor's error code where the device, not the driver, refuses (-1: the driver refuses
    // first, from fiscal::validate_receipt).
    int underpaid_code = -1;
    int closed_shift_code = -1;
    int overdraw_code = -1;
    std::string (*qr_on_tape)(const std::string& payload) = nullptr;

    std::string name() const {
        std::string n = family + (endpoint == Endpoint::Pty ? "_pty" : "_tcp");
        if (family == "atol") n += atol_link == LinkVersion::V2 ? "_v2" : "_v3";
        return n;
    }
};

void PrintTo(const FamilyLink& f, std::ostream* os) { *os << f.name(); }

FamilyLink shtrih(Endpoint endpoint) {
    FamilyLink f;
    f.family = "shtrih";
    f.endpoint = endpoint;
    f.driver_query = "control_timeout_ms=200&answer_timeout_ms=2000&max_enq=4";
    // Answer bytes (counted over the run): inside the first status answer and a later one.
    f.corrupt_answers = "corrupt_byte 5\ncorrupt_byte 40\n";
    f.lose_answers = "drop_byte 2\ndrop_byte 6\ndrop_byte 60\n";
    f.underpaid_code = 0x45;
    f.closed_shift_code = 0x02;
    f.overdraw_code = 0x46;
    f.qr_on_tape = [](const std::string& p) { return "[2D 3] " + p; };
    return f;
}

FamilyLink atol(Endpoint endpoint, LinkVersion link) {
    FamilyLink f;
    f.family = "atol";
    f.endpoint = endpoint;
    f.atol_link = link;
    f.driver_query = "control_timeout_ms=200&answer_timeout_ms=1000";
    // Answers (counted over the run, from 1): spread over the status, the shift opening and the sale.
    f.corrupt_answers = "corrupt_answer 2\ncorrupt_answer 5\ncorrupt_answer 9\ncorrupt_answer 14\ncorrupt_answer 20\n";
    f.lose_answers = link == LinkVersion::V3
                         ? "drop_answer 3\ndrop_answer 7\ndrop_answer 11\ndrop_answer 15\ndrop_answer 19\n"
                         : "drop_answer 1\n";  // v2: the first status answer only (see LostAnswers…)
    f.recovers_lost_answers = link == LinkVersion::V3;
    f.status_has_inn = false;
    f.qr_on_tape = [](const std::string& p) { return "QR " + p; };
    return f;
}

class DeviceConformance : public ::testing::TestWithParam<FamilyLink> {
  protected:
    void SetUp() override {
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        for (auto& c : name) c = (c == '/') ? '_' : c;
        std::filesystem::create_directories(KASSA_TEST_TMP_DIR);
        state_file_ = std::filesystem::path(KASSA_TEST_TMP_DIR) / ("conformance-" + name + ".json");
        std::filesystem::remove(state_file_);
    }
    void TearDown() override {
        device_.reset();
        if (sim_) sim_->stop();
    }

    const FamilyLink& family() const { return GetParam(); }

    // The family's simulator on the parameter's endpoint, serving the FN in state_file_.
    static std::unique_ptr<sim::Simulator> make_simulator(const FamilyLink& f, sim::ServerConfig server,
                                                          const sim::Faults& faults,
                                                          std::chrono::microseconds latency) {
        server.endpoint = f.endpoint;
        if (f.family == "atol") {
            server.device_uri_query = f.atol_link == LinkVersion::V2 ? "link=v2" : "link=v3";
            return std::make_unique<sim::Simulator>(std::move(server),
                                                    sim::atol::atol_register(f.atol_link, faults, latency));
        }
        return std::make_unique<sim::Simulator>(std::move(server), sim::shtrih_register(faults, latency));
    }

    void start(const std::string& fault_script = "", std::string extra = "", unsigned baud = 0,
               std::chrono::microseconds latency = 0us) {
        sim::ServerConfig server;
        server.state_file = state_file_.string();
        server.baud = baud;
        start_with(std::move(server), fault_script, std::move(extra), latency);
    }

    void start_with(sim::ServerConfig server, const std::string& fault_script = "", std::string extra = "",
                    std::chrono::microseconds latency = 0us) {
        device_.reset();
        if (sim_) sim_->stop();
        auto faults = sim::Faults::parse(fault_script, family().family == "atol"
                                                           ? std::span<const std::string_view>(sim::kAtolFaults)
                                                           : std::span<const std::string_view>(sim::kShtrihFaults));
        ASSERT_TRUE(faults) << faults.error().message;
        server.clock = &clock_;
        sim_ = make_simulator(family(), std::move(server), *faults, latency);
        auto ready = sim_->start();
        ASSERT_TRUE(ready) << ready.error().message;
        std::string uri = sim_->device_uri();
        uri += uri.find('?') == std::string::npos ? "?" : "&";
        uri += family().driver_query + extra;
        auto dev = drivers::make_device(family().family, uri);
        ASSERT_TRUE(dev) << dev.error().message;
        device_ = std::move(*dev);
    }

    void open_shift() {
        auto r = device_->open_shift("Кассир Иванов", "");
        ASSERT_TRUE(r) << r.error().to_string();
    }

    void expect_fiscalised_as_sent(const drivers::FiscalResult& r, const Receipt& receipt) {
        EXPECT_NE(r.fiscal_sign, 0u);
        EXPECT_EQ(r.fn_number, sim_->fn_snapshot().fn_serial);
        auto doc = device_->document_by_number(r.fd_number);
        ASSERT_TRUE(doc) << doc.error().to_string();
        EXPECT_EQ(doc->type, receipt.is_correction() ? 31 : 3);
        EXPECT_EQ(doc->fiscal_sign, r.fiscal_sign);
        EXPECT_EQ(doc->total, receipt.total);
        EXPECT_EQ(doc->calc_sign, receipt.sign);
        const auto fn = sim_->fn_snapshot();  // keep the snapshot alive: find() points into it
        expect_archived(fn.find(r.fd_number), receipt);
    }

    ManualClock clock_;
    std::filesystem::path state_file_;
    std::unique_ptr<sim::Simulator> sim_;
    std::unique_ptr<FiscalDevice> device_;
};

TEST_P(DeviceConformance, ShiftOpenXReportClose) {
    start();
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_FALSE(st->shift_open);
    EXPECT_EQ(st->fn_number, "9999078900012345");
    if (family().status_has_inn) {
        EXPECT_EQ(st->inn, "7701234567");
    }
    EXPECT_TRUE(st->fn_expiry.has_value());
    EXPECT_TRUE(st->paper_ok);
    EXPECT_FALSE(st->receipt_open);

    open_shift();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_open);
    EXPECT_FALSE(st->shift_expired);
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

    // Without a cashier name (Shtrih: the plain E0h / 41h path).
    ASSERT_TRUE(device_->open_shift("", ""));
    ASSERT_TRUE(device_->close_shift("", ""));
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->shift_number, 2);
    EXPECT_EQ(sim_->fn_snapshot().documents.size(), 4u);
}

TEST_P(DeviceConformance, EveryScenarioReceipt) {
    start();
    open_shift();
    std::uint32_t fd = 1;
    int in_shift = 0;
    for (const auto& [name, receipt] : scenario_receipts()) {
        SCOPED_TRACE(name);
        auto r = device_->fiscalise(receipt);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->fd_number, ++fd);
        EXPECT_EQ(r->shift_number, 1);
        EXPECT_EQ(r->receipt_number, ++in_shift);
        expect_fiscalised_as_sent(*r, receipt);
    }
    ASSERT_TRUE(device_->close_shift("", ""));
}

TEST_P(DeviceConformance, EveryReceiptKindOfThePlanner) {
    start();
    open_shift();
    for (const auto& [name, receipt] : receipt_kinds()) {
        SCOPED_TRACE(name);
        auto r = device_->fiscalise(receipt);
        ASSERT_TRUE(r) << r.error().to_string();
        expect_fiscalised_as_sent(*r, receipt);
    }
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->shift_open);
    EXPECT_EQ(st->last_fd_number, sim_->fn_snapshot().last_fd);
    ASSERT_TRUE(device_->close_shift("Кассир Иванов", ""));
    EXPECT_FALSE(sim_->fn_snapshot().shift_open);
}

TEST_P(DeviceConformance, EReceiptContactReachesTheFn) {
    start();
    open_shift();
    Receipt r = simple_sale();
    r.buyer_contact = "+79001234567";
    r.settlement_address = "Москва, ул. Тверская, 1";
    r.settlement_place = "Курьер";
    r.cashier_inn = "770123456789";
    auto res = device_->fiscalise(r);
    ASSERT_TRUE(res) << res.error().to_string();
    expect_fiscalised_as_sent(*res, r);
}

TEST_P(DeviceConformance, CorrectionReceipt) {
    start();
    open_shift();
    Receipt r = simple_sale(50000);
    r.correction = fiscal::Correction{1, 1'788'000'000 / 86400 * 86400, "ЕД-12/345"};
    r.additional_attribute = "1234567890";
    auto res = device_->fiscalise(r);
    ASSERT_TRUE(res) << res.error().to_string();
    expect_fiscalised_as_sent(*res, r);
}

// The shift-close report carries the shift's (1194) and the FN's (1157) totals counters: decoded
// with fiscal::decode_totals_counters, each count and sum equals what the receipts sent add up to.
TEST_P(DeviceConformance, ShiftCloseReportCarriesTheTotalsCounters) {
    start();
    open_shift();
    auto vat_line = [](std::string name, std::int64_t amount, std::uint8_t code, std::int64_t vat) {
        auto l = line(std::move(name), amount, "1", amount);
        l.vat_code = code;
        l.vat = Kopecks{vat};
        return l;
    };
    // A sale at four rates paid in cash and by card, a prepayment (10/110), a sale offsetting a
    // prepayment, a return by card, a correction in cash.
    auto sale =
        with_lines(fiscal::CalcSign::Income, {vat_line("Хлеб", 5500, 2, 500), vat_line("Книга", 3000, 6, 0),
                                              vat_line("Экспорт", 1000, 5, 0), line("Товар", 12200, "1", 12200)});
    sale.payments.cash = Kopecks{10000};
    sale.payments.electronic = sale.total - Kopecks{10000};
    auto prepay = with_lines(fiscal::CalcSign::Income, {vat_line("Предоплата", 11000, 4, 1000)});
    prepay.lines[0].method = fiscal::PaymentMethod::FullPrepayment;
    prepay.lines[0].subject = fiscal::subject::kPayment;
    prepay.payments.electronic = prepay.total;
    auto settle = with_lines(fiscal::CalcSign::Income, {vat_line("Молоко", 22000, 2, 2000)});
    settle.payments.prepayment = Kopecks{20000};
    settle.payments.cash = Kopecks{2000};
    auto refund = with_lines(fiscal::CalcSign::IncomeReturn, {vat_line("Хлеб", 5500, 2, 500)});
    refund.payments.electronic = refund.total;
    auto correction = with_lines(fiscal::CalcSign::Income, {line("Товар Г", 20000, "1", 20000)});
    correction.payments.cash = correction.total;
    correction.correction = fiscal::Correction{0, 1'788'998'400, ""};
    const std::vector<Receipt> first_shift = {sale, prepay, settle, refund, correction};
    for (const auto& r : first_shift) {
        auto res = device_->fiscalise(r);
        ASSERT_TRUE(res) << res.error().to_string();
    }
    auto closed = device_->close_shift("Кассир Иванов", "");
    ASSERT_TRUE(closed) << closed.error().to_string();

    // The counters of the last shift-close report in the FN's archive.
    auto counters_in_close_report = [&](std::uint16_t tag) -> fiscal::TotalsCounters {
        const auto fn = sim_->fn_snapshot();
        const auto& doc = fn.documents.back();
        EXPECT_EQ(doc.type, 5);
        fiscal::Bytes bytes;
        for (std::size_t i = 0; i + 1 < doc.tlv_hex.size(); i += 2)
            bytes.push_back(static_cast<std::uint8_t>(std::stoi(doc.tlv_hex.substr(i, 2), nullptr, 16)));
        auto tlvs = fiscal::decode_tlvs(bytes);
        EXPECT_TRUE(tlvs);
        if (!tlvs) return {};
        for (const auto& t : *tlvs) {
            if (t.tag != tag) continue;
            auto c = fiscal::decode_totals_counters(t.value);
            EXPECT_TRUE(c) << c.error().message;
            return c ? *c : fiscal::TotalsCounters{};
        }
        ADD_FAILURE() << "no tag " << tag << " in the shift-close report";
        return {};
    };
    // What the receipts sent add up to, for one sign of ordinary or correction receipts.
    auto expect_operation = [](const fiscal::OperationCounters& got, const std::vector<Receipt>& sent,
                               fiscal::CalcSign sign, bool corrections) {
        SCOPED_TRACE("sign " + std::to_string(static_cast<int>(sign)) + (corrections ? " corrections" : ""));
        fiscal::OperationCounters want;
        for (const auto& r : sent) {
            if (r.sign != sign || r.is_correction() != corrections) continue;
            ++want.count;
            want.cash += r.payments.cash;
            want.electronic += r.payments.electronic;
            want.prepayment += r.payments.prepayment;
            want.credit += r.payments.credit;
            want.provision += r.payments.provision;
            want.total += r.total;
            if (corrections) continue;
            for (const auto& l : r.lines) {
                if (l.vat_code == 2) want.vat10 += l.vat;
                if (l.vat_code == 4) want.vat10_calculated += l.vat;
                if (l.vat_code == 5) want.turnover_vat0 += l.amount;
                if (l.vat_code == 6) want.turnover_no_vat += l.amount;
            }
        }
        EXPECT_EQ(got.count, want.count);
        EXPECT_EQ(got.cash, want.cash);
        EXPECT_EQ(got.electronic, want.electronic);
        EXPECT_EQ(got.prepayment, want.prepayment);
        EXPECT_EQ(got.credit, want.credit);
        EXPECT_EQ(got.provision, want.provision);
        EXPECT_EQ(got.total, want.total);
        EXPECT_EQ(got.vat20, want.vat20);
        EXPECT_EQ(got.vat10, want.vat10);
        EXPECT_EQ(got.vat20_calculated, want.vat20_calculated);
        EXPECT_EQ(got.vat10_calculated, want.vat10_calculated);
        EXPECT_EQ(got.turnover_vat0, want.turnover_vat0);
        EXPECT_EQ(got.turnover_no_vat, want.turnover_no_vat);
    };
    auto expect_counters = [&](const fiscal::TotalsCounters& got, const std::vector<Receipt>& sent) {
        EXPECT_EQ(got.receipts, sent.size());
        EXPECT_EQ(got.corrections, std::ranges::count_if(sent, [](const Receipt& r) { return r.is_correction(); }));
        for (const auto sign : {fiscal::CalcSign::Income, fiscal::CalcSign::IncomeReturn, fiscal::CalcSign::Expense,
                                fiscal::CalcSign::ExpenseReturn}) {
            expect_operation(got.of(sign), sent, sign, false);
            expect_operation(got.of_corrections(sign), sent, sign, true);
        }
    };
    {
        SCOPED_TRACE("first shift: 1194");
        expect_counters(counters_in_close_report(fiscal::tag::kShiftTotals), first_shift);
    }
    {
        SCOPED_TRACE("first shift: 1157");
        expect_counters(counters_in_close_report(fiscal::tag::kFnTotals), first_shift);
    }

    // The next shift counts from zero; the FN's totals go on.
    open_shift();
    auto res = device_->fiscalise(sale);
    ASSERT_TRUE(res) << res.error().to_string();
    ASSERT_TRUE(device_->close_shift("", ""));
    {
        SCOPED_TRACE("second shift: 1194");
        expect_counters(counters_in_close_report(fiscal::tag::kShiftTotals), {sale});
    }
    {
        SCOPED_TRACE("second shift: 1157");
        auto all = first_shift;
        all.push_back(sale);
        expect_counters(counters_in_close_report(fiscal::tag::kFnTotals), all);
    }
}

// An OFD that acknowledges each document a minute after it was formed (kassa-sim
// --ofd-ack-after-ms): the backlog the device reports drains in order as the register's clock moves.
TEST_P(DeviceConformance, OfdAcknowledgementsDrainTheBacklog) {
    sim::ServerConfig server;
    server.state_file = state_file_.string();
    server.ofd_ack_after = 60s;
    start_with(std::move(server), "", "&status_cache_ms=0");
    auto backlog = [&] {
        auto st = device_->status();
        EXPECT_TRUE(st) << st.error().to_string();
        return st ? st->ofd_unsent : -1;
    };
    open_shift();  // FD 1
    clock_.advance(30s);
    auto sale = device_->fiscalise(simple_sale());  // FD 2
    ASSERT_TRUE(sale) << sale.error().to_string();
    EXPECT_EQ(backlog(), 2);
    clock_.advance(31s);  // 61 s after FD 1, 31 s after FD 2
    EXPECT_EQ(backlog(), 1);
    auto doc = device_->document_by_number(1);
    ASSERT_TRUE(doc) << doc.error().to_string();
    EXPECT_TRUE(doc->ofd_ticket);
    doc = device_->document_by_number(sale->fd_number);
    ASSERT_TRUE(doc) << doc.error().to_string();
    EXPECT_FALSE(doc->ofd_ticket);
    clock_.advance(30s);
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(st->ofd_unsent, 0);
    EXPECT_FALSE(st->ofd_oldest_unsent.has_value() && st->ofd_unsent > 0);
    doc = device_->document_by_number(sale->fd_number);
    ASSERT_TRUE(doc) << doc.error().to_string();
    EXPECT_TRUE(doc->ofd_ticket);
    const auto fn = sim_->fn_snapshot();
    EXPECT_EQ(fn.ofd_unsent(), 0u);
}

TEST_P(DeviceConformance, RefusedReceiptIsCancelledAndNothingFiscalised) {
    start();
    open_shift();
    Receipt r = simple_sale();
    r.payments.cash = Kopecks{5000};  // less than the total
    auto res = device_->fiscalise(r);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);
    EXPECT_EQ(res.error().device_code, family().underpaid_code);
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
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 1u);
}

TEST_P(DeviceConformance, NoReceiptWithAClosedShift) {
    start();
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::Rejected);
    if (family().closed_shift_code >= 0) {
        EXPECT_EQ(res.error().device_code, family().closed_shift_code);
    }
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 0u);
}

TEST_P(DeviceConformance, ShiftOlderThan24HoursNeedsTheOperatorUntilClosed) {
    start();
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    clock_.advance(24h + 1min);
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_TRUE(st->shift_expired);
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_FALSE(res.error().maybe_executed);
    ASSERT_TRUE(device_->close_shift("", ""));  // closing is still allowed
    open_shift();
    EXPECT_TRUE(device_->fiscalise(simple_sale()));
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 2u);
}

// paper_out_after 1: the roll runs out with the first receipt, which is fiscalised all the same.
TEST_P(DeviceConformance, PaperOut) {
    start("paper_out_after 1\n");
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->paper_ok);
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_FALSE(res.error().maybe_executed);
    auto early = device_->continue_print();
    ASSERT_FALSE(early) << "no paper yet";
    EXPECT_EQ(early.error().outcome, Outcome::NeedsOperator);

    sim_->load_paper();
    ASSERT_TRUE(device_->continue_print());
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->paper_ok);
    EXPECT_FALSE(st->awaiting_continue_print);
    EXPECT_TRUE(device_->continue_print()) << "nothing to continue is not an error";
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 2u);
}

TEST_P(DeviceConformance, CashInOutAndRepeat) {
    start();
    open_shift();
    ASSERT_TRUE(device_->cash_in(Kopecks{150000}, "Кассир Иванов"));
    auto out = device_->cash_out(Kopecks{150001}, "Кассир Иванов");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().outcome, Outcome::Rejected);
    if (family().overdraw_code >= 0) {
        EXPECT_EQ(out.error().device_code, family().overdraw_code);
    }
    EXPECT_FALSE(device_->cash_out(Kopecks{0}, ""));
    ASSERT_TRUE(device_->cash_out(Kopecks{50000}, "Кассир Иванов"));
    EXPECT_EQ(sim_->fn_snapshot().cash_in_drawer, 100000);
    ASSERT_TRUE(device_->repeat_document());
    EXPECT_EQ(sim_->tape_snapshot().back(), "copy: cash out 50000");
}

TEST_P(DeviceConformance, DrawerSumFollowsCashInOutAndCashReceipts) {
    start();
    open_shift();
    const auto before = device_->cash_in_drawer();
    ASSERT_TRUE(before) << before.error().to_string();
    EXPECT_EQ(before->value(), sim_->fn_snapshot().cash_in_drawer);
    ASSERT_TRUE(device_->cash_in(Kopecks{123456}, "Кассир Иванов"));
    ASSERT_TRUE(device_->cash_out(Kopecks{1}, "Кассир Иванов"));
    auto after = device_->cash_in_drawer();
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->value(), before->value() + 123455);
    EXPECT_EQ(after->value(), sim_->fn_snapshot().cash_in_drawer);
    // A receipt paid in cash adds its cash; the sum is read in any mode, between documents.
    ASSERT_TRUE(device_->fiscalise(simple_sale(1050)));
    auto with_receipt = device_->cash_in_drawer();
    ASSERT_TRUE(with_receipt);
    EXPECT_EQ(with_receipt->value(), after->value() + 1050);
    EXPECT_EQ(with_receipt->value(), sim_->fn_snapshot().cash_in_drawer);
}

TEST_P(DeviceConformance, PrintTextQrAndCut) {
    start();
    EXPECT_TRUE(device_->print_text({"Спасибо за покупку!", "www.example.ru"}));
    EXPECT_TRUE(device_->cut());
    // A QR payload longer than one 64-byte block (Shtrih loads it in blocks).
    const std::string payload = "t=20260921T1030&s=100.00&fn=9999078900012345&i=2&fp=1234567890&n=1&extra=abcdefghij";
    ASSERT_TRUE(device_->print_qr(payload));
    const auto tape = sim_->tape_snapshot();
    ASSERT_FALSE(tape.empty());
    EXPECT_EQ(tape.back(), family().qr_on_tape(payload));
    EXPECT_NE(std::ranges::find(tape, "Спасибо за покупку!"), tape.end());
    EXPECT_FALSE(device_->print_qr(""));
}

// The shared server's line model (8N1 at 115 200 baud, both ways) and a device that takes 5 ms to
// answer every command: the driver still gets every answer, and the line counters see both ways.
TEST_P(DeviceConformance, PacedLineAndSlowDevice) {
    start("", "", 115200, 5ms);
    open_shift();
    const auto before = sim_->line_stats();
    const auto sent = receipt_kinds()[0].receipt;
    auto res = device_->fiscalise(sent);
    ASSERT_TRUE(res) << res.error().to_string();
    expect_fiscalised_as_sent(*res, sent);
    const auto after = sim_->line_stats();
    EXPECT_GT(after.bytes_in, before.bytes_in);
    EXPECT_GT(after.bytes_out, before.bytes_out);
    EXPECT_GE(after.frames_in - before.frames_in, 4u);  // open, a line, payment / close at least
}

// Answers corrupted on the line (a flipped byte: a bad LRC / CRC) are asked for again: Shtrih NAK
// then ENQ; ATOL v2 NAK, v3 an empty packet or a Req. Every call is done, the sale once.
TEST_P(DeviceConformance, CorruptedAnswersAreAskedForAgain) {
    start(family().corrupt_answers);
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    open_shift();
    const auto sent = receipt_kinds()[0].receipt;
    auto r = device_->fiscalise(sent);
    ASSERT_TRUE(r) << r.error().to_string();
    expect_fiscalised_as_sent(*r, sent);
    EXPECT_EQ(sim_->fn_snapshot().receipts_total, 1u);
}

// Answers lost on the line. Shtrih asks with ENQ (the device keeps its answer), ATOL v3 resends the
// same packet (a repeated Add comes back "already exists"): every call is done and nothing runs
// twice. ATOL v2 keeps no answer to ask for (§2.3): the call whose answer was lost fails as "may
// have run", and the next calls work on the same link; here it is the first status read.
TEST_P(DeviceConformance, LostAnswersNeverRunACommandTwice) {
    start(family().lose_answers);
    auto st = device_->status();
    if (family().recovers_lost_answers) {
        ASSERT_TRUE(st) << st.error().to_string();
    } else {
        ASSERT_FALSE(st);
        EXPECT_EQ(st.error().outcome, Outcome::RetryLater);
        EXPECT_TRUE(st.error().maybe_executed);
        st = device_->status();
        ASSERT_TRUE(st) << st.error().to_string();
    }
    open_shift();
    const auto sent = receipt_kinds()[0].receipt;
    auto r = device_->fiscalise(sent);
    ASSERT_TRUE(r) << r.error().to_string();
    expect_fiscalised_as_sent(*r, sent);
    const auto fn = sim_->fn_snapshot();
    EXPECT_EQ(fn.receipts_total, 1u);
    EXPECT_EQ(fn.documents.size(), 2u);  // the shift-open report and one receipt
}

TEST_P(DeviceConformance, PowerCutMidReceiptIsResolvedFromTheDevice) {
    start("power_cut_after_receipt 2\n");
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
    EXPECT_EQ(doc->total, lost.total) << "the receipt was fiscalised before the power went";
    EXPECT_EQ(doc->calc_sign, lost.sign);
    const auto fn = sim_->fn_snapshot();
    expect_archived(fn.find(doc->number), lost);
    ASSERT_TRUE(device_->cancel_receipt());  // nothing is left open
}

TEST_P(DeviceConformance, RegistrationOfAFreshFnAndTaxSystems) {
    sim::ServerConfig server;  // no state file: a fresh FN, registered as below
    server.inn = "500100732259";
    server.fn_serial = "7281440500123456";
    server.tax_systems = 0x02;  // УСН доход only
    start_with(server);
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
    if (family().status_has_inn) {
        EXPECT_EQ(st->inn, "500100732259");
    }
    EXPECT_EQ(st->fn_number, "7281440500123456");
    open_shift();
    auto osn = device_->fiscalise(simple_sale());  // ОСН is not registered
    ASSERT_FALSE(osn);
    EXPECT_EQ(osn.error().outcome, Outcome::Rejected);
    Receipt usn = simple_sale();
    usn.tax_system = fiscal::TaxSystem::UsnIncome;
    auto r = device_->fiscalise(usn);
    ASSERT_TRUE(r) << r.error().to_string();
    expect_fiscalised_as_sent(*r, usn);
}

TEST_P(DeviceConformance, StateSurvivesRestart) {
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

const auto kFamilies = ::testing::Values(shtrih(Endpoint::Pty), shtrih(Endpoint::Tcp),
                                         atol(Endpoint::Pty, LinkVersion::V3), atol(Endpoint::Tcp, LinkVersion::V3),
                                         atol(Endpoint::Pty, LinkVersion::V2), atol(Endpoint::Tcp, LinkVersion::V2));
const auto kName = [](const ::testing::TestParamInfo<FamilyLink>& p) { return p.param.name(); };

INSTANTIATE_TEST_SUITE_P(Families, DeviceConformance, kFamilies, kName);

// ---- Shtrih only: what the other families have no counterpart for ----

class ShtrihConformance : public DeviceConformance {};

// Shtrih's paper-out stops mid-document (sub-mode 2, §1.7); loaded paper waits for B0h "continue
// printing" (sub-mode 3), which prints the rest of the interrupted document.
TEST_P(ShtrihConformance, PaperLoadedMidDocumentWaitsForContinuePrint) {
    start("paper_out_after 1\n");
    open_shift();
    ASSERT_TRUE(device_->fiscalise(simple_sale()));
    auto res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().device_code, 0x6B);
    sim_->load_paper();
    auto st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->paper_ok);
    EXPECT_TRUE(st->awaiting_continue_print);
    res = device_->fiscalise(simple_sale());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(res.error().device_code, 0x58);
    ASSERT_TRUE(device_->continue_print());
    const auto tape = sim_->tape_snapshot();
    EXPECT_NE(std::ranges::find_if(tape, [](const std::string& l) { return l.starts_with("continued: "); }),
              tape.end());
    // Paper-out is the printer's: a restart without the fault finds paper.
    start();
    st = device_->status();
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->paper_ok);
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
    auto* driver = dynamic_cast<drivers::shtrih::ShtrihDevice*>(device_.get());
    ASSERT_NE(driver, nullptr);
    EXPECT_GT(driver->status_reads_skipped(), 0u);
}

TEST_P(ShtrihConformance, PrintTextInAnotherFont) {
    start({}, "&font=2");  // through 2Fh
    EXPECT_TRUE(device_->print_text({"Шрифт 2"}));
    EXPECT_EQ(sim_->tape_snapshot().back(), "Шрифт 2");
}

TEST_P(ShtrihConformance, NakedFrameIsResent) {
    start("nak_frame 1\nnak_frame 3\nnak_frame 4\n");
    open_shift();
    auto r = device_->fiscalise(simple_sale());
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->fd_number, 2u);
}

TEST_P(ShtrihConformance, StalledAnswerIsAwaited) {
    // The 1st frame (10h) answers after 2.5 s: beyond the 2 s answer timeout, so the driver asks
    // with ENQ, the device says ACK (preparing) and the answer arrives.
    start("stall 1 2500\n");
    auto st = device_->status();
    ASSERT_TRUE(st) << st.error().to_string();
}

// A device too slow to read its line (the flake of issue 12: "sum of payments less than receipt
// total" once under load): each frame of a correction receipt in turn is ACKed and answered after
// the driver's control timeout, so the driver asks with ENQ meanwhile and the device's late replies
// cross the next commands on a paced line. No command may run twice: the receipt is fiscalised
// exactly as sent, at the first attempt or, when the first failed "maybe executed", after the
// driver found it unfinished and cancelled it.
TEST_P(ShtrihConformance, SlowDeviceNeverRunsACommandTwice) {
    Receipt r = simple_sale(50000);
    r.lines.push_back(line("Товар Б", 12345, "2", 24690));
    r.total += Kopecks{24690};
    r.payments.cash = r.total;
    r.correction = fiscal::Correction{1, 1'788'000'000 / 86400 * 86400, "ЕД-12/345"};
    // A clean run counts the frames: opening the shift, then the receipt.
    start("", "", 115200);
    open_shift();
    const auto opened = sim_->line_stats().frames_in;
    ASSERT_TRUE(device_->fiscalise(r));
    const auto done = sim_->line_stats().frames_in;
    for (auto n = opened + 1; n <= done; ++n) {
        SCOPED_TRACE("frame " + std::to_string(n) + " slow");
        device_.reset();
        sim_->stop();
        std::filesystem::remove(state_file_);
        start("slow_ack " + std::to_string(n) + " 300\n", "", 115200);
        open_shift();
        auto res = device_->fiscalise(r);
        if (!res) {
            EXPECT_NE(res.error().device_code, 0x45) << res.error().to_string();
            EXPECT_TRUE(res.error().maybe_executed) << res.error().to_string();
            const auto fn = sim_->fn_snapshot();
            if (fn.receipts_total == 1) {
                // Fiscalised before the answer went astray: the worker finds it on the device.
                expect_archived(&fn.documents.back(), r);
                continue;
            }
            res = device_->fiscalise(r);
        }
        ASSERT_TRUE(res) << res.error().to_string();
        expect_fiscalised_as_sent(*res, r);
        EXPECT_EQ(sim_->fn_snapshot().receipts_total, 1u);
    }
}

TEST_P(ShtrihConformance, DeviceThatNeverAnswersGivesRetryLater) {
    start("stall 1 60000\n", "&answer_timeout_ms=200");
    auto st = device_->status();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().outcome, Outcome::RetryLater);
}

INSTANTIATE_TEST_SUITE_P(Shtrih, ShtrihConformance, ::testing::Values(shtrih(Endpoint::Pty), shtrih(Endpoint::Tcp)),
                         kName);

}  // namespace
}  // namespace kassa::conformance
