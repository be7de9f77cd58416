#include "api/events.hpp"

#include <openssl/rand.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/thread_name.hpp"

namespace kassa::api {

namespace {

// Ids carry the run they belong to, so an id from before a restart is never taken for a new one.
std::string boot_tag() {
    unsigned char bytes[4];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0F]);
    }
    return out;
}

}  // namespace

struct EventHub::Core : std::enable_shared_from_this<Core> {
    struct Stream {
        std::uint64_t id = 0;
        std::shared_ptr<StreamSink> sink;
        std::shared_ptr<void> slot;  // the token's place, given back when the stream goes
        std::string token;
        Filter filter;
        bool registers = false;
    };

    EventHubOptions options;
    RegisterStates registers;
    const std::string boot = boot_tag();

    mutable std::mutex mutex;  // the ring, the streams, the registers' last states
    std::condition_variable cv;
    std::deque<LiveEvent> ring;
    std::uint64_t next_seq = 1;
    std::uint64_t next_stream = 1;
    std::map<std::uint64_t, Stream> streams;
    std::map<std::string, std::string> last_register_state;
    std::set<std::string> revoked;  // tokens whose streams end (one attached late ends at once)
    bool nudged = false;
    bool stopping = false;

    std::mutex slots_mutex;  // apart from `mutex`: a slot may be given back while `mutex` is held
    std::map<std::string, std::size_t> per_token;

    std::thread thread;

    std::string id_of(std::uint64_t seq) const { return boot + "-" + std::to_string(seq); }

    // Under `mutex`.
    void fan_out(const LiveEvent& e) {
        const auto text = format(id_of(e.seq), e.type, e.data);
        for (auto& [id, s] : streams)
            if ((e.type != "register" || s.registers) && s.filter(e)) s.sink->write(text);
    }

    void add(LiveEvent e) {
        std::lock_guard lock(mutex);
        e.seq = next_seq++;
        ring.push_back(std::move(e));
        while (ring.size() > options.ring) ring.pop_front();
        fan_out(ring.back());
    }

    // The registers whose state changed since they were last published.
    void poll_registers() {
        auto now = registers ? registers() : std::vector<std::pair<std::string, std::string>>{};
        for (auto& [id, json] : now) {
            {
                std::lock_guard lock(mutex);
                auto& last = last_register_state[id];
                if (last == json) continue;
                last = json;
            }
            add(LiveEvent{.seq = 0, .type = "register", .register_id = id, .created_by = {}, .data = std::move(json)});
        }
    }

    void loop() {
        auto next_heartbeat = std::chrono::steady_clock::now() + options.heartbeat;
        std::unique_lock lock(mutex);
        while (!stopping) {
            if (streams.empty()) {
                cv.wait(lock, [this] { return stopping || !streams.empty(); });
                next_heartbeat = std::chrono::steady_clock::now() + options.heartbeat;
                continue;
            }
            cv.wait_for(lock, options.register_poll, [this] { return stopping || nudged; });
            if (stopping) break;
            nudged = false;
            lock.unlock();
            poll_registers();
            lock.lock();
            if (std::chrono::steady_clock::now() >= next_heartbeat) {
                for (auto& [id, s] : streams) s.sink->write(": heartbeat\n\n");
                next_heartbeat = std::chrono::steady_clock::now() + options.heartbeat;
            }
        }
    }

    void detach(std::uint64_t id) {
        std::shared_ptr<void> slot;  // given back, and the sink let go, after the lock is released
        std::shared_ptr<StreamSink> sink;
        {
            std::lock_guard lock(mutex);
            auto it = streams.find(id);
            if (it == streams.end()) return;
            slot = std::move(it->second.slot);
            sink = std::move(it->second.sink);
            streams.erase(it);
        }
    }
};

EventHub::EventHub(EventHubOptions options, RegisterStates registers) : core_(std::make_shared<Core>()) {
    core_->options = options;
    core_->registers = std::move(registers);
    core_->thread = std::thread([core = core_.get()] {
        name_this_thread("api-events");
        core->loop();
    });
}

EventHub::~EventHub() {
    close_all();
    {
        std::lock_guard lock(core_->mutex);
        core_->stopping = true;
    }
    core_->cv.notify_all();
    if (core_->thread.joinable()) core_->thread.join();
}

std::string EventHub::format(const std::string& id, const std::string& type, const std::string& data) {
    std::string out;
    out.reserve(data.size() + type.size() + id.size() + 24);
    if (!id.empty()) out += "id: " + id + "\n";
    out += "event: " + type + "\ndata: " + data + "\n\n";
    return out;
}

void EventHub::publish(std::string type, std::string register_id, std::string created_by, std::string data) {
    core_->add(LiveEvent{.seq = 0,
                         .type = std::move(type),
                         .register_id = std::move(register_id),
                         .created_by = std::move(created_by),
                         .data = std::move(data)});
}

void EventHub::registers_changed() {
    {
        std::lock_guard lock(core_->mutex);
        core_->nudged = true;
    }
    core_->cv.notify_all();
}

std::shared_ptr<void> EventHub::reserve(const std::string& token) {
    std::weak_ptr<Core> weak = core_;
    std::lock_guard lock(core_->slots_mutex);
    auto& count = core_->per_token[token];
    if (count >= core_->options.streams_per_token) return nullptr;
    ++count;
    return std::shared_ptr<void>(new char(0), [weak, token](void* place) {
        delete static_cast<char*>(place);
        if (auto core = weak.lock()) {
            std::lock_guard slots(core->slots_mutex);
            if (auto it = core->per_token.find(token); it != core->per_token.end() && --it->second == 0)
                core->per_token.erase(it);
        }
    });
}

void EventHub::attach(std::shared_ptr<StreamSink> sink, std::shared_ptr<void> slot, std::string token, Filter filter,
                      const std::string& last_event_id, bool registers) {
    auto& c = *core_;
    // The registers' state now, read before the lock (it asks every worker).
    std::vector<std::pair<std::string, std::string>> states;
    if (registers && c.registers) states = c.registers();
    std::uint64_t id = 0;
    bool revoked = false;
    {
        std::lock_guard lock(c.mutex);
        id = c.next_stream++;
        sink->write("retry: 2000\n\n");
        if (!last_event_id.empty()) {
            // "<boot>-<n>" of this run, still in the ring (or the latest): the events after it.
            std::uint64_t after = 0;
            bool known = false;
            const auto dash = last_event_id.rfind('-');
            if (dash != std::string::npos && last_event_id.substr(0, dash) == c.boot) {
                try {
                    std::size_t used = 0;
                    const auto tail = last_event_id.substr(dash + 1);
                    after = std::stoull(tail, &used);
                    known = used == tail.size() && after < c.next_seq &&
                            (c.ring.empty() ? after + 1 == c.next_seq : after + 1 >= c.ring.front().seq);
                } catch (const std::exception&) {
                    known = false;
                }
            }
            if (!known) {
                sink->write(format({}, "reset", "{}"));
            } else {
                for (const auto& e : c.ring)
                    if (e.seq > after && (e.type != "register" || registers) && filter(e))
                        sink->write(format(c.id_of(e.seq), e.type, e.data));
            }
        }
        for (auto& [reg, json] : states) {
            LiveEvent e{.seq = 0, .type = "register", .register_id = reg, .created_by = {}, .data = json};
            if (filter(e)) sink->write(format({}, "register", json));
        }
        revoked = c.revoked.contains(token);
        c.streams.emplace(id, Core::Stream{id, sink, std::move(slot), std::move(token), std::move(filter), registers});
    }
    c.cv.notify_all();
    // Outside the lock: an ended stream runs this at once.
    sink->on_close([weak = std::weak_ptr<Core>(core_), id] {
        if (auto core = weak.lock()) core->detach(id);
    });
    if (revoked) {  // revoked while this stream was being opened
        sink->write(format({}, "revoked", R"({"message":"this token was revoked"})"));
        sink->end();
    }
}

void EventHub::revoke(const std::string& token) {
    std::vector<std::shared_ptr<StreamSink>> ending;
    {
        std::lock_guard lock(core_->mutex);
        core_->revoked.insert(token);
        for (auto& [id, s] : core_->streams)
            if (s.token == token) ending.push_back(s.sink);
    }
    // Outside the lock: a sink that ends at once detaches itself, which takes the lock.
    for (auto& sink : ending) {
        sink->write(format({}, "revoked", R"({"message":"this token was revoked"})"));
        sink->end();
    }
}

void EventHub::close_all() {
    std::vector<std::shared_ptr<StreamSink>> ending;
    {
        std::lock_guard lock(core_->mutex);
        for (auto& [id, s] : core_->streams) ending.push_back(s.sink);
    }
    for (auto& sink : ending) sink->end();
}

std::size_t EventHub::streams() const {
    std::lock_guard lock(core_->mutex);
    return core_->streams.size();
}

}  // namespace kassa::api
