// The life of a receipt (DESIGN.md §2) as a pure function. The ledger refuses every transition
// this function refuses.
//
//   planned ──send──▶ sending ──confirm──▶ confirmed
//      │                 │  └──fail──▶ failed      (the device refused before fiscalising)
//      └──fail──▶ failed └──lose_link──▶ uncertain ──confirm──▶ confirmed
//                                                  └──fail──▶ failed   (after reconciliation)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.hpp"

namespace kassa::ledger {

enum class ReceiptState : std::uint8_t { Planned, Sending, Confirmed, Failed, Uncertain };

enum class ReceiptEvent : std::uint8_t {
    Send,      // the worker is about to send the first byte
    Confirm,   // the device fiscalised it (fiscal results known)
    Fail,      // the device refused it, or reconciliation found it was not fiscalised
    LoseLink,  // the link broke while the device may have fiscalised it
};

inline constexpr ReceiptState kAllReceiptStates[] = {ReceiptState::Planned, ReceiptState::Sending,
                                                     ReceiptState::Confirmed, ReceiptState::Failed,
                                                     ReceiptState::Uncertain};
inline constexpr ReceiptEvent kAllReceiptEvents[] = {ReceiptEvent::Send, ReceiptEvent::Confirm, ReceiptEvent::Fail,
                                                     ReceiptEvent::LoseLink};

// The next state, or Error{"illegal_transition", …}.
Result<ReceiptState> transition(ReceiptState from, ReceiptEvent event);

// confirmed and failed are final.
constexpr bool is_final(ReceiptState s) { return s == ReceiptState::Confirmed || s == ReceiptState::Failed; }

// "planned", "sending", "confirmed", "failed", "uncertain" (the stored and API spelling).
std::string_view to_string(ReceiptState s);
std::string_view to_string(ReceiptEvent e);
std::optional<ReceiptState> parse_receipt_state(std::string_view text);

}  // namespace kassa::ledger
