// The Shtrih register the shared simulator server serves (simulators/fn/register.hpp).
#include "simulators/shtrih/device.hpp"
#include "simulators/shtrih/link.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::sim {

namespace {

class ShtrihRegister final : public SimulatedRegister {
  public:
    ShtrihRegister(RegisterContext c, Faults faults, std::chrono::microseconds latency)
        : device_(std::move(c.state), std::move(c.state_file), c.clock, faults), link_(device_, faults, c.tcp) {
        link_.set_answer_latency(latency);
    }
    Bytes on_bytes(std::span<const std::uint8_t> bytes, TimePoint now) override { return link_.on_bytes(bytes, now); }
    Bytes on_tick(TimePoint now) override { return link_.on_tick(now); }
    std::optional<TimePoint> next_deadline() const override { return link_.next_deadline(); }
    bool powered_off() const override { return link_.powered_off(); }
    void reset_line() override { link_.reset_line(); }
    std::uint64_t frames_received() const override { return link_.frames_received(); }
    const FnState& fn() const override { return device_.fn(); }
    const std::vector<std::string>& tape() const override { return device_.tape(); }
    void load_paper() override { device_.load_paper(); }

  private:
    SimDevice device_;
    SimLink link_;
};

}  // namespace

RegisterFactory shtrih_register(Faults faults, std::chrono::microseconds answer_latency) {
    return [faults = std::move(faults), answer_latency](RegisterContext c) -> std::unique_ptr<SimulatedRegister> {
        return std::make_unique<ShtrihRegister>(std::move(c), faults, answer_latency);
    };
}

}  // namespace kassa::sim
