// Register operations that make no receipt but must happen at most once per key: cash in / out
// (внесение / выемка), shift commands, a copy of a receipt. Shared by the /v1 routes and the
// KKMServer / ATOL compat adapters (their IdCommand and uuid tasks), so every path keeps the same
// durable record (ledger::OperationRecord):
//   stored `planned` with the key and the audit row → `sending`, durable, before the first byte →
//   `done` | `failed`, or `uncertain` when the link broke while the device may have run it.
// An uncertain one is never sent again: a person compares the tape and the drawer. A key seen
// before answers its record as it stands (a replay never reaches the device).
#pragma once

#include <functional>
#include <string>

#include "ledger/ledger.hpp"

namespace kassa::drivers {
class RegisterWorker;
}

namespace kassa::api {

class Service;
struct Principal;

// Kinds: cash_in, cash_out (amount > 0), shift_open, shift_close, x_report, copy (`receipt` names a
// confirmed receipt of that register; printed again only while it is the register's last fiscal
// document).
using OperationDone = std::function<void(const ledger::OperationRecord& record, bool replayed)>;

// Stores the operation (or finds the one stored under `key`), then queues it on `worker`, holding
// no thread; `done` runs once it is final (or at once for a replay), on a worker's thread: keep it
// quick. Throws LedgerError (idempotency_conflict) before anything runs.
void run_operation(Service& service, drivers::RegisterWorker& worker, const Principal& who, const std::string& key,
                   const std::string& request_hash, ledger::OperationRecord record, const std::string& remote,
                   OperationDone done);

// At start: operations a stop left `planned` never reached a device (failed: send again under a new
// key); `sending` ones are in doubt (uncertain).
void recover_operations(Service& service);

// The state of a final operation as an HTTP status and error code (done: 200, ""); "not_enough_cash"
// and friends when the device said why.
struct OperationOutcome {
    int status = 200;
    std::string code;
};
OperationOutcome operation_outcome(const ledger::OperationRecord& record);

}  // namespace kassa::api
