// The one exception the ledger throws. `code()` is stable and machine-readable (snake_case) so the
// API can map it to HTTP in one place; `what()` is for people and logs and never holds a contact.
#pragma once

#include <stdexcept>
#include <string>

#include "common/result.hpp"

namespace kassa::ledger {

// Stable codes.
namespace errc {
inline constexpr const char* kNotFound = "not_found";                         // no such receipt/order/...
inline constexpr const char* kIllegalTransition = "illegal_transition";       // receipt state machine
inline constexpr const char* kIdempotencyConflict = "idempotency_conflict";   // same key, other request
inline constexpr const char* kInvalidArgument = "invalid_argument";           // malformed input
inline constexpr const char* kUnknownOrder = "unknown_order";                 // plan names an order we lack
inline constexpr const char* kUnknownRegister = "unknown_register";           // plan names no known register
inline constexpr const char* kOrderClosed = "order_closed";                   // order no longer open
inline constexpr const char* kOrderHasReceipts = "order_has_receipts";        // entity/customer fixed by receipts
inline constexpr const char* kOrderBusy = "order_busy";                       // receipts of the order in flight
inline constexpr const char* kBelowPrepaid = "below_prepaid";                 // new total below what is prepaid
inline constexpr const char* kDuplicatePayment = "duplicate_payment";         // payment id recorded before
inline constexpr const char* kNothingToHandOver = "nothing_to_hand_over";     // the courier holds no cash
inline constexpr const char* kHandoverExceedsCash = "handover_exceeds_cash";  // more than the courier holds
inline constexpr const char* kHandoverNotPending = "handover_not_pending";    // confirmed before
inline constexpr const char* kLateNotListed = "late_not_listed";              // not waiting for the office
inline constexpr const char* kSchemaTooNew = "schema_too_new";                // file from a newer Kassa
inline constexpr const char* kStorage = "storage_error";                      // SQLite said no
inline constexpr const char* kClosed = "ledger_closed";                       // used after shutdown
}  // namespace errc

class LedgerError : public std::runtime_error {
  public:
    LedgerError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}

    const std::string& code() const noexcept { return code_; }
    Error to_error() const { return Error{code_, what()}; }

  private:
    std::string code_;
};

}  // namespace kassa::ledger
