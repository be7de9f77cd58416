#include "drivers/worker/worker.hpp"
#include "common/thread_name.hpp"

#include <spdlog/logger.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include "common/log.hpp"

namespace kassa::drivers {

namespace {

using namespace std::chrono_literals;

struct CommandJob {
    std::function<void(FiscalDevice*, const DeviceError*)> run;  // device, or the reason there is none
};

using Job = std::variant<ReceiptJob, CommandJob>;

DeviceError offline_error(const std::string& why) {
    return DeviceError{
        .outcome = Outcome::RetryLater, .device_code = -1, .device_text = {}, .message = why, .maybe_executed = false};
}

// FFD document form codes that carry a receipt (3 кассовый чек, 31 чек коррекции).
bool is_receipt_document(int type) { return type == 3 || type == 31; }

// The worker's view of its device: every call is timed (the latency histograms of /metrics) and
// what a successful call's answer tells about the register goes into the worker's status at once
// (a receipt's document and shift numbers, a shift opened or closed), so /v1/registers, /v1/health
// and /metrics do not show the state before the command until the next poll. Nothing is read
// from the device for it: only what the answer says, or what the command did when it succeeded.
class ObservedDevice final : public FiscalDevice {
  public:
    struct Observer {
        std::function<void(const char* kind, std::chrono::nanoseconds took)> timed;
        std::function<void(const DeviceStatus&)> status_read;
        std::function<void(const std::function<void(DeviceStatus&)>&)> changed;
    };

    ObservedDevice(std::unique_ptr<FiscalDevice> inner, const Clock& clock, Observer observer)
        : inner_(std::move(inner)), clock_(clock), observer_(std::move(observer)) {}

  private:
    template <class F>
    auto timed(const char* kind, F&& call) {
        const auto start = clock_.steady_now();
        auto result = call();
        observer_.timed(kind, clock_.steady_now() - start);
        return result;
    }
    // One more fiscal document in the FN; the OFD has not had it yet.
    static void new_document(DeviceStatus& s, TimePoint at) {
        ++s.last_fd_number;
        if (s.ofd_unsent++ == 0) s.ofd_oldest_unsent = at;
    }

  public:
    DeviceResult<DeviceStatus> status() override {
        auto r = timed("status", [&] { return inner_->status(); });
        if (r) observer_.status_read(*r);
        return r;
    }
    DeviceStatusResult open_shift(const std::string& cashier, const std::string& cashier_inn) override {
        auto r = timed("open_shift", [&] { return inner_->open_shift(cashier, cashier_inn); });
        // A shift-open report is a new fiscal document in the FN, waiting for the OFD.
        if (r)
            observer_.changed([now = clock_.now()](DeviceStatus& s) {
                s.shift_open = true;
                s.shift_expired = false;
                ++s.shift_number;
                s.shift_opened_at = now;
                new_document(s, now);
            });
        return r;
    }
    DeviceStatusResult close_shift(const std::string& cashier, const std::string& cashier_inn) override {
        auto r = timed("close_shift", [&] { return inner_->close_shift(cashier, cashier_inn); });
        if (r)
            observer_.changed([now = clock_.now()](DeviceStatus& s) {
                s.shift_open = false;
                s.shift_expired = false;
                s.shift_opened_at.reset();
                s.receipt_open = false;
                new_document(s, now);
            });
        return r;
    }
    DeviceStatusResult x_report() override {
        return timed("x_report", [&] { return inner_->x_report(); });
    }
    DeviceResult<FiscalResult> fiscalise(const fiscal::Receipt& receipt) override {
        auto r = timed("fiscalise", [&] { return inner_->fiscalise(receipt); });
        if (r)
            observer_.changed([done = *r](DeviceStatus& s) {
                s.shift_open = true;  // a receipt is only fiscalised in an open shift
                s.receipt_open = false;
                if (done.shift_number > 0) s.shift_number = done.shift_number;
                new_document(s, done.date_time);
                if (done.fd_number > 0) s.last_fd_number = done.fd_number;
            });
        return r;
    }
    DeviceStatusResult cancel_receipt() override {
        auto r = timed("cancel_receipt", [&] { return inner_->cancel_receipt(); });
        if (r) observer_.changed([](DeviceStatus& s) { s.receipt_open = false; });
        return r;
    }
    DeviceResult<FiscalDocumentInfo> last_document() override {
        return timed("last_document", [&] { return inner_->last_document(); });
    }
    DeviceResult<FiscalDocumentInfo> document_by_number(std::uint32_t number) override {
        return timed("document_by_number", [&] { return inner_->document_by_number(number); });
    }
    DeviceStatusResult print_text(const std::vector<std::string>& lines) override {
        return timed("print_text", [&] { return inner_->print_text(lines); });
    }
    DeviceStatusResult print_qr(const std::string& payload) override {
        return timed("print_qr", [&] { return inner_->print_qr(payload); });
    }
    DeviceStatusResult cut() override {
        return timed("cut", [&] { return inner_->cut(); });
    }
    DeviceStatusResult continue_print() override {
        return timed("continue_print", [&] { return inner_->continue_print(); });
    }
    DeviceResult<std::uint32_t> cash_in(fiscal::Kopecks amount, const std::string& cashier) override {
        return timed("cash_in", [&] { return inner_->cash_in(amount, cashier); });
    }
    DeviceResult<std::uint32_t> cash_out(fiscal::Kopecks amount, const std::string& cashier) override {
        return timed("cash_out", [&] { return inner_->cash_out(amount, cashier); });
    }
    DeviceResult<fiscal::Kopecks> cash_in_drawer() override {
        return timed("cash_in_drawer", [&] { return inner_->cash_in_drawer(); });
    }
    DeviceStatusResult repeat_document() override {
        return timed("repeat_document", [&] { return inner_->repeat_document(); });
    }

  private:
    std::unique_ptr<FiscalDevice> inner_;
    const Clock& clock_;
    Observer observer_;
};

}  // namespace

std::optional<std::string> FnClaims::claim(const std::string& fn, const std::string& register_id) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = holders_.try_emplace(fn, register_id);
    if (fresh || it->second == register_id) return std::nullopt;
    return it->second;
}

void FnClaims::release(const std::string& fn, const std::string& register_id) {
    std::lock_guard lock(mutex_);
    if (auto it = holders_.find(fn); it != holders_.end() && it->second == register_id) holders_.erase(it);
}

std::string_view worker_state_name(WorkerState state) {
    switch (state) {
        case WorkerState::Connecting:
            return "connecting";
        case WorkerState::Idle:
            return "idle";
        case WorkerState::Busy:
            return "busy";
        case WorkerState::Offline:
            return "offline";
        case WorkerState::NeedsOperator:
            return "needs_operator";
        case WorkerState::DeviceStopped:
            return "device_stopped";
        case WorkerState::Stopped:
            return "stopped";
    }
    return "unknown";
}

struct RegisterWorker::Impl {
    WorkerOptions options;
    DeviceConnector factory;
    ReceiptPort& port;
    const Clock& clock;
    std::shared_ptr<spdlog::logger> logger;

    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> queue;
    bool stopping = false;
    std::thread thread;
    WorkerSnapshot snap;
    std::vector<std::function<void(std::int64_t)>> listeners;
    RegisterWorker::StrandedHandler stranded;
    RegisterWorker::StrandedProbe stranded_probe;
    std::optional<std::chrono::steady_clock::time_point> offline_since;  // worker thread only: offline or
                                                                         // waiting for the operator
    bool poke = false;  // guarded by mutex: the operator says the register is ready again (resume)

    std::shared_ptr<FnClaims> claims;  // set before start
    CommandLatencies latencies;        // guarded by mutex

    // Owned by the worker thread only.
    std::unique_ptr<FiscalDevice> device;
    std::string claimed_fn;  // the FN this register holds in `claims` while connected
    // Why the register refuses work while it is not connected (another register serves its FN);
    // empty: it is simply offline.
    std::string refusal;
    std::chrono::milliseconds backoff{0};
    std::chrono::steady_clock::time_point next_poll{};
    std::chrono::steady_clock::time_point hold_until{};  // guarded by mutex

    Impl(WorkerOptions o, DeviceConnector f, ReceiptPort& p, const Clock& c)
        : options(std::move(o)),
          factory(std::move(f)),
          port(p),
          clock(c),
          logger(log::get("drv." + options.register_id)) {
        snap.register_id = options.register_id;
    }

    void set_state(WorkerState state, std::string detail = {}) {
        std::lock_guard lock(mutex);
        if (snap.state != state || snap.detail != detail) {
            if (state == WorkerState::Offline || state == WorkerState::NeedsOperator ||
                state == WorkerState::DeviceStopped)
                logger->warn("{}: {}", worker_state_name(state), detail);
            else
                logger->debug("{}", worker_state_name(state));
        }
        snap.state = state;
        snap.detail = std::move(detail);
    }

    // The link is gone (or given up): the FN is no longer served from here.
    void drop_device() {
        device.reset();
        if (claims && !claimed_fn.empty()) claims->release(claimed_fn, options.register_id);
        claimed_fn.clear();
    }

    void push(Job job, bool front = false) {
        {
            std::lock_guard lock(mutex);
            if (front)
                queue.push_front(std::move(job));
            else
                queue.push_back(std::move(job));
            snap.queue_depth = queue.size();
        }
        wake.notify_all();
    }

    void settled(std::int64_t id) {
        std::vector<std::function<void(std::int64_t)>> copy;
        {
            std::lock_guard lock(mutex);
            copy = listeners;
        }
        for (auto& l : copy) l(id);
    }

    // Receipts wait until hold_until after a device problem (commands do not), so a register that
    // needs paper is not hammered. Called with the mutex held.
    bool runnable_locked() const {
        if (queue.empty()) return false;
        if (clock.steady_now() >= hold_until) return true;
        return std::ranges::any_of(queue, [](const Job& j) { return std::holds_alternative<CommandJob>(j); });
    }

    std::optional<Job> take_runnable() {
        std::lock_guard lock(mutex);
        if (!runnable_locked()) return std::nullopt;
        auto it = queue.begin();
        if (clock.steady_now() < hold_until)
            it = std::ranges::find_if(queue, [](const Job& j) { return std::holds_alternative<CommandJob>(j); });
        Job job = std::move(*it);
        queue.erase(it);
        snap.queue_depth = queue.size();
        return job;
    }

    // Waits until something can run, a stop, or the deadline. Returns false when stopping.
    bool wait_until(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex);
        if (!queue.empty() && hold_until > clock.steady_now()) deadline = std::min(deadline, hold_until);
        clock.wait_until(wake, lock, deadline, [this] { return stopping || poke || runnable_locked(); });
        return !stopping;
    }

    bool has_command_locked() const {
        return std::ranges::any_of(queue, [](const Job& j) { return std::holds_alternative<CommandJob>(j); });
    }

    // Offline: wait out the backoff whether or not receipts are queued (they wait for the register;
    // a queued receipt must not turn the wait into a reconnect loop). Commands are answered at once,
    // stranded receipts handed over when it is time; the operator's resume retries now.
    bool wait_offline() {
        const auto retry_at = clock.steady_now() + backoff;
        while (true) {
            {
                // The operator's resume connects now; its command stays queued for the answer.
                std::lock_guard lock(mutex);
                if (stopping) return false;
                if (poke) {
                    poke = false;
                    return true;
                }
            }
            fail_commands(refusal.empty() ? offline_error("register " + options.register_id + " is offline")
                                          : DeviceError{.outcome = Outcome::NeedsOperator,
                                                        .device_code = -1,
                                                        .device_text = {},
                                                        .message = refusal,
                                                        .maybe_executed = false});
            hand_over_stranded();
            std::unique_lock lock(mutex);
            if (stopping) return false;
            if (poke || clock.steady_now() >= retry_at) {
                poke = false;
                return true;
            }
            auto deadline = retry_at;
            if (offline_since && stranded && clock.steady_now() < *offline_since + options.failover_after)
                deadline = std::min(deadline, *offline_since + options.failover_after);
            clock.wait_until(wake, lock, deadline, [this] { return stopping || poke || has_command_locked(); });
        }
    }

    void hold_receipts() {
        backoff = backoff == 0ms ? options.reconnect_min : std::min(backoff * 2, options.reconnect_max);
        std::lock_guard lock(mutex);
        hold_until = clock.steady_now() + backoff;
    }

    void loop() {
        while (true) {
            {
                std::lock_guard lock(mutex);
                if (stopping) break;
            }
            if (!device && !connect()) {
                if (!wait_offline()) break;
                continue;
            }
            std::optional<Job> job = take_runnable();
            if (!job) {
                if (clock.steady_now() >= next_poll) maintain();
                if (!device) continue;
                auto deadline = next_poll;
                if (needs_operator()) {
                    // Receipts that never reached a register waiting for its operator go to a
                    // sibling of the same entity after failover_after, as for an offline one.
                    hand_over_stranded();
                    if (offline_since && clock.steady_now() < *offline_since + options.failover_after)
                        deadline = std::min(deadline, *offline_since + options.failover_after);
                }
                if (!wait_until(deadline)) break;
                bool resumed = false;
                {
                    std::lock_guard lock(mutex);
                    std::swap(resumed, poke);
                }
                if (resumed) operator_resumed();
                continue;
            }
            if (auto* receipt = std::get_if<ReceiptJob>(&*job)) {
                set_state(WorkerState::Busy);
                process(std::move(*receipt));
            } else {
                std::get<CommandJob>(*job).run(device.get(), nullptr);
            }
            std::lock_guard lock(mutex);
            if (snap.state == WorkerState::Busy) snap.state = WorkerState::Idle;
        }
        fail_commands(offline_error("register " + options.register_id + " is stopping"));
        drop_device();
        set_state(WorkerState::Stopped);
    }

    bool needs_operator() const {
        std::lock_guard lock(mutex);
        return snap.state == WorkerState::NeedsOperator;
    }

    // The operator loaded paper (closed the cover, ...): print what the device holds, read its
    // status, and let held receipts go at once.
    void operator_resumed() {
        backoff = 0ms;
        {
            std::lock_guard lock(mutex);
            hold_until = clock.steady_now();
        }
        if (!device) return;
        // Prints the rest of a document interrupted by paper out; fails while paper is still out.
        if (auto continued = device->continue_print(); !continued) return device_trouble(continued.error());
        auto status = device->status();
        if (!status) return device_trouble(status.error());
        if (status->paper_ok && !status->shift_expired) back_to_work();
    }

    static DeviceError paper_out() {
        return DeviceError{.outcome = Outcome::NeedsOperator,
                           .device_code = -1,
                           .device_text = {},
                           .message = "paper out: load paper, then resume the register",
                           .maybe_executed = false};
    }

    // The register works again: no longer offline or waiting for its operator.
    void back_to_work() {
        offline_since.reset();
        std::lock_guard lock(mutex);
        if (snap.state == WorkerState::NeedsOperator || snap.state == WorkerState::Offline) {
            logger->info("register is back: {}", snap.detail);
            snap.state = WorkerState::Idle;
            snap.detail.clear();
        }
    }

    // Receipts that never reached this register may go to another one of the same entity once it
    // has been offline for a while; in-doubt ones stay, only this device can settle them.
    void hand_over_stranded() {
        const auto now = clock.steady_now();
        if (!offline_since) offline_since = now;
        if (now - *offline_since < options.failover_after) return;
        RegisterWorker::StrandedHandler handler;
        RegisterWorker::StrandedProbe probe;
        {
            std::lock_guard lock(mutex);
            handler = stranded;
            probe = stranded_probe;
        }
        // Nowhere to go (every sibling away too): the queue stays as it is. This runs on each
        // offline wake-up, and the queue may hold thousands of receipts that the API is adding to
        // under the same lock.
        if (!handler || (probe && !probe())) return;
        std::vector<ReceiptJob> jobs;
        {
            // One pass, O(queue): erasing from the middle of the deque would be O(queue²) under
            // the lock that every submit() to this register takes.
            std::lock_guard lock(mutex);
            std::deque<Job> kept;
            for (auto& it : queue) {
                auto* job = std::get_if<ReceiptJob>(&it);
                if (job && job->ledger_state == JobLedgerState::Planned)
                    jobs.push_back(std::move(*job));
                else
                    kept.push_back(std::move(it));
            }
            queue.swap(kept);
            snap.queue_depth = queue.size();
        }
        if (jobs.empty()) return;
        const auto count = jobs.size();
        auto left = handler(options.register_id, std::move(jobs));
        if (left.size() < count) logger->warn("offline: {} receipt(s) moved to other registers", count - left.size());
        std::lock_guard lock(mutex);
        for (auto& job : left) queue.push_back(Job{std::move(job)});
        snap.queue_depth = queue.size();
    }

    // Commands cannot wait for a register that is not there; receipts can (they are durable).
    void fail_commands(const DeviceError& why) {
        std::deque<Job> commands;
        {
            std::lock_guard lock(mutex);
            for (auto it = queue.begin(); it != queue.end();) {
                if (std::holds_alternative<CommandJob>(*it)) {
                    commands.push_back(std::move(*it));
                    it = queue.erase(it);
                } else {
                    ++it;
                }
            }
            snap.queue_depth = queue.size();
        }
        for (auto& c : commands) std::get<CommandJob>(c).run(nullptr, &why);
    }

    bool connect() {
        // The state stays what it is while we try: "connecting" at start, "offline" after a
        // failure (a register is offline until a connection succeeds, not on and off per attempt).
        auto made = factory();
        if (made) {
            auto observed = std::make_unique<ObservedDevice>(
                std::move(*made), clock,
                ObservedDevice::Observer{
                    .timed = [this](const char* kind, std::chrono::nanoseconds took) { record_latency(kind, took); },
                    .status_read = [this](const DeviceStatus& s) { remember(s); },
                    .changed = [this](const std::function<void(DeviceStatus&)>& change) { changed(change); }});
            auto status = observed->status();
            if (status) {
                if (auto holder = claim(status->fn_number)) {
                    // Two register entries reach one device: printing from both would give each
                    // receipt's fate to two queues. The first connected keeps it; this one waits
                    // for the operator (and tries again only rarely, or on resume).
                    auto why = "FN " + status->fn_number + " is already served by register " + *holder;
                    if (why != refusal) logger->error("{}: this register takes no work", why);
                    refusal = std::move(why);
                    set_state(WorkerState::NeedsOperator, refusal);
                    if (!offline_since) offline_since = clock.steady_now();
                    backoff = options.reconnect_max;
                    return false;
                }
                refusal.clear();
                device = std::move(observed);
                backoff = 0ms;
                offline_since.reset();
                set_state(WorkerState::Idle);
                logger->info("connected: FN {}, shift {} {}", status->fn_number, status->shift_number,
                             status->shift_open ? "open" : "closed");
                next_poll = clock.steady_now() + options.poll_interval;
                return true;
            }
            refusal.clear();
            set_state(WorkerState::Offline, status.error().to_string());
        } else {
            refusal.clear();
            set_state(WorkerState::Offline, made.error().message);
        }
        backoff = backoff == 0ms ? options.reconnect_min : std::min(backoff * 2, options.reconnect_max);
        return false;
    }

    // Claims the FN for this register; the holder's id when another connected register has it.
    std::optional<std::string> claim(const std::string& fn) {
        if (!claims || fn.empty()) return std::nullopt;
        if (auto holder = claims->claim(fn, options.register_id)) return holder;
        if (!claimed_fn.empty() && claimed_fn != fn) claims->release(claimed_fn, options.register_id);
        claimed_fn = fn;
        return std::nullopt;
    }

    void record_latency(const char* kind, std::chrono::nanoseconds took) {
        std::lock_guard lock(mutex);
        latencies[kind].observe(took);
    }

    // What a command's answer told about the device, applied to the last status read.
    void changed(const std::function<void(DeviceStatus&)>& change) {
        std::lock_guard lock(mutex);
        if (snap.status) change(*snap.status);
    }

    // Every status read (ObservedDevice calls it): the snapshot and its warnings.
    void remember(const DeviceStatus& status) {
        std::vector<std::string> warnings;
        const auto now = clock.now();
        if (status.fn_expiry && *status.fn_expiry - now < options.fn_expiry_warning)
            warnings.push_back("fiscal storage expires soon");
        if (status.ofd_oldest_unsent && now - *status.ofd_oldest_unsent > options.ofd_backlog_warning)
            warnings.push_back(
                "documents not sent to the OFD for " +
                std::to_string(std::chrono::duration_cast<std::chrono::hours>(now - *status.ofd_oldest_unsent).count() /
                               24) +
                " day(s); the register blocks after 30");
        if (!status.paper_ok) warnings.push_back("paper out");
        std::lock_guard lock(mutex);
        for (const auto& w : warnings)
            if (std::ranges::find(snap.warnings, w) == snap.warnings.end()) logger->warn("{}", w);
        snap.status = status;
        snap.warnings = std::move(warnings);
    }

    // A device error that is not about one receipt: decide what the register is now.
    void device_trouble(const DeviceError& e) {
        switch (e.outcome) {
            case Outcome::NeedsOperator:
                if (!offline_since) offline_since = clock.steady_now();
                set_state(WorkerState::NeedsOperator, e.to_string());
                break;
            case Outcome::DeviceStopped:
                set_state(WorkerState::DeviceStopped, e.to_string());
                break;
            case Outcome::RetryLater:
                // The link is in doubt: drop it and connect again.
                drop_device();
                set_state(WorkerState::Offline, e.to_string());
                break;
            default:
                set_state(WorkerState::Idle, e.to_string());
                break;
        }
    }

    // Idle upkeep: status, warnings, shift rotation before 24 h or at the quiet time.
    void maintain() {
        next_poll = clock.steady_now() + options.poll_interval;
        auto status = device->status();
        if (!status) return device_trouble(status.error());
        if (status->shift_open && shift_due(*status)) {
            logger->info(
                "rotating shift {} (opened {} h ago)", status->shift_number,
                status->shift_opened_at
                    ? std::chrono::duration_cast<std::chrono::hours>(clock.now() - *status->shift_opened_at).count()
                    : -1);
            if (auto closed = device->close_shift(options.cashier, options.cashier_inn); !closed)
                return device_trouble(closed.error());
            if (auto opened = device->open_shift(options.cashier, options.cashier_inn); !opened)
                return device_trouble(opened.error());
        }
        if (!status->paper_ok && !status->awaiting_continue_print) return device_trouble(paper_out());
        if (status->paper_ok && !status->shift_expired && needs_operator()) back_to_work();
    }

    bool shift_due(const DeviceStatus& status) const {
        if (status.shift_expired) return true;
        if (!status.shift_opened_at) return false;
        const auto now = clock.now();
        const auto age = now - *status.shift_opened_at;
        if (age >= options.shift_max_age) return true;
        if (!options.quiet_time || age < 1h) return false;
        // The latest quiet time (local) not after now; rotate once if the shift is older than it.
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        std::tm local{};
        localtime_r(&t, &local);
        const auto since_midnight =
            std::chrono::hours(local.tm_hour) + std::chrono::minutes(local.tm_min) + std::chrono::seconds(local.tm_sec);
        auto quiet = now - since_midnight + *options.quiet_time;
        if (quiet > now) quiet -= 24h;
        return *status.shift_opened_at < quiet && now - quiet < 1h;
    }

    // Opens a shift when there is none, rotates one that is too old, cancels a leftover receipt.
    DeviceStatusResult ensure_ready() {
        auto status = device->status();
        if (!status) return std::unexpected(status.error());
        if (status->awaiting_continue_print) {
            // Paper is back after it ran out mid-document: the device prints the rest first.
            if (auto continued = device->continue_print(); !continued) return continued;
        } else if (!status->paper_ok) {
            // Checked before the receipt is marked sending: it never reached this register and
            // may still go to a sibling of the same entity.
            return std::unexpected(paper_out());
        }
        if (status->receipt_open) {
            logger->warn("cancelling a receipt left open on the device");
            if (auto cancelled = device->cancel_receipt(); !cancelled) return cancelled;
        }
        if (status->shift_open && (status->shift_expired || shift_due(*status))) {
            if (auto closed = device->close_shift(options.cashier, options.cashier_inn); !closed) return closed;
            status->shift_open = false;
        }
        if (!status->shift_open) {
            logger->info("opening a shift for the next receipt");
            if (auto opened = device->open_shift(options.cashier, options.cashier_inn); !opened) return opened;
        }
        return {};
    }

    enum class Found { Fiscalised, Absent, Unknown };

    // DESIGN.md §2: find out from the device whether an in-doubt receipt was fiscalised.
    Found reconcile(ReceiptJob& job, FiscalResult& result) {
        auto status = device->status();
        if (!status) {
            device_trouble(status.error());
            return Found::Unknown;
        }
        if (status->receipt_open) {
            // An unfinished receipt is not fiscalised; cancel it so the device is usable again.
            if (auto cancelled = device->cancel_receipt(); !cancelled) {
                device_trouble(cancelled.error());
                return Found::Unknown;
            }
            return Found::Absent;
        }
        // Walk back from the newest document. A number the device cannot find (not every form is
        // kept for lookup) is skipped; only a link problem leaves the question open.
        const auto not_before = job.sent_at - options.clock_tolerance;
        const std::uint32_t newest = status->last_fd_number;
        const std::uint32_t depth = static_cast<std::uint32_t>(std::max(options.reconcile_depth, 1));
        for (std::uint32_t n = newest; n > 0 && newest - n < depth; --n) {
            auto doc = device->document_by_number(n);
            if (!doc) {
                if (doc.error().outcome == Outcome::Rejected) continue;
                device_trouble(doc.error());
                return Found::Unknown;
            }
            if (doc->date_time < not_before) break;
            if (is_receipt_document(doc->type) && doc->calc_sign == job.receipt.sign &&
                doc->total == job.receipt.total && !port.document_claimed(status->fn_number, doc->number)) {
                result = FiscalResult{.fd_number = doc->number,
                                      .fiscal_sign = doc->fiscal_sign,
                                      .fn_number = status->fn_number,
                                      .shift_number = status->shift_number,
                                      .receipt_number = 0,  // not in the document summary
                                      .date_time = doc->date_time};
                return Found::Fiscalised;
            }
        }
        return Found::Absent;
    }

    // The next receipt to claim in the same ledger write as a confirmation: a planned one at the
    // front of the queue (commands keep their place), while nothing holds receipts or asks to stop.
    std::optional<ReceiptJob> take_next_planned() {
        std::lock_guard lock(mutex);
        if (stopping || poke || queue.empty() || clock.steady_now() < hold_until) return std::nullopt;
        auto* next = std::get_if<ReceiptJob>(&queue.front());
        if (!next || next->ledger_state != JobLedgerState::Planned) return std::nullopt;
        ReceiptJob job = std::move(*next);
        queue.pop_front();
        snap.queue_depth = queue.size();
        return job;
    }

    void process(ReceiptJob job) {
        // Back to the front of the line, held for a while: the register has a problem.
        const auto requeue = [&] {
            hold_receipts();
            push(Job{std::move(job)}, /*front=*/true);
        };
        // Marked `sending` together with the confirmation of the receipt before it, and not a byte
        // of it sent yet: nothing to reconcile.
        bool claimed = false;
        try {
            for (;;) {  // once more for each receipt claimed by a confirmation
                if (job.ledger_state != JobLedgerState::Planned && !claimed) {
                    FiscalResult found;
                    switch (reconcile(job, found)) {
                        case Found::Unknown:
                            return requeue();
                        case Found::Fiscalised:
                            logger->info("receipt {} was fiscalised as document {}", job.id, found.fd_number);
                            port.mark_confirmed(job.id, job.receipt, found);
                            return settled(job.id);
                        case Found::Absent:
                            logger->info("receipt {} is not on the device; sending it", job.id);
                            break;
                    }
                }
                if (auto ready = ensure_ready(); !ready) {
                    device_trouble(ready.error());
                    return requeue();
                }
                if (job.ledger_state == JobLedgerState::Planned) {
                    job.sent_at = clock.now();
                    port.mark_sending(job.id);  // durable before the first byte of the receipt
                    job.ledger_state = JobLedgerState::Sending;
                }
                for (int attempt = 1;; ++attempt) {
                    auto done = device->fiscalise(job.receipt);
                    if (done) {
                        logger->info("receipt {} fiscalised: document {}, shift {}", job.id, done->fd_number,
                                     done->shift_number);
                        // With more receipts queued, the next one is marked `sending` in the same group
                        // commit as this confirmation: one wait for the ledger per receipt, not two.
                        auto next = take_next_planned();
                        bool next_sending = false;
                        if (!next) {
                            port.mark_confirmed(job.id, job.receipt, *done);
                        } else {
                            next->sent_at = clock.now();
                            try {
                                port.mark_confirmed_then_sending(job.id, job.receipt, *done, next->id, next_sending);
                            } catch (...) {
                                if (next_sending) next->ledger_state = JobLedgerState::Sending;
                                push(Job{std::move(*next)}, /*front=*/true);  // behind `job`, requeued below
                                throw;
                            }
                        }
                        backoff = 0ms;
                        back_to_work();
                        settled(job.id);
                        if (!next) return;
                        if (!next_sending) return push(Job{std::move(*next)}, /*front=*/true);
                        next->ledger_state = JobLedgerState::Sending;
                        job = std::move(*next);
                        claimed = true;
                        break;
                    }
                    const DeviceError& e = done.error();
                    if (e.maybe_executed) {
                        if (job.ledger_state == JobLedgerState::Sending) port.mark_uncertain(job.id, e.to_string());
                        job.ledger_state = JobLedgerState::Uncertain;
                        device_trouble(e);
                        return requeue();
                    }
                    if (e.outcome == Outcome::Rejected) {
                        logger->warn("receipt {} rejected: {}", job.id, e.to_string());
                        (void)device->cancel_receipt();
                        port.mark_failed(job.id, e.to_string());
                        return settled(job.id);
                    }
                    if (e.outcome == Outcome::RetryNow && attempt < options.retry_now_attempts) continue;
                    // Not executed, but the register cannot take it now: keep it first in line. It is
                    // `sending` in the ledger, so the next try reconciles before it sends.
                    (void)device->cancel_receipt();
                    device_trouble(e);
                    return requeue();
                }
            }
        } catch (const std::exception& e) {
            // A ledger fault: nothing was sent after a failed mark, and a failed confirm leaves the
            // receipt `sending`, which reconciliation settles. Try again after a pause.
            logger->error("receipt {}: ledger error: {}", job.id, e.what());
            set_state(WorkerState::Offline, std::string("ledger error: ") + e.what());
            requeue();
        }
    }
};

RegisterWorker::RegisterWorker(WorkerOptions options, DeviceConnector factory, ReceiptPort& port, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(factory), port, clock)) {}

RegisterWorker::~RegisterWorker() { stop(); }

void RegisterWorker::start() {
    if (impl_->thread.joinable()) return;
    impl_->thread = std::thread([this] {
        name_this_thread("drv:" + impl_->options.register_id);
        impl_->loop();
    });
}

void RegisterWorker::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
}

void RegisterWorker::submit(ReceiptJob job) { impl_->push(Job{std::move(job)}); }

void RegisterWorker::on_settled(std::function<void(std::int64_t)> listener) {
    std::lock_guard lock(impl_->mutex);
    impl_->listeners.push_back(std::move(listener));
}

void RegisterWorker::on_stranded(StrandedHandler handler, StrandedProbe can_take) {
    std::lock_guard lock(impl_->mutex);
    impl_->stranded = std::move(handler);
    impl_->stranded_probe = std::move(can_take);
}

namespace {

std::pair<RegisterWorker::CommandDone, std::future<DeviceStatusResult>> promised() {
    auto promise = std::make_shared<std::promise<DeviceStatusResult>>();
    auto future = promise->get_future();
    return {[promise](DeviceStatusResult r) { promise->set_value(std::move(r)); }, std::move(future)};
}

}  // namespace

void RegisterWorker::run(std::function<DeviceStatusResult(FiscalDevice&)> command, CommandDone done) {
    impl_->push(Job{CommandJob{
        [this, done = std::move(done), command = std::move(command)](FiscalDevice* device, const DeviceError* why) {
            if (!device) return done(std::unexpected(*why));
            auto result = command(*device);
            if (!result) impl_->device_trouble(result.error());
            done(std::move(result));
        }}});
}

std::future<DeviceStatusResult> RegisterWorker::run(std::function<DeviceStatusResult(FiscalDevice&)> command) {
    auto [done, future] = promised();
    run(std::move(command), std::move(done));
    return std::move(future);
}

void RegisterWorker::resume(CommandDone done) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->poke = true;  // an offline register tries to connect now
    }
    impl_->push(Job{CommandJob{[this, done = std::move(done)](FiscalDevice* device, const DeviceError* why) {
                    if (!device) return done(std::unexpected(*why));
                    {
                        std::lock_guard lock(impl_->mutex);
                        impl_->poke = false;
                    }
                    impl_->operator_resumed();
                    const auto snap = snapshot();
                    if (snap.state == WorkerState::NeedsOperator)
                        return done(std::unexpected(DeviceError{.outcome = Outcome::NeedsOperator,
                                                                .device_code = -1,
                                                                .device_text = {},
                                                                .message = snap.detail,
                                                                .maybe_executed = false}));
                    done({});
                }}},
                /*front=*/true);
}

std::future<DeviceStatusResult> RegisterWorker::resume() {
    auto [done, future] = promised();
    resume(std::move(done));
    return std::move(future);
}

void RegisterWorker::open_shift(CommandDone done) {
    run([this](FiscalDevice& d) { return d.open_shift(impl_->options.cashier, impl_->options.cashier_inn); },
        std::move(done));
}

void RegisterWorker::close_shift(CommandDone done) {
    run([this](FiscalDevice& d) { return d.close_shift(impl_->options.cashier, impl_->options.cashier_inn); },
        std::move(done));
}

void RegisterWorker::x_report(CommandDone done) {
    run([](FiscalDevice& d) { return d.x_report(); }, std::move(done));
}

std::future<DeviceStatusResult> RegisterWorker::open_shift() {
    auto [done, future] = promised();
    open_shift(std::move(done));
    return std::move(future);
}

std::future<DeviceStatusResult> RegisterWorker::close_shift() {
    auto [done, future] = promised();
    close_shift(std::move(done));
    return std::move(future);
}

std::future<DeviceStatusResult> RegisterWorker::x_report() {
    auto [done, future] = promised();
    x_report(std::move(done));
    return std::move(future);
}

std::future<DeviceResult<DeviceStatus>> RegisterWorker::read_status() {
    auto promise = std::make_shared<std::promise<DeviceResult<DeviceStatus>>>();
    auto future = promise->get_future();
    impl_->push(Job{CommandJob{[this, promise](FiscalDevice* device, const DeviceError* why) {
        if (!device) return promise->set_value(std::unexpected(*why));
        auto status = device->status();  // remembered by the observed device
        if (!status) impl_->device_trouble(status.error());
        promise->set_value(std::move(status));
    }}});
    return future;
}

void RegisterWorker::share_fn_claims(std::shared_ptr<FnClaims> claims) { impl_->claims = std::move(claims); }

CommandLatencies RegisterWorker::command_latencies() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->latencies;
}

WorkerSnapshot RegisterWorker::snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->snap;
}

std::pair<WorkerState, std::size_t> RegisterWorker::load() const {
    std::lock_guard lock(impl_->mutex);
    return {impl_->snap.state, impl_->snap.queue_depth};
}

const std::string& RegisterWorker::register_id() const { return impl_->options.register_id; }

}  // namespace kassa::drivers
