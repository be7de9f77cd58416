#include "drivers/registry.hpp"

#include <array>
#include <string>

#include "drivers/atol/driver.hpp"
#include "drivers/shtrih/driver.hpp"

namespace kassa::drivers {

namespace {

constexpr std::array kFamilies{
    FamilyEntry{"shtrih", &shtrih::make_shtrih_device},
    FamilyEntry{"atol", &atol::make_atol_device},
};

}  // namespace

std::span<const FamilyEntry> families() { return kFamilies; }

Result<std::unique_ptr<FiscalDevice>> make_device(std::string_view family, std::string_view uri) {
    auto parsed = parse_uri(uri);
    if (!parsed) return std::unexpected(parsed.error());
    for (const auto& f : kFamilies) {
        if (f.family == family) return f.make(*parsed);
    }
    return fail("unknown_family", "no driver for register family '" + std::string(family) + "'");
}

}  // namespace kassa::drivers
