#include "drivers/registry.hpp"

#include <array>
#include <string>

#include "drivers/atol/driver.hpp"
#include "drivers/shtrih/driver.hpp"

namespace kassa::drivers {

namespace {

constexpr std::array kFamilies{
    FamilyEntry{"shtrih", &shtrih::make_shtrih_device, &shtrih::check_options},
    FamilyEntry{"atol", &atol::make_atol_device, &atol::check_options},
};

}  // namespace

std::span<const FamilyEntry> families() { return kFamilies; }

const FamilyEntry* find_family(std::string_view family) {
    for (const auto& f : kFamilies)
        if (f.family == family) return &f;
    return nullptr;
}

Status check_device_options(std::string_view family, std::string_view uri) {
    const auto* f = find_family(family);
    if (!f) return fail("unknown_family", "no driver for register family '" + std::string(family) + "'");
    auto parsed = parse_uri(uri);
    if (!parsed) return std::unexpected(parsed.error());
    return f->check(*parsed);
}

Result<std::unique_ptr<FiscalDevice>> make_device(std::string_view family, std::string_view uri) {
    auto parsed = parse_uri(uri);
    if (!parsed) return std::unexpected(parsed.error());
    for (const auto& f : kFamilies) {
        if (f.family == family) return f.make(*parsed);
    }
    return fail("unknown_family", "no driver for register family '" + std::string(family) + "'");
}

}  // namespace kassa::drivers
