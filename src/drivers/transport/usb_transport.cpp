// USB CDC-ACM through libusb, for hosts where the kernel's cdc_acm tty is unavailable or the
// register is to be found by VID:PID (and serial number) rather than by /dev/ttyACM* path:
//   usb://?vid=1fc9&pid=0083[&serial=XYZ][&baud=115200]   (vid/pid in hex)
// Discovery: the first device with that VID:PID (and iSerialNumber, if given); its CDC Data
// interface (class 0Ah) gives the bulk IN/OUT endpoints; the CDC Communications interface
// (class 02h) takes SET_LINE_CODING (8N1 at `baud`) and SET_CONTROL_LINE_STATE (DTR, RTS).
// The kernel driver is detached while we hold the interfaces and re-attached on close.
// Not exercised against hardware here: only the "not found" path is tested.
#include <libusb.h>

#include <array>
#include <charconv>

#include "drivers/transport/transport.hpp"

namespace kassa::drivers {

namespace {

constexpr std::uint8_t kClassComm = 0x02;
constexpr std::uint8_t kClassData = 0x0A;
constexpr std::uint8_t kSetLineCoding = 0x20;
constexpr std::uint8_t kSetControlLineState = 0x22;
constexpr std::uint8_t kClassInterfaceOut = 0x21;  // host→device, class request, to an interface

std::string hex4(std::uint16_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(4, '0');
    for (int i = 3; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kDigits[v & 0xF];
    return s;
}

class UsbCdcTransport final : public Transport {
  public:
    UsbCdcTransport(std::uint16_t vid, std::uint16_t pid, std::string serial, unsigned baud)
        : vid_(vid), pid_(pid), serial_(std::move(serial)), baud_(baud) {}
    ~UsbCdcTransport() override {
        close();
        if (ctx_) libusb_exit(ctx_);
    }

    Status open() override {
        close();
        if (!ctx_ && libusb_init(&ctx_) != 0) {
            ctx_ = nullptr;
            return fail("link_open_failed", "libusb is not available on this host");
        }
        libusb_device** list = nullptr;
        const ssize_t n = libusb_get_device_list(ctx_, &list);
        if (n < 0) return fail("link_open_failed", "cannot list USB devices");
        Status found = fail("link_open_failed", "no USB device " + describe());
        for (ssize_t i = 0; i < n && !handle_; ++i) {
            libusb_device_descriptor d{};
            if (libusb_get_device_descriptor(list[i], &d) != 0 || d.idVendor != vid_ || d.idProduct != pid_) continue;
            libusb_device_handle* h = nullptr;
            if (libusb_open(list[i], &h) != 0) {
                found = fail("link_open_failed", "cannot open USB device " + describe() + " (permissions?)");
                continue;
            }
            if (!serial_.empty()) {
                std::array<unsigned char, 128> s{};
                const int len =
                    d.iSerialNumber ? libusb_get_string_descriptor_ascii(h, d.iSerialNumber, s.data(), s.size()) : -1;
                if (len < 0 ||
                    std::string(reinterpret_cast<char*>(s.data()), static_cast<std::size_t>(len)) != serial_) {
                    libusb_close(h);
                    continue;
                }
            }
            if (auto st = claim(list[i], h); !st) {
                libusb_close(h);
                found = st;
                continue;
            }
            handle_ = h;
            found = ok();
        }
        libusb_free_device_list(list, 1);
        return found;
    }

    void close() override {
        if (!handle_) return;
        libusb_release_interface(handle_, data_if_);
        if (comm_if_ >= 0) libusb_release_interface(handle_, comm_if_);
        libusb_close(handle_);
        handle_ = nullptr;
    }
    bool is_open() const override { return handle_ != nullptr; }

    Status write(std::span<const std::uint8_t> bytes) override {
        if (!handle_) return fail("link_broken", describe() + " is not open");
        std::size_t done = 0;
        while (done < bytes.size()) {
            int sent = 0;
            const int rc = libusb_bulk_transfer(handle_, out_ep_, const_cast<std::uint8_t*>(bytes.data() + done),
                                                static_cast<int>(bytes.size() - done), &sent, 1000);
            if (rc != 0 && rc != LIBUSB_ERROR_TIMEOUT) return fail("link_broken", libusb_error_name(rc));
            if (sent == 0 && rc == LIBUSB_ERROR_TIMEOUT) return fail("link_broken", "USB write timed out");
            done += static_cast<std::size_t>(sent);
        }
        return ok();
    }

    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) override {
        if (!handle_) return fail("link_broken", describe() + " is not open");
        int got = 0;
        const auto ms = static_cast<unsigned>(std::max<std::int64_t>(1, timeout.count()));
        const int rc = libusb_bulk_transfer(handle_, in_ep_, buffer.data(), static_cast<int>(buffer.size()), &got, ms);
        if (rc == 0 || rc == LIBUSB_ERROR_TIMEOUT) return static_cast<std::size_t>(got);
        return fail("link_broken", libusb_error_name(rc));
    }

    std::string describe() const override {
        return "usb://?vid=" + hex4(vid_) + "&pid=" + hex4(pid_) + (serial_.empty() ? "" : "&serial=" + serial_);
    }

  private:
    Status claim(libusb_device* dev, libusb_device_handle* h) {
        libusb_config_descriptor* cfg = nullptr;
        if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
            return fail("link_open_failed", "no USB configuration");
        int data_if = -1, comm_if = -1;
        std::uint8_t in_ep = 0, out_ep = 0;
        for (int i = 0; i < cfg->bNumInterfaces; ++i) {
            const auto& alt = cfg->interface[i].altsetting[0];
            if (alt.bInterfaceClass == kClassComm && comm_if < 0) comm_if = alt.bInterfaceNumber;
            if (alt.bInterfaceClass != kClassData || data_if >= 0) continue;
            for (int e = 0; e < alt.bNumEndpoints; ++e) {
                const auto& ep = alt.endpoint[e];
                if ((ep.bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK) continue;
                if (ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) {
                    in_ep = ep.bEndpointAddress;
                } else {
                    out_ep = ep.bEndpointAddress;
                }
            }
            if (in_ep && out_ep) data_if = alt.bInterfaceNumber;
        }
        libusb_free_config_descriptor(cfg);
        if (data_if < 0) return fail("link_open_failed", describe() + " has no CDC data interface");
        libusb_set_auto_detach_kernel_driver(h, 1);
        if (comm_if >= 0 && libusb_claim_interface(h, comm_if) != 0) comm_if = -1;
        if (int rc = libusb_claim_interface(h, data_if); rc != 0) {
            if (comm_if >= 0) libusb_release_interface(h, comm_if);
            return fail("link_open_failed",
                        std::string("cannot claim the CDC data interface: ") + libusb_error_name(rc));
        }
        if (comm_if >= 0) {
            // Line coding: dwDTERate LE, 1 stop bit, no parity, 8 data bits (§1.1 8N1).
            std::array<unsigned char, 7> coding{static_cast<unsigned char>(baud_ & 0xFF),
                                                static_cast<unsigned char>((baud_ >> 8) & 0xFF),
                                                static_cast<unsigned char>((baud_ >> 16) & 0xFF),
                                                static_cast<unsigned char>((baud_ >> 24) & 0xFF),
                                                0,
                                                0,
                                                8};
            libusb_control_transfer(h, kClassInterfaceOut, kSetLineCoding, 0, static_cast<std::uint16_t>(comm_if),
                                    coding.data(), coding.size(), 1000);
            libusb_control_transfer(h, kClassInterfaceOut, kSetControlLineState, 0x0003,
                                    static_cast<std::uint16_t>(comm_if), nullptr, 0, 1000);
        }
        data_if_ = data_if;
        comm_if_ = comm_if;
        in_ep_ = in_ep;
        out_ep_ = out_ep;
        return ok();
    }

    std::uint16_t vid_, pid_;
    std::string serial_;
    unsigned baud_;
    libusb_context* ctx_ = nullptr;
    libusb_device_handle* handle_ = nullptr;
    int data_if_ = -1;
    int comm_if_ = -1;
    std::uint8_t in_ep_ = 0;
    std::uint8_t out_ep_ = 0;
};

Result<std::uint16_t> parse_hex16(const std::string& s, const char* what) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v > 0xFFFF)
        return fail("invalid_uri", std::string("usb URI needs ") + what + " as 4 hex digits");
    return static_cast<std::uint16_t>(v);
}

}  // namespace

Result<std::unique_ptr<Transport>> make_usb_transport(const Uri& uri) {
    auto vid = parse_hex16(uri.param("vid"), "vid");
    if (!vid) return std::unexpected(vid.error());
    auto pid = parse_hex16(uri.param("pid"), "pid");
    if (!pid) return std::unexpected(pid.error());
    auto baud = uri.int_param("baud", 115200);
    if (!baud) return std::unexpected(baud.error());
    return std::unique_ptr<Transport>(
        std::make_unique<UsbCdcTransport>(*vid, *pid, uri.param("serial"), static_cast<unsigned>(*baud)));
}

}  // namespace kassa::drivers
