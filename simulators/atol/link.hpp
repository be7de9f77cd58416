// The device side of both ATOL link layers, without I/O (shared/spec/protocols.md §2.3, §2.4):
//   v3: the task buffer. Add/AckAdd runs the task at once, answers A1h (queued) and pushes the result
//       in an F0h packet (A6h/A7h TID answer); Req answers A3h/A4h with the result, A2h never (tasks
//       finish at once), B3h for an unknown TID; an Add with a TID already held answers B2h and
//       runs nothing; Ack frees a result; Abort clears the buffer. A packet repeated with the same
//       id gets the same answer again without running anything (§2.4.3 "lost answer"). An empty
//       packet from the host, or a corrupt one, is answered by resending the last answer.
//   v2: ENQ → ACK; frame → ACK and execution; EOT → ENQ; ACK → the answer frame; ACK → EOT; NAK →
//       the answer frame again. A corrupt frame → NAK.
// Faults (faults.hpp) act on the answers as they leave.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "drivers/atol/frame.hpp"
#include "simulators/atol/device.hpp"
#include "simulators/atol/faults.hpp"

namespace kassa::sim::atol {

class AtolSimLink {
  public:
    AtolSimLink(AtolSimDevice& device, drivers::atol::LinkVersion version, AtolFaults faults = {});

    // Bytes from the host; returns the bytes to send back.
    Bytes on_bytes(std::span<const std::uint8_t> bytes);
    // A new host connection: a half-received packet is dropped (the task buffer survives).
    void reset_line();
    std::uint64_t requests_run() const { return requests_run_; }

  private:
    void v3_packet(const drivers::atol::V3Packet& p, Bytes& out);
    void v2_event(const drivers::atol::V2Event& e, Bytes& out);
    Bytes run(std::span<const std::uint8_t> request);
    // One answer leaves the device: the fault script may drop it or flip its last byte.
    void emit(Bytes answer, Bytes& out);

    AtolSimDevice& device_;
    drivers::atol::LinkVersion version_;
    drivers::atol::V3Decoder v3_;
    drivers::atol::V2Decoder v2_;
    // v3
    struct Task {
        Bytes answer;
        bool error = false;
    };
    std::map<std::uint8_t, Task> tasks_;
    std::optional<std::uint8_t> last_id_;
    Bytes last_packet_;                      // the host packet last_id_ carried
    Bytes last_reply_;                       // our answer to it, sent again on a repeat or an empty/corrupt packet
    std::optional<std::uint8_t> delivered_;  // the TID whose result went out last (AckAdd frees it)
    // v2
    enum class V2State : std::uint8_t { Idle, Executed, Announced, Sent };
    V2State v2_state_ = V2State::Idle;
    Bytes v2_answer_;
    std::uint64_t requests_run_ = 0;
    AtolFaults faults_;
    std::uint64_t answers_ = 0;
};

}  // namespace kassa::sim::atol
