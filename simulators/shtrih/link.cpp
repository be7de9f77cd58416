#include "simulators/shtrih/link.hpp"

namespace kassa::sim {

namespace sh = drivers::shtrih;

SimLink::SimLink(SimDevice& device, Faults faults, bool tcp_quirk)
    : device_(device), faults_(std::move(faults)), tcp_quirk_(tcp_quirk) {}

Bytes SimLink::emit(const Bytes& raw) {
    Bytes out;
    out.reserve(raw.size());
    for (const std::uint8_t b : raw) {
        ++bytes_sent_;
        if (faults_.drop_bytes.contains(bytes_sent_)) continue;
        out.push_back(faults_.corrupt_bytes.contains(bytes_sent_) ? static_cast<std::uint8_t>(~b) : b);
    }
    return out;
}

void SimLink::execute(const Bytes& body, TimePoint now, Bytes& out) {
    bool power_cut = false;
    Bytes answer = device_.handle(body, power_cut);
    if (power_cut) {
        // The FN has the document; the answer dies with the power.
        powered_off_ = true;
        return;
    }
    answer_frame_ = sh::encode_frame(answer);
    answer_unacked_ = true;
    if (auto stall = faults_.stalls.find(frames_received_); stall != faults_.stalls.end()) {
        answer_due_ = now + stall->second;
        return;
    }
    if (latency_.count() > 0) {
        answer_due_ = now + latency_;
        return;
    }
    const Bytes e = emit(answer_frame_);
    out.insert(out.end(), e.begin(), e.end());
}

Bytes SimLink::on_bytes(std::span<const std::uint8_t> bytes, TimePoint now) {
    Bytes out;
    if (powered_off_) return out;
    if (busy_until_) {
        // slow_ack: the device does not read its line until then (on_tick).
        unread_.insert(unread_.end(), bytes.begin(), bytes.end());
        return out;
    }
    last_rx_ = now;
    decoder_.feed(bytes);
    while (auto e = decoder_.next()) {
        if (busy_until_) {
            // Busy since a slow_ack frame earlier in this chunk: keep the rest for later, in order.
            const Bytes again = e->kind == sh::LinkEvent::Kind::Frame     ? sh::encode_frame(e->body)
                                : e->kind == sh::LinkEvent::Kind::Control ? Bytes{e->control}
                                                                          : Bytes{};
            unread_.insert(unread_.end(), again.begin(), again.end());
            continue;
        }
        switch (e->kind) {
            case sh::LinkEvent::Kind::Control:
                if (e->control == sh::kEnq) {
                    if (answer_due_) {
                        // Still preparing the answer: "wait, it is coming" (§1.3).
                        const Bytes em = emit(Bytes{sh::kAck});
                        out.insert(out.end(), em.begin(), em.end());
                    } else if (answer_unacked_) {
                        // The host lost or refused the answer: ACK, then the same frame again.
                        Bytes again{sh::kAck};
                        again.insert(again.end(), answer_frame_.begin(), answer_frame_.end());
                        const Bytes em = emit(again);
                        out.insert(out.end(), em.begin(), em.end());
                    } else {
                        const Bytes em = emit(Bytes{sh::kNak});
                        out.insert(out.end(), em.begin(), em.end());
                    }
                } else if (e->control == sh::kAck) {
                    if (answer_unacked_ && !answer_due_) {
                        answer_unacked_ = false;
                        if (tcp_quirk_) {
                            const Bytes em = emit(Bytes{0xFF});
                            out.insert(out.end(), em.begin(), em.end());
                        }
                    }
                }
                // Host NAK: keep the answer; it goes again after the next ENQ (§1.3).
                break;
            case sh::LinkEvent::Kind::BadFrame: {
                const Bytes em = emit(Bytes{sh::kNak});
                out.insert(out.end(), em.begin(), em.end());
                break;
            }
            case sh::LinkEvent::Kind::Frame: {
                if (auto slow = faults_.slow_acks.find(frames_received_ + 1); slow != faults_.slow_acks.end()) {
                    // Read again later, this frame first (on_tick); the fault fires once.
                    busy_until_ = now + slow->second;
                    faults_.slow_acks.erase(slow);
                    unread_ = sh::encode_frame(e->body);
                    break;
                }
                ++frames_received_;
                if (faults_.nak_frames.contains(frames_received_)) {
                    const Bytes em = emit(Bytes{sh::kNak});
                    out.insert(out.end(), em.begin(), em.end());
                    break;
                }
                // A new command replaces an answer the host never collected.
                answer_unacked_ = false;
                answer_due_.reset();
                const Bytes em = emit(Bytes{sh::kAck});
                out.insert(out.end(), em.begin(), em.end());
                execute(e->body, now, out);
                if (powered_off_) return out;
                break;
            }
        }
    }
    return out;
}

Bytes SimLink::on_tick(TimePoint now) {
    Bytes out;
    if (powered_off_) return out;
    if (busy_until_ && now >= *busy_until_) {
        busy_until_.reset();
        const Bytes pending = std::move(unread_);
        unread_.clear();
        out = on_bytes(pending, now);
        if (powered_off_) return out;
    }
    if (answer_due_ && now >= *answer_due_) {
        answer_due_.reset();
        const Bytes e = emit(answer_frame_);
        out.insert(out.end(), e.begin(), e.end());
    }
    if (decoder_.in_frame() && now - last_rx_ > kByteTimeout) {
        decoder_.reset();
        const Bytes em = emit(Bytes{sh::kNak});
        out.insert(out.end(), em.begin(), em.end());
    }
    return out;
}

std::optional<SimLink::TimePoint> SimLink::next_deadline() const {
    std::optional<TimePoint> t = answer_due_;
    if (busy_until_ && (!t || *busy_until_ < *t)) t = busy_until_;
    if (decoder_.in_frame()) {
        const TimePoint byte_deadline = last_rx_ + kByteTimeout;
        if (!t || byte_deadline < *t) t = byte_deadline;
    }
    return t;
}

}  // namespace kassa::sim
