// The shared session runner (drivers/session_runner.hpp) on virtual time, for both families: each
// driver talks over an in-memory line to its simulated register (the register the simulator server
// serves, without the server), on a ManualClock that only the line moves. When nothing is on the
// line, a wait for bytes is time passing: the clock jumps to the device's next deadline or to the
// end of the wait. So a lost answer is asked for again after the session's timeout, and the test
// spends no real time waiting for it.
#include "drivers/session_runner.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "common/clock.hpp"
#include "drivers/atol/driver.hpp"
#include "drivers/shtrih/driver.hpp"
#include "simulators/atol/server.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::drivers {
namespace {

using namespace std::chrono_literals;

class VirtualLine final : public Transport {
  public:
    VirtualLine(sim::SimulatedRegister& device, ManualClock& clock) : device_(device), clock_(clock) {}

    Status open() override {
        open_ = true;
        device_.reset_line();
        return ok();
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    Status write(std::span<const std::uint8_t> bytes) override {
        take(device_.on_bytes(bytes, clock_.steady_now()));
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) override {
        if (inbox_.empty()) {
            // Nothing on the line: time passes until the device has something to do, or the wait ends.
            const auto now = clock_.steady_now();
            auto until = now + timeout;
            if (const auto due = device_.next_deadline(); due && *due < until) until = std::max(*due, now);
            clock_.advance(until - now);
            waited_ += until - now;
            take(device_.on_tick(clock_.steady_now()));
        }
        std::size_t n = 0;
        while (n < buffer.size() && !inbox_.empty()) {
            buffer[n++] = inbox_.front();
            inbox_.pop_front();
        }
        return n;
    }
    std::string describe() const override { return "virtual"; }

    // Virtual time spent waiting for the device.
    std::chrono::steady_clock::duration waited() const { return waited_; }

  private:
    void take(const std::vector<std::uint8_t>& bytes) { inbox_.insert(inbox_.end(), bytes.begin(), bytes.end()); }

    sim::SimulatedRegister& device_;
    ManualClock& clock_;
    std::deque<std::uint8_t> inbox_;
    bool open_ = false;
    std::chrono::steady_clock::duration waited_{};
};

std::unique_ptr<sim::SimulatedRegister> make_register(const sim::RegisterFactory& factory, const ManualClock& clock) {
    const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    return factory(sim::RegisterContext{sim::FnState::fresh(unix_now), "", clock, false});
}

// Shtrih (§1.3): the STX of the first answer is lost, so the frame never arrives. The session waits
// out the command's answer time, asks with ENQ, the device says ACK (it still holds the answer) and
// sends it again.
TEST(SessionRunner, ShtrihLostAnswerIsAskedForAgainAfterItsTimeoutOnVirtualTime) {
    ManualClock clock;
    auto faults = sim::Faults::parse("drop_byte 3\n", sim::kShtrihFaults);  // NAK, ACK, then the answer's STX
    ASSERT_TRUE(faults);
    auto device = make_register(sim::shtrih_register(*faults, 0us), clock);
    auto line = std::make_unique<VirtualLine>(*device, clock);
    auto* wire = line.get();
    shtrih::DriverOptions options;
    options.clock = &clock;
    options.session.answer_timeout = 20s;  // a real wait of 20 s, were the clock real
    shtrih::ShtrihDevice driver(std::move(line), options);

    const auto start = clock.steady_now();
    auto status = driver.status();
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_EQ(status->fn_number, device->fn().fn_serial);
    EXPECT_FALSE(status->shift_open);
    // The answer came after the session gave up waiting for it once: 20 s of virtual time.
    EXPECT_GE(clock.steady_now() - start, 20s);
    EXPECT_GE(wire->waited(), 20s);
    EXPECT_LT(clock.steady_now() - start, 21s) << "one timeout, not a retry loop";

    // The link is sound afterwards: a shift opens and its report reaches the FN once.
    ASSERT_TRUE(driver.open_shift("Кассир", ""));
    EXPECT_TRUE(device->fn().shift_open);
    EXPECT_EQ(device->fn().last_fd, 1u);
}

// ATOL v3 (§2.4): the reply to the first Add is lost. The session resends the same packet after
// its control timeout; the device answers the repeated packet without running the task twice.
TEST(SessionRunner, AtolV3LostReplyIsResentAfterTheControlTimeoutOnVirtualTime) {
    ManualClock clock;
    auto faults = sim::Faults::parse("drop_answer 2\n", sim::kAtolFaults);  // 1: the greeting's Abort
    ASSERT_TRUE(faults);
    auto device = make_register(sim::atol::atol_register(atol::LinkVersion::V3, *faults, 0us), clock);
    auto line = std::make_unique<VirtualLine>(*device, clock);
    auto* wire = line.get();
    atol::DriverOptions options;
    options.clock = &clock;
    options.session.control_timeout = 7s;
    atol::AtolDevice driver(std::move(line), options);

    const auto start = clock.steady_now();
    auto status = driver.status();
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_EQ(status->fn_number, device->fn().fn_serial);
    EXPECT_GE(clock.steady_now() - start, 7s);
    EXPECT_GE(wire->waited(), 7s);
    EXPECT_LT(clock.steady_now() - start, 14s) << "one resend";

    ASSERT_TRUE(driver.open_shift("Кассир", ""));
    EXPECT_TRUE(device->fn().shift_open);
    EXPECT_EQ(device->fn().documents.size(), 1u) << "the shift-open report once";
}

}  // namespace
}  // namespace kassa::drivers
