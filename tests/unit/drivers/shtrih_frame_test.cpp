// Frame codec: shared/spec/protocols.md §1.2 and the worked frames of §1.12.
#include <gtest/gtest.h>

#include "drivers/shtrih/frame.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::shtrih {
namespace {

using test::hex;
using test::to_hex;

std::vector<LinkEvent> drain(FrameDecoder& d) {
    std::vector<LinkEvent> out;
    while (auto e = d.next()) out.push_back(std::move(*e));
    return out;
}

TEST(ShtrihFrame, EncodesWorkedExamplesByteForByte) {
    EXPECT_EQ(to_hex(encode_frame(hex("10 1E 00 00 00"))), "02 05 10 1E 00 00 00 0B");
    EXPECT_EQ(to_hex(encode_frame(hex("11 1E 00 00 00"))), "02 05 11 1E 00 00 00 0A");
    EXPECT_EQ(to_hex(encode_frame(hex("FF 01 1E 00 00 00"))), "02 06 FF 01 1E 00 00 00 E6");
    EXPECT_EQ(to_hex(encode_frame(hex("E0 01 00 00 00"))), "02 05 E0 01 00 00 00 E4");
    EXPECT_EQ(to_hex(encode_frame(hex("8D 01 00 00 00 00"))), "02 06 8D 01 00 00 00 00 8A");
    EXPECT_EQ(to_hex(encode_frame(hex("10 4F"))), "02 02 10 4F 5D");
    EXPECT_EQ(to_hex(encode_frame(hex("FF 46 02"))), "02 03 FF 46 02 B8");
}

TEST(ShtrihFrame, RejectsEmptyAndOversizedBodies) {
    EXPECT_TRUE(encode_frame({}).empty());
    EXPECT_TRUE(encode_frame(std::vector<std::uint8_t>(256, 0)).empty());
    EXPECT_EQ(encode_frame(std::vector<std::uint8_t>(255, 0)).size(), 258u);
}

TEST(ShtrihFrame, DecodesWholeFrame) {
    FrameDecoder d;
    d.feed(hex("02 10 10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00 DA"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, LinkEvent::Kind::Frame);
    EXPECT_EQ(to_hex(events[0].body), "10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00");
}

TEST(ShtrihFrame, DecodesFrameSplitAcrossReads) {
    FrameDecoder d;
    const auto bytes = hex("02 06 FF 01 1E 00 00 00 E6");
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        d.feed(std::span(bytes).subspan(i, 1));
        EXPECT_FALSE(d.next().has_value()) << "event before byte " << i + 1;
    }
    d.feed(std::span(bytes).subspan(bytes.size() - 1));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(to_hex(events[0].body), "FF 01 1E 00 00 00");
}

TEST(ShtrihFrame, DecodesTwoFramesInOneRead) {
    FrameDecoder d;
    d.feed(hex("06 02 02 10 4F 5D 02 03 FF 46 02 B8"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].kind, LinkEvent::Kind::Control);
    EXPECT_EQ(events[0].control, kAck);
    EXPECT_EQ(to_hex(events[1].body), "10 4F");
    EXPECT_EQ(to_hex(events[2].body), "FF 46 02");
}

TEST(ShtrihFrame, TruncatedFrameYieldsNothing) {
    FrameDecoder d;
    d.feed(hex("02 05 10 1E 00"));
    EXPECT_FALSE(d.next().has_value());
    EXPECT_TRUE(d.in_frame());
    d.reset();
    EXPECT_FALSE(d.in_frame());
    d.feed(hex("02 02 10 4F 5D"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, LinkEvent::Kind::Frame);
}

TEST(ShtrihFrame, BadLrcIsReportedAsBadFrame) {
    FrameDecoder d;
    d.feed(hex("02 05 10 1E 00 00 00 0C"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, LinkEvent::Kind::BadFrame);
    // The decoder recovers for the next frame.
    d.feed(hex("02 05 10 1E 00 00 00 0B"));
    events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, LinkEvent::Kind::Frame);
}

TEST(ShtrihFrame, GarbageBetweenFramesIsSkipped) {
    FrameDecoder d;
    // The trailing FF a device sends over TCP after the host's ACK (§1.1), and other noise.
    d.feed(hex("FF 00 33 02 02 10 4F 5D FF FF 7E 02 03 FF 46 02 B8 FF"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(to_hex(events[0].body), "10 4F");
    EXPECT_EQ(to_hex(events[1].body), "FF 46 02");
    EXPECT_EQ(d.skipped(), 7u);
}

TEST(ShtrihFrame, ControlBytesOutsideFrames) {
    FrameDecoder d;
    d.feed(hex("05 15 06"));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].control, kEnq);
    EXPECT_EQ(events[1].control, kNak);
    EXPECT_EQ(events[2].control, kAck);
}

TEST(ShtrihFrame, ControlValuesInsideAFrameAreData) {
    FrameDecoder d;
    d.feed(encode_frame(hex("17 06 15 05 02")));
    auto events = drain(d);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(to_hex(events[0].body), "17 06 15 05 02");
}

}  // namespace
}  // namespace kassa::drivers::shtrih
