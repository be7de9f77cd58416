// Shtrih-M error codes (shared/spec/protocols.md §1.10). ФН errors 01h..20h pass through the KKT.
#pragma once

#include <cstdint>
#include <string_view>

namespace kassa::drivers::shtrih {

namespace err {
inline constexpr std::uint8_t kOk = 0x00;
inline constexpr std::uint8_t kFnUnknownCommand = 0x01;
inline constexpr std::uint8_t kFnWrongState = 0x02;
inline constexpr std::uint8_t kFnFailure = 0x03;
inline constexpr std::uint8_t kFnNoData = 0x08;
inline constexpr std::uint8_t kFnBadParameter = 0x09;
inline constexpr std::uint8_t kFnTlvTooLarge = 0x10;
inline constexpr std::uint8_t kFnShiftOver24h = 0x16;
inline constexpr std::uint8_t kBadParameters = 0x33;
inline constexpr std::uint8_t kNoData = 0x34;
inline constexpr std::uint8_t kNotSupported = 0x37;
inline constexpr std::uint8_t kShiftOpen = 0x3C;
inline constexpr std::uint8_t kPaymentsBelowTotal = 0x45;
inline constexpr std::uint8_t kNotEnoughCash = 0x46;
inline constexpr std::uint8_t kReceiptOpen = 0x4A;
inline constexpr std::uint8_t kNonCashAboveTotal = 0x4D;
inline constexpr std::uint8_t kShiftOver24h = 0x4E;
inline constexpr std::uint8_t kWrongPassword = 0x4F;
inline constexpr std::uint8_t kPrinting = 0x50;
inline constexpr std::uint8_t kReceiptClosed = 0x55;
inline constexpr std::uint8_t kNoDocumentToRepeat = 0x56;
inline constexpr std::uint8_t kWaitContinuePrint = 0x58;
inline constexpr std::uint8_t kNegativeTotal = 0x5F;
inline constexpr std::uint8_t kNoPaper = 0x6B;
inline constexpr std::uint8_t kNotInSubmode = 0x72;
inline constexpr std::uint8_t kNotInMode = 0x73;
inline constexpr std::uint8_t kBadLength = 0x7E;
inline constexpr std::uint8_t kZeroTotal = 0x8E;
}  // namespace err

// The vendor meaning of a code ("" for codes outside the table).
std::string_view error_text(std::uint8_t code);

}  // namespace kassa::drivers::shtrih
