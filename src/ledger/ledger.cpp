#include "ledger/ledger.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "common/log.hpp"
#include "ledger/detail/checkpointer.hpp"
#include "ledger/detail/migrate.hpp"
#include "ledger/detail/plan_json.hpp"
#include "ledger/detail/sqlite.hpp"
#include "ledger/detail/write_queue.hpp"

namespace kassa::ledger {

using detail::Db;
using detail::Stmt;
using fiscal::Account;
using fiscal::Kopecks;
using fiscal::OrderState;
using fiscal::Quantity;

namespace {

std::int64_t to_ms(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) {
    return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds{ms})};
}

std::string_view account_text(Account a) {
    switch (a) {
        case Account::CustomerAdvance:
            return "customer_advance";
        case Account::OrderPrepaid:
            return "order_prepaid";
        case Account::OrderCredit:
            return "order_credit";
    }
    throw LedgerError(errc::kInvalidArgument, "unknown account");
}

Account parse_account(std::string_view text) {
    if (text == "customer_advance") return Account::CustomerAdvance;
    if (text == "order_prepaid") return Account::OrderPrepaid;
    if (text == "order_credit") return Account::OrderCredit;
    throw LedgerError(errc::kStorage, "unknown account in journal: " + std::string(text));
}

std::string_view order_state_text(OrderState s) {
    switch (s) {
        case OrderState::Open:
            return "open";
        case OrderState::Delivered:
            return "delivered";
        case OrderState::Cancelled:
            return "cancelled";
    }
    throw LedgerError(errc::kInvalidArgument, "unknown order state");
}

OrderState parse_order_state(std::string_view text) {
    if (text == "open") return OrderState::Open;
    if (text == "delivered") return OrderState::Delivered;
    if (text == "cancelled") return OrderState::Cancelled;
    throw LedgerError(errc::kStorage, "unknown order state: " + std::string(text));
}

ReceiptState state_from_db(const std::string& text) {
    auto s = parse_receipt_state(text);
    if (!s) throw LedgerError(errc::kStorage, "unknown receipt state: " + text);
    return *s;
}

// ---- reads (any connection) ---------------------------------------------------------------------

constexpr std::string_view kReceiptColumns =
    "r.id, r.state, r.register_id, r.plan_json, r.created_ms, r.updated_ms, r.fd_number, r.fiscal_sign, "
    "r.fn_number, r.shift, r.receipt_number, r.fiscal_ms, r.qr, r.error, r.created_by, r.card_reference, r.settled_ms, "
    "r.late, r.late_confirmed_by";

ReceiptRecord receipt_from_row(const Stmt& s) {
    ReceiptRecord r;
    r.id = s.get_int(0);
    r.state = state_from_db(s.get_text(1));
    r.register_id = s.get_text(2);
    r.planned = detail::decode_planned_receipt(s.get_text(3));
    r.created = from_ms(s.get_int(4));
    r.updated = from_ms(s.get_int(5));
    if (!s.is_null(6)) {
        FiscalResult f;
        f.fd_number = static_cast<std::uint64_t>(s.get_int(6));
        f.fiscal_sign = static_cast<std::uint64_t>(s.get_int(7));
        f.fn_number = s.get_text(8);
        f.shift = static_cast<std::uint32_t>(s.get_int(9));
        f.receipt_number = static_cast<std::uint32_t>(s.get_int(10));
        f.time = from_ms(s.get_int(11));
        f.qr = s.get_text(12);
        r.fiscal = std::move(f);
    }
    r.error = s.get_text(13);
    r.created_by = s.get_text(14);
    r.card_reference = s.get_text(15);
    if (!s.is_null(16)) r.settled_at = from_ms(s.get_int(16));
    r.late = s.get_text(17);
    r.late_confirmed_by = s.get_text(18);
    return r;
}

std::vector<ReceiptRecord> collect_receipts(Stmt& s) {
    std::vector<ReceiptRecord> out;
    while (s.step()) out.push_back(receipt_from_row(s));
    return out;
}

std::optional<ReceiptRecord> load_receipt(Db& db, ReceiptId id) {
    Stmt s(db, "SELECT " + std::string(kReceiptColumns) + " FROM receipts r WHERE r.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return receipt_from_row(s);
}

Kopecks sum_account(Db& db, Account account, const std::string& owner) {
    Stmt s(db, "SELECT COALESCE(SUM(delta), 0) FROM journal WHERE account = ? AND owner = ?");
    s.bind(1, account_text(account)).bind(2, owner);
    s.step();
    return Kopecks{s.get_int(0)};
}

std::optional<fiscal::OrderFacts> load_order_facts(Db& db, const std::string& id) {
    fiscal::OrderFacts facts;
    {
        Stmt s(db, "SELECT customer, entity_inn, state, settlement_method FROM orders WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        facts.order.id = id;
        facts.order.customer = s.get_text(0);
        facts.order.entity_inn = s.get_text(1);
        facts.state = parse_order_state(s.get_text(2));
        facts.settlement_method = static_cast<fiscal::PaymentMethod>(s.get_int(3));
    }
    {
        Stmt s(db,
               "SELECT sku, name, qty_micro, unit, price, vat_class, subject FROM order_lines WHERE order_id = ? "
               "ORDER BY position");
        s.bind(1, id);
        while (s.step()) {
            fiscal::OrderLine l;
            l.sku = s.get_text(0);
            l.name = s.get_text(1);
            l.quantity = Quantity::from_micro(s.get_int(2));
            l.unit = static_cast<std::uint8_t>(s.get_int(3));
            l.price = Kopecks{s.get_int(4)};
            l.vat_class = static_cast<fiscal::VatClass>(s.get_int(5));
            l.subject = static_cast<std::uint8_t>(s.get_int(6));
            facts.order.lines.push_back(std::move(l));
        }
    }
    facts.prepaid = sum_account(db, Account::OrderPrepaid, id);
    facts.credit_owed = sum_account(db, Account::OrderCredit, id);
    {
        Stmt s(db, "SELECT sku, SUM(qty_micro) FROM returns WHERE order_id = ? GROUP BY sku");
        s.bind(1, id);
        while (s.step()) facts.returned[s.get_text(0)] = Quantity::from_micro(s.get_int(1));
    }
    {
        Stmt s(db, "SELECT sku, SUM(qty_micro) FROM refusals WHERE order_id = ? GROUP BY sku");
        s.bind(1, id);
        while (s.step()) facts.refused[s.get_text(0)] = Quantity::from_micro(s.get_int(1));
    }
    {
        // Electronic money of the confirmed payments allocated to the order, each allocation taking
        // its payment's electronic part first (as the planner deals it); never above what is prepaid.
        Stmt s(db,
               "SELECT COALESCE(SUM(MIN(a.amount, p.electronic)), 0) FROM payment_allocations a "
               "JOIN payments p ON p.id = a.payment_id JOIN receipts r ON r.id = p.receipt_id "
               "WHERE a.order_id = ? AND r.state = 'confirmed'");
        s.bind(1, id);
        s.step();
        facts.prepaid_electronic = std::min(Kopecks{s.get_int(0)}, facts.prepaid);
        if (facts.prepaid_electronic.is_negative()) facts.prepaid_electronic = Kopecks{0};
    }
    return facts;
}

// The advance one legal entity holds for a customer; every entity's together when `entity_inn` is empty.
fiscal::CustomerFacts load_customer_facts(Db& db, const std::string& id, const std::string& entity_inn) {
    if (entity_inn.empty()) return fiscal::CustomerFacts{id, sum_account(db, Account::CustomerAdvance, id)};
    Stmt s(db,
           "SELECT COALESCE(SUM(delta), 0) FROM journal WHERE account = 'customer_advance' AND owner = ? AND "
           "entity_inn = ?");
    s.bind(1, id).bind(2, entity_inn);
    s.step();
    return fiscal::CustomerFacts{id, Kopecks{s.get_int(0)}};
}

void insert_audit(Db& db, const AuditRecord& r, std::int64_t now_ms) {
    if (r.actor.empty() || r.action.empty()) throw LedgerError(errc::kInvalidArgument, "audit needs actor and action");
    Stmt s(db, "INSERT INTO audit (at_ms, actor, action, subject, address, detail) VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, now_ms).bind(2, r.actor).bind(3, r.action).bind(4, r.subject).bind(5, r.address).bind(6, r.detail).run();
}

std::vector<JournalEntry> collect_journal(Stmt& s) {
    std::vector<JournalEntry> out;
    while (s.step()) {
        JournalEntry e;
        e.id = s.get_int(0);
        e.receipt = s.get_int(1);
        e.account = parse_account(s.get_text(2));
        e.owner = s.get_text(3);
        e.customer = s.get_text(4);
        e.delta = Kopecks{s.get_int(5)};
        e.at = from_ms(s.get_int(6));
        e.entity_inn = s.get_text(7);
        out.push_back(std::move(e));
    }
    return out;
}

RecoveryReport load_unresolved(Db& db, const std::string& register_id) {
    std::string sql =
        "SELECT " + std::string(kReceiptColumns) + " FROM receipts r WHERE r.state IN ('sending', 'uncertain')";
    if (!register_id.empty()) sql += " AND r.register_id = ?";
    sql += " ORDER BY r.id";
    Stmt s(db, sql);
    if (!register_id.empty()) s.bind(1, register_id);
    RecoveryReport report;
    while (s.step()) {
        auto r = receipt_from_row(s);
        report[r.register_id].push_back(std::move(r));
    }
    return report;
}

// ---- writes (writer connection, inside the batch transaction) -----------------------------------

bool exists(Db& db, std::string_view sql, const std::string& key) {
    Stmt s(db, sql);
    s.bind(1, key);
    return s.step();
}

void ensure_customer(Db& db, const std::string& id) {
    Stmt s(db, "INSERT INTO customers (id) VALUES (?) ON CONFLICT (id) DO NOTHING");
    s.bind(1, id).run();
}

// An idempotency row whose result starts with this holds a register operation (OperationRecord as
// JSON), not receipt ids.
constexpr std::string_view kOperationPrefix = "op ";

std::string join_binding_ids(const std::vector<ReceiptId>& ids) {
    std::string out;
    for (auto id : ids) {
        if (!out.empty()) out += ',';
        out += std::to_string(id);
    }
    return out;
}

std::vector<ReceiptId> split_ids(const std::string& text) {
    std::vector<ReceiptId> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find(',', pos), text.size());
        ReceiptId id = 0;
        const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, id);
        if (ec != std::errc{} || ptr != text.data() + end) {
            throw LedgerError(errc::kStorage, "malformed idempotency result");
        }
        out.push_back(id);
        pos = end + 1;
    }
    return out;
}

void require_order(Db& db, const std::string& id) {
    if (!exists(db, "SELECT 1 FROM orders WHERE id = ?", id)) {
        throw LedgerError(errc::kUnknownOrder, "the plan names an unknown order " + id);
    }
}

// The first result for a key seen before with the same request; idempotency_conflict otherwise.
std::optional<StoredPlan> replay(Db& db, const std::string& key, const std::string& hash) {
    if (key.empty()) throw LedgerError(errc::kInvalidArgument, "an idempotency key is required");
    Stmt s(db, "SELECT request_hash, result FROM idempotency WHERE key = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    if (s.get_text(0) != hash || s.get_text(1).starts_with(kOperationPrefix)) {
        throw LedgerError(errc::kIdempotencyConflict, "idempotency key was already used with a different request");
    }
    return StoredPlan{split_ids(s.get_text(1)), true};
}

PlanningFacts load_planning_facts(Db& db, const PlanRequest& req) {
    PlanningFacts f;
    std::set<std::string> customers(req.customers.begin(), req.customers.end());
    for (const auto& id : req.orders) {
        auto facts = load_order_facts(db, id);
        if (!facts) throw LedgerError(errc::kNotFound, "no order " + id);
        f.orders.emplace(id, std::move(*facts));
    }
    for (const auto& id : customers) f.customers.emplace(id, load_customer_facts(db, id, req.entity_inn));
    std::set<ReceiptId> in_flight;
    Stmt by_order(db,
                  "SELECT r.id FROM receipts r JOIN receipt_orders o ON o.receipt_id = r.id WHERE o.order_id = ? AND "
                  "r.state IN ('planned', 'sending', 'uncertain')");
    for (const auto& id : req.orders) {
        by_order.reset();
        by_order.bind(1, id);
        while (by_order.step()) in_flight.insert(by_order.get_int(0));
    }
    Stmt by_customer(db, "SELECT id FROM receipts WHERE customer = ? AND state IN ('planned', 'sending', 'uncertain')");
    for (const auto& id : customers) {
        by_customer.reset();
        by_customer.bind(1, id);
        while (by_customer.step()) in_flight.insert(by_customer.get_int(0));
    }
    f.in_flight.assign(in_flight.begin(), in_flight.end());
    return f;
}

StoredPlan do_store_plan(Db& db, const StorePlanRequest& req, std::int64_t now_ms) {
    if (auto first = replay(db, req.idempotency_key, req.request_hash)) return std::move(*first);
    if (req.plan.receipts.empty() && req.plan.state_moves.empty())
        throw LedgerError(errc::kInvalidArgument, "the plan has no receipts");
    // Moves that need no receipt (an order nobody paid for is cancelled) apply at once.
    for (const auto& m : req.plan.state_moves) {
        require_order(db, m.order);
        Stmt st(db, "UPDATE orders SET state = ?, updated_ms = ? WHERE id = ?");
        st.bind(1, order_state_text(m.state)).bind(2, now_ms).bind(3, m.order).run();
    }
    if (!exists(db, "SELECT 1 FROM registers WHERE id = ?", req.register_id)) {
        throw LedgerError(errc::kUnknownRegister, "unknown register " + req.register_id);
    }
    StoredPlan out;
    Stmt insert(
        db,
        "INSERT INTO receipts (state, register_id, sign, is_correction, customer, total, plan_json, created_ms, "
        "updated_ms, created_by, cash, card_reference, settled_ms, late) VALUES ('planned', ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)");
    Stmt link(db, "INSERT INTO receipt_orders (receipt_id, position, order_id) VALUES (?, ?, ?)");
    for (const auto& p : req.plan.receipts) {
        // Every order a receipt or its moves name must exist now, so that confirming it later
        // cannot fail on a missing row: a confirmed receipt is a fact the ledger must accept.
        for (const auto& o : p.orders) require_order(db, o);
        for (const auto& m : p.balance_moves) {
            if (m.owner.empty()) throw LedgerError(errc::kInvalidArgument, "a balance move has no owner");
            if (m.account == Account::CustomerAdvance) {
                ensure_customer(db, m.owner);
            } else {
                require_order(db, m.owner);
            }
        }
        for (const auto& m : p.return_moves) {
            require_order(db, m.order);
            if (!m.quantity.is_positive()) throw LedgerError(errc::kInvalidArgument, "a return move is not positive");
        }
        for (const auto& m : p.refusal_moves) {
            require_order(db, m.order);
            if (!m.quantity.is_positive()) throw LedgerError(errc::kInvalidArgument, "a refusal is not positive");
        }
        for (const auto& m : p.state_moves) require_order(db, m.order);
        if (!p.customer.empty()) ensure_customer(db, p.customer);

        insert.reset();
        insert.bind(1, req.register_id)
            .bind(2, static_cast<std::int64_t>(p.receipt.sign))
            .bind(3, std::int64_t{p.receipt.is_correction() ? 1 : 0})
            .bind(4, p.customer)
            .bind(5, p.receipt.total.value())
            .bind(6, detail::encode_planned_receipt(p))
            .bind(7, now_ms)
            .bind(8, now_ms)
            .bind(9, req.created_by)
            .bind(10, p.receipt.payments.cash.value())
            // The terminal's reference belongs to the receipt that carries the card money.
            .bind(11, p.receipt.payments.electronic.is_positive() ? req.card_reference : std::string())
            .bind(13, req.late);
        if (req.settled_at) {
            insert.bind(12, to_ms(*req.settled_at));
        } else {
            insert.bind_null(12);
        }
        insert.run();
        const ReceiptId id = db.last_insert_rowid();
        out.receipts.push_back(id);
        std::int64_t position = 0;
        for (const auto& o : p.orders) {
            link.reset();
            link.bind(1, id).bind(2, position++).bind(3, o).run();
        }
    }
    if (req.payment) {
        const auto& pay = *req.payment;
        if (pay.id.empty() || pay.customer.empty()) {
            throw LedgerError(errc::kInvalidArgument, "a payment needs an id and a customer");
        }
        ensure_customer(db, pay.customer);
        if (exists(db, "SELECT 1 FROM payments WHERE id = ?", pay.id)) {
            throw LedgerError(errc::kDuplicatePayment, "payment " + pay.id + " is already recorded");
        }
        Stmt s(db,
               "INSERT INTO payments (id, customer, cash, electronic, receipt_id, received_ms) VALUES (?, ?, ?, ?, ?, "
               "?)");
        s.bind(1, pay.id)
            .bind(2, pay.customer)
            .bind(3, pay.cash.value())
            .bind(4, pay.electronic.value())
            .bind(5, out.receipts.front())
            .bind(6, now_ms)
            .run();
        Stmt a(db, "INSERT INTO payment_allocations (payment_id, order_id, amount) VALUES (?, ?, ?)");
        for (const auto& [order, amount] : pay.allocations) {
            require_order(db, order);
            a.reset();
            a.bind(1, pay.id).bind(2, order).bind(3, amount.value()).run();
        }
    }
    Stmt key(db, "INSERT INTO idempotency (key, request_hash, result, created_ms) VALUES (?, ?, ?, ?)");
    key.bind(1, req.idempotency_key)
        .bind(2, req.request_hash)
        .bind(3, join_binding_ids(out.receipts))
        .bind(4, now_ms)
        .run();
    if (req.audit) insert_audit(db, *req.audit, now_ms);
    return out;
}

// The confirmed receipt's moves, journalled against it. Runs in the confirming transaction.
void apply_moves(Db& db, ReceiptId id, const fiscal::PlannedReceipt& p, std::int64_t now_ms) {
    std::string entity;  // whose FN took the money: the register's legal entity
    if (!p.balance_moves.empty()) {
        Stmt e(db, "SELECT g.entity_inn FROM receipts r JOIN registers g ON g.id = r.register_id WHERE r.id = ?");
        e.bind(1, id);
        if (e.step()) entity = e.get_text(0);
    }
    Stmt journal(db,
                 "INSERT INTO journal (receipt_id, account, owner, customer, delta, created_ms, entity_inn) VALUES (?, "
                 "?, ?, ?, ?, ?, ?)");
    for (const auto& m : p.balance_moves) {
        std::string customer = m.owner;
        if (m.account != Account::CustomerAdvance) {
            Stmt s(db, "SELECT customer FROM orders WHERE id = ?");
            s.bind(1, m.owner);
            if (!s.step()) throw LedgerError(errc::kUnknownOrder, "confirmed receipt names unknown order " + m.owner);
            customer = s.get_text(0);
        }
        journal.reset();
        journal.bind(1, id)
            .bind(2, account_text(m.account))
            .bind(3, m.owner)
            .bind(4, customer)
            .bind(5, m.delta.value())
            .bind(6, now_ms)
            .bind(7, entity)
            .run();
    }
    Stmt ret(db, "INSERT INTO returns (receipt_id, order_id, sku, qty_micro) VALUES (?, ?, ?, ?)");
    for (const auto& m : p.return_moves) {
        ret.reset();
        ret.bind(1, id).bind(2, m.order).bind(3, m.sku).bind(4, m.quantity.micro()).run();
    }
    Stmt refused(db, "INSERT INTO refusals (receipt_id, order_id, sku, qty_micro) VALUES (?, ?, ?, ?)");
    for (const auto& m : p.refusal_moves) {
        refused.reset();
        refused.bind(1, id).bind(2, m.order).bind(3, m.sku).bind(4, m.quantity.micro()).run();
    }
    Stmt st(db, "UPDATE orders SET state = ?, updated_ms = ? WHERE id = ?");
    for (const auto& m : p.state_moves) {
        st.reset();
        st.bind(1, order_state_text(m.state)).bind(2, now_ms).bind(3, m.order).run();
        if (db.changes() != 1)
            throw LedgerError(errc::kUnknownOrder, "confirmed receipt names unknown order " + m.order);
        if (m.settlement_method) {
            Stmt sm(db, "UPDATE orders SET settlement_method = ? WHERE id = ?");
            sm.bind(1, static_cast<std::int64_t>(*m.settlement_method)).bind(2, m.order).run();
        }
    }
}

void do_transition(Db& db, ReceiptId id, ReceiptEvent event, const FiscalResult* fiscal, const std::string& error,
                   const std::vector<OutboxDraft>& notify, std::int64_t now_ms, std::int64_t late_tolerance_ms) {
    std::string current;
    std::string plan_json;
    {
        Stmt s(db, "SELECT state, plan_json FROM receipts WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) throw LedgerError(errc::kNotFound, "no receipt " + std::to_string(id));
        current = s.get_text(0);
        plan_json = s.get_text(1);
    }
    const ReceiptState from = state_from_db(current);
    const auto to = transition(from, event);
    if (!to) throw LedgerError(to.error().code, "receipt " + std::to_string(id) + ": " + to.error().message);

    if (event == ReceiptEvent::Confirm) {
        Stmt s(
            db,
            "UPDATE receipts SET state = 'confirmed', updated_ms = ?, fd_number = ?, fiscal_sign = ?, fn_number = ?, "
            "shift = ?, receipt_number = ?, fiscal_ms = ?, qr = ? WHERE id = ? AND state = ?");
        s.bind(1, now_ms)
            .bind(2, static_cast<std::int64_t>(fiscal->fd_number))
            .bind(3, static_cast<std::int64_t>(fiscal->fiscal_sign))
            .bind(4, fiscal->fn_number)
            .bind(5, std::int64_t{fiscal->shift})
            .bind(6, std::int64_t{fiscal->receipt_number})
            .bind(7, to_ms(fiscal->time))
            .bind(8, fiscal->qr)
            .bind(9, id)
            .bind(10, current)
            .run();
    } else {
        Stmt s(db, "UPDATE receipts SET state = ?, updated_ms = ?, error = ? WHERE id = ? AND state = ?");
        s.bind(1, to_string(*to)).bind(2, now_ms);
        if (event == ReceiptEvent::Send) {
            s.bind_null(3);
        } else {
            s.bind(3, error);
        }
        s.bind(4, id).bind(5, current).run();
    }
    if (db.changes() != 1) throw LedgerError(errc::kStorage, "receipt " + std::to_string(id) + " changed underneath");
    if (event == ReceiptEvent::Confirm) {
        // Printed too long after the phone's time of the settlement, though planned in time (the
        // register was away): the true time is kept and the office sees it.
        Stmt late(db,
                  "UPDATE receipts SET late = 'listed' WHERE id = ? AND late = '' AND settled_ms IS NOT NULL AND "
                  "fiscal_ms - settled_ms > ?");
        late.bind(1, id).bind(2, late_tolerance_ms).run();
    }
    // Balances, returns and order states move here and only here: in the confirming transaction.
    if (event == ReceiptEvent::Confirm) apply_moves(db, id, detail::decode_planned_receipt(plan_json), now_ms);
    Stmt out(db, "INSERT INTO outbox (kind, receipt_id, payload, available_ms, created_ms) VALUES (?, ?, ?, ?, ?)");
    for (const auto& n : notify) {
        if (n.kind.empty()) throw LedgerError(errc::kInvalidArgument, "an outbox message needs a kind");
        out.reset();
        out.bind(1, n.kind).bind(2, id).bind(3, n.payload).bind(4, now_ms).bind(5, now_ms).run();
    }
}

}  // namespace

// ---- Impl ---------------------------------------------------------------------------------------

struct Ledger::Impl {
    Impl(std::string p, Clock& c, LedgerOptions o) : path(std::move(p)), clock(c), options(o) {}

    std::string path;
    Clock& clock;
    LedgerOptions options;
    std::shared_ptr<spdlog::logger> log = kassa::log::get("ledger");
    // A descriptor of the database file for the checkpoint's paced writeback. First: closed after
    // every connection (closing a descriptor of the file drops the process's POSIX locks on it).
    struct Fd {
        int fd = -1;
        ~Fd() {
            if (fd >= 0) ::close(fd);
        }
    } database_fd;
    std::optional<Db> writer_db;  // before the queue: the queue's thread must stop first
    // After writer_db, before the queue: it stops after the writer thread, before its connection.
    std::unique_ptr<detail::Checkpointer> checkpointer;
    std::unique_ptr<detail::WriteQueue> queue;
    int version = 0;
    RecoveryReport recovery;

    mutable std::mutex pool_mutex;
    mutable std::condition_variable pool_cv;
    mutable std::vector<std::unique_ptr<Db>> idle;

    ~Impl() { queue.reset(); }

    mutable std::mutex planning_mutex;  // guards `planning` only: one observation, no I/O
    FastHistogram planning;
    void observe_planning(std::chrono::nanoseconds took) {
        std::lock_guard lock(planning_mutex);
        planning.observe(took);
    }

    std::int64_t now_ms() const { return to_ms(clock.now()); }

    // A read connection from the pool inside a deferred transaction: one consistent snapshot.
    template <class F>
    auto read(F f) const {
        std::unique_ptr<Db> db;
        {
            std::unique_lock lock(pool_mutex);
            pool_cv.wait(lock, [this] { return !idle.empty(); });
            db = std::move(idle.back());
            idle.pop_back();
        }
        struct Return {
            const Impl* self;
            std::unique_ptr<Db>& db;
            ~Return() {
                {
                    std::lock_guard lock(self->pool_mutex);
                    self->idle.push_back(std::move(db));
                }
                self->pool_cv.notify_one();
            }
        } give_back{this, db};
        detail::Transaction tx(*db, detail::Transaction::Kind::Deferred);
        auto result = f(*db);
        tx.commit();
        return result;
    }

    template <class F>
    auto write(F f) {
        return queue->run(std::move(f));
    }

    std::future<void> transition_async(ReceiptId id, ReceiptEvent event, std::optional<FiscalResult> fiscal,
                                       std::string error, std::vector<OutboxDraft> notify = {}) {
        if (event == ReceiptEvent::Confirm && !fiscal) {
            throw LedgerError(errc::kInvalidArgument, "confirming needs fiscal results");
        }
        return write([this, id, event, fiscal = std::move(fiscal), error = std::move(error),
                      notify = std::move(notify)](Db& db) {
            do_transition(db, id, event, fiscal ? &*fiscal : nullptr, error, notify, now_ms(),
                          options.late_tolerance.count());
            log->debug("receipt {} {}", id, to_string(event));
        });
    }
};

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;

namespace {

// The ledger holds buyers' phones and e-mails: its file is the owner's only (0600), whatever the
// umask. SQLite gives the -wal and -shm files the database file's mode; ones an older version left
// with another mode are set too.
// A path SQLite opens as a file of that name (not ":memory:", a temporary database or a URI).
bool is_plain_file(const std::string& path) {
    return !path.empty() && path.front() != ':' && !path.starts_with("file:");
}

void restrict_to_owner(const std::string& path) {
    if (!is_plain_file(path)) return;
    if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
        (void)::fchmod(fd, 0600);
        ::close(fd);
    }
    std::error_code ec;
    for (const char* suffix : {"-wal", "-shm"})
        std::filesystem::permissions(path + suffix,
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
}

}  // namespace

std::unique_ptr<Ledger> Ledger::open(const std::string& path, Clock& clock, LedgerOptions options) {
    restrict_to_owner(path);
    auto impl = std::make_unique<Impl>(path, clock, options);
    auto& db = impl->writer_db.emplace(path, Db::Mode::ReadWriteCreate, options.busy_timeout_ms);
    // WAL: readers keep a snapshot and never block the single writer. synchronous=FULL: a commit
    // is on the platter (WAL fsynced) before the caller hears "done".
    if (db.scalar_text("PRAGMA journal_mode = WAL") != "wal") {
        throw LedgerError(errc::kStorage, "cannot switch " + path + " to WAL mode");
    }
    // cache_size: 8 MiB per connection (SQLite's default is 2), so the hot pages of a busy day stay
    // in memory instead of being read again from the file and the WAL. temp_store = MEMORY: the
    // temporary b-trees and statement journals of a transaction stay in memory; on disk SQLite
    // created, wrote and unlinked an "etilqs_" file in /var/tmp for each group commit (seen with
    // perf in bench/http_bench.sh: open/close/unlink on the writer thread).
    db.exec(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192; PRAGMA temp_store = "
        "MEMORY;");
    impl->version = detail::migrate(db);
    const std::size_t readers = options.read_connections == 0 ? 1 : options.read_connections;
    for (std::size_t i = 0; i < readers; ++i) {
        auto r = std::make_unique<Db>(path, Db::Mode::ReadWrite, options.busy_timeout_ms);
        r->exec("PRAGMA query_only = 1; PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;");
        impl->idle.push_back(std::move(r));
    }
    // Checkpoints run on a thread of their own, not inside the writer's commits (checkpointer.hpp).
    // The descriptor only starts the checkpoint's writes to the disk early (sync_file_range);
    // without one (a database in memory or behind a URI) the checkpoints go unpaced.
    if (is_plain_file(path) && options.checkpoint_writeback_pages_per_second > 0) {
        impl->database_fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (impl->database_fd.fd < 0)
            impl->log->warn("cannot open {} for the checkpoint's paced writeback: {}; checkpoints go unpaced", path,
                            std::strerror(errno));
    }
    detail::Checkpointer::Options checkpoints;
    checkpoints.writeback_pages_per_second = options.checkpoint_writeback_pages_per_second;
    impl->checkpointer =
        std::make_unique<detail::Checkpointer>(db, path, options.busy_timeout_ms, checkpoints, impl->database_fd.fd);
    impl->queue = std::make_unique<detail::WriteQueue>(db, options.max_batch);
    impl->recovery = impl->read([](Db& rdb) { return load_unresolved(rdb, {}); });
    for (const auto& [reg, list] : impl->recovery) {
        impl->log->warn("register {}: {} receipt(s) left sending/uncertain, to reconcile", reg, list.size());
    }
    impl->log->info("ledger open, schema version {}", impl->version);
    return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

const RecoveryReport& Ledger::recovery() const { return impl_->recovery; }
int Ledger::schema_version() const { return impl_->version; }

void Ledger::upsert_entity(const LegalEntity& e) {
    if (e.inn.empty()) throw LedgerError(errc::kInvalidArgument, "a legal entity needs an INN");
    impl_
        ->write([e](Db& db) {
            Stmt s(db,
                   "INSERT INTO legal_entities (inn, name) VALUES (?, ?) ON CONFLICT (inn) DO UPDATE SET name = "
                   "excluded.name");
            s.bind(1, e.inn).bind(2, e.name).run();
        })
        .get();
}

void Ledger::upsert_register(const Register& r) {
    if (r.id.empty()) throw LedgerError(errc::kInvalidArgument, "a register needs an id");
    impl_
        ->write([r](Db& db) {
            if (!exists(db, "SELECT 1 FROM legal_entities WHERE inn = ?", r.entity_inn)) {
                throw LedgerError(errc::kNotFound, "unknown legal entity " + r.entity_inn);
            }
            Stmt s(db,
                   "INSERT INTO registers (id, entity_inn, uri, enabled) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO "
                   "UPDATE SET entity_inn = excluded.entity_inn, uri = excluded.uri, enabled = excluded.enabled");
            s.bind(1, r.id).bind(2, r.entity_inn).bind(3, r.uri).bind(4, std::int64_t{r.enabled ? 1 : 0}).run();
        })
        .get();
}

std::vector<Register> Ledger::registers() const {
    return impl_->read([](Db& db) {
        Stmt s(db, "SELECT id, entity_inn, uri, enabled FROM registers ORDER BY id");
        std::vector<Register> out;
        while (s.step()) out.push_back(Register{s.get_text(0), s.get_text(1), s.get_text(2), s.get_int(3) != 0});
        return out;
    });
}

void Ledger::upsert_customer(const Customer& c) {
    if (c.id.empty()) throw LedgerError(errc::kInvalidArgument, "a customer needs an id");
    impl_
        ->write([c](Db& db) {
            Stmt s(db,
                   "INSERT INTO customers (id, name, contact) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = "
                   "excluded.name, contact = excluded.contact");
            s.bind(1, c.id).bind(2, c.name).bind(3, c.contact).run();
        })
        .get();
}

std::optional<Customer> Ledger::customer(const std::string& id) const {
    return impl_->read([&](Db& db) -> std::optional<Customer> {
        Stmt s(db, "SELECT id, name, contact FROM customers WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return Customer{s.get_text(0), s.get_text(1), s.get_text(2)};
    });
}

namespace {

// What may change in an order that exists (issue 11): nothing once it is closed; its legal entity
// and customer not once any receipt names it (the money is on that entity's FN and that customer's
// account); its lines not while a receipt of it is in flight (the facts are about to move), nor so
// that the total drops below what is prepaid.
void check_order_change(Db& db, const fiscal::OrderFacts& before, const fiscal::Order& order) {
    if (before.state != OrderState::Open) {
        Stmt s(db, "SELECT state FROM orders WHERE id = ?");
        s.bind(1, order.id);
        s.step();
        throw LedgerError(errc::kOrderClosed, "order " + order.id + " is " + s.get_text(0));
    }
    const auto receipts_in = [&](const char* states) {
        Stmt s(db, std::string("SELECT COUNT(*) FROM receipt_orders o JOIN receipts r ON r.id = o.receipt_id "
                               "WHERE o.order_id = ?") +
                       states);
        s.bind(1, order.id);
        s.step();
        return s.get_int(0);
    };
    if ((before.order.customer != order.customer || before.order.entity_inn != order.entity_inn) && receipts_in("") > 0)
        throw LedgerError(errc::kOrderHasReceipts, "order " + order.id +
                                                       " has receipts: its legal entity and customer can no "
                                                       "longer change");
    if (before.order.lines == order.lines) return;
    if (receipts_in(" AND r.state IN ('planned', 'sending', 'uncertain')") > 0)
        throw LedgerError(errc::kOrderBusy, "order " + order.id + " has receipts being printed; change it later");
    Kopecks total;
    for (const auto& l : order.lines) {
        const auto amount = fiscal::line_amount(l.price, l.quantity);
        if (!amount) throw LedgerError(errc::kInvalidArgument, "order line amount overflows");
        total += *amount;
    }
    if (total < before.prepaid)
        throw LedgerError(errc::kBelowPrepaid, "order " + order.id + " would total " + total.to_roubles_string() +
                                                   " but " + before.prepaid.to_roubles_string() + " is prepaid");
}

}  // namespace

void Ledger::upsert_order(const fiscal::Order& order, const OrderDelivery& delivery) {
    if (order.id.empty() || order.customer.empty()) {
        throw LedgerError(errc::kInvalidArgument, "an order needs an id and a customer");
    }
    for (const auto& l : order.lines) {
        if (!l.quantity.is_positive()) throw LedgerError(errc::kInvalidArgument, "order line quantity must be > 0");
    }
    impl_
        ->write([this, order, delivery](Db& db) {
            if (auto before = load_order_facts(db, order.id)) check_order_change(db, *before, order);
            ensure_customer(db, order.customer);
            const auto now = impl_->now_ms();
            Stmt s(db,
                   "INSERT INTO orders (id, customer, entity_inn, state, updated_ms, courier, delivery_date, "
                   "delivery_address, customer_contact, payment_method, deliver_from, deliver_by, credit_allowed) "
                   "VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (id) DO UPDATE SET customer = excluded.customer, entity_inn = excluded.entity_inn, "
                   "updated_ms = excluded.updated_ms, courier = excluded.courier, "
                   "delivery_date = excluded.delivery_date, delivery_address = excluded.delivery_address, "
                   "customer_contact = excluded.customer_contact, payment_method = excluded.payment_method, "
                   "deliver_from = excluded.deliver_from, deliver_by = excluded.deliver_by, "
                   "credit_allowed = excluded.credit_allowed");
            s.bind(1, order.id)
                .bind(2, order.customer)
                .bind(3, order.entity_inn)
                .bind(4, now)
                .bind(5, delivery.courier)
                .bind(6, delivery.date)
                .bind(7, delivery.address)
                .bind(8, delivery.contact)
                .bind(9, delivery.payment_method)
                .bind(10, delivery.deliver_from)
                .bind(11, delivery.deliver_by)
                .bind(12, std::int64_t{delivery.credit_allowed ? 1 : 0})
                .run();
            Stmt del(db, "DELETE FROM order_lines WHERE order_id = ?");
            del.bind(1, order.id).run();
            Stmt line(db,
                      "INSERT INTO order_lines (order_id, position, sku, name, qty_micro, unit, price, vat_class, "
                      "subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            std::int64_t position = 0;
            for (const auto& l : order.lines) {
                line.reset();
                line.bind(1, order.id)
                    .bind(2, position++)
                    .bind(3, l.sku)
                    .bind(4, l.name)
                    .bind(5, l.quantity.micro())
                    .bind(6, std::int64_t{l.unit})
                    .bind(7, l.price.value())
                    .bind(8, static_cast<std::int64_t>(l.vat_class))
                    .bind(9, std::int64_t{l.subject})
                    .run();
            }
        })
        .get();
}

std::vector<std::string> Ledger::courier_orders(const std::string& courier, const std::string& date) const {
    return impl_->read([&](Db& db) {
        Stmt s(db, "SELECT id FROM orders WHERE courier = ? AND delivery_date = ? AND courier <> '' ORDER BY id");
        s.bind(1, courier).bind(2, date);
        std::vector<std::string> ids;
        while (s.step()) ids.push_back(s.get_text(0));
        return ids;
    });
}

std::optional<Ledger::OrderOwner> Ledger::order_owner(const std::string& order_id) const {
    return impl_->read([&](Db& db) -> std::optional<OrderOwner> {
        Stmt s(db, "SELECT customer, entity_inn FROM orders WHERE id = ?");
        s.bind(1, order_id);
        if (!s.step()) return std::nullopt;
        return OrderOwner{s.get_text(0), s.get_text(1)};
    });
}

fiscal::OrderFacts Ledger::order_facts(const std::string& order_id) const {
    auto facts = impl_->read([&](Db& db) { return load_order_facts(db, order_id); });
    if (!facts) throw LedgerError(errc::kNotFound, "no order " + order_id);
    return std::move(*facts);
}

fiscal::CustomerFacts Ledger::customer_facts(const std::string& customer_id, const std::string& entity_inn) const {
    return impl_->read([&](Db& db) { return load_customer_facts(db, customer_id, entity_inn); });
}

std::future<StoredPlan> Ledger::store_plan_async(StorePlanRequest request) {
    return impl_->write([this, request = std::move(request)](Db& db) {
        auto stored = do_store_plan(db, request, impl_->now_ms());
        impl_->log->debug("plan stored: {} receipt(s) for register {}{}", stored.receipts.size(), request.register_id,
                          stored.replayed ? " (replay)" : "");
        return stored;
    });
}

StoredPlan Ledger::store_plan(const StorePlanRequest& request) { return store_plan_async(request).get(); }

namespace {

// `planned` learns how long planning took (reading the facts and running the planner, on the
// writer thread inside the batch's transaction), whether or not the planner accepted the event; a
// replayed request is not planned again.
StoredPlan plan_then_store(Db& db, PlanRequest& request, Planner& planner, std::int64_t now_ms,
                           const std::function<void(std::chrono::nanoseconds)>& planned) {
    if (auto first = replay(db, request.idempotency_key, request.request_hash)) return std::move(*first);
    const auto began = std::chrono::steady_clock::now();
    auto plan = planner(load_planning_facts(db, request));
    planned(std::chrono::steady_clock::now() - began);
    if (!plan) throw LedgerError(plan.error().code, plan.error().message);
    const StorePlanRequest store{.idempotency_key = request.idempotency_key,
                                 .request_hash = request.request_hash,
                                 .register_id = request.register_id,
                                 .plan = std::move(*plan),
                                 .payment = std::move(request.payment),
                                 .created_by = request.created_by,
                                 .audit = std::move(request.audit),
                                 .card_reference = request.card_reference,
                                 .settled_at = request.settled_at,
                                 .late = request.late};
    return do_store_plan(db, store, now_ms);
}

}  // namespace

std::future<StoredPlan> Ledger::plan_and_store_async(PlanRequest request, Planner planner) {
    if (!planner) throw LedgerError(errc::kInvalidArgument, "no planner");
    return impl_->write([this, request = std::move(request), planner = std::move(planner)](Db& db) mutable {
        return plan_then_store(db, request, planner, impl_->now_ms(),
                               [this](std::chrono::nanoseconds took) { impl_->observe_planning(took); });
    });
}

void Ledger::plan_and_store_then(PlanRequest request, Planner planner, PlanDone done) {
    if (!planner) throw LedgerError(errc::kInvalidArgument, "no planner");
    auto slot = std::make_shared<std::optional<StoredPlan>>();
    impl_->queue->submit(
        [this, slot, request = std::move(request), planner = std::move(planner)](Db& db) mutable {
            slot->emplace(plan_then_store(db, request, planner, impl_->now_ms(),
                                          [this](std::chrono::nanoseconds took) { impl_->observe_planning(took); }));
        },
        [slot, done = std::move(done)](std::exception_ptr e) mutable {
            if (e) return done(std::nullopt, std::move(e));
            done(std::move(*slot), nullptr);
        });
}

StoredPlan Ledger::plan_and_store(const PlanRequest& request, Planner planner) {
    return plan_and_store_async(request, std::move(planner)).get();
}

std::future<void> Ledger::mark_sending_async(ReceiptId id) {
    return impl_->transition_async(id, ReceiptEvent::Send, std::nullopt, {});
}
std::future<void> Ledger::mark_confirmed_async(ReceiptId id, FiscalResult result, std::vector<OutboxDraft> notify) {
    return impl_->transition_async(id, ReceiptEvent::Confirm, std::move(result), {}, std::move(notify));
}
std::future<void> Ledger::mark_failed_async(ReceiptId id, std::string error) {
    return impl_->transition_async(id, ReceiptEvent::Fail, std::nullopt, std::move(error));
}
std::future<void> Ledger::mark_uncertain_async(ReceiptId id, std::string error) {
    return impl_->transition_async(id, ReceiptEvent::LoseLink, std::nullopt, std::move(error));
}
void Ledger::mark_sending(ReceiptId id) { mark_sending_async(id).get(); }
void Ledger::mark_confirmed(ReceiptId id, const FiscalResult& result, const std::vector<OutboxDraft>& notify) {
    mark_confirmed_async(id, result, notify).get();
}
void Ledger::mark_failed(ReceiptId id, const std::string& error) { mark_failed_async(id, error).get(); }
void Ledger::mark_uncertain(ReceiptId id, const std::string& error) { mark_uncertain_async(id, error).get(); }

std::optional<ReceiptRecord> Ledger::receipt(ReceiptId id) const {
    return impl_->read([&](Db& db) { return load_receipt(db, id); });
}

std::vector<ReceiptRecord> Ledger::receipts(const ReceiptQuery& q) const {
    return impl_->read([&](Db& db) {
        std::string sql = "SELECT " + std::string(kReceiptColumns) + " FROM receipts r WHERE 1";
        if (q.state) sql += " AND r.state = :state";
        if (q.register_id) sql += " AND r.register_id = :reg";
        if (q.order)
            sql += " AND EXISTS (SELECT 1 FROM receipt_orders o WHERE o.receipt_id = r.id AND o.order_id = :ord)";
        if (q.from) sql += " AND r.created_ms >= :from";
        if (q.to) sql += " AND r.created_ms < :to";
        if (q.created_by) sql += " AND r.created_by = :by";
        if (q.after_id > 0) sql += q.newest_first ? " AND r.id < :after" : " AND r.id > :after";
        sql += q.newest_first ? " ORDER BY r.id DESC LIMIT :limit" : " ORDER BY r.id LIMIT :limit";
        Stmt s(db, sql);
        int i = 0;
        if (q.state) s.bind(++i, to_string(*q.state));
        if (q.register_id) s.bind(++i, *q.register_id);
        if (q.order) s.bind(++i, *q.order);
        if (q.from) s.bind(++i, to_ms(*q.from));
        if (q.to) s.bind(++i, to_ms(*q.to));
        if (q.created_by) s.bind(++i, *q.created_by);
        if (q.after_id > 0) s.bind(++i, static_cast<std::int64_t>(q.after_id));
        s.bind(++i, static_cast<std::int64_t>(q.limit));
        return collect_receipts(s);
    });
}

std::optional<StoredPlan> Ledger::find_idempotent(const std::string& key, const std::string& request_hash) const {
    return impl_->read([&](Db& db) -> std::optional<StoredPlan> {
        Stmt s(db, "SELECT request_hash, result FROM idempotency WHERE key = ?");
        s.bind(1, key);
        if (!s.step()) return std::nullopt;
        if (s.get_text(0) != request_hash || s.get_text(1).starts_with(kOperationPrefix))
            throw LedgerError(errc::kIdempotencyConflict, "idempotency key was already used with a different request");
        return StoredPlan{split_ids(s.get_text(1)), true};
    });
}

bool Ledger::has_fiscal_document(const std::string& fn_number, std::uint64_t fd_number) const {
    return impl_->read([&](Db& db) {
        Stmt s(db, "SELECT 1 FROM receipts WHERE fn_number = ? AND fd_number = ? AND state = 'confirmed'");
        s.bind(1, fn_number).bind(2, static_cast<std::int64_t>(fd_number));
        return s.step();
    });
}

RecoveryReport Ledger::receipts_to_reconcile(const std::string& register_id) const {
    return impl_->read([&](Db& db) { return load_unresolved(db, register_id); });
}

OrderView Ledger::order_view(const std::string& order_id) const {
    return impl_->read([&](Db& db) {
        auto facts = load_order_facts(db, order_id);
        if (!facts) throw LedgerError(errc::kNotFound, "no order " + order_id);
        OrderView v;
        v.facts = std::move(*facts);
        Stmt d(db,
               "SELECT courier, delivery_date, delivery_address, customer_contact, payment_method, deliver_from, "
               "deliver_by, credit_allowed FROM orders WHERE id = ?");
        d.bind(1, order_id);
        if (d.step())
            v.delivery = OrderDelivery{.courier = d.get_text(0),
                                       .date = d.get_text(1),
                                       .address = d.get_text(2),
                                       .contact = d.get_text(3),
                                       .payment_method = d.get_text(4),
                                       .deliver_from = d.get_text(5),
                                       .deliver_by = d.get_text(6),
                                       .credit_allowed = d.get_int(7) != 0};
        Stmt s(db, "SELECT " + std::string(kReceiptColumns) +
                       " FROM receipts r JOIN receipt_orders o ON o.receipt_id = r.id WHERE o.order_id = ? "
                       "ORDER BY r.id");
        s.bind(1, order_id);
        v.receipts = collect_receipts(s);
        for (const auto& l : v.facts.order.lines) {
            const auto amount = fiscal::line_amount(l.price, l.quantity);
            if (!amount) throw LedgerError(errc::kStorage, "order line amount overflows");
            v.total += *amount;
        }
        const auto value_of = [&](const std::map<std::string, Quantity>& quantities) {
            Kopecks sum;
            for (const auto& [sku, qty] : quantities) {
                for (const auto& l : v.facts.order.lines) {
                    if (l.sku != sku) continue;
                    const auto amount = fiscal::line_amount(l.price, qty);
                    if (!amount) throw LedgerError(errc::kStorage, "returned or refused amount overflows");
                    sum += *amount;
                    break;
                }
            }
            return sum;
        };
        v.returned = value_of(v.facts.returned);
        v.refused = value_of(v.facts.refused);
        switch (v.facts.state) {
            case OrderState::Open:
                v.owed = v.total - v.facts.prepaid;
                break;
            case OrderState::Delivered:
                v.delivered = v.total - v.refused;
                v.owed = v.facts.credit_owed;
                break;
            case OrderState::Cancelled:
                break;
        }
        return v;
    });
}

std::vector<std::string> Ledger::customer_entities(const std::string& customer_id) const {
    return impl_->read([&](Db& db) {
        Stmt s(db,
               "SELECT entity_inn FROM orders WHERE customer = ? UNION "
               "SELECT g.entity_inn FROM receipts r JOIN registers g ON g.id = r.register_id WHERE r.customer = ?");
        s.bind(1, customer_id).bind(2, customer_id);
        std::vector<std::string> out;
        while (s.step()) out.push_back(s.get_text(0));
        return out;
    });
}

CustomerView Ledger::customer_view(const std::string& customer_id) const {
    return impl_->read([&](Db& db) {
        CustomerView v;
        v.facts = load_customer_facts(db, customer_id, {});
        Stmt s(db,
               "SELECT id, receipt_id, account, owner, customer, delta, created_ms, entity_inn FROM journal WHERE "
               "customer = ? ORDER BY id");
        s.bind(1, customer_id);
        v.history = collect_journal(s);
        for (const auto& e : v.history)
            if (e.account == Account::CustomerAdvance) v.advance_by_entity[e.entity_inn] += e.delta;
        return v;
    });
}

ShiftJournal Ledger::shift_journal(const std::string& register_id, std::uint32_t shift) const {
    return impl_->read([&](Db& db) {
        ShiftJournal j;
        j.register_id = register_id;
        j.shift = shift;
        Stmt s(db, "SELECT " + std::string(kReceiptColumns) +
                       " FROM receipts r WHERE r.register_id = ? AND r.shift = ? AND r.state = 'confirmed' "
                       "ORDER BY r.fd_number");
        s.bind(1, register_id).bind(2, std::int64_t{shift});
        j.receipts = collect_receipts(s);
        Stmt e(db,
               "SELECT j.id, j.receipt_id, j.account, j.owner, j.customer, j.delta, j.created_ms, j.entity_inn FROM "
               "journal j "
               "JOIN receipts r ON r.id = j.receipt_id WHERE r.register_id = ? AND r.shift = ? ORDER BY j.id");
        e.bind(1, register_id).bind(2, std::int64_t{shift});
        j.entries = collect_journal(e);
        return j;
    });
}

namespace {

std::map<std::string, CourierCash> load_courier_cash(Db& db, const std::string& courier) {
    std::map<std::string, CourierCash> out;
    Stmt s(db,
           "SELECT g.entity_inn, COALESCE(SUM(CASE WHEN r.sign IN (1, 4) THEN r.cash ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN r.sign IN (2, 3) THEN r.cash ELSE 0 END), 0) FROM receipts r "
           "JOIN registers g ON g.id = r.register_id WHERE r.created_by = ? AND r.state = 'confirmed' "
           "GROUP BY g.entity_inn");
    s.bind(1, courier);
    while (s.step()) {
        auto& c = out[s.get_text(0)];
        c.entity_inn = s.get_text(0);
        c.taken = Kopecks{s.get_int(1)};
        c.refunded = Kopecks{s.get_int(2)};
    }
    Stmt h(db, "SELECT entity_inn, state, SUM(amount) FROM handovers WHERE courier = ? GROUP BY entity_inn, state");
    h.bind(1, courier);
    while (h.step()) {
        auto& c = out[h.get_text(0)];
        c.entity_inn = h.get_text(0);
        (h.get_text(1) == "confirmed" ? c.handed_over : c.pending) = Kopecks{h.get_int(2)};
    }
    return out;
}

constexpr std::string_view kHandoverColumns =
    "id, courier, entity_inn, amount, state, declared_ms, confirmed_by, confirmed_ms";

Handover handover_from_row(const Stmt& s) {
    Handover h;
    h.id = s.get_int(0);
    h.courier = s.get_text(1);
    h.entity_inn = s.get_text(2);
    h.amount = Kopecks{s.get_int(3)};
    h.confirmed = s.get_text(4) == "confirmed";
    h.declared = from_ms(s.get_int(5));
    h.confirmed_by = s.get_text(6);
    if (!s.is_null(7)) h.confirmed_at = from_ms(s.get_int(7));
    return h;
}

std::optional<Handover> load_handover(Db& db, std::int64_t id) {
    Stmt s(db, "SELECT " + std::string(kHandoverColumns) + " FROM handovers WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return handover_from_row(s);
}

}  // namespace

std::vector<CourierCash> Ledger::courier_cash(const std::string& courier) const {
    return impl_->read([&](Db& db) {
        std::vector<CourierCash> out;
        for (auto& [inn, c] : load_courier_cash(db, courier)) out.push_back(std::move(c));
        return out;
    });
}

Handover Ledger::declare_handover(const std::string& courier, const std::string& entity_inn,
                                  std::optional<Kopecks> amount, const AuditRecord& audit) {
    if (courier.empty() || entity_inn.empty())
        throw LedgerError(errc::kInvalidArgument, "a handover needs a courier and a legal entity");
    return impl_
        ->write([this, courier, entity_inn, amount, audit](Db& db) {
            // Read and written in the writer's transaction: two declarations cannot both count the
            // same cash.
            const auto all = load_courier_cash(db, courier);
            const auto it = all.find(entity_inn);
            const Kopecks free = it == all.end() ? Kopecks{0} : it->second.held() - it->second.pending;
            if (!free.is_positive())
                throw LedgerError(errc::kNothingToHandOver,
                                  "courier " + courier + " holds no undeclared cash of legal entity " + entity_inn);
            const Kopecks value = amount.value_or(free);
            if (!value.is_positive()) throw LedgerError(errc::kInvalidArgument, "a handover must be above zero");
            if (value > free)
                throw LedgerError(errc::kHandoverExceedsCash, "declaring " + value.to_roubles_string() + ", " +
                                                                  free.to_roubles_string() + " is held and undeclared");
            const auto now = impl_->now_ms();
            Stmt s(db, "INSERT INTO handovers (courier, entity_inn, amount, declared_ms) VALUES (?, ?, ?, ?)");
            s.bind(1, courier).bind(2, entity_inn).bind(3, value.value()).bind(4, now).run();
            const auto id = db.last_insert_rowid();
            auto row = audit;
            if (row.subject.empty()) row.subject = "handover " + std::to_string(id);
            insert_audit(db, row, now);
            return *load_handover(db, id);
        })
        .get();
}

Handover Ledger::confirm_handover(std::int64_t id, const std::string& confirmed_by, const AuditRecord& audit) {
    return impl_
        ->write([this, id, confirmed_by, audit](Db& db) {
            auto h = load_handover(db, id);
            if (!h) throw LedgerError(errc::kNotFound, "no handover " + std::to_string(id));
            if (h->confirmed)
                throw LedgerError(errc::kHandoverNotPending,
                                  "handover " + std::to_string(id) + " was confirmed by " + h->confirmed_by);
            const auto now = impl_->now_ms();
            Stmt s(db,
                   "UPDATE handovers SET state = 'confirmed', confirmed_by = ?, confirmed_ms = ? WHERE id = ? AND "
                   "state = 'pending'");
            s.bind(1, confirmed_by).bind(2, now).bind(3, id).run();
            insert_audit(db, audit, now);
            return *load_handover(db, id);
        })
        .get();
}

std::optional<Handover> Ledger::handover(std::int64_t id) const {
    return impl_->read([&](Db& db) { return load_handover(db, id); });
}

std::vector<Handover> Ledger::handovers(bool pending_only, const std::optional<std::string>& courier) const {
    return impl_->read([&](Db& db) {
        std::string sql = "SELECT " + std::string(kHandoverColumns) + " FROM handovers WHERE 1";
        if (pending_only) sql += " AND state = 'pending'";
        if (courier) sql += " AND courier = ?";
        sql += " ORDER BY id";
        Stmt s(db, sql);
        if (courier) s.bind(1, *courier);
        std::vector<Handover> out;
        while (s.step()) out.push_back(handover_from_row(s));
        return out;
    });
}

std::vector<ReceiptRecord> Ledger::late_settlements(bool open_only) const {
    return impl_->read([&](Db& db) {
        Stmt s(db, "SELECT " + std::string(kReceiptColumns) + " FROM receipts r WHERE " +
                       (open_only ? "r.late = 'listed'" : "r.late <> ''") + " ORDER BY r.id");
        return collect_receipts(s);
    });
}

ReceiptRecord Ledger::confirm_late_settlement(ReceiptId id, const std::string& confirmed_by, const AuditRecord& audit) {
    return impl_
        ->write([this, id, confirmed_by, audit](Db& db) {
            auto r = load_receipt(db, id);
            if (!r) throw LedgerError(errc::kNotFound, "no receipt " + std::to_string(id));
            if (r->late != "listed")
                throw LedgerError(errc::kLateNotListed,
                                  "receipt " + std::to_string(id) + " is not a late settlement waiting for the office");
            const auto now = impl_->now_ms();
            Stmt s(db,
                   "UPDATE receipts SET late = 'confirmed', late_confirmed_by = ?, late_confirmed_ms = ? WHERE id = ?");
            s.bind(1, confirmed_by).bind(2, now).bind(3, id).run();
            insert_audit(db, audit, now);
            return *load_receipt(db, id);
        })
        .get();
}

std::int64_t Ledger::outbox_enqueue(const std::string& kind, std::optional<ReceiptId> receipt,
                                    const std::string& payload) {
    if (kind.empty()) throw LedgerError(errc::kInvalidArgument, "an outbox message needs a kind");
    return impl_
        ->write([this, kind, receipt, payload](Db& db) {
            const auto now = impl_->now_ms();
            Stmt s(db,
                   "INSERT INTO outbox (kind, receipt_id, payload, available_ms, created_ms) VALUES (?, ?, ?, ?, ?)");
            s.bind(1, kind).bind(2, receipt).bind(3, payload).bind(4, now).bind(5, now).run();
            return db.last_insert_rowid();
        })
        .get();
}

std::vector<OutboxMessage> Ledger::outbox_claim(std::size_t max, std::chrono::milliseconds lease) {
    return impl_
        ->write([this, max, lease](Db& db) {
            const auto now = impl_->now_ms();
            // A claimed message whose lease ran out is handed out again: its claimant died.
            Stmt s(db,
                   "SELECT id, kind, receipt_id, payload, attempts, last_error FROM outbox WHERE state IN ('pending', "
                   "'claimed') AND available_ms <= ? ORDER BY id LIMIT ?");
            s.bind(1, now).bind(2, static_cast<std::int64_t>(max));
            std::vector<OutboxMessage> out;
            while (s.step()) {
                out.push_back(OutboxMessage{s.get_int(0), s.get_text(1), s.get_opt_int(2), s.get_text(3),
                                            static_cast<int>(s.get_int(4)) + 1, s.get_text(5)});
            }
            Stmt u(db, "UPDATE outbox SET state = 'claimed', attempts = attempts + 1, available_ms = ? WHERE id = ?");
            for (const auto& m : out) {
                u.reset();
                u.bind(1, now + lease.count()).bind(2, m.id).run();
            }
            return out;
        })
        .get();
}

void Ledger::outbox_mark_sent(std::int64_t id) {
    impl_
        ->write([id](Db& db) {
            Stmt s(db, "UPDATE outbox SET state = 'sent' WHERE id = ? AND state = 'claimed'");
            s.bind(1, id).run();
            if (db.changes() != 1)
                throw LedgerError(errc::kNotFound, "no claimed outbox message " + std::to_string(id));
        })
        .get();
}

void Ledger::outbox_mark_dead(std::int64_t id, const std::string& error) {
    impl_
        ->write([id, error](Db& db) {
            Stmt s(db, "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ? AND state = 'claimed'");
            s.bind(1, error).bind(2, id).run();
            if (db.changes() != 1)
                throw LedgerError(errc::kNotFound, "no claimed outbox message " + std::to_string(id));
        })
        .get();
}

std::vector<OutboxMessage> Ledger::outbox_for_receipt(ReceiptId receipt) const {
    return impl_->read([&](Db& db) {
        Stmt s(db,
               "SELECT id, kind, receipt_id, payload, attempts, last_error, state FROM outbox WHERE receipt_id = ? "
               "ORDER BY id");
        s.bind(1, receipt);
        std::vector<OutboxMessage> out;
        while (s.step())
            out.push_back(OutboxMessage{s.get_int(0), s.get_text(1), s.get_opt_int(2), s.get_text(3),
                                        static_cast<int>(s.get_int(4)), s.get_text(5), s.get_text(6)});
        return out;
    });
}

void Ledger::outbox_mark_failed(std::int64_t id, const std::string& error, std::chrono::milliseconds retry_after) {
    impl_
        ->write([this, id, error, retry_after](Db& db) {
            Stmt s(db,
                   "UPDATE outbox SET state = 'pending', last_error = ?, available_ms = ? WHERE id = ? AND state = "
                   "'claimed'");
            s.bind(1, error).bind(2, impl_->now_ms() + retry_after.count()).bind(3, id).run();
            if (db.changes() != 1)
                throw LedgerError(errc::kNotFound, "no claimed outbox message " + std::to_string(id));
        })
        .get();
}

bool Ledger::reassign(ReceiptId id, const std::string& register_id) {
    return impl_
        ->write([this, id, register_id](Db& db) {
            Stmt s(db,
                   "UPDATE receipts SET register_id = ?, updated_ms = ? WHERE id = ? AND state = 'planned' AND "
                   "(SELECT entity_inn FROM registers WHERE id = ?) = (SELECT g.entity_inn FROM receipts r JOIN "
                   "registers g ON g.id = r.register_id WHERE r.id = ?)");
            s.bind(1, register_id).bind(2, impl_->now_ms()).bind(3, id).bind(4, register_id).bind(5, id).run();
            return db.changes() == 1;
        })
        .get();
}

void Ledger::audit(const AuditRecord& r) {
    if (r.actor.empty() || r.action.empty()) throw LedgerError(errc::kInvalidArgument, "audit needs actor and action");
    impl_->write([this, r](Db& db) { insert_audit(db, r, impl_->now_ms()); }).get();
}

void Ledger::audit_then(std::function<void()> then, AuditRecord r) {
    if (r.actor.empty() || r.action.empty()) throw LedgerError(errc::kInvalidArgument, "audit needs actor and action");
    impl_->queue->submit([this, r = std::move(r)](Db& db) { insert_audit(db, r, impl_->now_ms()); },
                         [this, then = std::move(then)](std::exception_ptr e) {
                             if (e) {
                                 try {
                                     std::rethrow_exception(e);
                                 } catch (const std::exception& x) {
                                     impl_->log->error("audit row lost: {}", x.what());
                                 }
                             }
                             then();
                         });
}

std::vector<AuditRecord> Ledger::audit_log(std::size_t limit) const {
    return impl_->read([&](Db& db) {
        Stmt s(db, "SELECT id, at_ms, actor, action, subject, address, detail FROM audit ORDER BY id DESC LIMIT ?");
        s.bind(1, static_cast<std::int64_t>(limit));
        std::vector<AuditRecord> out;
        while (s.step()) {
            out.push_back(AuditRecord{s.get_int(0), from_ms(s.get_int(1)), s.get_text(2), s.get_text(3), s.get_text(4),
                                      s.get_text(5), s.get_text(6)});
        }
        return out;
    });
}

void Ledger::backup(const std::string& path) const {
    impl_->read([&](Db& db) {
        db.backup_to(path);
        return 0;
    });
}

// ---- issued tokens --------------------------------------------------------------------------

namespace {

std::string join_binding_ids(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        if (id.empty() || id.find_first_of(" \t\r\n") != std::string::npos)
            throw LedgerError(errc::kInvalidArgument, "a token binding must be a non-empty id without spaces");
        out += (out.empty() ? "" : " ") + id;
    }
    return out;
}

std::vector<std::string> split_binding_ids(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto space = text.find(' ', start);
        if (space == std::string::npos) space = text.size();
        if (space > start) out.push_back(text.substr(start, space - start));
        start = space + 1;
    }
    return out;
}

constexpr std::string_view kTokenColumns =
    "id, sha256, name, role, entities, registers, created_ms, created_by, revoked_ms";

TokenRecord token_from_row(const Stmt& s) {
    TokenRecord t;
    t.id = s.get_int(0);
    t.sha256 = s.get_text(1);
    t.name = s.get_text(2);
    t.role = s.get_text(3);
    t.entities = split_binding_ids(s.get_text(4));
    t.registers = split_binding_ids(s.get_text(5));
    t.created = from_ms(s.get_int(6));
    t.created_by = s.get_text(7);
    if (!s.is_null(8)) t.revoked = from_ms(s.get_int(8));
    return t;
}

std::optional<TokenRecord> load_token(Db& db, std::int64_t id) {
    Stmt s(db, "SELECT " + std::string(kTokenColumns) + " FROM tokens WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return token_from_row(s);
}

}  // namespace

TokenRecord Ledger::create_token(TokenRecord token, const AuditRecord& audit) {
    if (token.sha256.size() != 64 || token.name.empty() || token.created_by.empty())
        throw LedgerError(errc::kInvalidArgument, "a token needs a SHA-256, a name and its creator");
    const auto entities = join_binding_ids(token.entities);
    const auto registers = join_binding_ids(token.registers);
    return impl_
        ->write([this, token = std::move(token), entities, registers, audit](Db& db) mutable {
            {
                Stmt dup(db, "SELECT 1 FROM tokens WHERE sha256 = ?");
                dup.bind(1, token.sha256);
                if (dup.step()) throw LedgerError(errc::kInvalidArgument, "this token is stored already");
            }
            const auto now = impl_->now_ms();
            Stmt s(db,
                   "INSERT INTO tokens (sha256, name, role, entities, registers, created_ms, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)");
            s.bind(1, token.sha256)
                .bind(2, token.name)
                .bind(3, token.role)
                .bind(4, entities)
                .bind(5, registers)
                .bind(6, now)
                .bind(7, token.created_by)
                .run();
            token.id = db.last_insert_rowid();
            token.created = from_ms(now);
            token.revoked.reset();
            auto row = audit;
            if (row.subject.empty()) row.subject = "token " + std::to_string(token.id);
            insert_audit(db, row, now);
            return token;
        })
        .get();
}

std::optional<TokenRecord> Ledger::revoke_token(std::int64_t id, const AuditRecord& audit) {
    return impl_
        ->write([this, id, audit](Db& db) -> std::optional<TokenRecord> {
            auto token = load_token(db, id);
            if (!token || token->revoked) return token;
            const auto now = impl_->now_ms();
            Stmt s(db, "UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
            s.bind(1, now).bind(2, id).run();
            token->revoked = from_ms(now);
            auto row = audit;
            if (row.subject.empty()) row.subject = "token " + std::to_string(id);
            insert_audit(db, row, now);
            return token;
        })
        .get();
}

std::vector<TokenRecord> Ledger::tokens() const {
    return impl_->read([](Db& db) {
        Stmt s(db, "SELECT " + std::string(kTokenColumns) + " FROM tokens ORDER BY id");
        std::vector<TokenRecord> out;
        while (s.step()) out.push_back(token_from_row(s));
        return out;
    });
}

std::optional<TokenRecord> Ledger::token(std::int64_t id) const {
    return impl_->read([id](Db& db) { return load_token(db, id); });
}

Ledger::WriterStats Ledger::writer_stats() const {
    auto s = impl_->queue->stats();
    WriterStats out{s.batches, s.ops, s.largest_batch, s.durable, s.transaction, s.batch_size, {}, s.sync, {}, {}};
    if (impl_->checkpointer) {
        const auto c = impl_->checkpointer->stats();
        out.checkpoint_thread = c.thread_seconds;
        out.checkpoint_writer = c.writer_seconds;
        out.checkpoint_paced_pages = c.paced_pages;
    }
    std::lock_guard lock(impl_->planning_mutex);
    out.planning = impl_->planning;
    return out;
}

// ---- register operations ------------------------------------------------------------------------

namespace {

std::string operation_text(const OperationRecord& r) {
    namespace json = boost::json;
    json::object o{{"kind", r.kind},
                   {"register", r.register_id},
                   {"amount", r.amount.value()},
                   {"reason", r.reason},
                   {"cashier", r.cashier},
                   {"receipt", r.receipt},
                   {"state", r.state},
                   {"document", r.document_number},
                   {"result", r.result},
                   {"error", r.error},
                   {"by", r.created_by},
                   {"created", to_ms(r.created)},
                   {"updated", to_ms(r.updated)}};
    return std::string(kOperationPrefix) + json::serialize(o);
}

OperationRecord parse_operation(std::string_view text) {
    namespace json = boost::json;
    boost::system::error_code ec;
    auto v = json::parse(text.substr(kOperationPrefix.size()), ec);
    if (ec || !v.is_object()) throw LedgerError(errc::kStorage, "malformed operation record");
    const auto& o = v.as_object();
    const auto str = [&](const char* k) {
        const auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string{};
    };
    const auto num = [&](const char* k) -> std::int64_t {
        const auto* x = o.if_contains(k);
        if (!x) return 0;
        if (const auto* i = x->if_int64()) return *i;
        if (const auto* u = x->if_uint64()) return static_cast<std::int64_t>(*u);
        return 0;
    };
    OperationRecord r;
    r.kind = str("kind");
    r.register_id = str("register");
    r.amount = Kopecks{num("amount")};
    r.reason = str("reason");
    r.cashier = str("cashier");
    r.receipt = num("receipt");
    r.state = str("state");
    r.document_number = static_cast<std::uint64_t>(num("document"));
    r.result = str("result");
    r.error = str("error");
    r.created_by = str("by");
    r.created = from_ms(num("created"));
    r.updated = from_ms(num("updated"));
    return r;
}

std::optional<std::pair<std::string, std::string>> idempotency_row(Db& db, const std::string& key) {
    Stmt s(db, "SELECT request_hash, result FROM idempotency WHERE key = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return std::pair{s.get_text(0), s.get_text(1)};
}

bool operation_final(const std::string& state) { return state == "done" || state == "failed"; }

}  // namespace

Ledger::BegunOperation Ledger::begin_operation(const std::string& key, const std::string& request_hash,
                                               OperationRecord record, std::optional<AuditRecord> audit) {
    if (key.empty()) throw LedgerError(errc::kInvalidArgument, "an idempotency key is required");
    return impl_
        ->write([this, key, request_hash, record = std::move(record), audit = std::move(audit)](Db& db) mutable {
            if (auto row = idempotency_row(db, key)) {
                if (row->first != request_hash || !row->second.starts_with(kOperationPrefix))
                    throw LedgerError(errc::kIdempotencyConflict,
                                      "idempotency key was already used with a different request");
                return BegunOperation{parse_operation(row->second), true};
            }
            const auto now = impl_->now_ms();
            record.state = "planned";
            record.created = record.updated = from_ms(now);
            Stmt s(db, "INSERT INTO idempotency (key, request_hash, result, created_ms) VALUES (?, ?, ?, ?)");
            s.bind(1, key).bind(2, request_hash).bind(3, operation_text(record)).bind(4, now).run();
            if (audit) insert_audit(db, *audit, now);
            return BegunOperation{std::move(record), false};
        })
        .get();
}

void Ledger::update_operation(const std::string& key, const OperationRecord& record) {
    impl_
        ->write([this, key, record](Db& db) {
            auto row = idempotency_row(db, key);
            if (!row || !row->second.starts_with(kOperationPrefix))
                throw LedgerError(errc::kNotFound, "no operation " + key);
            const auto before = parse_operation(row->second);
            if (operation_final(before.state))
                throw LedgerError(errc::kIllegalTransition,
                                  "operation " + key + " is " + before.state + " already: it never changes again");
            auto next = record;
            next.created = before.created;
            next.updated = from_ms(impl_->now_ms());
            Stmt s(db, "UPDATE idempotency SET result = ? WHERE key = ?");
            s.bind(1, operation_text(next)).bind(2, key).run();
        })
        .get();
}

std::optional<OperationRecord> Ledger::operation(const std::string& key) const {
    return impl_->read([&](Db& db) -> std::optional<OperationRecord> {
        auto row = idempotency_row(db, key);
        if (!row || !row->second.starts_with(kOperationPrefix)) return std::nullopt;
        return parse_operation(row->second);
    });
}

std::vector<std::pair<std::string, OperationRecord>> Ledger::unfinished_operations() const {
    return impl_->read([](Db& db) {
        std::vector<std::pair<std::string, OperationRecord>> out;
        // A scan of the idempotency table, once at start: operations are the rows with this prefix.
        Stmt s(db, "SELECT key, result FROM idempotency WHERE result LIKE 'op %' ORDER BY created_ms");
        while (s.step()) {
            auto r = parse_operation(s.get_text(1));
            if (r.state == "planned" || r.state == "sending") out.emplace_back(s.get_text(0), std::move(r));
        }
        return out;
    });
}

}  // namespace kassa::ledger
