// FiscalDevice: the one interface every register family implements (DESIGN.md §1, §6 CUPS and
// libsigrok models). A per-register worker thread owns one device and calls it synchronously; the
// device reports facts and a closed set of outcomes, the service owns policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::drivers {

// What the caller should do about a call (DESIGN.md §6, CUPS backend codes).
enum class Outcome : std::uint8_t {
    Done,           // the call succeeded
    RetryLater,     // link lost / device busy for long: try again later (the command may have run:
                    // see DeviceError::maybe_executed)
    RetryNow,       // transient: repeat at once (e.g. device still printing the previous command)
    NeedsOperator,  // paper out, cover open, shift over 24 h, ...: a person must act
    DeviceStopped,  // fiscal storage failure or exhausted: the register cannot work any more
    Rejected,       // the device refused this request (bad data, wrong state): do not repeat it as is
};

std::string_view outcome_name(Outcome o);

// Bytes as "0A 1B …" for trace logs of frames (every family's driver).
std::string hex_of(std::span<const std::uint8_t> bytes);

struct DeviceError {
    Outcome outcome = Outcome::Rejected;
    int device_code = -1;         // the register's own error code, -1 when the error is not the device's
    std::string device_text;      // the register's meaning of device_code (vendor table)
    std::string message;          // what we were doing
    bool maybe_executed = false;  // the link failed after a fiscal command was sent: it may have run
    // A stable machine-readable reason when the driver knows one (the API shows it to callers):
    // "not_enough_cash" (a payout beyond the drawer), "no_document" (nothing to repeat).
    std::string reason;

    std::string to_string() const;
};

template <class T>
using DeviceResult = std::expected<T, DeviceError>;
using DeviceStatusResult = std::expected<void, DeviceError>;

using TimePoint = std::chrono::system_clock::time_point;

struct DeviceStatus {
    int mode = 0;     // vendor mode number (Shtrih §1.7: 2 shift open, 3 expired, 4 closed, 8 receipt open)
    int submode = 0;  // vendor sub-mode (Shtrih: 0 paper ok, 1..3 paper out states, 5 printing)
    bool shift_open = false;
    int shift_number = 0;  // current (open) or last closed shift
    std::optional<TimePoint> shift_opened_at;
    bool shift_expired = false;          // open for more than 24 h: only closing is allowed
    std::string inn;                     // the register's user INN (10 or 12 digits), "" if not registered
    std::string fn_number;               // fiscal storage serial (16 characters)
    std::optional<TimePoint> fn_expiry;  // date the fiscal storage expires (00:00 of that day)
    std::uint32_t last_fd_number = 0;    // last fiscal document number in the storage
    int ofd_unsent = 0;                  // documents waiting for the OFD ticket
    std::optional<TimePoint> ofd_oldest_unsent;
    bool paper_ok = true;
    // Paper was loaded after it ran out while a document was printing: the device waits for
    // continue_print() (Shtrih sub-mode 3, §1.7) and refuses print commands until then.
    bool awaiting_continue_print = false;
    bool receipt_open = false;
};

struct FiscalResult {
    std::uint32_t fd_number = 0;    // tag 1040
    std::uint32_t fiscal_sign = 0;  // tag 1077 as printed (UInt32)
    std::string fn_number;          // tag 1041
    int shift_number = 0;           // tag 1038
    int receipt_number = 0;         // tag 1042, number in the shift
    TimePoint date_time{};          // tag 1012 (minute precision on Shtrih)
};

// Document type codes are the FFD form codes (1 registration, 2 shift open, 3 receipt,
// 31 correction receipt, 5 shift close, ...).
struct FiscalDocumentInfo {
    int type = 0;
    std::uint32_t number = 0;
    std::uint32_t fiscal_sign = 0;
    TimePoint date_time{};
    std::optional<fiscal::CalcSign> calc_sign;  // receipts only
    std::optional<fiscal::Kopecks> total;       // receipts only
    bool ofd_ticket = false;                    // the OFD confirmed it
};

class FiscalDevice {
  public:
    virtual ~FiscalDevice() = default;

    virtual DeviceResult<DeviceStatus> status() = 0;
    virtual DeviceStatusResult open_shift(const std::string& cashier, const std::string& cashier_inn) = 0;
    virtual DeviceStatusResult close_shift(const std::string& cashier, const std::string& cashier_inn) = 0;
    virtual DeviceStatusResult x_report() = 0;
    virtual DeviceResult<FiscalResult> fiscalise(const fiscal::Receipt& receipt) = 0;
    // Cancels a receipt left open on the device (nothing is fiscalised). Succeeds when none is open.
    virtual DeviceStatusResult cancel_receipt() = 0;
    virtual DeviceResult<FiscalDocumentInfo> last_document() = 0;
    virtual DeviceResult<FiscalDocumentInfo> document_by_number(std::uint32_t number) = 0;
    virtual DeviceStatusResult print_text(const std::vector<std::string>& lines) = 0;
    virtual DeviceStatusResult print_qr(const std::string& payload) = 0;
    virtual DeviceStatusResult cut() = 0;
    // Resumes a document whose printing stopped when the paper ran out, once paper is loaded
    // (Shtrih B0h). Succeeds when nothing is waiting.
    virtual DeviceStatusResult continue_print() = 0;
    // Cash put into / taken out of the drawer (Shtrih 50h / 51h): a non-fiscal document (the FN
    // keeps no record of it). `amount` is positive; taking out more than the drawer holds is
    // Rejected (reason "not_enough_cash" where the device says so). The value is the KKT's own
    // document through-number when the device reports it (Shtrih), else 0.
    virtual DeviceResult<std::uint32_t> cash_in(fiscal::Kopecks amount, const std::string& cashier) = 0;
    virtual DeviceResult<std::uint32_t> cash_out(fiscal::Kopecks amount, const std::string& cashier) = 0;
    // Prints a copy of the last document again (Shtrih 8Ch); Rejected when there is none.
    virtual DeviceStatusResult repeat_document() = 0;
    // The cash the register counts in its drawer, in kopecks (Shtrih: money register 241 by 1Ah;
    // ATOL: 4Dh). A family that cannot tell answers Rejected with reason "not_supported".
    virtual DeviceResult<fiscal::Kopecks> cash_in_drawer() {
        DeviceError e{Outcome::Rejected, -1, {}, "this register does not report its drawer sum", false};
        e.reason = "not_supported";
        return std::unexpected(std::move(e));
    }
};

}  // namespace kassa::drivers
