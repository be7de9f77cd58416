// ATOL link layers: shared/spec/protocols.md §2.3 (v2), §2.4 (v3, task buffer), vectors §2.3, §2.4.4, §2.7.
#include <gtest/gtest.h>

#include "drivers/atol/frame.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::atol {
namespace {

using test::hex;
using test::to_hex;

std::vector<V2Event> drain(V2Decoder& d) {
    std::vector<V2Event> out;
    while (auto e = d.next()) out.push_back(std::move(*e));
    return out;
}

std::vector<V3Event> drain(V3Decoder& d) {
    std::vector<V3Event> out;
    while (auto e = d.next()) out.push_back(std::move(*e));
    return out;
}

// Feeds `bytes` one at a time: nothing may come out before the last byte; returns what comes then.
template <class Decoder>
auto feed_byte_by_byte(Decoder& d, const Bytes& bytes) {
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        d.feed(std::span(bytes).subspan(i, 1));
        EXPECT_FALSE(d.next().has_value()) << "event before byte " << i + 1;
    }
    d.feed(std::span(bytes).subspan(bytes.size() - 1));
    return drain(d);
}

// ---- v2 ----

TEST(AtolFrameV2, EncodesWorkedExamplesByteForByte) {
    // The first is atol4j's own unit-test vector; the last has one stuffed DLE (CRC over stuffed bytes).
    EXPECT_EQ(to_hex(encode_v2_frame(hex("1F 00 FF 10 02 03 1A"))), "02 1F 00 FF 10 10 02 10 03 1A 03 E8");
    EXPECT_EQ(to_hex(encode_v2_frame(hex("00 00 3F"))), "02 00 00 3F 03 3C");
    EXPECT_EQ(to_hex(encode_v2_frame(hex("00 00 56 01 00 00 00 30"))), "02 00 00 56 01 00 00 00 30 03 64");
    EXPECT_EQ(to_hex(encode_v2_frame(hex("00 00 4C 10"))), "02 00 00 4C 10 10 03 4F");
}

TEST(AtolFrameV2, RejectsEmptyAndOversizedData) {
    EXPECT_TRUE(encode_v2_frame({}).empty());
    EXPECT_TRUE(encode_v2_frame(Bytes(kMaxV2Data + 1, 0)).empty());
    EXPECT_EQ(encode_v2_frame(Bytes(kMaxV2Data, 0x41)).size(), kMaxV2Data + 3);
}

TEST(AtolFrameV2, DecodesWorkedExamples) {
    for (const char* data : {"1F 00 FF 10 02 03 1A", "00 00 3F", "00 00 56 01 00 00 00 30", "00 00 4C 10"}) {
        V2Decoder d;
        d.feed(encode_v2_frame(hex(data)));
        auto events = drain(d);
        ASSERT_EQ(events.size(), 1u) << data;
        EXPECT_EQ(events[0].kind, V2Event::Kind::Frame) << data;
        EXPECT_EQ(to_hex(events[0].data), to_hex(hex(data)));
    }
}

TEST(AtolFrameV2, DecodesWholeFrame) {
    V2Decoder d;
    d.feed(hex("02 1F 00 FF 10 10 02 10 03 1A 03 E8"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::Frame);
    EXPECT_EQ(to_hex(events[0].data), "1F 00 FF 10 02 03 1A");
    EXPECT_FALSE(d.in_frame());
}

TEST(AtolFrameV2, DecodesFrameSplitAcrossReads) {
    V2Decoder d;
    auto events = feed_byte_by_byte(d, hex("02 1F 00 FF 10 10 02 10 03 1A 03 E8"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(to_hex(events[0].data), "1F 00 FF 10 02 03 1A");
}

TEST(AtolFrameV2, DecodesTwoFramesAndControlsInOneRead) {
    V2Decoder d;
    d.feed(hex("05 02 00 00 3F 03 3C 02 00 00 4C 10 10 03 4F 04"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::Control);
    EXPECT_EQ(events[0].control, kEnq);
    EXPECT_EQ(to_hex(events[1].data), "00 00 3F");
    EXPECT_EQ(to_hex(events[2].data), "00 00 4C 10");
    EXPECT_EQ(events[3].control, kEot);
}

TEST(AtolFrameV2, TruncatedFrameYieldsNothing) {
    V2Decoder d;
    d.feed(hex("02 00 00 56 01 00"));
    EXPECT_FALSE(d.next().has_value());
    EXPECT_TRUE(d.in_frame());
    // ETX arrived but not the CRC: still nothing.
    d.reset();
    d.feed(hex("02 00 00 3F 03"));
    EXPECT_FALSE(d.next().has_value());
    d.reset();
    EXPECT_FALSE(d.in_frame());
    d.feed(hex("02 00 00 3F 03 3C"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::Frame);
}

TEST(AtolFrameV2, BadCrcIsReportedAndTheDecoderRecovers) {
    V2Decoder d;
    // 5F is the XOR over the unstuffed data: the wrong formula must not pass (§2.3).
    d.feed(hex("02 00 00 4C 10 10 03 5F"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::BadFrame);
    d.feed(hex("02 00 00 4C 10 10 03 4F"));
    events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::Frame);
}

TEST(AtolFrameV2, GarbageBetweenFramesIsSkipped) {
    V2Decoder d;
    d.feed(hex("FF 00 33 02 00 00 3F 03 3C 7E 10 03 02 00 00 4C 10 10 03 4F FE"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(to_hex(events[0].data), "00 00 3F");
    EXPECT_EQ(to_hex(events[1].data), "00 00 4C 10");
    EXPECT_EQ(d.skipped(), 7u);
}

TEST(AtolFrameV2, EscapingEdgeCases) {
    // Data made only of the escaped values, ending in DLE, and control values that need no escape.
    for (const char* data : {"10", "03", "10 10", "03 03", "10 03", "00 10", "02 04 05 06 15", "10 03 10 03 10"}) {
        const auto frame = encode_v2_frame(hex(data));
        V2Decoder d;
        d.feed(frame);
        auto events = drain(d);
        ASSERT_EQ(events.size(), 1u) << data;
        EXPECT_EQ(events[0].kind, V2Event::Kind::Frame) << data;
        EXPECT_EQ(to_hex(events[0].data), to_hex(hex(data))) << data;
    }
    EXPECT_EQ(to_hex(encode_v2_frame(hex("03"))), "02 10 03 03 10");
    // A DLE followed by anything but 10h or 03h cannot come from a sender: a line error.
    V2Decoder d;
    d.feed(hex("02 00 10 41 03 52"));  // CRC matches the bytes, the escape does not
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V2Event::Kind::BadFrame);
}

TEST(AtolFrameV2, RunawayFrameWithoutEtxIsDropped) {
    V2Decoder d;
    Bytes noise{kStx};
    noise.resize(kMaxV2Data + 10, 0x41);
    d.feed(noise);
    EXPECT_FALSE(d.next().has_value());
    d.feed(hex("02 00 00 3F 03 3C"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(to_hex(events[0].data), "00 00 3F");
}

// ---- v3 ----

TEST(AtolFrameV3, Crc8CheckVectors) {
    EXPECT_EQ(crc8(hex("01")), 0x9D);
    EXPECT_EQ(crc8(hex("06 C4")), 0x58);
    EXPECT_EQ(crc8(hex("07 C1 01 02 00 00 A5")), 0x8D);
    EXPECT_EQ(crc8(hex("08 C3 02")), 0xFC);
    EXPECT_EQ(crc8(hex("09 C3 02")), 0xBA);
    EXPECT_EQ(crc8(hex("0A C3 02")), 0x70);
    EXPECT_EQ(crc8(hex("F0 A6 57 55 00 00")), 0xFE);
    EXPECT_EQ(crc8(0xF0, hex("A6 57 55 00 00")), 0xFE);
}

TEST(AtolFrameV3, EncodesWorkedExamplesByteForByte) {
    EXPECT_EQ(to_hex(encode_v3_packet(0x01, {})), "FE 00 00 01 9D");
    EXPECT_EQ(to_hex(encode_v3_packet(0x06, TaskCommand::abort().encode())), "FE 01 00 06 C4 58");
    EXPECT_EQ(to_hex(encode_v3_packet(0x07, TaskCommand::add(0x02, hex("00 00 A5")).encode())),
              "FE 06 00 07 C1 01 02 00 00 A5 8D");
    EXPECT_EQ(to_hex(encode_v3_packet(0x08, TaskCommand::req(0x02).encode())), "FE 02 00 08 C3 02 FC");
    EXPECT_EQ(to_hex(encode_v3_packet(0xF0, hex("A6 57 55 00 00"))), "FE 05 00 F0 A6 57 55 00 00 FD EE");
    EXPECT_EQ(to_hex(encode_v3_packet(0x01, TaskCommand::add(0x01, hex("00 00 3F")).encode())),
              "FE 06 00 01 C1 01 01 00 00 3F E7");
    EXPECT_EQ(to_hex(encode_v3_packet(0x02, TaskCommand::req(0x01).encode())), "FE 02 00 02 C3 01 71");
    EXPECT_EQ(to_hex(encode_v3_packet(0x02, hex("A3 55 00 00"))), "FE 04 00 02 A3 55 00 00 20");
    EXPECT_EQ(to_hex(encode_v3_packet(0xF0, hex("A6 01 55 00 00"))), "FE 05 00 F0 A6 01 55 00 00 2F");
    EXPECT_EQ(to_hex(encode_v3_packet(0x03, TaskCommand::ack(0x01).encode())), "FE 02 00 03 C2 01 C3");
    EXPECT_EQ(to_hex(encode_v3_packet(0x10, hex("C1 01 05 00 00 4C FE FD"))),
              "FE 08 00 10 C1 01 05 00 00 4C FD EE FD ED E4");
}

TEST(AtolFrameV3, LengthSplitsIntoSevenBitHalves) {
    const Bytes data(300, 0x41);
    const auto packet = encode_v3_packet(0x05, data);
    EXPECT_EQ(packet[1], 300 & 0x7F);
    EXPECT_EQ(packet[2], 300 >> 7);
    V3Decoder d;
    d.feed(packet);
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::Packet);
    EXPECT_EQ(events[0].packet.data, data);
    EXPECT_TRUE(encode_v3_packet(0x05, Bytes(kMaxV3Data + 1, 0)).empty());
}

TEST(AtolFrameV3, DecodesWholePacket) {
    V3Decoder d;
    d.feed(hex("FE 06 00 07 C1 01 02 00 00 A5 8D"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::Packet);
    EXPECT_EQ(events[0].packet.id, 0x07);
    EXPECT_EQ(to_hex(events[0].packet.data), "C1 01 02 00 00 A5");
    EXPECT_FALSE(d.in_packet());
}

TEST(AtolFrameV3, DecodesPacketSplitAcrossReads) {
    V3Decoder d;
    auto events = feed_byte_by_byte(d, hex("FE 08 00 10 C1 01 05 00 00 4C FD EE FD ED E4"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::Packet);
    EXPECT_EQ(to_hex(events[0].packet.data), "C1 01 05 00 00 4C FE FD");
}

TEST(AtolFrameV3, DecodesTwoPacketsInOneRead) {
    V3Decoder d;
    d.feed(hex("FE 04 00 02 A3 55 00 00 20 FE 05 00 F0 A6 57 55 00 00 FD EE"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].packet.id, 0x02);
    EXPECT_EQ(to_hex(events[0].packet.data), "A3 55 00 00");
    EXPECT_EQ(events[1].packet.id, kAsyncId);
    EXPECT_EQ(to_hex(events[1].packet.data), "A6 57 55 00 00");
}

TEST(AtolFrameV3, TruncatedPacketYieldsNothing) {
    V3Decoder d;
    d.feed(hex("FE 06 00 07 C1 01 02 00"));
    EXPECT_FALSE(d.next().has_value());
    EXPECT_TRUE(d.in_packet());
    // A stuffed CRC cut after its escape byte is still incomplete.
    d.reset();
    d.feed(hex("FE 05 00 F0 A6 57 55 00 00 FD"));
    EXPECT_FALSE(d.next().has_value());
    d.reset();
    EXPECT_FALSE(d.in_packet());
}

TEST(AtolFrameV3, TruncatedPacketIsAbandonedAtTheNextStart) {
    V3Decoder d;
    d.feed(hex("FE 06 00 07 C1 01 FE 02 00 08 C3 02 FC"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::Packet);
    EXPECT_EQ(events[0].packet.id, 0x08);
    EXPECT_EQ(d.skipped(), 6u);
}

TEST(AtolFrameV3, BadCrcIsReportedWithItsIdAndTheDecoderRecovers) {
    V3Decoder d;
    d.feed(hex("FE 02 00 08 C3 02 FD"));  // an escape byte with nothing after it: incomplete
    EXPECT_FALSE(d.next().has_value());
    d.reset();
    d.feed(hex("FE 02 00 08 C3 02 FB"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::BadPacket);
    EXPECT_EQ(events[0].packet.id, 0x08);
    d.feed(hex("FE 02 00 08 C3 02 FC"));
    events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::Packet);
}

TEST(AtolFrameV3, GarbageBetweenPacketsIsSkipped) {
    V3Decoder d;
    // Noise, a start with an impossible length byte (≥ 80h), then two good packets.
    d.feed(hex("00 55 FE 90 FE 00 00 01 9D 13 FE 01 00 06 C4 58 AA"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].packet.id, 0x01);
    EXPECT_TRUE(events[0].packet.data.empty());
    EXPECT_EQ(to_hex(events[1].packet.data), "C4");
    EXPECT_EQ(d.skipped(), 6u);
}

TEST(AtolFrameV3, EscapingEdgeCases) {
    // Every escaped value at the start, the end, back to back; and a CRC that itself needs stuffing.
    for (const char* data : {"FE", "FD", "FE FE", "FD FD", "FD EE", "FD ED", "EE ED FE", "A6 57 55 00 00"}) {
        for (const std::uint8_t id : std::vector<std::uint8_t>{0x00, 0x10, kMaxHostId, kAsyncId}) {
            const auto packet = encode_v3_packet(id, hex(data));
            // Only the leading byte may be FEh on the wire.
            for (std::size_t i = 1; i < packet.size(); ++i) ASSERT_NE(packet[i], kV3Stx) << data;
            V3Decoder d;
            d.feed(packet);
            auto events = drain(d);
            ASSERT_EQ(events.size(), 1u) << data;
            EXPECT_EQ(events[0].kind, V3Event::Kind::Packet) << data;
            EXPECT_EQ(events[0].packet.id, id);
            EXPECT_EQ(to_hex(events[0].packet.data), to_hex(hex(data))) << data;
        }
    }
    // FD followed by anything but EE/ED is corrupt.
    V3Decoder d;
    d.feed(hex("FE 01 00 01 FD 41 00"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, V3Event::Kind::BadPacket);
}

// ---- task buffer ----

TEST(AtolTaskBuffer, CommandsRoundTrip) {
    for (const auto& c : {TaskCommand::add(0x01, hex("00 00 3F")), TaskCommand::ack_add(0x22, hex("00 00 48"), 0x03),
                          TaskCommand::ack(0x05), TaskCommand::req(0xDE), TaskCommand::abort()}) {
        auto parsed = TaskCommand::parse(c.encode());
        ASSERT_TRUE(parsed) << to_hex(c.encode());
        EXPECT_EQ(parsed->code, c.code);
        EXPECT_EQ(parsed->flags, c.flags);
        EXPECT_EQ(parsed->tid, c.tid);
        EXPECT_EQ(parsed->payload, c.payload);
    }
    EXPECT_EQ(to_hex(TaskCommand::ack_add(0x02, hex("00 00 3F")).encode()), "C5 01 02 00 00 3F");
}

TEST(AtolTaskBuffer, MalformedCommandsAreRejected) {
    for (const char* data : {"", "C1 01 02", "C2", "C3 01 02", "C4 00", "C6 01", "A3 55"}) {
        auto parsed = TaskCommand::parse(hex(data));
        ASSERT_FALSE(parsed) << data;
        EXPECT_EQ(parsed.error().code, "task_format");
    }
}

TEST(AtolTaskBuffer, RepliesParse) {
    auto result = TaskReply::parse(hex("A3 55 00 00"));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, task::kResult);
    EXPECT_FALSE(result->tid);
    EXPECT_EQ(to_hex(result->answer), "55 00 00");

    auto async = TaskReply::parse(hex("A6 57 55 00 00"));
    ASSERT_TRUE(async);
    EXPECT_TRUE(async->is_async());
    EXPECT_EQ(async->tid, 0x57);
    EXPECT_EQ(to_hex(async->answer), "55 00 00");

    auto pending = TaskReply::parse(hex("A1"));
    ASSERT_TRUE(pending);
    EXPECT_FALSE(pending->has_answer());
    auto exists = TaskReply::parse(hex("B2"));
    ASSERT_TRUE(exists);
    EXPECT_EQ(exists->status, task::kAlreadyExists);

    EXPECT_FALSE(TaskReply::parse(hex("")));
    EXPECT_FALSE(TaskReply::parse(hex("A6")));
    EXPECT_FALSE(TaskReply::parse(hex("C1 01")));
    EXPECT_FALSE(TaskReply::parse(hex("B5")));
}

TEST(AtolTaskBuffer, RepliesRoundTrip) {
    for (const auto& r :
         {TaskReply{task::kResult, std::nullopt, hex("55 00 00")},
          TaskReply{task::kError, std::nullopt, hex("55 9B 00")}, TaskReply{task::kAsyncError, 0x11, hex("55 67 00")},
          TaskReply{task::kInProgress, std::nullopt, {}}}) {
        auto parsed = TaskReply::parse(r.encode());
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->status, r.status);
        EXPECT_EQ(parsed->tid, r.tid);
        EXPECT_EQ(parsed->answer, r.answer);
    }
}

}  // namespace
}  // namespace kassa::drivers::atol
