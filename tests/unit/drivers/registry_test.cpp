#include <gtest/gtest.h>

#include "drivers/registry.hpp"
#include "drivers/transport/transport.hpp"

namespace kassa::drivers {
namespace {

TEST(DriverRegistry, ShtrihIsRegistered) {
    ASSERT_FALSE(families().empty());
    EXPECT_EQ(families()[0].family, "shtrih");
    auto dev = make_device("shtrih", "tcp://127.0.0.1:7778");
    EXPECT_TRUE(dev) << dev.error().message;  // not connected until first use
}

TEST(DriverRegistry, UnknownFamilyAndBadUris) {
    auto unknown = make_device("epson", "tcp://127.0.0.1:7778");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, "unknown_family");
    auto scheme = make_device("shtrih", "ftp://127.0.0.1:21");
    ASSERT_FALSE(scheme);
    EXPECT_EQ(scheme.error().code, "unsupported_transport");
    auto baud = make_device("shtrih", "serial:///dev/ttyACM0?baud=12345");
    ASSERT_FALSE(baud);
    EXPECT_EQ(baud.error().code, "invalid_uri");
}

TEST(Transport, TcpConnectFailureIsAnError) {
    auto uri = parse_uri("tcp://127.0.0.1:1");
    ASSERT_TRUE(uri);
    auto t = make_transport(*uri);
    ASSERT_TRUE(t);
    auto st = (*t)->open();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, "link_open_failed");
    EXPECT_EQ((*t)->describe(), "tcp://127.0.0.1:1");
}

TEST(Transport, UsbUriAndMissingDevice) {
    auto bad = parse_uri("usb://?vid=zz&pid=0083");
    ASSERT_TRUE(bad);
    EXPECT_FALSE(make_transport(*bad));
    // No such device on any host (and no USB at all in CI): a clean open failure.
    auto uri = parse_uri("usb://?vid=ffff&pid=fffe&serial=none");
    ASSERT_TRUE(uri);
    auto t = make_transport(*uri);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ((*t)->describe(), "usb://?vid=ffff&pid=fffe&serial=none");
    auto st = (*t)->open();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, "link_open_failed");
    EXPECT_FALSE((*t)->is_open());
}

TEST(Outcome, NamesAreStable) {
    EXPECT_EQ(outcome_name(Outcome::Done), "done");
    EXPECT_EQ(outcome_name(Outcome::RetryLater), "retry_later");
    EXPECT_EQ(outcome_name(Outcome::RetryNow), "retry_now");
    EXPECT_EQ(outcome_name(Outcome::NeedsOperator), "needs_operator");
    EXPECT_EQ(outcome_name(Outcome::DeviceStopped), "device_stopped");
    EXPECT_EQ(outcome_name(Outcome::Rejected), "rejected");
    DeviceError e{Outcome::NeedsOperator, 0x6B, "no receipt tape", "open receipt", false};
    EXPECT_EQ(e.to_string(), "needs_operator: open receipt (device error 6Bh no receipt tape)");
}

}  // namespace
}  // namespace kassa::drivers
