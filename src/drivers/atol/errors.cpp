#include "drivers/atol/errors.hpp"

namespace kassa::drivers::atol {

// Texts of §2.6 (atol4j error-messages.properties, decimal there).
std::string_view error_text(std::uint8_t code) {
    switch (code) {
        case err::kOk:
            return "OK";
        case err::kWrongPrice:
            return "wrong price";
        case err::kWrongQuantity:
            return "wrong quantity";
        case err::kWrongFormat:
            return "wrong format";
        case err::kWrongLength:
            return "wrong length";
        case err::kNotInThisMode:
            return "command not allowed in this mode";
        case err::kNoPaper:
            return "no paper";
        case err::kNoPrinterLink:
            return "no link with printer";
        case err::kPrinterMechanical:
            return "printer mechanical error";
        case err::kWrongReceiptType:
            return "wrong receipt type";
        case err::kPaymentsBelowTotal:
            return "sum of payments less than the receipt sum";
        case err::kNotSupported:
            return "this KKT model cannot execute the command";
        case err::kWrongPaymentType:
            return "wrong payment type";
        case err::kTotalOverflow:
            return "receipt total overflow";
        case err::kPaidBelowTotal:
            return "amount paid by the client is less than the receipt sum";
        case err::kShiftOver24h:
            return "shift exceeded 24 h";
        case err::kWrongPassword:
            return "wrong password";
        case 0x8F:
            return "zeroed register (repeated Z impossible)";
        case err::kReceiptClosed:
            return "receipt closed, operation impossible";
        case err::kReceiptOpen:
            return "receipt open, operation impossible";
        case err::kShiftOpen:
            return "shift open, operation impossible";
        case err::kNotFiscalized:
            return "KKT not fiscalized";
        case err::kNoReports:
            return "no document to repeat";
        case err::kOverheat:
            return "printer head overheat";
        case err::kFnWrongState:
            return "wrong FN state";
        case err::kFnExpired:
            return "FN expired";
        case err::kFnArchiveFull:
            return "FN archive full";
        case err::kFnNoTransport:
            return "no transport connection (FN)";
        case err::kFnOfdStorageFull:
            return "storage resource for OFD exhausted";
        case err::kFnOfdWaitExhausted:
            return "OFD waiting resource exhausted";
        case err::kFnShiftOver24h:
            return "FN shift over 24 h";
        case err::kFnWrongTime:
            return "wrong time difference (FN)";
        case err::kTooManyItems:
            return "too many positions";
        case err::kReceiptTooLarge:
            return "receipt too large";
        default:
            return "";
    }
}

Outcome outcome_for_error(std::uint8_t code) {
    switch (code) {
        case err::kOk:
            return Outcome::Done;
        case err::kFnNoTransport:  // the KKT lost its FN for a moment
            return Outcome::RetryLater;
        // A person must act: load paper, fix the printer, close the overdue shift, set the clock.
        case err::kNoPaper:
        case err::kNoPrinterLink:
        case err::kPrinterMechanical:
        case err::kOverheat:
        case err::kShiftOver24h:
        case err::kFnShiftOver24h:
        case err::kFnWrongTime:
            return Outcome::NeedsOperator;
        // The register cannot make fiscal documents any more.
        case err::kNotFiscalized:
        case err::kFnExpired:
        case err::kFnArchiveFull:
        case err::kFnOfdStorageFull:
        case err::kFnOfdWaitExhausted:
            return Outcome::DeviceStopped;
        default:
            return Outcome::Rejected;
    }
}

}  // namespace kassa::drivers::atol
