// kassa-sim: a simulated register (Shtrih-M, or ATOL with --family atol) on a pty or a loopback
// TCP port. Both families are served by the same server (simulators/fn/server.hpp) and this one
// command line; only the register behind it differs.
//
//   kassa-sim [--family shtrih|atol] [--protocol v3|v2] --pty [--link PATH] | --tcp HOST:PORT
//             [--state FILE] [--faults FILE] [--baud N] [--latency-ms N] [--clock-file FILE]
//             [--inn DIGITS] [--rnm DIGITS] [--fn-serial 16CHARS] [--tax-systems MASK]
//             [--ofd-ack-after-ms N]
// (registration options apply when the state file is created; --protocol: the ATOL link version,
// v3 by default; --faults: simulators/fn/faults.hpp, the family's faults only.)
// --baud N models an 8N1 line of N baud both ways; --latency-ms N: the device takes N ms to answer
// every command (real registers: a few ms for status, more for printing).
// --ofd-ack-after-ms N: an OFD acknowledges each fiscal document N ms (register clock) after it was
// formed, so the register's OFD backlog drains as a connected one's does; without it, it only grows.
//
// When it serves, it prints one line on stdout, e.g. "kassa-sim ready tcp 127.0.0.1:40123" or
// "kassa-sim ready pty /dev/pts/5", so callers await that line instead of sleeping.
// --clock-file holds a number of seconds added to the system clock (re-read on every command):
// tests move the register's clock with it (24 h shift expiry). SIGINT/SIGTERM stop it (exit 0);
// a "power cut" fault stops it with exit code 3, after the FN state file was written.
// SIGUSR1 = "the operator loaded paper" (Shtrih §1.7: sub-mode 1 → 0, or 2 → 3 awaiting B0h); it
// answers with the line "kassa-sim paper loaded" once done, so callers await that line.
// Signals only write their number into a pipe (self-pipe); the main thread does the work.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "common/uri.hpp"
#include "simulators/atol/server.hpp"
#include "simulators/shtrih/server.hpp"

namespace {

// The system clock moved by the number of seconds in a file.
class OffsetClock final : public kassa::Clock {
  public:
    explicit OffsetClock(std::string path) : path_(std::move(path)) {}
    time_point now() const override { return std::chrono::system_clock::now() + std::chrono::seconds{offset()}; }
    std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }

  private:
    long long offset() const {
        std::ifstream in(path_);
        long long s = 0;
        if (in >> s) return s;
        return 0;
    }
    std::string path_;
};

int usage() {
    std::cerr << "usage: kassa-sim [--family shtrih|atol] [--protocol v3|v2] --pty [--link PATH] | --tcp HOST:PORT "
                 "[--state FILE] [--faults FILE] "
                 "[--baud N] [--latency-ms N] [--clock-file FILE] [--inn DIGITS] [--rnm DIGITS] [--fn-serial 16CHARS] "
                 "[--tax-systems MASK] [--ofd-ack-after-ms N]\n";
    return 2;
}

int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int signo) {
    const int saved = errno;
    const auto b = static_cast<unsigned char>(signo);
    (void)!::write(g_signal_pipe[1], &b, 1);
    errno = saved;
}

}  // namespace

int main(int argc, char** argv) {
    kassa::sim::atol::AtolSimulatorConfig config;  // ServerConfig + the faults, latency (and ATOL link)
    std::string clock_file;
    std::string family = "shtrih";
    std::string faults_file;
    bool endpoint_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--pty") {
            config.endpoint = kassa::sim::SimulatorConfig::Endpoint::Pty;
            endpoint_given = true;
        } else if (a == "--tcp") {
            const char* v = value();
            if (!v) return usage();
            auto hp = kassa::parse_host_port(v);
            if (!hp) {
                std::cerr << "kassa-sim: " << hp.error().message << "\n";
                return 2;
            }
            config.endpoint = kassa::sim::SimulatorConfig::Endpoint::Tcp;
            config.host = hp->host;
            config.port = hp->port;
            endpoint_given = true;
        } else if (a == "--link") {
            const char* v = value();
            if (!v) return usage();
            config.pty_link = v;
        } else if (a == "--state") {
            const char* v = value();
            if (!v) return usage();
            config.state_file = v;
        } else if (a == "--family") {
            const char* v = value();
            if (!v || (std::string(v) != "shtrih" && std::string(v) != "atol")) return usage();
            family = v;
        } else if (a == "--protocol") {
            const char* v = value();
            if (!v || (std::string(v) != "v2" && std::string(v) != "v3")) return usage();
            config.link =
                std::string(v) == "v2" ? kassa::drivers::atol::LinkVersion::V2 : kassa::drivers::atol::LinkVersion::V3;
        } else if (a == "--faults") {
            const char* v = value();
            if (!v) return usage();
            faults_file = v;
        } else if (a == "--baud") {
            const char* v = value();
            if (!v) return usage();
            config.baud = static_cast<unsigned>(std::stoul(v));
        } else if (a == "--latency-ms") {
            const char* v = value();
            if (!v) return usage();
            config.answer_latency = std::chrono::milliseconds{std::stoul(v)};
        } else if (a == "--inn" || a == "--rnm" || a == "--fn-serial" || a == "--tax-systems") {
            const char* v = value();
            if (!v) return usage();
            if (a == "--inn") config.inn = v;
            if (a == "--rnm") config.rnm = v;
            if (a == "--fn-serial") config.fn_serial = v;
            if (a == "--tax-systems") config.tax_systems = static_cast<std::uint8_t>(std::stoul(v, nullptr, 0));
        } else if (a == "--ofd-ack-after-ms") {
            const char* v = value();
            if (!v) return usage();
            const std::string ms = v;
            if (ms.empty() || ms.size() > 9 || ms.find_first_not_of("0123456789") != std::string::npos) return usage();
            config.ofd_ack_after = std::chrono::milliseconds{std::stol(ms)};
        } else if (a == "--clock-file") {
            const char* v = value();
            if (!v) return usage();
            clock_file = v;
        } else {
            return usage();
        }
    }
    if (!endpoint_given) return usage();
    if (!faults_file.empty()) {
        auto f = kassa::sim::Faults::load(
            faults_file, family == "atol" ? std::span<const std::string_view>(kassa::sim::kAtolFaults)
                                          : std::span<const std::string_view>(kassa::sim::kShtrihFaults));
        if (!f) {
            std::cerr << "kassa-sim: " << f.error().message << "\n";
            return 2;
        }
        config.link_cut = f->link_cut;  // the server's fault; the rest are the link's
        config.faults = std::move(*f);
    }
    std::unique_ptr<OffsetClock> clock;
    if (!clock_file.empty()) {
        clock = std::make_unique<OffsetClock>(clock_file);
        config.clock = clock.get();
    }

    std::unique_ptr<kassa::sim::Simulator> simulator;
    if (family == "atol") {
        simulator = std::make_unique<kassa::sim::atol::AtolSimulator>(std::move(config));
    } else {
        kassa::sim::SimulatorConfig shtrih;
        static_cast<kassa::sim::ServerConfig&>(shtrih) = config;
        shtrih.faults = std::move(config.faults);
        shtrih.answer_latency = config.answer_latency;
        simulator = std::make_unique<kassa::sim::ShtrihSimulator>(std::move(shtrih));
    }
    kassa::sim::Simulator& sim = *simulator;
    auto ready = sim.start();
    if (!ready) {
        std::cerr << "kassa-sim: " << ready.error().message << "\n";
        return 1;
    }
    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
        std::cerr << "kassa-sim: pipe failed\n";
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (const int s : {SIGINT, SIGTERM, SIGUSR1}) ::sigaction(s, &sa, nullptr);
    std::cout << "kassa-sim ready " << *ready << std::endl;

    // A power cut ends the simulator's serve loop: it wakes the main thread through the same pipe.
    std::thread waiter([&] {
        sim.wait();
        on_signal(0);
    });
    for (;;) {
        unsigned char signo = 0;
        const ssize_t n = ::read(g_signal_pipe[0], &signo, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n == 1 && signo == SIGUSR1) {
            sim.load_paper();
            std::cout << "kassa-sim paper loaded" << std::endl;
            continue;
        }
        break;  // SIGINT, SIGTERM, power cut, or a broken pipe
    }
    const bool cut = sim.powered_off();
    sim.stop();
    waiter.join();
    return cut ? 3 : 0;
}
