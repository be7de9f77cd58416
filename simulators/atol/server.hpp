// The ATOL simulator as an object: the shared simulator server (simulators/fn/server.hpp: pty or
// loopback TCP, the 8N1 line model with `baud` both ways) serving the ATOL register: the link
// (link.hpp, v3 or v2) over the device (device.hpp), its faults (the ATOL ones of
// simulators/fn/faults.hpp) and its answer latency. The same shape as simulators/shtrih/server.hpp.
#pragma once

#include <chrono>

#include "drivers/atol/frame.hpp"
#include "simulators/fn/faults.hpp"
#include "simulators/fn/server.hpp"

namespace kassa::sim::atol {

struct AtolSimulatorConfig : ServerConfig {
    drivers::atol::LinkVersion link = drivers::atol::LinkVersion::V3;  // a register option: v3 or v2
    Faults faults;                                                     // only the kAtolFaults kinds act
    std::chrono::microseconds answer_latency{0};                       // the device's own time to run every task
};

// The ATOL register for Simulator: AtolSimLink over AtolSimDevice.
RegisterFactory atol_register(drivers::atol::LinkVersion link, Faults faults, std::chrono::microseconds answer_latency);

// device_uri() carries the link version for the driver: "tcp://127.0.0.1:40123?link=v3" or
// "serial:///dev/pts/5?baud=115200&link=v3".
class AtolSimulator final : public Simulator {
  public:
    explicit AtolSimulator(AtolSimulatorConfig config);
};

}  // namespace kassa::sim::atol
