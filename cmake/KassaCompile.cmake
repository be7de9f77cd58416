# Warnings and sanitizers for every Kassa target (DESIGN.md §4).
add_library(kassa_warnings INTERFACE)
# -Wno-missing-field-initializers: aggregates that leave trailing members to their defaults are
# deliberate (contract structs grow; callers that do not care must not break).
target_compile_options(kassa_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
if(KASSA_WERROR)
    target_compile_options(kassa_warnings INTERFACE -Werror)
endif()

# Line tables only (-g1) in the default RelWithDebInfo build: backtraces and perf still name file
# and line, and the build is about a fifth cheaper than with full -g (GCC 12, src/api/server.cpp:
# 100 → 80 CPU seconds), which is what CI's 2-core clean build pays for.
add_compile_options($<$<CONFIG:RelWithDebInfo>:-g1>)
if(KASSA_SANITIZE)
    # -O1 -g1 (line tables only): the sanitizer build is for finding faults, not for speed; its
    # reports still name file and line. Measured on src/api/handlers/business.cpp (GCC 12, CPU
    # seconds): normal -O2 -g 11.0; ASan+UBSan+coverage at -O2 -g 22.9; at -O1 -g1 15.2.
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g1)
    # GCC warns of "maybe uninitialized" members inside libstdc++'s <regex> and <functional> once the
    # sanitizers' instrumentation is inlined (GCC's manual: -fsanitize=address can give spurious
    # warnings). The normal build keeps the warning as an error.
    add_compile_options(-Wno-maybe-uninitialized)
    add_link_options(-fsanitize=address,undefined)
endif()
# libFuzzer targets (tests/fuzz). Debian 12's clang 14 cannot compile libstdc++ 12's std::expected
# (it lacks P0848), so the code is compiled by GCC with -fsanitize-coverage=trace-pc,trace-cmp and
# linked with clang 14's libFuzzer runtime; tests/fuzz/sancov.cpp turns GCC's per-block callbacks
# into the inline 8-bit counters libFuzzer reads. Every Kassa target gets the coverage flags, so the
# same objects serve the sanitizer test run (build-asan) and the fuzzers.
if(KASSA_FUZZ)
    if(NOT KASSA_SANITIZE)
        message(FATAL_ERROR "KASSA_FUZZ needs KASSA_SANITIZE (fuzzers run under ASan and UBSan)")
    endif()
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        message(FATAL_ERROR "KASSA_FUZZ expects GCC (see cmake/KassaCompile.cmake)")
    endif()
    file(GLOB KASSA_LIBFUZZER_DEBIAN /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a)
    find_file(KASSA_LIBFUZZER NAMES libclang_rt.fuzzer-x86_64.a HINTS ${KASSA_LIBFUZZER_DEBIAN} NO_DEFAULT_PATH)
    if(NOT KASSA_LIBFUZZER AND KASSA_LIBFUZZER_DEBIAN)
        list(GET KASSA_LIBFUZZER_DEBIAN 0 KASSA_LIBFUZZER)
    endif()
    if(NOT KASSA_LIBFUZZER)
        message(FATAL_ERROR "libFuzzer not found: scripts/install-deps installs libclang-rt-14-dev")
    endif()
    add_compile_options(-fsanitize-coverage=trace-pc,trace-cmp)
endif()

# kassa_module(<name> SOURCES ... DEPS ...): static library kassa_<name>, includes from src/.
function(kassa_module name)
    cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
    add_library(kassa_${name} STATIC ${M_SOURCES})
    target_include_directories(kassa_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(kassa_${name} PUBLIC ${M_DEPS} PRIVATE kassa_warnings ${M_PRIVATE_DEPS})
endfunction()
