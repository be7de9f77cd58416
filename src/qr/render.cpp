#include "qr/render.hpp"

#include <png.h>
#include <qrencode.h>

#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <memory>

namespace kassa::qr {
namespace {

constexpr int kMaxModuleSize = 64;
constexpr int kMaxQuietZone = 16;

QRecLevel to_qrencode(EcLevel level) {
    switch (level) {
        case EcLevel::kL:
            return QR_ECLEVEL_L;
        case EcLevel::kM:
            return QR_ECLEVEL_M;
        case EcLevel::kQ:
            return QR_ECLEVEL_Q;
        case EcLevel::kH:
            return QR_ECLEVEL_H;
    }
    return QR_ECLEVEL_M;
}

Status check_options(const RenderOptions& options) {
    if (options.module_size < 1 || options.module_size > kMaxModuleSize) {
        return fail("qr_invalid_options", "module size must be 1.." + std::to_string(kMaxModuleSize));
    }
    if (options.quiet_zone < 0 || options.quiet_zone > kMaxQuietZone) {
        return fail("qr_invalid_options", "quiet zone must be 0.." + std::to_string(kMaxQuietZone) + " modules");
    }
    return ok();
}

struct QrcodeDeleter {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

// libpng reports errors by longjmp. Everything with a destructor lives in the caller; this
// function holds only trivially destructible locals so the jump skips no destructor.
struct PngJob {
    const std::uint8_t* rows = nullptr;  // height rows of row_bytes each
    std::size_t row_bytes = 0;
    std::uint32_t side = 0;
    std::string* out = nullptr;
};

void png_append(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<std::string*>(png_get_io_ptr(png));
    out->append(reinterpret_cast<const char*>(data), length);
}

void png_flush_noop(png_structp) {}

bool write_png(const PngJob& job) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (png == nullptr) return false;
    png_infop info = png_create_info_struct(png);
    if (info == nullptr) {
        png_destroy_write_struct(&png, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, job.out, png_append, png_flush_noop);
    png_set_IHDR(png, info, job.side, job.side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (std::uint32_t y = 0; y < job.side; ++y) {
        png_write_row(png, const_cast<png_bytep>(job.rows + static_cast<std::size_t>(y) * job.row_bytes));
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

}  // namespace

Result<EcLevel> parse_ec_level(std::string_view text) {
    if (text.size() == 1) {
        switch (text[0]) {
            case 'L':
            case 'l':
                return EcLevel::kL;
            case 'M':
            case 'm':
                return EcLevel::kM;
            case 'Q':
            case 'q':
                return EcLevel::kQ;
            case 'H':
            case 'h':
                return EcLevel::kH;
            default:
                break;
        }
    }
    return fail("qr_invalid_options", "error-correction level must be L, M, Q or H");
}

Result<QrMatrix> encode(std::string_view payload, EcLevel ec_level) {
    if (payload.empty()) return fail("qr_payload_empty", "nothing to encode");
    // QRcode_encodeData puts every byte in 8-bit mode (it never switches to kanji or
    // alphanumeric segments), so the decoder gets back exactly these bytes.
    errno = 0;
    std::unique_ptr<QRcode, QrcodeDeleter> code(
        QRcode_encodeData(static_cast<int>(payload.size()), reinterpret_cast<const unsigned char*>(payload.data()), 0,
                          to_qrencode(ec_level)));
    if (!code) {
        if (errno == ERANGE) {
            return fail("qr_payload_too_large",
                        std::to_string(payload.size()) + " bytes do not fit a QR code at this error-correction level");
        }
        return fail("qr_encode_failed", "libqrencode failed to encode the payload");
    }
    QrMatrix matrix;
    matrix.size = code->width;
    matrix.version = code->version;
    const auto cells = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
    matrix.dark.resize(cells);
    // libqrencode: bit 0 of each byte is the module colour (1 = dark); other bits describe
    // the module's role and are of no use here.
    for (std::size_t i = 0; i < cells; ++i) matrix.dark[i] = (code->data[i] & 1U) != 0;
    return matrix;
}

Result<std::string> render_png(const QrMatrix& matrix, const RenderOptions& options) {
    if (auto st = check_options(options); !st) return std::unexpected(st.error());
    const std::uint32_t modules = static_cast<std::uint32_t>(matrix.size + 2 * options.quiet_zone);
    const std::uint32_t side = modules * static_cast<std::uint32_t>(options.module_size);
    const std::size_t row_bytes = (side + 7) / 8;
    // 1-bit greyscale: bit set = white. Start all white, then clear the dark modules' bits.
    std::vector<std::uint8_t> rows(row_bytes * side, 0xFF);
    const int m = options.module_size;
    for (int y = 0; y < matrix.size; ++y) {
        for (int x = 0; x < matrix.size; ++x) {
            if (!matrix.at(x, y)) continue;
            const int px0 = (x + options.quiet_zone) * m;
            const int py0 = (y + options.quiet_zone) * m;
            for (int py = py0; py < py0 + m; ++py) {
                std::uint8_t* row = rows.data() + static_cast<std::size_t>(py) * row_bytes;
                for (int px = px0; px < px0 + m; ++px) {
                    row[px / 8] = static_cast<std::uint8_t>(row[px / 8] & ~(0x80U >> (px % 8)));
                }
            }
        }
    }
    std::string out;
    out.reserve(1024);
    if (!write_png(PngJob{rows.data(), row_bytes, side, &out})) {
        return fail("qr_png_failed", "libpng failed to write the image");
    }
    return out;
}

Result<std::string> render_png(std::string_view payload, const RenderOptions& options) {
    if (auto st = check_options(options); !st) return std::unexpected(st.error());
    auto matrix = encode(payload, options.ec_level);
    if (!matrix) return std::unexpected(matrix.error());
    return render_png(*matrix, options);
}

Result<std::string> render_svg(const QrMatrix& matrix, const RenderOptions& options) {
    if (auto st = check_options(options); !st) return std::unexpected(st.error());
    const int m = options.module_size;
    const std::string side = std::to_string((matrix.size + 2 * options.quiet_zone) * m);
    std::string svg;
    svg.reserve(static_cast<std::size_t>(matrix.size) * static_cast<std::size_t>(matrix.size) * 12 + 512);
    svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + side + "\" height=\"" + side +
           "\" viewBox=\"0 0 " + side + " " + side + "\" shape-rendering=\"crispEdges\">\n";
    svg += "<rect x=\"0\" y=\"0\" width=\"" + side + "\" height=\"" + side + "\" fill=\"#ffffff\"/>\n";
    svg += "<path fill=\"#000000\" d=\"";
    // One closed square per dark module; a square per module keeps the grid easy to check and
    // renders without seams at any scale (crispEdges).
    const std::string step = std::to_string(m);
    for (int y = 0; y < matrix.size; ++y) {
        for (int x = 0; x < matrix.size; ++x) {
            if (!matrix.at(x, y)) continue;
            svg += 'M';
            svg += std::to_string((x + options.quiet_zone) * m);
            svg += ' ';
            svg += std::to_string((y + options.quiet_zone) * m);
            svg += 'h' + step + 'v' + step + "h-" + step + 'z';
        }
    }
    svg += "\"/>\n</svg>\n";
    return svg;
}

std::string render_text(const QrMatrix& matrix, int quiet_zone) {
    const int side = matrix.size + 2 * quiet_zone;
    // Light (drawn) unless a dark module of the symbol.
    const auto light = [&](int x, int y) {
        x -= quiet_zone;
        y -= quiet_zone;
        return x < 0 || y < 0 || x >= matrix.size || y >= matrix.size || !matrix.at(x, y);
    };
    std::string out;
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; ++x) {
            const bool top = light(x, y);
            const bool bottom = y + 1 < side ? light(x, y + 1) : false;
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

Result<std::string> render_svg(std::string_view payload, const RenderOptions& options) {
    if (auto st = check_options(options); !st) return std::unexpected(st.error());
    auto matrix = encode(payload, options.ec_level);
    if (!matrix) return std::unexpected(matrix.error());
    return render_svg(*matrix, options);
}

Result<ImageFormat> parse_image_format(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "png") return ImageFormat::kPng;
    if (lower == "svg") return ImageFormat::kSvg;
    return fail("qr_invalid_options", "image format must be png or svg");
}

Result<Image> render(std::string_view payload, ImageFormat format, const RenderOptions& options) {
    auto bytes = format == ImageFormat::kPng ? render_png(payload, options) : render_svg(payload, options);
    if (!bytes) return std::unexpected(bytes.error());
    return Image{format == ImageFormat::kPng ? "image/png" : "image/svg+xml", std::move(*bytes)};
}

}  // namespace kassa::qr
