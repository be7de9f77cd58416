#include <gtest/gtest.h>

#include "fiscal/check_qr.hpp"

namespace kassa::fiscal {
namespace {

CheckQrData example() {
    // fiscal-rules.md §4's example: 15.10.2026 14:32, 10 000.00 ₽, ФД 1234, ФП 1234567890, приход.
    return CheckQrData{DocumentTime{2026, 10, 15, 14, 32, std::nullopt},
                       Kopecks{1000000},
                       "7380440800123456",
                       1234,
                       1234567890,
                       CalcSign::Income};
}

TEST(FiscalCheckQr, MatchesTheSpecExample) {
    EXPECT_EQ(check_qr_string(example()).value(),
              "t=20261015T1432&s=10000.00&fn=7380440800123456&i=1234&fp=1234567890&n=1");
}

TEST(FiscalCheckQr, SecondsKopecksAndReturnSign) {
    // §4 / S36: registers that print seconds emit THHMMSS; n carries 1054.
    CheckQrData d = example();
    d.time = DocumentTime{2019, 4, 18, 21, 16, 55};
    d.total = Kopecks{394326};
    d.sign = CalcSign::IncomeReturn;
    d.fiscal_sign = 4294967295u;
    EXPECT_EQ(check_qr_string(d).value(), "t=20190418T211655&s=3943.26&fn=7380440800123456&i=1234&fp=4294967295&n=2");
    d.time = DocumentTime{2026, 1, 5, 9, 5, std::nullopt};
    d.total = Kopecks{7};
    EXPECT_EQ(check_qr_string(d).value(), "t=20260105T0905&s=0.07&fn=7380440800123456&i=1234&fp=4294967295&n=2");
}

TEST(FiscalCheckQr, TimeFromLocalUnixSeconds) {
    // 2026-10-15 00:00 is day 20741 since 1970-01-01 (see tlv_test.cpp): × 86400 = 1 792 022 400.
    const auto t = DocumentTime::from_local_unix(1'792'022'400 + 14 * 3600 + 32 * 60 + 7);
    EXPECT_EQ((std::tuple{t.year, t.month, t.day, t.hour, t.minute}), (std::tuple{2026, 10, 15, 14, 32}));
    EXPECT_FALSE(t.second.has_value());
    EXPECT_EQ(DocumentTime::from_local_unix(1'792'022'400 + 7, true).second, 7);
    // 2024-02-29: 2024-01-01 is 54 years with 13 leap days = 19723 days; + 31 + 28 = 19782.
    const auto leap = DocumentTime::from_local_unix(19782LL * 86400);
    EXPECT_EQ((std::tuple{leap.year, leap.month, leap.day}), (std::tuple{2024, 2, 29}));
    const auto epoch = DocumentTime::from_local_unix(0);
    EXPECT_EQ((std::tuple{epoch.year, epoch.month, epoch.day, epoch.hour}), (std::tuple{1970, 1, 1, 0}));
    const auto before = DocumentTime::from_local_unix(-1, true);
    EXPECT_EQ((std::tuple{before.year, before.month, before.day, before.hour, before.minute, *before.second}),
              (std::tuple{1969, 12, 31, 23, 59, 59}));
}

TEST(FiscalCheckQr, RejectsBadData) {
    auto code = [](auto change) {
        CheckQrData d = example();
        change(d);
        const auto r = check_qr_string(d);
        return r ? std::string("ok") : r.error().code;
    };
    EXPECT_EQ(code([](CheckQrData& d) { d.fn_serial = "738044080012345"; }), "invalid_qr_data");
    EXPECT_EQ(code([](CheckQrData& d) { d.fn_serial = "738044080012345x"; }), "invalid_qr_data");
    EXPECT_EQ(code([](CheckQrData& d) { d.time.month = 2, d.time.day = 29, d.time.year = 2026; }), "invalid_qr_data");
    EXPECT_EQ(code([](CheckQrData& d) { d.time.month = 2, d.time.day = 29, d.time.year = 2028; }), "ok");
    EXPECT_EQ(code([](CheckQrData& d) { d.time.hour = 24; }), "invalid_qr_data");
    EXPECT_EQ(code([](CheckQrData& d) { d.time.second = 60; }), "invalid_qr_data");
    EXPECT_EQ(code([](CheckQrData& d) { d.total = Kopecks{0}; }), "invalid_qr_data");
}

}  // namespace
}  // namespace kassa::fiscal
