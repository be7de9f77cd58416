// Every ATOL reading the public sources leave open (shared/spec/protocols.md §2, marked
// [UNCERTAIN] or [1 src] there), in one place. docs/atol-assumptions.md explains each one and how
// to check it on a real register; change the value here and the codec, driver and simulator follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace kassa::drivers::atol::assume {

// A1 (§2.1, §2.2): the access password in every request is 0000; the mode password of the system
// administrator is 30, written as BCD4 00 00 00 30 (atol4j enters registration with 30).
inline constexpr std::uint16_t kAccessPassword = 0;
inline constexpr std::uint32_t kModePassword = 30;

// A2 (§2.1): quantities in EBh are BCD5 in thousandths; a quantity with more than 3 decimals is
// refused before anything is sent (no rounding of a fiscal quantity).
inline constexpr std::int64_t kQuantityScale = 1000;

// A3 (§2.5, 92h): the "do not print" flag is bit 1 (atol4j) rather than bit 2 (C++ client). Kassa
// never sets it; it is named so the simulator can honour it.
inline constexpr std::uint8_t kOpenReceiptNoPrint = 0x02;

// A4 (§2.5, 92h): correction receipt types. 7 and 9 are given; 8 (correction of an income return)
// and 10 (of an expense return) follow the pattern of 1/2 and 4/5 and are not confirmed.
inline constexpr std::uint8_t kReceiptCorrectionIncome = 7;
inline constexpr std::uint8_t kReceiptCorrectionIncomeReturn = 8;
inline constexpr std::uint8_t kReceiptCorrectionExpense = 9;
inline constexpr std::uint8_t kReceiptCorrectionExpenseReturn = 10;

// A5 (§2.5, 3Fh flags): bit 3 set = receipt paper present (atol4j); the opposite polarity is seen
// in one source. Bit 1 = shift open.
inline constexpr std::uint8_t kStatusFlagShiftOpen = 0x02;
inline constexpr std::uint8_t kStatusFlagPaperPresent = 0x08;

// A6 (§2.5, E8h): "write requisite" layout is not public. Kassa sends
// flags 1 (bit 0: the tag belongs to the item being registered, between EAh and EBh) then one
// whole TLV (tag LE 2, length LE 2, value), at most kMaxTagBytes per command.
inline constexpr std::uint8_t kWriteTagItem = 0x01;
inline constexpr std::size_t kMaxTagBytes = 250;

// A7 (§2.5, EBh): the tax byte is the tag 1199 code itself (EBh carries 1212 and 1214 raw FFD codes
// beside it); ATOL's own tax table numbering is not used.
inline constexpr std::optional<std::uint8_t> tax_byte_for_1199(std::uint8_t code) {
    if (code >= 1 && code <= 12) return code;
    return std::nullopt;
}

// A8 (§2.5, 99h): payment types: 1 cash (1031), 2 electronic (1081), 3 prepayment offset (1215),
// 4 credit (1216), 5 counter-provision (1217).
inline constexpr std::uint8_t kPayCash = 1;
inline constexpr std::uint8_t kPayElectronic = 2;
inline constexpr std::uint8_t kPayPrepayment = 3;
inline constexpr std::uint8_t kPayCredit = 4;
inline constexpr std::uint8_t kPayProvision = 5;
// 99h answer: remainder BCD5, then change BCD5.
inline constexpr std::size_t kPaymentAnswerSize = 10;

// A9 (§2.5, A4h): ФН queries answer in the ФН's own binary format, the same layouts as the Shtrih
// FF-class answers (the ФН exchange protocol is common to every KKT): A4 30 = FF01, A4 10 = FF40,
// A4 20 = FF39, A4 31 = FF02, A4 32 = FF03, A4 40 <number LE4> = FF0A.

// A10 (§2.4.3): the device answers Ack (C2) and Abort (C4) with one status byte (A3-less): Kassa
// accepts any status there and only checks the packet id.
// A11 (§2.4.3): results are pushed as F0h packets even without the WaitAsyncData flag; Kassa
// polls with Req as well, so either behaviour works.

// A12 (§2.5, C1h print barcode, atol4j only): type 1 (0 = QR), alignment 1 (2 = centre), scale 1,
// version 2, options 2, correction level 1, rows 1, columns 1, proportions 2, pixel proportions 2,
// then the data (UTF-8).
inline constexpr std::uint8_t kBarcodeQr = 0;
inline constexpr std::uint8_t kAlignCentre = 2;

// A13: there is no public "continue printing" command. ATOL resumes a document itself once paper
// is loaded; continue_print() reads 45h and reports paper out as NeedsOperator.

// A14 (§2.6): error 0x67 "no paper" and 0x68/0x69 printer faults need the operator; 0xD1 overheat too.

}  // namespace kassa::drivers::atol::assume
