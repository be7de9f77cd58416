#include "drivers/shtrih/frame.hpp"

namespace kassa::drivers::shtrih {

std::uint8_t lrc(std::uint8_t len, std::span<const std::uint8_t> body) {
    std::uint8_t x = len;
    for (const std::uint8_t b : body) x ^= b;
    return x;
}

Bytes encode_frame(std::span<const std::uint8_t> body) {
    if (body.empty() || body.size() > kMaxBody) return {};
    const auto len = static_cast<std::uint8_t>(body.size());
    Bytes out;
    out.reserve(body.size() + 3);
    out.push_back(kStx);
    out.push_back(len);
    out.insert(out.end(), body.begin(), body.end());
    out.push_back(lrc(len, body));
    return out;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
    for (const std::uint8_t b : bytes) push(b);
}

void FrameDecoder::push(std::uint8_t b) {
    switch (state_) {
        case State::Idle:
            if (b == kStx) {
                state_ = State::Len;
            } else if (b == kEnq || b == kAck || b == kNak) {
                ready_.push_back(LinkEvent{LinkEvent::Kind::Control, b, {}});
            } else {
                ++skipped_;
            }
            return;
        case State::Len:
            // LEN 0 cannot carry a command: treat the STX as noise and look again from here.
            if (b == 0) {
                ++skipped_;
                state_ = State::Idle;
                return;
            }
            len_ = b;
            body_.clear();
            body_.reserve(b);
            state_ = State::Body;
            return;
        case State::Body:
            body_.push_back(b);
            if (body_.size() == len_) state_ = State::Lrc;
            return;
        case State::Lrc: {
            const bool good = lrc(len_, body_) == b;
            ready_.push_back(LinkEvent{good ? LinkEvent::Kind::Frame : LinkEvent::Kind::BadFrame, 0, std::move(body_)});
            body_ = {};
            state_ = State::Idle;
            return;
        }
    }
}

std::optional<LinkEvent> FrameDecoder::next() {
    if (head_ >= ready_.size()) {
        ready_.clear();
        head_ = 0;
        return std::nullopt;
    }
    LinkEvent e = std::move(ready_[head_++]);
    if (head_ == ready_.size()) {
        ready_.clear();
        head_ = 0;
    }
    return e;
}

void FrameDecoder::reset() {
    state_ = State::Idle;
    body_.clear();
    len_ = 0;
}

}  // namespace kassa::drivers::shtrih
