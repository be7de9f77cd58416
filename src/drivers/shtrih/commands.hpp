// Typed Shtrih-M commands (shared/spec/protocols.md §1.5, §1.8). Each request and answer has an
// encode() producing the bytes after CMD (and after the error byte for answers) and a decode()
// reading them back, so the driver and the simulator share one definition of every layout.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "drivers/shtrih/codec.hpp"
#include "drivers/shtrih/frame.hpp"

namespace kassa::drivers::shtrih {

// Command codes; FF-class codes keep their FF prefix in the high byte (§1.2: `FF` goes first).
namespace cmd {
inline constexpr std::uint16_t kShortStatus = 0x10;
inline constexpr std::uint16_t kFullStatus = 0x11;
inline constexpr std::uint16_t kBeep = 0x13;
inline constexpr std::uint16_t kReadExchangeParams = 0x15;
inline constexpr std::uint16_t kMoneyRegister = 0x1A;
inline constexpr std::uint16_t kReadTable = 0x1F;
inline constexpr std::uint16_t kPrintString = 0x17;
inline constexpr std::uint16_t kCut = 0x25;
inline constexpr std::uint16_t kPrintFontString = 0x2F;
inline constexpr std::uint16_t kXReport = 0x40;
inline constexpr std::uint16_t kZReport = 0x41;
inline constexpr std::uint16_t kCashIn = 0x50;
inline constexpr std::uint16_t kCashOut = 0x51;
inline constexpr std::uint16_t kSale = 0x80;
inline constexpr std::uint16_t kReturnSale = 0x82;
inline constexpr std::uint16_t kCloseReceipt = 0x85;
inline constexpr std::uint16_t kCancelReceipt = 0x88;
inline constexpr std::uint16_t kRepeatDocument = 0x8C;
inline constexpr std::uint16_t kOpenReceipt = 0x8D;
inline constexpr std::uint16_t kContinuePrint = 0xB0;
inline constexpr std::uint16_t kLoadData = 0xDD;
inline constexpr std::uint16_t kPrint2DBarcode = 0xDE;
inline constexpr std::uint16_t kOpenShift = 0xE0;
inline constexpr std::uint16_t kDeviceType = 0xFC;
inline constexpr std::uint16_t kFnStatus = 0xFF01;
inline constexpr std::uint16_t kFnNumber = 0xFF02;
inline constexpr std::uint16_t kFnExpiry = 0xFF03;
inline constexpr std::uint16_t kCancelFnDocument = 0xFF08;
inline constexpr std::uint16_t kFindDocument = 0xFF0A;
inline constexpr std::uint16_t kOpenShiftFn = 0xFF0B;
inline constexpr std::uint16_t kSendTlv = 0xFF0C;
inline constexpr std::uint16_t kBeginCorrection = 0xFF35;
inline constexpr std::uint16_t kBeginSettlementReport = 0xFF37;
inline constexpr std::uint16_t kSettlementReport = 0xFF38;
inline constexpr std::uint16_t kOfdStatus = 0xFF39;
inline constexpr std::uint16_t kUnconfirmedCount = 0xFF3F;
inline constexpr std::uint16_t kShiftParams = 0xFF40;
inline constexpr std::uint16_t kBeginOpenShift = 0xFF41;
inline constexpr std::uint16_t kBeginCloseShift = 0xFF42;
inline constexpr std::uint16_t kCloseShiftFn = 0xFF43;
inline constexpr std::uint16_t kCloseReceiptV2 = 0xFF45;
inline constexpr std::uint16_t kOperationV2 = 0xFF46;
inline constexpr std::uint16_t kCorrectionV2 = 0xFF4A;
inline constexpr std::uint16_t kSendLineTlv = 0xFF4D;
}  // namespace cmd

inline constexpr bool is_fn_class(std::uint16_t code) { return code > 0xFF; }

// Default passwords (§1.6): cashier rows 1..28, administrator 29, system administrator 30.
inline constexpr std::uint32_t kPasswordAdmin = 29;
inline constexpr std::uint32_t kPasswordSysAdmin = 30;

// A request: CMD + DATA. The frame body is cmd bytes followed by data.
struct Request {
    std::uint16_t code = 0;
    Bytes data;

    Bytes body() const;
    static Result<Request> parse(std::span<const std::uint8_t> body);
};

// An answer: CMD echo + error + DATA (§1.5). When error ≠ 0 the device sends no data.
struct Answer {
    std::uint16_t code = 0;
    std::uint8_t error = 0;
    Bytes data;

    Bytes body() const;
    // Accepts both answer forms for FF commands: `FF xx err …` and the short `FF err` (§1.5).
    static Result<Answer> parse(std::span<const std::uint8_t> body, std::uint16_t expected_code);
};

// Requests that carry only a password (10h, 11h, 40h, 41h, 88h, B0h, E0h, FF01..FF03, FF39..FF41).
Request password_request(std::uint16_t code, std::uint32_t password);
Result<std::uint32_t> decode_password(std::span<const std::uint8_t> data);

// Answers that carry only the operator number (17h, 25h, 40h, 41h, 88h, 8Dh, B0h, E0h).
struct OperatorAnswer {
    std::uint8_t operator_number = 0;
    Bytes encode() const;
    static Result<OperatorAnswer> decode(std::span<const std::uint8_t> data);
};

// ECR flag bits (§1.7).
namespace flags {
inline constexpr std::uint16_t kReceiptRoll = 1u << 1;
inline constexpr std::uint16_t kReceiptOptical = 1u << 7;  // 1 = paper under the sensor
inline constexpr std::uint16_t kCoverOpen = 1u << 10;
}  // namespace flags

// 10h short status answer (LEN 16, or 17 with the last print result).
struct ShortStatus {
    std::uint8_t operator_number = 0;
    std::uint16_t flags = 0;
    std::uint8_t mode = 0;  // low nibble: mode; high nibble: status in modes 8/13/14
    std::uint8_t submode = 0;
    std::uint16_t receipt_operations = 0;  // lo and hi bytes sit apart on the wire
    std::uint8_t battery_voltage = 0;
    std::uint8_t power_voltage = 0;
    std::uint8_t fm_error = 0;
    std::uint8_t ej_error = 0;
    std::optional<std::uint8_t> last_print_result;

    Bytes encode() const;
    static Result<ShortStatus> decode(std::span<const std::uint8_t> data);
};

// 11h full status answer, the legacy 48-byte layout real devices send (§1.8.1).
struct FullStatus {
    std::uint8_t operator_number = 0;
    std::array<std::uint8_t, 2> firmware_version{'1', '0'};
    std::uint16_t firmware_build = 0;
    std::array<std::uint8_t, 3> firmware_date{1, 1, 20};  // DD MM YY
    // FP (fiscal memory) fields: placeholders on FN devices, but clients parse the date (§1.8.1).
    std::array<std::uint8_t, 2> fp_version{'1', '0'};
    std::uint16_t fp_build = 0;
    std::array<std::uint8_t, 3> fp_date{1, 1, 20};  // DD MM YY
    std::uint8_t number_in_hall = 1;
    std::uint16_t document_number = 0;
    std::uint16_t flags = 0;
    std::uint8_t mode = 0;
    std::uint8_t submode = 0;
    std::uint8_t port = 0;
    std::array<std::uint8_t, 3> date{1, 1, 20};  // DD MM YY
    std::array<std::uint8_t, 3> time{0, 0, 0};   // HH MM SS
    std::uint32_t serial_low = 0xFFFFFFFF;
    std::uint16_t last_closed_shift = 0;
    std::uint64_t inn = 0xFFFF'FFFF'FFFFull;  // 6 bytes LE

    Bytes encode() const;
    static Result<FullStatus> decode(std::span<const std::uint8_t> data);
};

// FCh device type (§1.8): sent without a password. Answer: type 1; subtype 1; protocol version 1;
// subversion 1; model 1; language 1 (0 = Russian); name WIN1251 (the rest of the frame).
struct DeviceType {
    std::uint8_t type = 0;
    std::uint8_t subtype = 0;
    std::uint8_t protocol_version = 1;
    std::uint8_t protocol_subversion = 0;
    std::uint8_t model = 0;
    std::uint8_t language = 0;
    std::string name;  // UTF-8
    Bytes encode() const;
    static Result<DeviceType> decode(std::span<const std::uint8_t> data);
};

// 1Fh read table: pwd adm 4; table 1; row 2; field 1. Answer: the field's bytes (numbers LE,
// text WIN1251 zero-padded), as long as the field. Tables in spec §1.6 (2: operators),
// §1.8.2 (1: tax calculation mode; 6: tax rates; 17 field 71: the 2026 VAT mode).
struct ReadTableRequest {
    std::uint32_t password = kPasswordSysAdmin;
    std::uint8_t table = 0;
    std::uint16_t row = 1;
    std::uint8_t field = 1;
    Request request() const;
    static Result<ReadTableRequest> decode(std::span<const std::uint8_t> data);
};

// 80h sale / 82h sale return (legacy, §1.8): pwd 4; qty 5 (thousandths, §1.4); price 5; department
// 1; tax groups 4 × 1 (0 none, 1..4 a table-6 row); text 40 WIN1251.
struct LegacyOperation {
    std::uint16_t code = cmd::kSale;
    std::uint32_t password = 0;
    std::uint64_t quantity_milli = 1000;
    std::uint64_t price = 0;
    std::uint8_t department = 1;
    std::array<std::uint8_t, 4> taxes{};
    std::string text;
    Request request() const;
    static Result<LegacyOperation> decode(std::uint16_t code, std::span<const std::uint8_t> data);
};

// 85h close receipt (legacy, §1.8): pwd 4; cash 5; payment types 2..4 5 each; discount 2 (signed,
// hundredths of a per cent); tax groups 4 × 1; text 40. Answer: op_no 1; change 5 [; web link].
struct LegacyClose {
    std::uint32_t password = 0;
    std::array<std::uint64_t, 4> payments{};
    std::int16_t discount = 0;
    std::array<std::uint8_t, 4> taxes{};
    std::string text;
    Request request() const;
    static Result<LegacyClose> decode(std::span<const std::uint8_t> data);
};

struct LegacyCloseAnswer {
    std::uint8_t operator_number = 0;
    std::uint64_t change = 0;
    Bytes encode() const;
    static Result<LegacyCloseAnswer> decode(std::span<const std::uint8_t> data);
};

// 8Dh open receipt: document type 0 sale, 1 buy, 2 sale return, 3 buy return; +0x80 correction.
struct OpenReceiptRequest {
    std::uint32_t password = 0;
    std::uint8_t type = 0;
    Request request() const;
    static Result<OpenReceiptRequest> decode(std::span<const std::uint8_t> data);
};

// 50h cash in / 51h cash out: pwd op 4; sum 5 (kopecks, §1.4). Answer: op_no 1; document
// through-number 2. Not in the §1.8 table; the layout is the one public clients send and parse
// (pyshtrih "Внесение"/"Выплата"); §1.10 gives 46h "not enough cash in the register".
struct CashRequest {
    std::uint16_t code = cmd::kCashIn;
    std::uint32_t password = 0;
    std::uint64_t amount = 0;
    Request request() const;
    static Result<CashRequest> decode(std::uint16_t code, std::span<const std::uint8_t> data);
};

struct CashAnswer {
    std::uint8_t operator_number = 0;
    std::uint16_t document_number = 0;  // the KKT's through-number of documents
    Bytes encode() const;
    static Result<CashAnswer> decode(std::span<const std::uint8_t> data);
};

// 1Ah read a money register («Запрос денежного регистра»): pwd op 4; register number 1 (0..255).
// Answer: op_no 1; value 6 (kopecks, LE, §1.4). Register 241 is the cash in the drawer (what cash
// receipts, 50h and 51h move). Not in the §1.8 table; the layout is the one public clients send.
inline constexpr std::uint8_t kCashInDrawerRegister = 241;
struct MoneyRegisterRequest {
    std::uint32_t password = 0;
    std::uint8_t number = kCashInDrawerRegister;
    Request request() const;
    static Result<MoneyRegisterRequest> decode(std::span<const std::uint8_t> data);
};

struct MoneyRegisterAnswer {
    std::uint8_t operator_number = 0;
    std::uint64_t value = 0;  // kopecks
    Bytes encode() const;
    static Result<MoneyRegisterAnswer> decode(std::span<const std::uint8_t> data);
};

// 17h print string: flags bit0 control tape, bit1 receipt tape; 40 bytes of CP1251 text.
struct PrintStringRequest {
    std::uint32_t password = 0;
    std::uint8_t flags = 0x02;
    std::string text;  // UTF-8; cut to 40 encoded bytes
    Request request() const;
    static Result<PrintStringRequest> decode(std::span<const std::uint8_t> data);
};

// 2Fh print string in a given font (LEN 47): pwd 4; flags 1; font number 1; 40 bytes CP1251 text.
// Not in spec §1.8; layout confirmed from the vendor protocol text quoted in public drivers.
struct PrintFontStringRequest {
    std::uint32_t password = 0;
    std::uint8_t flags = 0x02;
    std::uint8_t font = 1;
    std::string text;
    Request request() const;
    static Result<PrintFontStringRequest> decode(std::span<const std::uint8_t> data);
};

// DDh load data: pwd 4; kind 1 (0 = data of a 2D barcode); block number 1 (0..127); data ≤ 64.
// DEh print 2D barcode (LEN 15): pwd 4; type 1 (3 = QR); data length 2; first block 1; parameters
// 5 × 1 (QR: version 0 = auto, mask, dot size 3..8, –, error correction 0..3 = L M Q H); alignment 1
// (0 left, 1 centre, 2 right). Not in spec §1.8: facts from the vendor's JavaPOS (PrintBarcode3) and
// a Delphi driver; verify on hardware.
inline constexpr std::size_t kDataBlock = 64;
struct LoadDataRequest {
    std::uint32_t password = 0;
    std::uint8_t kind = 0;
    std::uint8_t block = 0;
    Bytes data;
    Request request() const;
    static Result<LoadDataRequest> decode(std::span<const std::uint8_t> data);
};

struct Print2DBarcodeRequest {
    std::uint32_t password = 0;
    std::uint8_t type = 3;  // QR
    std::uint16_t length = 0;
    std::uint8_t first_block = 0;
    std::array<std::uint8_t, 5> parameters{0, 0, 4, 0, 1};
    std::uint8_t alignment = 1;
    Request request() const;
    static Result<Print2DBarcodeRequest> decode(std::span<const std::uint8_t> data);
};

// 25h cut: 0 full, 1 partial.
struct CutRequest {
    std::uint32_t password = 0;
    std::uint8_t type = 0;
    Request request() const;
    static Result<CutRequest> decode(std::span<const std::uint8_t> data);
};

// FF01h FN status answer (LEN 33).
struct FnStatus {
    std::uint8_t life_phase = 0;        // bitmask: 03 fiscal mode
    std::uint8_t current_document = 0;  // 00 none, 02 shift open report, 04 receipt, 08 shift close, 14 correction
    std::uint8_t document_data = 0;
    std::uint8_t shift_open = 0;  // 0 closed, 1 open
    std::uint8_t warnings = 0;
    DateTime date_time;
    std::string fn_number;  // 16 ASCII characters
    std::uint32_t last_fd_number = 0;

    Bytes encode() const;
    static Result<FnStatus> decode(std::span<const std::uint8_t> data);
};

// FF02h FN number answer.
struct FnNumber {
    std::string number;
    Bytes encode() const;
    static Result<FnNumber> decode(std::span<const std::uint8_t> data);
};

// FF03h FN expiry answer: YY MM DD.
struct FnExpiry {
    int year = 2000;
    int month = 1;
    int day = 1;
    Bytes encode() const;
    static Result<FnExpiry> decode(std::span<const std::uint8_t> data);
};

// FF0Ah find fiscal document by number.
struct FindDocumentRequest {
    std::uint32_t password = kPasswordSysAdmin;
    std::uint32_t number = 0;
    Request request() const;
    static Result<FindDocumentRequest> decode(std::span<const std::uint8_t> data);
};

// Document type codes = FFD form codes (§1.8 FF0A notes).
namespace doc_type {
inline constexpr std::uint8_t kRegistration = 1;
inline constexpr std::uint8_t kShiftOpen = 2;
inline constexpr std::uint8_t kReceipt = 3;
inline constexpr std::uint8_t kCorrectionReceipt = 31;
inline constexpr std::uint8_t kShiftClose = 5;
}  // namespace doc_type

struct FoundDocument {
    std::uint8_t type = 0;
    bool ofd_ticket = false;
    DateTime date_time;
    std::uint32_t number = 0;
    std::uint32_t fiscal_sign = 0;
    std::optional<std::uint8_t> operation;  // receipts: tag 1054
    std::optional<std::uint64_t> amount;    // receipts: total in kopecks

    Bytes encode() const;
    static Result<FoundDocument> decode(std::span<const std::uint8_t> data);
};

// FF0Ch (document tags) and FF4Dh (tags of the last operation): password + raw TLV ≤ 250 bytes.
inline constexpr std::size_t kMaxTlvPerCommand = 250;
struct TlvRequest {
    std::uint16_t code = cmd::kSendTlv;
    std::uint32_t password = kPasswordSysAdmin;
    Bytes tlv;
    Request request() const;
    static Result<TlvRequest> decode(std::uint16_t code, std::span<const std::uint8_t> data);
};

// FF38h report on the state of settlements (after FF37h): FD number 4; FP 4; documents without an
// OFD ticket 4; date of the first of them 3 (YY MM DD) [; DATE_TIME 5] (§1.8).
struct SettlementReportAnswer {
    std::uint32_t fd_number = 0;
    std::uint32_t fiscal_sign = 0;
    std::uint32_t unconfirmed = 0;
    FnExpiry first_unconfirmed;  // YY MM DD, as FF03h
    std::optional<DateTime> date_time;
    Bytes encode() const;
    static Result<SettlementReportAnswer> decode(std::span<const std::uint8_t> data);
};

// FF39h OFD exchange status answer (LEN 16).
struct OfdStatus {
    std::uint8_t status = 0;
    std::uint8_t reading = 0;
    std::uint16_t queued = 0;
    std::uint32_t first_number = 0;
    DateTime first_date_time;

    Bytes encode() const;
    static Result<OfdStatus> decode(std::span<const std::uint8_t> data);
};

// FF40h current shift parameters answer.
struct ShiftParams {
    bool open = false;
    std::uint16_t shift_number = 0;
    std::uint16_t receipt_number = 0;
    Bytes encode() const;
    static Result<ShiftParams> decode(std::span<const std::uint8_t> data);
};

// FF0Bh open shift in FN / FF43h close shift in FN: shift number 2; FD number 4; FP 4; [DATE_TIME 5].
struct ShiftDocumentAnswer {
    std::uint16_t shift_number = 0;
    std::uint32_t fd_number = 0;
    std::uint32_t fiscal_sign = 0;
    std::optional<DateTime> date_time;
    Bytes encode() const;
    static Result<ShiftDocumentAnswer> decode(std::span<const std::uint8_t> data);
};

// FF46h operation v2 (§1.8.2).
struct OperationV2 {
    std::uint32_t password = kPasswordSysAdmin;
    std::uint8_t operation = 1;       // tag 1054
    std::int64_t quantity_micro = 0;  // 6 bytes, 6 decimals
    std::uint64_t price = 0;          // kopecks
    std::uint64_t amount = kMoneyAuto;
    std::uint64_t tax_amount = kMoneyAuto;
    std::uint8_t tax = 0x01;  // bitmask, see tax_byte_for_1199()
    std::uint8_t department = 1;
    std::uint8_t method = 4;   // tag 1214
    std::uint8_t subject = 1;  // tag 1212
    std::string name;          // UTF-8; sent as CP1251, ≤ 128 bytes

    Request request() const;
    static Result<OperationV2> decode(std::span<const std::uint8_t> data);
};

// The FF46 tax byte for a tag 1199 code (§1.8.2, §3.4): the bitmask on the wire; 22 % and 22/122
// go as rows 1 and 5, which the KKT relabels by date (vendor default mode Т17П71 = 1).
std::optional<std::uint8_t> tax_byte_for_1199(std::uint8_t code);
// The inverse the simulator uses; `after_2026` selects 22 % for rows 1 and 5.
std::optional<std::uint8_t> tag_1199_for_tax_byte(std::uint8_t tax, bool after_2026);

// FF45h close receipt v2 (§1.8.3).
struct CloseReceiptV2 {
    std::uint32_t password = kPasswordSysAdmin;
    std::array<std::uint64_t, 16> payments{};  // [0] cash, [1..12] electronic, [13] 1215, [14] 1216, [15] 1217
    std::uint8_t rounding = 0;
    std::array<std::uint64_t, 6> taxes{};
    std::uint8_t tax_system = 0x01;  // tag 1055 bit
    std::string text;

    Request request() const;
    static Result<CloseReceiptV2> decode(std::span<const std::uint8_t> data);
};

struct CloseReceiptV2Answer {
    std::uint64_t change = 0;
    std::uint32_t fd_number = 0;
    std::uint32_t fiscal_sign = 0;
    std::optional<DateTime> date_time;  // with «РАСШИР. ОТВ.» set
    Bytes encode() const;
    static Result<CloseReceiptV2Answer> decode(std::span<const std::uint8_t> data);
};

// FF4Ah correction receipt v2 (FFD 1.05 form); Kassa's FFD 1.2 corrections use 8Dh | 0x80 instead.
struct CorrectionV2 {
    std::uint32_t password = kPasswordSysAdmin;
    std::uint8_t correction_type = 0;
    std::uint8_t calc_sign = 1;
    std::uint64_t total = 0;
    std::array<std::uint64_t, 5> payments{};  // cash, electronic, prepaid, postpaid, provision
    std::array<std::uint64_t, 6> taxes{};     // 20, 10, 0, none, 20/120, 10/110
    std::uint8_t tax_system = 0x01;
    Request request() const;
    static Result<CorrectionV2> decode(std::span<const std::uint8_t> data);
};

struct CorrectionV2Answer {
    std::uint16_t receipt_number = 0;
    std::uint32_t fd_number = 0;
    std::uint32_t fiscal_sign = 0;
    std::optional<DateTime> date_time;
    Bytes encode() const;
    static Result<CorrectionV2Answer> decode(std::span<const std::uint8_t> data);
};

// Host-side answer timeout for a command (§1.11).
std::chrono::milliseconds answer_timeout(std::uint16_t code);

}  // namespace kassa::drivers::shtrih
