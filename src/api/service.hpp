// The one place that joins the ledger, the planner and the register workers for the HTTP API:
// replay of idempotent requests, routing to a register of the right legal entity, planning on
// settled facts, storing the plan before any device I/O, and queueing its receipts.
// Throws ApiError (api/json_io.hpp) for the caller's mistakes and LedgerError for the ledger's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/auth.hpp"
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

struct ServiceOptions {
    std::vector<EntityInfo> entities;
    fiscal::PlannerPolicy policy;
    // How long a request waits for earlier receipts of the same orders or customer to settle
    // before it is planned (facts come from confirmed receipts only).
    std::chrono::milliseconds busy_wait{std::chrono::seconds(30)};
    // E-receipt channels that are configured, and a wake-up for the notifier (resend).
    bool email_enabled = false;
    bool sms_enabled = false;
    std::function<void()> on_outbox;
};

struct Submitted {
    std::vector<ledger::ReceiptId> receipts;
    bool replayed = false;
    fiscal::Kopecks change;  // cash to hand back at the door (not a fiscal sum)
};

class Service {
  public:
    Service(ServiceOptions options, ledger::Ledger& ledger, drivers::RegisterPool& pool, const Clock& clock);

    // Plans, stores and queues one business event. `key` is the Idempotency-Key, `request_hash`
    // identifies the request (method, path, body); the same key and hash replay the first answer.
    Submitted submit(const Principal& who, const std::string& key, const std::string& request_hash,
                     EventRequest request, const std::string& action, const std::string& remote);

    // Waits until every receipt is confirmed or failed, or the timeout passes; true when settled.
    bool wait_settled(const std::vector<ledger::ReceiptId>& ids, std::chrono::milliseconds timeout);

    // At start: queue the ledger's planned, sending and uncertain receipts to their registers
    // (in-doubt ones first, so they are reconciled before new work).
    void recover();

    // Called by the workers when a receipt is confirmed or failed.
    void settled(ledger::ReceiptId id);

    const EntityInfo* entity(const std::string& inn) const;
    const ServiceOptions& options() const { return options_; }
    ledger::Ledger& ledger() { return ledger_; }
    drivers::RegisterPool& pool() { return pool_; }

  private:
    struct Involved {
        std::set<std::string> orders;
        std::string customer;
    };
    Involved involved(const fiscal::Event& event) const;
    bool busy_locked(const Involved& inv) const;
    void queue(ledger::ReceiptId id, const std::string& register_id, const fiscal::Receipt& receipt,
               drivers::JobLedgerState state, Clock::time_point sent_at);

    ServiceOptions options_;
    ledger::Ledger& ledger_;
    drivers::RegisterPool& pool_;
    const Clock& clock_;

    // Planning is serialised; receipts stored and not yet settled keep their orders and customer
    // busy so no event is planned on facts that are about to change.
    std::mutex plan_mutex_;
    std::mutex pending_mutex_;
    std::condition_variable settled_cv_;
    std::map<ledger::ReceiptId, Involved> pending_;
};

}  // namespace kassa::api
