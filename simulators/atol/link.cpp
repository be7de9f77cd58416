#include "simulators/atol/link.hpp"

namespace kassa::sim::atol {

namespace at = drivers::atol;
namespace task = drivers::atol::task;

namespace {

// A device keeps a bounded task buffer; the spec gives no size, 16 is plenty for one host.
constexpr std::size_t kBufferTasks = 16;

bool is_error_answer(const Bytes& a) { return a.size() > 1 && a[0] == at::kAnswerPrefix && a[1] != 0; }

Bytes reply(std::uint8_t status, Bytes answer = {}) {
    return at::TaskReply{status, std::nullopt, std::move(answer)}.encode();
}

}  // namespace

AtolSimLink::AtolSimLink(AtolSimDevice& device, at::LinkVersion version, Faults faults,
                         std::chrono::microseconds answer_latency)
    : device_(device), version_(version), faults_(std::move(faults)), latency_(answer_latency) {}

void AtolSimLink::emit(Bytes answer, Bytes& out, Bytes later, TimePoint due) {
    ++answers_;
    if (faults_.drop_answers.contains(answers_)) return;
    Bytes& last = later.empty() ? answer : later;
    if (faults_.corrupt_answers.contains(answers_) && !last.empty()) last.back() ^= 0xFF;
    out.insert(out.end(), answer.begin(), answer.end());
    if (!later.empty()) pushes_.push_back(Push{due, std::move(later)});
}

void AtolSimLink::reset_line() {
    v3_.reset();
    v2_.reset();
    v2_state_ = V2State::Idle;
    v2_enq_owed_ = false;
}

Bytes AtolSimLink::run(std::span<const std::uint8_t> request) {
    ++requests_run_;
    return device_.handle(request);
}

Bytes AtolSimLink::on_bytes(std::span<const std::uint8_t> bytes, TimePoint now) {
    Bytes out;
    if (powered_off_) return out;
    if (version_ == at::LinkVersion::V3) {
        v3_.feed(bytes);
        while (auto e = v3_.next()) {
            if (e->kind == at::V3Event::Kind::BadPacket) {
                // §2.4.1: an empty packet with that id asks the host to send it again.
                const auto ask = at::encode_v3_packet(e->packet.id, {});
                out.insert(out.end(), ask.begin(), ask.end());
            } else {
                ++frames_received_;
                v3_packet(e->packet, now, out);
            }
        }
    } else {
        v2_.feed(bytes);
        while (auto e = v2_.next()) v2_event(*e, now, out);
    }
    if (faults_.power_cut_after_receipt && device_.receipts_this_run() >= *faults_.power_cut_after_receipt) {
        powered_off_ = true;
        pushes_.clear();
        return {};
    }
    return out;
}

Bytes AtolSimLink::on_tick(TimePoint now) {
    Bytes out;
    if (powered_off_) return out;
    while (!pushes_.empty() && pushes_.front().due <= now) {
        out.insert(out.end(), pushes_.front().bytes.begin(), pushes_.front().bytes.end());
        pushes_.pop_front();
    }
    if (v2_enq_owed_ && v2_done_ <= now) {
        v2_enq_owed_ = false;
        out.push_back(at::kEnq);  // §2.3 step 4: the answer is ready
        v2_state_ = V2State::Announced;
    }
    return out;
}

std::optional<AtolSimLink::TimePoint> AtolSimLink::next_deadline() const {
    std::optional<TimePoint> t;
    if (!pushes_.empty()) t = pushes_.front().due;
    if (v2_enq_owed_ && (!t || v2_done_ < *t)) t = v2_done_;
    return t;
}

void AtolSimLink::v3_packet(const at::V3Packet& p, TimePoint now, Bytes& out) {
    const bool repeat = last_id_ == p.id && (p.data.empty() || p.data == last_packet_);
    if (repeat) {
        // The host lost our answer (or asks again): the same answer, nothing runs twice.
        const auto again = at::encode_v3_packet(p.id, last_reply_);
        out.insert(out.end(), again.begin(), again.end());
        return;
    }
    if (p.data.empty()) return;  // "resend" for a packet we never answered: nothing to send
    Bytes answer;
    Bytes push;  // an F0h packet after the answer
    auto command = at::TaskCommand::parse(p.data);
    if (!command) {
        answer = reply(task::kIllegalValue);
    } else {
        switch (command->code) {
            case task::kAbort:
                tasks_.clear();
                delivered_.reset();
                answer = reply(task::kResult);
                break;
            case task::kAck:
                tasks_.erase(command->tid);
                answer = reply(task::kResult);
                break;
            case task::kReq: {
                const auto it = tasks_.find(command->tid);
                if (it == tasks_.end())
                    answer = reply(task::kNotFound);
                else if (now < it->second.done)
                    answer = reply(task::kInProgress);
                else
                    answer = reply(it->second.error ? task::kError : task::kResult, it->second.answer);
                break;
            }
            default: {  // Add, AckAdd
                if (command->code == task::kAckAdd && delivered_) tasks_.erase(*delivered_);
                if (tasks_.contains(command->tid)) {
                    answer = reply(task::kAlreadyExists);
                } else if (tasks_.size() >= kBufferTasks) {
                    answer = reply(task::kOverflow);
                } else {
                    Task t;
                    t.answer = run(command->payload);
                    t.error = is_error_answer(t.answer);
                    t.done = now + latency_;
                    answer = reply(task::kPending);
                    push = at::encode_v3_packet(
                        at::kAsyncId,
                        at::TaskReply{t.error ? task::kAsyncError : task::kAsyncResult, command->tid, t.answer}
                            .encode());
                    tasks_[command->tid] = std::move(t);
                    delivered_ = command->tid;
                }
                break;
            }
        }
    }
    last_id_ = p.id;
    last_packet_ = p.data;
    last_reply_ = answer;
    auto whole = at::encode_v3_packet(p.id, answer);
    if (latency_.count() > 0 && !push.empty()) {
        emit(std::move(whole), out, std::move(push), now + latency_);
        return;
    }
    whole.insert(whole.end(), push.begin(), push.end());
    emit(std::move(whole), out);
}

void AtolSimLink::v2_event(const at::V2Event& e, TimePoint now, Bytes& out) {
    if (e.kind == at::V2Event::Kind::BadFrame) {
        out.push_back(at::kNak);
        return;
    }
    if (e.kind == at::V2Event::Kind::Frame) {
        ++frames_received_;
        out.push_back(at::kAck);
        v2_answer_ = run(e.data);
        v2_done_ = now + latency_;
        v2_state_ = V2State::Executed;
        return;
    }
    const auto frame = [&] { emit(at::encode_v2_frame(v2_answer_), out); };
    switch (e.control) {
        case at::kEnq:
            // The host asks for the line: granted when we hold nothing for it.
            if (v2_state_ == V2State::Idle || v2_state_ == V2State::Sent) {
                v2_state_ = V2State::Idle;
                out.push_back(at::kAck);
            }
            break;
        case at::kEot:
            if (v2_state_ == V2State::Executed) {
                if (now < v2_done_) {
                    v2_enq_owed_ = true;  // on_tick announces it once it is ready
                } else {
                    out.push_back(at::kEnq);  // §2.3 step 4: the answer is ready
                    v2_state_ = V2State::Announced;
                }
            }
            break;
        case at::kAck:
            if (v2_state_ == V2State::Announced) {
                frame();
                v2_state_ = V2State::Sent;
            } else if (v2_state_ == V2State::Sent) {
                out.push_back(at::kEot);
                v2_state_ = V2State::Idle;
            }
            break;
        case at::kNak:
            if (v2_state_ == V2State::Sent) frame();
            break;
        default:
            break;
    }
}

}  // namespace kassa::sim::atol
