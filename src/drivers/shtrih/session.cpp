#include "drivers/shtrih/session.hpp"

namespace kassa::drivers::shtrih {

namespace {

SessionAction send(Bytes bytes) { return SessionAction{SessionAction::Kind::Send, std::move(bytes), {}, Bytes{}}; }
SessionAction timer(std::chrono::milliseconds t) {
    return SessionAction{SessionAction::Kind::StartTimer, {}, t, Bytes{}};
}

}  // namespace

Session::Session(SessionConfig config) : config_(config) {}

SessionActions Session::start(const Request& request) {
    SessionActions out;
    if (busy()) {
        out.push_back({SessionAction::Kind::Complete, {}, {}, fail("busy", "a request is already in flight")});
        return out;
    }
    code_ = request.code;
    frame_ = encode_frame(request.body());
    recovery_only_ = false;
    frame_sent_ = false;
    enq_silent_ = enq_total_ = frame_naks_ = bad_answers_ = 0;
    decoder_.reset();
    if (frame_.empty()) {
        complete(out, fail("bad_request", "request longer than one frame"));
        return out;
    }
    if (clean_ && !stale_possible_ && !config_.enq_before_every_command) {
        // The device is idle (our ACK ended the last exchange): the frame goes at once.
        clean_ = false;
        send_frame(out);
        return out;
    }
    // §1.3 step 1: ENQ first; an ACK means an old answer must be drained before we send.
    clean_ = false;
    send_enq(out, Phase::Before);
    return out;
}

SessionActions Session::start_recovery() {
    SessionActions out;
    if (busy()) {
        out.push_back({SessionAction::Kind::Complete, {}, {}, fail("busy", "a request is already in flight")});
        return out;
    }
    code_ = 0;
    frame_.clear();
    clean_ = false;
    recovery_only_ = true;
    frame_sent_ = false;
    enq_silent_ = enq_total_ = frame_naks_ = bad_answers_ = 0;
    decoder_.reset();
    send_enq(out, Phase::RecoveryOnly);
    return out;
}

SessionActions Session::on_bytes(std::span<const std::uint8_t> bytes) {
    SessionActions out;
    if (!busy()) return out;  // noise between exchanges (e.g. the TCP 0xFF after our ACK)
    decoder_.feed(bytes);
    while (auto e = decoder_.next()) {
        handle(out, *e);
        if (!busy()) return out;
    }
    // Inside an answer frame the bytes come back to back: switch to the byte timeout.
    // (While waiting for a quiet line, a frame coming in is not quiet either.)
    if ((state_ == State::WaitAnswer || state_ == State::DrainStale || state_ == State::QuietAfterNak) &&
        decoder_.in_frame())
        out.push_back(timer(config_.control_timeout));
    return out;
}

SessionActions Session::on_timeout() {
    SessionActions out;
    // Whatever we wait for may still come, after what we send next (see stale_possible_).
    if (state_ != State::Idle && state_ != State::QuietAfterNak) stale_possible_ = true;
    switch (state_) {
        case State::Idle:
            break;
        case State::QuietAfterNak:
            if (decoder_.in_frame()) {
                // A frame broke off: drop it and wait for quiet again (bounded like bad answers).
                decoder_.reset();
                if (++bad_answers_ > config_.max_bad_answers) {
                    fail_link(out, "the line never went quiet");
                } else {
                    out.push_back(timer(config_.control_timeout));
                }
                break;
            }
            // Nothing more came: the NAK was the device's last word, the line holds nothing stale.
            stale_possible_ = false;
            send_frame(out);
            break;
        case State::WaitEnqReply:
            // No reply to ENQ: the device is absent or busy with the line; try again (§1.3 step 1).
            if (++enq_silent_ >= config_.max_enq) {
                fail_link(out, "no reply to ENQ");
            } else {
                send_enq(out, phase_);
            }
            break;
        case State::WaitFrameAck:
            // Never resend a command blindly: ask with ENQ whether it arrived (§1.3 step 2).
            send_enq(out, Phase::After);
            break;
        case State::WaitAnswer:
        case State::DrainStale:
            if (decoder_.in_frame()) {
                decoder_.reset();
                handle_bad_answer(out);
            } else {
                send_enq(out, state_ == State::DrainStale ? Phase::Before
                                                          : (recovery_only_ ? Phase::RecoveryOnly : Phase::After));
            }
            break;
    }
    return out;
}

void Session::send_enq(SessionActions& out, Phase phase) {
    // Bounds every loop of the exchange (silent device, endless stale answers, endless stalls).
    if (++enq_total_ > 3 * config_.max_enq) {
        fail_link(out, "answer not recovered after repeated ENQ");
        return;
    }
    phase_ = phase;
    state_ = State::WaitEnqReply;
    decoder_.reset();
    out.push_back(send(Bytes{kEnq}));
    out.push_back(timer(config_.control_timeout));
}

void Session::on_nak_before_frame(SessionActions& out) {
    if (!stale_possible_) {
        send_frame(out);
        return;
    }
    // This NAK may be a late reply to an earlier ENQ or frame, and the true reply to our last one
    // still on its way: wait until the line is quiet before the frame goes (again).
    state_ = State::QuietAfterNak;
    out.push_back(timer(config_.control_timeout));
}

void Session::send_frame(SessionActions& out) {
    state_ = State::WaitFrameAck;
    frame_sent_ = true;
    out.push_back(send(frame_));
    out.push_back(timer(config_.control_timeout));
}

void Session::wait_answer(SessionActions& out, State state) {
    state_ = state;
    out.push_back(timer(answer_wait()));
}

std::chrono::milliseconds Session::answer_wait() const {
    if (config_.answer_timeout) return *config_.answer_timeout;
    return code_ ? answer_timeout(code_) : answer_timeout(0xFFFF);
}

void Session::complete(SessionActions& out, Result<Bytes> result) {
    state_ = State::Idle;
    decoder_.reset();
    out.push_back(SessionAction{SessionAction::Kind::Complete, {}, {}, std::move(result)});
}

void Session::fail_link(SessionActions& out, const char* what) {
    if (recovery_only_) {
        complete(out, fail("no_connection", what));
    } else if (frame_sent_) {
        complete(out, fail("link_lost", std::string(what) + " after the command was sent"));
    } else {
        complete(out, fail("no_connection", what));
    }
}

bool Session::answers_request(const Bytes& body) const {
    if (recovery_only_) return true;
    if (is_fn_class(code_)) {
        // FF sub-command answers carry the sub-byte (§1.5), or are the short `FF err` form; the
        // answer to another FF command is a stale one (Answer::parse applies the same rule).
        if (body.size() < 2 || body[0] != 0xFF) return false;
        return body.size() == 2 ? body[1] != 0 : body[1] == static_cast<std::uint8_t>(code_ & 0xFF);
    }
    return !body.empty() && body[0] == code_;
}

void Session::handle(SessionActions& out, const LinkEvent& e) {
    switch (state_) {
        case State::Idle:
            return;
        case State::WaitEnqReply:
            if (e.kind != LinkEvent::Kind::Control) return;  // stray frame bytes: wait for the reply
            enq_silent_ = 0;
            if (e.control == kNak) {
                // Idle device: nothing pending.
                if (phase_ == Phase::RecoveryOnly) {
                    complete(out, fail("nothing_pending", "the device holds no undelivered answer"));
                } else {
                    // Before: send the command. After: it never arrived (an executed command would
                    // leave its answer pending and the device would have said ACK).
                    on_nak_before_frame(out);
                }
            } else if (e.control == kAck) {
                wait_answer(out, phase_ == Phase::Before ? State::DrainStale : State::WaitAnswer);
            }
            return;
        case State::WaitFrameAck:
            if (e.kind == LinkEvent::Kind::Control && e.control == kAck) {
                wait_answer(out, State::WaitAnswer);
            } else if (e.kind == LinkEvent::Kind::Control && e.control == kNak) {
                if (++frame_naks_ > config_.max_frame_naks) {
                    complete(out, fail("link_error", "the device rejected the frame repeatedly (NAK)"));
                } else {
                    // §1.3 step 2: a bad frame is sent again; but never on a NAK that may be stale.
                    phase_ = Phase::After;
                    on_nak_before_frame(out);
                }
            } else if (e.kind == LinkEvent::Kind::Frame) {
                // The ACK was lost but the answer arrived.
                handle_answer_frame(out, e.body);
            } else if (e.kind == LinkEvent::Kind::BadFrame) {
                state_ = State::WaitAnswer;
                handle_bad_answer(out);
            }
            return;
        case State::WaitAnswer:
        case State::DrainStale:
            if (e.kind == LinkEvent::Kind::Frame) {
                handle_answer_frame(out, e.body);
            } else if (e.kind == LinkEvent::Kind::BadFrame) {
                handle_bad_answer(out);
            }
            return;  // lone control bytes here are noise
        case State::QuietAfterNak:
            if (e.kind == LinkEvent::Kind::Control && e.control == kNak) {
                out.push_back(timer(config_.control_timeout));  // another late NAK: wait on
                return;
            }
            // An ACK: the device holds an answer — ours, if our frame reached it (After), else an
            // old one to drain (Before). An answer frame: read it the same way.
            state_ = phase_ == Phase::Before ? State::DrainStale : State::WaitAnswer;
            if (e.kind == LinkEvent::Kind::Control && e.control == kAck) {
                wait_answer(out, state_);
            } else if (e.kind == LinkEvent::Kind::Frame) {
                handle_answer_frame(out, e.body);
            } else if (e.kind == LinkEvent::Kind::BadFrame) {
                handle_bad_answer(out);
            }
            return;
    }
}

void Session::handle_answer_frame(SessionActions& out, Bytes body) {
    out.push_back(send(Bytes{kAck}));
    if (state_ == State::DrainStale || !answers_request(body)) {
        // An answer left over from an earlier exchange: acknowledged and dropped; our command
        // has not been sent (or not processed), so start over with ENQ.
        stale_possible_ = true;
        send_enq(out, frame_sent_ ? Phase::After : Phase::Before);
        return;
    }
    complete(out, std::move(body));
    // ACKed above: the device holds nothing for us now — unless late replies are still coming.
    clean_ = !stale_possible_;
}

void Session::handle_bad_answer(SessionActions& out) {
    // §1.3 step 3: NAK, then ENQ; the device answers ACK and repeats the frame.
    if (++bad_answers_ > config_.max_bad_answers) {
        complete(out, fail("link_lost", "the answer arrived corrupted repeatedly"));
        return;
    }
    out.push_back(send(Bytes{kNak}));
    const State was = state_;
    send_enq(out, was == State::DrainStale ? Phase::Before : (recovery_only_ ? Phase::RecoveryOnly : Phase::After));
}

}  // namespace kassa::drivers::shtrih
