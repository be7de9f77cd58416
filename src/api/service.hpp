// The one place that joins the ledger, the planner and the register workers for the HTTP API:
// replay of idempotent requests, routing to a register of the right legal entity, planning inside
// the ledger's writer transaction (facts, plan, receipts, payment, idempotency record and audit row
// in one group-committed transaction), and queueing the receipts on their register.
//
// Nothing here holds a lock while a device prints or another request waits: events for unrelated
// orders and customers never wait for each other, and an event whose orders or customer still have
// receipts in flight is refused at once with 409 `busy` (Retry-After), never queued behind them.
// Waiting for receipts (`?wait=N`) is a registration that holds no thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/auth.hpp"
#include "api/events.hpp"
#include "api/json_io.hpp"
#include "common/clock.hpp"
#include "drivers/worker/pool.hpp"
#include "fiscal/events.hpp"
#include "ledger/ledger.hpp"
#include "qr/payment_payload.hpp"

namespace kassa::api {

struct EntityInfo {
    std::string inn;
    std::string name;
    fiscal::TaxSystem tax_system = fiscal::TaxSystem::Osn;
    std::string cashier;                     // 1021 when the request names nobody
    std::string cashier_inn;                 // 1203 with it
    std::string settlement_address;          // 1009 default (the office)
    std::string settlement_place;            // 1187 default
    std::optional<qr::BankRequisites> bank;  // for GOST R 56042 payment QR codes
    std::string sbp_link;                    // static SBP link from the bank, may be empty
};

// late_settlement: what becomes of an action settled (by the phone's clock) longer ago than the
// tolerance when it reaches Kassa. fiscal-rules.md §7 (a): a settlement made without a receipt gets a
// correction receipt with its true date, and correcting before the tax authority finds it frees
// the seller from the fine, so by default Kassa corrects at once.
enum class LateSettlement : std::uint8_t {
    Correct,       // the receipts are planned as correction receipts (1173 = 0, 1178 = the settlement's day)
    ListForOffice  // printed as they are, marked late and listed for the office to confirm
};

// credit_at_door: when a courier may leave an order's price owed at the door (a sale on credit,
// 1214 = 5 or 6 with 1216: the planner's DeliveryEvent::credit). Office roles decide for themselves.
enum class CreditAtDoor : std::uint8_t {
    Order,  // only an order that says so (credit_allowed, or payment_method "credit")
    Never,
    Any,
};

inline bool credit_at_door_allowed(CreditAtDoor policy, const ledger::OrderDelivery& order) {
    return policy == CreditAtDoor::Any || (policy == CreditAtDoor::Order && order.credit_allowed);
}

struct ServiceOptions {
    std::vector<EntityInfo> entities;
    fiscal::PlannerPolicy policy;
    LateSettlement late_settlement = LateSettlement::Correct;
    std::chrono::seconds late_tolerance = std::chrono::minutes(5);  // fiscal-rules.md §6: ≤ 5 min off
    CreditAtDoor credit_at_door = CreditAtDoor::Order;
    // E-receipt channels that are configured, and a wake-up for the notifier (resend).
    bool email_enabled = false;
    bool sms_enabled = false;
    std::function<void()> on_outbox;
};

struct Submitted {
    std::vector<ledger::ReceiptId> receipts;
    bool replayed = false;
    fiscal::Kopecks change;  // cash to hand back at the door (not a fiscal sum)
    // A fresh plan's receipts as stored (`planned`), so an answer needs no read back; empty on a replay.
    std::vector<ledger::ReceiptRecord> records;
};

class Service {
  public:
    Service(ServiceOptions options, ledger::Ledger& ledger, drivers::RegisterPool& pool, const Clock& clock);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Plans, stores and queues one business event. `key` is the Idempotency-Key; `request_hash`
    // identifies the request AND its caller (so a key replays only for the principal that made it:
    // anyone else gets idempotency_conflict). Checks that need no write (entity, permissions,
    // register) throw ApiError here; the rest reaches `done` once the plan is durable (or refused),
    // on the ledger's completion thread: keep `done` quick.
    using SubmitDone = std::function<void(std::optional<Submitted> submitted, std::exception_ptr error)>;
    void submit(const Principal& who, const std::string& key, const std::string& request_hash, EventRequest request,
                const std::string& action, const std::string& remote, SubmitDone done);
    // The same, waiting here for the result (tests, tools). Throws ApiError / LedgerError.
    Submitted submit_and_wait(const Principal& who, const std::string& key, const std::string& request_hash,
                              EventRequest request, const std::string& action, const std::string& remote);

    // Calls `done` once every receipt is confirmed or failed, or once `timeout` has passed
    // (settled = false), from a worker's or the timer's thread. Holds no thread while it waits.
    void when_settled(const std::vector<ledger::ReceiptId>& ids, std::chrono::milliseconds timeout,
                      std::function<void(bool settled)> done);

    // At start: queue the ledger's planned, sending and uncertain receipts to their registers
    // (in-doubt ones first, so they are reconciled before new work).
    void recover();

    // Called by the workers when a receipt is confirmed or failed.
    void settled(ledger::ReceiptId id);

    // Answers every waiter now (settled = false): the server is stopping.
    void release_waiters();

    // A receipt changed (state, fiscal data, e-receipt delivery): a live event with it as it now
    // stands. Reads the ledger: call it from a worker's or the notifier's thread, not the writer's.
    void receipt_changed(ledger::ReceiptId id);
    // Failover handed a never-sent receipt from register `from` to another of its entity: a live
    // event with it on its new register and "moved_from", so a page following it shows where it is.
    void receipt_moved(ledger::ReceiptId id, const std::string& from);
    EventHub& events() { return events_; }

    const EntityInfo* entity(const std::string& inn) const;
    const ServiceOptions& options() const { return options_; }
    ledger::Ledger& ledger() { return ledger_; }
    drivers::RegisterPool& pool() { return pool_; }

  private:
    struct Waiter;
    void queue(ledger::ReceiptId id, const std::string& register_id, const fiscal::Receipt& receipt,
               drivers::JobLedgerState state, Clock::time_point sent_at);
    void fire(const std::shared_ptr<Waiter>& waiter, bool settled);
    void timer_loop();

    ServiceOptions options_;
    ledger::Ledger& ledger_;
    drivers::RegisterPool& pool_;
    const Clock& clock_;

    // Waiters for receipts to settle: by receipt, and by deadline for the one timer thread.
    std::mutex wait_mutex_;
    std::condition_variable wait_cv_;
    std::unordered_multimap<ledger::ReceiptId, std::shared_ptr<Waiter>> waiting_;
    std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Waiter>> deadlines_;
    bool closing_ = false;   // release_waiters() was called: new waiters answer at once
    bool stopping_ = false;  // the timer thread ends
    std::thread timer_;

    EventHub events_;  // last: its thread reads the pool through this service
};

}  // namespace kassa::api
