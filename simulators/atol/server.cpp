#include "simulators/atol/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "simulators/atol/device.hpp"
#include "simulators/atol/link.hpp"

namespace kassa::sim::atol {

namespace {

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

void write_all(int fd, const Bytes& bytes) {
    const std::uint8_t* data = bytes.data();
    std::size_t size = bytes.size();
    while (size > 0 && fd >= 0) {
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

struct AtolSimulator::Impl {
    AtolSimulatorConfig config;
    mutable std::mutex mutex;  // guards device and link against the snapshot calls
    std::condition_variable done_cv;
    bool done = false;
    std::unique_ptr<AtolSimDevice> device;
    std::unique_ptr<AtolSimLink> link;
    std::thread thread;
    int wake[2] = {-1, -1};
    int master = -1;  // pty master
    int slave = -1;   // kept open so the master never sees a hang-up between host sessions
    int listener = -1;
    int client = -1;
    std::string pty_path;
    std::uint16_t bound_port = 0;
    std::atomic<bool> stopping{false};

    int data_fd() const { return config.endpoint == AtolSimulatorConfig::Endpoint::Pty ? master : client; }

    void serve(std::atomic<bool>& powered_off) {
        std::array<std::uint8_t, 1024> buf{};
        while (!stopping.load()) {
            std::array<pollfd, 3> fds{};
            nfds_t n = 0;
            fds[n++] = pollfd{wake[0], POLLIN, 0};
            if (data_fd() >= 0) fds[n++] = pollfd{data_fd(), POLLIN, 0};
            if (listener >= 0) fds[n++] = pollfd{listener, POLLIN, 0};
            // Every answer is produced by the bytes that ask for it: no timers to wait for.
            if (::poll(fds.data(), n, -1) < 0 && errno != EINTR) break;
            if (stopping.load()) break;
            for (nfds_t i = 1; i < n; ++i) {
                if (fds[i].revents == 0) continue;
                if (fds[i].fd == listener) {
                    const int c = ::accept(listener, nullptr, nullptr);
                    if (c < 0) continue;
                    // One host at a time: a new connection replaces the old one.
                    close_fd(client);
                    client = c;
                    int one = 1;
                    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    std::lock_guard lock(mutex);
                    link->reset_line();
                    continue;
                }
                const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
                if (got <= 0) {
                    if (config.endpoint == AtolSimulatorConfig::Endpoint::Tcp) close_fd(client);
                    continue;
                }
                Bytes out;
                bool cut = false;
                {
                    std::lock_guard lock(mutex);
                    out = link->on_bytes(std::span(buf.data(), static_cast<std::size_t>(got)));
                    cut = config.faults.power_cut_after_receipt &&
                          device->receipts_this_run() >= *config.faults.power_cut_after_receipt;
                }
                if (cut) {
                    // The receipt is in the FN and its state file; the answer never leaves.
                    powered_off.store(true);
                    close_fd(client);
                    close_fd(listener);
                    stopping.store(true);
                    break;
                }
                write_all(fds[i].fd, out);
            }
        }
        std::lock_guard lock(mutex);
        done = true;
        done_cv.notify_all();
    }
};

AtolSimulator::AtolSimulator(AtolSimulatorConfig config) : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
}

AtolSimulator::~AtolSimulator() { stop(); }

Result<std::string> AtolSimulator::start() {
    Impl& m = *impl_;
    const Clock& clock = m.config.clock ? *m.config.clock : SystemClock::instance();
    FnState state;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    auto fresh = [&] {
        FnState s = FnState::fresh(now);
        if (!m.config.inn.empty()) s.inn = m.config.inn;
        if (!m.config.fn_serial.empty()) s.fn_serial = m.config.fn_serial;
        return s;
    };
    if (m.config.state_file.empty()) {
        state = fresh();
    } else if (auto loaded = FnState::load(m.config.state_file)) {
        state = std::move(*loaded);
    } else if (loaded.error().code == "state_missing") {
        state = fresh();
        if (auto st = state.save(m.config.state_file); !st) return std::unexpected(st.error());
    } else {
        return std::unexpected(loaded.error());
    }
    m.device =
        std::make_unique<AtolSimDevice>(std::move(state), m.config.state_file, clock, m.config.faults.paper_out_after);
    m.link = std::make_unique<AtolSimLink>(*m.device, m.config.link, m.config.faults);
    if (::pipe2(m.wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return fail("sim_start_failed", "pipe: " + std::string(std::strerror(errno)));

    std::string ready;
    if (m.config.endpoint == AtolSimulatorConfig::Endpoint::Pty) {
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
    m.thread = std::thread([this] { impl_->serve(powered_off_); });
    return ready;
}

void AtolSimulator::stop() {
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

void AtolSimulator::wait() {
    std::unique_lock lock(impl_->mutex);
    impl_->done_cv.wait(lock, [this] { return impl_->done; });
}

std::string AtolSimulator::device_uri() const {
    const std::string link = impl_->config.link == drivers::atol::LinkVersion::V2 ? "v2" : "v3";
    if (impl_->config.endpoint == AtolSimulatorConfig::Endpoint::Pty)
        return "serial://" + impl_->pty_path + "?baud=115200&link=" + link;
    return "tcp://" + impl_->config.host + ":" + std::to_string(impl_->bound_port) + "?link=" + link;
}

FnState AtolSimulator::fn_snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->device ? impl_->device->fn() : FnState{};
}

std::vector<std::string> AtolSimulator::tape_snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->device ? impl_->device->tape() : std::vector<std::string>{};
}

void AtolSimulator::run_out_of_paper() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->device) impl_->device->run_out_of_paper();
}

void AtolSimulator::load_paper() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->device) impl_->device->load_paper();
}

}  // namespace kassa::sim::atol
