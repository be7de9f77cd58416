// kassa-sim-atol: a simulated ATOL register on a pty or a loopback TCP port (the Shtrih one is
// kassa-sim; a second binary keeps each family's options its own).
//
//   kassa-sim-atol --pty [--link PATH] | --tcp HOST:PORT
//                  [--protocol v3|v2] [--state FILE] [--faults FILE]   (faults.hpp: the script)
//
// When it serves, it prints one line on stdout, e.g. "kassa-sim-atol ready tcp 127.0.0.1:40123" or
// "kassa-sim-atol ready pty /dev/pts/5", so callers await that line instead of sleeping.
// SIGINT/SIGTERM stop it (exit 0); the power-cut fault stops it with exit code 3 after the FN
// state file was written. SIGUSR1 = "the operator loaded paper"; it answers "kassa-sim-atol paper
// loaded". Signals only write their number into a pipe (self-pipe); the main thread does the work.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "common/uri.hpp"
#include "simulators/atol/server.hpp"

namespace {

int usage() {
    std::cerr << "usage: kassa-sim-atol --pty [--link PATH] | --tcp HOST:PORT [--protocol v3|v2] [--state FILE] "
                 "[--faults FILE]\n";
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
    using kassa::sim::atol::AtolSimulatorConfig;
    AtolSimulatorConfig config;
    bool endpoint_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--pty") {
            config.endpoint = AtolSimulatorConfig::Endpoint::Pty;
            endpoint_given = true;
        } else if (a == "--tcp") {
            const char* v = value();
            if (!v) return usage();
            auto hp = kassa::parse_host_port(v);
            if (!hp) {
                std::cerr << "kassa-sim-atol: " << hp.error().message << "\n";
                return 2;
            }
            config.endpoint = AtolSimulatorConfig::Endpoint::Tcp;
            config.host = hp->host;
            config.port = hp->port;
            endpoint_given = true;
        } else if (a == "--link" || a == "--state" || a == "--protocol" || a == "--faults") {
            const char* v = value();
            if (!v) return usage();
            const std::string s = v;
            if (a == "--link") config.pty_link = s;
            if (a == "--state") config.state_file = s;
            if (a == "--protocol") {
                if (s != "v2" && s != "v3") return usage();
                config.link = s == "v2" ? kassa::drivers::atol::LinkVersion::V2 : kassa::drivers::atol::LinkVersion::V3;
            }
            if (a == "--faults") {
                auto f = kassa::sim::atol::AtolFaults::load(s);
                if (!f) {
                    std::cerr << "kassa-sim-atol: " << f.error().message << "\n";
                    return 2;
                }
                config.faults = std::move(*f);
            }
        } else {
            return usage();
        }
    }
    if (!endpoint_given) return usage();

    kassa::sim::atol::AtolSimulator sim(std::move(config));
    auto ready = sim.start();
    if (!ready) {
        std::cerr << "kassa-sim-atol: " << ready.error().message << "\n";
        return 1;
    }
    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
        std::cerr << "kassa-sim-atol: pipe failed\n";
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (const int s : {SIGINT, SIGTERM, SIGUSR1}) ::sigaction(s, &sa, nullptr);
    std::cout << "kassa-sim-atol ready " << *ready << std::endl;

    // A power cut ends the serve loop: it wakes the main thread through the same pipe.
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
            std::cout << "kassa-sim-atol paper loaded" << std::endl;
            continue;
        }
        break;  // SIGINT, SIGTERM, power cut, or a broken pipe
    }
    const bool cut = sim.powered_off();
    sim.stop();
    waiter.join();
    return cut ? 3 : 0;
}
