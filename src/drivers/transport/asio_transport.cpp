// Serial and TCP transports over Boost.Asio. Each owns a private io_context and runs it only inside
// its own calls, so "read with a timeout" is an async read plus run_for(): no threads, and no
// exception leaves this file (every Asio call takes an error_code).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "drivers/transport/transport.hpp"

namespace kassa::drivers {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Shared by both: an async read on `stream` bounded by `timeout`.
template <class Stream>
Result<std::size_t> timed_read(asio::io_context& io, Stream& stream, std::span<std::uint8_t> buffer,
                               std::chrono::milliseconds timeout) {
    std::optional<error_code> done;
    std::size_t n = 0;
    stream.async_read_some(asio::buffer(buffer.data(), buffer.size()), [&](const error_code& ec, std::size_t k) {
        done = ec;
        n = k;
    });
    io.restart();
    io.run_for(timeout);
    if (!done) {
        // Timed out: cancel and let the handler run so nothing refers to our locals afterwards.
        error_code ignored;
        stream.cancel(ignored);
        io.restart();
        io.run();
        if (done && !*done) return n;  // data raced the cancel
        return std::size_t{0};
    }
    if (*done) return fail("link_broken", done->message());
    return n;
}

class SerialTransport final : public Transport {
  public:
    SerialTransport(std::string path, unsigned baud) : path_(std::move(path)), baud_(baud), port_(io_) {}

    Status open() override {
        close();
        error_code ec;
        port_.open(path_, ec);
        if (ec) return fail("link_open_failed", "cannot open " + path_ + ": " + ec.message());
        // 8N1, no flow control (§1.1).
        port_.set_option(asio::serial_port_base::baud_rate(baud_), ec);
        if (!ec) port_.set_option(asio::serial_port_base::character_size(8), ec);
        if (!ec) port_.set_option(asio::serial_port_base::parity(asio::serial_port_base::parity::none), ec);
        if (!ec) port_.set_option(asio::serial_port_base::stop_bits(asio::serial_port_base::stop_bits::one), ec);
        if (!ec) port_.set_option(asio::serial_port_base::flow_control(asio::serial_port_base::flow_control::none), ec);
        if (ec) {
            close();
            return fail("link_open_failed", "cannot configure " + path_ + ": " + ec.message());
        }
        return ok();
    }
    void close() override {
        error_code ignored;
        if (port_.is_open()) port_.close(ignored);
    }
    bool is_open() const override { return port_.is_open(); }
    Status write(std::span<const std::uint8_t> bytes) override {
        error_code ec;
        asio::write(port_, asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec) return fail("link_broken", "write to " + path_ + ": " + ec.message());
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) override {
        if (!port_.is_open()) return fail("link_broken", path_ + " is not open");
        return timed_read(io_, port_, buffer, timeout);
    }
    std::string describe() const override { return "serial://" + path_ + "@" + std::to_string(baud_); }

  private:
    std::string path_;
    unsigned baud_;
    asio::io_context io_;
    asio::serial_port port_;
};

class TcpTransport final : public Transport {
  public:
    TcpTransport(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port), socket_(io_) {}

    Status open() override {
        close();
        error_code ec;
        asio::ip::tcp::resolver resolver(io_);
        auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
        if (ec) return fail("link_open_failed", "cannot resolve " + host_ + ": " + ec.message());
        asio::connect(socket_, endpoints, ec);
        if (ec) return fail("link_open_failed", "cannot connect to " + describe() + ": " + ec.message());
        socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        return ok();
    }
    void close() override {
        error_code ignored;
        if (socket_.is_open()) {
            socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            socket_.close(ignored);
        }
    }
    bool is_open() const override { return socket_.is_open(); }
    Status write(std::span<const std::uint8_t> bytes) override {
        error_code ec;
        asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec) return fail("link_broken", "write to " + describe() + ": " + ec.message());
        return ok();
    }
    Result<std::size_t> read_some(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) override {
        if (!socket_.is_open()) return fail("link_broken", describe() + " is not connected");
        return timed_read(io_, socket_, buffer, timeout);
    }
    std::string describe() const override { return "tcp://" + host_ + ":" + std::to_string(port_); }

  private:
    std::string host_;
    std::uint16_t port_;
    asio::io_context io_;
    asio::ip::tcp::socket socket_;
};

}  // namespace

std::unique_ptr<Transport> make_serial_transport(std::string path, unsigned baud) {
    return std::make_unique<SerialTransport>(std::move(path), baud);
}

std::unique_ptr<Transport> make_tcp_transport(std::string host, std::uint16_t port) {
    return std::make_unique<TcpTransport>(std::move(host), port);
}

}  // namespace kassa::drivers
