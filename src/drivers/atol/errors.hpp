// ATOL error codes (shared/spec/protocols.md §2.6) and the outcome policy (DESIGN.md §6).
#pragma once

#include <cstdint>
#include <string_view>

#include "drivers/device.hpp"

namespace kassa::drivers::atol {

namespace err {
inline constexpr std::uint8_t kOk = 0x00;
inline constexpr std::uint8_t kWrongPrice = 0x08;
inline constexpr std::uint8_t kWrongQuantity = 0x0A;
inline constexpr std::uint8_t kWrongFormat = 0x13;
inline constexpr std::uint8_t kWrongLength = 0x14;
inline constexpr std::uint8_t kNotInThisMode = 0x66;
inline constexpr std::uint8_t kNoPaper = 0x67;
inline constexpr std::uint8_t kNoPrinterLink = 0x68;
inline constexpr std::uint8_t kPrinterMechanical = 0x69;
inline constexpr std::uint8_t kWrongReceiptType = 0x6A;
inline constexpr std::uint8_t kPaymentsBelowTotal = 0x72;
inline constexpr std::uint8_t kNotSupported = 0x7A;
inline constexpr std::uint8_t kWrongPaymentType = 0x7E;
inline constexpr std::uint8_t kTotalOverflow = 0x81;
inline constexpr std::uint8_t kPaidBelowTotal = 0x86;
inline constexpr std::uint8_t kShiftOver24h = 0x88;
inline constexpr std::uint8_t kWrongPassword = 0x8C;
inline constexpr std::uint8_t kNoReports = 0xAA;  // 95h with no document to repeat (atol4j)
inline constexpr std::uint8_t kReceiptClosed = 0x9A;
inline constexpr std::uint8_t kReceiptOpen = 0x9B;
inline constexpr std::uint8_t kShiftOpen = 0x9C;
inline constexpr std::uint8_t kNotFiscalized = 0xA8;
inline constexpr std::uint8_t kOverheat = 0xD1;
inline constexpr std::uint8_t kFnWrongState = 0xD4;
inline constexpr std::uint8_t kFnExpired = 0xD7;
inline constexpr std::uint8_t kFnArchiveFull = 0xD8;
inline constexpr std::uint8_t kFnNoTransport = 0xE9;
inline constexpr std::uint8_t kFnOfdStorageFull = 0xEB;
inline constexpr std::uint8_t kFnOfdWaitExhausted = 0xEF;
inline constexpr std::uint8_t kFnShiftOver24h = 0xF0;
inline constexpr std::uint8_t kFnWrongTime = 0xF1;
inline constexpr std::uint8_t kTooManyItems = 0xF3;
inline constexpr std::uint8_t kReceiptTooLarge = 0xF6;
}  // namespace err

// The vendor meaning of a code ("" for codes outside the table).
std::string_view error_text(std::uint8_t code);

// What the worker should do about a device error code.
Outcome outcome_for_error(std::uint8_t code);

}  // namespace kassa::drivers::atol
