// The one authorisation rule per resource (api/authz.hpp): what a bound token reaches.
#include "api/authz.hpp"

#include <gtest/gtest.h>

#include <map>

namespace kassa::api {
namespace {

const std::map<std::string, std::string> kRegisters = {{"a-1", "7701"}, {"a-2", "7701"}, {"b-1", "7702"}};

Scope scope(const Principal& who) {
    std::vector<std::string> ids;
    for (const auto& [id, inn] : kRegisters) ids.push_back(id);
    return Scope(who, ids, [](const std::string& id) {
        auto it = kRegisters.find(id);
        return it == kRegisters.end() ? std::string{} : it->second;
    });
}

ledger::ReceiptRecord receipt_on(std::string register_id, std::string created_by = "someone") {
    ledger::ReceiptRecord r;
    r.register_id = std::move(register_id);
    r.created_by = std::move(created_by);
    return r;
}

fiscal::Order order_of(std::string inn) {
    fiscal::Order o;
    o.id = "O1";
    o.customer = "C1";
    o.entity_inn = std::move(inn);
    return o;
}

TEST(Scope, AnUnboundTokenReachesEverything) {
    const Principal admin{"boss", Role::Admin, {}, {}};
    const auto s = scope(admin);
    EXPECT_TRUE(s.unrestricted());
    EXPECT_TRUE(s.entity("7702"));
    EXPECT_TRUE(s.register_id("b-1"));
    EXPECT_TRUE(s.order(order_of("")));
    EXPECT_TRUE(s.receipt(receipt_on("gone-register")));
    EXPECT_TRUE(s.customer({}));
    EXPECT_TRUE(s.audit());
}

TEST(Scope, AnEntityBoundTokenReachesOnlyThatEntity) {
    const Principal cashier{"a-cashier", Role::Cashier, {}, {"7701"}};
    const auto s = scope(cashier);
    EXPECT_FALSE(s.unrestricted());
    EXPECT_TRUE(s.entity("7701"));
    EXPECT_FALSE(s.entity("7702"));
    EXPECT_FALSE(s.entity(""));
    EXPECT_TRUE(s.register_id("a-2"));
    EXPECT_FALSE(s.register_id("b-1"));
    EXPECT_FALSE(s.register_id("unknown"));
    EXPECT_TRUE(s.order(order_of("7701")));
    EXPECT_FALSE(s.order(order_of("7702")));
    EXPECT_FALSE(s.order(order_of("")));
    EXPECT_TRUE(s.receipt(receipt_on("a-1")));
    EXPECT_FALSE(s.receipt(receipt_on("b-1")));
    EXPECT_FALSE(s.receipt(receipt_on("gone-register")));
    EXPECT_TRUE(s.customer({"7702", "7701"}));
    EXPECT_FALSE(s.customer({"7702"}));
    EXPECT_FALSE(s.customer({}));
    EXPECT_FALSE(s.audit());
}

TEST(Scope, ARegisterBoundTokenReachesItsRegistersAndTheirEntity) {
    const Principal till{"till-a1", Role::Cashier, {"a-1"}, {}};
    const auto s = scope(till);
    EXPECT_TRUE(s.register_id("a-1"));
    EXPECT_FALSE(s.register_id("a-2"));
    EXPECT_FALSE(s.register_id("b-1"));
    EXPECT_TRUE(s.entity("7701"));
    EXPECT_FALSE(s.entity("7702"));
    EXPECT_TRUE(s.order(order_of("7701")));
    EXPECT_FALSE(s.order(order_of("7702")));
    EXPECT_TRUE(s.receipt(receipt_on("a-1")));
    EXPECT_FALSE(s.receipt(receipt_on("a-2")));
    EXPECT_TRUE(s.customer({"7701"}));
    EXPECT_FALSE(s.customer({"7702"}));
}

TEST(Scope, BothBindingsNarrowEachOther) {
    // Bound to entity 7702 but to a register of 7701: nothing is in reach.
    const Principal odd{"odd", Role::Cashier, {"a-1"}, {"7702"}};
    const auto s = scope(odd);
    EXPECT_FALSE(s.entity("7701"));
    EXPECT_FALSE(s.entity("7702"));
    EXPECT_FALSE(s.register_id("a-1"));
    EXPECT_FALSE(s.receipt(receipt_on("a-1")));
}

TEST(Scope, CouriersSeeOnlyTheirOwnReceipts) {
    const Principal courier{"petrov", Role::Courier, {}, {}};
    EXPECT_TRUE(scope(courier).receipt(receipt_on("b-1", "petrov")));
    EXPECT_FALSE(scope(courier).receipt(receipt_on("b-1", "sidorov")));
    const Principal bound{"petrov", Role::Courier, {}, {"7701"}};
    EXPECT_FALSE(scope(bound).receipt(receipt_on("b-1", "petrov")));
    EXPECT_TRUE(scope(bound).receipt(receipt_on("a-1", "petrov")));
}

}  // namespace
}  // namespace kassa::api
