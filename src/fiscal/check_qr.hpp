// The receipt-verification QR string printed on every receipt (fiscal-rules.md §4):
//   t=YYYYMMDDTHHMM[SS]&s=<1020 in roubles>&fn=<FN serial>&i=<ФД №>&fp=<ФПД>&n=<1054>
// Built from a fiscalised receipt's data; the document time comes in as a value (the time the
// device reported), never from a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "fiscal/money.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

// Local civil time of the document (1012) as the register printed it.
struct DocumentTime {
    int year = 0;               // 2000..2099
    int month = 0;              // 1..12
    int day = 0;                // 1..31, within the month
    int hour = 0;               // 0..23
    int minute = 0;             // 0..59
    std::optional<int> second;  // set when the register prints seconds too (§4: emit them then)

    // From seconds since 1970-01-01 00:00 in local wall-clock time (not UTC): what a device's
    // 1012 UnixTime holds. `with_seconds` chooses the THHMMSS form.
    static DocumentTime from_local_unix(std::int64_t local_seconds, bool with_seconds = false);
};

struct CheckQrData {
    DocumentTime time;
    Kopecks total;                      // 1020
    std::string fn_serial;              // 16 digits
    std::uint32_t document_number = 0;  // 1040
    std::uint32_t fiscal_sign = 0;      // 1077, the printed 4-byte value
    CalcSign sign = CalcSign::Income;   // 1054 → n
};

// Errors: "invalid_qr_data" (bad date or time, FN serial not 16 digits, total not positive).
Result<std::string> check_qr_string(const CheckQrData& data);

}  // namespace kassa::fiscal
