// The ATOL link exchange on virtual time: shared/spec/protocols.md §2.3 (v2) and §2.4 (v3 task buffer).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "drivers/atol/session.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::atol {
namespace {

using namespace std::chrono_literals;
using test::hex;
using test::to_hex;

// Carries out a session's actions: records what was sent, the armed timer, the completion.
struct Line {
    Session& session;
    std::vector<std::string> sent;
    std::optional<std::chrono::milliseconds> timer;
    std::optional<Result<Bytes>> done;

    void apply(const SessionActions& actions) {
        for (const auto& a : actions) {
            switch (a.kind) {
                case SessionAction::Kind::Send:
                    sent.push_back(to_hex(a.bytes));
                    break;
                case SessionAction::Kind::StartTimer:
                    timer = a.timeout;
                    break;
                case SessionAction::Kind::Complete:
                    done = a.result;
                    timer.reset();
                    break;
            }
        }
    }
    void start(const Request& r) { apply(session.start(r)); }
    void device(std::string_view bytes) { apply(session.on_bytes(hex(bytes))); }
    void device(const Bytes& bytes) { apply(session.on_bytes(bytes)); }
    void expire() {
        ASSERT_TRUE(timer.has_value()) << "no timer armed";
        apply(session.on_timeout());
    }
    std::string last() const { return sent.empty() ? "" : sent.back(); }
};

const Request kStatus = simple_request(cmd::kStatus);

// ---- v2 ----

TEST(AtolSessionV2, StatusExchangeStepByStep) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    EXPECT_EQ(line.last(), "05");  // ENQ
    EXPECT_EQ(line.timer, 500ms);
    line.device("06");
    EXPECT_EQ(line.last(), "02 00 00 3F 03 3C");  // the §2.3 frame
    line.device("06");
    EXPECT_EQ(line.last(), "04");  // EOT: the device may now work
    EXPECT_EQ(line.timer, 10s);    // T5 for 3Fh
    EXPECT_TRUE(s.request_sent());
    line.device("05");
    EXPECT_EQ(line.last(), "06");
    EXPECT_EQ(line.timer, 2000ms);
    line.device(encode_v2_frame(hex("44 30 01 10")));
    EXPECT_EQ(line.last(), "06");
    ASSERT_TRUE(line.done.has_value());
    ASSERT_TRUE(*line.done);
    EXPECT_EQ(to_hex(**line.done), "44 30 01 10");
    EXPECT_FALSE(s.busy());
    // The device's closing EOT falls between exchanges and is ignored.
    line.device("04");
    EXPECT_EQ(line.sent.size(), 5u);
}

TEST(AtolSessionV2, AnswerByteByByteWithStuffing) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    line.device("06");
    line.device("06");
    line.device("05");
    const auto frame = encode_v2_frame(hex("55 00 00 10 03"));
    for (const auto b : frame) {
        EXPECT_FALSE(line.done.has_value());
        line.device(Bytes{b});
    }
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 00 00 10 03");
}

TEST(AtolSessionV2, SilentDeviceGivesUpAfterFiveEnqWithNothingSent) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    for (int i = 0; i < 5; ++i) line.expire();
    EXPECT_EQ(line.last(), "04");
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "no_connection");
    EXPECT_FALSE(s.request_sent());
    EXPECT_EQ(std::count(line.sent.begin(), line.sent.end(), "05"), 5);
}

TEST(AtolSessionV2, NakOrCollisionPausesThenAsksAgain) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    line.device("15");
    EXPECT_EQ(line.sent.size(), 1u);  // nothing sent during the pause
    line.expire();
    EXPECT_EQ(line.last(), "05");
    line.device("05");  // the device wants the line too
    line.expire();
    EXPECT_EQ(line.last(), "05");
    line.device("06");
    EXPECT_EQ(line.last(), "02 00 00 3F 03 3C");
}

TEST(AtolSessionV2, FrameNakIsResentAndTooManyGiveUp) {
    SessionConfig cfg;
    cfg.max_resends = 2;
    V2Session s(cfg);
    Line line{s};
    line.start(kStatus);
    line.device("06");
    line.device("15");
    EXPECT_EQ(line.last(), "02 00 00 3F 03 3C");
    line.device("15");
    line.device("15");
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "no_connection");
}

TEST(AtolSessionV2, CorruptAnswerIsAskedAgainWithNak) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    line.device("06");
    line.device("06");
    line.device("05");
    line.device("02 00 00 4C 10 10 03 5F");  // bad CRC
    EXPECT_EQ(line.last(), "15");
    EXPECT_FALSE(line.done.has_value());
    line.device("02 00 00 4C 10 10 03 4F");
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "00 00 4C 10");
}

TEST(AtolSessionV2, NoAnswerAfterTheCommandIsMaybeExecuted) {
    SessionConfig cfg;
    cfg.answer_timeout = 3s;
    V2Session s(cfg);
    Line line{s};
    line.start(open_receipt_request(1));
    line.device("06");
    line.device("06");
    EXPECT_EQ(line.timer, 3s);
    line.expire();
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "link_lost");
    EXPECT_TRUE(s.request_sent());
    // v2 keeps no result to collect.
    line.done.reset();
    line.apply(s.start_recovery());
    EXPECT_EQ(line.done->error().code, "nothing_pending");
}

TEST(AtolSessionV2, FrameStoppingHalfWayIsAskedAgain) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    line.device("06");
    line.device("06");
    line.device("05");
    line.device("02 55 00");
    EXPECT_EQ(line.timer, 500ms);  // T6 inside a frame
    line.expire();
    EXPECT_EQ(line.last(), "15");
    line.device(encode_v2_frame(hex("55 00 00")));
    ASSERT_TRUE(line.done && *line.done);
}

TEST(AtolSessionV2, BusyWhileAnExchangeRuns) {
    V2Session s;
    Line line{s};
    line.start(kStatus);
    auto again = s.start(kStatus);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].result.error().code, "busy");
    EXPECT_TRUE(s.busy());
}

// ---- v3 ----

TEST(AtolSessionV3, GreetingAbortsThenTasksMatchTheSpecPackets) {
    V3Session s;
    Line line{s};
    EXPECT_EQ(to_hex(s.greeting()), "FE 01 00 00 C4 " + to_hex(Bytes{crc8(hex("00 C4"))}));
    line.start(kStatus);
    EXPECT_EQ(line.last(), "FE 06 00 01 C1 01 01 00 00 3F E7");  // §2.4.4
    EXPECT_EQ(line.timer, 500ms);
    line.device(encode_v3_packet(0x01, hex("A2")));
    EXPECT_EQ(line.timer, 100ms);
    line.expire();
    EXPECT_EQ(line.last(), "FE 02 00 02 C3 01 71");  // Req TID 1, ID 2 (§2.4.4)
    line.device("FE 04 00 02 A3 55 00 00 20");
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 00 00");
    // The next task acknowledges that result in the same packet (AckAdd).
    line.done.reset();
    line.start(simple_request(cmd::kExitMode));
    EXPECT_EQ(line.last(), to_hex(encode_v3_packet(0x03, hex("C5 01 02 00 00 48"))));
}

TEST(AtolSessionV3, AsynchronousResultCompletesWithoutPolling) {
    V3Session s;
    Line line{s};
    (void)s.greeting();
    line.start(kStatus);
    line.device(encode_v3_packet(0x01, hex("A1")));
    line.device("FE 05 00 F0 A6 01 55 00 00 2F");  // §2.4.4 device async
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 00 00");
    EXPECT_EQ(line.sent.size(), 1u);
}

TEST(AtolSessionV3, ResultInTheReplyAndAsyncErrorsCarryTheAnswer) {
    V3Session s;
    Line line{s};
    line.start(open_receipt_request(1));
    const auto id = static_cast<std::uint8_t>(0);
    line.device(encode_v3_packet(id, hex("A4 55 9B 00")));
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 9B 00");  // the application error goes to the driver
    line.done.reset();
    line.start(open_receipt_request(1));
    line.device(encode_v3_packet(0x01, hex("A1")));
    line.device(encode_v3_packet(kAsyncId, hex("A7 02 55 67 00")));
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 67 00");
}

TEST(AtolSessionV3, LostReplyIsRepairedByTheSamePacketAndRunsOnce) {
    V3Session s;
    Line line{s};
    line.start(open_receipt_request(1));
    const auto first = line.last();
    line.expire();                                   // the reply to Add was lost
    EXPECT_EQ(line.last(), first);                   // same packet id, same task id
    line.device(encode_v3_packet(0x00, hex("B2")));  // already queued: the task is not run twice
    EXPECT_EQ(line.last(), to_hex(encode_v3_packet(0x01, hex("C3 01"))));
    line.device(encode_v3_packet(0x01, hex("A3 55 00 00")));
    ASSERT_TRUE(line.done && *line.done);
}

TEST(AtolSessionV3, CorruptReplyIsAskedAgainWithAnEmptyPacket) {
    V3Session s;
    Line line{s};
    line.start(kStatus);
    line.device("FE 04 00 00 A3 55 00 00 00");  // bad CRC
    EXPECT_EQ(line.last(), to_hex(encode_v3_packet(0x00, {})));
    EXPECT_FALSE(line.done.has_value());
    line.device(encode_v3_packet(0x00, hex("A3 44 01")));
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "44 01");
}

TEST(AtolSessionV3, EmptyPacketFromTheDeviceMeansResend) {
    V3Session s;
    Line line{s};
    line.start(kStatus);
    const auto first = line.last();
    line.sent.clear();
    line.device(encode_v3_packet(0x00, {}));
    ASSERT_EQ(line.sent.size(), 1u);
    EXPECT_EQ(line.last(), first);
}

TEST(AtolSessionV3, StalePacketsAndOtherTasksAreIgnored) {
    V3Session s;
    Line line{s};
    line.start(kStatus);
    line.device(encode_v3_packet(0x33, hex("A3 55 00 00")));         // another packet id
    line.device(encode_v3_packet(kAsyncId, hex("A6 09 55 00 00")));  // another task
    EXPECT_FALSE(line.done.has_value());
    EXPECT_TRUE(s.busy());
}

TEST(AtolSessionV3, ResultThatNeverComesIsLinkLostAndRecoveredLater) {
    SessionConfig cfg;
    cfg.answer_timeout = 300ms;
    cfg.poll_interval = 100ms;
    V3Session s(cfg);
    Line line{s};
    line.start(open_receipt_request(1));
    line.device(encode_v3_packet(0x00, hex("A2")));
    std::uint8_t id = 0;
    for (int i = 0; i < 4 && !line.done; ++i) {
        line.expire();  // poll
        if (line.done) break;
        ++id;
        line.device(encode_v3_packet(id, hex("A2")));
    }
    if (!line.done) line.expire();
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "link_lost");
    EXPECT_TRUE(s.request_sent());
    // Later the device has finished: recovery collects the same task's result.
    line.done.reset();
    line.apply(s.start_recovery());
    EXPECT_EQ(line.last().substr(0, 17), "FE 02 00 " + to_hex(Bytes{static_cast<std::uint8_t>(id + 1)}) + " C3 01");
    line.device(encode_v3_packet(static_cast<std::uint8_t>(id + 1), hex("A3 55 00 00")));
    ASSERT_TRUE(line.done && *line.done);
    EXPECT_EQ(to_hex(**line.done), "55 00 00");
}

TEST(AtolSessionV3, RecoveryOfAnUnknownTaskFindsNothing) {
    V3Session s;
    Line line{s};
    line.apply(s.start_recovery());
    EXPECT_EQ(line.done->error().code, "nothing_pending");  // nothing was ever sent
    line.done.reset();
    line.start(kStatus);
    line.device(encode_v3_packet(0x00, hex("A3 44")));
    line.done.reset();
    line.apply(s.start_recovery());
    line.device(encode_v3_packet(0x01, hex("B3")));
    EXPECT_EQ(line.done->error().code, "nothing_pending");
}

TEST(AtolSessionV3, SilentDeviceGivesUpAfterResends) {
    SessionConfig cfg;
    cfg.max_resends = 3;
    V3Session s(cfg);
    Line line{s};
    line.start(kStatus);
    for (int i = 0; i < 4; ++i) line.expire();
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "link_lost");  // the Add may have arrived
    EXPECT_EQ(line.sent.size(), 4u);
}

TEST(AtolSessionV3, StoppedQueueIsClearedOnceAndTheTaskAddedAgain) {
    V3Session s;
    Line line{s};
    line.start(kStatus);
    line.device(encode_v3_packet(0x00, hex("A5")));
    EXPECT_EQ(line.last(), to_hex(encode_v3_packet(0x01, hex("C4"))));
    line.device(encode_v3_packet(0x01, hex("A5")));  // whatever Abort answers
    EXPECT_EQ(line.last(), to_hex(encode_v3_packet(0x02, hex("C1 01 01 00 00 3F"))));
    line.device(encode_v3_packet(0x02, hex("A5")));
    ASSERT_TRUE(line.done.has_value());
    EXPECT_EQ(line.done->error().code, "link_lost");
}

TEST(AtolSessionV3, FullBufferAndIllegalValues) {
    V3Session s;
    Line line{s};
    line.start(kStatus);
    line.device(encode_v3_packet(0x00, hex("B1")));
    EXPECT_EQ(line.done->error().code, "device_busy");
    line.done.reset();
    line.start(kStatus);
    line.device(encode_v3_packet(0x01, hex("B4")));
    EXPECT_EQ(line.done->error().code, "bad_request");
}

TEST(AtolSessionV3, IdsWrapAtDfAndTaskIdsAtDe) {
    V3Session s;
    Line line{s};
    for (int i = 0; i < 0xE0 + 2; ++i) {
        line.done.reset();
        line.start(kStatus);
        const auto packet = hex(line.last());
        ASSERT_LE(packet[3], kMaxHostId);
        EXPECT_EQ(packet[3], i % 0xE0);
        EXPECT_GE(packet[6], 1);
        EXPECT_LE(packet[6], 0xDE);
        line.device(encode_v3_packet(packet[3], hex("A3 55 00 00")));
        ASSERT_TRUE(line.done && *line.done);
    }
}

}  // namespace
}  // namespace kassa::drivers::atol
