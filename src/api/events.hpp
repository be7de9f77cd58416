// Live events for the pages (GET /v1/events, server-sent events): receipt state changes and
// register state, fanned out to the open streams, each filtered by its token's reach.
//
// No thread is held per stream: a stream is the connection's StreamSink (api/http.hpp), written
// from whoever publishes. One hub thread, awake only while streams are open, reads the registers'
// state once a second (publishing what changed) and writes the heartbeats.
//
// Resume: every event gets an id "<boot>-<n>"; the last `ring` events are kept in memory, and a
// stream that starts with Last-Event-ID gets the ones after it that it may see. An id from before a
// restart, or older than the ring, gets one `reset` event instead (read the state again).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/http.hpp"

namespace kassa::api {

struct LiveEvent {
    std::uint64_t seq = 0;
    std::string type;         // "receipt" | "register"
    std::string register_id;  // the register it concerns (or prints it)
    std::string created_by;   // receipts: the name of the token that asked for it
    std::string data;         // JSON, one line
};

struct EventHubOptions {
    std::size_t ring = 1024;                      // events kept for Last-Event-ID
    std::size_t streams_per_token = 4;            // concurrent streams of one token at most
    std::chrono::milliseconds heartbeat{15'000};  // a comment line on every stream
    std::chrono::milliseconds register_poll{1'000};
};

class EventHub {
  public:
    // Which events a stream may see.
    using Filter = std::function<bool(const LiveEvent&)>;
    // Every register's state now: (register id, JSON).
    using RegisterStates = std::function<std::vector<std::pair<std::string, std::string>>()>;

    EventHub(EventHubOptions options, RegisterStates registers);
    ~EventHub();  // ends every stream
    EventHub(const EventHub&) = delete;
    EventHub& operator=(const EventHub&) = delete;

    // Adds an event to the ring and writes it to every stream whose filter passes it.
    void publish(std::string type, std::string register_id, std::string created_by, std::string data);
    // Something may have changed a register (a receipt queued or printed): look now.
    void registers_changed();

    // A place for one more stream of `token`, held until the returned slot is dropped (the
    // stream ended, or never started); nullptr when the token has its streams_per_token already.
    std::shared_ptr<void> reserve(const std::string& token);
    // Starts a stream: the events after `last_event_id` it may see (or `reset`), the current state
    // of the registers it may see when `registers`, then every new event that passes `filter`.
    void attach(std::shared_ptr<StreamSink> sink, std::shared_ptr<void> slot, std::string token, Filter filter,
                const std::string& last_event_id, bool registers);
    // The token was revoked: its streams get a `revoked` event and end.
    void revoke(const std::string& token);
    // Ends every stream (the server stops).
    void close_all();
    std::size_t streams() const;

    // One event in the text/event-stream format.
    static std::string format(const std::string& id, const std::string& type, const std::string& data);

  private:
    struct Core;
    std::shared_ptr<Core> core_;
};

}  // namespace kassa::api
