// ATOL link layers (shared/spec/protocols.md §2.3, §2.4). Both versions carry the same application
// message (§2.1); the device profile chooses one.
//   v2: STX(02) | data, with 10h → 10 10 and 03h → 10 03 | ETX(03) | CRC = XOR of the stuffed data
//       and ETX; an ENQ/ACK/EOT exchange around each frame (§2.3).
//   v3: FE | LEN & 7F | LEN >> 7 | ID | DATA + CRC, with FEh → FD EE and FDh → FD ED; CRC-8
//       (poly 31h, init FFh) over ID and the unstuffed DATA; DATA is a task-buffer command (§2.4.2)
//       or a device answer (§2.4.3).
// The same packets travel in both directions, so the simulator uses this codec too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace kassa::drivers::atol {

using Bytes = std::vector<std::uint8_t>;

// The link layer a register speaks; its device profile says which (driver_query link=v2|v3).
enum class LinkVersion : std::uint8_t { V2 = 2, V3 = 3 };

// ---- v2 (§2.3) ----

inline constexpr std::uint8_t kStx = 0x02;
inline constexpr std::uint8_t kEtx = 0x03;
inline constexpr std::uint8_t kEot = 0x04;
inline constexpr std::uint8_t kEnq = 0x05;
inline constexpr std::uint8_t kAck = 0x06;
inline constexpr std::uint8_t kDle = 0x10;
inline constexpr std::uint8_t kNak = 0x15;
// A v2 frame has no length field; a frame longer than this (unstuffed) is line noise.
inline constexpr std::size_t kMaxV2Data = 1024;

// STX, stuffed data, ETX, CRC. Empty or oversized data gives an empty vector (a programming error).
Bytes encode_v2_frame(std::span<const std::uint8_t> data);

struct V2Event {
    enum class Kind : std::uint8_t {
        Control,   // a lone ENQ, ACK, NAK or EOT outside a frame
        Frame,     // a complete frame with a good CRC: data unstuffed
        BadFrame,  // a complete frame whose CRC did not match, or an impossible escape (answer NAK)
    };
    Kind kind = Kind::Control;
    std::uint8_t control = 0;
    Bytes data;
};

// Incremental v2 decoder: feed any chunking, take events in order. Other bytes outside a frame
// are skipped. An incomplete frame stays pending until more bytes arrive or reset().
class V2Decoder {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<V2Event> next();

    bool in_frame() const { return state_ != State::Idle; }
    void reset();
    std::size_t skipped() const { return skipped_; }

  private:
    enum class State : std::uint8_t { Idle, Data, Escaped, Crc };
    void push(std::uint8_t b);
    void emit(V2Event e);

    State state_ = State::Idle;
    std::uint8_t crc_ = 0;
    bool corrupt_ = false;
    Bytes data_;
    std::vector<V2Event> ready_;
    std::size_t head_ = 0;
    std::size_t skipped_ = 0;
};

// ---- v3 (§2.4.1) ----

inline constexpr std::uint8_t kV3Stx = 0xFE;
inline constexpr std::uint8_t kV3Esc = 0xFD;
inline constexpr std::uint8_t kV3EscStx = 0xEE;  // FD EE = FEh
inline constexpr std::uint8_t kV3EscEsc = 0xED;  // FD ED = FDh
inline constexpr std::size_t kMaxV3Data = 0x3FFF;
// Packet ids: the host uses 00..DFh and wraps; F0h marks an asynchronous packet from the device.
inline constexpr std::uint8_t kMaxHostId = 0xDF;
inline constexpr std::uint8_t kAsyncId = 0xF0;

// CRC-8, poly 0x31, init 0xFF, MSB first, no reflection, no final XOR (§2.4.1, vectors §2.7).
std::uint8_t crc8(std::span<const std::uint8_t> bytes);
std::uint8_t crc8(std::uint8_t id, std::span<const std::uint8_t> data);

// FE, LEN, ID, stuffed DATA and CRC. Data longer than 16383 bytes gives an empty vector. An empty
// DATA is the "resend packet ID" / "packet was corrupt" packet.
Bytes encode_v3_packet(std::uint8_t id, std::span<const std::uint8_t> data);

struct V3Packet {
    std::uint8_t id = 0;
    Bytes data;  // unstuffed, without CRC
};

struct V3Event {
    enum class Kind : std::uint8_t {
        Packet,     // a complete packet with a good CRC
        BadPacket,  // complete, but the CRC did not match or an escape was invalid (id is kept)
    };
    Kind kind = Kind::Packet;
    V3Packet packet;
};

// Incremental v3 decoder. FEh never occurs inside a stuffed packet, so every FEh starts a packet:
// a packet cut short by a new FEh is dropped (counted in skipped()) and the new one is read.
class V3Decoder {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<V3Event> next();

    bool in_packet() const { return state_ != State::Idle; }
    void reset();
    std::size_t skipped() const { return skipped_; }

  private:
    enum class State : std::uint8_t { Idle, LenLow, LenHigh, Id, Body };
    void push(std::uint8_t b);
    void body_byte(std::uint8_t b);

    State state_ = State::Idle;
    std::size_t len_ = 0;
    std::uint8_t id_ = 0;
    std::size_t raw_ = 0;  // wire bytes of the packet being read, FEh included
    bool escaped_ = false;
    bool corrupt_ = false;
    Bytes body_;  // DATA then CRC, unstuffed
    std::vector<V3Event> ready_;
    std::size_t head_ = 0;
    std::size_t skipped_ = 0;
};

// ---- v3 task buffer (§2.4.2, §2.4.3) ----

namespace task {
// Host commands: the first DATA byte of a host packet.
inline constexpr std::uint8_t kAdd = 0xC1;
inline constexpr std::uint8_t kAck = 0xC2;
inline constexpr std::uint8_t kReq = 0xC3;
inline constexpr std::uint8_t kAbort = 0xC4;
inline constexpr std::uint8_t kAckAdd = 0xC5;
// Add / AckAdd flags.
inline constexpr std::uint8_t kNeedResult = 0x01;
inline constexpr std::uint8_t kIgnoreError = 0x02;
inline constexpr std::uint8_t kWaitAsyncData = 0x04;
// Device answers: the first DATA byte of the answer packet.
inline constexpr std::uint8_t kPending = 0xA1;
inline constexpr std::uint8_t kInProgress = 0xA2;
inline constexpr std::uint8_t kResult = 0xA3;
inline constexpr std::uint8_t kError = 0xA4;
inline constexpr std::uint8_t kStopped = 0xA5;
inline constexpr std::uint8_t kAsyncResult = 0xA6;
inline constexpr std::uint8_t kAsyncError = 0xA7;
inline constexpr std::uint8_t kWaiting = 0xA8;
inline constexpr std::uint8_t kOverflow = 0xB1;
inline constexpr std::uint8_t kAlreadyExists = 0xB2;
inline constexpr std::uint8_t kNotFound = 0xB3;
inline constexpr std::uint8_t kIllegalValue = 0xB4;
}  // namespace task

// A host task-buffer command (the DATA of a host packet).
struct TaskCommand {
    std::uint8_t code = task::kAdd;  // C1..C5
    std::uint8_t flags = 0;          // Add, AckAdd
    std::uint8_t tid = 0;            // every command but Abort
    Bytes payload;                   // Add, AckAdd: the application request (§2.1)

    Bytes encode() const;
    // Errors "task_format": unknown code, missing TID or flags.
    static Result<TaskCommand> parse(std::span<const std::uint8_t> data);

    static TaskCommand add(std::uint8_t tid, Bytes payload, std::uint8_t flags = task::kNeedResult);
    static TaskCommand ack_add(std::uint8_t tid, Bytes payload, std::uint8_t flags = task::kNeedResult);
    static TaskCommand ack(std::uint8_t tid) { return {task::kAck, 0, tid, {}}; }
    static TaskCommand req(std::uint8_t tid) { return {task::kReq, 0, tid, {}}; }
    static TaskCommand abort() { return {task::kAbort, 0, 0, {}}; }
};

// A device answer (the DATA of a device packet): a status byte, for A6/A7 the TID, and for
// A3/A4/A6/A7 the application answer (§2.1). An empty DATA is "resend that packet".
struct TaskReply {
    std::uint8_t status = task::kPending;
    std::optional<std::uint8_t> tid;  // A6, A7 only
    Bytes answer;

    bool has_answer() const;  // A3, A4, A6, A7
    bool is_async() const { return status == task::kAsyncResult || status == task::kAsyncError; }
    Bytes encode() const;
    // Errors "task_format": empty data, unknown status, A6/A7 without a TID.
    static Result<TaskReply> parse(std::span<const std::uint8_t> data);
};

}  // namespace kassa::drivers::atol
