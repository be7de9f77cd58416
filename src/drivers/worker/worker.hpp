// One worker per register (DESIGN.md §1, §2): a thread that owns the FiscalDevice, a queue of
// jobs with one in flight, shift upkeep and the exactly-once receipt protocol:
//   planned → (mark sending, durable) → first byte → confirmed | failed | uncertain
// An uncertain receipt is never re-sent blindly: the worker asks the device what it fiscalised
// (cancelling an unfinished receipt first) and only sends again when the document is proven absent.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/histogram.hpp"
#include "common/result.hpp"
#include "drivers/device.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::drivers {

// Where a receipt stands in the ledger when the worker gets it.
enum class JobLedgerState : std::uint8_t { Planned, Sending, Uncertain };

struct ReceiptJob {
    std::int64_t id = 0;
    fiscal::Receipt receipt;
    JobLedgerState ledger_state = JobLedgerState::Planned;
    // When it was marked sending (for Sending/Uncertain jobs): documents older than this, less
    // the allowed clock difference, cannot be this receipt.
    Clock::time_point sent_at{};
};

// The ledger as the worker sees it; each call is durable when it returns. Throws on a ledger
// fault (the worker logs it and retries the job later).
class ReceiptPort {
  public:
    virtual ~ReceiptPort() = default;
    virtual void mark_sending(std::int64_t id) = 0;
    // `receipt` is the one the device fiscalised (the job's), so the port need not read it back.
    virtual void mark_confirmed(std::int64_t id, const fiscal::Receipt& receipt, const FiscalResult& result) = 0;
    virtual void mark_failed(std::int64_t id, const std::string& why) = 0;
    virtual void mark_uncertain(std::int64_t id, const std::string& why) = 0;
    // mark_confirmed(id, ...) and mark_sending(next) with one wait for the ledger: a register with
    // a queue confirms one receipt and claims the next in the same group commit when it can. The
    // confirmation is durable first (never the next `sending` without it). `next_sending` tells
    // whether `next` is now `sending`, also when this throws (the confirmation failed).
    virtual void mark_confirmed_then_sending(std::int64_t id, const fiscal::Receipt& receipt,
                                             const FiscalResult& result, std::int64_t next, bool& next_sending) {
        next_sending = false;
        mark_confirmed(id, receipt, result);
        mark_sending(next);
        next_sending = true;
    }
    // True when a confirmed receipt already holds this document: reconciliation must not give one
    // fiscal document to two receipts.
    virtual bool document_claimed(const std::string& fn_number, std::uint32_t fd_number) = 0;
};

using DeviceConnector = std::function<Result<std::unique_ptr<FiscalDevice>>()>;

struct WorkerOptions {
    std::string register_id;
    std::string cashier = "Администратор";  // 1021 for shift documents and auto-opened shifts
    std::string cashier_inn;
    std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};  // status check when idle
    std::chrono::milliseconds reconnect_min{std::chrono::milliseconds(200)};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
    // A shift is closed and reopened once it is this old, before the device's 24 h limit.
    std::chrono::minutes shift_max_age{std::chrono::hours(23) + std::chrono::minutes(30)};
    // Minutes after local midnight when a shift older than an hour is rotated (quiet time).
    std::optional<std::chrono::minutes> quiet_time;
    std::chrono::hours fn_expiry_warning{24 * 30};
    std::chrono::hours ofd_backlog_warning{24 * 3};
    // How far back from the last document reconciliation looks, and the clock difference allowed
    // between us and the device (the law allows 5 minutes).
    int reconcile_depth = 10;
    std::chrono::minutes clock_tolerance{10};
    int retry_now_attempts = 3;
    // A register offline this long hands its queued, never-sent receipts to on_stranded.
    std::chrono::milliseconds failover_after{std::chrono::seconds(30)};
};

// Which connected register serves each fiscal storage (FN serial). Two register entries that
// reach one device (two URIs to one register or simulator) must not both print on it: the second
// to connect is refused. Shared by the workers of a pool; thread-safe, held only for a map update.
class FnClaims {
  public:
    // Claims `fn` for `register_id`: nullopt when it is now this register's (or already was),
    // else the id of the register that holds it.
    std::optional<std::string> claim(const std::string& fn, const std::string& register_id);
    // Gives `fn` up if `register_id` holds it.
    void release(const std::string& fn, const std::string& register_id);

  private:
    std::mutex mutex_;
    std::map<std::string, std::string> holders_;  // FN serial → register id
};

// Device call latencies of one register by call kind ("status", "fiscalise", "open_shift", …):
// a Prometheus histogram each, on the worker's clock (steady time).
using LatencyHistogram = DeviceCallHistogram;  // common/histogram.hpp: 10 ms … 30 s
using CommandLatencies = std::map<std::string, LatencyHistogram>;

enum class WorkerState : std::uint8_t { Connecting, Idle, Busy, Offline, NeedsOperator, DeviceStopped, Stopped };
std::string_view worker_state_name(WorkerState state);

struct WorkerSnapshot {
    std::string register_id;
    WorkerState state = WorkerState::Connecting;
    std::string detail;  // the last problem, for people
    std::size_t queue_depth = 0;
    std::optional<DeviceStatus> status;  // the last status read
    std::vector<std::string> warnings;   // FN expiry near, OFD backlog old, ...
};

class RegisterWorker {
  public:
    RegisterWorker(WorkerOptions options, DeviceConnector factory, ReceiptPort& port, const Clock& clock);
    ~RegisterWorker();
    RegisterWorker(const RegisterWorker&) = delete;
    RegisterWorker& operator=(const RegisterWorker&) = delete;

    void start();
    // Finishes the job in flight and stops. Queued receipts stay in the ledger (planned or
    // sending) and are picked up by the next start; queued commands fail with RetryLater.
    void stop();

    // Receipts: Sending/Uncertain ones (left by a crash) should be submitted before new work.
    void submit(ReceiptJob job);
    // Called after a receipt is confirmed or failed (to wake API long-polls).
    void on_settled(std::function<void(std::int64_t receipt_id)> listener);
    // Called on the worker's thread when the register has been offline for failover_after with
    // receipts queued that never reached it (ledger state planned). It returns the jobs it could
    // not place elsewhere; those wait here. `can_take`, when given, is asked first (cheaply, on
    // every offline wake-up): while no other register could take a receipt the queue is left
    // alone, in its order, and the handler is not called.
    using StrandedHandler =
        std::function<std::vector<ReceiptJob>(const std::string& register_id, std::vector<ReceiptJob> jobs)>;
    using StrandedProbe = std::function<bool()>;
    void on_stranded(StrandedHandler handler, StrandedProbe can_take = {});

    // Device commands run in the queue between receipts. Each reports through `done` on the
    // worker's thread (keep it quick), or through the future.
    using CommandDone = std::function<void(DeviceStatusResult)>;

    // The operator has dealt with what the register needed (paper loaded, cover closed): the
    // device continues and the receipts held for it go now; an offline register reconnects now.
    // Fails with NeedsOperator when the device still needs a person.
    void resume(CommandDone done);
    std::future<DeviceStatusResult> resume();
    void open_shift(CommandDone done);
    void close_shift(CommandDone done);
    void x_report(CommandDone done);
    std::future<DeviceStatusResult> open_shift();
    std::future<DeviceStatusResult> close_shift();
    std::future<DeviceStatusResult> x_report();
    std::future<DeviceResult<DeviceStatus>> read_status();
    // Any other device call (printing text or a QR code, cutting), in the queue.
    void run(std::function<DeviceStatusResult(FiscalDevice&)> command, CommandDone done);
    std::future<DeviceStatusResult> run(std::function<DeviceStatusResult(FiscalDevice&)> command);

    // Refuses to take work while another connected register of `claims` serves the same FN
    // (RegisterPool::add shares its own). Call before start().
    void share_fn_claims(std::shared_ptr<FnClaims> claims);

    WorkerSnapshot snapshot() const;
    // Latency of every device call so far, by kind (the worker's device is wrapped to time them).
    CommandLatencies command_latencies() const;
    // Just the state and queue depth: cheap, for choosing a register.
    std::pair<WorkerState, std::size_t> load() const;
    const std::string& register_id() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kassa::drivers
