#include "api/compat/common.hpp"

#include <cctype>
#include <ctime>
#include <limits>

#include "api/handlers/common.hpp"
#include "api/service.hpp"

namespace kassa::api::compat {

// ---- exact numbers -----------------------------------------------------------------------------

Result<fiscal::Kopecks> parse_rubles(std::string_view text) {
    const auto bad = [&] { return fail("invalid_money", "'" + std::string(text) + "' is not a sum in rubles"); };
    std::size_t i = 0;
    const bool negative = i < text.size() && text[i] == '-';
    if (negative) ++i;
    std::int64_t rubles = 0;
    std::size_t digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
        if (rubles > (std::numeric_limits<std::int64_t>::max() / 100 - 9) / 10) return bad();
        rubles = rubles * 10 + (text[i] - '0');
    }
    if (digits == 0) return bad();
    std::int64_t kopecks = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        std::size_t decimals = 0;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++decimals) {
            if (decimals < 2)
                kopecks = kopecks * 10 + (text[i] - '0');
            else if (text[i] != '0')
                return fail("invalid_money", "'" + std::string(text) + "' has a fraction of a kopeck");
        }
        if (decimals == 0) return bad();
        if (decimals == 1) kopecks *= 10;
    }
    if (i != text.size()) return bad();
    const std::int64_t value = rubles * 100 + kopecks;
    return fiscal::Kopecks{negative ? -value : value};
}

std::string quote_json_numbers(std::string_view in) {
    std::string out;
    out.reserve(in.size() + 16);
    bool in_string = false;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < in.size())
                out += in[++i];
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
            out += c;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            out += '"';
            while (i < in.size() && (std::isdigit(static_cast<unsigned char>(in[i])) || in[i] == '-' || in[i] == '+' ||
                                     in[i] == '.' || in[i] == 'e' || in[i] == 'E'))
                out += in[i++];
            --i;
            out += '"';
        } else {
            out += c;
        }
    }
    return out;
}

fiscal::Quantity Fields::quantity(std::string_view name) const {
    const auto* v = find(name);
    auto qty = fiscal::Quantity::parse(v && v->is_string() ? std::string_view(v->as_string()) : "");
    if (!qty) throw ApiError(400, "invalid_field", field(name) + " must be a quantity", field(name));
    return *qty;
}

std::int64_t Fields::day(std::string_view name) const {
    auto text = string(name, 32);
    for (auto& c : text)
        if (c == '.') c = '-';
    std::tm tm{};
    if (text.size() < 10 || !strptime(text.substr(0, 10).c_str(), "%Y-%m-%d", &tm))
        throw ApiError(400, "invalid_field", field(name) + " must be a date yyyy-mm-dd or yyyy.mm.dd", field(name));
    return static_cast<std::int64_t>(timegm(&tm));
}

json::object parse_quoted(std::string_view body) {
    boost::system::error_code ec;
    auto value = json::parse(quote_json_numbers(body), ec);
    if (ec || !value.is_object()) throw ApiError(400, "invalid_json", "the body must be a JSON object");
    return std::move(value.as_object());
}

drivers::RegisterWorker* register_of(Service& service, const HttpRequest& req, const std::string& inn, int num_device) {
    const auto scope = scope_of(service, req);
    int n = 0;
    for (auto* w : service.pool().workers()) {
        if (!scope.register_id(w->register_id())) continue;
        if (!inn.empty() && service.pool().entity_of(w->register_id()) != inn) continue;
        if (++n == num_device || num_device == 0) return w;
    }
    return nullptr;
}

std::function<drivers::DeviceStatusResult(drivers::FiscalDevice&)> status_reader(
    std::shared_ptr<drivers::DeviceStatus> into) {
    return [into](drivers::FiscalDevice& d) -> drivers::DeviceStatusResult {
        auto s = d.status();
        if (!s) return std::unexpected(s.error());
        *into = *s;
        return {};
    };
}

namespace {

std::string base64_decode(std::string_view in) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const auto pos = kAlphabet.find(c);
        if (pos == std::string_view::npos) return {};
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

}  // namespace

void install_basic_auth(Router& router, const TokenStore& tokens, bool required, Principal anonymous) {
    router.set_guard([&tokens, required, anonymous = std::move(anonymous)](
                         HttpRequest& req, const RouteInfo& route) -> std::optional<HttpResponse> {
        req.headers.erase("x-kassa-principal");
        req.headers.erase("x-kassa-role");
        if (route.open) return std::nullopt;
        const auto header = req.header("authorization");
        if (header.empty() && !required) return admit(req, route, anonymous, "Basic realm=\"kassa\"");
        constexpr std::string_view kBasic = "Basic ";
        std::string token;
        if (header.size() > kBasic.size() && header.compare(0, kBasic.size(), kBasic) == 0) {
            const auto pair = base64_decode(std::string_view(header).substr(kBasic.size()));
            if (const auto colon = pair.find(':'); colon != std::string::npos) token = pair.substr(colon + 1);
        }
        HttpRequest probe;
        probe.headers["authorization"] = "Bearer " + token;
        return admit(req, route,
                     token.empty() ? Result<Principal>(fail("unauthorized", "HTTP Basic auth is required"))
                                   : tokens.authenticate(probe),
                     "Basic realm=\"kassa\"");
    });
}

}  // namespace kassa::api::compat
