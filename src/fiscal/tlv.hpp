// FFD TLV encoding of a receipt (protocols.md §3.1–3.3): tag and length as UInt16 little-endian,
// then the value; money as VLN kopecks, quantity as FVLN, text as CP866, a line as STLV 1059.
// This is the form both device families take (Shtrih FF0C/FF4D, ATOL "send TLV"): the driver
// sends each 1059 STLV with its line and the document tags before closing the receipt.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fiscal/quantity.hpp"
#include "fiscal/receipt.hpp"

namespace kassa::fiscal {

using Bytes = std::vector<std::uint8_t>;

// Tag numbers Kassa sends (protocols.md §3.3, fiscal-rules.md §1.7, §7).
namespace tag {
inline constexpr std::uint16_t kBuyerContact = 1008;
inline constexpr std::uint16_t kSettlementAddress = 1009;
inline constexpr std::uint16_t kTotal = 1020;
inline constexpr std::uint16_t kCashier = 1021;
inline constexpr std::uint16_t kQuantity = 1023;
inline constexpr std::uint16_t kItemName = 1030;
inline constexpr std::uint16_t kCash = 1031;
inline constexpr std::uint16_t kItemAmount = 1043;
inline constexpr std::uint16_t kCalcSign = 1054;
inline constexpr std::uint16_t kTaxSystem = 1055;
inline constexpr std::uint16_t kItem = 1059;
inline constexpr std::uint16_t kPrice = 1079;
inline constexpr std::uint16_t kElectronic = 1081;
inline constexpr std::uint16_t kCorrectionType = 1173;
inline constexpr std::uint16_t kCorrectionBasis = 1174;
inline constexpr std::uint16_t kCorrectedDate = 1178;
inline constexpr std::uint16_t kOrderNumber = 1179;
inline constexpr std::uint16_t kSettlementPlace = 1187;
inline constexpr std::uint16_t kAdditionalAttribute = 1192;
inline constexpr std::uint16_t kVatCode = 1199;
inline constexpr std::uint16_t kVatSum = 1200;
inline constexpr std::uint16_t kCashierInn = 1203;
inline constexpr std::uint16_t kSubject = 1212;
inline constexpr std::uint16_t kPaymentMethod = 1214;
inline constexpr std::uint16_t kPrepayment = 1215;
inline constexpr std::uint16_t kCredit = 1216;
inline constexpr std::uint16_t kProvision = 1217;
inline constexpr std::uint16_t kUnit = 2108;
}  // namespace tag

// One whole TLV inside a buffer: where its header starts and its size with the header. Drivers cut
// commands at these boundaries (Shtrih FF0Ch/FF4Dh ≤ 250 bytes) without parsing the bytes again.
struct TagSpan {
    std::uint16_t tag = 0;
    std::size_t offset = 0;
    std::size_t size = 0;
};

// Appends TLVs to a byte buffer. Errors (code "tlv_value"): a value longer than 65 535 bytes, a
// negative or too large VLN, text that is not CP866.
class TlvWriter {
  public:
    void put_byte(std::uint16_t tag, std::uint8_t value);
    // VLN: the minimum number of little-endian bytes, at least one; money allows at most six.
    Status put_vln(std::uint16_t tag, std::int64_t value, std::size_t max_bytes = 6);
    // FVLN: one byte with the number of fraction digits, then a VLN of the scaled value; the
    // shortest exact form (1.5 → 01 0F, 2 → 00 02).
    Status put_fvln(std::uint16_t tag, Quantity value);
    void put_unixtime(std::uint16_t tag, std::uint32_t seconds);
    // UTF-8 in, CP866 on the wire; no terminator.
    Status put_string(std::uint16_t tag, std::string_view utf8);
    Status put_raw(std::uint16_t tag, std::span<const std::uint8_t> value);
    // STLV: the inner writer's bytes become this tag's value.
    Status put_stlv(std::uint16_t tag, const TlvWriter& inner) { return put_raw(tag, inner.bytes()); }

    const Bytes& bytes() const { return out_; }
    // Every TLV written so far, in order.
    const std::vector<TagSpan>& spans() const { return spans_; }
    Bytes take() {
        spans_.clear();
        return std::move(out_);
    }

  private:
    void put_header(std::uint16_t tag, std::uint16_t length);
    Bytes out_;
    std::vector<TagSpan> spans_;
};

// A receipt as TLVs: one 1059 STLV per line (in line order) and the document-level tags.
struct EncodedReceipt {
    std::vector<Bytes> lines;            // each is a whole 1059 TLV
    Bytes document;                      // 1054, 1055, 1021, 1203, 1008, 1009, 1187, 1192, 1173/1174, 1031..1217, 1020
    std::vector<TagSpan> document_tags;  // every TLV of `document`
    std::vector<std::vector<TagSpan>> line_tags;  // the TLVs inside lines[i]'s 1059, offsets into lines[i]

    std::size_t size() const;
    Bytes flat() const;  // the lines, then the document tags
};

// Line tags, in this order: 1030, 1079, 1023, 1043, 1199, 1214, 1212, 2108, 1200.
Result<Bytes> encode_line(const ReceiptLine& line);
// Encodes the tags without validating sums (see validate_receipt). Empty texts are left out;
// the five payment sums are always sent, zeros included.
Result<EncodedReceipt> encode_receipt(const Receipt& receipt);

// Decoding, for round-trip tests and for reading documents back from a device.
struct Tlv {
    std::uint16_t tag = 0;
    Bytes value;

    friend bool operator==(const Tlv&, const Tlv&) = default;
};

// Splits a buffer into TLVs (not descending into STLVs). Error "tlv_truncated".
Result<std::vector<Tlv>> decode_tlvs(std::span<const std::uint8_t> bytes);
Result<std::int64_t> decode_vln(std::span<const std::uint8_t> value);
Result<Quantity> decode_fvln(std::span<const std::uint8_t> value);
std::string decode_string(std::span<const std::uint8_t> value);  // CP866 → UTF-8

// Rebuilds the sent fields of a receipt from its TLVs (lines and document tags in any order).
// What is never sent (VatClass, sku) keeps its default. Errors: "tlv_truncated", "tlv_value".
Result<Receipt> decode_receipt(std::span<const std::uint8_t> bytes);

}  // namespace kassa::fiscal
