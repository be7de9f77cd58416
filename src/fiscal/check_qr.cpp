#include "fiscal/check_qr.hpp"

#include <algorithm>

namespace kassa::fiscal {
namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

std::string two(int v) { return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; }

}  // namespace

DocumentTime DocumentTime::from_local_unix(std::int64_t local_seconds, bool with_seconds) {
    // Days since the epoch to a civil date, counting in 400-year eras that start on 1 March so
    // that the leap day is the last day of a year (the well-known proleptic Gregorian method).
    std::int64_t days = local_seconds / 86400;
    std::int64_t rem = local_seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    const std::int64_t z = days + 719468;  // shift the epoch to 0000-03-01
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
    DocumentTime t;
    t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    t.year = static_cast<int>(yoe + era * 400 + (t.month <= 2 ? 1 : 0));
    t.hour = static_cast<int>(rem / 3600);
    t.minute = static_cast<int>(rem % 3600 / 60);
    if (with_seconds) t.second = static_cast<int>(rem % 60);
    return t;
}

Result<std::string> check_qr_string(const CheckQrData& d) {
    const auto& t = d.time;
    auto bad = [](const char* why) { return fail("invalid_qr_data", why); };
    if (t.year < 2000 || t.year > 2099 || t.month < 1 || t.month > 12) return bad("year or month out of range");
    if (t.day < 1 || t.day > days_in_month(t.year, t.month)) return bad("day out of range");
    if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59) return bad("hour or minute out of range");
    if (t.second && (*t.second < 0 || *t.second > 59)) return bad("second out of range");
    if (d.fn_serial.size() != 16 ||
        !std::all_of(d.fn_serial.begin(), d.fn_serial.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("the FN serial is 16 digits");
    }
    if (!d.total.is_positive()) return bad("the total must be positive");
    std::string out = "t=" + std::to_string(t.year) + two(t.month) + two(t.day) + "T" + two(t.hour) + two(t.minute);
    if (t.second) out += two(*t.second);
    out += "&s=" + d.total.to_roubles_string();
    out += "&fn=" + d.fn_serial;
    out += "&i=" + std::to_string(d.document_number);
    out += "&fp=" + std::to_string(d.fiscal_sign);
    out += "&n=" + std::to_string(static_cast<int>(d.sign));
    return out;
}

}  // namespace kassa::fiscal
