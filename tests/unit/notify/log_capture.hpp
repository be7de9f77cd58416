// Test support: capture what the "notify" logger writes while the object lives.
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>

#include "common/log.hpp"

namespace kassa::test {

class LogCapture {
  public:
    explicit LogCapture(const std::string& logger = "notify")
        : logger_(kassa::log::get(logger)), sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
        logger_->sinks().push_back(sink_);
        previous_level_ = logger_->level();
        logger_->set_level(spdlog::level::trace);
    }
    ~LogCapture() {
        auto& sinks = logger_->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
        logger_->set_level(previous_level_);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::string text() const { return out_.str(); }

  private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> logger_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
    spdlog::level::level_enum previous_level_{};
};

}  // namespace kassa::test
