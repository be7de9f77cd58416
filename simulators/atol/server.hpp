// The ATOL simulator as an object: serves one register (AtolSimDevice + AtolSimLink) on a pty
// (posix_openpt; the slave path is what a driver opens as serial://<path>) or on a TCP port on
// loopback (port 0: the system picks one). One I/O thread; the FN state file is written after every
// fiscal document. The same shape as simulators/shtrih/server.hpp, so tests treat both alike.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "drivers/atol/frame.hpp"
#include "simulators/atol/faults.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim::atol {

struct AtolSimulatorConfig {
    enum class Endpoint : std::uint8_t { Pty, Tcp };
    Endpoint endpoint = Endpoint::Tcp;
    std::string host = "127.0.0.1";  // TCP: loopback only
    std::uint16_t port = 0;          // TCP: 0 = any free port
    std::string pty_link;            // pty: optional symlink to the slave path
    std::string state_file;          // empty = FN in memory only; created when missing
    drivers::atol::LinkVersion link = drivers::atol::LinkVersion::V3;
    AtolFaults faults;             // the fault script (faults.hpp)
    const Clock* clock = nullptr;  // the register's wall clock; default system
    // Registration of a fresh FN (ignored when the state file exists): empty = defaults of FnState.
    std::string inn;
    std::string fn_serial;
};

class AtolSimulator {
  public:
    explicit AtolSimulator(AtolSimulatorConfig config);
    ~AtolSimulator();
    AtolSimulator(const AtolSimulator&) = delete;
    AtolSimulator& operator=(const AtolSimulator&) = delete;

    // Opens the endpoint and starts serving. Returns the ready line's tail:
    // "tcp 127.0.0.1:40123" or "pty /dev/pts/5".
    Result<std::string> start();
    void stop();
    // Blocks until stop() or a power cut.
    void wait();

    // "tcp://127.0.0.1:40123?link=v3" or "serial:///dev/pts/5?baud=115200&link=v3".
    std::string device_uri() const;
    bool powered_off() const { return powered_off_.load(); }
    FnState fn_snapshot() const;
    std::vector<std::string> tape_snapshot() const;
    // The operator: the roll runs out / a new roll goes in. Thread-safe.
    void run_out_of_paper();
    void load_paper();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> powered_off_{false};
};

}  // namespace kassa::sim::atol
