// The in-repo copy of the worked examples must not drift from the steering repo's shared/vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(Vectors, InRepoCopyMatchesSharedVectors) {
    const std::filesystem::path ours = std::filesystem::path(KASSA_VECTORS_DIR) / "scenarios.json";
    const std::filesystem::path shared = std::filesystem::path(KASSA_SHARED_VECTORS_DIR) / "scenarios.json";
    ASSERT_TRUE(std::filesystem::exists(ours));
    if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no ../shared beside this checkout";
    EXPECT_EQ(slurp(ours), slurp(shared)) << "tests/vectors/scenarios.json differs from ../shared: copy it again";
}

}  // namespace
