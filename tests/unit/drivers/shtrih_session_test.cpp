// The sans-I/O link exchange (shared/spec/protocols.md §1.3), driven by hand with virtual time.
#include <gtest/gtest.h>

#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/session.hpp"
#include "test_hex.hpp"

namespace kassa::drivers::shtrih {
namespace {

using test::hex;
using test::to_hex;
using namespace std::chrono_literals;

// Carries out the session's actions: records what it sent and the armed timer.
struct Harness {
    Session session;
    std::vector<Bytes> sent;
    std::optional<std::chrono::milliseconds> timer;
    std::optional<Result<Bytes>> result;

    explicit Harness(SessionConfig cfg = {}) : session(cfg) {}

    void apply(const SessionActions& actions) {
        for (const auto& a : actions) {
            switch (a.kind) {
                case SessionAction::Kind::Send:
                    sent.push_back(a.bytes);
                    break;
                case SessionAction::Kind::StartTimer:
                    timer = a.timeout;
                    break;
                case SessionAction::Kind::Complete:
                    result = a.result;
                    timer.reset();
                    break;
            }
        }
    }
    void start(const Request& r) { apply(session.start(r)); }
    void device(std::string_view h) { apply(session.on_bytes(hex(h))); }
    void device_frame(std::string_view body) { apply(session.on_bytes(encode_frame(hex(body)))); }
    void fire() {
        ASSERT_TRUE(timer.has_value());
        apply(session.on_timeout());
    }
    std::string last_sent() const { return sent.empty() ? "" : to_hex(sent.back()); }
};

SessionConfig config(void (*mutate)(SessionConfig&)) {
    SessionConfig c;
    mutate(c);
    return c;
}

const Request kStatus = password_request(cmd::kShortStatus, 30);
constexpr std::string_view kStatusFrame = "02 05 10 1E 00 00 00 0B";
constexpr std::string_view kStatusAnswer = "10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00";

TEST(ShtrihSession, HappyExchangeMatchesTheSpecSequence) {
    Harness h;
    h.start(kStatus);
    EXPECT_EQ(h.last_sent(), "05");
    h.device("15");
    EXPECT_EQ(h.last_sent(), kStatusFrame);
    h.device("06");
    EXPECT_EQ(*h.timer, 3s) << "10h answer timeout from §1.11";
    h.device_frame(kStatusAnswer);
    EXPECT_EQ(h.last_sent(), "06");
    ASSERT_TRUE(h.result);
    ASSERT_TRUE(*h.result);
    EXPECT_EQ(to_hex(**h.result), kStatusAnswer);
    EXPECT_FALSE(h.session.busy());
}

// After an exchange that ended with our ACK the device is idle (§1.3): the next frame goes without
// ENQ. A frame the device does not acknowledge is never sent again blindly: ENQ asks first.
TEST(ShtrihSession, NoEnqAfterACleanExchangeButEnqWhenTheFrameIsNotAcknowledged) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);

    h.result.reset();
    h.start(kStatus);
    EXPECT_EQ(h.last_sent(), kStatusFrame) << "no ENQ: the device holds nothing for us";
    EXPECT_TRUE(h.session.frame_sent());
    h.fire();  // no ACK (e.g. the device restarted and waits for ENQ)
    EXPECT_EQ(h.last_sent(), "05");
    h.device("15");  // idle: the frame never arrived
    EXPECT_EQ(h.last_sent(), "05") << "the overdue ACK might still come: wait for a quiet line";
    h.fire();
    EXPECT_EQ(h.last_sent(), kStatusFrame);
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);

    // After a failed exchange, and after abort(), ENQ comes first again.
    h.start(kStatus);
    h.session.abort();
    h.start(kStatus);
    EXPECT_EQ(h.last_sent(), "05");
}

TEST(ShtrihSession, EnqBeforeEveryCommandWhenAsked) {
    Harness h(config([](SessionConfig& c) { c.enq_before_every_command = true; }));
    h.start(kStatus);
    h.device("15");
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
    h.start(kStatus);
    EXPECT_EQ(h.last_sent(), "05");
}

TEST(ShtrihSession, AnswerSplitIntoSingleBytes) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    h.device("06");
    for (auto b : encode_frame(hex(kStatusAnswer))) h.apply(h.session.on_bytes(std::span(&b, 1)));
    ASSERT_TRUE(h.result && *h.result);
}

TEST(ShtrihSession, PerCommandTimeouts) {
    Harness h;
    h.start(password_request(cmd::kOpenShift, 1));
    h.device("15");
    h.device("06");
    EXPECT_EQ(*h.timer, 120s);
}

TEST(ShtrihSession, NakOnFrameResends) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    h.device("15");  // interface error: resend
    EXPECT_EQ(h.last_sent(), kStatusFrame);
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
}

TEST(ShtrihSession, TooManyNaksFailWithoutExecution) {
    Harness h(config([](SessionConfig& c) { c.max_frame_naks = 2; }));
    h.start(kStatus);
    h.device("15");
    h.device("15");
    h.device("15");
    h.device("15");
    ASSERT_TRUE(h.result);
    ASSERT_FALSE(*h.result);
    EXPECT_EQ(h.result->error().code, "link_error");
}

TEST(ShtrihSession, SilentDeviceGivesNoConnection) {
    Harness h(config([](SessionConfig& c) { c.max_enq = 3; }));
    h.start(kStatus);
    for (int i = 0; i < 3; ++i) h.fire();
    ASSERT_TRUE(h.result);
    ASSERT_FALSE(*h.result);
    EXPECT_EQ(h.result->error().code, "no_connection");
    EXPECT_FALSE(h.session.frame_sent());
    for (const auto& s : h.sent) EXPECT_EQ(to_hex(s), "05");
}

TEST(ShtrihSession, LostAckIsRecoveredWithEnqNotByResending) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    const auto frames_before = h.sent.size();
    h.fire();  // no ACK for our frame
    EXPECT_EQ(h.last_sent(), "05") << "never resend a command without ENQ";
    h.device("06");  // the device has (or prepares) the answer
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
    EXPECT_EQ(h.sent.size(), frames_before + 2);  // ENQ, ACK
}

TEST(ShtrihSession, EnqAnsweredByNakAfterSendMeansTheFrameNeverArrived) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    h.fire();
    h.device("15");  // idle: it did not get the command
    // The reply to our frame was overdue, so this NAK might be a late one: the frame goes again
    // only once the line stays quiet for a control timeout.
    EXPECT_EQ(h.last_sent(), "05");
    h.fire();
    EXPECT_EQ(h.last_sent(), kStatusFrame);
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
}

// The issue 12 flake: the device was slow to ACK our item frame, so we asked with ENQ; its late
// ACK and answer completed the exchange, and its reply to that ENQ (ACK and the same answer again)
// came during the next exchange. Neither a late answer to another FF command nor a late NAK may
// make us take a wrong answer or send the next command twice.
TEST(ShtrihSession, LateRepliesOfASlowDeviceNeverResendACommand) {
    Harness h;
    const Request item{0xFF46, hex("1E 00 00 00 01")};
    const Request tags{0xFF4D, hex("1E 00 00 00 AA")};
    h.start(item);
    EXPECT_EQ(h.last_sent(), "05");
    h.device("15");
    const std::string item_frame = h.last_sent();
    h.fire();  // no ACK within the control timeout
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");                 // the late ACK of the frame, read as the ENQ's
    h.device_frame("FF 46 00 01");  // its answer
    ASSERT_TRUE(h.result && *h.result);
    h.result.reset();

    h.start(tags);
    EXPECT_EQ(h.last_sent(), "05") << "late replies may follow: ask first, never send at once";
    const auto before = h.sent.size();
    h.device("06");                 // the reply to the old ENQ: an answer is held...
    h.device_frame("FF 46 00 01");  // ...the item's, again: drained
    EXPECT_EQ(h.last_sent(), "05");
    h.device("15");  // the reply to our first ENQ now
    EXPECT_EQ(h.last_sent(), "05") << "not the frame yet: another reply is due";
    h.device("15");  // the reply to the second
    EXPECT_EQ(h.last_sent(), "05");
    h.fire();  // quiet line
    const std::string tags_frame = h.last_sent();
    EXPECT_NE(tags_frame, "05");
    EXPECT_NE(tags_frame, item_frame);
    h.device("06");
    h.device_frame("FF 4D 00");
    ASSERT_TRUE(h.result && *h.result);
    int frames = 0;
    for (std::size_t i = before; i < h.sent.size(); ++i) frames += to_hex(h.sent[i]) == tags_frame;
    EXPECT_EQ(frames, 1);
}

TEST(ShtrihSession, AnswerToAnotherFfCommandIsNotOurs) {
    Harness h;
    h.start(Request{0xFF4D, hex("1E 00 00 00")});
    h.device("15");
    h.device("06");
    h.device_frame("FF 46 00 01");  // a stale answer: acknowledged and dropped, then ENQ
    EXPECT_FALSE(h.result);
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");
    h.device_frame("FF 4D 00");
    ASSERT_TRUE(h.result && *h.result);
    EXPECT_EQ(to_hex(**h.result), "FF 4D 00");
}

TEST(ShtrihSession, BadLrcAnswerIsNakedThenReadAgain) {
    Harness h;
    h.start(kStatus);
    h.device("15");
    h.device("06");
    auto bad = encode_frame(hex(kStatusAnswer));
    bad.back() ^= 0x01;
    h.apply(h.session.on_bytes(bad));
    ASSERT_GE(h.sent.size(), 2u);
    EXPECT_EQ(to_hex(h.sent[h.sent.size() - 2]), "15");
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
}

TEST(ShtrihSession, TruncatedAnswerTimesOutToNakAndEnq) {
    Harness h(config([](SessionConfig& c) { c.control_timeout = 100ms; }));
    h.start(kStatus);
    h.device("15");
    h.device("06");
    h.device("02 10 10 00 1E");  // the rest is lost
    EXPECT_EQ(*h.timer, 100ms);
    h.fire();
    ASSERT_GE(h.sent.size(), 2u);
    EXPECT_EQ(to_hex(h.sent[h.sent.size() - 2]), "15");
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
}

TEST(ShtrihSession, StaleAnswerBeforeOurCommandIsDrained) {
    Harness h;
    h.start(kStatus);
    h.device("06");                                                     // an old answer is pending
    h.device_frame("FF 45 00 00 00 00 00 00 05 00 00 00 01 02 03 04");  // from a crashed run
    EXPECT_EQ(h.last_sent(), "05");                                     // ACKed it, then ENQ again
    EXPECT_FALSE(h.session.frame_sent());
    h.device("15");
    EXPECT_EQ(h.last_sent(), "05") << "after a stale answer, more may follow: wait for a quiet line";
    h.fire();
    EXPECT_EQ(h.last_sent(), kStatusFrame);
    h.device("06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
    EXPECT_EQ(to_hex(**h.result), kStatusAnswer);
}

TEST(ShtrihSession, SlowAnswerIsAwaitedAcrossEnqRecoveries) {
    Harness h(config([](SessionConfig& c) { c.answer_timeout = 1s; }));
    h.start(password_request(cmd::kZReport, 30));
    h.device("15");
    h.device("06");
    h.fire();  // the answer is late
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");  // still preparing it
    EXPECT_EQ(*h.timer, 1s);
    h.device_frame("41 00 1E");
    ASSERT_TRUE(h.result && *h.result);
}

TEST(ShtrihSession, LinkLostAfterSendIsFlaggedMaybeExecuted) {
    Harness h(config([](SessionConfig& c) { c.max_enq = 2; }));
    h.start(kStatus);
    h.device("15");
    h.device("06");
    for (int i = 0; i < 20 && !h.result; ++i) h.fire();
    ASSERT_TRUE(h.result);
    ASSERT_FALSE(*h.result);
    EXPECT_EQ(h.result->error().code, "link_lost");
    EXPECT_TRUE(h.session.frame_sent());
}

TEST(ShtrihSession, RecoveryReadsAPendingAnswer) {
    Harness h;
    h.apply(h.session.start_recovery());
    EXPECT_EQ(h.last_sent(), "05");
    h.device("06");
    h.device_frame("FF 45 00 00 00 00 00 00 05 00 00 00 01 02 03 04");
    ASSERT_TRUE(h.result && *h.result);
    EXPECT_EQ(h.last_sent(), "06");

    Harness idle;
    idle.apply(idle.session.start_recovery());
    idle.device("15");
    ASSERT_TRUE(idle.result);
    ASSERT_FALSE(*idle.result);
    EXPECT_EQ(idle.result->error().code, "nothing_pending");
}

TEST(ShtrihSession, StrayFfAndNoiseAreIgnored) {
    Harness h;
    h.start(kStatus);
    h.device("FF 15");
    h.device("FF 06");
    h.device_frame(kStatusAnswer);
    ASSERT_TRUE(h.result && *h.result);
    h.device("FF");  // after our ACK over TCP: nothing happens
    EXPECT_FALSE(h.session.busy());
}

TEST(ShtrihSession, OneRequestInFlight) {
    Harness h;
    h.start(kStatus);
    auto second = h.session.start(kStatus);
    ASSERT_EQ(second.size(), 1u);
    ASSERT_FALSE(second[0].result);
    EXPECT_EQ(second[0].result.error().code, "busy");
    EXPECT_TRUE(h.session.busy());
}

}  // namespace
}  // namespace kassa::drivers::shtrih
