// GCC's -fsanitize-coverage=trace-pc calls __sanitizer_cov_trace_pc() at the start of every basic
// block. libFuzzer (clang 14's runtime) no longer reads that callback: it reads "inline 8-bit
// counters", arrays it is told about through __sanitizer_cov_8bit_counters_init. This file is the
// bridge: one counter per hashed block address, registered with libFuzzer when it is linked in (the
// fuzz targets); in the other programs of a KASSA_FUZZ build (the sanitizer test run) the counters
// are only counted. tests/fuzz/CMakeLists.txt links a copy of libFuzzer whose own trace_pc (which
// only says "no longer supported" and exits) is made local, so this one is used.
#include <cstddef>
#include <cstdint>

extern "C" {
// Weak: present only in programs that link libFuzzer.
__attribute__((weak)) void __sanitizer_cov_8bit_counters_init(std::uint8_t* start, std::uint8_t* stop);
void __sanitizer_cov_trace_pc();
void __sanitizer_cov_trace_cmpf(float, float);
void __sanitizer_cov_trace_cmpd(double, double);
}

namespace {

constexpr std::size_t kCounters = std::size_t{1} << 16;
alignas(64) std::uint8_t g_counters[kCounters];

// Before main(), as clang's own module constructors do.
__attribute__((constructor)) void register_counters() {
    if (__sanitizer_cov_8bit_counters_init) __sanitizer_cov_8bit_counters_init(g_counters, g_counters + kCounters);
}

}  // namespace

// Not instrumented itself (no_sanitize_coverage, GCC 12): it would call itself.
extern "C" __attribute__((no_sanitize("address", "undefined"), no_sanitize_coverage)) void __sanitizer_cov_trace_pc() {
    const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    // Blocks of one function lie close together: fold the high bits in so they spread.
    const std::size_t i = (pc ^ (pc >> 16)) & (kCounters - 1);
    g_counters[i] = static_cast<std::uint8_t>(g_counters[i] + 1);
}

// GCC's trace-cmp also reports floating-point comparisons, which libFuzzer has no callback for (and
// would not use): they are accepted and ignored.
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpd(double, double) {}
