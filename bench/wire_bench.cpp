// The wire cost of a receipt (issue 12): a 10-line receipt through the Shtrih driver to the
// simulator on a pty whose line is paced at 115 200 baud in both directions (kassa-sim --baud),
// as the register worker sends it: status(), then fiscalise(). For each receipt it reports the
// bytes each way, the command frames, the time, and the wire floor = all bytes × 10 bits / baud
// (the protocol is half duplex: one side talks at a time). Ratio = time / floor.
//   wire_bench [receipts=10] [status_cache_ms=5000] [pty|tcp]
// status_cache_ms=0 reads the full status before every receipt (the driver before issue 12).
// The link is a pty (a serial line, the default) or loopback TCP with the same pacing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "fiscal/receipt.hpp"
#include "fiscal/planner.hpp"
#include "simulators/shtrih/server.hpp"

namespace {

using namespace kassa;

constexpr unsigned kBaud = 115200;

fiscal::Receipt ten_lines() {
    fiscal::Receipt r;
    std::int64_t total = 0;
    for (int i = 1; i <= 10; ++i) {
        auto line = fiscal::make_line("Товар №" + std::to_string(i), fiscal::Quantity::whole(i % 3 + 1), 0,
                                      fiscal::Kopecks{1990 + 100 * i}, fiscal::PaymentMethod::FullPayment,
                                      fiscal::subject::kGoods, fiscal::VatClass::Vat22);
        r.lines.push_back(*line);
        total += line->amount.value();
    }
    r.total = fiscal::Kopecks{total};
    r.payments.electronic = r.total;
    r.cashier = "Кассир Иванова";
    r.settlement_address = "г. Москва, ул. Примерная, д. 1";
    r.settlement_place = "Офис";
    r.buyer_contact = "+79001234567";
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const int receipts = argc > 1 ? std::atoi(argv[1]) : 10;
    const std::string cache = argc > 2 ? argv[2] : "5000";
    const std::string link = argc > 3 ? argv[3] : "pty";

    sim::SimulatorConfig config;
    config.endpoint = link == "tcp" ? sim::SimulatorConfig::Endpoint::Tcp : sim::SimulatorConfig::Endpoint::Pty;
    config.baud = kBaud;
    sim::ShtrihSimulator simulator(config);
    auto ready = simulator.start();
    if (!ready) {
        std::fprintf(stderr, "simulator: %s\n", ready.error().message.c_str());
        return 1;
    }
    const std::string uri = simulator.device_uri();
    auto device = drivers::make_device("shtrih", uri + (uri.find('?') == std::string::npos ? "?" : "&") +
                                                     "status_cache_ms=" + cache);
    if (!device) {
        std::fprintf(stderr, "driver: %s\n", device.error().message.c_str());
        return 1;
    }
    auto& dev = **device;
    if (!dev.status() || !dev.open_shift("Кассир Иванова", "")) {
        std::fprintf(stderr, "cannot open the shift\n");
        return 1;
    }
    const fiscal::Receipt receipt = ten_lines();
    std::vector<double> ratios;
    std::printf("receipt  bytes_host  bytes_device  frames  time_ms  floor_ms  ratio\n");
    for (int i = 0; i <= receipts; ++i) {
        const auto before = simulator.line_stats();
        const auto t0 = std::chrono::steady_clock::now();
        auto st = dev.status();  // what the worker asks before each receipt
        auto res = st ? dev.fiscalise(receipt) : std::unexpected(st.error());
        const auto t1 = std::chrono::steady_clock::now();
        if (!res) {
            std::fprintf(stderr, "receipt %d: %s\n", i, res.error().to_string().c_str());
            return 1;
        }
        const auto after = simulator.line_stats();
        const auto in = after.bytes_in - before.bytes_in;
        const auto out = after.bytes_out - before.bytes_out;
        const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        const double floor_ms = static_cast<double>(in + out) * 10.0 * 1000.0 / kBaud;
        if (i == 0) continue;  // the first one warms up caches on both sides
        ratios.push_back(ms / floor_ms);
        std::printf("%7d  %10llu  %12llu  %6llu  %7.1f  %8.1f  %5.3f\n", i, static_cast<unsigned long long>(in),
                    static_cast<unsigned long long>(out),
                    static_cast<unsigned long long>(after.frames_in - before.frames_in), ms, floor_ms, ms / floor_ms);
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("median ratio %.3f (min %.3f, max %.3f) over %zu receipts, status_cache_ms=%s, %s\n",
                ratios[ratios.size() / 2], ratios.front(), ratios.back(), ratios.size(), cache.c_str(), link.c_str());
    simulator.stop();
    return 0;
}
