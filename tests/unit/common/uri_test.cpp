#include "common/uri.hpp"

#include <gtest/gtest.h>

namespace kassa {
namespace {

TEST(Uri, SerialWithEmptyHostAndQuery) {
    auto uri = parse_uri("serial:///dev/ttyACM0?baud=115200");
    ASSERT_TRUE(uri) << uri.error().message;
    EXPECT_EQ(uri->scheme, "serial");
    EXPECT_EQ(uri->host, "");
    EXPECT_EQ(uri->path, "/dev/ttyACM0");
    EXPECT_EQ(uri->param("baud"), "115200");
    EXPECT_EQ(*uri->int_param("baud", 0), 115200);
    EXPECT_EQ(*uri->int_param("absent", 7), 7);
}

TEST(Uri, TcpHostAndPort) {
    auto uri = parse_uri("TCP://127.0.0.1:7778");
    ASSERT_TRUE(uri);
    EXPECT_EQ(uri->scheme, "tcp");
    EXPECT_EQ(uri->host, "127.0.0.1");
    EXPECT_EQ(uri->port, 7778);
    EXPECT_EQ(uri->path, "");
}

TEST(Uri, Ipv6HostInBrackets) {
    auto uri = parse_uri("tcp://[::1]:7778");
    ASSERT_TRUE(uri);
    EXPECT_EQ(uri->host, "::1");
    EXPECT_EQ(uri->port, 7778);
}

TEST(Uri, PercentDecodedQuery) {
    auto uri = parse_uri("usb://1fc9:0083?serial=A%20B&flag");
    ASSERT_TRUE(uri);
    EXPECT_EQ(uri->param("serial"), "A B");
    EXPECT_EQ(uri->param("flag", "x"), "");
}

TEST(Uri, UsbAuthorityIsKeptWholeNotAPort) {
    auto uri = parse_uri("usb://2912:c00a?serial=00106700000042");
    ASSERT_TRUE(uri) << uri.error().message;
    EXPECT_EQ(uri->host, "2912:c00a");
    EXPECT_FALSE(uri->port);
    EXPECT_EQ(uri->param("serial"), "00106700000042");
}

TEST(Uri, RejectsMissingSchemeAndBadPort) {
    EXPECT_EQ(parse_uri("/dev/ttyS0").error().code, "invalid_uri");
    EXPECT_EQ(parse_uri("tcp://host:99999").error().code, "invalid_uri");
    EXPECT_EQ(parse_uri("tcp://host:").error().code, "invalid_uri");
    auto uri = parse_uri("serial:///dev/x?baud=fast");
    ASSERT_TRUE(uri);
    EXPECT_FALSE(uri->int_param("baud", 0));
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRestAsUpperHex) {
    EXPECT_EQ(url_encode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(url_encode("t=1&s=2 3"), "t%3D1%26s%3D2%203");
    EXPECT_EQ(url_encode("\xD0\x90"), "%D0%90");  // "А" in UTF-8
    EXPECT_EQ(url_encode(""), "");
}

TEST(HostPort, ParsesAndRejects) {
    auto hp = parse_host_port("127.0.0.1:8080");
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->host, "127.0.0.1");
    EXPECT_EQ(hp->port, 8080);
    EXPECT_EQ(parse_host_port("[::1]:0")->host, "::1");
    EXPECT_FALSE(parse_host_port("8080"));
    EXPECT_FALSE(parse_host_port("localhost:http"));
}

}  // namespace
}  // namespace kassa
