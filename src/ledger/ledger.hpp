// The ledger: the durable memory of Kassa (DESIGN.md §2, issue 5). Every receipt is on disk in
// state `planned` before a byte goes to a register; balances, returns and order states move only
// in the transaction that confirms the receipt that causes them.
//
// Threading: every method is thread-safe. Writes go through one writer thread with group commit
// (many callers, one fsync per batch); a write returns only once it is durable. Reads use a pool
// of separate connections and never block the writer (WAL).
//
// Errors: methods throw LedgerError with a stable code() (see ledger/error.hpp); the *_async
// variants deliver the same exception through the future.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/histogram.hpp"
#include "fiscal/plan.hpp"
#include "ledger/error.hpp"
#include "ledger/receipt_state.hpp"

namespace kassa::ledger {

using ReceiptId = std::int64_t;
using TimePoint = Clock::time_point;  // stored with millisecond precision

struct LedgerOptions {
    std::size_t read_connections = 4;  // the read pool; readers wait when all are busy
    std::size_t max_batch = 512;       // writes per group-commit transaction at most
    int busy_timeout_ms = 5000;
    // A receipt with a settled_at that is confirmed more than this after it is listed as a late
    // settlement for the office (when it was not planned as one already).
    std::chrono::milliseconds late_tolerance = std::chrono::minutes(5);
    // The checkpoint thread writes the pages it copies into the database file back to the disk this
    // many a second (faster when it falls behind the WAL), a chunk at a time, instead of all at once
    // by its fsync (0): each commit's flush then waits for few of them (detail/paced_writeback.hpp,
    // bench/README.md).
    int checkpoint_writeback_pages_per_second = 4000;
};

struct LegalEntity {
    std::string inn;
    std::string name;
};

struct Register {
    std::string id;
    std::string entity_inn;
    std::string uri;  // transport URI, for the workers
    bool enabled = true;
};

struct Customer {
    std::string id;
    std::string name;
    std::string contact;  // +7… or e-mail: personal data, log only through log::mask_contact
};

// Fiscal results reported by the device for a confirmed receipt.
struct FiscalResult {
    std::uint64_t fd_number = 0;       // 1040 fiscal document number
    std::uint64_t fiscal_sign = 0;     // 1077 fiscal sign (FPD)
    std::string fn_number;             // 1041 fiscal storage number
    std::uint32_t shift = 0;           // 1038
    std::uint32_t receipt_number = 0;  // 1042 number within the shift
    TimePoint time{};                  // 1012 date and time on the document
    std::string qr;                    // the receipt QR string (t=…&s=…&fn=…&i=…&fp=…&n=…)

    friend bool operator==(const FiscalResult&, const FiscalResult&) = default;
};

struct ReceiptRecord {
    ReceiptId id = 0;
    ReceiptState state = ReceiptState::Planned;
    std::string register_id;
    fiscal::PlannedReceipt planned;  // receipt, customer, orders and the moves on confirmation
    TimePoint created{};
    TimePoint updated{};
    std::optional<FiscalResult> fiscal;  // present once confirmed
    std::string error;                   // why it failed / became uncertain
    std::string created_by;              // who asked for it (StorePlanRequest::created_by)
    std::string card_reference;          // the card terminal's reference (RRN), receipts with 1081 only
    // Late settlements (migration 008): when the money really changed hands, as the phone said, and
    // "" | "corrected" (planned as a correction) | "listed" (for the office) | "confirmed" (by it).
    std::optional<TimePoint> settled_at;
    std::string late;
    std::string late_confirmed_by;
};

// An incoming payment recorded together with the receipt issued for it.
struct IncomingPayment {
    std::string id;  // the payment's own id (bank/acquirer reference or generated)
    std::string customer;
    fiscal::Kopecks cash;
    fiscal::Kopecks electronic;
    std::vector<std::pair<std::string, fiscal::Kopecks>> allocations;  // order id → amount
};

struct AuditRecord {
    std::int64_t id = 0;
    TimePoint at{};
    std::string actor;    // token name / role
    std::string action;   // e.g. "payment", "receipt.raw"
    std::string subject;  // what it concerned: order id, receipt id
    std::string address;  // the client's IP address
    std::string detail;   // free text; never a raw contact
};

struct StorePlanRequest {
    std::string idempotency_key;  // required; the client's Idempotency-Key
    std::string request_hash;     // hash of the request body, compared on replay
    std::string register_id;      // the register that prints every receipt of this plan
    fiscal::Plan plan;
    std::optional<IncomingPayment> payment;  // stored in the same transaction when present
    std::string created_by;                  // the token's name (couriers see only their own)
    std::optional<AuditRecord> audit;        // written in the same transaction (not on a replay)
    std::string card_reference;              // RRN of a card payment, kept on the receipts with 1081
    // When the settlement really happened (the phone's clock), kept on every receipt of the plan, and
    // "corrected" or "listed" when the plan is already known to be late ("" otherwise).
    std::optional<TimePoint> settled_at;
    std::string late;
};

// Facts read inside the writer's transaction for plan_and_store(): nothing can change them between
// the planner reading them and the plan being stored.
struct PlanningFacts {
    std::map<std::string, fiscal::OrderFacts> orders;        // by order id
    std::map<std::string, fiscal::CustomerFacts> customers;  // by customer id, balances of PlanRequest::entity_inn
    // Receipts not yet final (planned, sending, uncertain) that concern those orders or customers:
    // their moves are not in the facts yet. A planner may refuse to plan while they are in flight.
    std::vector<ReceiptId> in_flight;
};

// The pure planner, called on the writer thread: keep it quick and free of I/O. An Error it returns
// is thrown to the caller as LedgerError with the same code and message, and nothing is stored.
using Planner = std::move_only_function<Result<fiscal::Plan>(const PlanningFacts&)>;

struct PlanRequest {
    std::string idempotency_key;
    std::string request_hash;
    std::string register_id;
    std::vector<std::string> orders;     // whose facts the planner needs (not_found if unknown)
    std::vector<std::string> customers;  // whose facts the planner needs (zero if unknown)
    std::optional<IncomingPayment> payment;
    std::string entity_inn;  // whose advance balances the customers' facts carry (empty: all entities')
    std::string created_by;
    std::optional<AuditRecord> audit;     // written with the plan, in the same transaction
    std::string card_reference;           // RRN of a card payment at the door (StorePlanRequest)
    std::optional<TimePoint> settled_at;  // the phone's time of the settlement (StorePlanRequest)
    std::string late;                     // StorePlanRequest::late
};

struct StoredPlan {
    std::vector<ReceiptId> receipts;  // in plan order
    bool replayed = false;            // true: the key was seen with the same request before
};

// A notification to enqueue in the outbox in the same transaction as a confirmation, so that a
// confirmed receipt's e-receipt or callback can never be lost by a crash in between.
struct OutboxDraft {
    std::string kind;     // e.g. "e_receipt", "callback"
    std::string payload;  // opaque to the ledger
};

struct ReceiptQuery {
    std::optional<ReceiptState> state = std::nullopt;
    std::optional<std::string> register_id = std::nullopt;
    std::optional<std::string> order = std::nullopt;
    std::optional<TimePoint> from = std::nullopt;  // created ≥ from
    std::optional<TimePoint> to = std::nullopt;    // created < to
    std::size_t limit = 1000;
    std::optional<std::string> created_by = std::nullopt;
    // Keyset paging: only ids after (oldest first) or before (newest_first) this one; 0 = from the start.
    ReceiptId after_id = 0;
    bool newest_first = false;  // ORDER BY id DESC; after_id then means "ids below it"
};

struct JournalEntry {
    std::int64_t id = 0;
    ReceiptId receipt = 0;
    fiscal::Account account = fiscal::Account::CustomerAdvance;
    std::string owner;
    std::string customer;
    fiscal::Kopecks delta;
    TimePoint at{};
    std::string entity_inn;  // the legal entity whose register printed the receipt
};

// Who delivers an order, when and where (migration 006); every field may be empty.
struct OrderDelivery {
    std::string courier;  // the courier token's name
    std::string date;     // YYYY-MM-DD
    std::string address;  // 1009 of the settlement at the door
    std::string contact;  // the customer's phone or e-mail (personal data: log only masked)
    // Migration 009: what the courier should expect at the door.
    std::string payment_method;   // "" | cash | card | sbp | credit | prepaid
    std::string deliver_from;     // HH:MM, the window's start on `date` ("" = only "by")
    std::string deliver_by;       // HH:MM, the deadline on `date` ("" = none)
    bool credit_allowed = false;  // may be settled on credit at the door ([planner] credit_at_door)

    friend bool operator==(const OrderDelivery&, const OrderDelivery&) = default;
};

struct OrderView {
    fiscal::OrderFacts facts;
    OrderDelivery delivery;  // state, prepaid, credit owed, returned quantities
    std::vector<ReceiptRecord> receipts;
    fiscal::Kopecks total;      // Σ line price × quantity
    fiscal::Kopecks delivered;  // total less what was refused at the door once delivered, else 0
    fiscal::Kopecks returned;   // Σ returned quantity × line price
    fiscal::Kopecks refused;    // Σ quantity refused at the door × line price
    fiscal::Kopecks owed;       // open: total − prepaid; delivered: credit owed; cancelled: 0
};

struct CustomerView {
    fiscal::CustomerFacts facts;                               // advance_balance: across every entity
    std::map<std::string, fiscal::Kopecks> advance_by_entity;  // INN → advance held by that entity
    std::vector<JournalEntry> history;  // every journal entry concerning the customer, oldest first
};

struct ShiftJournal {
    std::string register_id;
    std::uint32_t shift = 0;
    std::vector<ReceiptRecord> receipts;  // confirmed, by fiscal document number
    std::vector<JournalEntry> entries;    // the balance movements those receipts caused
};

struct OutboxMessage {
    std::int64_t id = 0;
    std::string kind;  // e.g. "e_receipt", "callback"
    std::optional<ReceiptId> receipt;
    std::string payload;  // opaque to the ledger (JSON from the notifier)
    int attempts = 0;
    std::string last_error;
    std::string state;  // pending | claimed | sent | failed (outbox_for_receipt)
};

// A register command that makes no receipt (cash in / out, a shift command, a receipt copy) but
// must run at most once per Idempotency-Key, also across restarts. Its record lives in the
// idempotency table under its key (no schema change): planned → sending (durable before the first
// byte) → done | failed, or sending → uncertain when the link broke while the device may have run
// it (never sent again blindly: a person checks the tape and the drawer).
struct OperationRecord {
    std::string kind;  // cash_in | cash_out | shift_open | shift_close | x_report | copy
    std::string register_id;
    fiscal::Kopecks amount;  // cash in / out
    std::string reason;      // why the cash moved (people's words; never a contact)
    std::string cashier;
    std::int64_t receipt = 0;  // copy: the receipt printed again
    std::string state = "planned";
    std::uint64_t document_number = 0;  // the KKT's document number, when the device reports one
    std::string result;                 // what the caller answered once done (opaque JSON), for replays
    std::string error;
    std::string created_by;
    TimePoint created{};
    TimePoint updated{};
};

// The cash a courier holds for one legal entity (migration 008): 1031 of the confirmed receipts the
// courier's token made, money in (1054 = 1, 4) less money out (1054 = 2, 3), less what the office
// confirmed it received. Declared handovers not yet confirmed are still held.
struct CourierCash {
    std::string entity_inn;
    fiscal::Kopecks taken;
    fiscal::Kopecks refunded;
    fiscal::Kopecks handed_over;  // confirmed handovers
    fiscal::Kopecks pending;      // declared, waiting for a cashier
    fiscal::Kopecks held() const { return taken - refunded - handed_over; }
};

// Cash a courier hands to the office: declared by the courier, confirmed by a cashier.
struct Handover {
    std::int64_t id = 0;
    std::string courier;
    std::string entity_inn;
    fiscal::Kopecks amount;
    bool confirmed = false;
    TimePoint declared{};
    std::string confirmed_by;
    std::optional<TimePoint> confirmed_at;
};

// A bearer token Kassa issued (migration 007). Only its SHA-256 is stored; the token itself is
// shown once, when it is made.
struct TokenRecord {
    std::int64_t id = 0;
    std::string sha256;                  // lower-case hex of the token
    std::string name;                    // who it is: the audit log's actor, a courier's name on orders
    std::string role;                    // admin | cashier | courier
    std::vector<std::string> entities;   // INNs; empty: any
    std::vector<std::string> registers;  // register ids; empty: any
    TimePoint created{};
    std::string created_by;  // the creating token's name
    std::optional<TimePoint> revoked;
};

// Receipts left `sending` or `uncertain`, per register: the worker reconciles them (DESIGN.md §2)
// before it takes new work.
using RecoveryReport = std::map<std::string, std::vector<ReceiptRecord>>;

class Ledger {
  public:
    // Opens or creates the file, applies migrations, starts the writer. The clock stamps rows.
    static std::unique_ptr<Ledger> open(const std::string& path, Clock& clock, LedgerOptions options = {});
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // What was left to reconcile when the file was opened.
    const RecoveryReport& recovery() const;
    int schema_version() const;

    // ---- reference data -------------------------------------------------------------------
    void upsert_entity(const LegalEntity& entity);
    void upsert_register(const Register& reg);  // the entity must exist
    std::vector<Register> registers() const;
    void upsert_customer(const Customer& customer);
    std::optional<Customer> customer(const std::string& id) const;
    // Creates or replaces an order and its lines (customer created when unknown). Refused with
    // order_closed once the order is delivered or cancelled; order_has_receipts when its legal
    // entity or customer would change and a receipt names it; order_busy when its lines would change
    // while one of its receipts is in flight; below_prepaid when the new total is below what is
    // prepaid.
    // The delivery fields are replaced with the order (empty when not given).
    void upsert_order(const fiscal::Order& order, const OrderDelivery& delivery = {});
    // The orders a courier delivers on a day (YYYY-MM-DD), by id.
    std::vector<std::string> courier_orders(const std::string& courier, const std::string& date) const;
    // The legal entities (INN) of a customer's orders and of the registers of its receipts.
    std::vector<std::string> customer_entities(const std::string& customer_id) const;

    // Whose an order is (customer, legal entity); nullopt when unknown. A light read for routing.
    struct OrderOwner {
        std::string customer;
        std::string entity_inn;
    };
    std::optional<OrderOwner> order_owner(const std::string& order_id) const;

    // ---- facts for the planner (confirmed receipts only) -----------------------------------
    fiscal::OrderFacts order_facts(const std::string& order_id) const;  // not_found
    // A customer's advance held by one legal entity (every entity's together when entity_inn is
    // empty); zero if unknown. Advances are per (customer, entity): one entity's FN never offsets
    // money another entity received.
    fiscal::CustomerFacts customer_facts(const std::string& customer_id, const std::string& entity_inn = {}) const;

    // ---- receipts ---------------------------------------------------------------------------
    // Stores the plan's receipts as `planned`, with the idempotency key, atomically. The same key
    // with the same hash returns the first result (replayed = true); with another hash it throws
    // idempotency_conflict. unknown_order / unknown_register when the plan names what we lack;
    // duplicate_payment when the payment's id was recorded before under another key.
    StoredPlan store_plan(const StorePlanRequest& request);
    // The stored answer for an idempotency key: nullopt when the key is new; throws
    // idempotency_conflict when it was used with another request hash. Callers check this before
    // planning, because a replay must not be planned again on facts its first run changed.
    std::optional<StoredPlan> find_idempotent(const std::string& key, const std::string& request_hash) const;
    // True when a confirmed receipt carries this fiscal document.
    bool has_fiscal_document(const std::string& fn_number, std::uint64_t fd_number) const;
    std::future<StoredPlan> store_plan_async(StorePlanRequest request);

    // Reads the facts, runs `planner` and stores its plan (with the payment and the audit row) in ONE
    // transaction that rides group commit, so concurrent events for the same order or customer
    // cannot both plan on the same balance, and unrelated events never wait for each other. A
    // replayed key returns the first result without calling the planner. Same errors as
    // store_plan, plus the planner's.
    StoredPlan plan_and_store(const PlanRequest& request, Planner planner);
    std::future<StoredPlan> plan_and_store_async(PlanRequest request, Planner planner);
    // The same, reporting on the ledger's completion thread once durable (callbacks run there one
    // at a time, in commit order): exactly one of `stored` / `error` is set. Keep `done` quick
    // (hand the work to another thread): it delays the callbacks of the writes after it.
    using PlanDone = std::move_only_function<void(std::optional<StoredPlan> stored, std::exception_ptr error)>;
    void plan_and_store_then(PlanRequest request, Planner planner, PlanDone done);

    // Transitions; illegal_transition when the state machine refuses, not_found for a bad id.
    void mark_sending(ReceiptId id);
    // Applies the receipt's balance, return and state moves, and enqueues `notify` (pointing at the
    // receipt), in the same transaction.
    void mark_confirmed(ReceiptId id, const FiscalResult& result, const std::vector<OutboxDraft>& notify = {});
    void mark_failed(ReceiptId id, const std::string& error);  // nothing moves
    void mark_uncertain(ReceiptId id, const std::string& error);
    std::future<void> mark_sending_async(ReceiptId id);
    std::future<void> mark_confirmed_async(ReceiptId id, FiscalResult result, std::vector<OutboxDraft> notify = {});
    std::future<void> mark_failed_async(ReceiptId id, std::string error);
    std::future<void> mark_uncertain_async(ReceiptId id, std::string error);

    // Moves a receipt that is still `planned` (nothing of it reached a device) to another register
    // of the same legal entity; false when it is no longer planned. unknown_register otherwise.
    bool reassign(ReceiptId id, const std::string& register_id);

    std::optional<ReceiptRecord> receipt(ReceiptId id) const;
    std::vector<ReceiptRecord> receipts(const ReceiptQuery& query) const;  // by id ascending
    // Current `sending` / `uncertain` receipts of one register (all registers when empty).
    RecoveryReport receipts_to_reconcile(const std::string& register_id = {}) const;

    // ---- views ------------------------------------------------------------------------------
    OrderView order_view(const std::string& order_id) const;  // not_found
    CustomerView customer_view(const std::string& customer_id) const;
    ShiftJournal shift_journal(const std::string& register_id, std::uint32_t shift) const;

    // ---- couriers' cash -----------------------------------------------------------------------
    // Per legal entity the courier has ever taken or handed over cash for, by INN.
    std::vector<CourierCash> courier_cash(const std::string& courier) const;
    // Records a declared handover of `amount` (all that is held and not yet declared when unset), with
    // the audit row, in one transaction. nothing_to_hand_over when that is zero; handover_exceeds_cash
    // when the amount is above it.
    Handover declare_handover(const std::string& courier, const std::string& entity_inn,
                              std::optional<fiscal::Kopecks> amount, const AuditRecord& audit);
    // A cashier's confirmation that the money arrived, with the audit row. not_found;
    // handover_not_pending when it was confirmed before.
    Handover confirm_handover(std::int64_t id, const std::string& confirmed_by, const AuditRecord& audit);
    std::optional<Handover> handover(std::int64_t id) const;
    // Oldest first; only pending ones when `pending_only`; one courier's when `courier` is set.
    std::vector<Handover> handovers(bool pending_only, const std::optional<std::string>& courier = std::nullopt) const;

    // ---- late settlements --------------------------------------------------------------------
    // Receipts marked late, by id: only those the office still has to confirm ("listed") when
    // `open_only`, else every corrected, listed and confirmed one.
    std::vector<ReceiptRecord> late_settlements(bool open_only) const;
    // The office has seen a listed late settlement (audited in the same transaction). not_found;
    // late_not_listed when it is not waiting for the office.
    ReceiptRecord confirm_late_settlement(ReceiptId id, const std::string& confirmed_by, const AuditRecord& audit);

    // ---- outbox -----------------------------------------------------------------------------
    std::int64_t outbox_enqueue(const std::string& kind, std::optional<ReceiptId> receipt, const std::string& payload);
    // Hands out up to `max` ready messages and hides them for `lease` (redelivered if not marked).
    std::vector<OutboxMessage> outbox_claim(std::size_t max, std::chrono::milliseconds lease);
    void outbox_mark_sent(std::int64_t id);
    // Gives up on a claimed message for good (attempts exhausted or a permanent refusal).
    void outbox_mark_dead(std::int64_t id, const std::string& error);
    // Every message of a receipt with its delivery state, oldest first.
    std::vector<OutboxMessage> outbox_for_receipt(ReceiptId receipt) const;
    // Back to pending after `retry_after`.
    void outbox_mark_failed(std::int64_t id, const std::string& error, std::chrono::milliseconds retry_after);

    // ---- register operations (OperationRecord) ----------------------------------------------
    // Stores a new operation under `key` (with the audit row, in one transaction) or returns the
    // one stored before with the same request hash (replayed = true); idempotency_conflict when the
    // key was used with another request.
    struct BegunOperation {
        OperationRecord record;
        bool replayed = false;
    };
    BegunOperation begin_operation(const std::string& key, const std::string& request_hash, OperationRecord record,
                                   std::optional<AuditRecord> audit = std::nullopt);
    // Moves it on: sending, done (document number, result), failed or uncertain (error). Throws
    // illegal_transition when it is final already (done, failed) or not_found.
    void update_operation(const std::string& key, const OperationRecord& record);
    std::optional<OperationRecord> operation(const std::string& key) const;
    // Operations still planned or sending (a restart left them): planned ones may run now, sending
    // ones are in doubt.
    std::vector<std::pair<std::string, OperationRecord>> unfinished_operations() const;

    // ---- audit ------------------------------------------------------------------------------
    void audit(const AuditRecord& record);  // id and `at` are assigned
    // The same without waiting here: `then` runs on the completion thread once the row is committed
    // (or after a failure, which is logged). Keep `then` quick.
    void audit_then(std::function<void()> then, AuditRecord record);
    std::vector<AuditRecord> audit_log(std::size_t limit = 100) const;  // newest first

    // ---- issued tokens (migration 007) -------------------------------------------------------
    // Stores a new token with `audit` in the same transaction; id and `created` are assigned.
    // invalid_argument for a malformed record or a digest stored before.
    TokenRecord create_token(TokenRecord token, const AuditRecord& audit);
    // Revokes a token with `audit` in the same transaction and returns it; a token revoked before
    // is returned as it is (nothing written). nullopt when there is no such token.
    std::optional<TokenRecord> revoke_token(std::int64_t id, const AuditRecord& audit);
    // Every issued token, revoked ones too, by id.
    std::vector<TokenRecord> tokens() const;
    std::optional<TokenRecord> token(std::int64_t id) const;

    // ---- maintenance ------------------------------------------------------------------------
    // Online backup to `path` (SQLite backup API); consistent while writes continue.
    void backup(const std::string& path) const;

    // The writer's work (steady time, seconds): `commit_durable` from an operation's submission to
    // its batch's commit returning, one per committed operation; `transaction` BEGIN to COMMIT, one
    // per batch; `batch_size` operations per committed batch; `planning` reading an event's facts
    // and running the planner, one per event planned (replays are not planned).
    struct WriterStats {
        std::uint64_t batches = 0;
        std::uint64_t ops = 0;
        std::uint64_t largest_batch = 0;
        FastHistogram commit_durable;
        FastHistogram transaction;
        BatchSizeHistogram batch_size;
        FastHistogram planning;
        FastHistogram sync;  // the COMMIT alone: WAL write + fdatasync, per batch
        // WAL checkpoints: by the checkpoint thread, and by the writer itself after a commit
        // (the WAL's last frames before it restarts, or the fallback): the writer's share stalls it.
        FastHistogram checkpoint_thread;
        FastHistogram checkpoint_writer;
        std::int64_t checkpoint_paced_pages = 0;  // database pages the thread wrote back at a pace
    };
    WriterStats writer_stats() const;

  private:
    struct Impl;
    explicit Ledger(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kassa::ledger
