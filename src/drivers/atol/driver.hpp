// The ATOL FiscalDevice: a session (v2 or v3 link, §2.3/§2.4) over a transport, the protocol 3.1
// commands (§2.5) and ATOL's mode machine (§2.2). Construct with
// make_atol_device("serial:///dev/ttyACM0?link=v3") or make_atol_device("tcp://127.0.0.1:5555?link=v2")
// (see transport.hpp). Query parameters (all optional):
//   link=v3|v2             link layer (default v3; the device profile's driver_query sets it)
//   password=30            mode password (BCD4), assume A1
//   answer_timeout_ms=N    replaces the per-command wait for a result (tests)
//   control_timeout_ms=N   v2 T1/T4/T6/T7, v3 wait for a packet's answer (default 500)
//   poll_ms=N              v3 Req poll interval while a task runs (default 100)
//   status_cache_ms=N      how long a full status stays fresh (default 5000; 0 = always read it all):
//                          within it, status() reads only 3Fh and 45h (mode, shift flag and number,
//                          the register's clock, paper) and reuses what only this driver's own
//                          commands change (FN number and expiry, last FD number, OFD queue, shift
//                          opening time, receipt number: no A4h reads after a receipt but the
//                          document's); a shift change or a link failure ends it. The 3Fh of status()
//                          also serves the mode check of the command right after it.
//   name=X                 logger drv.X
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/uri.hpp"
#include "drivers/atol/commands.hpp"
#include "drivers/atol/session.hpp"
#include "drivers/device.hpp"
#include "drivers/transport/transport.hpp"

namespace spdlog {
class logger;
}

namespace kassa::drivers::atol {

struct DriverOptions {
    LinkVersion link = LinkVersion::V3;
    std::uint32_t password = 30;  // assume::kModePassword
    SessionConfig session;
    std::string name = "atol";
    std::chrono::milliseconds status_cache{5000};
    // Timeouts, retries and polls run on it (tests: a ManualClock moved by the transport).
    const Clock* clock = &SystemClock::instance();
};

Result<DriverOptions> options_from_uri(const Uri& uri);

class AtolDevice final : public FiscalDevice {
  public:
    AtolDevice(std::unique_ptr<Transport> transport, DriverOptions options);
    ~AtolDevice() override;

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

    // One command: the answer's data, or a DeviceError (device code → outcome; link → RetryLater).
    DeviceResult<Bytes> execute(const Request& request, const char* what);
    // v3: the result of the last task if the device still holds it (nullopt: none); v2: nullopt.
    DeviceResult<std::optional<Bytes>> recover_pending();

  private:
    DeviceResult<Bytes> run(SessionActions actions, const char* what);
    DeviceStatusResult ensure_open();
    DeviceResult<StatusAnswer> read_status();
    DeviceStatusResult enter_mode(std::uint8_t mode);
    // One command whose answer carries nothing we need.
    DeviceStatusResult command(const Request& request, const char* what);
    // Each TLV of `tlvs` as one E8h command, except those `skip` says another command carries.
    using TagFilter = bool (*)(std::uint16_t tag);
    DeviceStatusResult write_tags(std::span<const std::uint8_t> tlvs, std::uint8_t flags, TagFilter skip,
                                  const char* what);
    DeviceStatusResult cashier_tags(const std::string& cashier, const std::string& cashier_inn);
    DeviceStatusResult cash(std::uint8_t code, fiscal::Kopecks amount, const std::string& cashier, const char* what);
    DeviceResult<FiscalResult> fiscalise_open(const fiscal::Receipt& receipt);
    DeviceResult<FnStatusAnswer> fn_status();

    std::unique_ptr<Transport> transport_;
    DriverOptions options_;
    std::unique_ptr<Session> session_;
    std::shared_ptr<spdlog::logger> log_;
    std::string redacted_contact_;  // the frame in flight carries tag 1008: log it masked
    DeviceResult<DeviceStatus> full_status();
    std::optional<DeviceStatus> cached_status_;  // the last full status, kept true by our own commands
    std::chrono::steady_clock::time_point cached_at_{};
    int cached_receipt_number_ = 0;  // receipts in the shift, counted on while fresh
    // The 3Fh answer of the last exchange, while no other command has followed it (45h aside).
    std::optional<StatusAnswer> latest_status_;

  public:
    // Commands status() did not send because its cached state was fresh (see status_cache_ms).
    std::uint64_t status_reads_skipped() const { return status_reads_skipped_; }

  private:
    std::uint64_t status_reads_skipped_ = 0;
};

Result<std::unique_ptr<FiscalDevice>> make_atol_device(const Uri& uri);
// Refuses option keys the driver and transports do not know, and values they would refuse.
Status check_options(const Uri& uri);

}  // namespace kassa::drivers::atol
