// The device side of the Shtrih link exchange (shared/spec/protocols.md §1.3), without I/O:
// ENQ → NAK when idle, ACK when an answer is pending or being prepared; a good frame → ACK,
// execute, answer frame; a bad frame → NAK; host NAK → keep the answer until the next ENQ.
// Faults (faults.hpp) act here: on outgoing bytes, received frames, answer timing, power.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "drivers/shtrih/frame.hpp"
#include "simulators/fn/faults.hpp"
#include "simulators/shtrih/device.hpp"

namespace kassa::sim {

class SimLink {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // `tcp_quirk`: send the extra 0xFF after the host's final ACK, as devices do over TCP (§1.1).
    SimLink(SimDevice& device, Faults faults, bool tcp_quirk);

    // Bytes from the host; returns the bytes to send back now.
    Bytes on_bytes(std::span<const std::uint8_t> bytes, TimePoint now);
    // Time passing: a stalled answer becomes due, a half-received frame times out.
    Bytes on_tick(TimePoint now);
    std::optional<TimePoint> next_deadline() const;
    bool powered_off() const { return powered_off_; }
    // A device that takes this long to answer every command (ACK at once, the answer later; ENQ
    // meanwhile gets ACK, §1.3). Zero = at once.
    void set_answer_latency(std::chrono::microseconds latency) { latency_ = latency; }
    std::uint64_t frames_received() const { return frames_received_; }
    // A new host connection (TCP accept): a half-received frame is dropped.
    void reset_line() { decoder_.reset(); }

    static constexpr std::chrono::milliseconds kByteTimeout{500};

  private:
    Bytes emit(const Bytes& raw);
    void execute(const Bytes& body, TimePoint now, Bytes& out);

    SimDevice& device_;
    Faults faults_;
    bool tcp_quirk_;
    drivers::shtrih::FrameDecoder decoder_;
    Bytes answer_frame_;  // the last answer, kept until the host ACKs it
    bool answer_unacked_ = false;
    std::optional<TimePoint> answer_due_;  // stalled: the answer goes out at this time
    std::optional<TimePoint> busy_until_;  // slow_ack: the line is read again at this time
    Bytes unread_;                         // slow_ack: what arrived meanwhile, in order
    Bytes due_body_;
    TimePoint last_rx_{};
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t frames_received_ = 0;
    bool powered_off_ = false;
    std::chrono::microseconds latency_{0};
};

}  // namespace kassa::sim
