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

AtolSimLink::AtolSimLink(AtolSimDevice& device, at::LinkVersion version, AtolFaults faults)
    : device_(device), version_(version), faults_(std::move(faults)) {}

void AtolSimLink::emit(Bytes answer, Bytes& out) {
    ++answers_;
    if (faults_.drop_answers.contains(answers_)) return;
    if (faults_.corrupt_answers.contains(answers_) && !answer.empty()) answer.back() ^= 0xFF;
    out.insert(out.end(), answer.begin(), answer.end());
}

void AtolSimLink::reset_line() {
    v3_.reset();
    v2_.reset();
    v2_state_ = V2State::Idle;
}

Bytes AtolSimLink::run(std::span<const std::uint8_t> request) {
    ++requests_run_;
    return device_.handle(request);
}

Bytes AtolSimLink::on_bytes(std::span<const std::uint8_t> bytes) {
    Bytes out;
    if (version_ == at::LinkVersion::V3) {
        v3_.feed(bytes);
        while (auto e = v3_.next()) {
            if (e->kind == at::V3Event::Kind::BadPacket) {
                // §2.4.1: an empty packet with that id asks the host to send it again.
                const auto ask = at::encode_v3_packet(e->packet.id, {});
                out.insert(out.end(), ask.begin(), ask.end());
            } else {
                v3_packet(e->packet, out);
            }
        }
    } else {
        v2_.feed(bytes);
        while (auto e = v2_.next()) v2_event(*e, out);
    }
    return out;
}

void AtolSimLink::v3_packet(const at::V3Packet& p, Bytes& out) {
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
                answer = it == tasks_.end() ? reply(task::kNotFound)
                                            : reply(it->second.error ? task::kError : task::kResult, it->second.answer);
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
    whole.insert(whole.end(), push.begin(), push.end());
    emit(std::move(whole), out);
}

void AtolSimLink::v2_event(const at::V2Event& e, Bytes& out) {
    if (e.kind == at::V2Event::Kind::BadFrame) {
        out.push_back(at::kNak);
        return;
    }
    if (e.kind == at::V2Event::Kind::Frame) {
        out.push_back(at::kAck);
        v2_answer_ = run(e.data);
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
                out.push_back(at::kEnq);  // §2.3 step 4: the answer is ready
                v2_state_ = V2State::Announced;
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
