#include "drivers/atol/frame.hpp"

#include <array>

namespace kassa::drivers::atol {

namespace {

// Pops the next ready event, compacting the queue when it runs dry.
template <class Event>
std::optional<Event> pop(std::vector<Event>& ready, std::size_t& head) {
    if (head >= ready.size()) {
        ready.clear();
        head = 0;
        return std::nullopt;
    }
    Event e = std::move(ready[head++]);
    if (head == ready.size()) {
        ready.clear();
        head = 0;
    }
    return e;
}

constexpr std::array<std::uint8_t, 256> make_crc8_table() {
    std::array<std::uint8_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        unsigned c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 0x80) ? ((c << 1) ^ 0x31) : (c << 1);
        t[i] = static_cast<std::uint8_t>(c);
    }
    return t;
}

constexpr auto kCrc8Table = make_crc8_table();

void put_v3_stuffed(Bytes& out, std::uint8_t b) {
    if (b == kV3Stx) {
        out.push_back(kV3Esc);
        out.push_back(kV3EscStx);
    } else if (b == kV3Esc) {
        out.push_back(kV3Esc);
        out.push_back(kV3EscEsc);
    } else {
        out.push_back(b);
    }
}

}  // namespace

// ---- v2 ----

Bytes encode_v2_frame(std::span<const std::uint8_t> data) {
    if (data.empty() || data.size() > kMaxV2Data) return {};
    Bytes out;
    out.reserve(data.size() + 4);
    out.push_back(kStx);
    std::uint8_t crc = 0;
    auto put = [&](std::uint8_t b) {
        out.push_back(b);
        crc ^= b;
    };
    for (const std::uint8_t b : data) {
        if (b == kDle || b == kEtx) put(kDle);
        put(b);
    }
    put(kEtx);
    // The CRC covers the stuffed bytes, inserted DLEs included (§2.3: differs from XOR over the
    // plain data when the number of stuffings is odd).
    out.push_back(crc);
    return out;
}

void V2Decoder::feed(std::span<const std::uint8_t> bytes) {
    for (const std::uint8_t b : bytes) push(b);
}

void V2Decoder::emit(V2Event e) { ready_.push_back(std::move(e)); }

void V2Decoder::push(std::uint8_t b) {
    switch (state_) {
        case State::Idle:
            if (b == kStx) {
                state_ = State::Data;
                crc_ = 0;
                corrupt_ = false;
                data_.clear();
            } else if (b == kEnq || b == kAck || b == kNak || b == kEot) {
                emit(V2Event{V2Event::Kind::Control, b, {}});
            } else {
                ++skipped_;
            }
            return;
        case State::Data:
            crc_ ^= b;
            if (b == kDle) {
                state_ = State::Escaped;
            } else if (b == kEtx) {
                state_ = State::Crc;
            } else {
                data_.push_back(b);
            }
            break;
        case State::Escaped:
            crc_ ^= b;
            // Only DLE and ETX are escaped (§2.3); anything else after a DLE is a line error.
            if (b != kDle && b != kEtx) corrupt_ = true;
            data_.push_back(b);
            state_ = State::Data;
            break;
        case State::Crc: {
            const bool good = !corrupt_ && crc_ == b && !data_.empty();
            emit(V2Event{good ? V2Event::Kind::Frame : V2Event::Kind::BadFrame, 0, std::move(data_)});
            data_ = {};
            state_ = State::Idle;
            return;
        }
    }
    if (data_.size() > kMaxV2Data) {
        // No ETX in sight: noise that began with a 02 byte. Drop it and look again.
        skipped_ += data_.size() + 1;
        data_.clear();
        state_ = State::Idle;
    }
}

std::optional<V2Event> V2Decoder::next() { return pop(ready_, head_); }

void V2Decoder::reset() {
    state_ = State::Idle;
    data_.clear();
    crc_ = 0;
    corrupt_ = false;
}

// ---- v3 ----

std::uint8_t crc8(std::span<const std::uint8_t> bytes) {
    std::uint8_t crc = 0xFF;
    for (const std::uint8_t b : bytes) crc = kCrc8Table[crc ^ b];
    return crc;
}

std::uint8_t crc8(std::uint8_t id, std::span<const std::uint8_t> data) {
    std::uint8_t crc = kCrc8Table[0xFF ^ id];
    for (const std::uint8_t b : data) crc = kCrc8Table[crc ^ b];
    return crc;
}

Bytes encode_v3_packet(std::uint8_t id, std::span<const std::uint8_t> data) {
    if (data.size() > kMaxV3Data) return {};
    Bytes out;
    out.reserve(data.size() + 8);
    out.push_back(kV3Stx);
    out.push_back(static_cast<std::uint8_t>(data.size() & 0x7F));
    out.push_back(static_cast<std::uint8_t>(data.size() >> 7));
    out.push_back(id);
    for (const std::uint8_t b : data) put_v3_stuffed(out, b);
    put_v3_stuffed(out, crc8(id, data));
    return out;
}

void V3Decoder::feed(std::span<const std::uint8_t> bytes) {
    for (const std::uint8_t b : bytes) push(b);
}

void V3Decoder::push(std::uint8_t b) {
    if (b == kV3Stx) {
        // FEh is always stuffed inside a packet: a raw one starts a new packet, whatever came before.
        if (state_ != State::Idle) skipped_ += raw_;
        state_ = State::LenLow;
        raw_ = 1;
        body_.clear();
        escaped_ = corrupt_ = false;
        return;
    }
    if (state_ == State::Idle) {
        ++skipped_;
        return;
    }
    ++raw_;
    switch (state_) {
        case State::Idle:
            return;
        case State::LenLow:
            if (b & 0x80) {
                skipped_ += raw_;
                state_ = State::Idle;
                return;
            }
            len_ = b;
            state_ = State::LenHigh;
            return;
        case State::LenHigh:
            if (b & 0x80) {
                skipped_ += raw_;
                state_ = State::Idle;
                return;
            }
            len_ |= static_cast<std::size_t>(b) << 7;
            state_ = State::Id;
            return;
        case State::Id:
            id_ = b;
            body_.reserve(len_ + 1);
            state_ = State::Body;
            return;
        case State::Body:
            body_byte(b);
            return;
    }
}

void V3Decoder::body_byte(std::uint8_t b) {
    if (escaped_) {
        escaped_ = false;
        if (b == kV3EscStx) {
            b = kV3Stx;
        } else if (b == kV3EscEsc) {
            b = kV3Esc;
        } else {
            corrupt_ = true;  // FD followed by anything else (§2.4.1)
        }
    } else if (b == kV3Esc) {
        escaped_ = true;
        return;
    }
    body_.push_back(b);
    if (body_.size() < len_ + 1) return;
    const std::uint8_t crc = body_.back();
    body_.pop_back();
    const bool good = !corrupt_ && crc8(id_, body_) == crc;
    ready_.push_back(V3Event{good ? V3Event::Kind::Packet : V3Event::Kind::BadPacket, V3Packet{id_, std::move(body_)}});
    body_ = {};
    state_ = State::Idle;
}

std::optional<V3Event> V3Decoder::next() { return pop(ready_, head_); }

void V3Decoder::reset() {
    state_ = State::Idle;
    body_.clear();
    len_ = 0;
    raw_ = 0;
    escaped_ = corrupt_ = false;
}

// ---- task buffer ----

TaskCommand TaskCommand::add(std::uint8_t tid, Bytes payload, std::uint8_t flags) {
    return {task::kAdd, flags, tid, std::move(payload)};
}

TaskCommand TaskCommand::ack_add(std::uint8_t tid, Bytes payload, std::uint8_t flags) {
    return {task::kAckAdd, flags, tid, std::move(payload)};
}

Bytes TaskCommand::encode() const {
    Bytes out{code};
    switch (code) {
        case task::kAdd:
        case task::kAckAdd:
            out.push_back(flags);
            out.push_back(tid);
            out.insert(out.end(), payload.begin(), payload.end());
            break;
        case task::kAck:
        case task::kReq:
            out.push_back(tid);
            break;
        default:  // Abort: the code alone
            break;
    }
    return out;
}

Result<TaskCommand> TaskCommand::parse(std::span<const std::uint8_t> data) {
    if (data.empty()) return fail("task_format", "empty task command");
    TaskCommand c;
    c.code = data[0];
    switch (c.code) {
        case task::kAdd:
        case task::kAckAdd:
            // The spec's Add has `flags TID payload`; an Add without payload has nothing to run.
            if (data.size() < 4) return fail("task_format", "Add without flags, TID or payload");
            c.flags = data[1];
            c.tid = data[2];
            c.payload.assign(data.begin() + 3, data.end());
            return c;
        case task::kAck:
        case task::kReq:
            if (data.size() != 2) return fail("task_format", "Ack/Req take exactly one TID byte");
            c.tid = data[1];
            return c;
        case task::kAbort:
            if (data.size() != 1) return fail("task_format", "Abort takes no parameters");
            return c;
        default:
            return fail("task_format", "unknown task-buffer command");
    }
}

bool TaskReply::has_answer() const {
    return status == task::kResult || status == task::kError || status == task::kAsyncResult ||
           status == task::kAsyncError;
}

Bytes TaskReply::encode() const {
    Bytes out{status};
    if (is_async()) out.push_back(tid.value_or(0));
    if (has_answer()) out.insert(out.end(), answer.begin(), answer.end());
    return out;
}

Result<TaskReply> TaskReply::parse(std::span<const std::uint8_t> data) {
    if (data.empty()) return fail("task_format", "empty task answer");
    TaskReply r;
    r.status = data[0];
    const bool known = (r.status >= task::kPending && r.status <= task::kWaiting) ||
                       (r.status >= task::kOverflow && r.status <= task::kIllegalValue);
    if (!known) return fail("task_format", "unknown task-buffer status");
    std::size_t at = 1;
    if (r.is_async()) {
        if (data.size() < 2) return fail("task_format", "asynchronous result without a TID");
        r.tid = data[1];
        at = 2;
    }
    // Statuses without an answer may still carry trailing bytes on some firmware: ignored.
    if (r.has_answer()) r.answer.assign(data.begin() + static_cast<std::ptrdiff_t>(at), data.end());
    return r;
}

}  // namespace kassa::drivers::atol
