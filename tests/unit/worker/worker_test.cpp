// RegisterWorker against the in-process Shtrih simulator over TCP through the real driver. The
// ledger side is a recording ReceiptPort: it keeps each receipt's transitions so the tests can
// assert the exactly-once protocol (sending is durable before the device sees the receipt,
// in-doubt receipts are reconciled, never re-sent blindly).
#include "drivers/worker/worker.hpp"

#include "drivers/worker/pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "common/uri.hpp"
#include "drivers/shtrih/driver.hpp"
#include "fiscal/planner.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::drivers {
namespace {

using namespace std::chrono_literals;

class RecordingPort : public ReceiptPort {
  public:
    void mark_sending(std::int64_t id) override {
        ++waits_;
        record(id, "sending");
    }
    void mark_confirmed(std::int64_t id, const fiscal::Receipt&, const FiscalResult& result) override {
        ++waits_;
        confirm(id, result);
    }
    // One wait for both, as the ledger's port does (both writes ride one group commit).
    void mark_confirmed_then_sending(std::int64_t id, const fiscal::Receipt&, const FiscalResult& result,
                                     std::int64_t next, bool& next_sending) override {
        ++waits_;
        {
            std::lock_guard lock(mutex_);
            claims_.emplace_back(id, next);
        }
        confirm(id, result);
        record(next, "sending");
        next_sending = true;
    }
    void mark_failed(std::int64_t id, const std::string&) override { record(id, "failed"); }
    void mark_uncertain(std::int64_t id, const std::string&) override { record(id, "uncertain"); }
    bool document_claimed(const std::string& fn, std::uint32_t fd) override {
        std::lock_guard lock(mutex_);
        for (const auto& [id, r] : results_)
            if (r.fn_number == fn && r.fd_number == fd) return true;
        return false;
    }

    // Blocks until receipt `id` has reached `state` (bounded, so a broken worker fails the test).
    bool await(std::int64_t id, const std::string& state, std::chrono::seconds timeout = 60s) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] {
            const auto& h = history_[id];
            return std::ranges::find(h, state) != h.end();
        });
    }
    std::vector<std::string> history(std::int64_t id) {
        std::lock_guard lock(mutex_);
        return history_[id];
    }
    FiscalResult result(std::int64_t id) {
        std::lock_guard lock(mutex_);
        return results_.at(id);
    }
    // (confirmed, claimed) pairs of mark_confirmed_then_sending, in order.
    std::vector<std::pair<std::int64_t, std::int64_t>> claims() {
        std::lock_guard lock(mutex_);
        return claims_;
    }
    int waits() const { return waits_; }

  private:
    void confirm(std::int64_t id, const FiscalResult& result) {
        {
            std::lock_guard lock(mutex_);
            results_[id] = result;
        }
        record(id, "confirmed");
    }
    void record(std::int64_t id, const std::string& state) {
        {
            std::lock_guard lock(mutex_);
            history_[id].push_back(state);
        }
        cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::int64_t, std::vector<std::string>> history_;
    std::map<std::int64_t, FiscalResult> results_;
    std::vector<std::pair<std::int64_t, std::int64_t>> claims_;
    std::atomic<int> waits_{0};
};

fiscal::Receipt sale(std::int64_t kopecks) {
    auto line = fiscal::make_line("Товар", fiscal::Quantity::whole(1), 0, fiscal::Kopecks{kopecks},
                                  fiscal::PaymentMethod::FullPayment, fiscal::subject::kGoods, fiscal::VatClass::Vat22);
    fiscal::Receipt r;
    r.lines.push_back(*line);
    r.payments.cash = fiscal::Kopecks{kopecks};
    r.total = fiscal::Kopecks{kopecks};
    r.cashier = "Кассир Иванов";
    r.settlement_address = "г. Москва, ул. Примерная, д. 1";  // 1009, 1187: the FN requires them
    r.settlement_place = "Офис";
    return r;
}

std::string temp_file(const std::string& name) {
    const auto dir = std::filesystem::path(KASSA_TEST_TMP_DIR) / "worker";
    std::filesystem::create_directories(dir);
    const auto path = dir / (name + "-" + std::to_string(::getpid()));
    std::filesystem::remove(path);
    return path.string();
}

// A simulator that can be restarted on a new port with the same FN state file.
class SimHost {
  public:
    explicit SimHost(std::string state_file) : state_file_(std::move(state_file)) {
        static std::atomic<int> hosts{0};
        const auto n = std::to_string(++hosts);
        fn_serial_ = "99990789" + std::string(8 - n.size(), '0') + n;
    }
    void start(const std::string& faults_text = {}) {
        sim::SimulatorConfig config;
        config.endpoint = endpoint_;
        config.state_file = state_file_;
        config.fn_serial = fn_serial_;  // each simulated register its own FN, as real ones
        if (!faults_text.empty()) config.faults = *sim::Faults::parse(faults_text);
        if (clock_) config.clock = clock_;
        sim_ = std::make_unique<sim::ShtrihSimulator>(config);
        auto ready = sim_->start();
        ASSERT_TRUE(ready) << ready.error().message;
        std::lock_guard lock(mutex_);
        uri_ = sim_->device_uri();
        uri_ += uri_.find('?') == std::string::npos ? "?" : "&";
        uri_ += "control_timeout_ms=200&answer_timeout_ms=1500&max_enq=3";
    }
    void stop() { sim_.reset(); }
    void use_clock(const Clock* clock) { clock_ = clock; }
    void use_pty() { endpoint_ = sim::SimulatorConfig::Endpoint::Pty; }
    sim::ShtrihSimulator& sim() { return *sim_; }

    DeviceConnector factory() {
        return [this]() -> Result<std::unique_ptr<FiscalDevice>> {
            std::string uri;
            {
                std::lock_guard lock(mutex_);
                uri = uri_;
            }
            auto parsed = parse_uri(uri);
            if (!parsed) return std::unexpected(parsed.error());
            return shtrih::make_shtrih_device(*parsed);
        };
    }

  private:
    std::string state_file_;
    std::string fn_serial_;
    const Clock* clock_ = nullptr;
    sim::SimulatorConfig::Endpoint endpoint_ = sim::SimulatorConfig::Endpoint::Tcp;
    std::unique_ptr<sim::ShtrihSimulator> sim_;
    std::mutex mutex_;
    std::string uri_;
};

// A device that is never there: every connection attempt is refused with `why`.
DeviceConnector refusing(std::string why) {
    return [why]() -> Result<std::unique_ptr<FiscalDevice>> { return fail("connect_failed", why); };
}

// A receipt sent before a restart and not known to be on the device: in doubt, only its own
// register can settle it.
ReceiptJob in_doubt(std::int64_t id, std::int64_t kopecks) {
    return ReceiptJob{.id = id,
                      .receipt = sale(kopecks),
                      .ledger_state = JobLedgerState::Sending,
                      .sent_at = SystemClock::instance().now()};
}

WorkerOptions options(const std::string& id) {
    WorkerOptions o;
    o.register_id = id;
    o.reconnect_min = 50ms;
    o.reconnect_max = 500ms;
    return o;
}

TEST(RegisterWorker, PrintsAReceiptOpeningTheShiftItNeeds) {
    SimHost host(temp_file("print"));
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    worker.start();
    worker.submit(ReceiptJob{.id = 1, .receipt = sale(12345)});
    ASSERT_TRUE(port.await(1, "confirmed"));
    EXPECT_EQ(port.history(1), (std::vector<std::string>{"sending", "confirmed"}));

    const auto fn = host.sim().fn_snapshot();
    EXPECT_TRUE(fn.shift_open);
    const auto result = port.result(1);
    EXPECT_EQ(result.fd_number, fn.last_fd);
    EXPECT_EQ(result.fn_number, fn.fn_serial);
    const auto* doc = fn.find(result.fd_number);
    ASSERT_NE(doc, nullptr);
    EXPECT_EQ(worker.snapshot().queue_depth, 0u);
}

TEST(RegisterWorker, ReceiptsPrintOneAtATimeInOrder) {
    SimHost host(temp_file("order"));
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    for (int i = 1; i <= 5; ++i) worker.submit(ReceiptJob{.id = i, .receipt = sale(1000 * i)});
    worker.start();
    ASSERT_TRUE(port.await(5, "confirmed"));
    for (int i = 2; i <= 5; ++i) EXPECT_EQ(port.result(i).fd_number, port.result(i - 1).fd_number + 1);
}

// With receipts queued, each confirmation marks the next receipt `sending` in the same ledger wait,
// and that receipt is sent at once (not reconciled: nothing of it reached the device yet).
TEST(RegisterWorker, AConfirmationClaimsTheNextQueuedReceiptInTheSameLedgerWait) {
    SimHost host(temp_file("claim"));
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    for (int i = 1; i <= 3; ++i) worker.submit(ReceiptJob{.id = i, .receipt = sale(100 * i)});
    worker.start();
    ASSERT_TRUE(port.await(3, "confirmed"));
    EXPECT_EQ(port.claims(), (std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 2}, {2, 3}}));
    for (int i = 1; i <= 3; ++i)
        EXPECT_EQ(port.history(i), (std::vector<std::string>{"sending", "confirmed"})) << "receipt " << i;
    EXPECT_EQ(port.waits(), 4) << "sending 1, then one wait per confirmation";
    // Printed once each, in order: three documents, none reconciled or repeated.
    const auto fn = host.sim().fn_snapshot();
    EXPECT_EQ(port.result(3).fd_number, fn.last_fd);
    EXPECT_EQ(port.result(2).fd_number + 1, port.result(3).fd_number);
    EXPECT_EQ(port.result(1).fd_number + 1, port.result(2).fd_number);
}

// The ledger fails the confirmation after the claimed receipt's `sending` was stored: the printed
// receipt is reconciled (found on the device, not printed again) and the claimed one, which never
// reached the device, is then sent. Each is printed exactly once.
TEST(RegisterWorker, AFailedConfirmationWithItsClaimPrintsEachReceiptOnce) {
    class FailingOnce : public RecordingPort {
      public:
        void mark_confirmed_then_sending(std::int64_t id, const fiscal::Receipt& receipt, const FiscalResult& result,
                                         std::int64_t next, bool& next_sending) override {
            if (failed_) return RecordingPort::mark_confirmed_then_sending(id, receipt, result, next, next_sending);
            failed_ = true;
            mark_sending(next);  // the claim committed, the confirmation did not
            next_sending = true;
            throw std::runtime_error("disk I/O error");
        }

      private:
        bool failed_ = false;
    };
    SimHost host(temp_file("claimfail"));
    host.start();
    FailingOnce port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    worker.submit(ReceiptJob{.id = 1, .receipt = sale(100)});
    worker.submit(ReceiptJob{.id = 2, .receipt = sale(200)});
    worker.start();
    ASSERT_TRUE(port.await(2, "confirmed"));
    ASSERT_TRUE(port.await(1, "confirmed"));
    EXPECT_EQ(port.history(1), (std::vector<std::string>{"sending", "confirmed"}));
    EXPECT_EQ(port.history(2), (std::vector<std::string>{"sending", "confirmed"}));
    const auto fn = host.sim().fn_snapshot();
    EXPECT_EQ(port.result(1).fd_number + 1, port.result(2).fd_number);
    EXPECT_EQ(fn.last_fd, port.result(2).fd_number) << "a receipt was printed twice";
}

TEST(RegisterWorker, ARefusedReceiptFailsAndTheNextOnePrints) {
    SimHost host(temp_file("refused"));
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    worker.start();
    auto bad = sale(1000);
    bad.total = fiscal::Kopecks{999};  // lines do not add up: refused before anything is fiscalised
    bad.payments.cash = fiscal::Kopecks{999};
    worker.submit(ReceiptJob{.id = 1, .receipt = bad});
    worker.submit(ReceiptJob{.id = 2, .receipt = sale(500)});
    ASSERT_TRUE(port.await(2, "confirmed"));
    EXPECT_EQ(port.history(1), (std::vector<std::string>{"sending", "failed"}));
}

TEST(RegisterWorker, PowerCutAfterTheFiscalWriteIsReconciledNotReprinted) {
    const auto state = temp_file("powercut");
    SimHost host(state);
    host.start("power_cut_after_receipt 1\n");
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    worker.start();
    worker.submit(ReceiptJob{.id = 7, .receipt = sale(4200)});
    ASSERT_TRUE(port.await(7, "uncertain"));
    const auto before = host.sim().fn_snapshot().last_fd;  // the receipt is in the FN
    host.stop();
    host.start();  // power back: same FN, new port
    ASSERT_TRUE(port.await(7, "confirmed"));
    EXPECT_EQ(port.history(7), (std::vector<std::string>{"sending", "uncertain", "confirmed"}));
    EXPECT_EQ(port.result(7).fd_number, before);
    EXPECT_EQ(host.sim().fn_snapshot().last_fd, before) << "the receipt was printed twice";
}

TEST(RegisterWorker, InDoubtReceiptThatNeverReachedTheFnIsSentAfterReconciliation) {
    SimHost host(temp_file("absent"));
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, SystemClock::instance());
    // As after a crash between "mark sending" and the first byte: the ledger says sending.
    worker.submit(ReceiptJob{.id = 3,
                             .receipt = sale(777),
                             .ledger_state = JobLedgerState::Sending,
                             .sent_at = SystemClock::instance().now()});
    worker.start();
    ASSERT_TRUE(port.await(3, "confirmed"));
    EXPECT_EQ(port.history(3), (std::vector<std::string>{"confirmed"}));
    EXPECT_EQ(host.sim().fn_snapshot().last_fd, port.result(3).fd_number);
}

TEST(RegisterWorker, OfflineRegisterFailsCommandsButKeepsReceipts) {
    RecordingPort port;
    RegisterWorker worker(options("w1"), refusing("no device"), port, SystemClock::instance());
    worker.start();
    worker.submit(ReceiptJob{.id = 1, .receipt = sale(100)});
    auto x = worker.x_report();
    ASSERT_EQ(x.wait_for(30s), std::future_status::ready);
    auto result = x.get();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().outcome, Outcome::RetryLater);
    EXPECT_EQ(worker.snapshot().state, WorkerState::Offline);
    EXPECT_EQ(worker.snapshot().queue_depth, 1u);
    EXPECT_TRUE(port.history(1).empty());
}

TEST(RegisterWorker, AShiftNearing24HoursIsClosedAndReopenedBeforeTheNextReceipt) {
    ManualClock clock;  // the register's clock and the worker's: virtual time, no waiting
    SimHost host(temp_file("rotate"));
    host.use_clock(&clock);
    host.start();
    RecordingPort port;
    RegisterWorker worker(options("w1"), host.factory(), port, clock);
    worker.start();
    worker.submit(ReceiptJob{.id = 1, .receipt = sale(100)});
    ASSERT_TRUE(port.await(1, "confirmed"));
    const int first_shift = port.result(1).shift_number;

    clock.advance(std::chrono::hours(23) + std::chrono::minutes(40));  // past shift_max_age (23 h 30 min)
    worker.submit(ReceiptJob{.id = 2, .receipt = sale(200)});
    ASSERT_TRUE(port.await(2, "confirmed"));
    EXPECT_EQ(port.result(2).shift_number, first_shift + 1);
    EXPECT_TRUE(host.sim().fn_snapshot().shift_open);
}

TEST(RegisterPool, AnOfflineRegistersNeverSentReceiptsMoveToAnotherOfItsEntity) {
    SimHost host(temp_file("failover"));
    host.start();
    SimHost other_host(temp_file("failover-other"));  // a register of its own: one FN, one register
    other_host.start();
    RecordingPort port;
    auto dead_options = options("dead");
    dead_options.failover_after = 0ms;
    RegisterPool pool;
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(dead_options, refusing("cable pulled"), port, SystemClock::instance()));
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(options("alive"), host.factory(), port, SystemClock::instance()));
    pool.add("7709876543",  // another entity's register is never a target
             std::make_unique<RegisterWorker>(options("other"), other_host.factory(), port, SystemClock::instance()));
    std::mutex mutex;
    std::map<std::int64_t, std::string> moved;
    pool.enable_failover([&](std::int64_t id, const std::string& to) {
        std::lock_guard lock(mutex);
        moved[id] = to;
        return true;
    });
    auto* dead = pool.find("dead");
    dead->submit(ReceiptJob{.id = 1, .receipt = sale(100)});
    dead->submit(in_doubt(2, 200));  // only the dead register's device can tell whether it was fiscalised
    pool.start_all();
    ASSERT_TRUE(port.await(1, "confirmed"));
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(moved, (std::map<std::int64_t, std::string>{{1, "alive"}}));
    }
    EXPECT_EQ(dead->snapshot().queue_depth, 1u);
    EXPECT_TRUE(port.history(2).empty());
    pool.stop_all();
}

// An offline register whose siblings are all away too keeps its queue as it was: nothing is taken
// out and put back at the end on each wake-up (which reordered it and, with thousands of receipts
// queued, held the lock every submit() to it needs for O(queue²)). Back online, it prints them in
// the order they were queued, the in-doubt one among them; nothing went to the offline sibling.
TEST(RegisterPool, AStrandedQueueWithNowhereToGoKeepsItsOrder) {
    SimHost host(temp_file("stranded-order"));
    host.start();
    RecordingPort port;
    std::mutex mutex;
    std::condition_variable attempted;
    int attempts = 0;
    bool down = true;
    auto o = options("back");
    o.failover_after = 0ms;  // stranded at once: every offline wake-up tries to hand the queue over
    auto connector = host.factory();
    RegisterPool pool;
    pool.add("7701234567", std::make_unique<RegisterWorker>(
                               o,
                               [&]() -> Result<std::unique_ptr<FiscalDevice>> {
                                   {
                                       std::lock_guard lock(mutex);
                                       ++attempts;
                                       if (down) {
                                           attempted.notify_all();
                                           return fail("connect_failed", "cable pulled");
                                       }
                                   }
                                   return connector();
                               },
                               port, SystemClock::instance()));
    pool.add("7701234567", std::make_unique<RegisterWorker>(options("away"), refusing("switched off"), port,
                                                            SystemClock::instance()));
    std::atomic<int> moved{0};
    pool.enable_failover([&](std::int64_t, const std::string&) {
        ++moved;
        return true;
    });
    auto* back = pool.find("back");
    back->submit(ReceiptJob{.id = 1, .receipt = sale(100)});
    back->submit(in_doubt(2, 200));
    back->submit(ReceiptJob{.id = 3, .receipt = sale(300)});
    pool.start_all();
    {
        // Three refused attempts: at least two offline wake-ups with the queue stranded.
        std::unique_lock lock(mutex);
        ASSERT_TRUE(attempted.wait_for(lock, 60s, [&] { return attempts >= 3; }));
        down = false;
    }
    for (int id = 1; id <= 3; ++id) ASSERT_TRUE(port.await(id, "confirmed"));
    EXPECT_EQ(moved.load(), 0);
    EXPECT_LT(port.result(1).fd_number, port.result(2).fd_number);
    EXPECT_LT(port.result(2).fd_number, port.result(3).fd_number);
    pool.stop_all();
}

// Issue 10: a register whose device refuses connections while receipts are queued for it used to
// reconnect in a tight loop (the wait returned at once when work was queued). On virtual time the
// attempts follow the backoff: 200 ms doubling to 30 s makes 11 attempts in 2 minutes, not thousands.
TEST(RegisterWorker, AnUnreachableRegisterWithReceiptsQueuedBacksOffOnVirtualTime) {
    ManualClock clock;
    RecordingPort port;
    std::atomic<int> attempts{0};
    auto o = options("refusing");
    o.reconnect_min = 200ms;
    o.reconnect_max = 30s;
    o.failover_after = std::chrono::hours(1);
    RegisterWorker worker(
        o,
        [&]() -> Result<std::unique_ptr<FiscalDevice>> {
            ++attempts;
            return fail("connect_failed", "connection refused");
        },
        port, clock);
    for (int i = 1; i <= 3; ++i) worker.submit(ReceiptJob{.id = i, .receipt = sale(100 * i)});
    worker.start();
    // Two minutes of virtual time in 100 ms steps, each taken only once the worker sleeps.
    for (int step = 0; step < 1200; ++step) {
        ASSERT_TRUE(clock.await_sleepers(1));
        clock.advance(100ms);
    }
    ASSERT_TRUE(clock.await_sleepers(1));
    // Attempts at 0, 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4, 51.0, 81.0, 111.0 s: 11 (one more may
    // start as the last step lands on a retry time).
    EXPECT_GE(attempts.load(), 10);
    EXPECT_LE(attempts.load(), 12);
    EXPECT_EQ(worker.snapshot().state, WorkerState::Offline);
    EXPECT_EQ(worker.snapshot().queue_depth, 3u);
    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(port.history(i).empty());
    worker.stop();
}

// A register waiting for paper hands the receipts that never reached it to a sibling of its entity,
// as an offline one does; and resume() after paper is loaded lets it print again.
TEST(RegisterPool, ARegisterOutOfPaperHandsItsNeverSentReceiptsToASibling) {
    SimHost stuck_host(temp_file("paper-stuck"));
    stuck_host.start("paper_out_after 1\n");
    SimHost alive_host(temp_file("paper-alive"));
    alive_host.start();
    RecordingPort port;
    auto stuck_options = options("stuck");
    stuck_options.failover_after = 0ms;
    RegisterPool pool;
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(stuck_options, stuck_host.factory(), port, SystemClock::instance()));
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(options("alive"), alive_host.factory(), port, SystemClock::instance()));
    std::mutex mutex;
    std::map<std::int64_t, std::string> moved;
    pool.enable_failover([&](std::int64_t id, const std::string& to) {
        std::lock_guard lock(mutex);
        moved[id] = to;
        return true;
    });
    auto* stuck = pool.find("stuck");
    pool.start_all();
    stuck->submit(ReceiptJob{.id = 1, .receipt = sale(100)});  // fiscalised; the tape runs out printing it
    ASSERT_TRUE(port.await(1, "confirmed"));
    stuck->submit(ReceiptJob{.id = 2, .receipt = sale(200)});  // never sent: the register has no paper
    ASSERT_TRUE(port.await(2, "confirmed"));
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(moved, (std::map<std::int64_t, std::string>{{2, "alive"}}));
    }
    EXPECT_EQ(port.history(2), (std::vector<std::string>{"sending", "confirmed"}));
    EXPECT_EQ(stuck->snapshot().state, WorkerState::NeedsOperator);
    EXPECT_NE(stuck->snapshot().detail.find("paper"), std::string::npos);

    auto early = stuck->resume().get();
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().outcome, Outcome::NeedsOperator);
    stuck_host.sim().load_paper();
    ASSERT_TRUE(stuck->resume().get());
    EXPECT_NE(stuck->snapshot().state, WorkerState::NeedsOperator);
    stuck->submit(ReceiptJob{.id = 3, .receipt = sale(300)});
    ASSERT_TRUE(port.await(3, "confirmed"));
    pool.stop_all();
}

// Issue 16: the status the worker shows (/v1/registers, /v1/health, /metrics) follows each command
// at once, from what the command's answer says, not at the next poll.
TEST(RegisterWorker, ShiftCommandsRunInTheQueueAndTheSnapshotFollowsThem) {
    SimHost host(temp_file("shift"));
    host.start();
    RecordingPort port;
    auto o = options("w1");
    o.poll_interval = std::chrono::hours(1);  // no poll refreshes the status behind the test's back
    RegisterWorker worker(o, host.factory(), port, SystemClock::instance());
    worker.start();
    ASSERT_TRUE(worker.open_shift().get());
    const auto fn_open = host.sim().fn_snapshot();
    EXPECT_TRUE(fn_open.shift_open);
    auto shown = worker.snapshot().status;
    ASSERT_TRUE(shown);
    EXPECT_TRUE(shown->shift_open);
    EXPECT_EQ(shown->shift_number, 1);
    EXPECT_TRUE(shown->shift_opened_at.has_value());
    EXPECT_EQ(shown->last_fd_number, fn_open.last_fd);

    worker.submit(ReceiptJob{.id = 1, .receipt = sale(2500)});
    ASSERT_TRUE(port.await(1, "confirmed"));
    shown = worker.snapshot().status;
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->last_fd_number, port.result(1).fd_number);
    EXPECT_EQ(shown->last_fd_number, host.sim().fn_snapshot().last_fd);

    ASSERT_TRUE(worker.x_report().get());
    ASSERT_TRUE(worker.close_shift().get());
    const auto fn_closed = host.sim().fn_snapshot();
    EXPECT_FALSE(fn_closed.shift_open);
    shown = worker.snapshot().status;
    ASSERT_TRUE(shown);
    EXPECT_FALSE(shown->shift_open);
    EXPECT_EQ(shown->shift_number, 1);
    EXPECT_EQ(shown->last_fd_number, fn_closed.last_fd);

    // A full read agrees with what the answers said.
    auto status = worker.read_status().get();
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->shift_open);
    EXPECT_EQ(status->last_fd_number, shown->last_fd_number);
    EXPECT_EQ(status->shift_number, shown->shift_number);

    // Every device call was timed, by kind.
    const auto latencies = worker.command_latencies();
    for (const char* kind : {"status", "open_shift", "fiscalise", "x_report", "close_shift"}) {
        SCOPED_TRACE(kind);
        ASSERT_TRUE(latencies.contains(kind));
        EXPECT_GE(latencies.at(kind).count, 1u);
        EXPECT_EQ(latencies.at(kind).buckets.back(), latencies.at(kind).count) << "all within 30 s";
    }
    EXPECT_EQ(latencies.at("fiscalise").count, 1u);
}

// Two register entries that reach one device (here the same simulator's pty, twice) must not both
// print on its FN. The first connected serves it; the second refuses work (needs_operator, naming
// the holder) and hands its receipts on, so each receipt is fiscalised once. When the first stops,
// the second takes the FN over on resume.
TEST(RegisterPool, TwoRegistersOnOneFnPrintEachReceiptOnce) {
    SimHost host(temp_file("dup-fn"));
    host.use_pty();
    host.start();
    RecordingPort port;
    auto second_options = options("second");
    second_options.failover_after = 0ms;
    second_options.reconnect_max = std::chrono::hours(1);  // refused: it tries again on resume
    RegisterPool pool;
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(options("first"), host.factory(), port, SystemClock::instance()));
    pool.add("7701234567",
             std::make_unique<RegisterWorker>(second_options, host.factory(), port, SystemClock::instance()));
    std::mutex mutex;
    std::map<std::int64_t, std::string> moved;
    pool.enable_failover([&](std::int64_t id, const std::string& to) {
        std::lock_guard lock(mutex);
        moved[id] = to;
        return true;
    });
    auto* first = pool.find("first");
    auto* second = pool.find("second");
    first->start();
    ASSERT_TRUE(first->read_status().get());  // connected: it serves the FN
    for (int i = 4; i <= 6; ++i) second->submit(ReceiptJob{.id = i, .receipt = sale(100 * i)});
    second->start();
    const std::string why = "FN " + host.sim().fn_snapshot().fn_serial + " is already served by register first";
    auto refused = second->read_status().get();  // answered once its connection was refused
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().outcome, Outcome::NeedsOperator);
    EXPECT_EQ(refused.error().message, why);
    for (int i = 1; i <= 3; ++i) first->submit(ReceiptJob{.id = i, .receipt = sale(100 * i)});
    for (int i = 1; i <= 6; ++i) ASSERT_TRUE(port.await(i, "confirmed")) << i;
    EXPECT_EQ(second->snapshot().state, WorkerState::NeedsOperator);
    EXPECT_EQ(second->snapshot().detail, why);
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(moved, (std::map<std::int64_t, std::string>{{4, "first"}, {5, "first"}, {6, "first"}}));
    }
    // Each receipt once in the FN: six receipt documents, six different numbers, each sum once.
    const auto fn = host.sim().fn_snapshot();
    std::set<std::uint32_t> numbers;
    for (int i = 1; i <= 6; ++i) {
        EXPECT_EQ(port.history(i), (std::vector<std::string>{"sending", "confirmed"})) << i;
        numbers.insert(port.result(i).fd_number);
    }
    EXPECT_EQ(numbers.size(), 6u);
    EXPECT_EQ(fn.receipts_total, 6u);

    first->stop();  // the FN is free again
    ASSERT_TRUE(second->resume().get());
    EXPECT_EQ(second->snapshot().state, WorkerState::Idle);
    second->submit(ReceiptJob{.id = 7, .receipt = sale(700)});
    ASSERT_TRUE(port.await(7, "confirmed"));
    EXPECT_EQ(host.sim().fn_snapshot().receipts_total, 7u);
    pool.stop_all();
}

}  // namespace
}  // namespace kassa::drivers
