// The link decoders' fuzz targets share this: the first input byte picks a chunk size (1..16), the
// rest is fed to the decoder in chunks of that size (a decoder must not care how bytes arrive), and
// every event it yields goes to `on_event`.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kassa::fuzz {

template <class Decoder, class OnEvent>
void feed_in_chunks(const std::uint8_t* data, std::size_t size, Decoder& decoder, OnEvent on_event) {
    if (size == 0) return;
    const std::size_t chunk = (data[0] & 0x0F) + 1;
    const std::span<const std::uint8_t> line(data + 1, size - 1);
    for (std::size_t at = 0; at < line.size(); at += chunk) {
        decoder.feed(line.subspan(at, std::min(chunk, line.size() - at)));
        while (auto event = decoder.next()) on_event(*event);
    }
}

}  // namespace kassa::fuzz
