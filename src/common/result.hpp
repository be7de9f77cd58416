// Result<T>: the value or an Error. Codecs, sessions, drivers and the planner return it; nothing
// they do throws across a module boundary (DESIGN.md §4).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace kassa {

// An error with a stable machine-readable code (snake_case, e.g. "insufficient_advance") that the
// API passes to clients unchanged, and a human message for people and logs.
struct Error {
    std::string code;
    std::string message;

    friend bool operator==(const Error&, const Error&) = default;
};

template <class T>
using Result = std::expected<T, Error>;

// Status is a Result that carries no value.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message) {
    return std::unexpected<Error>(Error{std::move(code), std::move(message)});
}

inline Status ok() { return {}; }

}  // namespace kassa
