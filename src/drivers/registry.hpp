// The explicit family → factory table (DESIGN.md §3, §6 libsigrok): adding a model of a known
// family is a devices/*.json row; adding a family is one line here.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "common/result.hpp"
#include "common/uri.hpp"
#include "drivers/device.hpp"

namespace kassa::drivers {

using DeviceFactory = Result<std::unique_ptr<FiscalDevice>> (*)(const Uri& uri);
// Checks a device URI's driver options without opening anything: unknown keys and bad values are
// errors (config validation, devices/*.json driver_query).
using OptionsCheck = Status (*)(const Uri& uri);

struct FamilyEntry {
    std::string_view family;  // "shtrih"
    DeviceFactory make;
    OptionsCheck check;
};

std::span<const FamilyEntry> families();
const FamilyEntry* find_family(std::string_view family);
Status check_device_options(std::string_view family, std::string_view uri);

// make_device("shtrih", "tcp://127.0.0.1:7778"): an unconnected device (it connects on first use).
Result<std::unique_ptr<FiscalDevice>> make_device(std::string_view family, std::string_view uri);

}  // namespace kassa::drivers
