#include "ledger/receipt_state.hpp"

#include <string>

namespace kassa::ledger {

Result<ReceiptState> transition(ReceiptState from, ReceiptEvent event) {
    using S = ReceiptState;
    using E = ReceiptEvent;
    switch (from) {
        case S::Planned:
            if (event == E::Send) return S::Sending;
            // Nothing was sent, so nothing can have been fiscalised: safe to fail and plan again.
            if (event == E::Fail) return S::Failed;
            break;
        case S::Sending:
            if (event == E::Confirm) return S::Confirmed;
            if (event == E::Fail) return S::Failed;
            if (event == E::LoseLink) return S::Uncertain;
            break;
        case S::Uncertain:
            // Only reconciliation with the device's fiscal storage resolves it; never a blind resend.
            if (event == E::Confirm) return S::Confirmed;
            if (event == E::Fail) return S::Failed;
            break;
        case S::Confirmed:
        case S::Failed:
            break;
    }
    return fail("illegal_transition",
                "receipt cannot " + std::string(to_string(event)) + " when " + std::string(to_string(from)));
}

std::string_view to_string(ReceiptState s) {
    switch (s) {
        case ReceiptState::Planned:
            return "planned";
        case ReceiptState::Sending:
            return "sending";
        case ReceiptState::Confirmed:
            return "confirmed";
        case ReceiptState::Failed:
            return "failed";
        case ReceiptState::Uncertain:
            return "uncertain";
    }
    return "unknown";
}

std::string_view to_string(ReceiptEvent e) {
    switch (e) {
        case ReceiptEvent::Send:
            return "send";
        case ReceiptEvent::Confirm:
            return "confirm";
        case ReceiptEvent::Fail:
            return "fail";
        case ReceiptEvent::LoseLink:
            return "lose_link";
    }
    return "unknown";
}

std::optional<ReceiptState> parse_receipt_state(std::string_view text) {
    for (ReceiptState s : kAllReceiptStates) {
        if (to_string(s) == text) return s;
    }
    return std::nullopt;
}

}  // namespace kassa::ledger
