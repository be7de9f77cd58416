#include "drivers/shtrih/codec.hpp"

#include <ctime>

namespace kassa::drivers::shtrih {

namespace {

// Decodes one UTF-8 code point; malformed input yields U+FFFD and advances one byte.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    auto cont = [&](std::size_t k) -> int {
        if (i + k >= s.size()) return -1;
        const auto b = static_cast<unsigned char>(s[i + k]);
        return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
    };
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    if ((b0 & 0xE0) == 0xC0) {
        const int c1 = cont(1);
        if (c1 >= 0) {
            i += 2;
            return static_cast<char32_t>(((b0 & 0x1F) << 6) | c1);
        }
    } else if ((b0 & 0xF0) == 0xE0) {
        const int c1 = cont(1), c2 = cont(2);
        if (c1 >= 0 && c2 >= 0) {
            i += 3;
            return static_cast<char32_t>(((b0 & 0x0F) << 12) | (c1 << 6) | c2);
        }
    } else if ((b0 & 0xF8) == 0xF0) {
        const int c1 = cont(1), c2 = cont(2), c3 = cont(3);
        if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
            i += 4;
            return static_cast<char32_t>(((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3);
        }
    }
    ++i;
    return 0xFFFD;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Windows-1251: А..я = C0..FF, Ё A8, ё B8, № B9.
std::uint8_t cp1251_of(char32_t cp) {
    if (cp < 0x80) return static_cast<std::uint8_t>(cp);
    if (cp >= 0x410 && cp <= 0x44F) return static_cast<std::uint8_t>(0xC0 + (cp - 0x410));
    if (cp == 0x401) return 0xA8;
    if (cp == 0x451) return 0xB8;
    if (cp == 0x2116) return 0xB9;
    return '?';
}

char32_t from_cp1251_byte(std::uint8_t b) {
    if (b < 0x80) return b;
    if (b >= 0xC0) return 0x410 + (b - 0xC0);
    if (b == 0xA8) return 0x401;
    if (b == 0xB8) return 0x451;
    if (b == 0xB9) return 0x2116;
    return '?';
}

template <class F>
Bytes encode_with(std::string_view utf8, F map) {
    Bytes out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) out.push_back(map(next_code_point(utf8, i)));
    return out;
}

template <class F>
std::string decode_with(std::span<const std::uint8_t> bytes, F map) {
    std::string out;
    for (const std::uint8_t b : bytes) append_utf8(out, map(b));
    return out;
}

}  // namespace

Bytes to_cp1251(std::string_view utf8) { return encode_with(utf8, cp1251_of); }
std::string from_cp1251(std::span<const std::uint8_t> bytes) { return decode_with(bytes, from_cp1251_byte); }

Writer& Writer::u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
}

Writer& Writer::le(std::uint64_t v, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) out_.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
    return *this;
}

Writer& Writer::raw(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
}

Writer& Writer::text_fixed(std::string_view utf8, std::size_t size) {
    Bytes t = to_cp1251(utf8);
    t.resize(size, 0);
    return raw(t);
}

Result<std::uint8_t> Reader::u8() {
    if (remaining() < 1) return fail("short_answer", "field past the end of the data");
    return in_[pos_++];
}

Result<std::uint64_t> Reader::le(std::size_t size) {
    if (remaining() < size) return fail("short_answer", "field past the end of the data");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += size;
    return v;
}

Result<Bytes> Reader::raw(std::size_t size) {
    if (remaining() < size) return fail("short_answer", "field past the end of the data");
    Bytes b(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.begin() + static_cast<std::ptrdiff_t>(pos_ + size));
    pos_ += size;
    return b;
}

Bytes Reader::rest() {
    Bytes b(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.end());
    pos_ = in_.size();
    return b;
}

DateTime DateTime::from(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return DateTime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
}

std::chrono::system_clock::time_point DateTime::to_time_point() const {
    using namespace std::chrono;
    const sys_days days = year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
    return system_clock::time_point{days} + hours{hour} + minutes{minute};
}

void DateTime::write(Writer& w) const {
    w.u8(static_cast<std::uint8_t>(year - 2000))
        .u8(static_cast<std::uint8_t>(month))
        .u8(static_cast<std::uint8_t>(day))
        .u8(static_cast<std::uint8_t>(hour))
        .u8(static_cast<std::uint8_t>(minute));
}

Result<DateTime> DateTime::read(Reader& r) {
    auto b = r.raw(5);
    if (!b) return std::unexpected(b.error());
    const Bytes& v = *b;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59)
        return fail("bad_answer", "invalid DATE_TIME in the answer");
    return DateTime{2000 + v[0], v[1], v[2], v[3], v[4]};
}

}  // namespace kassa::drivers::shtrih
