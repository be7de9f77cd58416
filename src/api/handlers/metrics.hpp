// GET /metrics: Prometheus text exposition (format 0.0.4), written by hand (it is a few lines of
// text; no Debian C++ client library is worth the dependency). Open to loopback callers; anyone
// else needs an admin token (Router::add_local).
//
// What it exports, read at scrape time (nothing is kept between scrapes except the HTTP counters):
//   kassa_receipts{register,state}           receipts in the ledger by register and state (gauge)
//   kassa_outbox_messages{state}             e-receipt messages by outbox state (pending|claimed|sent|failed)
//   kassa_register_state{register,state}     1 for the register's current worker state, else 0
//   kassa_register_queue_depth{register}     receipts and commands queued on the register
//   kassa_register_shift_open{register}      1 while a shift is open
//   kassa_register_shift_age_seconds{register}        since the open shift was opened (absent: no shift)
//   kassa_register_fn_days_left{register}             days until the FN expires (absent: unknown)
//   kassa_register_ofd_unsent_documents{register}     documents waiting for the OFD's ticket
//   kassa_register_ofd_oldest_unsent_age_seconds{register}
//   kassa_register_paper_ok{register}
//   kassa_device_command_seconds{register,command}    histogram of device call latency (worker-timed)
//   kassa_ledger_write_batches_total, kassa_ledger_write_ops_total   the writer's group commits
//   kassa_planning_seconds                   histogram: reading an event's facts and planning it
//   kassa_ledger_commit_seconds              histogram: a write's submission to its commit being durable
//   kassa_ledger_transaction_seconds         histogram: one group commit, BEGIN to fsync'd COMMIT
//   kassa_ledger_batch_size                  histogram: writes per group commit
//   kassa_ledger_checkpoint_seconds{by}      histogram: WAL checkpoints by the thread or the writer
//   kassa_ledger_checkpoint_paced_pages_total counter: pages the thread wrote back at a pace
//   kassa_http_requests_total{method,route,status}    every routed request, by route pattern
//   kassa_http_request_seconds{method,route}  histogram: the request read to its answer ready
//                                            (handler, ledger commit, a ?wait's wait; not the write)
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "api/router.hpp"
#include "common/histogram.hpp"

namespace kassa {
class Clock;
}

namespace kassa::api {

class Service;

// Counts answered HTTP requests by method, route pattern (not path: ids would explode the label
// set) and status. Thread-safe; the lock covers one map update, never I/O.
class HttpCounters {
  public:
    // `received`: when the request was read (HttpRequest::received); its latency is observed up
    // to now unless it is unset (a request not read from a socket).
    void record(const std::string& method, const std::string& route, int status,
                std::chrono::steady_clock::time_point received = {});
    using Key = std::tuple<std::string, std::string, int>;
    std::map<Key, std::uint64_t> snapshot() const;
    using RouteKey = std::pair<std::string, std::string>;  // method, route pattern
    std::map<RouteKey, FastHistogram> latency() const;

  private:
    mutable std::mutex mutex_;
    std::map<Key, std::uint64_t> counts_;
    std::map<RouteKey, FastHistogram> latency_;
};

struct MetricsSource {
    std::string ledger_path;  // read through its own read-only SQLite connection (counts by state)
    std::shared_ptr<const HttpCounters> http;
    const Clock* clock = nullptr;
};

void add_metrics_routes(Router& router, Service& service, MetricsSource source);

}  // namespace kassa::api
