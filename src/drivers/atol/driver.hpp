// The ATOL FiscalDevice: a session (v2 or v3 link, §2.3/§2.4) over a transport, the protocol 3.1
// commands (§2.5) and ATOL's mode machine (§2.2). Construct with
// make_atol_device("serial:///dev/ttyACM0?link=v3") or make_atol_device("tcp://127.0.0.1:5555?link=v2")
// (see transport.hpp). Query parameters (all optional):
//   link=v3|v2             link layer (default v3; the device profile's driver_query sets it)
//   password=30            mode password (BCD4), assume A1
//   answer_timeout_ms=N    replaces the per-command wait for a result (tests)
//   control_timeout_ms=N   v2 T1/T4/T6/T7, v3 wait for a packet's answer (default 500)
//   poll_ms=N              v3 Req poll interval while a task runs (default 100)
//   name=X                 logger drv.X
#pragma once

#include <memory>
#include <optional>
#include <string>

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
};

Result<std::unique_ptr<FiscalDevice>> make_atol_device(const Uri& uri);
// Refuses option keys the driver and transports do not know, and values they would refuse.
Status check_options(const Uri& uri);

}  // namespace kassa::drivers::atol
