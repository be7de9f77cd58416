// QR code rendering: payload bytes → module matrix (libqrencode) → PNG (libpng, in memory) or SVG
// text. The only place in Kassa that links libqrencode (DESIGN.md §3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace kassa::qr {

// QR error-correction level: L ≈ 7 %, M ≈ 15 %, Q ≈ 25 %, H ≈ 30 % of codewords recoverable.
enum class EcLevel { kL, kM, kQ, kH };

// Parses "L" / "M" / "Q" / "H" (case-insensitive), e.g. from a query string.
Result<EcLevel> parse_ec_level(std::string_view text);

struct RenderOptions {
    EcLevel ec_level = EcLevel::kM;
    // Size of one module in output units: pixels for PNG, user units for SVG. 1..64.
    int module_size = 8;
    // Light border around the symbol, in modules. The QR standard asks for 4; 0..16.
    int quiet_zone = 4;
};

// The symbol as a square grid of modules, without the quiet zone.
struct QrMatrix {
    int size = 0;            // modules per side (21 for version 1, +4 per version)
    int version = 0;         // 1..40
    std::vector<bool> dark;  // size × size, row-major; true = dark module

    bool at(int x, int y) const { return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + x]; }
};

// Encodes the payload bytes as they are, in 8-bit byte mode, in the smallest version that fits.
// No ECI header and no re-encoding: UTF-8 text stays UTF-8, a GOST R 56042 payload in
// windows-1251 or KOI8-R stays in that code page (the payload's own header names the charset).
// Errors: "qr_payload_empty", "qr_payload_too_large" (over the capacity of version 40 at the
// chosen level), "qr_encode_failed".
Result<QrMatrix> encode(std::string_view payload, EcLevel ec_level);

// PNG: 1-bit greyscale, black on white, (size + 2 × quiet_zone) × module_size pixels per side.
// Returns the file's bytes. Errors: those of encode(), "qr_invalid_options", "qr_png_failed".
Result<std::string> render_png(std::string_view payload, const RenderOptions& options = {});
Result<std::string> render_png(const QrMatrix& matrix, const RenderOptions& options = {});

// SVG 1.1 document: a white background rect and one path of dark module squares, the same grid
// and size (in user units, width/height attributes in px) as the PNG.
Result<std::string> render_svg(std::string_view payload, const RenderOptions& options = {});
Result<std::string> render_svg(const QrMatrix& matrix, const RenderOptions& options = {});

// Text for a terminal: two module rows per line in UTF-8 half blocks (▀ ▄ █ and space), with the
// quiet zone. Light modules are drawn (the terminal's foreground), dark ones left blank, as for a
// light-on-dark terminal; each line ends with "\n".
std::string render_text(const QrMatrix& matrix, int quiet_zone = 2);

enum class ImageFormat { kPng, kSvg };

// Parses "png" / "svg" (case-insensitive), e.g. from ?format=.
Result<ImageFormat> parse_image_format(std::string_view text);

struct Image {
    std::string content_type;  // "image/png" or "image/svg+xml"
    std::string bytes;
};

// render_png or render_svg by format, with the HTTP content type to serve it with.
Result<Image> render(std::string_view payload, ImageFormat format, const RenderOptions& options = {});

}  // namespace kassa::qr
