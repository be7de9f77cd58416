// An injectable clock. Sessions, workers and the planner's callers take a Clock& so tests move
// virtual time instead of sleeping (DESIGN.md §4).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <utility>
#include <vector>

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
    // Blocks on `cv` (with `lock` held) until `ready()` holds or steady_now() reaches `deadline`;
    // returns ready(). Whoever changes what ready() reads notifies `cv`; a virtual clock also wakes
    // its sleepers when it moves, so code that waits through its Clock runs on virtual time.
    // This default waits in real time (clocks whose steady time is the machine's).
    virtual bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) const {
        return cv.wait_until(lock, deadline, ready);
    }
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
        std::vector<std::pair<std::condition_variable*, std::mutex*>> wake;
        {
            std::lock_guard lock(mutex_);
            wall_ += d;
            steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
            ++generation_;
            for (const auto& s : sleepers_) wake.emplace_back(s.cv, s.mutex);
        }
        // Under each sleeper's own mutex, so a sleeper between its check and its wait cannot miss it.
        for (auto [cv, m] : wake) {
            std::lock_guard lock(*m);
            cv->notify_all();
        }
    }
    void set(time_point t) {
        std::lock_guard lock(mutex_);
        wall_ = t;
    }
    bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                    std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) const override {
        std::list<Sleeper>::iterator me;
        {
            std::lock_guard guard(mutex_);
            me = sleepers_.insert(sleepers_.end(), Sleeper{&cv, lock.mutex(), 0});
        }
        while (!ready() && steady_now() < deadline) {
            {
                // Asleep as of this moment of virtual time (the caller's lock is held until wait()
                // releases it, and advance() takes that lock before it wakes us).
                std::lock_guard guard(mutex_);
                me->generation = generation_;
            }
            sleepers_cv_.notify_all();
            cv.wait(lock);
        }
        {
            std::lock_guard guard(mutex_);
            sleepers_.erase(me);
        }
        return ready();
    }
    // Blocks (in real time, at most `limit`) until `n` threads sleep on this clock since its last
    // move: a test advances time only once the code under test waits. False when the limit passed.
    bool await_sleepers(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(30)) const {
        std::unique_lock lock(mutex_);
        return sleepers_cv_.wait_for(lock, limit, [&] {
            return static_cast<std::size_t>(std::ranges::count_if(
                       sleepers_, [&](const Sleeper& s) { return s.generation == generation_; })) >= n;
        });
    }

  private:
    struct Sleeper {
        std::condition_variable* cv;
        std::mutex* mutex;
        std::uint64_t generation;  // the clock's generation when it last went to sleep
    };
    mutable std::mutex mutex_;
    mutable std::condition_variable sleepers_cv_;
    mutable std::list<Sleeper> sleepers_;
    std::uint64_t generation_ = 1;  // moves with every advance()
    time_point wall_;
    std::chrono::steady_clock::time_point steady_{};
};

}  // namespace kassa
