#include "drivers/profiles.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/uri.hpp"

namespace kassa::drivers {

namespace json = boost::json;

std::string default_devices_dir() {
    if (const char* dir = std::getenv("KASSA_DEVICES_DIR"); dir != nullptr && *dir != '\0') return dir;
    return KASSA_DEVICES_DIR;
}

Result<DeviceProfile> load_profile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("unknown_model", "no device profile " + path);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const json::value doc = json::parse(text.str(), ec);
    if (ec || !doc.is_object()) return fail("invalid_profile", path + ": not a JSON object");
    const auto& o = doc.as_object();
    DeviceProfile p;
    p.id = std::filesystem::path(path).stem().string();
    auto str = [&](const char* key, std::string& out, bool required) -> Status {
        const auto* v = o.if_contains(key);
        if (!v) return required ? fail("invalid_profile", path + ": '" + key + "' missing") : ok();
        if (!v->is_string()) return fail("invalid_profile", path + ": '" + key + "' must be a string");
        out = std::string(v->as_string());
        return ok();
    };
    if (auto s = str("vendor", p.vendor, true); !s) return std::unexpected(s.error());
    if (auto s = str("model", p.model, true); !s) return std::unexpected(s.error());
    if (auto s = str("family", p.family, true); !s) return std::unexpected(s.error());
    if (auto s = str("driver_query", p.driver_query, false); !s) return std::unexpected(s.error());
    if (auto s = str("ffd", p.ffd, false); !s) return std::unexpected(s.error());
    const auto* links = o.if_contains("links");
    if (!links || !links->is_array() || links->as_array().empty())
        return fail("invalid_profile", path + ": 'links' must be a non-empty array");
    for (const auto& l : links->as_array()) {
        if (!l.is_string()) return fail("invalid_profile", path + ": 'links' holds strings");
        const std::string link(l.as_string());
        if (link != "serial" && link != "usb-cdc-acm" && link != "tcp")
            return fail("invalid_profile", path + ": unknown link '" + link + "'");
        p.links.push_back(link);
    }
    if (const auto* serial = o.if_contains("serial"); serial && serial->is_object()) {
        if (const auto* baud = serial->as_object().if_contains("baud")) {
            if (!baud->is_int64() || baud->as_int64() <= 0) return fail("invalid_profile", path + ": bad serial.baud");
            p.baud = static_cast<unsigned>(baud->as_int64());
        }
    }
    return p;
}

Result<DeviceProfile> find_profile(const std::string& devices_dir, const std::string& id) {
    if (id.empty() || id.find('/') != std::string::npos || id.starts_with("."))
        return fail("unknown_model", "bad model name '" + id + "'");
    auto p = load_profile((std::filesystem::path(devices_dir) / (id + ".json")).string());
    if (!p && p.error().code == "unknown_model")
        return fail("unknown_model", "no model '" + id + "' in " + devices_dir);
    return p;
}

Result<std::vector<DeviceProfile>> load_profiles(const std::string& devices_dir) {
    std::vector<DeviceProfile> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(devices_dir, ec)) {
        if (entry.path().extension() != ".json") continue;
        auto p = load_profile(entry.path().string());
        if (!p) return std::unexpected(p.error());
        out.push_back(std::move(*p));
    }
    if (ec) return fail("unknown_model", "cannot read " + devices_dir + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

Result<std::string> apply_profile(const DeviceProfile& profile, const std::string& uri_text) {
    auto uri = parse_uri(uri_text);
    if (!uri) return std::unexpected(uri.error());
    auto offers = [&](const char* link) {
        return std::find(profile.links.begin(), profile.links.end(), link) != profile.links.end();
    };
    // serial:// is a COM port or a USB CDC-ACM port (/dev/ttyACM*); usb:// is CDC-ACM through libusb.
    const bool ok_link = uri->scheme == "sim" || (uri->scheme == "tcp" && offers("tcp")) ||
                         (uri->scheme == "serial" && (offers("serial") || offers("usb-cdc-acm"))) ||
                         (uri->scheme == "usb" && offers("usb-cdc-acm"));
    if (!ok_link) return fail("model_link", "model '" + profile.id + "' offers no " + uri->scheme + " link");
    std::string out = uri_text;
    auto add = [&](const std::string& key, const std::string& value) {
        if (!uri->param(key).empty()) return;  // the register's own setting wins
        out += (out.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
    };
    if (uri->scheme == "serial" && profile.baud > 0) add("baud", std::to_string(profile.baud));
    std::stringstream query(profile.driver_query);
    for (std::string pair; std::getline(query, pair, '&');) {
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        add(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    }
    return out;
}

}  // namespace kassa::drivers
