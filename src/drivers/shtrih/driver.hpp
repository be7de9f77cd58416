// The Shtrih-M FiscalDevice: session (§1.3) over a transport, commands (§1.8), flows (§1.9).
// Construct with make_shtrih_device("serial:///dev/ttyACM0?baud=115200") or
// make_shtrih_device("tcp://127.0.0.1:7778") or make_shtrih_device("usb://?vid=VVVV&pid=PPPP") (see
// transport.hpp). Query parameters (all optional):
//   password=30            operator/administrator password sent with every command (§1.6)
//   answer_timeout_ms=N    replaces the per-command table of §1.11 (tests)
//   control_timeout_ms=N   wait for ACK/NAK and between answer bytes (default 500)
//   max_enq=N              ENQ attempts before the link counts as lost (default 10)
//   enq_every_command=1    ENQ before every command (§1.3 step 1); default: only when the last
//                          exchange did not end with our ACK to its answer (SessionConfig)
//   font=N                 print_text through 2Fh in font N (default: 17h, font 1)
//   tlv_first=1            send line tags (FF4D) before FF46: "cash-core" models (§1.8.2)
//   status_cache_ms=N      how long a full status stays fresh (default 5000; 0 = always read it all):
//                          within it, status() reads only 10h and reuses what only this driver's
//                          own commands change (INN, FN number and expiry, shift opening time,
//                          last FD number, OFD queue, receipt number: no FF40h after a receipt);
//                          a shift change or a link failure ends it
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/uri.hpp"
#include "drivers/device.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/session.hpp"
#include "drivers/transport/transport.hpp"
#include "fiscal/tlv.hpp"

namespace spdlog {
class logger;
}

namespace kassa::drivers::shtrih {

struct DriverOptions {
    std::uint32_t password = kPasswordSysAdmin;  // 30 works for every command we send
    SessionConfig session;
    bool tlv_before_operation = false;
    std::uint8_t font = 0;        // 0: print text with 17h; N: with 2Fh in font N
    std::string name = "shtrih";  // logger: drv.<name>
    std::chrono::milliseconds status_cache{5000};
    // Timeouts, retries and the status cache run on it (tests: a ManualClock moved by the transport).
    const Clock* clock = &SystemClock::instance();
};

Result<DriverOptions> options_from_uri(const Uri& uri);
// options_from_uri plus: every query key is one the driver or its transport knows.
Status check_options(const Uri& uri);

// The device error code → outcome policy (§1.10 codes).
Outcome outcome_for_error(std::uint8_t code);

class ShtrihDevice final : public FiscalDevice {
  public:
    ShtrihDevice(std::unique_ptr<Transport> transport, DriverOptions options);
    ~ShtrihDevice() override;

    DeviceResult<DeviceStatus> status() override;
    DeviceStatusResult open_shift(const std::string& cashier, const std::string& cashier_inn) override;
    DeviceStatusResult close_shift(const std::string& cashier, const std::string& cashier_inn) override;
    DeviceStatusResult x_report() override;
    DeviceResult<FiscalResult> fiscalise(const fiscal::Receipt& receipt) override;
    DeviceStatusResult cancel_receipt() override;
    DeviceResult<FiscalDocumentInfo> last_document() override;
    DeviceResult<FiscalDocumentInfo> document_by_number(std::uint32_t number) override;
    DeviceStatusResult print_text(const std::vector<std::string>& lines) override;
    DeviceStatusResult print_qr(const std::string& payload) override;
    DeviceStatusResult cut() override;
    DeviceStatusResult continue_print() override;
    DeviceResult<std::uint32_t> cash_in(fiscal::Kopecks amount, const std::string& cashier) override;
    DeviceResult<std::uint32_t> cash_out(fiscal::Kopecks amount, const std::string& cashier) override;
    DeviceResult<fiscal::Kopecks> cash_in_drawer() override;
    DeviceStatusResult repeat_document() override;

    // One command: the answer's data, or a DeviceError (device code → outcome; link → retry_later).
    DeviceResult<Bytes> execute(const Request& request, const char* what);
    // Commands status() did not send because its cached state was fresh (see status_cache_ms).
    std::uint64_t status_reads_skipped() const { return status_reads_skipped_; }

    // ENQ-only recovery: the undelivered answer body, if the device holds one.
    DeviceResult<std::optional<Bytes>> recover_pending();

  private:
    DeviceResult<Bytes> run(SessionActions actions, const char* what);
    DeviceStatusResult send_tlvs(std::uint16_t code, std::span<const std::uint8_t> buffer,
                                 std::span<const fiscal::TagSpan> spans, const char* what);
    DeviceStatusResult send_cashier(const std::string& cashier, const std::string& cashier_inn, const char* what);
    DeviceResult<std::string> fn_number();
    DeviceResult<FiscalResult> fiscalise_open(const fiscal::Receipt& receipt, const fiscal::EncodedReceipt& encoded);
    DeviceResult<std::uint32_t> cash(std::uint16_t code, fiscal::Kopecks amount, const std::string& cashier,
                                     const char* what);
    DeviceStatusResult simple(std::uint16_t code, const char* what);

    std::unique_ptr<Transport> transport_;
    DriverOptions options_;
    Session session_;
    std::optional<std::string> fn_number_;
    std::shared_ptr<spdlog::logger> log_;
    DeviceResult<DeviceStatus> full_status();
    std::optional<DeviceStatus> cached_status_;
    std::chrono::steady_clock::time_point cached_at_{};
    std::uint64_t status_reads_skipped_ = 0;
    int cached_receipt_number_ = 0;  // FF40h receipt number in the shift, counted on while fresh
    bool redact_ = false;            // the frame in flight carries tag 1008
    std::string redacted_contact_;
};

Result<std::unique_ptr<FiscalDevice>> make_shtrih_device(const Uri& uri);

}  // namespace kassa::drivers::shtrih
