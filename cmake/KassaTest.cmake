# kassa_test(<name> LABEL unit|conformance|e2e SOURCES ... LIBS ...): one GoogleTest binary whose
# tests are registered with ctest one by one under the given label.
include(GoogleTest)

# Worked examples shared with the steering repo. The copy in tests/vectors keeps a lone clone
# self-contained; tests/unit/common checks that it matches ../shared when that folder is present.
set(KASSA_VECTORS_DIR ${PROJECT_SOURCE_DIR}/tests/vectors)
set(KASSA_SHARED_VECTORS_DIR ${PROJECT_SOURCE_DIR}/../shared/vectors)

function(kassa_test name)
    cmake_parse_arguments(T "" "LABEL" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main kassa_warnings)
    # The test sources themselves at -O1: the code under test comes from the module libraries (built
    # at the project's level), and GoogleTest bodies at -O2 cost about twice the compile time
    # (tests/unit/ledger/ledger_test.cpp: 16.8 → 8.7 CPU seconds) for no gain in a 1-minute suite.
    target_compile_options(${name} PRIVATE -O1)
    target_compile_definitions(${name} PRIVATE
        KASSA_VECTORS_DIR="${KASSA_VECTORS_DIR}"
        KASSA_TEST_TMP_DIR="${CMAKE_BINARY_DIR}/test-tmp"
        KASSA_BINARY_DIR="${CMAKE_BINARY_DIR}")
    gtest_discover_tests(${name}
        PROPERTIES LABELS ${T_LABEL}
        WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
        DISCOVERY_TIMEOUT 30)
endfunction()

# kassa_py_test(<name> LABEL ... SCRIPT file [ENV ...]): a Python 3 test script (stdlib unittest).
function(kassa_py_test name)
    cmake_parse_arguments(T "" "LABEL;SCRIPT;TIMEOUT" "ENV;DEPENDS" ${ARGN})
    add_test(NAME ${name} COMMAND ${KASSA_PYTHON3} -u ${T_SCRIPT} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    set_tests_properties(${name} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "KASSA_BINARY_DIR=${CMAKE_BINARY_DIR};KASSA_SOURCE_DIR=${PROJECT_SOURCE_DIR};KASSA_VECTORS_DIR=${KASSA_VECTORS_DIR};KASSA_SANITIZE=${KASSA_SANITIZE};${T_ENV}")
endfunction()
