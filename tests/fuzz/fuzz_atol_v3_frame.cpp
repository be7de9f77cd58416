// libFuzzer target: the ATOL v3 transport decoder (shared/spec/protocols.md §2.4: FEh, length,
// id, stuffed data, CRC8) fed in chunks whose sizes come from the input, then every packet's data
// through the task-buffer parsers (host command and device reply) and the application parsers
// under them. A good packet re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <span>

#include "chunks.hpp"
#include "drivers/atol/commands.hpp"
#include "drivers/atol/frame.hpp"

namespace at = kassa::drivers::atol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    at::V3Decoder decoder;
    kassa::fuzz::feed_in_chunks(data, size, decoder, [](const at::V3Event& event) {
        if (event.kind != at::V3Event::Kind::Packet) return;
        const auto& packet = event.packet;
        at::V3Decoder again;
        again.feed(at::encode_v3_packet(packet.id, packet.data));
        auto round = again.next();
        if (!round || round->kind != at::V3Event::Kind::Packet || round->packet.id != packet.id ||
            round->packet.data != packet.data)
            __builtin_trap();
        if (auto command = at::TaskCommand::parse(packet.data)) (void)at::Request::parse(command->payload);
        auto reply = at::TaskReply::parse(packet.data);
        if (!reply || !reply->has_answer()) return;
        for (const std::uint8_t code : {0x3F, 0x45, 0xA5, 0x4A}) {
            if (auto answer = at::Answer::parse(reply->answer, code)) {
                (void)at::StatusAnswer::decode(answer->data);
                (void)at::FnDocumentAnswer::decode(answer->data);
                (void)at::PaymentAnswer::decode(answer->data);
            }
        }
    });
    return 0;
}
