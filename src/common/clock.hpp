// An injectable clock. Sessions, workers and the planner's callers take a Clock& so tests move
// virtual time instead of sleeping (DESIGN.md §4).
#pragma once

#include <chrono>
#include <mutex>

namespace kassa {

class Clock {
  public:
    using time_point = std::chrono::system_clock::time_point;
    using duration = std::chrono::system_clock::duration;

    virtual ~Clock() = default;
    // Wall-clock time (fiscal documents carry it).
    virtual time_point now() const = 0;
    // Monotonic time for timeouts; never jumps backwards.
    virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
  public:
    time_point now() const override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
    // A process-wide instance for composition roots; library code takes a Clock& instead.
    static SystemClock& instance() {
        static SystemClock clock;
        return clock;
    }
};

// A clock that moves only when a test says so. Thread-safe.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(time_point start = time_point{std::chrono::seconds{1'790'000'000}}) : wall_(start) {}

    time_point now() const override {
        std::lock_guard lock(mutex_);
        return wall_;
    }
    std::chrono::steady_clock::time_point steady_now() const override {
        std::lock_guard lock(mutex_);
        return steady_;
    }
    void advance(duration d) {
        std::lock_guard lock(mutex_);
        wall_ += d;
        steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }
    void set(time_point t) {
        std::lock_guard lock(mutex_);
        wall_ = t;
    }

  private:
    mutable std::mutex mutex_;
    time_point wall_;
    std::chrono::steady_clock::time_point steady_{};
};

}  // namespace kassa
