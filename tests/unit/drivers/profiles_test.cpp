// Register models as files (devices/*.json): every profile parses, names a family the registry
// has, and its driver options are accepted by that family's driver.
#include <gtest/gtest.h>

#include "common/uri.hpp"
#include "drivers/profiles.hpp"
#include "drivers/registry.hpp"

namespace kassa::drivers {
namespace {

TEST(DeviceProfiles, EveryProfileParsesAndItsDriverAcceptsIt) {
    auto profiles = load_profiles(default_devices_dir());
    ASSERT_TRUE(profiles) << profiles.error().message;
    ASSERT_GE(profiles->size(), 2u);
    for (const auto& p : *profiles) {
        SCOPED_TRACE(p.id);
        EXPECT_NE(find_family(p.family), nullptr) << "family '" << p.family << "' is not in the registry";
        EXPECT_FALSE(p.vendor.empty());
        EXPECT_FALSE(p.model.empty());
        for (const std::string base : {"tcp://127.0.0.1:7778", "serial:///dev/ttyACM0"}) {
            auto uri = apply_profile(p, base);
            if (!uri) continue;  // a link the model does not offer
            auto st = check_device_options(p.family, *uri);
            EXPECT_TRUE(st) << *uri << ": " << st.error().message;
            EXPECT_TRUE(make_device(p.family, *uri)) << *uri;
        }
    }
}

TEST(DeviceProfiles, ApplyMergesLineSpeedAndQuirksWithoutOverriding) {
    auto p = find_profile(default_devices_dir(), "shtrih-cash-core");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->family, "shtrih");
    EXPECT_EQ(p->baud, 115200u);
    auto uri = apply_profile(*p, "serial:///dev/ttyACM0");
    ASSERT_TRUE(uri);
    auto parsed = parse_uri(*uri);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->param("baud"), "115200");
    EXPECT_EQ(parsed->param("tlv_first"), "1");
    auto own = apply_profile(*p, "serial:///dev/ttyACM0?baud=9600&tlv_first=0");
    ASSERT_TRUE(own);
    EXPECT_EQ(*own, "serial:///dev/ttyACM0?baud=9600&tlv_first=0") << "the register's settings win";
    DeviceProfile tcp_only = *p;
    tcp_only.links = {"tcp"};
    EXPECT_EQ(apply_profile(tcp_only, "serial:///dev/ttyACM0").error().code, "model_link");
    EXPECT_EQ(find_profile(default_devices_dir(), "no-such-model").error().code, "unknown_model");
    EXPECT_EQ(find_profile(default_devices_dir(), "../etc/passwd").error().code, "unknown_model");
}

TEST(DeviceProfiles, DriverOptionsAreChecked) {
    EXPECT_TRUE(check_device_options("shtrih", "tcp://127.0.0.1:7778?tlv_first=1&status_cache_ms=0"));
    EXPECT_EQ(check_device_options("shtrih", "tcp://127.0.0.1:7778?tlv_frist=1").error().code, "invalid_uri");
    EXPECT_FALSE(check_device_options("shtrih", "tcp://127.0.0.1:7778?font=999"));
    EXPECT_EQ(check_device_options("epson", "tcp://127.0.0.1:7778").error().code, "unknown_family");
}

}  // namespace
}  // namespace kassa::drivers
