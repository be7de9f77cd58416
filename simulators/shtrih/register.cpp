// The Shtrih register the shared simulator server serves (simulators/fn/register.hpp).
#include "simulators/shtrih/device.hpp"
#include "simulators/shtrih/link.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::sim {

RegisterFactory shtrih_register(Faults faults, std::chrono::microseconds answer_latency) {
    return [faults = std::move(faults), answer_latency](RegisterContext c) -> std::unique_ptr<SimulatedRegister> {
        auto reg = std::make_unique<LinkedRegister<SimDevice, SimLink>>(std::move(c.state), std::move(c.state_file),
                                                                        c.clock, faults);
        reg->make_link(faults, c.tcp).set_answer_latency(answer_latency);
        return reg;
    };
}

}  // namespace kassa::sim
