// A per-test SQLite file under the build tree (KASSA_TEST_TMP_DIR), unique per test and process so
// tests can run in parallel; removed (with its -wal and -shm) before and after.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace kassa::ledger::testing {

inline void remove_db(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix);
}

class TempDb {
  public:
    explicit TempDb(const std::string& tag = "") {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "ledger";
        for (char& c : name) {
            if (c == '/') c = '_';
        }
        std::filesystem::create_directories(KASSA_TEST_TMP_DIR);
        path_ = std::string(KASSA_TEST_TMP_DIR) + "/" + name + tag + "." + std::to_string(::getpid()) + ".sqlite";
        remove_db(path_);
    }
    ~TempDb() { remove_db(path_); }
    TempDb(const TempDb&) = delete;
    TempDb& operator=(const TempDb&) = delete;

    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace kassa::ledger::testing
