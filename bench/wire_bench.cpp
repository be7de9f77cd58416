// The wire cost of a receipt (issues 12, 13): a 10-line receipt through each family's driver to its
// simulator on a pty whose line is paced at 115 200 baud in both directions (ServerConfig::baud,
// kassa-sim --baud), as the register worker sends it: status(), then fiscalise(). Shtrih, then
// ATOL over link v3 and over link v2, the same receipt, one after another in one run. For each
// receipt it measures the bytes each way, the command frames, the time, and the wire floor = all
// bytes × 10 bits / baud (both protocols are half duplex: one side talks at a time).
// Ratio = time / floor; the table gives medians per family.
//   wire_bench [receipts=10] [status_cache_ms=5000] [pty|tcp] [all|shtrih|atol] [extra driver query]
// status_cache_ms = 0 reads the full status before every receipt (the drivers before issue 12). The
// link is a pty (a serial line, the default) or loopback TCP with the same pacing. The extra query
// goes to the Shtrih driver, e.g. "enq_every_command=1" (ENQ before every command, as before).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "fiscal/planner.hpp"
#include "fiscal/receipt.hpp"
#include "simulators/atol/server.hpp"
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

struct Row {
    std::string family;
    std::uint64_t bytes_host = 0;  // median per receipt
    std::uint64_t bytes_device = 0;
    std::uint64_t frames = 0;
    double ms = 0;  // median
    double floor_ms = 0;
    double ratio = 0;  // median, min, max
    double ratio_min = 0;
    double ratio_max = 0;
};

template <typename T>
T median(std::vector<T> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Opens a shift on `sim` through the family's driver, then sends `receipts` + 1 receipts (the first
// warms up caches on both sides and is not counted).
std::optional<Row> run(const std::string& name, sim::Simulator& simulator, const std::string& family,
                       const std::string& query, int receipts, bool verbose) {
    auto ready = simulator.start();
    if (!ready) {
        std::fprintf(stderr, "%s simulator: %s\n", name.c_str(), ready.error().message.c_str());
        return std::nullopt;
    }
    const std::string uri = simulator.device_uri();
    auto device = drivers::make_device(
        family, query.empty() ? uri : uri + (uri.find('?') == std::string::npos ? "?" : "&") + query);
    if (!device) {
        std::fprintf(stderr, "%s driver: %s\n", name.c_str(), device.error().message.c_str());
        return std::nullopt;
    }
    auto& dev = **device;
    if (!dev.status() || !dev.open_shift("Кассир Иванова", "")) {
        std::fprintf(stderr, "%s: cannot open the shift\n", name.c_str());
        return std::nullopt;
    }
    const fiscal::Receipt receipt = ten_lines();
    std::vector<double> ratios, times, floors;
    std::vector<std::uint64_t> ins, outs, frames;
    if (verbose) std::printf("%s\nreceipt  bytes_host  bytes_device  frames  time_ms  floor_ms  ratio\n", name.c_str());
    for (int i = 0; i <= receipts; ++i) {
        const auto before = simulator.line_stats();
        const auto t0 = std::chrono::steady_clock::now();
        auto st = dev.status();  // what the worker asks before each receipt
        auto res = st ? dev.fiscalise(receipt) : std::unexpected(st.error());
        const auto t1 = std::chrono::steady_clock::now();
        if (!res) {
            std::fprintf(stderr, "%s receipt %d: %s\n", name.c_str(), i, res.error().to_string().c_str());
            return std::nullopt;
        }
        const auto after = simulator.line_stats();
        const auto in = after.bytes_in - before.bytes_in;
        const auto out = after.bytes_out - before.bytes_out;
        const auto fr = after.frames_in - before.frames_in;
        const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        const double floor_ms = static_cast<double>(in + out) * 10.0 * 1000.0 / kBaud;
        if (i == 0) continue;
        ratios.push_back(ms / floor_ms);
        times.push_back(ms);
        floors.push_back(floor_ms);
        ins.push_back(in);
        outs.push_back(out);
        frames.push_back(fr);
        if (verbose)
            std::printf("%7d  %10llu  %12llu  %6llu  %7.1f  %8.1f  %5.3f\n", i, static_cast<unsigned long long>(in),
                        static_cast<unsigned long long>(out), static_cast<unsigned long long>(fr), ms, floor_ms,
                        ms / floor_ms);
    }
    simulator.stop();
    Row r;
    r.family = name;
    r.bytes_host = median(ins);
    r.bytes_device = median(outs);
    r.frames = median(frames);
    r.ms = median(times);
    r.floor_ms = median(floors);
    r.ratio = median(ratios);
    r.ratio_min = *std::min_element(ratios.begin(), ratios.end());
    r.ratio_max = *std::max_element(ratios.begin(), ratios.end());
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const int receipts = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    const std::string cache = argc > 2 ? argv[2] : "5000";
    const std::string link = argc > 3 ? argv[3] : "pty";
    const std::string which = argc > 4 ? argv[4] : "all";
    const std::string extra = argc > 5 ? std::string("&") + argv[5] : "";
    const auto endpoint = link == "tcp" ? sim::ServerConfig::Endpoint::Tcp : sim::ServerConfig::Endpoint::Pty;

    std::vector<Row> rows;
    if (which == "all" || which == "shtrih") {
        sim::SimulatorConfig config;
        config.endpoint = endpoint;
        config.baud = kBaud;
        sim::ShtrihSimulator simulator(config);
        auto r = run("shtrih", simulator, "shtrih", "status_cache_ms=" + cache + extra, receipts, true);
        if (!r) return 1;
        rows.push_back(*r);
    }
    if (which == "all" || which == "atol") {
        for (const auto version : {drivers::atol::LinkVersion::V3, drivers::atol::LinkVersion::V2}) {
            sim::atol::AtolSimulatorConfig config;
            config.endpoint = endpoint;
            config.baud = kBaud;
            config.link = version;
            sim::atol::AtolSimulator simulator(config);
            auto r = run(version == drivers::atol::LinkVersion::V3 ? "atol v3" : "atol v2", simulator, "atol",
                         "status_cache_ms=" + cache, receipts, true);
            if (!r) return 1;
            rows.push_back(*r);
        }
    }
    std::printf("\n%d receipts each, %s, %u baud both ways, status_cache_ms=%s%s\n", receipts, link.c_str(), kBaud,
                cache.c_str(), extra.c_str());
    std::printf("family   bytes_host  bytes_device  frames  median_ms  floor_ms  median_ratio  (min-max)\n");
    for (const auto& r : rows)
        std::printf("%-8s %10llu  %12llu  %6llu  %9.1f  %8.1f  %12.3f  (%.3f-%.3f)\n", r.family.c_str(),
                    static_cast<unsigned long long>(r.bytes_host), static_cast<unsigned long long>(r.bytes_device),
                    static_cast<unsigned long long>(r.frames), r.ms, r.floor_ms, r.ratio, r.ratio_min, r.ratio_max);
    return 0;
}
