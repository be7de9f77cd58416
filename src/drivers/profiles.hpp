// Register models as files (DESIGN.md §6, libsigrok): devices/<vendor>-<model>.json says which
// family drives a model, the links it offers, its line settings and the driver options its quirks
// need (devices/README.md lists the fields). `model = "shtrih-m-fn"` in a [[registers]] table
// resolves devices/shtrih-m-fn.json; apply_profile() merges its settings into the register's URI.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace kassa::drivers {

struct DeviceProfile {
    std::string id;      // the file name without .json
    std::string vendor;  // display names
    std::string model;
    std::string family;              // a family of registry.hpp
    std::vector<std::string> links;  // serial, usb-cdc-acm, tcp
    unsigned baud = 0;               // serial line speed, 0 = not given
    std::string driver_query;        // "k=v&k=v" appended to the device URI
    std::string ffd;                 // "1.2"
};

// Where kassad looks for profiles: $KASSA_DEVICES_DIR, else the devices/ folder it was built with.
std::string default_devices_dir();

Result<DeviceProfile> load_profile(const std::string& path);
// devices_dir/<id>.json. Error "unknown_model" when there is no such file.
Result<DeviceProfile> find_profile(const std::string& devices_dir, const std::string& id);
// Every *.json of the folder, sorted by id.
Result<std::vector<DeviceProfile>> load_profiles(const std::string& devices_dir);

// The register's URI with the profile's line speed (serial links, when the URI gives none) and
// driver options (those the URI does not set itself). Error when the URI's link is not one the
// model offers ("model_link").
Result<std::string> apply_profile(const DeviceProfile& profile, const std::string& uri);

}  // namespace kassa::drivers
