// Typed ATOL application commands, "Протокол ККТ 3.1" (shared/spec/protocols.md §2.1, §2.5). A
// request is `access password (BCD2) | command | parameters`; an answer is usually
// `55h | error | extended error | data` (3Fh answers `44h | data`, A5h `error | data`). Numbers are
// packed BCD, most significant pair first; ФН queries (A4h) answer in the ФН's binary LE format.
// Each request has encode() (the parameters after the command byte) and decode(); each answer has
// decode() and encode(), so the driver and the simulator share one definition of every layout.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "drivers/atol/frame.hpp"

namespace kassa::drivers::atol {

namespace cmd {
inline constexpr std::uint8_t kStatus = 0x3F;      // KKT status (44h answer)
inline constexpr std::uint8_t kStatusCode = 0x45;  // mode and printer flags
inline constexpr std::uint8_t kExitMode = 0x48;    // back to mode 0
inline constexpr std::uint8_t kCashIn = 0x49;      // внесение
inline constexpr std::uint8_t kCashSum = 0x4D;  // сумма наличности в денежном ящике (4Dh answer)
inline constexpr std::uint8_t kCloseReceipt = 0x4A;  // закрыть чек
inline constexpr std::uint8_t kPrintString = 0x4C;
inline constexpr std::uint8_t kCashOut = 0x4F;        // выплата
inline constexpr std::uint8_t kEnterMode = 0x56;      // mode 1; password BCD4
inline constexpr std::uint8_t kCancelReceipt = 0x59;  // аннулирование всего чека
inline constexpr std::uint8_t kZReport = 0x5A;        // отчёт с гашением = close shift (mode 3)
inline constexpr std::uint8_t kReport = 0x67;         // X and other reports without closing (mode 2)
inline constexpr std::uint8_t kCut = 0x75;            // 0 full, 1 partial
inline constexpr std::uint8_t kOpenReceipt = 0x92;    // mode 1
inline constexpr std::uint8_t kReprintLast = 0x95;    // copy of the last document (atol4j)
inline constexpr std::uint8_t kPayment = 0x99;        // расчёт по чеку
inline constexpr std::uint8_t kOpenShift = 0x9A;      // mode 1
inline constexpr std::uint8_t kFn = 0xA4;             // ФН queries, sub-command first
inline constexpr std::uint8_t kDeviceType = 0xA5;     // answer without 55h
inline constexpr std::uint8_t kPrintBarcode = 0xC1;   // barcode / QR (atol4j)
inline constexpr std::uint8_t kWriteTag = 0xE8;       // write requisite (TLV)
inline constexpr std::uint8_t kBeginItem = 0xEA;      // ФФД ≥ 1.05 item: begin
inline constexpr std::uint8_t kEndItem = 0xEB;        // ФФД ≥ 1.05 item: end (price, qty, tax…)
}  // namespace cmd

// A4h sub-commands (§2.5).
namespace fn {
inline constexpr std::uint8_t kShiftParams = 0x10;
inline constexpr std::uint8_t kOfdStatus = 0x20;
inline constexpr std::uint8_t kStatus = 0x30;
inline constexpr std::uint8_t kNumber = 0x31;
inline constexpr std::uint8_t kExpiry = 0x32;
inline constexpr std::uint8_t kFindDocument = 0x40;
}  // namespace fn

// Modes (§2.2).
namespace mode {
inline constexpr std::uint8_t kSelect = 0;
inline constexpr std::uint8_t kRegistration = 1;
inline constexpr std::uint8_t kXReports = 2;
inline constexpr std::uint8_t kZReports = 3;
}  // namespace mode

// 92h receipt types (§2.5) for tag 1054 values.
namespace receipt_type {
inline constexpr std::uint8_t kIncome = 1;
inline constexpr std::uint8_t kIncomeReturn = 2;
inline constexpr std::uint8_t kExpense = 4;
inline constexpr std::uint8_t kExpenseReturn = 5;
}  // namespace receipt_type
// The 92h type for a calculation sign (1054: 1..4) and correction flag; nullopt for other signs.
std::optional<std::uint8_t> receipt_type_for(std::uint8_t calc_sign, bool correction);
// The reverse (simulator): 1054 value and correction flag, nullopt for an unknown type.
std::optional<std::pair<std::uint8_t, bool>> calc_sign_for(std::uint8_t receipt_type);

inline constexpr std::uint8_t kAnswerPrefix = 0x55;
inline constexpr std::uint8_t kStatusPrefix = 0x44;
// 4Dh «запрос наличности» answers with its own code, then the drawer sum: `4D` BCD7 (kopecks).
// Not in §2.5's table: docs/atol-assumptions.md A15 (a public protocol-3.x client reads the answer as
// its code then BCD kopecks; the length, 7, is ours).
inline constexpr std::size_t kCashSumSize = 7;

// ---- primitive encodings (§2.1) ----

// Packed BCD, big-endian, `size` bytes. False (nothing written) when the value needs more digits.
bool put_bcd(Bytes& out, std::uint64_t value, std::size_t size);
// Error "bad_bcd" for a nibble above 9.
Result<std::uint64_t> read_bcd(std::span<const std::uint8_t> bytes);
// UTF-8 → CP866 with ATOL's swap: '№' is 24h and '$' is FCh (§2.1). Error "text_not_cp866".
Result<Bytes> to_atol_text(std::string_view utf8);
std::string from_atol_text(std::span<const std::uint8_t> bytes);

// Reads fields one after another; every read fails cleanly ("answer_truncated") past the end.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    Result<std::uint8_t> u8();
    Result<std::uint64_t> bcd(std::size_t size);
    Result<std::uint64_t> le(std::size_t size);
    Result<Bytes> raw(std::size_t size);
    Bytes rest();
    std::size_t remaining() const { return in_.size() - pos_; }

  private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

// ---- messages ----

struct Request {
    std::uint8_t code = 0;
    Bytes params;
    std::uint16_t access_password = 0;  // BCD2, 0000 by default (§2.1)

    Bytes encode() const;  // password BCD2, code, params
    static Result<Request> parse(std::span<const std::uint8_t> bytes);
};

struct Answer {
    std::uint8_t error = 0;
    std::uint8_t extended = 0;  // "extended/reserved" byte after the error
    Bytes data;

    // The answer to `code`: 44h+data for 3Fh and 4Dh+data for 4Dh (or 55h+error when they failed),
    // err+data for A5h, 55h+err+ext+data otherwise. Error "bad_answer".
    static Result<Answer> parse(std::span<const std::uint8_t> bytes, std::uint8_t code);
    Bytes encode(std::uint8_t code) const;
};

// A request with no parameters (3Fh, 45h, 48h, 4Dh, 59h, 5Ah, 95h, A5h).
Request simple_request(std::uint8_t code);

// 56h enter mode: mode 1; password BCD4.
struct EnterModeRequest {
    std::uint8_t mode = 0;
    std::uint32_t password = 0;
    Request request() const;
    static Result<EnterModeRequest> decode(std::span<const std::uint8_t> params);
};

// 3Fh status answer (after 44h), 29 bytes.
struct StatusAnswer {
    std::uint8_t cashier = 0;  // BCD1
    std::uint8_t number_in_hall = 1;
    std::array<std::uint8_t, 6> date_time{0, 1, 1, 0, 0, 0};  // YY MM DD HH MM SS (decoded from BCD)
    std::uint8_t flags = 0;                                   // see assume::kStatusFlag*
    std::uint32_t serial = 0;                                 // BCD4
    std::uint8_t model = 0;
    std::array<std::uint8_t, 2> version{3, 1};
    std::uint8_t mode = 0;  // low nibble mode, high nibble sub-mode
    std::uint16_t receipt_number = 0;
    std::uint16_t shift_number = 0;
    std::uint8_t receipt_state = 0;  // 0 closed, else the 92h receipt type
    std::uint64_t receipt_sum = 0;   // BCD5, kopecks
    std::uint8_t decimal_point = 2;
    std::uint8_t port = 1;  // 1 RS-232, 4 USB, 5 BT/Wi-Fi, 6 Ethernet

    static constexpr std::size_t kSize = 29;
    Bytes encode() const;
    static Result<StatusAnswer> decode(std::span<const std::uint8_t> data);
};

// 45h status code answer (after 55h): mode/sub-mode 1; printer flags 1.
namespace printer {
inline constexpr std::uint8_t kNoPaper = 0x01;
inline constexpr std::uint8_t kNoLink = 0x02;
inline constexpr std::uint8_t kMechanical = 0x04;
inline constexpr std::uint8_t kCutter = 0x08;
inline constexpr std::uint8_t kOverheat = 0x10;
}  // namespace printer
struct StatusCodeAnswer {
    std::uint8_t mode = 0;
    std::uint8_t flags = 0;
    Bytes encode() const;
    static Result<StatusCodeAnswer> decode(std::span<const std::uint8_t> data);
};

// A5h device type (after the error byte): protocol 1; type 1; model 1; mode 2; version 5; name.
struct DeviceTypeAnswer {
    std::uint8_t protocol = 0;
    std::uint8_t type = 1;
    std::uint8_t model = 0;
    std::array<std::uint8_t, 2> mode{};
    std::array<std::uint8_t, 5> version{};
    std::string name;  // CP866 on the wire
    Bytes encode() const;
    static Result<DeviceTypeAnswer> decode(std::span<const std::uint8_t> data);
};

// 9Ah open shift: flags 1 (bit0 test); optional text (CP866-ATOL, cashier line).
// 92h open receipt: flags 1; type 1.
// 59h, 5Ah, 48h: no parameters. 67h report: type 1 (1 = daily X report).
struct FlagsRequest {
    std::uint8_t code = 0;
    std::uint8_t flags = 0;
    Bytes tail;  // parameters after the flags
    Request request() const;
};
Request open_shift_request(std::uint8_t flags = 0);
Request open_receipt_request(std::uint8_t type, std::uint8_t flags = 0);
Request report_request(std::uint8_t type);

// EAh begin item: flags 1; parameter 1; reserved 1.
Request begin_item_request();

// EBh end item (§2.5, [1 src]): flags 1; price BCD7; quantity BCD5 (thousandths); value BCD7; tax 1;
// tax sum BCD7; section 1; subject (1212) 1; method (1214) 1; discount sign 1; discount BCD7;
// reserved 2; name CP866-ATOL (rest of the command).
struct EndItemRequest {
    std::uint8_t flags = 0;
    std::uint64_t price = 0;           // kopecks
    std::uint64_t quantity_milli = 0;  // thousandths
    std::uint64_t amount = 0;          // kopecks
    std::uint8_t tax = 0;              // assume::tax_byte_for_1199
    std::uint64_t tax_sum = 0;         // kopecks
    std::uint8_t section = 1;
    std::uint8_t subject = 1;
    std::uint8_t method = 4;
    std::uint8_t discount_sign = 0;
    std::uint64_t discount = 0;
    std::string name;

    Result<Request> request() const;  // "value_too_large" or "text_not_cp866"
    static Result<EndItemRequest> decode(std::span<const std::uint8_t> params);
};

// E8h write requisite (assume A6): flags 1; one whole TLV.
struct WriteTagRequest {
    std::uint8_t flags = 0;
    Bytes tlv;
    Request request() const;
    static Result<WriteTagRequest> decode(std::span<const std::uint8_t> params);
};

// 99h payment, 4Ah close receipt: flags 1; payment type 1; sum BCD5.
// 49h cash in, 4Fh cash out: flags 1; sum BCD5.
struct MoneyRequest {
    std::uint8_t code = cmd::kPayment;
    std::uint8_t flags = 0;
    std::optional<std::uint8_t> type;  // 99h and 4Ah only
    std::uint64_t sum = 0;             // kopecks

    Result<Request> request() const;  // "value_too_large"
    static Result<MoneyRequest> decode(std::uint8_t code, std::span<const std::uint8_t> params);
};

// 99h answer data: remainder BCD5; change BCD5.
struct PaymentAnswer {
    std::uint64_t remainder = 0;
    std::uint64_t change = 0;
    Bytes encode() const;
    static Result<PaymentAnswer> decode(std::span<const std::uint8_t> data);
};

// 4Ch print string: the text, no length byte. 75h cut: type 1.
Result<Request> print_string_request(std::string_view utf8);
Request cut_request(std::uint8_t type);

// C1h print barcode (assume A12): the header, then the data.
struct BarcodeRequest {
    std::uint8_t type = 0;  // assume::kBarcodeQr
    std::uint8_t alignment = 2;
    std::uint8_t scale = 4;
    std::uint8_t correction = 1;  // M
    Bytes data;
    static constexpr std::size_t kHeader = 14;
    Request request() const;
    static Result<BarcodeRequest> decode(std::span<const std::uint8_t> params);
};

// ---- ФН queries, A4h (assume A9: ФН-format, little-endian) ----

Request fn_request(std::uint8_t sub, Bytes params = {});

// DATE_TIME: YY MM DD HH MM, binary. Kassa reads the register clock as UTC (as for Shtrih).
struct FnDateTime {
    int year = 2000;
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;
    static FnDateTime from(std::chrono::system_clock::time_point t);
    std::chrono::system_clock::time_point to_time_point() const;
    void write(Bytes& out) const;
    static Result<FnDateTime> read(Reader& r);
};

// A4 30: life phase 1; current document 1; document data 1; shift state 1; warnings 1; DATE_TIME 5;
// ФН number 16 ASCII; last ФД number LE4.
struct FnStatusAnswer {
    std::uint8_t phase = 3;
    std::uint8_t current_document = 0;
    std::uint8_t document_data = 0;
    bool shift_open = false;
    std::uint8_t warnings = 0;
    FnDateTime date_time;
    std::string fn_number;
    std::uint32_t last_fd_number = 0;
    Bytes encode() const;
    static Result<FnStatusAnswer> decode(std::span<const std::uint8_t> data);
};

// A4 10: shift state 1; shift number LE2; receipt number LE2.
struct FnShiftAnswer {
    bool open = false;
    std::uint16_t shift_number = 0;
    std::uint16_t receipt_number = 0;
    Bytes encode() const;
    static Result<FnShiftAnswer> decode(std::span<const std::uint8_t> data);
};

// A4 20: status bits 1; reading 1; queued LE2; first queued number LE4; its DATE_TIME 5.
struct FnOfdAnswer {
    std::uint8_t bits = 0;
    std::uint8_t reading = 0;
    std::uint16_t queued = 0;
    std::uint32_t first_number = 0;
    FnDateTime first_date_time;
    Bytes encode() const;
    static Result<FnOfdAnswer> decode(std::span<const std::uint8_t> data);
};

// A4 32: YY MM DD.
struct FnExpiryAnswer {
    int year = 2000;
    int month = 1;
    int day = 1;
    Bytes encode() const;
    static Result<FnExpiryAnswer> decode(std::span<const std::uint8_t> data);
};

// A4 40 request: document number LE4. Answer: type 1; OFD ticket 1; DATE_TIME 5; number LE4;
// fiscal sign LE4; for receipts (types 3, 31) operation 1 and amount LE5.
Request find_document_request(std::uint32_t number);
Result<std::uint32_t> decode_find_document(std::span<const std::uint8_t> fn_params);
struct FnDocumentAnswer {
    std::uint8_t type = 0;
    bool ofd_ticket = false;
    FnDateTime date_time;
    std::uint32_t number = 0;
    std::uint32_t fiscal_sign = 0;
    std::optional<std::uint8_t> operation;
    std::optional<std::uint64_t> amount;
    Bytes encode() const;
    static Result<FnDocumentAnswer> decode(std::span<const std::uint8_t> data);
};

// FFD document type codes (for FnDocumentAnswer::type).
namespace doc_type {
inline constexpr std::uint8_t kShiftOpen = 2;
inline constexpr std::uint8_t kReceipt = 3;
inline constexpr std::uint8_t kShiftClose = 5;
inline constexpr std::uint8_t kCorrection = 31;
}  // namespace doc_type

// Per-command answer timeouts of the v2 exchange (§2.3 T5): how long the device may take.
std::chrono::milliseconds answer_timeout(std::uint8_t code);

}  // namespace kassa::drivers::atol
