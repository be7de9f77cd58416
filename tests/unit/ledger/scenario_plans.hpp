// A stand-in for the planner, for ledger tests only: it turns a scenario of scenarios.json into
// the Plan the planner must produce — the scenario's expected receipts plus the balance, return
// and state moves each event implies. When src/fiscal's planner lands, scenarios_test can call it
// instead of plan_for_event(); nothing else here needs to change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fiscal/plan.hpp"

namespace kassa::ledger::testing {

struct ScenarioEvent {
    std::string kind;  // payment | delivery | return | cancel | balance_refund | credit_repayment
    std::string customer;
    std::string order;
    std::int64_t cash = 0;
    std::int64_t electronic = 0;
    std::int64_t use_advance = 0;
    std::int64_t credit = 0;
    bool excess_to_advance = false;
    std::vector<std::pair<std::string, std::int64_t>> allocate;
    std::vector<std::pair<std::string, fiscal::Quantity>> return_lines;
    // Deliveries: what was handed over when something was refused at the door (unset: everything).
    std::optional<std::vector<std::pair<std::string, fiscal::Quantity>>> delivered;
    std::int64_t refund_cash = 0;
    std::int64_t refund_electronic = 0;
    std::int64_t refund_to_balance = 0;
    std::vector<fiscal::Receipt> receipts;  // the receipts the scenario expects for this event
};

struct Scenario {
    std::string id;
    std::vector<fiscal::Order> orders;
    std::vector<ScenarioEvent> events;
    std::map<std::string, std::int64_t> balance_after;  // customer → advance balance
};

std::vector<Scenario> load_scenarios(const std::string& path);

using OrderFactsFn = std::function<fiscal::OrderFacts(const std::string&)>;

// The plan for one event, given the ledger's facts (confirmed receipts only) at that moment.
// Throws std::runtime_error when the scenario contradicts the facts.
fiscal::Plan plan_for_event(const ScenarioEvent& event, const OrderFactsFn& order_facts);

}  // namespace kassa::ledger::testing
