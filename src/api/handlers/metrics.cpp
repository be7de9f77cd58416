#include "api/handlers/metrics.hpp"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "api/errors.hpp"
#include "api/service.hpp"
#include "common/clock.hpp"
#include "drivers/worker/pool.hpp"
#include "ledger/ledger.hpp"

namespace kassa::api {

void HttpCounters::record(const std::string& method, const std::string& route, int status,
                          std::chrono::steady_clock::time_point received) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    ++counts_[Key{method, route, status}];
    if (received != std::chrono::steady_clock::time_point{}) latency_[RouteKey{method, route}].observe(now - received);
}

std::map<HttpCounters::RouteKey, FastHistogram> HttpCounters::latency() const {
    std::lock_guard lock(mutex_);
    return latency_;
}

std::map<HttpCounters::Key, std::uint64_t> HttpCounters::snapshot() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
std::string label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

class Exposition {
  public:
    void family(const char* name, const char* type, const char* help) {
        out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    }
    void sample(const char* name, const std::vector<std::pair<const char*, std::string>>& labels, std::int64_t value) {
        sample_text(name, labels, std::to_string(value));
    }
    void sample_real(const char* name, const std::vector<std::pair<const char*, std::string>>& labels, double value) {
        sample_text(name, labels, number(value));
    }
    // Shortest text that reads back as the same double ("0.025", "1e-06"); Go-style "+Inf".
    static std::string number(double value) {
        if (value == std::numeric_limits<double>::infinity()) return "+Inf";
        char buf[32];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
        return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
    }

  private:
    void sample_text(const char* name, const std::vector<std::pair<const char*, std::string>>& labels,
                     const std::string& value) {
        out_ << name;
        if (!labels.empty()) {
            out_ << '{';
            for (std::size_t i = 0; i < labels.size(); ++i)
                out_ << (i ? "," : "") << labels[i].first << "=\"" << label(labels[i].second) << '"';
            out_ << '}';
        }
        out_ << ' ' << value << '\n';
    }

  public:
    // A histogram's _bucket (cumulative, then +Inf), _sum and _count samples; `labels` are the
    // series' own, `le` is added to each bucket.
    template <class H>
    void histogram(const std::string& name, const std::vector<std::pair<const char*, std::string>>& labels,
                   const H& h) {
        auto with_le = labels;
        with_le.emplace_back("le", "");
        const std::string bucket = name + "_bucket";
        for (std::size_t i = 0; i < h.kBounds.size(); ++i) {
            with_le.back().second = number(h.kBounds[i]);
            sample(bucket.c_str(), with_le, static_cast<std::int64_t>(h.buckets[i]));
        }
        with_le.back().second = "+Inf";
        sample(bucket.c_str(), with_le, static_cast<std::int64_t>(h.count));
        sample_real((name + "_sum").c_str(), labels, h.sum);
        sample((name + "_count").c_str(), labels, static_cast<std::int64_t>(h.count));
    }

    std::string text() const { return out_.str(); }

  private:
    std::ostringstream out_;
};

// Runs `sql` on a read-only connection to the ledger (WAL: readers never block the writer) and
// calls `row` with the first two text columns and the third as a count. The ledger's API has no
// aggregate reads, and listing every receipt to count them would cost a scrape O(receipts).
void query_counts(const std::string& path, const char* sql,
                  const std::function<void(std::string, std::string, std::int64_t)>& row) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    if (rc != SQLITE_OK) throw std::runtime_error("metrics: cannot open the ledger read-only");
    sqlite3_busy_timeout(db.get(), 1000);
    sqlite3_stmt* stmt_raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt_raw, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string("metrics: ") + sqlite3_errmsg(db.get()));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(stmt_raw, sqlite3_finalize);
    auto text = [&](int col) {
        const auto* p = sqlite3_column_text(stmt.get(), col);
        return p ? std::string(reinterpret_cast<const char*>(p)) : std::string{};
    };
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) row(text(0), text(1), sqlite3_column_int64(stmt.get(), 2));
}

std::int64_t seconds_between(drivers::TimePoint from, drivers::TimePoint to) {
    return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

std::string render(Service& service, const MetricsSource& source) {
    Exposition e;
    e.family("kassa_receipts", "gauge", "Receipts in the ledger by register and state.");
    query_counts(source.ledger_path, "SELECT register_id, state, count(*) FROM receipts GROUP BY 1, 2 ORDER BY 1, 2",
                 [&](std::string reg, std::string state, std::int64_t n) {
                     e.sample("kassa_receipts", {{"register", reg}, {"state", state}}, n);
                 });
    e.family("kassa_outbox_messages", "gauge", "E-receipt messages in the outbox by state.");
    query_counts(source.ledger_path, "SELECT state, '', count(*) FROM outbox GROUP BY 1 ORDER BY 1",
                 [&](std::string state, std::string, std::int64_t n) {
                     e.sample("kassa_outbox_messages", {{"state", state}}, n);
                 });

    const auto now = source.clock ? source.clock->now() : SystemClock::instance().now();
    std::vector<drivers::WorkerSnapshot> snaps;
    for (auto* w : service.pool().workers()) snaps.push_back(w->snapshot());
    static constexpr drivers::WorkerState kStates[] = {
        drivers::WorkerState::Connecting, drivers::WorkerState::Idle,          drivers::WorkerState::Busy,
        drivers::WorkerState::Offline,    drivers::WorkerState::NeedsOperator, drivers::WorkerState::DeviceStopped,
        drivers::WorkerState::Stopped};
    e.family("kassa_register_state", "gauge", "1 for the register's current state, 0 for the others.");
    for (const auto& s : snaps)
        for (auto st : kStates)
            e.sample("kassa_register_state",
                     {{"register", s.register_id}, {"state", std::string(drivers::worker_state_name(st))}},
                     s.state == st ? 1 : 0);
    e.family("kassa_register_queue_depth", "gauge", "Receipts and commands queued on the register.");
    for (const auto& s : snaps)
        e.sample("kassa_register_queue_depth", {{"register", s.register_id}}, static_cast<std::int64_t>(s.queue_depth));

    // Device facts from the last status read; a register never read yet has none of these.
    struct DeviceGauge {
        const char* name;
        const char* help;
        std::function<std::optional<std::int64_t>(const drivers::DeviceStatus&)> value;
    };
    const DeviceGauge gauges[] = {
        {"kassa_register_shift_open", "1 while a shift is open on the register.",
         [](const drivers::DeviceStatus& d) { return std::optional<std::int64_t>(d.shift_open ? 1 : 0); }},
        {"kassa_register_shift_age_seconds", "Seconds since the open shift was opened.",
         [&](const drivers::DeviceStatus& d) {
             return d.shift_open && d.shift_opened_at ? std::optional(seconds_between(*d.shift_opened_at, now))
                                                      : std::nullopt;
         }},
        {"kassa_register_fn_days_left", "Whole days until the fiscal storage expires.",
         [&](const drivers::DeviceStatus& d) {
             return d.fn_expiry ? std::optional(seconds_between(now, *d.fn_expiry) / 86400) : std::nullopt;
         }},
        {"kassa_register_ofd_unsent_documents", "Fiscal documents waiting for the OFD's ticket.",
         [](const drivers::DeviceStatus& d) { return std::optional<std::int64_t>(d.ofd_unsent); }},
        {"kassa_register_ofd_oldest_unsent_age_seconds", "Age of the oldest document not yet sent to the OFD.",
         [&](const drivers::DeviceStatus& d) {
             return d.ofd_unsent > 0 && d.ofd_oldest_unsent ? std::optional(seconds_between(*d.ofd_oldest_unsent, now))
                                                            : std::nullopt;
         }},
        {"kassa_register_paper_ok", "1 while the register has paper.",
         [](const drivers::DeviceStatus& d) { return std::optional<std::int64_t>(d.paper_ok ? 1 : 0); }},
    };
    for (const auto& g : gauges) {
        e.family(g.name, "gauge", g.help);
        for (const auto& s : snaps)
            if (s.status)
                if (auto v = g.value(*s.status)) e.sample(g.name, {{"register", s.register_id}}, *v);
    }

    // Device call latency per register and call kind, as the register's worker timed it.
    e.family("kassa_device_command_seconds", "histogram",
             "Time of a device call (status, fiscalise, open_shift, close_shift, x_report, ...) by register.");
    for (auto* w : service.pool().workers()) {
        const std::string reg = w->register_id();
        for (const auto& [kind, h] : w->command_latencies())
            e.histogram("kassa_device_command_seconds", {{"register", reg}, {"command", kind}}, h);
    }

    const auto writer = service.ledger().writer_stats();
    e.family("kassa_ledger_write_batches_total", "counter", "Group commits by the ledger's writer.");
    e.sample("kassa_ledger_write_batches_total", {}, static_cast<std::int64_t>(writer.batches));
    e.family("kassa_ledger_write_ops_total", "counter", "Operations committed by the ledger's writer.");
    e.sample("kassa_ledger_write_ops_total", {}, static_cast<std::int64_t>(writer.ops));
    e.family("kassa_planning_seconds", "histogram",
             "Time to plan one event (read its facts, run the planner) on the ledger's writer.");
    e.histogram("kassa_planning_seconds", {}, writer.planning);
    e.family("kassa_ledger_commit_seconds", "histogram",
             "Time from a write's submission to its group commit being durable, per committed write.");
    e.histogram("kassa_ledger_commit_seconds", {}, writer.commit_durable);
    e.family("kassa_ledger_transaction_seconds", "histogram",
             "Time of one group-commit transaction, BEGIN to the fsync'd COMMIT.");
    e.histogram("kassa_ledger_transaction_seconds", {}, writer.transaction);
    e.family("kassa_ledger_sync_seconds", "histogram",
             "Time of the COMMIT of one group commit alone: its WAL frames written and fsync'd.");
    e.histogram("kassa_ledger_sync_seconds", {}, writer.sync);
    e.family("kassa_ledger_batch_size", "histogram", "Writes per group commit.");
    e.histogram("kassa_ledger_batch_size", {}, writer.batch_size);
    e.family("kassa_ledger_checkpoint_seconds", "histogram",
             "WAL checkpoints by who ran them: the checkpoint thread (beside the writer), or the writer "
             "itself after a commit (the WAL's last frames before it restarts; this stalls the writer).");
    e.histogram("kassa_ledger_checkpoint_seconds", {{"by", "thread"}}, writer.checkpoint_thread);
    e.histogram("kassa_ledger_checkpoint_seconds", {{"by", "writer"}}, writer.checkpoint_writer);
    e.family("kassa_ledger_checkpoint_paced_pages_total", "counter",
             "Database pages the checkpoint thread wrote back to the disk at a pace ([ledger] "
             "checkpoint_writeback_pages_per_second), not in one burst by its fsync.");
    e.sample("kassa_ledger_checkpoint_paced_pages_total", {}, writer.checkpoint_paced_pages);

    e.family("kassa_http_requests_total", "counter", "Answered HTTP requests by method, route pattern and status.");
    if (source.http)
        for (const auto& [key, n] : source.http->snapshot())
            e.sample("kassa_http_requests_total",
                     {{"method", std::get<0>(key)},
                      {"route", std::get<1>(key)},
                      {"status", std::to_string(std::get<2>(key))}},
                     static_cast<std::int64_t>(n));
    e.family("kassa_http_request_seconds", "histogram",
             "Time from a request read to its answer ready (handler, durable commit, any ?wait), by "
             "method and route pattern.");
    if (source.http)
        for (const auto& [key, h] : source.http->latency())
            e.histogram("kassa_http_request_seconds", {{"method", key.first}, {"route", key.second}}, h);
    return e.text();
}

}  // namespace

void add_metrics_routes(Router& router, Service& service, MetricsSource source) {
    router.add_local("GET", "/metrics", "Prometheus metrics (text format 0.0.4); open to loopback, else admin",
                     {"admin"}, [&service, source = std::move(source)](HttpRequest&) {
                         HttpResponse res;
                         res.content_type = "text/plain; version=0.0.4; charset=utf-8";
                         res.body = render(service, source);
                         return res;
                     });
}

}  // namespace kassa::api
