// The device side of both ATOL link layers, without I/O (shared/spec/protocols.md §2.3, §2.4):
//   v3: the task buffer. Add/AckAdd runs the task at once, answers A1h (queued) and pushes the result
//       in an F0h packet (A6h/A7h TID answer); Req answers A3h/A4h with the result, A2h never (tasks
//       finish at once), B3h for an unknown TID; an Add with a TID already held answers B2h and
//       runs nothing; Ack frees a result; Abort clears the buffer. A packet repeated with the same
//       id gets the same answer again without running anything (§2.4.3 "lost answer"). An empty
//       packet from the host, or a corrupt one, is answered by resending the last answer.
//   v2: ENQ → ACK; frame → ACK and execution; EOT → ENQ; ACK → the answer frame; ACK → EOT; NAK →
//       the answer frame again. A corrupt frame → NAK.
// Answer latency: the device takes that long to run every task (v3: A1h at once, the F0h push and a
// Req's A3h/A4h only once it is done, A2h "in progress" before; v2: ACK at once, the ENQ that says
// the answer is ready only once it is done). Zero = at once.
// Faults (simulators/fn/faults.hpp, the ATOL ones) act on the answers as they leave.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>

#include "drivers/atol/frame.hpp"
#include "simulators/atol/device.hpp"
#include "simulators/fn/faults.hpp"

namespace kassa::sim::atol {

class AtolSimLink {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    AtolSimLink(AtolSimDevice& device, drivers::atol::LinkVersion version, Faults faults = {},
                std::chrono::microseconds answer_latency = {});

    // Bytes from the host; returns the bytes to send back now.
    Bytes on_bytes(std::span<const std::uint8_t> bytes, TimePoint now = {});
    // Time passing: a task's result becomes due.
    Bytes on_tick(TimePoint now);
    std::optional<TimePoint> next_deadline() const;
    // The power_cut_after_receipt fault fired: the receipt is in the FN (and its state file), its
    // answer and everything after it never leave.
    bool powered_off() const { return powered_off_; }
    // A new host connection: a half-received packet is dropped (the task buffer survives).
    void reset_line();
    std::uint64_t requests_run() const { return requests_run_; }
    // Good packets (v3) or frames (v2) received from the host.
    std::uint64_t frames_received() const { return frames_received_; }

  private:
    void v3_packet(const drivers::atol::V3Packet& p, TimePoint now, Bytes& out);
    void v2_event(const drivers::atol::V2Event& e, TimePoint now, Bytes& out);
    Bytes run(std::span<const std::uint8_t> request);
    // One answer leaves the device: the fault script may drop it or flip its last byte. `later`
    // (v3: the F0h push of a task still running) goes out at `due` as part of the same answer.
    void emit(Bytes answer, Bytes& out, Bytes later = {}, TimePoint due = {});

    AtolSimDevice& device_;
    drivers::atol::LinkVersion version_;
    drivers::atol::V3Decoder v3_;
    drivers::atol::V2Decoder v2_;
    // v3
    struct Task {
        Bytes answer;
        bool error = false;
        TimePoint done{};  // the result exists from then on (answer latency)
    };
    struct Push {
        TimePoint due;
        Bytes bytes;
    };
    std::deque<Push> pushes_;  // F0h pushes of running tasks, in order
    std::map<std::uint8_t, Task> tasks_;
    std::optional<std::uint8_t> last_id_;
    Bytes last_packet_;                      // the host packet last_id_ carried
    Bytes last_reply_;                       // our answer to it, sent again on a repeat or an empty/corrupt packet
    std::optional<std::uint8_t> delivered_;  // the TID whose result went out last (AckAdd frees it)
    // v2
    enum class V2State : std::uint8_t { Idle, Executed, Announced, Sent };
    V2State v2_state_ = V2State::Idle;
    Bytes v2_answer_;
    TimePoint v2_done_{};       // the answer is ready then (answer latency)
    bool v2_enq_owed_ = false;  // the host sent EOT before the answer was ready: ENQ at v2_done_
    std::uint64_t requests_run_ = 0;
    Faults faults_;
    std::chrono::microseconds latency_;
    std::uint64_t answers_ = 0;
    std::uint64_t frames_received_ = 0;
    bool powered_off_ = false;
};

}  // namespace kassa::sim::atol
