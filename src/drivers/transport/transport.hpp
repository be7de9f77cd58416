// One byte-stream interface for every link to a register, chosen by URI (DESIGN.md §3):
//   serial:///dev/ttyACM0?baud=115200   (Boost.Asio serial_port; a pty or USB CDC-ACM works too)
//   tcp://127.0.0.1:7778
//   usb://1fc9:0083?serial=X[&baud=N]   (the CDC-ACM / USB-serial tty of that USB device, looked up
//                                        in sysfs at every open: usb_tty.cpp)
//   usb://?vid=1fc9&pid=0083[&serial=X][&baud=N]   (libusb, CDC-ACM bulk endpoints; vid/pid in hex)
// Synchronous with timeouts: a per-register worker thread owns one transport. Asio stays inside
// the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/result.hpp"
#include "common/uri.hpp"

namespace kassa::drivers {

class Transport {
  public:
    virtual ~Transport() = default;

    // Opens (or reopens after close()) the link.
    virtual Status open() = 0;
    virtual void close() = 0;
    virtual bool is_open() const = 0;
    virtual Status write(std::span<const std::uint8_t> bytes) = 0;
    // Waits up to `timeout` for at least one byte. 0 = nothing arrived in time; an error means the
    // link broke (the caller may reopen it).
    virtual Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) = 0;
    // "serial:///dev/ttyACM0@115200", "tcp://127.0.0.1:7778": for logs.
    virtual std::string describe() const = 0;
};

// Builds an unopened transport for the URI; errors name the unsupported scheme or bad parameter.
Result<std::unique_ptr<Transport>> make_transport(const Uri& uri);

std::unique_ptr<Transport> make_serial_transport(std::string path, unsigned baud);
std::unique_ptr<Transport> make_tcp_transport(std::string host, std::uint16_t port);
Result<std::unique_ptr<Transport>> make_usb_transport(const Uri& uri);
Result<std::unique_ptr<Transport>> make_usb_tty_transport(const Uri& uri, unsigned baud);

// A USB device by vendor and product id and (optionally) serial number.
struct UsbTtyQuery {
    std::uint16_t vid = 0;
    std::uint16_t pid = 0;
    std::string serial;  // empty: any, as long as only one device matches
};
// usb://VID:PID?serial=… → the query; invalid_uri when VID:PID is not two hex numbers.
Result<UsbTtyQuery> parse_usb_query(const Uri& uri);
// "usb://2912:0005?serial=X": for logs and errors.
std::string describe_usb_query(const UsbTtyQuery& query);
// The device node of the matching device's first tty ("/dev/ttyACM3"), from sysfs under
// `sys_root`. Errors: usb_device_absent (not plugged in), usb_device_ambiguous (several match and
// no serial was given), usb_no_tty (no cdc_acm or usb-serial driver bound to it).
Result<std::string> resolve_usb_tty(const UsbTtyQuery& query, const std::string& sys_root = "/sys");

}  // namespace kassa::drivers
