#include "ledger/detail/checkpointer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>

#include "common/log.hpp"
#include "common/thread_name.hpp"

#include <spdlog/spdlog.h>

namespace kassa::ledger::detail {

struct CheckpointerHook {
    static int on_commit(void* self, sqlite3*, const char*, int pages) {
        static_cast<Checkpointer*>(self)->committed(pages);
        return SQLITE_OK;  // the commit is done and durable whatever happens here
    }
};

Checkpointer::Checkpointer(Db& writer, const std::string& path, int busy_timeout_ms, Options options, int database_fd)
    : writer_(writer),
      options_(options),
      pacer_(database_fd >= 0 && options.writeback_pages_per_second > 0 ? std::make_unique<PacedWriteback>(database_fd)
                                                                        : nullptr),
      own_(path, Db::Mode::ReadWrite, busy_timeout_ms, pacer_ ? pacer_->vfs_name() : nullptr) {
    // The checkpoint's own fsyncs (the WAL before copying, the database file after) follow this
    // connection's setting.
    own_.exec("PRAGMA synchronous = FULL;");
    thread_ = std::thread([this] {
        name_this_thread("ledger-ckpt");
        loop();
    });
    // Replaces the automatic checkpoint (sqlite3_wal_autocheckpoint is itself a WAL hook).
    sqlite3_wal_hook(writer_.handle(), &CheckpointerHook::on_commit, this);
}

Checkpointer::~Checkpointer() {
    sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    if (pacer_) pacer_->hurry();
    wake_.notify_all();
    thread_.join();
}

Checkpointer::Stats Checkpointer::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void Checkpointer::committed(int pages) {
    bool writer_copies = false;
    {
        std::lock_guard lock(mutex_);
        if (pages < last_pages_) {  // the WAL started again from its beginning
            ++generation_;
            copied_ = 0;
        }
        last_pages_ = pages;
        const int left = pages - copied_;
        writer_copies = pages >= options_.writer_fallback_pages ||
                        (pages >= options_.restart_pages && left <= options_.writer_finish_pages);
        if (!writer_copies) {
            if (left < options_.threshold_pages) return;
            if (requested_) return;
            requested_ = true;
        }
    }
    if (!writer_copies) return wake_.notify_one();
    // On the writer's own connection, right after its commit (as SQLite's automatic checkpoint
    // does): the few frames left, or everything if the thread fell far behind. BUSY means the
    // thread is checkpointing now; the next commit looks again.
    int frames = 0;
    int copied = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = sqlite3_wal_checkpoint_v2(writer_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    const auto took = std::chrono::steady_clock::now() - t0;
    std::lock_guard lock(mutex_);
    if (rc == SQLITE_OK) {
        stats_.writer_seconds.observe(took);
        copied_ = copied;
    }
}

void Checkpointer::sync_database_file() {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(own_.handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
        !file->pMethods)
        return;
    // Only the pages already copied: durability never rests on this (the WAL holds them).
    file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
}

std::chrono::nanoseconds Checkpointer::chunk_spacing(int pending_frames) const {
    // Far behind (the writer would soon copy the rest itself, unpaced): catch up at once.
    if (pending_frames >= options_.writer_fallback_pages / 2) return std::chrono::nanoseconds{0};
    // Behind (more than a threshold's frames to copy: the WAL grows faster than the pace copies
    // it): faster in proportion, so that the thread catches up in steps instead of in one burst.
    const double behind = std::max(1.0, static_cast<double>(pending_frames) / std::max(1, options_.threshold_pages));
    return std::chrono::nanoseconds(
        static_cast<std::int64_t>(1e9 * PacedWriteback::kChunkPages / (options_.writeback_pages_per_second * behind)));
}

void Checkpointer::loop() {
    auto log = kassa::log::get("ledger");
    for (;;) {
        std::uint64_t generation = 0;
        int pending = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || requested_; });
            if (stopping_) return;
            generation = generation_;
            pending = last_pages_ - copied_;
        }
        // PASSIVE: copies what no reader still needs and never waits for the writer or readers.
        int frames = 0;
        int copied = 0;
        const auto t0 = std::chrono::steady_clock::now();
        if (pacer_) pacer_->begin(chunk_spacing(pending), t0 + options_.max_paced_pass);
        const int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        const std::int64_t paced = pacer_ ? pacer_->end() : 0;
        // SQLite syncs the database file only when a checkpoint reaches the WAL's end, which this
        // thread racing the writer rarely does: the pages it copied would stay dirty in the page
        // cache until the writer's own last checkpoint before a restart, whose fsync would then
        // write them all (measured: ~7 ms of the writer's time, 2-4 times a second at 1 300
        // payments/s). Synced here, beside the writer, that fsync finds little left to write.
        if (rc == SQLITE_OK && copied > 0 && copied < frames) sync_database_file();
        const auto took = std::chrono::steady_clock::now() - t0;
        std::lock_guard lock(mutex_);
        requested_ = false;  // the next commit past the threshold asks again
        if (rc == SQLITE_OK) {
            stats_.thread_seconds.observe(took);
            stats_.paced_pages += paced;
            if (generation == generation_) copied_ = copied;  // not a count of a WAL since restarted
        } else if (rc != SQLITE_BUSY) {                       // busy: the writer is checkpointing the rest itself
            log->warn("WAL checkpoint failed: {}", sqlite3_errmsg(own_.handle()));
        }
    }
}

}  // namespace kassa::ledger::detail
