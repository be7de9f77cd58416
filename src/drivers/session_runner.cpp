#include "drivers/session_runner.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <optional>

#include "drivers/device.hpp"

namespace kassa::drivers {

Result<std::vector<std::uint8_t>> run_session(LinkSession& session, Transport& transport, const Clock& clock,
                                              SessionActions actions,
                                              const std::function<void(std::span<const std::uint8_t>)>& log_send,
                                              spdlog::logger& log) {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::array<std::uint8_t, 512> buffer{};
    for (;;) {
        for (auto& a : actions) {
            switch (a.kind) {
                case SessionAction::Kind::Send:
                    log_send(a.bytes);
                    if (auto st = transport.write(a.bytes); !st) return fail(kTransportFailed, st.error().message);
                    break;
                case SessionAction::Kind::StartTimer:
                    deadline = clock.steady_now() + a.timeout;
                    break;
                case SessionAction::Kind::Complete:
                    return std::move(a.result);
            }
        }
        actions.clear();
        const auto now = clock.steady_now();
        if (!deadline || now >= *deadline) {
            actions = session.on_timeout();
            continue;
        }
        // Bytes may come sooner; the wait never outlasts the session's timer.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now);
        auto n = transport.read_some(buffer, left);
        if (!n) return fail(kTransportFailed, n.error().message);
        if (*n == 0) continue;
        log.trace("← {}", hex_of(std::span(buffer.data(), *n)));
        actions = session.on_bytes(std::span(buffer.data(), *n));
    }
}

}  // namespace kassa::drivers
