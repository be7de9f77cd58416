// usb://VID:PID?serial=… → the tty of that device, from a sysfs tree laid out like the kernel's
// (a plain folder under the build tree here; tests/e2e/test_usb_hotplug.py does it under umockdev).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "drivers/transport/transport.hpp"

namespace kassa::drivers {
namespace {

namespace fs = std::filesystem;

class FakeSysfs {
  public:
    explicit FakeSysfs(const std::string& name)
        : root_(fs::path(KASSA_TEST_TMP_DIR) / "usb_tty" / (name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(root_);
        fs::create_directories(root_ / "bus/usb/devices");
    }
    ~FakeSysfs() { fs::remove_all(root_); }

    // A USB device at bus port `port` ("1-2"); `tty_path` is its tty's folder relative to the device
    // ("1-2:1.0/tty/ttyACM0" for cdc_acm, "1-2:1.0/ttyUSB0" for usb-serial; empty: none).
    void plug(const std::string& port, const std::string& vid, const std::string& pid, const std::string& serial,
              const std::string& tty_path) {
        const auto dev = root_ / "devices/pci0000:00/0000:00:14.0/usb1" / port;
        fs::create_directories(dev / (port + ":1.0"));
        write(dev / "idVendor", vid);
        write(dev / "idProduct", pid);
        if (!serial.empty()) write(dev / "serial", serial);
        if (!tty_path.empty()) fs::create_directories(dev / tty_path);
        // Like the kernel: the bus lists devices and interfaces as symlinks into /sys/devices, and a
        // device has symlinks back up the tree (which must not be followed).
        fs::create_directory_symlink(fs::relative(dev, root_ / "bus/usb/devices"), root_ / "bus/usb/devices" / port);
        fs::create_directory_symlink(fs::relative(dev / (port + ":1.0"), root_ / "bus/usb/devices"),
                                     root_ / "bus/usb/devices" / (port + ":1.0"));
        fs::create_directory_symlink("..", dev / "port");
    }
    void unplug(const std::string& port) {
        fs::remove(root_ / "bus/usb/devices" / port);
        fs::remove(root_ / "bus/usb/devices" / (port + ":1.0"));
        fs::remove_all(root_ / "devices/pci0000:00/0000:00:14.0/usb1" / port);
    }
    std::string root() const { return root_.string(); }

  private:
    static void write(const fs::path& p, const std::string& value) { std::ofstream(p) << value << '\n'; }
    fs::path root_;
};

UsbTtyQuery query(const std::string& uri_text) {
    auto uri = parse_uri(uri_text);
    EXPECT_TRUE(uri);
    auto q = parse_usb_query(*uri);
    EXPECT_TRUE(q) << q.error().message;
    return *q;
}

TEST(UsbTty, FindsTheCdcAcmTtyOfTheDeviceWithThatSerial) {
    FakeSysfs sys("serial");
    sys.plug("1-2", "2912", "0005", "00106700000042", "1-2:1.0/tty/ttyACM0");
    sys.plug("1-3", "2912", "0005", "00106700000099", "1-3:1.0/tty/ttyACM1");
    sys.plug("1-4", "046d", "c077", "", "");  // a mouse
    auto tty = resolve_usb_tty(query("usb://2912:0005?serial=00106700000099"), sys.root());
    ASSERT_TRUE(tty) << tty.error().message;
    EXPECT_EQ(*tty, "/dev/ttyACM1");
    tty = resolve_usb_tty(query("usb://0x2912:0x0005?serial=00106700000042"), sys.root());
    ASSERT_TRUE(tty) << tty.error().message;
    EXPECT_EQ(*tty, "/dev/ttyACM0");
}

TEST(UsbTty, FollowsTheDeviceWhenItsTtyNameChanges) {
    FakeSysfs sys("rename");
    const auto q = query("usb://2912:0005?serial=42");
    sys.plug("1-2", "2912", "0005", "42", "1-2:1.0/tty/ttyACM0");
    EXPECT_EQ(resolve_usb_tty(q, sys.root()).value_or(""), "/dev/ttyACM0");
    sys.unplug("1-2");
    auto gone = resolve_usb_tty(q, sys.root());
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, "usb_device_absent");
    EXPECT_NE(gone.error().message.find("usb://2912:0005?serial=42"), std::string::npos) << gone.error().message;
    sys.plug("1-5", "2912", "0005", "42", "1-5:1.0/tty/ttyACM4");  // another port, another name
    EXPECT_EQ(resolve_usb_tty(q, sys.root()).value_or(""), "/dev/ttyACM4");
}

TEST(UsbTty, FindsAUsbSerialTty) {
    FakeSysfs sys("ftdi");
    sys.plug("2-1", "0403", "6001", "A5XK3RJT", "2-1:1.0/ttyUSB0/tty/ttyUSB0");
    EXPECT_EQ(resolve_usb_tty(query("usb://0403:6001"), sys.root()).value_or(""), "/dev/ttyUSB0");
}

TEST(UsbTty, TwoDevicesWithoutASerialAreAmbiguous) {
    FakeSysfs sys("ambiguous");
    sys.plug("1-2", "2912", "0005", "A", "1-2:1.0/tty/ttyACM0");
    sys.plug("1-3", "2912", "0005", "B", "1-3:1.0/tty/ttyACM1");
    auto tty = resolve_usb_tty(query("usb://2912:0005"), sys.root());
    ASSERT_FALSE(tty);
    EXPECT_EQ(tty.error().code, "usb_device_ambiguous");
    EXPECT_NE(tty.error().message.find("A, B"), std::string::npos) << tty.error().message;
}

TEST(UsbTty, ADeviceWithoutATtyIsSaidSo) {
    FakeSysfs sys("notty");
    sys.plug("1-2", "2912", "0001", "X", "");
    auto tty = resolve_usb_tty(query("usb://2912:0001?serial=X"), sys.root());
    ASSERT_FALSE(tty);
    EXPECT_EQ(tty.error().code, "usb_no_tty");
}

TEST(UsbTty, BadIdsAndBaudAreRefusedWhenTheTransportIsMade) {
    for (const char* text : {"usb://2912?serial=1", "usb://29g2:0005", "usb://12345:0005"}) {
        auto uri = parse_uri(text);
        ASSERT_TRUE(uri) << text;
        auto t = make_transport(*uri);
        ASSERT_FALSE(t) << text;
        EXPECT_EQ(t.error().code, "invalid_uri") << text;
    }
    auto t = make_transport(*parse_uri("usb://2912:0005?serial=1&baud=12345"));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, "invalid_uri");
    t = make_transport(*parse_uri("usb://2912:0005?serial=1&baud=57600"));
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE((*t)->is_open());
    EXPECT_EQ((*t)->describe(), "usb://2912:0005?serial=1");
}

}  // namespace
}  // namespace kassa::drivers
