# Warnings and sanitizers for every Kassa target (DESIGN.md §4).
add_library(kassa_warnings INTERFACE)
# -Wno-missing-field-initializers: aggregates that leave trailing members to their defaults are
# deliberate (contract structs grow; callers that do not care must not break).
target_compile_options(kassa_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
if(KASSA_WERROR)
    target_compile_options(kassa_warnings INTERFACE -Werror)
endif()

if(KASSA_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# kassa_module(<name> SOURCES ... DEPS ...): static library kassa_<name>, includes from src/.
function(kassa_module name)
    cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
    add_library(kassa_${name} STATIC ${M_SOURCES})
    target_include_directories(kassa_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(kassa_${name} PUBLIC ${M_DEPS} PRIVATE kassa_warnings ${M_PRIVATE_DEPS})
endfunction()
