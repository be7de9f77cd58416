// The ATOL register the shared simulator server serves (simulators/fn/register.hpp).
#include "simulators/atol/device.hpp"
#include "simulators/atol/link.hpp"
#include "simulators/atol/server.hpp"

namespace kassa::sim::atol {

RegisterFactory atol_register(drivers::atol::LinkVersion link, Faults faults,
                              std::chrono::microseconds answer_latency) {
    return [link, faults = std::move(faults), answer_latency](RegisterContext c) -> std::unique_ptr<SimulatedRegister> {
        auto reg = std::make_unique<LinkedRegister<AtolSimDevice, AtolSimLink>>(
            std::move(c.state), std::move(c.state_file), c.clock, faults.paper_out_after);
        reg->make_link(link, faults, answer_latency);
        return reg;
    };
}

namespace {

AtolSimulatorConfig with_link_query(AtolSimulatorConfig config) {
    config.device_uri_query = config.link == drivers::atol::LinkVersion::V2 ? "link=v2" : "link=v3";
    return config;
}

}  // namespace

AtolSimulator::AtolSimulator(AtolSimulatorConfig config)
    : Simulator(with_link_query(config), atol_register(config.link, config.faults, config.answer_latency)) {}

}  // namespace kassa::sim::atol
