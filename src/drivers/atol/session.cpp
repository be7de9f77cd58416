#include "drivers/atol/session.hpp"

#include <algorithm>

namespace kassa::drivers::atol {

namespace {

SessionAction send(Bytes bytes) { return SessionAction{SessionAction::Kind::Send, std::move(bytes), {}, Bytes{}}; }
SessionAction timer(std::chrono::milliseconds t) {
    return SessionAction{SessionAction::Kind::StartTimer, {}, t, Bytes{}};
}
SessionActions busy_now() {
    SessionActions out;
    out.push_back({SessionAction::Kind::Complete, {}, {}, fail("busy", "a request is already in flight")});
    return out;
}

}  // namespace

std::unique_ptr<Session> make_session(LinkVersion version, SessionConfig config) {
    if (version == LinkVersion::V2) return std::make_unique<V2Session>(config);
    return std::make_unique<V3Session>(config);
}

// ---- v2 (§2.3) ----

V2Session::V2Session(SessionConfig config) : config_(config) {}

SessionActions V2Session::start(const Request& request) {
    if (busy()) return busy_now();
    SessionActions out;
    code_ = request.code;
    frame_ = encode_v2_frame(request.encode());
    sent_ = false;
    enqs_ = resends_ = bad_ = 0;
    decoder_.reset();
    if (frame_.empty()) {
        complete(out, fail("bad_request", "request longer than one frame"));
        return out;
    }
    send_enq(out);
    return out;
}

SessionActions V2Session::start_recovery() {
    // A v2 device keeps no result for a later exchange (§2.3 "lost answer").
    SessionActions out;
    if (busy()) return busy_now();
    out.push_back({SessionAction::Kind::Complete, {}, {}, fail("nothing_pending", "v2 keeps no undelivered result")});
    return out;
}

void V2Session::abort() {
    state_ = State::Idle;
    decoder_.reset();
}

void V2Session::send_enq(SessionActions& out) {
    if (++enqs_ > config_.max_enq) {
        // Step 1 gives up with EOT: the device never took the line, nothing was sent.
        out.push_back(send(Bytes{kEot}));
        complete(out, fail("no_connection", "no ACK to ENQ"));
        return;
    }
    state_ = State::WaitEnqAck;
    out.push_back(send(Bytes{kEnq}));
    out.push_back(timer(config_.control_timeout));
}

void V2Session::send_frame(SessionActions& out) {
    state_ = State::WaitFrameAck;
    sent_ = true;
    out.push_back(send(frame_));
    out.push_back(timer(config_.control_timeout));
}

void V2Session::complete(SessionActions& out, Result<Bytes> result) {
    state_ = State::Idle;
    decoder_.reset();
    out.push_back(SessionAction{SessionAction::Kind::Complete, {}, {}, std::move(result)});
}

void V2Session::bad_answer(SessionActions& out) {
    // Step 6: NAK makes the device send the frame again.
    if (++bad_ > config_.max_bad) {
        complete(out, fail("link_lost", "the answer arrived corrupted repeatedly"));
        return;
    }
    decoder_.reset();
    out.push_back(send(Bytes{kNak}));
    out.push_back(timer(config_.frame_timeout));
}

SessionActions V2Session::on_bytes(std::span<const std::uint8_t> bytes) {
    SessionActions out;
    if (!busy()) return out;  // the device's closing EOT and other noise between exchanges
    decoder_.feed(bytes);
    while (auto e = decoder_.next()) {
        handle(out, *e);
        if (!busy()) return out;
    }
    // Inside the answer frame the bytes come back to back: T6 between them.
    if (state_ == State::WaitAnswerFrame && decoder_.in_frame()) out.push_back(timer(config_.control_timeout));
    return out;
}

void V2Session::handle(SessionActions& out, const V2Event& e) {
    const bool control = e.kind == V2Event::Kind::Control;
    switch (state_) {
        case State::Idle:
        case State::Pause:
            return;
        case State::WaitEnqAck:
            if (!control) return;
            if (e.control == kAck) {
                send_frame(out);
            } else if (e.control == kNak || e.control == kEnq) {
                // Busy, or both sides asked for the line at once: wait T7 and ask again.
                state_ = State::Pause;
                out.push_back(timer(config_.control_timeout));
            }
            return;
        case State::WaitFrameAck:
            if (!control) return;
            if (e.control == kAck) {
                // Step 3: release the line; the device answers with its own ENQ within T5.
                state_ = State::WaitAnswerEnq;
                out.push_back(send(Bytes{kEot}));
                out.push_back(timer(config_.answer_timeout.value_or(answer_timeout(code_))));
            } else if (e.control == kNak) {
                if (++resends_ > config_.max_resends) {
                    out.push_back(send(Bytes{kEot}));
                    // Every try was refused: the device did not take the command.
                    complete(out, fail("no_connection", "the device rejected the frame repeatedly (NAK)"));
                } else {
                    send_frame(out);
                }
            }
            return;
        case State::WaitAnswerEnq:
            if (control && e.control == kEnq) {
                state_ = State::WaitAnswerFrame;
                out.push_back(send(Bytes{kAck}));
                out.push_back(timer(config_.frame_timeout));
            }
            return;
        case State::WaitAnswerFrame:
            if (e.kind == V2Event::Kind::Frame) {
                out.push_back(send(Bytes{kAck}));
                complete(out, e.data);
            } else if (e.kind == V2Event::Kind::BadFrame) {
                bad_answer(out);
            } else if (e.control == kEnq) {
                // The device did not hear our ACK and asks again.
                out.push_back(send(Bytes{kAck}));
                out.push_back(timer(config_.frame_timeout));
            }
            return;
    }
}

SessionActions V2Session::on_timeout() {
    SessionActions out;
    switch (state_) {
        case State::Idle:
            break;
        case State::WaitEnqAck:
        case State::Pause:
            send_enq(out);
            break;
        case State::WaitFrameAck:
            // Step 2: resend on timeout, up to the limit.
            if (++resends_ > config_.max_resends) {
                out.push_back(send(Bytes{kEot}));
                complete(out, fail("link_lost", "no ACK to the command frame"));
            } else {
                send_frame(out);
            }
            break;
        case State::WaitAnswerEnq:
            complete(out, fail("link_lost", "no answer within the command's time"));
            break;
        case State::WaitAnswerFrame:
            if (decoder_.in_frame()) {
                bad_answer(out);  // the frame stopped half way
            } else {
                complete(out, fail("link_lost", "the answer frame never came"));
            }
            break;
    }
    return out;
}

// ---- v3 (§2.4) ----

V3Session::V3Session(SessionConfig config) : config_(config) {}

Bytes V3Session::greeting() {
    id_ = static_cast<std::uint8_t>(id_ >= kMaxHostId ? 0 : id_ + 1);
    unacked_.reset();  // Abort empties the buffer, results included
    return encode_v3_packet(id_, TaskCommand::abort().encode());
}

int V3Session::max_polls() const {
    const auto total = config_.answer_timeout.value_or(answer_timeout(code_));
    const auto step = std::max<std::int64_t>(1, config_.poll_interval.count());
    return static_cast<int>(total.count() / step) + 1;
}

SessionActions V3Session::start(const Request& request) {
    if (busy()) return busy_now();
    SessionActions out;
    code_ = request.code;
    payload_ = request.encode();
    sent_ = cleared_ = false;
    resends_ = bad_ = polls_ = 0;
    decoder_.reset();
    // Task ids 01..DE, as the C++ client uses them (§2.4.2).
    tid_ = static_cast<std::uint8_t>(tid_ >= 0xDE ? 1 : tid_ + 1);
    // AckAdd frees the result we collected last time and queues the new task in one packet.
    const auto command = unacked_ ? TaskCommand::ack_add(tid_, payload_) : TaskCommand::add(tid_, payload_);
    unacked_.reset();
    send_packet(out, command, Phase::Add);
    if (packet_.empty()) complete(out, fail("bad_request", "request longer than one packet"));
    return out;
}

SessionActions V3Session::start_recovery() {
    if (busy()) return busy_now();
    SessionActions out;
    if (tid_ == 0) {
        complete(out, fail("nothing_pending", "no task was sent"));
        return out;
    }
    resends_ = bad_ = polls_ = 0;
    decoder_.reset();
    send_packet(out, TaskCommand::req(tid_), Phase::Recover);
    return out;
}

void V3Session::abort() {
    state_ = State::Idle;
    decoder_.reset();
}

void V3Session::send_packet(SessionActions& out, const TaskCommand& command, Phase phase) {
    id_ = static_cast<std::uint8_t>(id_ >= kMaxHostId ? 0 : id_ + 1);
    packet_ = encode_v3_packet(id_, command.encode());
    if (packet_.empty()) return;
    phase_ = phase;
    state_ = State::WaitReply;
    resends_ = 0;
    if (phase == Phase::Add) sent_ = true;
    out.push_back(send(packet_));
    out.push_back(timer(config_.control_timeout));
}

void V3Session::resend(SessionActions& out) {
    // The same packet id again: the device answers a packet it already handled without running it
    // twice, and a repeated Add comes back "already exists" (§2.4.3 lost answer).
    if (++resends_ > config_.max_resends) {
        fail_link(out, "no answer to the packet");
        return;
    }
    state_ = State::WaitReply;
    out.push_back(send(packet_));
    out.push_back(timer(config_.control_timeout));
}

void V3Session::poll(SessionActions& out) {
    if (++polls_ > max_polls()) {
        fail_link(out, "no result within the command's time");
        return;
    }
    send_packet(out, TaskCommand::req(tid_), phase_ == Phase::Recover ? Phase::Recover : Phase::Poll);
}

void V3Session::fail_link(SessionActions& out, const char* what) {
    if (phase_ == Phase::Recover) {
        complete(out, fail("no_connection", what));
    } else {
        complete(out, fail(sent_ ? "link_lost" : "no_connection", what));
    }
}

void V3Session::complete(SessionActions& out, Result<Bytes> result) {
    state_ = State::Idle;
    decoder_.reset();
    out.push_back(SessionAction{SessionAction::Kind::Complete, {}, {}, std::move(result)});
}

SessionActions V3Session::on_bytes(std::span<const std::uint8_t> bytes) {
    SessionActions out;
    decoder_.feed(bytes);
    while (auto e = decoder_.next()) {
        if (!busy()) continue;  // late answers and pushes between exchanges
        const auto& p = e->packet;
        if (e->kind == V3Event::Kind::BadPacket) {
            if (p.id != id_ || state_ != State::WaitReply) continue;
            // §2.4.1: an empty packet with that id asks the device to send it again.
            if (++bad_ > config_.max_bad) {
                fail_link(out, "the answer arrived corrupted repeatedly");
                continue;
            }
            out.push_back(send(encode_v3_packet(id_, {})));
            out.push_back(timer(config_.control_timeout));
        } else if (p.id == kAsyncId) {
            handle_async(out, p);
        } else if (p.id == id_ && state_ == State::WaitReply) {
            handle_reply(out, p);
        }
        // Any other id: an answer to a packet we gave up on. Dropped.
    }
    return out;
}

void V3Session::handle_async(SessionActions& out, const V3Packet& p) {
    auto reply = TaskReply::parse(p.data);
    if (!reply || !reply->is_async() || reply->tid != tid_) return;
    if (phase_ == Phase::Clear) return;
    unacked_ = tid_;
    complete(out, std::move(reply->answer));
}

void V3Session::handle_reply(SessionActions& out, const V3Packet& p) {
    if (p.data.empty()) {
        resend(out);  // "resend packet ID" (§2.4.1)
        return;
    }
    if (phase_ == Phase::Clear) {
        // Whatever the Abort answer says (A10), the queue is empty again: add the task afresh.
        send_packet(out, TaskCommand::add(tid_, payload_), Phase::Add);
        return;
    }
    auto reply = TaskReply::parse(p.data);
    if (!reply) {
        resend(out);
        return;
    }
    switch (reply->status) {
        case task::kResult:
        case task::kError:
            unacked_ = tid_;
            complete(out, std::move(reply->answer));
            return;
        case task::kPending:
        case task::kInProgress:
        case task::kWaiting:
            // Running: wait for the F0h push, and poll in case none comes (A11).
            state_ = State::WaitResult;
            out.push_back(timer(config_.poll_interval));
            return;
        case task::kAlreadyExists:
            // Our earlier Add arrived (its reply was lost): ask for its result instead.
            poll(out);
            return;
        case task::kNotFound:
            if (phase_ == Phase::Recover) {
                complete(out, fail("nothing_pending", "the device holds no such task"));
            } else {
                fail_link(out, "the device lost the task");
            }
            return;
        case task::kStopped:
            // The queue stopped after an earlier error: clear it once and add the task again.
            if (phase_ == Phase::Add && !cleared_) {
                cleared_ = true;
                send_packet(out, TaskCommand::abort(), Phase::Clear);
            } else {
                fail_link(out, "the task queue is stopped");
            }
            return;
        case task::kOverflow:
            complete(out, fail("device_busy", "the task buffer is full"));
            return;
        case task::kIllegalValue:
            complete(out, fail("bad_request", "the device called the task illegal"));
            return;
        default:
            resend(out);
            return;
    }
}

SessionActions V3Session::on_timeout() {
    SessionActions out;
    switch (state_) {
        case State::Idle:
            break;
        case State::WaitReply:
            resend(out);
            break;
        case State::WaitResult:
            poll(out);
            break;
    }
    return out;
}

}  // namespace kassa::drivers::atol
