// usb://VID:PID?serial=…: a USB register named by what it is, not by the tty the kernel gave it
// this time. Each open() looks the device up in sysfs and opens the serial transport on its tty,
// so a register keeps its identity when its tty name changes (another port, another plug order),
// and an unplugged register is simply "not found" until it is back: the worker's reconnect backoff
// (200 ms doubling to 30 s) paces the look-ups, so an absent device costs no CPU.
//
// sysfs rather than libusb: the kernel's `serial` attribute needs no access to the device node
// (libusb would have to open it to read iSerialNumber, and a device bound to cdc_acm is held by the
// kernel anyway), and which tty belongs to which USB device is only in sysfs. The layouts:
//   /sys/bus/usb/devices/1-2              idVendor, idProduct, serial (a symlink into /sys/devices)
//   /sys/bus/usb/devices/1-2/1-2:1.0/tty/ttyACM0        cdc_acm
//   /sys/bus/usb/devices/1-2/1-2:1.0/ttyUSB0            usb-serial (ftdi_sio, pl2303, ch341, cp210x)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <vector>

#include "common/log.hpp"
#include "drivers/transport/transport.hpp"

namespace kassa::drivers {

namespace fs = std::filesystem;

namespace {

std::string read_attribute(const fs::path& dir, const char* name) {
    std::ifstream in(dir / name);
    std::string value;
    std::getline(in, value);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ' || value.back() == '\r')) value.pop_back();
    return value;
}

std::optional<std::uint16_t> hex16(const std::string& s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v > 0xFFFF) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

std::string hex4(std::uint16_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(4, '0');
    for (int i = 3; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kDigits[v & 0xF];
    return s;
}

// The tty names under one USB device's sysfs directory, sorted (interface order). Symlinks
// (driver, subsystem, port) are not followed: sysfs is full of loops.
std::vector<std::string> ttys_under(const fs::path& device) {
    static const std::regex kTty("tty(ACM|USB)[0-9]+");
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(device, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it.depth() > 3) {
            it.disable_recursion_pending();
            continue;
        }
        const auto name = it->path().filename().string();
        std::error_code type_ec;
        if (it->is_directory(type_ec) && !it->is_symlink(type_ec) && std::regex_match(name, kTty)) out.push_back(name);
    }
    std::ranges::sort(out);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

class UsbTtyTransport final : public Transport {
  public:
    UsbTtyTransport(UsbTtyQuery query, unsigned baud) : query_(std::move(query)), baud_(baud) {}

    Status open() override {
        close();
        auto tty = resolve_usb_tty(query_);
        if (!tty) return fail("link_open_failed", tty.error().message);
        if (*tty != tty_) {
            // The worker makes a new transport for each connection attempt, so this says once per
            // attempt which tty the device has now (the only place a changed tty name shows).
            if (tty_.empty())
                log::get("transport")->info("{} is {}", name(), *tty);
            else
                log::get("transport")->info("{} is {} now (was {})", name(), *tty, tty_);
            tty_ = *tty;
            inner_ = make_serial_transport(tty_, baud_);
        }
        return named(inner_->open());
    }
    void close() override {
        if (inner_) inner_->close();
    }
    bool is_open() const override { return inner_ && inner_->is_open(); }
    Status write(std::span<const std::uint8_t> bytes) override {
        if (!inner_) return fail("link_broken", name() + " is not open");
        return named(inner_->write(bytes));
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) override {
        if (!inner_) return fail("link_broken", name() + " is not open");
        return named(inner_->read_some(buffer, timeout));
    }
    std::string describe() const override { return name() + (tty_.empty() ? "" : " (" + tty_ + ")"); }

  private:
    std::string name() const { return describe_usb_query(query_); }
    // The tty's errors name the tty ("write to /dev/ttyACM3: …"); the register's detail and the
    // log also name the device it is, which is what the operator configured and can look for.
    template <class R>
    R named(R result) const {
        if (!result) result.error().message = name() + ": " + result.error().message;
        return result;
    }

    UsbTtyQuery query_;
    unsigned baud_;
    std::string tty_;  // the tty the last open() found
    std::unique_ptr<Transport> inner_;
};

}  // namespace

std::string describe_usb_query(const UsbTtyQuery& q) {
    return "usb://" + hex4(q.vid) + ":" + hex4(q.pid) + (q.serial.empty() ? "" : "?serial=" + q.serial);
}

Result<UsbTtyQuery> parse_usb_query(const Uri& uri) {
    const auto id = [](std::string s) {  // "2912" or "0x2912"
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.erase(0, 2);
        return hex16(s);
    };
    const auto colon = uri.host.find(':');
    const auto vid = id(uri.host.substr(0, colon));
    const auto pid = colon == std::string::npos ? std::nullopt : id(uri.host.substr(colon + 1));
    if (!vid || !pid)
        return fail("invalid_uri", "usb://" + uri.host + ": expected usb://VID:PID?serial=… (VID and PID in hex)");
    return UsbTtyQuery{*vid, *pid, uri.param("serial")};
}

Result<std::string> resolve_usb_tty(const UsbTtyQuery& query, const std::string& sys_root) {
    const fs::path bus = fs::path(sys_root) / "bus" / "usb" / "devices";
    std::vector<std::pair<std::string, fs::path>> matches;  // serial, device directory
    std::error_code ec;
    for (fs::directory_iterator it(bus, ec), end; !ec && it != end; it.increment(ec)) {
        const auto dir = it->path();
        if (dir.filename().string().find(':') != std::string::npos) continue;  // an interface, not a device
        if (hex16(read_attribute(dir, "idVendor")) != query.vid) continue;
        if (hex16(read_attribute(dir, "idProduct")) != query.pid) continue;
        auto serial = read_attribute(dir, "serial");
        if (!query.serial.empty() && serial != query.serial) continue;
        matches.emplace_back(std::move(serial), dir);
    }
    const auto who = describe_usb_query(query);
    if (matches.empty()) return fail("usb_device_absent", who + " is not plugged in");
    if (matches.size() > 1) {
        std::ranges::sort(matches);  // directory order is arbitrary: name them the same way each time
        std::string serials;
        for (const auto& [s, _] : matches) serials += (serials.empty() ? "" : ", ") + (s.empty() ? "(none)" : s);
        return fail("usb_device_ambiguous", who + " matches " + std::to_string(matches.size()) +
                                                " devices (serial numbers " + serials + "): add ?serial=");
    }
    const auto ttys = ttys_under(matches.front().second);
    if (ttys.empty())
        return fail("usb_no_tty", who + " has no serial port (no cdc_acm / usb-serial tty): use usb://?vid=…&pid=…");
    return "/dev/" + ttys.front();
}

Result<std::unique_ptr<Transport>> make_usb_tty_transport(const Uri& uri, unsigned baud) {
    auto query = parse_usb_query(uri);
    if (!query) return std::unexpected(query.error());
    return std::unique_ptr<Transport>(std::make_unique<UsbTtyTransport>(std::move(*query), baud));
}

}  // namespace kassa::drivers
