// A simulated register as an object, for every family: serves one register on a pty
// (posix_openpt; the slave path is the device a driver opens as serial://<path>) or on a TCP port on
// loopback (port 0: the system picks one). The family's link protocol and device come from a
// RegisterFactory (register.hpp); this server owns the endpoint, the line model (--baud both ways)
// and the FN state file's creation. kassad's composition root starts one per sim:// register;
// kassa-sim wraps one as a binary. One I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "simulators/fn/faults.hpp"
#include "simulators/fn/register.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim {

struct ServerConfig {
    enum class Endpoint : std::uint8_t { Pty, Tcp };
    Endpoint endpoint = Endpoint::Tcp;
    std::string host = "127.0.0.1";  // TCP: loopback only
    std::uint16_t port = 0;          // TCP: 0 = any free port
    std::string pty_link;            // pty: optional symlink to the slave path
    std::string state_file;          // empty = FN in memory only; created when missing
    unsigned baud = 0;               // > 0: model an 8N1 line of this rate (10 bits a byte) in both directions: a
                                     // byte the host sends is seen one byte time later, the device's bytes leave
                                     // no faster than the line carries them
    const Clock* clock = nullptr;    // wall clock of the register (shift expiry); default system
    std::string device_uri_query;    // what device_uri() adds for the family's driver ("link=v3")
    // Registration of a fresh FN (ignored when the state file exists): empty = defaults of FnState.
    std::string inn;
    std::string rnm;
    std::string fn_serial;
    std::uint8_t tax_systems = 0;  // 1062 bitmask; 0 = all six
    // The cut_link fault (faults.hpp): TCP connections dropped mid-chunk at random (TCP only).
    std::optional<LinkCut> link_cut;
    // An OFD that acknowledges each fiscal document this long after it was formed (on the register's
    // clock), so the backlog drains as with a connected register; nullopt = no OFD: it only grows.
    std::optional<std::chrono::milliseconds> ofd_ack_after;
};

class Simulator {
  public:
    Simulator(ServerConfig config, RegisterFactory factory);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // Opens the endpoint and starts serving. Returns the ready line's tail:
    // "tcp 127.0.0.1:40123" or "pty /dev/pts/5".
    Result<std::string> start();
    void stop();

    // The address a driver uses: "tcp://127.0.0.1:40123" or "serial:///dev/pts/5?baud=115200", with
    // ServerConfig::device_uri_query added.
    std::string device_uri() const;
    // The "power cut" fault fired: the device no longer answers.
    bool powered_off() const { return powered_off_.load(); }
    // Blocks until stop() or a power cut.
    void wait();
    // A copy of the FN as it is now.
    FnState fn_snapshot() const;
    // The operator loads a paper roll (kassa-sim: SIGUSR1) / the roll runs out. Thread-safe.
    void load_paper();
    void run_out_of_paper();
    // What the register has printed so far (service text, barcodes, document summaries).
    std::vector<std::string> tape_snapshot() const;
    // What crossed the line so far (for benchmarks): bytes each way and command frames.
    struct LineStats {
        std::uint64_t bytes_in = 0;
        std::uint64_t bytes_out = 0;
        std::uint64_t frames_in = 0;
        std::uint64_t link_cuts = 0;  // connections the cut_link fault dropped
    };
    LineStats line_stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> powered_off_{false};
};

}  // namespace kassa::sim
