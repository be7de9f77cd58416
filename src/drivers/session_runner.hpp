// The run loop every family's driver shares (issue 12: "a shared session runner"). A family's
// session is sans I/O (shtrih/session.hpp, atol/session.hpp): fed bytes and timer expiries, it
// answers with actions. The runner carries them out over a transport on an injected clock
// (DESIGN.md §4): the one timer's deadline is the clock's steady time, and each wait for bytes is
// bounded by it, so a test whose transport moves a ManualClock runs timeouts and retries on
// virtual time. Families keep their protocol (the session) and how a failed exchange becomes a
// DeviceError (their driver).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "drivers/transport/transport.hpp"

namespace spdlog {
class logger;
}

namespace kassa::drivers {

struct SessionAction {
    enum class Kind : std::uint8_t {
        Send,        // write `bytes` to the line
        StartTimer,  // (re)arm the one timer for `timeout`; its expiry is on_timeout()
        Complete,    // the exchange is over: `result` holds the answer or the session's error
    };
    Kind kind = Kind::Send;
    std::vector<std::uint8_t> bytes;
    std::chrono::milliseconds timeout{0};
    Result<std::vector<std::uint8_t>> result;
};

using SessionActions = std::vector<SessionAction>;

// What the runner needs of a family's session.
class LinkSession {
  public:
    virtual ~LinkSession() = default;
    virtual SessionActions on_bytes(std::span<const std::uint8_t> bytes) = 0;
    virtual SessionActions on_timeout() = 0;
};

// The error code run_session() gives when the transport itself failed (write error, link closed):
// the session is left mid-exchange for the caller to abort, and the link should be dropped.
inline constexpr const char* kTransportFailed = "transport_failed";

// Carries out `actions` and whatever the session answers until it completes: the session's
// Complete result (its answer, or its own error code), or kTransportFailed. `log_send` traces each
// write (a family may mask what it carries); reads are traced as hex on `log`.
Result<std::vector<std::uint8_t>> run_session(LinkSession& session, Transport& transport, const Clock& clock,
                                              SessionActions actions,
                                              const std::function<void(std::span<const std::uint8_t>)>& log_send,
                                              spdlog::logger& log);

}  // namespace kassa::drivers
