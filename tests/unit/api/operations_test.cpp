// Register operations after a stop (api/operations.hpp): one that never reached the register fails
// (send it again under a new key), one that was being sent is in doubt and is never sent again; and
// each final state answers with its HTTP status and stable code.
#include "api/operations.hpp"

#include <gtest/gtest.h>

#include "../ledger/temp_file.hpp"
#include "api/service.hpp"
#include "common/clock.hpp"
#include "drivers/worker/pool.hpp"

namespace kassa::api {
namespace {

ledger::OperationRecord cash_out(std::int64_t kopecks) {
    ledger::OperationRecord r;
    r.kind = "cash_out";
    r.register_id = "kkt1";
    r.amount = fiscal::Kopecks{kopecks};
    r.reason = "Инкассация";
    return r;
}

TEST(RegisterOperations, AStopLeavesNothingToBeSentTwice) {
    ledger::testing::TempDb file;
    ManualClock clock;
    auto ledger = ledger::Ledger::open(file.path(), clock);
    ledger->begin_operation("op:never-sent", "h", cash_out(100));
    auto sent = ledger->begin_operation("op:sent", "h", cash_out(200)).record;
    sent.state = "sending";
    ledger->update_operation("op:sent", sent);
    auto done = ledger->begin_operation("op:done", "h", cash_out(300)).record;
    done.state = "done";
    ledger->update_operation("op:done", done);

    drivers::RegisterPool pool;
    Service service(ServiceOptions{}, *ledger, pool, clock);
    recover_operations(service);

    const auto never = ledger->operation("op:never-sent").value();
    EXPECT_EQ(never.state, "failed");
    EXPECT_EQ(operation_outcome(never).code, "not_sent");
    const auto doubt = ledger->operation("op:sent").value();
    EXPECT_EQ(doubt.state, "uncertain");
    EXPECT_EQ(operation_outcome(doubt).status, 503);
    EXPECT_EQ(operation_outcome(doubt).code, "operation_uncertain");
    EXPECT_EQ(ledger->operation("op:done").value().state, "done");
    EXPECT_TRUE(ledger->unfinished_operations().empty());
}

TEST(RegisterOperations, OutcomesHaveStableCodes) {
    ledger::OperationRecord r = cash_out(100);
    r.state = "done";
    EXPECT_EQ(operation_outcome(r).status, 200);
    EXPECT_EQ(operation_outcome(r).code, "");
    r.state = "sending";
    EXPECT_EQ(operation_outcome(r).status, 202);
    r.state = "failed";
    r.error = "insufficient_cash: rejected: cash out (device error 46h not enough cash in the register)";
    EXPECT_EQ(operation_outcome(r).status, 409);
    EXPECT_EQ(operation_outcome(r).code, "insufficient_cash");
    r.error = "copy_not_possible: the register can print a copy of its last document only";
    EXPECT_EQ(operation_outcome(r).status, 409);
    r.error = "device_retry_later: offline";
    EXPECT_EQ(operation_outcome(r).status, 503);
}

// [planner] credit_at_door: a courier leaves an order owed at the door only where it is allowed.
TEST(CreditAtDoor, OrderNeverAndAny) {
    ledger::OrderDelivery allows;
    allows.credit_allowed = true;
    const ledger::OrderDelivery silent;
    EXPECT_TRUE(credit_at_door_allowed(CreditAtDoor::Order, allows));
    EXPECT_FALSE(credit_at_door_allowed(CreditAtDoor::Order, silent));
    EXPECT_FALSE(credit_at_door_allowed(CreditAtDoor::Never, allows));
    EXPECT_TRUE(credit_at_door_allowed(CreditAtDoor::Any, silent));
}

}  // namespace
}  // namespace kassa::api
