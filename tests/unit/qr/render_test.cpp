#include "qr/render.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include <regex>
#include <set>
#include <utility>

#include "qr/payment_payload.hpp"
#include "zbar.hpp"

namespace kassa::qr {
namespace {

using kassa::test::zbar_decode_bytes;

// A receipt-check QR string as the fiscal module forms it (spec §4).
constexpr std::string_view kCheckQr = "t=20261015T1432&s=10000.00&fn=7380440800123456&i=1234&fp=1234567890&n=1";
constexpr std::string_view kCheckQrSeconds =
    "t=20190418T211655&s=3943.26&fn=9282000100246834&i=51772&fp=3419051932&n=1";
constexpr std::string_view kSbpDynamic =
    "https://qr.nspk.ru/AD10006PTORDPC5D98HPT12HV37MMQ6G?type=02&bank=100000000284&sum=15590000&cur=RUB&crc=4C8A";
constexpr std::string_view kSbpStatic =
    "https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2?type=01&bank=100000000001&sum=10000&cur=RUB&crc=C08B";
constexpr std::string_view kCyrillic = "Оплата заказа №123 — «Ромашка», ёлки и ЪЫЬ";

BankRequisites romashka() {
    return {.name = "ООО «Ромашка»",
            .personal_acc = "40702810200000012345",
            .bank_name = "ПАО СБЕРБАНК",
            .bic = "044525225",
            .corresp_acc = "30101810400000000225",
            .payee_inn = "7701234560",
            .kpp = "770101001"};
}

std::string gost(GostCharset charset, std::string name, std::string purpose) {
    GostPaymentOrder order{
        .payee = romashka(), .sum = fiscal::Kopecks{700000}, .purpose = std::move(purpose), .charset = charset};
    order.payee.name = std::move(name);
    auto payload = build_gost_payload(order);
    EXPECT_TRUE(payload) << payload.error().message;
    return payload.value_or("");
}

void expect_round_trip(std::string_view payload, const RenderOptions& options, std::string_view stem) {
    auto png = render_png(payload, options);
    ASSERT_TRUE(png) << png.error().message;
    auto decoded = zbar_decode_bytes(*png, stem);
    ASSERT_TRUE(decoded.has_value()) << "zbarimg found no QR code in " << stem;
    EXPECT_EQ(*decoded, payload) << stem;
}

TEST(QrRender, CheckQrStringsDecodeByteForByte) {
    expect_round_trip(kCheckQr, {}, "check-qr");
    expect_round_trip(kCheckQrSeconds, {}, "check-qr-seconds");
}

TEST(QrRender, SbpLinksDecodeByteForByte) {
    expect_round_trip(kSbpDynamic, {}, "sbp-dynamic");
    expect_round_trip(kSbpStatic, {}, "sbp-static");
}

TEST(QrRender, Utf8CyrillicDecodesByteForByte) { expect_round_trip(kCyrillic, {}, "utf8-cyrillic"); }

TEST(QrRender, GostPayloadsInEveryCharsetDecodeByteForByte) {
    const std::string utf8 = gost(GostCharset::kUtf8, "ООО «Ромашка»", "Оплата заказа №123, в т.ч. НДС 22% 1262.30");
    const std::string cp1251 =
        gost(GostCharset::kWindows1251, "ООО «Ромашка»", "Оплата заказа №123, в т.ч. НДС 22% 1262.30");
    // KOI8-R has neither '«»' nor '№'.
    const std::string koi8 = gost(GostCharset::kKoi8R, "ООО Ромашка", "Оплата заказа N123, в т.ч. НДС 22% 1262.30");
    ASSERT_TRUE(utf8.starts_with("ST00012|"));
    ASSERT_TRUE(cp1251.starts_with("ST00011|"));
    ASSERT_TRUE(koi8.starts_with("ST00013|"));
    expect_round_trip(utf8, {}, "gost-utf8");
    expect_round_trip(cp1251, {}, "gost-cp1251");
    expect_round_trip(koi8, {}, "gost-koi8r");
}

TEST(QrRender, EveryErrorCorrectionLevelModuleSizeAndQuietZoneDecodes) {
    for (EcLevel level : {EcLevel::kL, EcLevel::kM, EcLevel::kQ, EcLevel::kH}) {
        for (auto [module, quiet] : {std::pair{2, 4}, std::pair{5, 2}, std::pair{8, 4}}) {
            expect_round_trip(kCheckQr, {.ec_level = level, .module_size = module, .quiet_zone = quiet},
                              "levels-" + std::to_string(static_cast<int>(level)) + "-" + std::to_string(module));
        }
    }
}

TEST(QrRender, HigherErrorCorrectionNeedsAtLeastAsManyModules) {
    auto low = encode(kSbpDynamic, EcLevel::kL);
    auto high = encode(kSbpDynamic, EcLevel::kH);
    ASSERT_TRUE(low && high);
    EXPECT_GT(high->size, low->size);
    EXPECT_EQ(low->size, 17 + 4 * low->version);
}

TEST(QrRender, RejectsEmptyOversizeAndBadOptions) {
    EXPECT_EQ(render_png("", {}).error().code, "qr_payload_empty");
    // Version 40-H holds 1273 bytes in byte mode.
    EXPECT_EQ(render_png(std::string(1274, 'x'), {.ec_level = EcLevel::kH}).error().code, "qr_payload_too_large");
    EXPECT_TRUE(render_png(std::string(1273, 'x'), {.ec_level = EcLevel::kH, .module_size = 1}));
    EXPECT_EQ(render_png(kCheckQr, {.module_size = 0}).error().code, "qr_invalid_options");
    EXPECT_EQ(render_svg(kCheckQr, {.quiet_zone = -1}).error().code, "qr_invalid_options");
}

TEST(QrRender, ParsesErrorCorrectionLevel) {
    EXPECT_EQ(parse_ec_level("q").value(), EcLevel::kQ);
    EXPECT_EQ(parse_ec_level("H").value(), EcLevel::kH);
    EXPECT_FALSE(parse_ec_level("X"));
    EXPECT_FALSE(parse_ec_level("MM"));
}

TEST(QrRender, RenderByFormatGivesTheContentType) {
    auto png = render(kCheckQr, parse_image_format("PNG").value());
    ASSERT_TRUE(png);
    EXPECT_EQ(png->content_type, "image/png");
    EXPECT_TRUE(png->bytes.starts_with("\x89PNG\r\n\x1a\n"));
    auto svg = render(kCheckQr, parse_image_format("svg").value());
    ASSERT_TRUE(svg);
    EXPECT_EQ(svg->content_type, "image/svg+xml");
    EXPECT_EQ(svg->bytes, render_svg(kCheckQr).value());
    EXPECT_EQ(parse_image_format("gif").error().code, "qr_invalid_options");
}

// Reads a PNG back into 8-bit grey pixels with libpng's simplified API.
struct Grey {
    std::uint32_t width = 0, height = 0;
    std::vector<std::uint8_t> pixels;
};

Grey read_png(const std::string& bytes) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    Grey out;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return out;
    image.format = PNG_FORMAT_GRAY;
    out.pixels.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) return {};
    out.width = image.width;
    out.height = image.height;
    return out;
}

TEST(QrRender, SvgGridMatchesPngPixels) {
    const RenderOptions options{.ec_level = EcLevel::kQ, .module_size = 3, .quiet_zone = 2};
    auto matrix = encode(kCheckQr, options.ec_level);
    ASSERT_TRUE(matrix);
    auto png = render_png(*matrix, options);
    auto svg = render_svg(*matrix, options);
    ASSERT_TRUE(png && svg);

    const int modules = matrix->size + 2 * options.quiet_zone;
    const int side = modules * options.module_size;
    Grey image = read_png(*png);
    ASSERT_EQ(image.width, static_cast<std::uint32_t>(side));
    ASSERT_EQ(image.height, static_cast<std::uint32_t>(side));

    // Well-formed enough: XML declaration, one svg root with the same size, closed.
    EXPECT_TRUE(svg->starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
    EXPECT_TRUE(svg->ends_with("</svg>\n"));
    const std::string size_attr = "width=\"" + std::to_string(side) + "\" height=\"" + std::to_string(side) + "\"";
    EXPECT_NE(svg->find(size_attr), std::string::npos);
    EXPECT_NE(svg->find("viewBox=\"0 0 " + std::to_string(side) + " " + std::to_string(side) + "\""),
              std::string::npos);

    // Every dark square in the path, by module coordinates.
    const std::string m = std::to_string(options.module_size);
    const std::regex square("M(\\d+) (\\d+)h" + m + "v" + m + "h-" + m + "z");
    std::set<std::pair<int, int>> svg_dark;
    for (auto it = std::sregex_iterator(svg->begin(), svg->end(), square); it != std::sregex_iterator(); ++it) {
        const int px = std::stoi((*it)[1]);
        const int py = std::stoi((*it)[2]);
        ASSERT_EQ(px % options.module_size, 0);
        ASSERT_EQ(py % options.module_size, 0);
        svg_dark.emplace(px / options.module_size, py / options.module_size);
    }
    // Every module of the PNG (quiet zone included), sampled at its centre and checked uniform.
    std::size_t png_dark = 0;
    for (int my = 0; my < modules; ++my) {
        for (int mx = 0; mx < modules; ++mx) {
            const int cx = mx * options.module_size + options.module_size / 2;
            const int cy = my * options.module_size + options.module_size / 2;
            const bool dark = image.pixels[static_cast<std::size_t>(cy) * side + cx] < 128;
            for (int dy = 0; dy < options.module_size; ++dy) {
                for (int dx = 0; dx < options.module_size; ++dx) {
                    const auto px = static_cast<std::size_t>(my * options.module_size + dy) * side +
                                    static_cast<std::size_t>(mx * options.module_size + dx);
                    ASSERT_EQ(image.pixels[px] < 128, dark);
                }
            }
            EXPECT_EQ(svg_dark.contains({mx, my}), dark) << "module " << mx << "," << my;
            png_dark += dark ? 1 : 0;
        }
    }
    EXPECT_EQ(svg_dark.size(), png_dark);
    EXPECT_GT(png_dark, 0U);
}

}  // namespace
}  // namespace kassa::qr
