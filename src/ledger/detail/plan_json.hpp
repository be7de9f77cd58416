// A PlannedReceipt as JSON for the receipts.plan_json column: the full receipt (every FFD field the
// driver will need) and the moves its confirmation applies. Enums are stored by their numeric
// value, money in kopecks, quantities in millionths, so the round trip is exact.
#pragma once

#include <string>
#include <string_view>

#include "fiscal/plan.hpp"

namespace kassa::ledger::detail {

std::string encode_planned_receipt(const fiscal::PlannedReceipt& planned);

// Throws LedgerError(storage_error) when the text is not a plan this build wrote.
fiscal::PlannedReceipt decode_planned_receipt(std::string_view json);

}  // namespace kassa::ledger::detail
