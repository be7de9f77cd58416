// libFuzzer target: the Shtrih link decoder (shared/spec/protocols.md §1.3) fed the input in chunks
// whose sizes come from the input itself, then every frame body through the request and answer
// parsers and the answer decoders the driver uses. Properties checked besides "no crash": a good
// frame's body re-encodes to a frame that decodes to the same body.
#include <cstddef>
#include <cstdint>
#include <span>

#include "chunks.hpp"
#include "drivers/shtrih/commands.hpp"
#include "drivers/shtrih/frame.hpp"

namespace sh = kassa::drivers::shtrih;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sh::FrameDecoder decoder;
    kassa::fuzz::feed_in_chunks(data, size, decoder, [](const sh::LinkEvent& event) {
        if (event.kind != sh::LinkEvent::Kind::Frame) return;
        const auto& body = event.body;
        if (body.empty() || body.size() > 255) __builtin_trap();  // a frame body is 1..255 bytes
        sh::FrameDecoder again;
        again.feed(sh::encode_frame(body));
        auto round = again.next();
        if (!round || round->kind != sh::LinkEvent::Kind::Frame || round->body != body) __builtin_trap();
        (void)sh::Request::parse(body);
        const std::uint16_t code =
            body[0] == 0xFF && body.size() > 1 ? static_cast<std::uint16_t>(0xFF00 | body[1]) : body[0];
        auto answer = sh::Answer::parse(body, code);
        if (!answer) return;
        const auto d = std::span<const std::uint8_t>(answer->data);
        (void)sh::ShortStatus::decode(d);
        (void)sh::FullStatus::decode(d);
        (void)sh::FnStatus::decode(d);
        (void)sh::FnNumber::decode(d);
        (void)sh::FnExpiry::decode(d);
        (void)sh::FoundDocument::decode(d);
        (void)sh::OfdStatus::decode(d);
        (void)sh::ShiftParams::decode(d);
        (void)sh::ShiftDocumentAnswer::decode(d);
        (void)sh::CloseReceiptV2Answer::decode(d);
        (void)sh::CorrectionV2Answer::decode(d);
        (void)sh::SettlementReportAnswer::decode(d);
        (void)sh::DeviceType::decode(d);
    });
    return 0;
}
