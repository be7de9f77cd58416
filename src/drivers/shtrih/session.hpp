// The host side of the Shtrih link exchange without I/O (shared/spec/protocols.md §1.3): ENQ/ACK/NAK,
// retries, per-command answer timeouts (§1.11) and recovery of an answer lost on the wire
// ("ENQ answered by ACK: an answer is waiting"). One request in flight. The owner feeds it bytes
// and timer expiries and carries out the actions it returns; tests do that with virtual time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "drivers/session_runner.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/frame.hpp"

namespace kassa::drivers::shtrih {

struct SessionConfig {
    // Wait for a control byte after ENQ or after our frame, and between bytes of an answer frame.
    // The device's own byte timeout is 50 ms (§1.1); the host allows for USB/TCP latency.
    std::chrono::milliseconds control_timeout{500};
    int max_enq = 10;          // ENQ attempts without any reply, and ENQ recoveries per exchange
    int max_frame_naks = 10;   // resends of our frame on NAK
    int max_bad_answers = 10;  // answers re-read after a bad LRC or a broken frame
    // §1.3 step 1 asks with ENQ before every command. That ENQ can only find something when the last
    // exchange did not end cleanly: once we have ACKed the answer to our own command, the device is
    // idle by the protocol (§1.3, device side), so by default the next frame goes at once, saving a
    // turnaround per command (issue 12, bench/README.md). A device restarted meanwhile that waits for
    // ENQ leaves the frame unacknowledged; the session then asks with ENQ (step 2) as after any lost
    // ACK, so nothing is sent twice. true: ENQ before every command.
    bool enq_before_every_command = false;
    // Replaces the §1.11 table (for tests that make a device stall); nullopt = the table.
    std::optional<std::chrono::milliseconds> answer_timeout;
};

// The actions are the shared runner's (drivers/session_runner.hpp), which carries them out.
using drivers::SessionAction;
using drivers::SessionActions;

class Session final : public LinkSession {
  public:
    explicit Session(SessionConfig config = {});

    // Begins one exchange: ENQ, then the frame, then the answer. Fails at once when busy.
    SessionActions start(const Request& request);
    // ENQ only: if the device holds an undelivered answer (ACK) it is read and returned;
    // if it is idle (NAK) the exchange completes with error code "nothing_pending".
    SessionActions start_recovery();

    SessionActions on_bytes(std::span<const std::uint8_t> bytes) override;
    SessionActions on_timeout() override;

    bool busy() const { return state_ != State::Idle; }
    // Drops the exchange in flight (the owner lost the link); the next start() begins afresh.
    void abort() {
        state_ = State::Idle;
        clean_ = false;
        stale_possible_ = true;
        decoder_.reset();
    }
    // Whether our frame may have reached the device in the current / last exchange: a failure
    // after that is "maybe executed" for a fiscal command.
    bool frame_sent() const { return frame_sent_; }

  private:
    enum class State : std::uint8_t { Idle, WaitEnqReply, WaitFrameAck, WaitAnswer, DrainStale, QuietAfterNak };
    // Why the ENQ went out: before our frame, after it (recovering its answer), or recovery only.
    enum class Phase : std::uint8_t { Before, After, RecoveryOnly };

    void send_enq(SessionActions& out, Phase phase);
    void send_frame(SessionActions& out);
    void on_nak_before_frame(SessionActions& out);
    void wait_answer(SessionActions& out, State state);
    void complete(SessionActions& out, Result<Bytes> result);
    void fail_link(SessionActions& out, const char* what);
    void handle(SessionActions& out, const LinkEvent& e);
    void handle_answer_frame(SessionActions& out, Bytes body);
    void handle_bad_answer(SessionActions& out);
    bool answers_request(const Bytes& body) const;
    std::chrono::milliseconds answer_wait() const;

    SessionConfig config_;
    State state_ = State::Idle;
    Phase phase_ = Phase::Before;
    FrameDecoder decoder_;
    Bytes frame_;
    std::uint16_t code_ = 0;
    bool recovery_only_ = false;
    bool frame_sent_ = false;
    bool clean_ = false;  // the last exchange ended with our ACK to its answer: the device is idle
    // A reply the device owes us may still be on its way: an ENQ or a frame went unanswered within
    // its timeout (a slow or busy device answers it later), or a stale answer turned up. Such a
    // late NAK, read as the answer to a newer ENQ or frame, would make us send a command the device
    // has already run (the issue 12 flake). While this holds, a NAK sends the frame (again) only
    // once the line has been quiet for a control timeout; it clears when it has.
    bool stale_possible_ = false;
    int enq_silent_ = 0;  // ENQs in a row without a reply
    int enq_total_ = 0;   // ENQ recoveries in this exchange
    int frame_naks_ = 0;
    int bad_answers_ = 0;
};

}  // namespace kassa::drivers::shtrih
