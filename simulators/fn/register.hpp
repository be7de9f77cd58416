// What a family's simulator plugs into the shared server (server.hpp): its link protocol over its
// device, which keeps its fiscal documents in the shared emulated FN (fn.hpp). The Shtrih one is
// simulators/shtrih (SimLink over SimDevice); an ATOL one implements the same interface.
// The server calls it from one I/O thread, under its mutex; nothing here needs to be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim {

class SimulatedRegister {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Bytes = std::vector<std::uint8_t>;
    virtual ~SimulatedRegister() = default;

    // ---- the link: bytes from the host in, bytes to send back out ----
    virtual Bytes on_bytes(std::span<const std::uint8_t> bytes, TimePoint now) = 0;
    // Time passing: a delayed answer becomes due, a half-received frame times out.
    virtual Bytes on_tick(TimePoint now) = 0;
    virtual std::optional<TimePoint> next_deadline() const = 0;
    // A fault cut the power: the server stops answering (TCP peers see the connection drop).
    virtual bool powered_off() const = 0;
    // A new host connection (TCP accept).
    virtual void reset_line() = 0;
    // Command frames received so far (line statistics).
    virtual std::uint64_t frames_received() const = 0;

    // ---- the device ----
    virtual const FnState& fn() const = 0;
    virtual const std::vector<std::string>& tape() const = 0;
    // The operator loads a paper roll (paper.hpp).
    virtual void load_paper() = 0;
};

// Builds the family's register over an FN state (loaded or fresh) once the server starts.
struct RegisterContext {
    FnState state;
    std::string state_file;  // empty = in memory only
    const Clock& clock;
    bool tcp = false;  // served over TCP (some families' devices behave differently there)
};
using RegisterFactory = std::function<std::unique_ptr<SimulatedRegister>(RegisterContext context)>;

}  // namespace kassa::sim
