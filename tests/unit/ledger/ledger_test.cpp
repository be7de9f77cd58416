// The Ledger API: receipt life in the store, idempotency, views, outbox, audit, recovery, backup.
#include "ledger/ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>
#include <tuple>

#include "ledger/detail/sqlite.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using namespace kassa::fiscal;
using namespace std::chrono_literals;
using testing::TempDb;

Order order_123() {
    return Order{"123",
                 "C1",
                 "7700000000",
                 {OrderLine{"A", "Товар А", Quantity::whole(2), 0, Kopecks{150000}, VatClass::Vat22, subject::kGoods},
                  OrderLine{"B", "Товар Б", Quantity::whole(1), 0, Kopecks{700000}, VatClass::Vat22, subject::kGoods}}};
}

// A prepayment receipt for order 123: confirming it adds `amount` to the order's prepaid account.
PlannedReceipt prepayment(std::int64_t amount) {
    PlannedReceipt p;
    p.receipt.sign = CalcSign::Income;
    p.receipt.lines.push_back(ReceiptLine{"Предоплата по заказу №123", Quantity::whole(1), 0, Kopecks{amount},
                                          Kopecks{amount}, PaymentMethod::PartialPrepayment, subject::kGoods,
                                          VatClass::Vat22, 12, Kopecks{0}, ""});
    p.receipt.payments.electronic = Kopecks{amount};
    p.receipt.total = Kopecks{amount};
    p.customer = "C1";
    p.orders = {"123"};
    p.balance_moves = {{Account::OrderPrepaid, "123", Kopecks{amount}}};
    return p;
}

// An advance receipt: confirming it adds `amount` to the customer's advance balance.
PlannedReceipt advance(const std::string& customer, std::int64_t amount) {
    PlannedReceipt p;
    p.receipt.lines.push_back(ReceiptLine{"Аванс", Quantity::whole(1), 0, Kopecks{amount}, Kopecks{amount},
                                          PaymentMethod::Advance, subject::kPayment, VatClass::Vat22, 12, Kopecks{0},
                                          ""});
    p.receipt.payments.cash = Kopecks{amount};
    p.receipt.total = Kopecks{amount};
    p.customer = customer;
    p.balance_moves = {{Account::CustomerAdvance, customer, Kopecks{amount}}};
    return p;
}

FiscalResult fiscal_result(std::uint64_t fd, std::uint32_t shift = 7) {
    return FiscalResult{fd,
                        3'000'000'000ull + fd,
                        "9999078900012345",
                        shift,
                        static_cast<std::uint32_t>(fd),
                        TimePoint{std::chrono::seconds{1'790'000'000}},
                        "t=20260923T1200&s=3000.00&fn=9999078900012345"};
}

class LedgerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ledger_ = Ledger::open(file_.path(), clock_);
        ledger_->upsert_entity({"7700000000", "OOO Romashka"});
        ledger_->upsert_register({"kkt1", "7700000000", "sim://1", true});
        ledger_->upsert_register({"kkt2", "7700000000", "sim://2", true});
        ledger_->upsert_order(order_123());
    }

    StoredPlan store(const std::string& key, std::vector<PlannedReceipt> receipts, const std::string& reg = "kkt1",
                     const std::string& hash = "h") {
        StorePlanRequest req;
        req.idempotency_key = key;
        req.request_hash = hash;
        req.register_id = reg;
        req.plan.receipts = std::move(receipts);
        return ledger_->store_plan(req);
    }

    ReceiptState state_of(ReceiptId id) { return ledger_->receipt(id).value().state; }

    template <class F>
    std::string error_code(F f) {
        try {
            f();
        } catch (const LedgerError& e) {
            return e.code();
        }
        return "no error";
    }

    TempDb file_;
    ManualClock clock_;
    std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, StoredPlanIsPlannedAndRoundTrips) {
    const auto stored = store("k1", {prepayment(300000), advance("C1", 5)});
    ASSERT_EQ(stored.receipts.size(), 2u);
    EXPECT_FALSE(stored.replayed);
    const auto r = ledger_->receipt(stored.receipts[0]).value();
    EXPECT_EQ(r.state, ReceiptState::Planned);
    EXPECT_EQ(r.register_id, "kkt1");
    EXPECT_EQ(r.planned, prepayment(300000));
    EXPECT_EQ(r.created, clock_.now());
    EXPECT_FALSE(r.fiscal.has_value());
    EXPECT_LT(stored.receipts[0], stored.receipts[1]);
}

TEST_F(LedgerTest, BalancesMoveOnlyWhenConfirmed) {
    const auto id = store("k1", {prepayment(300000)}).receipts[0];
    EXPECT_EQ(ledger_->order_facts("123").prepaid, Kopecks{0});
    ledger_->mark_sending(id);
    EXPECT_EQ(ledger_->order_facts("123").prepaid, Kopecks{0});
    ledger_->mark_confirmed(id, fiscal_result(41));
    EXPECT_EQ(ledger_->order_facts("123").prepaid, Kopecks{300000});
    const auto r = ledger_->receipt(id).value();
    EXPECT_EQ(r.state, ReceiptState::Confirmed);
    EXPECT_EQ(r.fiscal, fiscal_result(41));
    const auto view = ledger_->customer_view("C1");
    ASSERT_EQ(view.history.size(), 1u);
    EXPECT_EQ(view.history[0].receipt, id);
    EXPECT_EQ(view.history[0].account, Account::OrderPrepaid);
    EXPECT_EQ(view.history[0].delta, Kopecks{300000});
}

TEST_F(LedgerTest, FailedReceiptsMoveNothing) {
    const auto ids = store("k1", {advance("C1", 1), advance("C1", 2), advance("C1", 4)}).receipts;
    ledger_->mark_failed(ids[0], "device refused: wrong VAT");
    ledger_->mark_sending(ids[1]);
    ledger_->mark_failed(ids[1], "paper out before fiscalising");
    ledger_->mark_sending(ids[2]);
    ledger_->mark_uncertain(ids[2], "link lost");
    ledger_->mark_failed(ids[2], "not in the fiscal storage");
    for (auto id : ids) EXPECT_EQ(state_of(id), ReceiptState::Failed);
    EXPECT_EQ(ledger_->receipt(ids[0])->error, "device refused: wrong VAT");
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{0});
    EXPECT_TRUE(ledger_->customer_view("C1").history.empty());
}

TEST_F(LedgerTest, OnlyAPlannedReceiptMovesToAnotherRegisterOfItsEntity) {
    ledger_->upsert_entity({"7709876543", "OOO Vasilek"});
    ledger_->upsert_register({"other-entity", "7709876543", "sim://3", true});
    const auto ids = store("k1", {advance("C1", 1), advance("C1", 2)}).receipts;
    EXPECT_TRUE(ledger_->reassign(ids[0], "kkt2"));
    EXPECT_EQ(ledger_->receipt(ids[0])->register_id, "kkt2");
    EXPECT_FALSE(ledger_->reassign(ids[0], "other-entity")) << "a receipt never changes legal entity";
    EXPECT_EQ(ledger_->receipt(ids[0])->register_id, "kkt2");
    ledger_->mark_sending(ids[1]);
    EXPECT_FALSE(ledger_->reassign(ids[1], "kkt2")) << "a receipt that may have reached a device stays";
    EXPECT_EQ(ledger_->receipt(ids[1])->register_id, "kkt1");
}

TEST_F(LedgerTest, UncertainResolvedAsConfirmedAppliesMoves) {
    const auto id = store("k1", {advance("C1", 500)}).receipts[0];
    ledger_->mark_sending(id);
    ledger_->mark_uncertain(id, "timeout");
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{0});
    ledger_->mark_confirmed(id, fiscal_result(5));
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{500});
}

TEST_F(LedgerTest, IllegalTransitionsAreRefusedAndChangeNothing) {
    const auto ids = store("k1", {advance("C1", 1), advance("C1", 2)}).receipts;
    EXPECT_EQ(error_code([&] { ledger_->mark_confirmed(ids[0], fiscal_result(1)); }), "illegal_transition");
    EXPECT_EQ(error_code([&] { ledger_->mark_uncertain(ids[0], "x"); }), "illegal_transition");
    EXPECT_EQ(state_of(ids[0]), ReceiptState::Planned);
    ledger_->mark_sending(ids[0]);
    EXPECT_EQ(error_code([&] { ledger_->mark_sending(ids[0]); }), "illegal_transition");
    ledger_->mark_confirmed(ids[0], fiscal_result(1));
    EXPECT_EQ(error_code([&] { ledger_->mark_confirmed(ids[0], fiscal_result(1)); }), "illegal_transition");
    EXPECT_EQ(error_code([&] { ledger_->mark_failed(ids[0], "late"); }), "illegal_transition");
    EXPECT_EQ(error_code([&] { ledger_->mark_sending(ids[0]); }), "illegal_transition");
    // A refused second confirmation does not journal twice.
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{1});
    ledger_->mark_failed(ids[1], "refused");
    EXPECT_EQ(error_code([&] { ledger_->mark_sending(ids[1]); }), "illegal_transition");
    EXPECT_EQ(error_code([&] { ledger_->mark_sending(999999); }), "not_found");
}

TEST_F(LedgerTest, SameKeySameRequestReturnsTheFirstResult) {
    const auto first = store("pay-1", {prepayment(300000)}, "kkt1", "hash-A");
    const auto again = store("pay-1", {prepayment(300000)}, "kkt1", "hash-A");
    EXPECT_TRUE(again.replayed);
    EXPECT_EQ(again.receipts, first.receipts);
    EXPECT_EQ(ledger_->receipts({}).size(), 1u);
}

TEST_F(LedgerTest, SameKeyDifferentRequestIsAConflict) {
    store("pay-1", {prepayment(300000)}, "kkt1", "hash-A");
    EXPECT_EQ(error_code([&] { store("pay-1", {prepayment(400000)}, "kkt1", "hash-B"); }), "idempotency_conflict");
    EXPECT_EQ(ledger_->receipts({}).size(), 1u);
}

TEST_F(LedgerTest, ConcurrentRequestsWithOneKeyStoreOnePlan) {
    std::vector<std::future<StoredPlan>> futures;
    for (int i = 0; i < 16; ++i) {
        StorePlanRequest req{"same-key", "hash", "kkt1", Plan{{advance("C1", 10)}}, std::nullopt};
        futures.push_back(ledger_->store_plan_async(std::move(req)));
    }
    std::vector<ReceiptId> ids;
    int replays = 0;
    for (auto& f : futures) {
        const auto s = f.get();
        replays += s.replayed ? 1 : 0;
        ids.push_back(s.receipts.at(0));
    }
    EXPECT_EQ(replays, 15);
    for (auto id : ids) EXPECT_EQ(id, ids[0]);
    EXPECT_EQ(ledger_->receipts({}).size(), 1u);
}

TEST_F(LedgerTest, RefusedPlanLeavesNothingBehindAndFreesTheKey) {
    PlannedReceipt bad = prepayment(1);
    bad.orders = {"no-such-order"};
    EXPECT_EQ(error_code([&] { store("k", {advance("C1", 1), bad}); }), "unknown_order");
    EXPECT_EQ(error_code([&] { store("k", {advance("C1", 1)}, "kkt-none"); }), "unknown_register");
    EXPECT_EQ(error_code([&] { store("", {advance("C1", 1)}); }), "invalid_argument");
    EXPECT_EQ(error_code([&] { store("k", {}); }), "invalid_argument");
    EXPECT_TRUE(ledger_->receipts({}).empty());
    EXPECT_FALSE(store("k", {advance("C1", 1)}).replayed);
}

TEST_F(LedgerTest, PlanAndStoreGivesThePlannerFactsAndStoresItsPlan) {
    const auto pre = store("pre", {prepayment(300000), advance("C1", 70)}).receipts;
    ledger_->mark_sending(pre[0]);
    ledger_->mark_confirmed(pre[0], fiscal_result(1));
    int calls = 0;
    auto planner = [&](const PlanningFacts& f) -> Result<Plan> {
        ++calls;
        EXPECT_EQ(f.orders.at("123").prepaid, Kopecks{300000});
        EXPECT_EQ(f.customers.at("C1").advance_balance, Kopecks{0});  // the advance is not confirmed
        EXPECT_EQ(f.in_flight, std::vector<ReceiptId>{pre[1]});
        return Plan{{advance("C1", 5)}};
    };
    const PlanRequest req{"k", "h", "kkt1", {"123"}, {"C1"}, std::nullopt};
    const auto stored = ledger_->plan_and_store(req, planner);
    ASSERT_EQ(stored.receipts.size(), 1u);
    EXPECT_EQ(ledger_->receipt(stored.receipts[0])->planned, advance("C1", 5));
    // A replay returns the first result without planning again.
    EXPECT_EQ(ledger_->plan_and_store(req, planner).receipts, stored.receipts);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(error_code([&] {
                  ledger_->plan_and_store({"k", "other", "kkt1", {}, {}, std::nullopt}, planner);
              }),
              "idempotency_conflict");
    EXPECT_EQ(error_code([&] {
                  ledger_->plan_and_store({"k2", "h", "kkt1", {"nope"}, {}, std::nullopt}, planner);
              }),
              "not_found");
}

TEST_F(LedgerTest, PlannerErrorsReachTheCallerAndStoreNothing) {
    auto refuse = [](const PlanningFacts&) -> Result<Plan> {
        return fail("insufficient_advance", "the customer has no advance");
    };
    EXPECT_EQ(error_code([&] {
                  ledger_->plan_and_store({"k", "h", "kkt1", {}, {"C1"}, std::nullopt}, refuse);
              }),
              "insufficient_advance");
    EXPECT_TRUE(ledger_->receipts({}).empty());
    // The key was not consumed.
    const auto ok =
        ledger_->plan_and_store({"k", "h", "kkt1", {}, {"C1"}, std::nullopt},
                                [](const PlanningFacts&) -> Result<Plan> { return Plan{{advance("C1", 1)}}; });
    EXPECT_FALSE(ok.replayed);
}

// Eight couriers spend the same advance at once: the planner runs inside the writer's transaction,
// so exactly one of them sees the advance free; the others see its receipt in flight.
TEST_F(LedgerTest, ConcurrentPlansForOneCustomerAreSerialised) {
    const auto a = store("adv", {advance("C1", 100)}).receipts[0];
    ledger_->mark_sending(a);
    ledger_->mark_confirmed(a, fiscal_result(1));
    std::vector<std::future<StoredPlan>> futures;
    for (int i = 0; i < 8; ++i) {
        futures.push_back(
            ledger_->plan_and_store_async({"spend-" + std::to_string(i), "h", "kkt1", {}, {"C1"}, std::nullopt},
                                          [](const PlanningFacts& f) -> Result<Plan> {
                                              if (!f.in_flight.empty())
                                                  return fail("receipt_in_flight", "wait for the previous receipt");
                                              if (f.customers.at("C1").advance_balance < Kopecks{100})
                                                  return fail("insufficient_advance", "");
                                              PlannedReceipt spend;
                                              spend.customer = "C1";
                                              spend.balance_moves = {{Account::CustomerAdvance, "C1", Kopecks{-100}}};
                                              return Plan{{spend}};
                                          }));
    }
    int stored = 0;
    int refused = 0;
    for (auto& f : futures) {
        try {
            f.get();
            ++stored;
        } catch (const LedgerError& e) {
            EXPECT_EQ(e.code(), "receipt_in_flight");
            ++refused;
        }
    }
    EXPECT_EQ(stored, 1);
    EXPECT_EQ(refused, 7);
}

TEST_F(LedgerTest, PaymentIsStoredWithItsAllocations) {
    StorePlanRequest req{"pay", "h", "kkt1", Plan{{prepayment(300000)}},
                         IncomingPayment{"bank-77", "C1", Kopecks{0}, Kopecks{300000}, {{"123", Kopecks{300000}}}}};
    const auto id = ledger_->store_plan(req).receipts[0];
    detail::Db db(file_.path(), detail::Db::Mode::ReadWrite);
    EXPECT_EQ(db.scalar_int("SELECT receipt_id FROM payments WHERE id = 'bank-77'"), id);
    EXPECT_EQ(db.scalar_int("SELECT amount FROM payment_allocations WHERE payment_id = 'bank-77'"), 300000);
}

TEST_F(LedgerTest, ConfirmAppliesReturnsAndOrderStates) {
    PlannedReceipt delivery;
    delivery.customer = "C1";
    delivery.orders = {"123"};
    delivery.receipt.total = Kopecks{1000000};
    delivery.balance_moves = {{Account::OrderCredit, "123", Kopecks{600000}}};
    delivery.state_moves = {{"123", OrderState::Delivered}};
    PlannedReceipt ret;
    ret.customer = "C1";
    ret.orders = {"123"};
    ret.receipt.sign = CalcSign::IncomeReturn;
    ret.return_moves = {{"123", "A", Quantity::whole(1)}};
    const auto ids = store("k", {delivery, ret}).receipts;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ledger_->mark_sending(ids[i]);
        ledger_->mark_confirmed(ids[i], fiscal_result(10 + i));
    }
    const auto view = ledger_->order_view("123");
    EXPECT_EQ(view.facts.state, OrderState::Delivered);
    EXPECT_EQ(view.facts.credit_owed, Kopecks{600000});
    EXPECT_EQ(view.facts.returned.at("A"), Quantity::whole(1));
    EXPECT_EQ(view.total, Kopecks{1000000});
    EXPECT_EQ(view.delivered, Kopecks{1000000});
    EXPECT_EQ(view.returned, Kopecks{150000});
    EXPECT_EQ(view.owed, Kopecks{600000});
    EXPECT_EQ(view.receipts.size(), 2u);
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(order_123()); }), "order_closed");
    EXPECT_EQ(error_code([&] { ledger_->order_view("nope"); }), "not_found");
}

TEST_F(LedgerTest, OpenOrderOwesWhatIsNotPrepaid) {
    const auto id = store("k", {prepayment(300000)}).receipts[0];
    ledger_->mark_sending(id);
    ledger_->mark_confirmed(id, fiscal_result(1));
    const auto view = ledger_->order_view("123");
    EXPECT_EQ(view.facts.prepaid, Kopecks{300000});
    EXPECT_EQ(view.owed, Kopecks{700000});
    EXPECT_EQ(view.delivered, Kopecks{0});
}

TEST_F(LedgerTest, ACourierListsTheOrdersAssignedForADayAndReplacingClearsTheFields) {
    const OrderDelivery petrov{"courier-petrov", "2026-12-02", "г. Москва, ул. Садовая, д. 5", "+79990001122"};
    ledger_->upsert_order(order_123(), petrov);
    auto other = order_123();
    other.id = "124";
    ledger_->upsert_order(other, OrderDelivery{"courier-ivanov", "2026-12-02", "", ""});
    EXPECT_EQ(ledger_->order_view("123").delivery, petrov);
    EXPECT_EQ(ledger_->courier_orders("courier-petrov", "2026-12-02"), std::vector<std::string>{"123"});
    EXPECT_TRUE(ledger_->courier_orders("courier-petrov", "2026-12-03").empty());
    EXPECT_TRUE(ledger_->courier_orders("", "").empty());
    // PUT replaces the order as a whole: fields left out are cleared.
    ledger_->upsert_order(order_123());
    EXPECT_EQ(ledger_->order_view("123").delivery, OrderDelivery{});
    EXPECT_TRUE(ledger_->courier_orders("courier-petrov", "2026-12-02").empty());
}

TEST_F(LedgerTest, AnOrderWithReceiptsKeepsItsEntityAndCustomer) {
    ledger_->upsert_entity({"7800000000", "OOO Other"});
    // Without receipts an open order may still move.
    auto moved = order_123();
    moved.entity_inn = "7800000000";
    ledger_->upsert_order(moved);
    ledger_->upsert_order(order_123());
    const auto id = store("k", {prepayment(300000)}).receipts[0];
    // A receipt only planned already pins them: its money goes to this entity's FN.
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(moved); }), "order_has_receipts");
    auto other_customer = order_123();
    other_customer.customer = "C2";
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(other_customer); }), "order_has_receipts");
    ledger_->mark_sending(id);
    ledger_->mark_failed(id, "refused");
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(moved); }), "order_has_receipts");
    const auto facts = ledger_->order_facts("123");
    EXPECT_EQ(facts.order.entity_inn, "7700000000");
    EXPECT_EQ(facts.order.customer, "C1");
}

TEST_F(LedgerTest, LinesOfAPrepaidOrderCannotDropBelowThePrepayment) {
    const auto id = store("k", {prepayment(300000)}).receipts[0];
    auto cheaper = order_123();
    cheaper.lines.pop_back();                        // 3 000.00 left of 10 000.00
    cheaper.lines[0].quantity = Quantity::whole(1);  // 1 500.00
    // While the prepayment is being printed the lines stay as they are.
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(cheaper); }), "order_busy");
    ledger_->upsert_order(order_123());  // the same lines are no change
    ledger_->mark_sending(id);
    ledger_->mark_confirmed(id, fiscal_result(1));
    EXPECT_EQ(error_code([&] { ledger_->upsert_order(cheaper); }), "below_prepaid");
    EXPECT_EQ(ledger_->order_facts("123").order.lines, order_123().lines);
    cheaper.lines[0].quantity = Quantity::whole(2);  // exactly what is prepaid: allowed
    ledger_->upsert_order(cheaper);
    EXPECT_EQ(ledger_->order_view("123").total, Kopecks{300000});
}

TEST_F(LedgerTest, CustomerEntitiesComeFromOrdersAndReceipts) {
    EXPECT_EQ(ledger_->customer_entities("C1"), std::vector<std::string>{"7700000000"});
    EXPECT_TRUE(ledger_->customer_entities("nobody").empty());
    store("adv", {advance("C9", 100)});
    EXPECT_EQ(ledger_->customer_entities("C9"), std::vector<std::string>{"7700000000"});
}

TEST_F(LedgerTest, TheFilesAreTheOwnersOnly) {
    ledger_->audit(AuditRecord{.actor = "t", .action = "write", .subject = "", .address = "", .detail = ""});
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const auto perms = std::filesystem::status(file_.path() + suffix).permissions();
        EXPECT_EQ(perms & std::filesystem::perms::all,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
            << suffix;
    }
}

TEST_F(LedgerTest, ReceiptsAreListedByStateRegisterOrderAndTime) {
    const auto a = store("a", {prepayment(1)}, "kkt1").receipts[0];
    clock_.advance(10s);
    const auto b = store("b", {advance("C2", 1)}, "kkt2").receipts[0];
    ledger_->mark_sending(b);
    auto ids = [](const std::vector<ReceiptRecord>& v) {
        std::vector<ReceiptId> out;
        for (const auto& r : v) out.push_back(r.id);
        return out;
    };
    EXPECT_EQ(ids(ledger_->receipts({})), (std::vector<ReceiptId>{a, b}));
    EXPECT_EQ(ids(ledger_->receipts({.state = ReceiptState::Sending})), std::vector<ReceiptId>{b});
    EXPECT_EQ(ids(ledger_->receipts({.register_id = "kkt1"})), std::vector<ReceiptId>{a});
    EXPECT_EQ(ids(ledger_->receipts({.order = "123"})), std::vector<ReceiptId>{a});
    EXPECT_EQ(ids(ledger_->receipts({.from = clock_.now()})), std::vector<ReceiptId>{b});
    EXPECT_EQ(ids(ledger_->receipts({.to = clock_.now()})), std::vector<ReceiptId>{a});
    EXPECT_EQ(ids(ledger_->receipts({.limit = 1})), std::vector<ReceiptId>{a});
}

TEST_F(LedgerTest, ReceiptsArePagedByIdEitherWay) {
    std::vector<ReceiptId> all;
    for (int i = 0; i < 7; ++i) {
        const auto r = store("p" + std::to_string(i), {prepayment(1 + i)}, i % 2 ? "kkt2" : "kkt1").receipts;
        all.insert(all.end(), r.begin(), r.end());
    }
    // Oldest first, three at a time: every id once, in order, whatever the page size.
    std::vector<ReceiptId> walked;
    ReceiptQuery q{.limit = 3};
    for (;;) {
        const auto page = ledger_->receipts(q);
        for (const auto& r : page) walked.push_back(r.id);
        if (page.size() < q.limit) break;
        q.after_id = page.back().id;
    }
    EXPECT_EQ(walked, all);
    // Newest first, from below a given id, with a filter.
    std::vector<ReceiptId> kkt1;
    for (std::size_t i = 0; i < all.size(); i += 2) kkt1.push_back(all[i]);
    const auto desc =
        ledger_->receipts({.register_id = "kkt1", .limit = 2, .after_id = kkt1.back(), .newest_first = true});
    ASSERT_EQ(desc.size(), 2u);
    EXPECT_EQ(desc[0].id, kkt1[kkt1.size() - 2]);
    EXPECT_EQ(desc[1].id, kkt1[kkt1.size() - 3]);
}

TEST_F(LedgerTest, ShiftJournalListsConfirmedReceiptsAndTheirEntries) {
    const auto ids = store("k", {advance("C1", 100), advance("C1", 200), advance("C1", 400)}).receipts;
    for (auto id : ids) ledger_->mark_sending(id);
    ledger_->mark_confirmed(ids[1], fiscal_result(21, 7));
    ledger_->mark_confirmed(ids[0], fiscal_result(22, 7));
    ledger_->mark_confirmed(ids[2], fiscal_result(23, 8));
    const auto j = ledger_->shift_journal("kkt1", 7);
    ASSERT_EQ(j.receipts.size(), 2u);
    EXPECT_EQ(j.receipts[0].id, ids[1]);  // by fiscal document number
    EXPECT_EQ(j.receipts[1].id, ids[0]);
    ASSERT_EQ(j.entries.size(), 2u);
    EXPECT_EQ(j.entries[0].delta.value() + j.entries[1].delta.value(), 300);
    EXPECT_TRUE(ledger_->shift_journal("kkt2", 7).receipts.empty());
}

TEST_F(LedgerTest, ReopenReportsReceiptsToReconcilePerRegister) {
    const auto a = store("a", {advance("C1", 1), advance("C1", 2)}, "kkt1").receipts;
    const auto b = store("b", {advance("C1", 3)}, "kkt2").receipts;
    ledger_->mark_sending(a[0]);
    ledger_->mark_sending(a[1]);
    ledger_->mark_uncertain(a[1], "link");
    ledger_->mark_sending(b[0]);
    ledger_->mark_confirmed(b[0], fiscal_result(1));
    EXPECT_TRUE(ledger_->recovery().empty());
    ledger_.reset();
    ledger_ = Ledger::open(file_.path(), clock_);
    const auto& report = ledger_->recovery();
    ASSERT_EQ(report.size(), 1u);
    ASSERT_EQ(report.at("kkt1").size(), 2u);
    EXPECT_EQ(report.at("kkt1")[0].state, ReceiptState::Sending);
    EXPECT_EQ(report.at("kkt1")[1].state, ReceiptState::Uncertain);
    EXPECT_EQ(ledger_->receipts_to_reconcile("kkt2").size(), 0u);
    ledger_->mark_confirmed(a[0], fiscal_result(2));
    EXPECT_EQ(ledger_->receipts_to_reconcile("kkt1").at("kkt1").size(), 1u);
}

TEST_F(LedgerTest, OutboxClaimsMarksAndRetries) {
    const auto receipt = store("k", {advance("C1", 1)}).receipts[0];
    const auto m1 = ledger_->outbox_enqueue("e_receipt", receipt, R"({"to":"masked"})");
    const auto m2 = ledger_->outbox_enqueue("callback", std::nullopt, "{}");
    auto claimed = ledger_->outbox_claim(10, 30s);
    ASSERT_EQ(claimed.size(), 2u);
    EXPECT_EQ(claimed[0].id, m1);
    EXPECT_EQ(claimed[0].receipt, receipt);
    EXPECT_EQ(claimed[0].attempts, 1);
    EXPECT_TRUE(ledger_->outbox_claim(10, 30s).empty());  // leased
    ledger_->outbox_mark_sent(m1);
    ledger_->outbox_mark_failed(m2, "smtp 451", 60s);
    EXPECT_EQ(error_code([&] { ledger_->outbox_mark_sent(m1); }), "not_found");
    clock_.advance(59s);
    EXPECT_TRUE(ledger_->outbox_claim(10, 30s).empty());
    clock_.advance(1s);
    claimed = ledger_->outbox_claim(10, 30s);
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, m2);
    EXPECT_EQ(claimed[0].attempts, 2);
    EXPECT_EQ(claimed[0].last_error, "smtp 451");
    // The claimant dies: after the lease the message comes back.
    clock_.advance(31s);
    EXPECT_EQ(ledger_->outbox_claim(10, 30s).size(), 1u);
}

TEST_F(LedgerTest, ConfirmationEnqueuesItsNotificationsAtomically) {
    const auto ids = store("k", {advance("C1", 1), advance("C1", 2)}).receipts;
    for (auto id : ids) ledger_->mark_sending(id);
    ledger_->mark_confirmed(ids[0], fiscal_result(1), {{"e_receipt", "{}"}, {"callback", "{}"}});
    // A confirmation that is refused enqueues nothing.
    EXPECT_EQ(error_code([&] {
                  ledger_->mark_confirmed(ids[0], fiscal_result(1), {{"e_receipt", "{}"}});
              }),
              "illegal_transition");
    // Nor does one whose notification is malformed: the whole confirmation rolls back.
    EXPECT_EQ(error_code([&] { ledger_->mark_confirmed(ids[1], fiscal_result(2), {{"", "{}"}}); }), "invalid_argument");
    EXPECT_EQ(state_of(ids[1]), ReceiptState::Sending);
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{1});
    const auto claimed = ledger_->outbox_claim(10, 30s);
    ASSERT_EQ(claimed.size(), 2u);
    EXPECT_EQ(claimed[0].kind, "e_receipt");
    EXPECT_EQ(claimed[0].receipt, ids[0]);
    EXPECT_EQ(claimed[1].kind, "callback");
}

TEST_F(LedgerTest, APaymentIsRecordedOnce) {
    auto req = [](const std::string& key) {
        return StorePlanRequest{key, key, "kkt1", Plan{{prepayment(1)}},
                                IncomingPayment{"bank-1", "C1", Kopecks{1}, Kopecks{0}, {{"123", Kopecks{1}}}}};
    };
    ledger_->store_plan(req("a"));
    EXPECT_EQ(error_code([&] { ledger_->store_plan(req("b")); }), "duplicate_payment");
    EXPECT_EQ(ledger_->receipts({}).size(), 1u);
}

TEST_F(LedgerTest, AuditIsAppendedNewestFirst) {
    ledger_->audit({0, {}, "courier-7", "delivery", "123", "10.0.0.5", ""});
    clock_.advance(1s);
    ledger_->audit({0, {}, "admin", "receipt.raw", "", "127.0.0.1", "reason: test"});
    const auto log = ledger_->audit_log();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].actor, "admin");
    EXPECT_EQ(log[1].subject, "123");
    EXPECT_EQ(log[1].address, "10.0.0.5");
    EXPECT_EQ(log[0].at - log[1].at, 1s);
    detail::Db db(file_.path(), detail::Db::Mode::ReadWrite);
    EXPECT_THROW(db.exec("DELETE FROM audit"), LedgerError);
}

TEST_F(LedgerTest, JournalIsAppendOnly) {
    const auto id = store("k", {advance("C1", 1)}).receipts[0];
    ledger_->mark_sending(id);
    ledger_->mark_confirmed(id, fiscal_result(1));
    detail::Db db(file_.path(), detail::Db::Mode::ReadWrite);
    EXPECT_THROW(db.exec("UPDATE journal SET delta = 100"), LedgerError);
    EXPECT_THROW(db.exec("DELETE FROM journal"), LedgerError);
}

TEST_F(LedgerTest, SchemaRefusesEntriesForUnconfirmedReceiptsAndLeavingFinalStates) {
    const auto ids = store("k", {advance("C1", 1), advance("C1", 2)}).receipts;
    ledger_->mark_sending(ids[0]);
    ledger_->mark_confirmed(ids[0], fiscal_result(1));
    ledger_->mark_failed(ids[1], "refused");
    detail::Db db(file_.path(), detail::Db::Mode::ReadWrite);
    const auto planned = store("k2", {advance("C1", 3)}).receipts[0];
    EXPECT_THROW(db.exec("INSERT INTO journal (receipt_id, account, owner, customer, delta, created_ms) VALUES (" +
                         std::to_string(planned) + ", 'customer_advance', 'C1', 'C1', 3, 0)"),
                 LedgerError);
    EXPECT_THROW(db.exec("INSERT INTO returns (receipt_id, order_id, sku, qty_micro) VALUES (" +
                         std::to_string(planned) + ", '123', 'A', 1)"),
                 LedgerError);
    EXPECT_THROW(db.exec("UPDATE receipts SET state = 'planned' WHERE id = " + std::to_string(ids[0])), LedgerError);
    EXPECT_THROW(db.exec("UPDATE receipts SET state = 'sending' WHERE id = " + std::to_string(ids[1])), LedgerError);
}

TEST_F(LedgerTest, BackupRestoresToTheSameState) {
    const auto ids = store("k", {prepayment(300000), advance("C1", 50)}).receipts;
    for (auto id : ids) ledger_->mark_sending(id);
    ledger_->mark_confirmed(ids[0], fiscal_result(1));
    ledger_->mark_uncertain(ids[1], "link");
    TempDb copy("-backup");
    // Writes keep going while the backup runs.
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; !stop; ++i) store("bg-" + std::to_string(i), {advance("C9", 1)});
    });
    ledger_->backup(copy.path());
    stop = true;
    writer.join();

    auto restored = Ledger::open(copy.path(), clock_);
    EXPECT_EQ(restored->order_facts("123").prepaid, Kopecks{300000});
    EXPECT_EQ(restored->receipt(ids[0])->fiscal, fiscal_result(1));
    EXPECT_EQ(restored->recovery().at("kkt1").size(), 1u);
    EXPECT_EQ(restored->registers().size(), 2u);
    // The copy is a working ledger: the uncertain receipt can be resolved there.
    restored->mark_confirmed(ids[1], fiscal_result(2));
    EXPECT_EQ(restored->customer_facts("C1").advance_balance, Kopecks{50});
    restored.reset();
    detail::Db db(copy.path(), detail::Db::Mode::ReadWrite);
    EXPECT_EQ(db.scalar_text("PRAGMA integrity_check"), "ok");
}

TEST_F(LedgerTest, CustomersKeepTheirContact) {
    ledger_->upsert_customer({"C5", "Ivan", "+79001234567"});
    EXPECT_EQ(ledger_->customer("C5")->contact, "+79001234567");
    EXPECT_FALSE(ledger_->customer("C6").has_value());
    EXPECT_EQ(ledger_->customer_facts("C6").advance_balance, Kopecks{0});
}

}  // namespace
}  // namespace kassa::ledger

namespace kassa::ledger {
namespace {

// Issue 10: an advance is held by the legal entity whose register took the money. Entity B's plan
// sees none of what entity A received, in plan_and_store's facts and in the customer's view.
TEST_F(LedgerTest, AnAdvanceIsHeldByTheEntityWhoseRegisterTookIt) {
    ledger_->upsert_entity({"7711111111", "OOO Vasilek"});
    ledger_->upsert_register({"kkt-b", "7711111111", "sim://b", true});
    const auto a = store("adv-a", {advance("C1", 500)}, "kkt1").receipts[0];
    ledger_->mark_sending(a);
    ledger_->mark_confirmed(a, fiscal_result(1));

    EXPECT_EQ(ledger_->customer_facts("C1", "7700000000").advance_balance, Kopecks{500});
    EXPECT_EQ(ledger_->customer_facts("C1", "7711111111").advance_balance, Kopecks{0});
    EXPECT_EQ(ledger_->customer_facts("C1").advance_balance, Kopecks{500}) << "every entity's together";

    Kopecks seen_by_b{-1};
    PlanRequest b;
    b.idempotency_key = "use-b";
    b.request_hash = "h";
    b.register_id = "kkt-b";
    b.entity_inn = "7711111111";
    b.customers = {"C1"};
    ledger_->plan_and_store(b, [&](const PlanningFacts& f) -> Result<Plan> {
        seen_by_b = f.customers.at("C1").advance_balance;
        return Plan{{advance("C1", 100)}};
    });
    EXPECT_EQ(seen_by_b, Kopecks{0}) << "entity B must not offset what entity A's FN received";

    const auto view = ledger_->customer_view("C1");
    EXPECT_EQ(view.advance_by_entity, (std::map<std::string, Kopecks>{{"7700000000", Kopecks{500}}}));
    ASSERT_EQ(view.history.size(), 1u);
    EXPECT_EQ(view.history[0].entity_inn, "7700000000");
}

// The audit row of a planned event is written in the plan's own transaction, once.
TEST_F(LedgerTest, PlanAndStoreWritesItsAuditRowWithThePlan) {
    PlanRequest r;
    r.idempotency_key = "k-audit";
    r.request_hash = "h";
    r.register_id = "kkt1";
    r.customers = {"C1"};
    r.audit = AuditRecord{.actor = "cashier (cashier)", .action = "payment", .subject = "C1"};
    const auto planner = [](const PlanningFacts&) -> Result<Plan> { return Plan{{advance("C1", 100)}}; };
    ledger_->plan_and_store(r, planner);
    ledger_->plan_and_store(r, planner);  // a replay writes nothing
    const auto log = ledger_->audit_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].action, "payment");
}

// ---- register operations (cash in / out, shift commands, copies) -----------------------------

OperationRecord cash_in(std::int64_t kopecks) {
    OperationRecord r;
    r.kind = "cash_in";
    r.register_id = "kkt1";
    r.amount = fiscal::Kopecks{kopecks};
    r.reason = "Размен";
    r.cashier = "Кассир Иванова";
    r.created_by = "cashier";
    return r;
}

TEST_F(LedgerTest, OperationStoredOncePerKeyWithItsAuditRow) {
    const auto first = ledger_->begin_operation(
        "op:k1", "h1", cash_in(150000), AuditRecord{0, {}, "cashier (cashier)", "register.cash_in", "kkt1", "", ""});
    EXPECT_FALSE(first.replayed);
    EXPECT_EQ(first.record.state, "planned");
    const auto again = ledger_->begin_operation(
        "op:k1", "h1", cash_in(150000), AuditRecord{0, {}, "cashier (cashier)", "register.cash_in", "kkt1", "", ""});
    EXPECT_TRUE(again.replayed);
    EXPECT_EQ(again.record.amount, fiscal::Kopecks{150000});
    EXPECT_EQ(again.record.reason, "Размен");
    EXPECT_EQ(ledger_->audit_log().size(), 1u) << "a replay writes no second audit row";
    EXPECT_EQ(error_code([&] { ledger_->begin_operation("op:k1", "another body", cash_in(1)); }),
              "idempotency_conflict");
}

TEST_F(LedgerTest, OperationAReceiptKeyNeverAnswersAnOperation) {
    // A receipt route asking for an operation's key (even with its hash) gets a conflict, never ids.
    ledger_->begin_operation("op-only", "h", cash_in(100));
    EXPECT_EQ(error_code([&] { ledger_->find_idempotent("op-only", "h"); }), "idempotency_conflict");
    EXPECT_FALSE(ledger_->operation("no-such-key").has_value());
}

TEST_F(LedgerTest, OperationMovesOnUntilFinalAndNeverAfter) {
    auto r = ledger_->begin_operation("op:k2", "h", cash_in(5000)).record;
    r.state = "sending";
    ledger_->update_operation("op:k2", r);
    r.state = "done";
    r.document_number = 42;
    r.result = R"({"shift_number":3})";
    ledger_->update_operation("op:k2", r);
    const auto stored = ledger_->operation("op:k2").value();
    EXPECT_EQ(stored.state, "done");
    EXPECT_EQ(stored.document_number, 42u);
    EXPECT_EQ(stored.result, R"({"shift_number":3})");
    r.state = "failed";
    EXPECT_EQ(error_code([&] { ledger_->update_operation("op:k2", r); }), "illegal_transition");
    EXPECT_EQ(error_code([&] { ledger_->update_operation("op:none", r); }), "not_found");
}

TEST_F(LedgerTest, OperationUnfinishedOnesAreFoundAfterARestart) {
    ledger_->begin_operation("op:planned", "h", cash_in(100));
    auto sending = ledger_->begin_operation("op:sending", "h", cash_in(200)).record;
    sending.state = "sending";
    ledger_->update_operation("op:sending", sending);
    auto done = ledger_->begin_operation("op:done", "h", cash_in(300)).record;
    done.state = "done";
    ledger_->update_operation("op:done", done);
    ledger_.reset();
    ledger_ = Ledger::open(file_.path(), clock_);
    auto left = ledger_->unfinished_operations();
    std::ranges::sort(left, {}, &std::pair<std::string, OperationRecord>::first);
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].first, "op:planned");
    EXPECT_EQ(left[0].second.state, "planned");
    EXPECT_EQ(left[1].first, "op:sending");
    EXPECT_EQ(left[1].second.amount, fiscal::Kopecks{200});
}

}  // namespace
}  // namespace kassa::ledger

namespace kassa::ledger {
namespace {

// A settlement of order 123 at the door: A × 1 handed over for cash, B refused (migration 008).
PlannedReceipt door_settlement(std::int64_t cash) {
    PlannedReceipt p;
    p.receipt.lines.push_back(ReceiptLine{"Товар А", Quantity::whole(1), 0, Kopecks{150000}, Kopecks{150000},
                                          PaymentMethod::FullPayment, subject::kGoods, VatClass::Vat22, 11,
                                          Kopecks{27049}, "A"});
    p.receipt.payments.cash = Kopecks{cash};
    p.receipt.total = Kopecks{cash};
    p.customer = "C1";
    p.orders = {"123"};
    p.refusal_moves = {{"123", "A", Quantity::whole(1)}, {"123", "B", Quantity::whole(1)}};
    p.state_moves = {{"123", OrderState::Delivered, PaymentMethod::FullPayment}};
    return p;
}

TEST_F(LedgerTest, RefusedGoodsAreRecordedOnlyWithTheConfirmedSettlement) {
    const auto id = store("door", {door_settlement(150000)}).receipts[0];
    EXPECT_TRUE(ledger_->order_facts("123").refused.empty());
    ledger_->mark_sending(id);
    ledger_->mark_confirmed(id, fiscal_result(1));
    const auto facts = ledger_->order_facts("123");
    EXPECT_EQ(facts.refused, (std::map<std::string, Quantity>{{"A", Quantity::whole(1)}, {"B", Quantity::whole(1)}}));
    const auto view = ledger_->order_view("123");
    EXPECT_EQ(view.refused, Kopecks{850000});
    EXPECT_EQ(view.delivered, Kopecks{150000});  // the total less what was refused
    EXPECT_EQ(ledger_->receipt(id)->planned, door_settlement(150000));
}

TEST_F(LedgerTest, ElectronicPrepaymentComesFromConfirmedPayments) {
    StorePlanRequest req;
    req.idempotency_key = "pay";
    req.request_hash = "h";
    req.register_id = "kkt1";
    req.plan.receipts = {prepayment(300000)};
    req.payment = IncomingPayment{"pay", "C1", Kopecks{100000}, Kopecks{200000}, {{"123", Kopecks{300000}}}};
    req.card_reference = "RRN-123456789012";
    const auto id = ledger_->store_plan(req).receipts[0];
    EXPECT_EQ(ledger_->order_facts("123").prepaid_electronic, Kopecks{0});  // nothing confirmed yet
    EXPECT_EQ(ledger_->receipt(id)->card_reference, "RRN-123456789012");
    ledger_->mark_sending(id);
    ledger_->mark_confirmed(id, fiscal_result(1));
    const auto facts = ledger_->order_facts("123");
    EXPECT_EQ(facts.prepaid, Kopecks{300000});
    EXPECT_EQ(facts.prepaid_electronic, Kopecks{200000});
}

TEST_F(LedgerTest, ACouriersCashIsHandedOverOnceConfirmed) {
    // The courier's cash settlement (1031 = 1 500.00) and a cash refund (1054 = 2, 1031 = 200.00).
    StorePlanRequest req;
    req.idempotency_key = "door";
    req.request_hash = "h";
    req.register_id = "kkt1";
    req.created_by = "courier-7";
    req.plan.receipts = {door_settlement(150000), advance("C1", 20000)};
    req.plan.receipts[1].receipt.sign = CalcSign::IncomeReturn;
    req.plan.receipts[1].balance_moves.clear();
    const auto ids = ledger_->store_plan(req).receipts;
    const AuditRecord audit{0, {}, "courier-7 (courier)", "handover.declare", "", "127.0.0.1", ""};
    // Nothing confirmed: nothing held.
    EXPECT_EQ(error_code([&] { ledger_->declare_handover("courier-7", "7700000000", std::nullopt, audit); }),
              "nothing_to_hand_over");
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ledger_->mark_sending(ids[i]);
        ledger_->mark_confirmed(ids[i], fiscal_result(10 + i));
    }
    auto cash = ledger_->courier_cash("courier-7");
    ASSERT_EQ(cash.size(), 1u);
    EXPECT_EQ(cash[0].entity_inn, "7700000000");
    EXPECT_EQ(cash[0].taken, Kopecks{150000});
    EXPECT_EQ(cash[0].refunded, Kopecks{20000});
    EXPECT_EQ(cash[0].held(), Kopecks{130000});
    EXPECT_TRUE(ledger_->courier_cash("courier-8").empty());

    EXPECT_EQ(error_code([&] { ledger_->declare_handover("courier-7", "7700000000", Kopecks{130001}, audit); }),
              "handover_exceeds_cash");
    const auto part = ledger_->declare_handover("courier-7", "7700000000", Kopecks{100000}, audit);
    EXPECT_FALSE(part.confirmed);
    EXPECT_EQ(part.amount, Kopecks{100000});
    // Declared but not confirmed is still held, and cannot be declared twice.
    const auto rest = ledger_->declare_handover("courier-7", "7700000000", std::nullopt, audit);
    EXPECT_EQ(rest.amount, Kopecks{30000});
    EXPECT_EQ(error_code([&] { ledger_->declare_handover("courier-7", "7700000000", std::nullopt, audit); }),
              "nothing_to_hand_over");
    cash = ledger_->courier_cash("courier-7");
    EXPECT_EQ(cash[0].pending, Kopecks{130000});
    EXPECT_EQ(cash[0].held(), Kopecks{130000});
    EXPECT_EQ(ledger_->handovers(true).size(), 2u);

    clock_.advance(5min);
    const AuditRecord by{0, {}, "cashier (cashier)", "handover.confirm", "", "127.0.0.1", ""};
    const auto done = ledger_->confirm_handover(part.id, "cashier", by);
    EXPECT_TRUE(done.confirmed);
    EXPECT_EQ(done.confirmed_by, "cashier");
    EXPECT_EQ(done.confirmed_at, clock_.now());
    EXPECT_EQ(error_code([&] { ledger_->confirm_handover(part.id, "cashier", by); }), "handover_not_pending");
    EXPECT_EQ(error_code([&] { ledger_->confirm_handover(999, "cashier", by); }), "not_found");
    cash = ledger_->courier_cash("courier-7");
    EXPECT_EQ(cash[0].handed_over, Kopecks{100000});
    EXPECT_EQ(cash[0].pending, Kopecks{30000});
    EXPECT_EQ(cash[0].held(), Kopecks{30000});
    EXPECT_EQ(ledger_->handovers(true).size(), 1u);
    EXPECT_EQ(ledger_->handovers(false, std::string("courier-7")).size(), 2u);
    // Both declarations and the confirmation are in the audit log.
    const auto log = ledger_->audit_log(10);
    EXPECT_EQ(
        std::count_if(log.begin(), log.end(), [](const AuditRecord& a) { return a.action.starts_with("handover"); }),
        3);
}

// The phone's time of the settlement is kept; a receipt confirmed longer than the tolerance after it
// is listed for the office, unless it was planned as a correction; the office confirms it once.
TEST_F(LedgerTest, LateSettlementsAreKeptAndListedForTheOffice) {
    const auto settled = clock_.now();
    StorePlanRequest req;
    req.request_hash = "h";
    req.register_id = "kkt1";
    req.settled_at = settled;
    req.plan.receipts = {advance("C1", 100)};
    req.idempotency_key = "in-time";
    const auto in_time = ledger_->store_plan(req).receipts[0];
    req.idempotency_key = "late";
    const auto late = ledger_->store_plan(req).receipts[0];
    req.idempotency_key = "corrected";
    req.late = "corrected";
    const auto corrected = ledger_->store_plan(req).receipts[0];
    auto at = [&](std::uint64_t fd, std::chrono::seconds after) {
        auto f = fiscal_result(fd);
        f.time = settled + after;
        return f;
    };
    for (auto [id, fd, after] : {std::tuple{in_time, 1, 300s}, {late, 2, 301s}, {corrected, 3, 3600s}}) {
        ledger_->mark_sending(id);
        ledger_->mark_confirmed(id, at(fd, after));
    }
    EXPECT_EQ(ledger_->receipt(in_time)->late, "");  // exactly the 5 minutes: in time
    EXPECT_EQ(ledger_->receipt(in_time)->settled_at, settled);
    EXPECT_EQ(ledger_->receipt(late)->late, "listed");
    EXPECT_EQ(ledger_->receipt(corrected)->late, "corrected");
    const auto open = ledger_->late_settlements(true);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].id, late);
    EXPECT_EQ(ledger_->late_settlements(false).size(), 2u);
    const AuditRecord by{0, {}, "cashier (cashier)", "late_settlement.confirm", "", "127.0.0.1", ""};
    EXPECT_EQ(error_code([&] { ledger_->confirm_late_settlement(corrected, "cashier", by); }), "late_not_listed");
    const auto seen = ledger_->confirm_late_settlement(late, "cashier", by);
    EXPECT_EQ(seen.late, "confirmed");
    EXPECT_EQ(seen.late_confirmed_by, "cashier");
    EXPECT_TRUE(ledger_->late_settlements(true).empty());
    EXPECT_EQ(error_code([&] { ledger_->confirm_late_settlement(late, "cashier", by); }), "late_not_listed");
    EXPECT_EQ(error_code([&] { ledger_->confirm_late_settlement(9999, "cashier", by); }), "not_found");
}

}  // namespace
}  // namespace kassa::ledger
