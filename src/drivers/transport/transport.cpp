#include "drivers/transport/transport.hpp"

namespace kassa::drivers {

namespace {

// The line speeds of cmd 14h (§1.1), for a serial port or a USB register's tty.
Result<unsigned> serial_baud(const Uri& uri) {
    auto baud = uri.int_param("baud", 115200);
    if (!baud) return std::unexpected(baud.error());
    switch (*baud) {
        case 2400:
        case 4800:
        case 9600:
        case 19200:
        case 38400:
        case 57600:
        case 115200:
        case 230400:
        case 460800:
        case 921600:
            break;  // the speeds of cmd 14h (§1.1)
        default:
            return fail("invalid_uri", "unsupported baud rate " + std::to_string(*baud));
    }
    return static_cast<unsigned>(*baud);
}

}  // namespace

Result<std::unique_ptr<Transport>> make_transport(const Uri& uri) {
    if (uri.scheme == "serial") {
        if (uri.path.empty()) return fail("invalid_uri", "serial URI without a device path");
        auto baud = serial_baud(uri);
        if (!baud) return std::unexpected(baud.error());
        return make_serial_transport(uri.path, *baud);
    }
    if (uri.scheme == "tcp") {
        if (uri.host.empty() || !uri.port) return fail("invalid_uri", "tcp URI needs host and port");
        return make_tcp_transport(uri.host, *uri.port);
    }
    if (uri.scheme == "usb") {
        if (uri.host.empty()) return make_usb_transport(uri);  // usb://?vid=…&pid=…: raw libusb
        auto baud = serial_baud(uri);
        if (!baud) return std::unexpected(baud.error());
        return make_usb_tty_transport(uri, *baud);
    }
    return fail("unsupported_transport", "no transport for scheme '" + uri.scheme + "' (serial, tcp, usb)");
}

}  // namespace kassa::drivers
