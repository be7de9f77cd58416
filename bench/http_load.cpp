// Open-loop load for bench/http_bench.sh (issue 10): POST payments at a fixed offered rate over N
// keep-alive connections and report the latency each request saw from the moment it was DUE, not
// from when it was sent (a late send counts its lateness: no coordinated omission). wrk measures a
// closed loop, where 32 busy connections always see 32 / throughput of latency by Little's law;
// this measures what a client sees when the offered load is below what the service can take.
//
//   http_load HOST:PORT PATH TOKEN RATE SECONDS CONNECTIONS RUN
//
// Each request is a new customer with its own Idempotency-Key (as bench/http/payments.lua does).
// Prints one line: RESULT requests=… seconds=… rate=… p50_ms=… p99_ms=… p999_ms=… max_ms=…
// refused=… (refused = answers other than 200/202, or connections lost).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
    std::string host;
    int port = 0;
};

int connect_to(const Target& t) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(t.port));
    if (::inet_pton(AF_INET, t.host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

// Reads one HTTP/1.1 answer with a Content-Length body; returns its status, or 0 if the link broke.
int read_answer(int fd, std::string& buf) {
    for (;;) {
        auto head_end = buf.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            size_t length = 0;
            auto cl = buf.find("Content-Length:");
            if (cl == std::string::npos) cl = buf.find("content-length:");
            if (cl != std::string::npos && cl < head_end) length = std::strtoul(buf.c_str() + cl + 15, nullptr, 10);
            size_t total = head_end + 4 + length;
            if (buf.size() >= total) {
                int status = buf.size() > 12 ? std::atoi(buf.c_str() + 9) : 0;
                buf.erase(0, total);
                return status;
            }
        }
        char chunk[8192];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return 0;
        buf.append(chunk, static_cast<size_t>(n));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: http_load HOST:PORT PATH TOKEN RATE SECONDS CONNECTIONS RUN\n");
        return 2;
    }
    Target target;
    std::string hostport = argv[1];
    auto colon = hostport.rfind(':');
    target.host = hostport.substr(0, colon);
    target.port = std::atoi(hostport.c_str() + colon + 1);
    const std::string path = argv[2];
    const std::string token = argv[3];
    const double rate = std::atof(argv[4]);
    const double seconds = std::atof(argv[5]);
    const int conns = std::atoi(argv[6]);
    const std::string run = argv[7];
    if (rate <= 0 || seconds <= 0 || conns <= 0) return 2;

    // Request k of connection c is due at start + (k * conns + c) / rate: the connections interleave,
    // so the whole offered load is evenly spaced.
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(conns / rate));
    const auto start = Clock::now() + std::chrono::milliseconds(100);
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

    std::vector<std::vector<double>> latencies(static_cast<size_t>(conns));
    std::atomic<long> refused{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < conns; ++c) {
        threads.emplace_back([&, c] {
            auto& lat = latencies[static_cast<size_t>(c)];
            int fd = connect_to(target);
            std::string buf;
            auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(c) / rate));
            for (long k = 0; due < end; ++k, due += interval) {
                std::this_thread::sleep_until(due);
                if (fd < 0) fd = connect_to(target);
                std::string key = run + "-" + std::to_string(c) + "-" + std::to_string(k);
                std::string body = "{\"customer\":\"L" + key + "\",\"cash\":10000}";
                std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + target.host + "\r\nAuthorization: Bearer " +
                                  token + "\r\nContent-Type: application/json\r\nIdempotency-Key: " + key +
                                  "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
                int status = (fd >= 0 && send_all(fd, req)) ? read_answer(fd, buf) : 0;
                auto done = Clock::now();
                if (status != 200 && status != 202) {
                    refused.fetch_add(1);
                    if (status == 0 && fd >= 0) {
                        ::close(fd);
                        fd = -1;
                        buf.clear();
                    }
                }
                lat.push_back(std::chrono::duration<double, std::milli>(done - due).count());
            }
            if (fd >= 0) ::close(fd);
        });
    }
    for (auto& t : threads) t.join();
    const double took = std::chrono::duration<double>(Clock::now() - start).count();

    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
        if (all.empty()) return 0.0;
        auto i = static_cast<size_t>(p / 100.0 * static_cast<double>(all.size() - 1));
        return all[i];
    };
    std::printf(
        "RESULT requests=%zu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f refused=%ld\n",
        all.size(), took, static_cast<double>(all.size()) / took, pct(50), pct(99), pct(99.9),
        all.empty() ? 0.0 : all.back(), refused.load());
    return 0;
}
