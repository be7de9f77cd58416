#include "api/service.hpp"

#include <spdlog/logger.h>

#include "common/log.hpp"
#include "fiscal/planner.hpp"

namespace kassa::api {

namespace {

// Planner codes that are the caller's mistake about what exists, not about sums.
int planner_status(const std::string& code) {
    if (code == "unknown_order" || code == "unknown_sku") return 404;
    if (code == "order_not_open" || code == "order_not_delivered") return 409;
    return 422;
}

}  // namespace

Service::Service(ServiceOptions options, ledger::Ledger& ledger, drivers::RegisterPool& pool, const Clock& clock)
    : options_(std::move(options)), ledger_(ledger), pool_(pool), clock_(clock) {}

const EntityInfo* Service::entity(const std::string& inn) const {
    for (const auto& e : options_.entities)
        if (e.inn == inn) return &e;
    return nullptr;
}

Service::Involved Service::involved(const fiscal::Event& event) const {
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

bool Service::busy_locked(const Involved& inv) const {
    for (const auto& [id, p] : pending_) {
        if (!inv.customer.empty() && p.customer == inv.customer) return true;
        for (const auto& o : inv.orders)
            if (p.orders.contains(o)) return true;
    }
    return false;
}

Submitted Service::submit(const Principal& who, const std::string& key, const std::string& request_hash,
                          EventRequest request, const std::string& action, const std::string& remote) {
    if (auto replay = ledger_.find_idempotent(key, request_hash))
        return Submitted{replay->receipts, true, fiscal::Kopecks{0}};

    std::lock_guard plan_lock(plan_mutex_);
    Involved inv = involved(request.event);

    // Facts: the orders the event names, and whose customer it is.
    fiscal::Facts facts;
    std::string entity_inn = request.entity_inn;
    for (const auto& id : inv.orders) {
        fiscal::OrderFacts order;
        try {
            order = ledger_.order_facts(id);
        } catch (const ledger::LedgerError& e) {
            if (e.code() == ledger::errc::kNotFound)
                throw ApiError(404, "unknown_order", "order '" + id + "' is not known", "order");
            throw;
        }
        if (inv.customer.empty()) inv.customer = order.order.customer;
        if (!order.order.entity_inn.empty()) {
            if (!entity_inn.empty() && entity_inn != order.order.entity_inn)
                throw ApiError(
                    422, "entity_mismatch",
                    "order '" + id + "' belongs to legal entity " + order.order.entity_inn + ", not " + entity_inn);
            entity_inn = order.order.entity_inn;
        }
        facts.orders.push_back(std::move(order));
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
    }

    // Earlier receipts of the same orders or customer must settle first: the planner works on
    // confirmed facts only.
    {
        std::unique_lock lock(pending_mutex_);
        if (!settled_cv_.wait_for(lock, options_.busy_wait, [&] { return !busy_locked(inv); }))
            throw ApiError(409, "busy", "earlier receipts for these orders are still being printed; try again");
    }
    // Re-read the facts: they may have moved while we waited.
    for (auto& f : facts.orders) f = ledger_.order_facts(f.order.id);
    if (!inv.customer.empty()) facts.customers.push_back(ledger_.customer_facts(inv.customer));

    fiscal::ReceiptContext context = request.context;
    if (!request.tax_system_given) context.tax_system = ent->tax_system;
    if (context.cashier.empty()) {
        context.cashier = ent->cashier;
        context.cashier_inn = ent->cashier_inn;
    }
    if (context.settlement_address.empty()) context.settlement_address = ent->settlement_address;
    if (context.settlement_place.empty()) context.settlement_place = ent->settlement_place;

    auto plan = fiscal::plan_event(request.event, facts, context, options_.policy);
    if (!plan) throw ApiError(planner_status(plan.error().code), plan.error().code, plan.error().message);

    ledger::StorePlanRequest store{.idempotency_key = key,
                                   .request_hash = request_hash,
                                   .register_id = register_id,
                                   .plan = *plan,
                                   .payment = std::nullopt,
                                   .created_by = who.name};
    if (const auto* pay = std::get_if<fiscal::PaymentEvent>(&request.event)) {
        ledger::IncomingPayment payment{
            .id = key, .customer = pay->customer, .cash = pay->cash, .electronic = pay->electronic, .allocations = {}};
        for (const auto& a : pay->allocate) payment.allocations.emplace_back(a.order, a.amount);
        store.payment = std::move(payment);
    }
    const auto stored = ledger_.store_plan(store);
    if (stored.replayed) return Submitted{stored.receipts, true, fiscal::Kopecks{0}};

    ledger_.audit(
        ledger::AuditRecord{.actor = who.name + " (" + std::string(role_name(who.role)) + ")",
                            .action = action,
                            .subject = inv.orders.empty() ? inv.customer : *inv.orders.begin(),
                            .address = remote,
                            .detail = std::to_string(stored.receipts.size()) + " receipt(s) on " + register_id});
    {
        std::lock_guard lock(pending_mutex_);
        for (auto id : stored.receipts) pending_[id] = inv;
    }
    for (std::size_t i = 0; i < stored.receipts.size(); ++i)
        queue(stored.receipts[i], register_id, plan->receipts[i].receipt, drivers::JobLedgerState::Planned, {});
    return Submitted{stored.receipts, false, plan->change};
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

void Service::settled(ledger::ReceiptId id) {
    {
        std::lock_guard lock(pending_mutex_);
        pending_.erase(id);
    }
    settled_cv_.notify_all();
}

bool Service::wait_settled(const std::vector<ledger::ReceiptId>& ids, std::chrono::milliseconds timeout) {
    const auto all_final = [&] {
        for (auto id : ids) {
            auto r = ledger_.receipt(id);
            if (r && !ledger::is_final(r->state)) return false;
        }
        return true;
    };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(pending_mutex_);
    while (true) {
        lock.unlock();
        const bool done = all_final();
        lock.lock();
        if (done) return true;
        // Woken by every settlement; the ledger is the truth, so re-check it each time.
        if (settled_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
            lock.unlock();
            return all_final();
        }
    }
}

void Service::recover() {
    // In-doubt receipts first (DESIGN.md §2), then the planned ones in the order they were made.
    for (const auto& [register_id, records] : ledger_.receipts_to_reconcile()) {
        for (const auto& r : records) {
            {
                std::lock_guard lock(pending_mutex_);
                pending_[r.id] = Involved{{r.planned.orders.begin(), r.planned.orders.end()}, r.planned.customer};
            }
            queue(r.id, register_id, r.planned.receipt,
                  r.state == ledger::ReceiptState::Uncertain ? drivers::JobLedgerState::Uncertain
                                                             : drivers::JobLedgerState::Sending,
                  r.updated);
        }
    }
    for (const auto& r : ledger_.receipts(ledger::ReceiptQuery{.state = ledger::ReceiptState::Planned})) {
        {
            std::lock_guard lock(pending_mutex_);
            pending_[r.id] = Involved{{r.planned.orders.begin(), r.planned.orders.end()}, r.planned.customer};
        }
        queue(r.id, r.register_id, r.planned.receipt, drivers::JobLedgerState::Planned, {});
    }
}

}  // namespace kassa::api
