// The Shtrih simulator as an object: the shared simulator server (simulators/fn/server.hpp) with
// the Shtrih link protocol (link.hpp) over the Shtrih device (device.hpp), its faults and its
// answer latency.
#pragma once

#include <chrono>

#include "simulators/fn/faults.hpp"
#include "simulators/fn/server.hpp"

namespace kassa::sim {

struct SimulatorConfig : ServerConfig {
    Faults faults;
    std::chrono::microseconds answer_latency{0};  // the device's own time to answer every command
};

// The Shtrih register for Simulator: SimLink over SimDevice.
RegisterFactory shtrih_register(Faults faults, std::chrono::microseconds answer_latency);

class ShtrihSimulator final : public Simulator {
  public:
    explicit ShtrihSimulator(SimulatorConfig config)
        : Simulator(config, shtrih_register(config.faults, config.answer_latency)) {}
};

}  // namespace kassa::sim
