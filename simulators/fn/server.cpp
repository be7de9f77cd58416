#include "simulators/fn/server.hpp"
#include "common/thread_name.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

namespace kassa::sim {

namespace {

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

void write_all(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 100);
                continue;
            }
            return;  // the peer went away; the reader side notices
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace

struct Simulator::Impl {
    ServerConfig config;
    RegisterFactory factory;
    mutable std::mutex mutex;  // guards the register against fn_snapshot(), load_paper(), ...
    std::condition_variable done_cv;
    bool done = false;
    std::unique_ptr<SimulatedRegister> reg;  // the family's link protocol and device
    std::thread thread;
    int wake[2] = {-1, -1};
    int master = -1;  // pty master
    int slave = -1;   // kept open so the master never sees a hang-up between host sessions
    int listener = -1;
    int client = -1;
    std::string pty_path;
    std::uint16_t bound_port = 0;
    std::atomic<bool> stopping{false};
    Simulator::LineStats stats;                       // guarded by mutex
    std::chrono::steady_clock::time_point tx_free{};  // the device's side of the line is busy until then
    std::chrono::steady_clock::time_point rx_free{};  // the host's bytes have all arrived by then
    std::mt19937_64 cut_rng;                          // cut_link draws (serve thread only)

    // cut_link: whether this chunk of n bytes on the TCP connection is cut short, and how many of
    // its bytes get through first (0..n-1).
    std::optional<std::size_t> draw_cut(int fd, std::size_t n) {
        if (!config.link_cut || fd < 0 || fd != client || n == 0) return std::nullopt;
        if (std::uniform_int_distribution<std::uint32_t>(0, 999)(cut_rng) >= config.link_cut->permille)
            return std::nullopt;
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(cut_rng);
    }
    // The cable is pulled: the connection drops; the host reconnects (a new accept resets the line).
    void cut(std::size_t kept, std::size_t of, const char* direction) {
        {
            // Counted before the peer can see the drop (a test reads the count once it has).
            std::lock_guard lock(mutex);
            ++stats.link_cuts;
        }
        close_fd(client);
        std::fprintf(stderr, "kassa-sim: link cut after %zu of %zu bytes %s\n", kept, of, direction);
    }

    // Line time of n bytes on an 8N1 line (10 bits a byte); zero without --baud.
    std::chrono::nanoseconds line_time(std::size_t n) const {
        if (config.baud == 0) return std::chrono::nanoseconds{0};
        return std::chrono::nanoseconds{static_cast<std::int64_t>(n) * 10'000'000'000LL / config.baud};
    }

    void send(int fd, const SimulatedRegister::Bytes& bytes) {
        if (bytes.empty() || fd < 0) return;
        {
            std::lock_guard lock(mutex);
            stats.bytes_out += bytes.size();
        }
        if (config.baud > 0) {
            // The bytes leave one after another at the line rate, after the host's bytes that
            // caused them have arrived: the host holds the last of them only when the line has
            // carried them all. (The device's own wait: it models the wire.) One wait per answer.
            tx_free = std::max({std::chrono::steady_clock::now(), tx_free, rx_free}) + line_time(bytes.size());
            std::this_thread::sleep_until(tx_free);
        }
        if (auto kept = draw_cut(fd, bytes.size())) {
            write_all(fd, bytes.data(), *kept);
            cut(*kept, bytes.size(), "device→host");
            return;
        }
        write_all(fd, bytes.data(), bytes.size());
    }

    void serve(std::atomic<bool>& powered_off) {
        std::array<std::uint8_t, 1024> buf{};
        // A failed accept (no descriptor left) leaves the connection pending, so the listener stays
        // readable: it is left out of poll for a while (10 ms doubling to 1 s) instead of spinning.
        std::chrono::milliseconds accept_backoff{0};
        std::chrono::steady_clock::time_point accept_paused_until{};
        while (!stopping.load()) {
            std::array<pollfd, 3> fds{};
            nfds_t n = 0;
            fds[n++] = pollfd{wake[0], POLLIN, 0};
            const int data_fd = config.endpoint == ServerConfig::Endpoint::Pty ? master : client;
            if (data_fd >= 0) fds[n++] = pollfd{data_fd, POLLIN, 0};
            const auto now = std::chrono::steady_clock::now();
            if (listener >= 0 && now >= accept_paused_until) fds[n++] = pollfd{listener, POLLIN, 0};
            int timeout_ms = 1000;
            if (now < accept_paused_until)
                timeout_ms = static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(accept_paused_until - now).count() + 1);
            {
                std::lock_guard lock(mutex);
                if (auto d = reg->next_deadline()) {
                    const auto left =
                        std::chrono::duration_cast<std::chrono::milliseconds>(*d - std::chrono::steady_clock::now());
                    timeout_ms = static_cast<int>(
                        std::max<std::int64_t>(0, std::min<std::int64_t>(left.count() + 1, timeout_ms)));
                }
            }
            const int r = ::poll(fds.data(), n, timeout_ms);
            if (r < 0 && errno != EINTR) break;
            if (stopping.load()) break;
            for (nfds_t i = 1; i < n; ++i) {
                if (fds[i].revents == 0) continue;
                if (fds[i].fd == listener) {
                    const int c = ::accept(listener, nullptr, nullptr);
                    if (c < 0 && errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
                        accept_backoff = std::clamp<std::chrono::milliseconds>(
                            accept_backoff * 2, std::chrono::milliseconds(10), std::chrono::seconds(1));
                        accept_paused_until = std::chrono::steady_clock::now() + accept_backoff;
                    } else if (c >= 0) {
                        accept_backoff = std::chrono::milliseconds(0);
                        // One host at a time: a new connection replaces the old one.
                        close_fd(client);
                        client = c;
                        int one = 1;
                        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        std::lock_guard lock(mutex);
                        reg->reset_line();
                    }
                    continue;
                }
                const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
                if (got <= 0) {
                    if (config.endpoint == ServerConfig::Endpoint::Tcp) close_fd(client);
                    continue;
                }
                auto arrived = std::chrono::steady_clock::now();
                if (config.baud > 0) {
                    // The host's bytes cross the line at its rate too: the last of them is here
                    // only one line time after the line became free for them; the device acts on them
                    // then (send() waits for that before the answer goes out).
                    rx_free = std::max(arrived, rx_free) + line_time(static_cast<std::size_t>(got));
                    arrived = rx_free;
                }
                // cut_link: only a prefix of the host's bytes arrives, then the line is dead (what
                // the device makes of the prefix, a whole command included, still happens).
                const auto kept = draw_cut(fds[i].fd, static_cast<std::size_t>(got));
                const std::size_t used = kept ? *kept : static_cast<std::size_t>(got);
                SimulatedRegister::Bytes out;
                {
                    std::lock_guard lock(mutex);
                    stats.bytes_in += used;
                    out = reg->on_bytes(std::span(buf.data(), used), arrived);
                    stats.frames_in = reg->frames_received();
                }
                if (kept) {
                    cut(*kept, static_cast<std::size_t>(got), "host→device");
                    continue;
                }
                send(fds[i].fd, out);
            }
            SimulatedRegister::Bytes due;
            {
                std::lock_guard lock(mutex);
                due = reg->on_tick(std::chrono::steady_clock::now());
            }
            send(config.endpoint == ServerConfig::Endpoint::Pty ? master : client, due);
            bool cut = false;
            {
                std::lock_guard lock(mutex);
                cut = reg->powered_off();
            }
            if (cut) {
                powered_off.store(true);
                // Power is gone: TCP peers see the connection drop, a pty goes silent.
                close_fd(client);
                close_fd(listener);
                break;
            }
        }
        std::lock_guard lock(mutex);
        done = true;
        done_cv.notify_all();
    }
};

Simulator::Simulator(ServerConfig config, RegisterFactory factory) : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
    impl_->factory = std::move(factory);
}

Simulator::~Simulator() { stop(); }

Result<std::string> Simulator::start() {
    Impl& m = *impl_;
    const Clock& clock = m.config.clock ? *m.config.clock : SystemClock::instance();
    auto fresh = [&] {
        FnState s =
            FnState::fresh(std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
        if (!m.config.inn.empty()) s.inn = m.config.inn;
        if (!m.config.rnm.empty()) s.rnm = m.config.rnm;
        if (!m.config.fn_serial.empty()) s.fn_serial = m.config.fn_serial;
        if (m.config.tax_systems != 0) s.tax_systems = m.config.tax_systems;
        return s;
    };
    FnState state;
    if (!m.config.state_file.empty()) {
        auto loaded = FnState::load(m.config.state_file);
        if (loaded) {
            state = std::move(*loaded);
        } else if (loaded.error().code == "state_missing") {
            state = fresh();
            if (auto st = state.save(m.config.state_file); !st) return std::unexpected(st.error());
        } else {
            return std::unexpected(loaded.error());
        }
    } else {
        state = fresh();
    }
    if ((state.inn.size() != 10 && state.inn.size() != 12) ||
        state.inn.find_first_not_of("0123456789") != std::string::npos)
        return fail("sim_start_failed", "INN must be 10 or 12 digits");
    if (state.fn_serial.size() != 16) return fail("sim_start_failed", "FN serial must be 16 characters");
    if (m.config.link_cut && m.config.endpoint != ServerConfig::Endpoint::Tcp)
        return fail("sim_start_failed", "the cut_link fault needs a TCP endpoint");
    if (m.config.link_cut) m.cut_rng.seed(m.config.link_cut->seed);
    m.reg = m.factory(RegisterContext{std::move(state), m.config.state_file, clock,
                                      m.config.endpoint == ServerConfig::Endpoint::Tcp});
    if (m.config.ofd_ack_after) m.reg->set_ofd_ack_after(m.config.ofd_ack_after);
    if (::pipe2(m.wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return fail("sim_start_failed", "pipe: " + std::string(std::strerror(errno)));

    std::string ready;
    if (m.config.endpoint == ServerConfig::Endpoint::Pty) {
        m.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m.master < 0 || ::grantpt(m.master) != 0 || ::unlockpt(m.master) != 0)
            return fail("sim_start_failed", "posix_openpt: " + std::string(std::strerror(errno)));
        char name[128];
        if (::ptsname_r(m.master, name, sizeof name) != 0) return fail("sim_start_failed", "ptsname failed");
        m.pty_path = name;
        m.slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m.slave < 0) return fail("sim_start_failed", "open " + m.pty_path + ": " + std::strerror(errno));
        termios t{};
        ::tcgetattr(m.slave, &t);
        ::cfmakeraw(&t);  // no echo, no line discipline: bytes pass unchanged
        ::tcsetattr(m.slave, TCSANOW, &t);
        ::fcntl(m.master, F_SETFL, ::fcntl(m.master, F_GETFL) | O_NONBLOCK);
        if (!m.config.pty_link.empty()) {
            ::unlink(m.config.pty_link.c_str());
            if (::symlink(m.pty_path.c_str(), m.config.pty_link.c_str()) != 0)
                return fail("sim_start_failed", "symlink " + m.config.pty_link + ": " + std::strerror(errno));
        }
        ready = "pty " + m.pty_path;
    } else {
        m.listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(m.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(m.config.port);
        if (::inet_pton(AF_INET, m.config.host.c_str(), &addr.sin_addr) != 1)
            return fail("sim_start_failed", "bad IPv4 address " + m.config.host);
        if (::bind(m.listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m.listener, 4) != 0)
            return fail("sim_start_failed",
                        "bind " + m.config.host + ":" + std::to_string(m.config.port) + ": " + std::strerror(errno));
        socklen_t len = sizeof addr;
        ::getsockname(m.listener, reinterpret_cast<sockaddr*>(&addr), &len);
        m.bound_port = ntohs(addr.sin_port);
        ready = "tcp " + m.config.host + ":" + std::to_string(m.bound_port);
    }
    m.thread = std::thread([this] {
        name_this_thread("sim");
        impl_->serve(powered_off_);
    });
    return ready;
}

void Simulator::stop() {
    Impl& m = *impl_;
    if (m.thread.joinable()) {
        m.stopping.store(true);
        const char x = 1;
        (void)!::write(m.wake[1], &x, 1);
        m.thread.join();
    }
    close_fd(m.client);
    close_fd(m.listener);
    close_fd(m.master);
    close_fd(m.slave);
    close_fd(m.wake[0]);
    close_fd(m.wake[1]);
    if (!m.config.pty_link.empty()) ::unlink(m.config.pty_link.c_str());
    std::lock_guard lock(m.mutex);
    m.done = true;
    m.done_cv.notify_all();
}

Simulator::LineStats Simulator::line_stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

void Simulator::load_paper() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->reg) impl_->reg->load_paper();
}

void Simulator::run_out_of_paper() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->reg) impl_->reg->run_out_of_paper();
}

std::vector<std::string> Simulator::tape_snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->reg ? impl_->reg->tape() : std::vector<std::string>{};
}

std::string Simulator::device_uri() const {
    const std::string& extra = impl_->config.device_uri_query;
    if (impl_->config.endpoint == ServerConfig::Endpoint::Pty)
        return "serial://" + impl_->pty_path + "?baud=115200" + (extra.empty() ? "" : "&" + extra);
    return "tcp://" + impl_->config.host + ":" + std::to_string(impl_->bound_port) + (extra.empty() ? "" : "?" + extra);
}

void Simulator::wait() {
    std::unique_lock lock(impl_->mutex);
    impl_->done_cv.wait(lock, [this] { return impl_->done; });
}

FnState Simulator::fn_snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->reg ? impl_->reg->fn() : FnState{};
}

}  // namespace kassa::sim
