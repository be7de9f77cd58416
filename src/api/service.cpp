#include "api/service.hpp"
#include "api/operations.hpp"
#include "common/thread_name.hpp"

#include <spdlog/logger.h>

#include <algorithm>
#include <future>

#include <boost/json.hpp>

#include "api/handlers/views.hpp"
#include "common/log.hpp"
#include "fiscal/planner.hpp"

namespace kassa::api {

namespace {

// The orders and the customer an event concerns.
struct Involved {
    std::set<std::string> orders;
    std::string customer;
};

Involved involved(const fiscal::Event& event) {
    Involved inv;
    std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, fiscal::PaymentEvent>) {
                inv.customer = e.customer;
                for (const auto& a : e.allocate) inv.orders.insert(a.order);
            } else if constexpr (std::is_same_v<E, fiscal::BalanceRefundEvent>) {
                inv.customer = e.customer;
            } else if constexpr (std::is_same_v<E, fiscal::CorrectionEvent> ||
                                 std::is_same_v<E, fiscal::RawReceiptEvent>) {
                inv.customer = e.customer;
                inv.orders.insert(e.orders.begin(), e.orders.end());
            } else {
                inv.orders.insert(e.order);
            }
        },
        event);
    return inv;
}

// What the writer transaction hands back besides the stored ids.
struct Planned {
    std::vector<fiscal::PlannedReceipt> receipts;
    fiscal::Kopecks change;
};

}  // namespace

struct Service::Waiter {
    std::set<ledger::ReceiptId> pending;
    std::function<void(bool)> done;
    std::chrono::steady_clock::time_point deadline;
    bool fired = false;
};

Service::Service(ServiceOptions options, ledger::Ledger& ledger, drivers::RegisterPool& pool, const Clock& clock)
    : options_(std::move(options)), ledger_(ledger), pool_(pool), clock_(clock), events_(EventHubOptions{}, [this] {
          std::vector<std::pair<std::string, std::string>> out;
          for (auto* w : pool_.workers())
              out.emplace_back(w->register_id(),
                               boost::json::serialize(register_to_json(*w, pool_.entity_of(w->register_id()))));
          return out;
      }) {
    timer_ = std::thread([this] {
        name_this_thread("api-waits");
        timer_loop();
    });
}

Service::~Service() {
    release_waiters();
    {
        std::lock_guard lock(wait_mutex_);
        stopping_ = true;
    }
    wait_cv_.notify_all();
    if (timer_.joinable()) timer_.join();
}

const EntityInfo* Service::entity(const std::string& inn) const {
    for (const auto& e : options_.entities)
        if (e.inn == inn) return &e;
    return nullptr;
}

void Service::submit(const Principal& who, const std::string& key, const std::string& request_hash,
                     EventRequest request, const std::string& action, const std::string& remote, SubmitDone done) {
    // A replay is answered from a read, before anything else: it must not be planned again on facts
    // its first run changed, and it costs no write.
    if (auto replay = ledger_.find_idempotent(key, request_hash))
        return done(Submitted{replay->receipts, true, fiscal::Kopecks{0}, {}}, nullptr);

    Involved inv = involved(request.event);
    // Whose the orders are decides the legal entity and so the register; the writer transaction
    // checks again that no order moved to another entity meanwhile.
    std::string entity_inn = request.entity_inn;
    for (const auto& id : inv.orders) {
        auto owner = ledger_.order_owner(id);
        if (!owner) throw ApiError(404, "unknown_order", "order '" + id + "' is not known", "order");
        if (inv.customer.empty()) inv.customer = owner->customer;
        if (owner->entity_inn.empty()) continue;
        if (!who.may_use_entity(owner->entity_inn))
            throw ApiError(404, "unknown_order", "order '" + id + "' is not known", "order");
        if (!entity_inn.empty() && entity_inn != owner->entity_inn)
            throw ApiError(422, "entity_mismatch",
                           "order '" + id + "' belongs to legal entity " + owner->entity_inn + ", not " + entity_inn);
        entity_inn = owner->entity_inn;
    }
    if (entity_inn.empty() && options_.entities.size() == 1) entity_inn = options_.entities.front().inn;
    const EntityInfo* ent = entity(entity_inn);
    if (!ent) {
        if (entity_inn.empty())
            throw ApiError(422, "entity_required", "name the legal entity (entity_inn): several are configured",
                           "entity_inn");
        throw ApiError(422, "unknown_entity", "legal entity " + entity_inn + " is not configured", "entity_inn");
    }
    if (!who.may_use_entity(ent->inn))
        throw ApiError(403, "forbidden", "this token may not work for legal entity " + ent->inn);

    // Register: the caller's choice (checked) or the best one of the entity.
    std::string register_id = request.register_id;
    bool reserved = false;
    if (!register_id.empty()) {
        if (pool_.entity_of(register_id) != ent->inn)
            throw ApiError(422, "unknown_register", "register '" + register_id + "' is not one of entity " + ent->inn,
                           "register");
        if (!who.may_use_register(register_id))
            throw ApiError(403, "forbidden", "this token may not use register '" + register_id + "'");
    } else {
        auto picked = pool_.pick(ent->inn, who.registers);
        if (!picked) throw_api_error(picked.error());  // no register this caller may use: its mistake
        register_id = *picked;
        reserved = true;  // counted as the register's load until its receipts are queued
    }

    fiscal::ReceiptContext context = request.context;
    if (!request.tax_system_given) context.tax_system = ent->tax_system;
    if (context.cashier.empty()) {
        context.cashier = ent->cashier;
        context.cashier_inn = ent->cashier_inn;
    }
    if (context.settlement_address.empty()) context.settlement_address = ent->settlement_address;
    if (context.settlement_place.empty()) context.settlement_place = ent->settlement_place;

    ledger::PlanRequest plan_request{
        .idempotency_key = key,
        .request_hash = request_hash,
        .register_id = register_id,
        .orders = {inv.orders.begin(), inv.orders.end()},
        .customers = {},
        .payment = std::nullopt,
        .entity_inn = ent->inn,
        .created_by = who.name,
        .audit = ledger::AuditRecord{.actor = who.name + " (" + std::string(role_name(who.role)) + ")",
                                     .action = action,
                                     .subject = inv.orders.empty() ? inv.customer : *inv.orders.begin(),
                                     .address = remote,
                                     .detail = "on " + register_id}};
    plan_request.card_reference = request.card_reference;
    // A settlement the phone made longer ago than the tolerance is late: the true time is kept with
    // its receipts, and the policy says whether they are corrections or are listed for the office.
    std::optional<fiscal::Correction> late_correction;
    if (request.settled_at) {
        if (*request.settled_at > clock_.now() + options_.late_tolerance)
            throw ApiError(422, "settled_in_future", "settled_at is later than now: check the phone's clock",
                           "settled_at");
        plan_request.settled_at = request.settled_at;
        if (clock_.now() - *request.settled_at > options_.late_tolerance) {
            if (options_.late_settlement == LateSettlement::Correct) {
                plan_request.late = "corrected";
                late_correction = fiscal::Correction{.type = 0, .date_unix = request.settled_day_unix};
            } else {
                plan_request.late = "listed";
            }
        }
    }
    if (!inv.customer.empty()) plan_request.customers.push_back(inv.customer);
    if (const auto* pay = std::get_if<fiscal::PaymentEvent>(&request.event)) {
        ledger::IncomingPayment payment{
            .id = key, .customer = pay->customer, .cash = pay->cash, .electronic = pay->electronic, .allocations = {}};
        for (const auto& a : pay->allocate) payment.allocations.emplace_back(a.order, a.amount);
        plan_request.payment = std::move(payment);
    }

    auto planned = std::make_shared<Planned>();
    // Runs on the ledger's writer thread, inside the transaction: pure and quick.
    ledger::Planner planner = [planned, event = std::move(request.event), context = std::move(context),
                               policy = options_.policy, entity = ent->inn,
                               late_correction](const ledger::PlanningFacts& f) -> Result<fiscal::Plan> {
        if (!f.in_flight.empty()) {
            std::string ids;
            for (auto id : f.in_flight) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
            return fail("busy", "receipts " + ids +
                                    " of these orders or this customer are still being printed; try again once "
                                    "they are confirmed");
        }
        fiscal::Facts facts;
        for (const auto& [id, o] : f.orders) {
            if (!o.order.entity_inn.empty() && o.order.entity_inn != entity)
                return fail("entity_changed", "order '" + id + "' moved to another legal entity; try again");
            facts.orders.push_back(o);
        }
        for (const auto& [id, c] : f.customers) facts.customers.push_back(c);
        auto plan = fiscal::plan_event(event, facts, context, policy);
        // fiscal-rules.md §7 (a): no receipt was issued at the moment of settlement; the one issued
        // now is a correction naming that day, with the same moves.
        if (plan && late_correction) plan = fiscal::as_correction(std::move(*plan), *late_correction);
        if (plan) {
            planned->receipts = plan->receipts;
            planned->change = plan->change;
        }
        return plan;
    };
    // What the stored receipts carry besides the plan, for an answer built without reading them back.
    ledger::ReceiptRecord stored_as{.register_id = register_id,
                                    .created_by = who.name,
                                    .card_reference = plan_request.card_reference,
                                    .settled_at = plan_request.settled_at,
                                    .late = plan_request.late};
    ledger_.plan_and_store_then(
        std::move(plan_request), std::move(planner),
        [this, planned, register_id, reserved, stored_as, done = std::move(done)](
            std::optional<ledger::StoredPlan> stored, std::exception_ptr error) {
            const auto release = [&] {
                if (reserved) pool_.release(register_id);
            };
            if (error) {
                release();
                return done(std::nullopt, error);
            }
            if (stored->replayed) {
                release();
                return done(Submitted{stored->receipts, true, fiscal::Kopecks{0}, {}}, nullptr);
            }
            Submitted out{stored->receipts, false, planned->change, {}};
            const auto now = clock_.now();
            for (std::size_t i = 0; i < stored->receipts.size() && i < planned->receipts.size(); ++i) {
                auto record = stored_as;
                record.id = stored->receipts[i];
                record.state = ledger::ReceiptState::Planned;
                record.planned = std::move(planned->receipts[i]);
                record.created = record.updated = now;
                if (!record.planned.receipt.payments.electronic.is_positive()) record.card_reference.clear();
                out.records.push_back(std::move(record));
                // Announced as stored, without a read (this is the ledger's completion thread), and
                // before its register can announce it `sending`.
                auto json = record_to_json(out.records.back());
                json["deliveries"] = boost::json::array{};
                events_.publish("receipt", register_id, stored_as.created_by, boost::json::serialize(json));
            }
            for (const auto& r : out.records)
                queue(r.id, register_id, r.planned.receipt, drivers::JobLedgerState::Planned, {});
            if (!stored->receipts.empty()) events_.registers_changed();
            release();
            done(std::move(out), nullptr);
        });
}

Submitted Service::submit_and_wait(const Principal& who, const std::string& key, const std::string& request_hash,
                                   EventRequest request, const std::string& action, const std::string& remote) {
    std::promise<Submitted> promise;
    auto future = promise.get_future();
    submit(who, key, request_hash, std::move(request), action, remote,
           [&promise](std::optional<Submitted> s, std::exception_ptr e) {
               if (e)
                   promise.set_exception(e);
               else
                   promise.set_value(std::move(*s));
           });
    return future.get();
}

void Service::queue(ledger::ReceiptId id, const std::string& register_id, const fiscal::Receipt& receipt,
                    drivers::JobLedgerState state, Clock::time_point sent_at) {
    auto* worker = pool_.find(register_id);
    if (!worker) {
        log::get("api")->error("receipt {} is for register '{}', which is not configured", id, register_id);
        return;
    }
    worker->submit(drivers::ReceiptJob{.id = id, .receipt = receipt, .ledger_state = state, .sent_at = sent_at});
}

void Service::when_settled(const std::vector<ledger::ReceiptId>& ids, std::chrono::milliseconds timeout,
                           std::function<void(bool)> done) {
    auto waiter = std::make_shared<Waiter>();
    waiter->pending.insert(ids.begin(), ids.end());
    waiter->done = std::move(done);
    waiter->deadline = std::chrono::steady_clock::now() + timeout;
    {
        // Registered before the ledger is read: a settlement after the read is seen by settled(),
        // one before it by the read.
        std::lock_guard lock(wait_mutex_);
        if (closing_) {
            waiter->fired = true;
            return waiter->done(false);  // shutting down: answer with what there is
        }
        for (auto id : waiter->pending) waiting_.emplace(id, waiter);
        deadlines_.emplace(waiter->deadline, waiter);
    }
    wait_cv_.notify_all();
    std::vector<ledger::ReceiptId> final_already;
    for (auto id : ids) {
        auto r = ledger_.receipt(id);
        if (!r || ledger::is_final(r->state)) final_already.push_back(id);
    }
    bool all = false;
    {
        std::lock_guard lock(wait_mutex_);
        for (auto id : final_already) waiter->pending.erase(id);
        all = waiter->pending.empty() && !waiter->fired;
    }
    if (all) fire(waiter, true);
}

void Service::fire(const std::shared_ptr<Waiter>& waiter, bool settled) {
    {
        std::lock_guard lock(wait_mutex_);
        if (waiter->fired) return;
        waiter->fired = true;
        for (auto it = waiting_.begin(); it != waiting_.end();)
            it = it->second == waiter ? waiting_.erase(it) : std::next(it);
        auto [from, to] = deadlines_.equal_range(waiter->deadline);
        for (auto it = from; it != to; ++it)
            if (it->second == waiter) {
                deadlines_.erase(it);
                break;
            }
    }
    waiter->done(settled);
}

void Service::settled(ledger::ReceiptId id) {
    std::vector<std::shared_ptr<Waiter>> ready;
    {
        std::lock_guard lock(wait_mutex_);
        auto [from, to] = waiting_.equal_range(id);
        for (auto it = from; it != to; ++it) {
            it->second->pending.erase(id);
            if (it->second->pending.empty() && !it->second->fired) ready.push_back(it->second);
        }
    }
    for (auto& w : ready) fire(w, true);
}

void Service::receipt_changed(ledger::ReceiptId id) {
    try {
        const auto r = ledger_.receipt(id);
        if (!r) return;
        events_.publish("receipt", r->register_id, r->created_by,
                        boost::json::serialize(record_with_deliveries(ledger_, *r)));
        events_.registers_changed();
    } catch (const std::exception& e) {  // an event is not worth failing a worker for
        log::get("api")->warn("no live event for receipt {}: {}", id, e.what());
    }
}

void Service::receipt_moved(ledger::ReceiptId id, const std::string& from) {
    try {
        const auto r = ledger_.receipt(id);
        if (!r) return;
        auto json = record_with_deliveries(ledger_, *r);
        json["moved_from"] = from;
        events_.publish("receipt", r->register_id, r->created_by, boost::json::serialize(json));
        events_.registers_changed();
        log::get("api")->info("receipt {} moved from {} to {} (failover)", id, from, r->register_id);
    } catch (const std::exception& e) {
        log::get("api")->warn("no live event for moved receipt {}: {}", id, e.what());
    }
}

void Service::release_waiters() {
    std::vector<std::shared_ptr<Waiter>> all;
    {
        std::lock_guard lock(wait_mutex_);
        closing_ = true;
        for (auto& [at, w] : deadlines_) all.push_back(w);
    }
    for (auto& w : all) fire(w, false);
}

void Service::timer_loop() {
    std::unique_lock lock(wait_mutex_);
    while (!stopping_) {
        if (deadlines_.empty()) {
            wait_cv_.wait(lock);
            continue;
        }
        const auto next = deadlines_.begin()->first;
        if (std::chrono::steady_clock::now() < next) {
            wait_cv_.wait_until(lock, next);
            continue;
        }
        auto waiter = deadlines_.begin()->second;
        lock.unlock();
        fire(waiter, false);
        lock.lock();
    }
}

void Service::recover() {
    // In-doubt receipts first (DESIGN.md §2), then the planned ones in the order they were made.
    for (const auto& [register_id, records] : ledger_.receipts_to_reconcile()) {
        for (const auto& r : records)
            queue(r.id, register_id, r.planned.receipt,
                  r.state == ledger::ReceiptState::Uncertain ? drivers::JobLedgerState::Uncertain
                                                             : drivers::JobLedgerState::Sending,
                  r.updated);
    }
    for (const auto& r :
         ledger_.receipts(ledger::ReceiptQuery{.state = ledger::ReceiptState::Planned, .limit = 1'000'000'000}))
        queue(r.id, r.register_id, r.planned.receipt, drivers::JobLedgerState::Planned, {});
    // Cash in / out, shift commands and copies a stop left unfinished (api/operations.hpp).
    recover_operations(*this);
}

}  // namespace kassa::api
