// The checkpoint's database writes, pushed to the disk a few pages at a time at a steady pace
// instead of all at once by its fdatasync (issue 10: the accepted p99).
//
// A commit is durable when its WAL frames are fdatasync'ed. On a disk with a volatile write cache
// (a virtual disk, most SSDs), that flush also waits for whatever other writes the device took
// before it: a checkpoint's burst of a few hundred database pages, written back by its own
// fdatasync, puts every commit flush behind it for several milliseconds (bench/README.md: the p99
// of the flushes alone goes from ~2 to ~12 ms at 1 200 payments/s). Spread over the time until the
// next checkpoint, each commit flush has only a few pages in front of it.
//
// How: the checkpoint thread's connection opens the database through a VFS of this object's own,
// a shim over SQLite's default one. Every write to the main database file goes through; after each
// chunk of pages the shim starts their writeback (sync_file_range, SYNC_FILE_RANGE_WRITE: no wait
// for the disk, no flush of its cache) and sleeps until the pace allows the next one. Durability
// is SQLite's, unchanged: the checkpoint still fdatasyncs the database file before it counts the
// frames as copied, and the WAL still holds them until then.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

struct sqlite3_vfs;

namespace kassa::ledger::detail {

class PacedWriteback {
  public:
    using Clock = std::chrono::steady_clock;

    // `fd`: an open descriptor of the database file (any access mode) for sync_file_range. Its owner
    // keeps it open while any connection to the file is open (closing a descriptor of a file drops
    // the process's POSIX locks on it, SQLite's included). Registers the VFS.
    explicit PacedWriteback(int fd);
    // Unregisters the VFS: no connection may still use it.
    ~PacedWriteback();
    PacedWriteback(const PacedWriteback&) = delete;
    PacedWriteback& operator=(const PacedWriteback&) = delete;

    // The VFS's name, for sqlite3_open_v2.
    const char* vfs_name() const { return name_.c_str(); }

    // Before a checkpoint: writes from now on are spread `spacing` apart (zero: not paced), but
    // not past `until` (after it they go at once, so a wrong estimate never drags a pass out).
    void begin(std::chrono::nanoseconds spacing, Clock::time_point until);
    // After it: the pages written since begin(), their writeback started.
    std::int64_t end();
    // From any thread: the pass under way and every later one go unpaced (a stop must not wait
    // for the pace).
    void hurry();

    // Pages whose writeback is started together (32 KiB of 4 KiB pages).
    static constexpr int kChunkPages = 8;

    struct Shim;  // the VFS (paced_writeback.cpp)

  private:
    friend struct Shim;
    // From the shim's xWrite on the main database file, after the write.
    void wrote(std::int64_t offset, int amount);
    void start_writeback();

    int fd_;
    std::string name_;
    sqlite3_vfs* vfs_;
    // The pass in progress: only the checkpoint thread writes through this VFS, so these are
    // touched by one thread at a time; the mutex keeps begin/end and the writes ordered anyway.
    std::mutex mutex_;
    std::chrono::nanoseconds spacing_{0};
    Clock::time_point started_{};
    Clock::time_point until_{};
    bool hurried_ = false;
    std::int64_t pages_ = 0;
    std::int64_t range_lo_ = -1;  // the chunk not yet pushed: [lo, hi)
    std::int64_t range_hi_ = -1;
    bool writeback_failed_logged_ = false;
};

}  // namespace kassa::ledger::detail
