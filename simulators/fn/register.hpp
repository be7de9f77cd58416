// What a family's simulator plugs into the shared server (server.hpp): its link protocol over its
// device, which keeps its fiscal documents in the shared emulated FN (fn.hpp). The Shtrih one is
// simulators/shtrih (SimLink over SimDevice); the ATOL one simulators/atol (AtolSimLink over
// AtolSimDevice).
// The server calls it from one I/O thread, under its mutex; nothing here needs to be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
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
    // The operator loads a paper roll / the roll runs out (paper.hpp).
    virtual void load_paper() = 0;
    virtual void run_out_of_paper() = 0;
    // The OFD acknowledges each document this long after it was formed (EmulatedFn::set_ofd_ack_after).
    virtual void set_ofd_ack_after(std::optional<std::chrono::milliseconds> after) = 0;
};

// The register of a family whose simulator is a device (the command layer over the FN) and a link
// over it (the Shtrih SimDevice + SimLink, the ATOL AtolSimDevice + AtolSimLink): forwards the
// line to the link and the operator to the device. Construct it with the device's arguments, then
// make_link() with the link's (after the device: the link holds a reference to it).
//   Link: on_bytes(bytes, now), on_tick(now), next_deadline(), powered_off(), reset_line(),
//         frames_received().   Device: fn(), tape(), load_paper(), run_out_of_paper().
template <typename Device, typename Link>
class LinkedRegister final : public SimulatedRegister {
  public:
    template <typename... DeviceArgs>
    explicit LinkedRegister(DeviceArgs&&... args) : device_(std::forward<DeviceArgs>(args)...) {}
    template <typename... LinkArgs>
    Link& make_link(LinkArgs&&... args) {
        return link_.emplace(device_, std::forward<LinkArgs>(args)...);
    }

    Bytes on_bytes(std::span<const std::uint8_t> bytes, TimePoint now) override { return link_->on_bytes(bytes, now); }
    Bytes on_tick(TimePoint now) override { return link_->on_tick(now); }
    std::optional<TimePoint> next_deadline() const override { return link_->next_deadline(); }
    bool powered_off() const override { return link_->powered_off(); }
    void reset_line() override { link_->reset_line(); }
    std::uint64_t frames_received() const override { return link_->frames_received(); }
    const FnState& fn() const override { return device_.fn(); }
    const std::vector<std::string>& tape() const override { return device_.tape(); }
    void load_paper() override { device_.load_paper(); }
    void run_out_of_paper() override { device_.run_out_of_paper(); }
    void set_ofd_ack_after(std::optional<std::chrono::milliseconds> after) override {
        device_.emulated_fn().set_ofd_ack_after(after);
    }

  private:
    Device device_;
    std::optional<Link> link_;
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
