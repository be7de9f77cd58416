// Prometheus-style histograms kept in memory: cumulative buckets with fixed upper bounds, a count
// and a sum. Plain data, no lock: the owner guards it (one short critical section per observation,
// never across I/O) and hands out copies for /metrics.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace kassa {

// Device calls: 10 ms (a status on a fast link) to 30 s (a long report on a slow one), in seconds.
inline constexpr std::array<double, 11> kDeviceCallBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
// In-process work and commits: 100 µs (planning an event) to 2.5 s (an fsync on a busy disk).
inline constexpr std::array<double, 14> kFastBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
// Operations per group commit.
inline constexpr std::array<double, 9> kBatchSizeBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};

// `B` is an array of upper bounds (ascending); the +Inf bucket is `count`.
template <const auto& B>
struct Histogram {
    static constexpr const auto& kBounds = B;
    std::array<std::uint64_t, B.size()> buckets{};  // cumulative: observations ≤ bound
    std::uint64_t count = 0;
    double sum = 0;

    void observe(double value) {
        for (std::size_t i = 0; i < B.size(); ++i)
            if (value <= B[i]) ++buckets[i];
        ++count;
        sum += value;
    }
    void observe(std::chrono::nanoseconds d) { observe(std::chrono::duration<double>(d).count()); }
};

using DeviceCallHistogram = Histogram<kDeviceCallBounds>;
using FastHistogram = Histogram<kFastBounds>;
using BatchSizeHistogram = Histogram<kBatchSizeBounds>;

}  // namespace kassa
