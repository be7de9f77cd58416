// The single writer with group commit. Callers queue write operations; one thread takes every
// operation waiting (up to a batch limit), runs them in ONE transaction, each inside its own
// savepoint so a failing operation rolls back only itself, then commits: one fsync per batch.
// Each caller learns its outcome only after the commit is durable. The callers' callbacks run on
// a second thread (`ledger-done`), in commit order, so the writer begins its next batch at once
// instead of answering, publishing and queueing for the one it just committed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "common/histogram.hpp"
#include "ledger/detail/sqlite.hpp"

namespace kassa::ledger::detail {

class WriteQueue {
  public:
    // Runs inside the batch transaction; throws to roll back its own work only.
    using Op = std::move_only_function<void(Db&)>;
    // Called on the completion thread after the commit (nullptr) or with the operation's failure
    // (inline in submit() when the queue is closing); callbacks run one at a time, in commit order.
    using Done = std::move_only_function<void(std::exception_ptr)>;

    struct Stats {
        std::uint64_t batches = 0;  // committed transactions
        std::uint64_t ops = 0;      // operations run
        std::uint64_t largest_batch = 0;
        // Steady time, seconds. `durable`: from submit() to its batch's commit returning (the
        // caller's wait for a durable write), one observation per committed operation.
        // `transaction`: BEGIN to COMMIT returning (the ops and the fsync), one per batch.
        FastHistogram durable;
        FastHistogram transaction;
        // `sync`: the COMMIT statement alone (the WAL frames written and fdatasync'ed), one per batch:
        // the disk's share of `transaction`.
        FastHistogram sync;
        BatchSizeHistogram batch_size;  // operations per committed batch
    };

    WriteQueue(Db& db, std::size_t max_batch);
    // Runs what is queued, then stops the thread.
    ~WriteQueue();
    WriteQueue(const WriteQueue&) = delete;
    WriteQueue& operator=(const WriteQueue&) = delete;

    void submit(Op op, Done done);

    // The operation's return value (or exception) once its batch has committed.
    template <class F>
    auto run(F f) -> std::future<std::invoke_result_t<F&, Db&>> {
        using R = std::invoke_result_t<F&, Db&>;
        auto promise = std::make_shared<std::promise<R>>();
        auto future = promise->get_future();
        if constexpr (std::is_void_v<R>) {
            submit([f = std::move(f)](Db& db) mutable { f(db); },
                   [promise](std::exception_ptr e) {
                       if (e) {
                           promise->set_exception(std::move(e));
                       } else {
                           promise->set_value();
                       }
                   });
        } else {
            auto slot = std::make_shared<std::optional<R>>();
            submit([f = std::move(f), slot](Db& db) mutable { slot->emplace(f(db)); },
                   [promise, slot](std::exception_ptr e) {
                       if (e) {
                           promise->set_exception(std::move(e));
                       } else {
                           promise->set_value(std::move(**slot));
                       }
                   });
        }
        return future;
    }

    Stats stats() const;

  private:
    struct Item {
        Op op;
        Done done;
        std::chrono::steady_clock::time_point queued;
    };
    struct Completion {
        Done done;
        std::exception_ptr error;
    };
    void loop();
    void process(std::deque<Item>& batch);
    void complete_loop();

    Db& db_;
    std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    bool stopping_ = false;
    Stats stats_;

    std::mutex done_mutex_;  // guards the three below only: no callback runs under it
    std::condition_variable done_wake_;
    std::vector<Completion> completions_;
    bool done_stopping_ = false;

    std::thread completer_;  // started before, stopped after the writer
    std::thread thread_;
};

}  // namespace kassa::ledger::detail
