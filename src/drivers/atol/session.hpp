// The host side of the ATOL link exchange without I/O, one request in flight, for either link
// version (shared/spec/protocols.md §2.3, §2.4). The owner feeds bytes and timer expiries and carries
// out the actions; tests do that on virtual time. A request is an application message (§2.1); the
// exchange completes with the device's application answer (`55 err …`, `44 …`) or a link error:
//   "no_connection"    nothing reached the device (safe to repeat)
//   "link_lost"        the request may have reached the device: it may have run
//   "device_busy"      v3: the task buffer is full (nothing added)
//   "bad_request"      v3: the device called a task value illegal (B4h)
//   "nothing_pending"  start_recovery() found no result to collect
//   "busy"             a request is already in flight
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "drivers/atol/commands.hpp"
#include "drivers/atol/frame.hpp"
#include "drivers/session_runner.hpp"

namespace kassa::drivers::atol {

struct SessionConfig {
    // v2: T1 (ENQ → ACK), T4 (frame → ACK), T7 (pause after NAK or collision) (§2.3).
    // v3: the wait for the answer packet with the same id (§2.4.1).
    std::chrono::milliseconds control_timeout{500};
    // v2: T2, the device's ACK → STX wait, and T6 between bytes of its frame.
    std::chrono::milliseconds frame_timeout{2000};
    int max_enq = 5;       // v2: ENQ attempts (§2.3 step 1)
    int max_resends = 10;  // v2: frame resends on NAK/timeout; v3: resends of one packet
    int max_bad = 10;      // corrupt answers asked again
    // v3: the wait between Req polls while a task runs (the device may push the result sooner).
    std::chrono::milliseconds poll_interval{100};
    // Replaces the per-command table (v2 T5; v3 the whole wait for a result), for tests.
    std::optional<std::chrono::milliseconds> answer_timeout;
};

// The actions are the shared runner's (drivers/session_runner.hpp), which carries them out.
using drivers::SessionAction;
using drivers::SessionActions;

// Bytes and timer expiries come through LinkSession::on_bytes / on_timeout (the shared runner).
class Session : public LinkSession {
  public:
    // Begins one exchange for the request. Fails at once ("busy") when one is in flight.
    virtual SessionActions start(const Request& request) = 0;
    // Collects the result of the last request if the device still holds it (v3 Req); v2 devices
    // lose it (§2.3), so v2 completes with "nothing_pending".
    virtual SessionActions start_recovery() = 0;
    virtual bool busy() const = 0;
    // Drops the exchange in flight (the owner lost the link).
    virtual void abort() = 0;
    // Whether the request of the current / last exchange may have reached the device.
    virtual bool request_sent() const = 0;
    // Bytes to send once after the port opens (v3: Abort, to clear stale tasks (§2.4.3)); the
    // owner sends them before the first start() and ignores what comes back.
    virtual Bytes greeting() { return {}; }
};

// §2.3: ENQ/ACK, the frame, EOT; then the device's ENQ, our ACK, its frame, our ACK.
class V2Session final : public Session {
  public:
    explicit V2Session(SessionConfig config = {});
    SessionActions start(const Request& request) override;
    SessionActions start_recovery() override;
    SessionActions on_bytes(std::span<const std::uint8_t> bytes) override;
    SessionActions on_timeout() override;
    bool busy() const override { return state_ != State::Idle; }
    void abort() override;
    bool request_sent() const override { return sent_; }

  private:
    enum class State : std::uint8_t { Idle, WaitEnqAck, Pause, WaitFrameAck, WaitAnswerEnq, WaitAnswerFrame };
    void send_enq(SessionActions& out);
    void send_frame(SessionActions& out);
    void complete(SessionActions& out, Result<Bytes> result);
    void handle(SessionActions& out, const V2Event& e);
    void bad_answer(SessionActions& out);

    SessionConfig config_;
    State state_ = State::Idle;
    V2Decoder decoder_;
    Bytes frame_;
    std::uint8_t code_ = 0;
    bool sent_ = false;
    int enqs_ = 0;
    int resends_ = 0;
    int bad_ = 0;
};

// §2.4: each request becomes a task (Add, or AckAdd to free the previous result); the result comes
// in the reply, in an asynchronous F0h packet, or through Req polls. A lost reply is repaired by
// resending the same packet id; a repeated Add answered "already exists" turns into Req, so a task
// runs once.
class V3Session final : public Session {
  public:
    explicit V3Session(SessionConfig config = {});
    SessionActions start(const Request& request) override;
    SessionActions start_recovery() override;
    SessionActions on_bytes(std::span<const std::uint8_t> bytes) override;
    SessionActions on_timeout() override;
    bool busy() const override { return state_ != State::Idle; }
    void abort() override;
    bool request_sent() const override { return sent_; }
    Bytes greeting() override;

    std::uint8_t last_tid() const { return tid_; }

  private:
    enum class State : std::uint8_t { Idle, WaitReply, WaitResult };
    enum class Phase : std::uint8_t { Add, Poll, Clear, Recover };
    void send_packet(SessionActions& out, const TaskCommand& command, Phase phase);
    void resend(SessionActions& out);
    void poll(SessionActions& out);
    void complete(SessionActions& out, Result<Bytes> result);
    void handle_reply(SessionActions& out, const V3Packet& p);
    void handle_async(SessionActions& out, const V3Packet& p);
    void fail_link(SessionActions& out, const char* what);
    int max_polls() const;

    SessionConfig config_;
    State state_ = State::Idle;
    Phase phase_ = Phase::Add;
    V3Decoder decoder_;
    Bytes packet_;  // the packet in flight, for resends
    Bytes payload_;
    std::uint8_t code_ = 0;
    std::uint8_t id_ = kMaxHostId;  // the first packet gets id 00
    std::uint8_t tid_ = 0;
    std::optional<std::uint8_t> unacked_;  // a result the device still keeps for us
    bool sent_ = false;
    bool cleared_ = false;  // one Abort per exchange when the queue is stopped
    int resends_ = 0;
    int bad_ = 0;
    int polls_ = 0;
};

std::unique_ptr<Session> make_session(LinkVersion version, SessionConfig config = {});

}  // namespace kassa::drivers::atol
