// Done-when of issue 5: each scenario of scenarios.json, stored and confirmed in order, gives the
// expected balances. The plans come from scenario_plans (a stand-in for the planner).
#include <gtest/gtest.h>

#include "ledger/ledger.hpp"
#include "scenario_plans.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using namespace kassa::fiscal;
using testing::Scenario;

const std::vector<Scenario>& scenarios() {
    static const auto all = [] {
        auto out = testing::load_scenarios(std::string(KASSA_VECTORS_DIR) + "/scenarios.json");
        for (auto& s : testing::load_scenarios(std::string(KASSA_VECTORS_DIR) + "/door.json"))
            out.push_back(std::move(s));
        return out;
    }();
    return all;
}

std::vector<std::string> scenario_ids() {
    std::vector<std::string> ids;
    for (const auto& s : scenarios()) ids.push_back(s.id);
    return ids;
}

class LedgerScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(LedgerScenario, ConfirmedInOrderGivesTheExpectedBalances) {
    const Scenario* sc = nullptr;
    for (const auto& s : scenarios()) {
        if (s.id == GetParam()) sc = &s;
    }
    ASSERT_NE(sc, nullptr);
    testing::TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    ledger->upsert_entity({"7700000000", "OOO Romashka"});
    ledger->upsert_register({"kkt1", "7700000000", "", true});
    for (const auto& o : sc->orders) ledger->upsert_order(o);

    std::uint64_t fd = 100;
    for (std::size_t i = 0; i < sc->events.size(); ++i) {
        SCOPED_TRACE("event " + std::to_string(i) + " " + sc->events[i].kind);
        const auto plan =
            testing::plan_for_event(sc->events[i], [&](const std::string& id) { return ledger->order_facts(id); });
        StorePlanRequest req{sc->id + "/" + std::to_string(i), "hash", "kkt1", plan, std::nullopt};
        const auto stored = ledger->store_plan(req);
        ASSERT_EQ(stored.receipts.size(), plan.receipts.size());
        for (std::size_t r = 0; r < stored.receipts.size(); ++r) {
            const auto id = stored.receipts[r];
            EXPECT_EQ(ledger->receipt(id)->planned, plan.receipts[r]);
            ledger->mark_sending(id);
            clock.advance(std::chrono::seconds{1});
            ledger->mark_confirmed(id, FiscalResult{++fd, 1000 + fd, "9999078900012345", 1,
                                                    static_cast<std::uint32_t>(fd), clock.now(), ""});
        }
        // Replaying the event's request changes nothing.
        EXPECT_TRUE(ledger->store_plan(req).replayed);
    }
    for (const auto& [customer, balance] : sc->balance_after) {
        EXPECT_EQ(ledger->customer_facts(customer).advance_balance, Kopecks{balance}) << customer;
    }
    // Every scenario ends settled: nothing prepaid is left unoffset and nothing is owed.
    for (const auto& o : sc->orders) {
        const auto facts = ledger->order_facts(o.id);
        EXPECT_EQ(facts.prepaid, Kopecks{0}) << o.id;
        EXPECT_EQ(facts.credit_owed, Kopecks{0}) << o.id;
        EXPECT_NE(facts.state, OrderState::Open) << o.id;
    }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Vectors, LedgerScenario, ::testing::ValuesIn(scenario_ids()), test_name);

TEST(LedgerScenarios, AllAreLoaded) { EXPECT_EQ(scenarios().size(), 14u); }

}  // namespace
}  // namespace kassa::ledger
