// WAL checkpoints off the writer thread. SQLite's automatic checkpoint runs inside the COMMIT that
// pushes the WAL past its threshold, on the committing connection: the ledger's single writer then
// copies hundreds of pages into the database file and fsyncs it before it can answer that batch or
// start the next one (issue 10: the writer's tail latency). Here the writer's commit hook only
// signals; a thread of its own, on a connection of its own, runs the PASSIVE checkpoint, which never
// blocks the writer. Durability does not change: a commit is durable once the WAL is fsynced
// (synchronous = FULL), before any checkpoint.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/histogram.hpp"
#include "ledger/detail/paced_writeback.hpp"
#include "ledger/detail/sqlite.hpp"

namespace kassa::ledger::detail {

class Checkpointer {
  public:
    struct Options {
        // WAL frames (pages) not yet in the database file after which the checkpoint thread copies
        // them: SQLite's own automatic threshold.
        int threshold_pages = 1000;
        // The WAL only starts again from its beginning when a write transaction begins with all of
        // it checkpointed, which a thread racing a busy writer rarely manages. So once the WAL is
        // this long and the thread has copied all but `writer_finish_pages` of it, the writer copies
        // the rest itself after its commit (a short checkpoint: a few pages and one fsync of the
        // database file), after which its next transaction restarts the WAL. The longer the WAL
        // may grow, the rarer this short stall of the writer is.
        int restart_pages = 4096;
        int writer_finish_pages = 128;
        // Should the thread ever fall this far behind, the writer checkpoints itself after its
        // commit, as SQLite would: the WAL stays bounded whatever the load.
        int writer_fallback_pages = 16000;
        // The thread writes its copies back at this many pages a second (paced_writeback.hpp; 0: at
        // once, by its fdatasync), faster in proportion when it has more than `threshold_pages` to
        // copy, for at most `max_paced_pass`, and at once when it is half way to
        // `writer_fallback_pages` behind.
        int writeback_pages_per_second = 4000;
        std::chrono::milliseconds max_paced_pass{2000};
    };
    struct Stats {                     // each histogram's count is the number of checkpoints
        FastHistogram thread_seconds;  // by the checkpoint thread (its copy and the database fsync)
        FastHistogram writer_seconds;  // by the writer (the rest, or the fallback), inside its COMMIT's time
        std::int64_t paced_pages = 0;  // database pages the thread wrote back at a pace
    };

    // Installs its commit hook on `writer` (replacing SQLite's automatic checkpoint there) and
    // opens its own connection to `path`. The writer connection must outlive this object, and no
    // commit may run on it while this object is destroyed. `database_fd`: a descriptor of the
    // database file that stays open while any connection to it does (PacedWriteback), or -1 for no
    // paced writeback.
    Checkpointer(Db& writer, const std::string& path, int busy_timeout_ms, Options options, int database_fd = -1);
    Checkpointer(Db& writer, const std::string& path, int busy_timeout_ms)
        : Checkpointer(writer, path, busy_timeout_ms, Options{}) {}
    // Removes the hook and stops the thread (a checkpoint under way finishes first).
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    Stats stats() const;

  private:
    // On the writer thread, after each commit: `pages` is the WAL's size in frames.
    void committed(int pages);
    void loop();
    // Before a pass of the thread with `pending_frames` to copy: how far apart its chunks of pages go.
    std::chrono::nanoseconds chunk_spacing(int pending_frames) const;
    // fdatasync of the database file on the thread's own connection.
    void sync_database_file();

    Db& writer_;
    Options options_;
    std::unique_ptr<PacedWriteback> pacer_;  // before own_: its VFS outlives the connection
    Db own_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;  // or running
    bool stopping_ = false;
    int last_pages_ = 0;            // the WAL's size at the last commit
    int copied_ = 0;                // frames of the current WAL in the database file
    std::uint64_t generation_ = 0;  // WAL restarts seen
    Stats stats_;
    std::thread thread_;

    friend struct CheckpointerHook;
};

}  // namespace kassa::ledger::detail
