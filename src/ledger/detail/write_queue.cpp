#include "ledger/detail/write_queue.hpp"
#include "common/thread_name.hpp"

#include <vector>

namespace kassa::ledger::detail {

WriteQueue::WriteQueue(Db& db, std::size_t max_batch)
    : db_(db),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      completer_([this] {
          name_this_thread("ledger-done");
          complete_loop();
      }),
      thread_([this] {
          name_this_thread("ledger-writer");
          loop();
      }) {}

WriteQueue::~WriteQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();  // every queued op has run and its completion is handed over
    {
        std::lock_guard lock(done_mutex_);
        done_stopping_ = true;
    }
    done_wake_.notify_all();
    completer_.join();
}

void WriteQueue::submit(Op op, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            done(std::make_exception_ptr(LedgerError(errc::kClosed, "the ledger is closing")));
            return;
        }
        queue_.push_back(Item{std::move(op), std::move(done), std::chrono::steady_clock::now()});
    }
    wake_.notify_one();
}

WriteQueue::Stats WriteQueue::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void WriteQueue::loop() {
    for (;;) {
        std::deque<Item> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            // Whatever queued up while the previous batch was being fsynced rides in this one:
            // that is the group commit. No timer: an idle writer commits a lone op at once.
            while (!queue_.empty() && batch.size() < max_batch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        process(batch);
    }
}

void WriteQueue::process(std::deque<Item>& batch) {
    std::vector<std::exception_ptr> errors(batch.size());
    bool committed = false;
    const auto began = std::chrono::steady_clock::now();
    auto syncing = began;
    try {
        Transaction tx(db_, Transaction::Kind::Immediate);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            try {
                Savepoint sp(db_, "op");
                batch[i].op(db_);
                sp.release();
            } catch (...) {
                errors[i] = std::current_exception();
                // Some errors (I/O, disk full) make SQLite roll back the whole transaction; the
                // work of the earlier ops is gone with it, so they must not be reported done.
                if (!db_.in_transaction()) {
                    throw LedgerError(errc::kStorage, "the write batch was rolled back by SQLite");
                }
            }
        }
        syncing = std::chrono::steady_clock::now();
        tx.commit();
        committed = true;
    } catch (...) {
        const auto batch_error = std::current_exception();
        for (auto& e : errors) {
            if (!e) e = batch_error;
        }
    }
    // Timed after the commit returned (durable) and before any caller is told; the lock below
    // covers only the counters.
    const auto durable_at = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        if (committed) {
            ++stats_.batches;
            stats_.transaction.observe(durable_at - began);
            stats_.sync.observe(durable_at - syncing);
            stats_.batch_size.observe(static_cast<double>(batch.size()));
            for (std::size_t i = 0; i < batch.size(); ++i)
                if (!errors[i]) stats_.durable.observe(durable_at - batch[i].queued);
        }
        stats_.ops += batch.size();
        if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
    }
    // The callbacks (answers, live events, queueing receipts to registers) run on the completion
    // thread: the writer goes on with the next batch while they run. Each op dies here with its
    // captures; only the callbacks travel.
    std::vector<Completion> done;
    done.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].op = nullptr;
        done.push_back(Completion{std::move(batch[i].done), std::move(errors[i])});
    }
    batch.clear();
    {
        std::lock_guard lock(done_mutex_);
        if (completions_.empty()) {
            completions_ = std::move(done);
        } else {
            for (auto& c : done) completions_.push_back(std::move(c));
        }
    }
    done_wake_.notify_one();
}

void WriteQueue::complete_loop() {
    std::vector<Completion> ready;
    for (;;) {
        {
            std::unique_lock lock(done_mutex_);
            done_wake_.wait(lock, [this] { return done_stopping_ || !completions_.empty(); });
            if (completions_.empty()) return;  // stopping and drained
            ready.swap(completions_);
        }
        for (auto& c : ready) {
            // The error moves on to the caller and the callback (with its promise) dies here, so
            // this thread keeps no reference to what the caller is about to read. A callback must
            // not take the thread down; it only fulfils a promise or posts an answer in practice.
            Completion item = std::move(c);
            try {
                item.done(std::move(item.error));
            } catch (...) {
            }
        }
        ready.clear();
    }
}

}  // namespace kassa::ledger::detail
