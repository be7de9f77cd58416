// libFuzzer target: the ATOL v2 link decoder (shared/spec/protocols.md §2.3: STX, DLE-stuffed data,
// ETX, CRC) fed in chunks whose sizes come from the input, then every frame's data through the
// request and answer parsers and the answer decoders. A good frame re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <span>

#include "chunks.hpp"
#include "drivers/atol/commands.hpp"
#include "drivers/atol/frame.hpp"

namespace at = kassa::drivers::atol;

namespace {

void parse_application(std::span<const std::uint8_t> bytes) {
    (void)at::Request::parse(bytes);
    for (const std::uint8_t code : {0x3F, 0x45, 0xA5, 0x4A, 0xA4, 0x99}) {
        auto answer = at::Answer::parse(bytes, code);
        if (!answer) continue;
        const auto d = std::span<const std::uint8_t>(answer->data);
        (void)at::StatusAnswer::decode(d);
        (void)at::StatusCodeAnswer::decode(d);
        (void)at::DeviceTypeAnswer::decode(d);
        (void)at::PaymentAnswer::decode(d);
        (void)at::FnStatusAnswer::decode(d);
        (void)at::FnShiftAnswer::decode(d);
        (void)at::FnOfdAnswer::decode(d);
        (void)at::FnExpiryAnswer::decode(d);
        (void)at::FnDocumentAnswer::decode(d);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    at::V2Decoder decoder;
    kassa::fuzz::feed_in_chunks(data, size, decoder, [](const at::V2Event& event) {
        if (event.kind != at::V2Event::Kind::Frame) return;
        at::V2Decoder again;
        again.feed(at::encode_v2_frame(event.data));
        auto round = again.next();
        if (!round || round->kind != at::V2Event::Kind::Frame || round->data != event.data) __builtin_trap();
        parse_application(event.data);
    });
    return 0;
}
