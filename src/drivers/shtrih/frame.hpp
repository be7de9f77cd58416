// Shtrih-M "standard lower level" framing (shared/spec/protocols.md §1.2): control bytes and
//   STX(02) | LEN | CMD(1 or FF xx) + DATA (LEN bytes) | LRC = XOR of LEN..last DATA byte.
// The same frame travels in both directions, so the simulator uses this codec too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kassa::drivers::shtrih {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kStx = 0x02;    // start of a frame
inline constexpr std::uint8_t kEnq = 0x05;    // host: "are you idle or holding an answer?"
inline constexpr std::uint8_t kAck = 0x06;    // good frame / answer pending
inline constexpr std::uint8_t kNak = 0x15;    // interface error / idle
inline constexpr std::size_t kMaxBody = 255;  // LEN is one byte

// XOR of LEN and every body byte (§1.2).
std::uint8_t lrc(std::uint8_t len, std::span<const std::uint8_t> body);

// STX, LEN, body, LRC. The body (CMD + DATA) must be 1..255 bytes; longer bodies are a
// programming error and are truncated to nothing (an empty vector is returned).
Bytes encode_frame(std::span<const std::uint8_t> body);

// One thing seen on the line.
struct LinkEvent {
    enum class Kind : std::uint8_t {
        Control,   // a lone ENQ, ACK or NAK outside a frame
        Frame,     // a complete frame with a good LRC: body = CMD + DATA
        BadFrame,  // a complete frame whose LRC did not match (the receiver answers NAK)
    };
    Kind kind = Kind::Control;
    std::uint8_t control = 0;
    Bytes body;
};

// Incremental decoder: feed any chunking, take events in order. Bytes outside a frame that are
// not ENQ/ACK/NAK (line noise, the 0xFF a device sends after the final ACK over TCP, §1.1) are
// skipped. A frame counts from STX; an incomplete frame stays pending until more bytes arrive or
// reset() is called (the session does that when its byte timeout fires).
class FrameDecoder {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<LinkEvent> next();

    bool in_frame() const { return state_ != State::Idle; }
    void reset();
    std::size_t skipped() const { return skipped_; }  // garbage bytes dropped so far

  private:
    enum class State : std::uint8_t { Idle, Len, Body, Lrc };
    void push(std::uint8_t b);

    State state_ = State::Idle;
    std::uint8_t len_ = 0;
    Bytes body_;
    std::vector<LinkEvent> ready_;
    std::size_t head_ = 0;
    std::size_t skipped_ = 0;
};

}  // namespace kassa::drivers::shtrih
