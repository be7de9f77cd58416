// The live event hub (api/events.hpp) without a socket: a sink that keeps what is written. Resume
// from the ring, reset for ids it cannot resume, filters, the cap per token, revocation.
#include "api/events.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace kassa::api {
namespace {

class Recording final : public StreamSink {
  public:
    bool write(std::string bytes) override {
        std::lock_guard lock(mutex_);
        if (ended_) return false;
        text_ += bytes;
        return true;
    }
    void end() override {
        std::vector<std::function<void()>> done;
        {
            std::lock_guard lock(mutex_);
            if (ended_) return;
            ended_ = true;
            done = std::move(on_close_);
        }
        for (auto& f : done) f();
    }
    bool is_open() const override {
        std::lock_guard lock(mutex_);
        return !ended_;
    }
    void on_close(std::function<void()> done) override {
        {
            std::lock_guard lock(mutex_);
            if (!ended_) {
                on_close_.push_back(std::move(done));
                return;
            }
        }
        done();
    }
    std::string text() const {
        std::lock_guard lock(mutex_);
        return text_;
    }

  private:
    mutable std::mutex mutex_;
    std::string text_;
    bool ended_ = false;
    std::vector<std::function<void()>> on_close_;
};

const EventHub::Filter kAll = [](const LiveEvent&) { return true; };

// The ids in a recorded stream, in order.
std::vector<std::string> ids(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = text.find("id: "); at != std::string::npos; at = text.find("id: ", at + 1))
        out.push_back(text.substr(at + 4, text.find('\n', at) - at - 4));
    return out;
}

TEST(EventHub, StreamGetsNewEventsItsFilterPasses) {
    EventHub hub(EventHubOptions{}, {});
    auto sink = std::make_shared<Recording>();
    hub.attach(
        sink, hub.reserve("t"), "t", [](const LiveEvent& e) { return e.register_id == "a"; }, "", false);
    hub.publish("receipt", "a", "x", R"({"id":1})");
    hub.publish("receipt", "b", "x", R"({"id":2})");
    hub.publish("register", "a", "", R"({"id":"a"})");  // no register events for this stream
    const auto text = sink->text();
    EXPECT_NE(text.find("event: receipt\ndata: {\"id\":1}\n\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("\"id\":2"), std::string::npos) << text;
    EXPECT_EQ(text.find("event: register"), std::string::npos) << text;
    EXPECT_EQ(hub.streams(), 1u);
    sink->end();
    EXPECT_EQ(hub.streams(), 0u);
}

TEST(EventHub, LastEventIdResumesFromTheRingElseReset) {
    EventHub hub(EventHubOptions{.ring = 3}, {});
    auto first = std::make_shared<Recording>();
    hub.attach(first, hub.reserve("t"), "t", kAll, "", false);
    for (int i = 1; i <= 5; ++i) hub.publish("receipt", "a", "x", "{\"n\":" + std::to_string(i) + "}");
    const auto all = ids(first->text());
    ASSERT_EQ(all.size(), 5u);

    auto resumed = std::make_shared<Recording>();
    hub.attach(resumed, hub.reserve("t"), "t", kAll, all[2], false);  // the ring holds 3..5
    EXPECT_EQ(ids(resumed->text()), (std::vector<std::string>{all[3], all[4]}));

    auto latest = std::make_shared<Recording>();
    hub.attach(latest, hub.reserve("t"), "t", kAll, all[4], false);
    EXPECT_TRUE(ids(latest->text()).empty());
    EXPECT_EQ(latest->text().find("event: reset"), std::string::npos);

    for (const auto& gone : {all[0], std::string("00000000-4"), std::string("garbage"), all[4] + "0"}) {
        auto sink = std::make_shared<Recording>();
        hub.attach(sink, hub.reserve("u"), "u", kAll, gone, false);
        EXPECT_NE(sink->text().find("event: reset"), std::string::npos) << gone;
        EXPECT_TRUE(ids(sink->text()).empty()) << gone;
        sink->end();
    }
}

TEST(EventHub, RegisterStateWhenAStreamStarts) {
    EventHub hub(EventHubOptions{}, [] {
        return std::vector<std::pair<std::string, std::string>>{{"a", R"({"id":"a"})"}, {"b", R"({"id":"b"})"}};
    });
    auto sink = std::make_shared<Recording>();
    hub.attach(
        sink, hub.reserve("t"), "t", [](const LiveEvent& e) { return e.register_id == "b"; }, "", true);
    EXPECT_NE(sink->text().find("event: register\ndata: {\"id\":\"b\"}"), std::string::npos) << sink->text();
    EXPECT_EQ(sink->text().find("\"a\""), std::string::npos) << sink->text();
}

TEST(EventHub, StreamsPerTokenAreCappedUntilOneEnds) {
    EventHub hub(EventHubOptions{.streams_per_token = 2}, {});
    auto one = std::make_shared<Recording>();
    auto two = std::make_shared<Recording>();
    hub.attach(one, hub.reserve("t"), "t", kAll, "", false);
    hub.attach(two, hub.reserve("t"), "t", kAll, "", false);
    EXPECT_EQ(hub.reserve("t"), nullptr);
    EXPECT_NE(hub.reserve("other"), nullptr);
    one->end();
    EXPECT_NE(hub.reserve("t"), nullptr);
    // A place reserved for a stream that never started is given back too.
    { auto unused = hub.reserve("t"); }
    EXPECT_NE(hub.reserve("t"), nullptr);
}

TEST(EventHub, RevocationEndsTheTokensStreamsOnly) {
    EventHub hub(EventHubOptions{}, {});
    auto mine = std::make_shared<Recording>();
    auto other = std::make_shared<Recording>();
    hub.attach(mine, hub.reserve("t"), "t", kAll, "", false);
    hub.attach(other, hub.reserve("u"), "u", kAll, "", false);
    hub.revoke("t");
    EXPECT_NE(mine->text().find("event: revoked"), std::string::npos);
    EXPECT_FALSE(mine->is_open());
    EXPECT_TRUE(other->is_open());
    // A stream of the revoked token that starts late ends at once.
    auto late = std::make_shared<Recording>();
    hub.attach(late, hub.reserve("t"), "t", kAll, "", false);
    EXPECT_FALSE(late->is_open());
    EXPECT_EQ(hub.streams(), 1u);
}

}  // namespace
}  // namespace kassa::api
