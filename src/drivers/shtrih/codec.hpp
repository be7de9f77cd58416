// Primitive encodings of the Shtrih protocol (shared/spec/protocols.md §1.4): little-endian
// integers, 5-byte money, CP1251 command text. The FFD TLVs it carries come from src/fiscal/tlv.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "drivers/shtrih/frame.hpp"

namespace kassa::drivers::shtrih {

// UTF-8 ↔ CP1251, the code page of Shtrih command text (§1.4). ASCII passes through; Cyrillic
// letters, Ё/ё and № are mapped; anything else becomes '?'. (FFD TLVs and their CP866 strings are
// src/fiscal's: the one encoder.)
Bytes to_cp1251(std::string_view utf8);
std::string from_cp1251(std::span<const std::uint8_t> bytes);

// Appends little-endian integers to a byte vector.
class Writer {
  public:
    explicit Writer(Bytes& out) : out_(out) {}
    Writer& u8(std::uint8_t v);
    Writer& le(std::uint64_t v, std::size_t size);  // `size` low bytes of v, LSB first
    Writer& raw(std::span<const std::uint8_t> bytes);
    // Fixed-size text field: encoded (CP1251), cut to `size`, zero-padded (§1.4).
    Writer& text_fixed(std::string_view utf8, std::size_t size);

  private:
    Bytes& out_;
};

// Reads little-endian fields; every read fails cleanly past the end.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    Result<std::uint8_t> u8();
    Result<std::uint64_t> le(std::size_t size);
    Result<Bytes> raw(std::size_t size);
    Bytes rest();
    std::size_t remaining() const { return in_.size() - pos_; }

  private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

// The 5-byte money value meaning "not given / let the KKT compute" in FF46 (§1.8.2).
inline constexpr std::uint64_t kMoneyAuto = 0xFF'FFFF'FFFFull;

// DATE_TIME of FN-class commands: YY MM DD HH MM (§1.4). Kassa reads the device clock as UTC.
struct DateTime {
    int year = 2000;  // full year; the wire carries year - 2000
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;

    static DateTime from(std::chrono::system_clock::time_point t);
    std::chrono::system_clock::time_point to_time_point() const;
    void write(Writer& w) const;  // 5 bytes
    static Result<DateTime> read(Reader& r);
    friend bool operator==(const DateTime&, const DateTime&) = default;
};

}  // namespace kassa::drivers::shtrih
