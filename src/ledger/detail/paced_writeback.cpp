#include "ledger/detail/paced_writeback.hpp"

#include <fcntl.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "common/log.hpp"
#include "ledger/error.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace kassa::ledger::detail {

// A VFS over SQLite's default one. Every method goes to the default VFS; only the main database
// files it opens are wrapped, so that their writes reach wrote().
struct PacedWriteback::Shim {
    sqlite3_vfs vfs;  // first: SQLite hands back this address
    sqlite3_vfs* real;
    PacedWriteback* owner;

    struct File {
        sqlite3_file base;   // first: SQLite's handle
        sqlite3_file* real;  // the default VFS's file, in the same allocation right after this
        PacedWriteback* owner;
    };

    static Shim& of(sqlite3_vfs* vfs) { return *reinterpret_cast<Shim*>(vfs); }
    static sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }

    static int open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
        Shim& shim = of(vfs);
        if ((flags & SQLITE_OPEN_MAIN_DB) == 0) return shim.real->xOpen(shim.real, name, file, flags, out_flags);
        auto* wrapped = reinterpret_cast<File*>(file);
        wrapped->base.pMethods = nullptr;
        wrapped->real = reinterpret_cast<sqlite3_file*>(wrapped + 1);
        wrapped->owner = shim.owner;
        const int rc = shim.real->xOpen(shim.real, name, wrapped->real, flags, out_flags);
        if (rc != SQLITE_OK) {
            // SQLite closes only a file whose pMethods is set: the default VFS's own, if it set them.
            if (wrapped->real->pMethods != nullptr) wrapped->real->pMethods->xClose(wrapped->real);
            return rc;
        }
        wrapped->base.pMethods = &kMethods;
        return SQLITE_OK;
    }

    static int write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
        auto* wrapped = reinterpret_cast<File*>(file);
        const int rc = wrapped->real->pMethods->xWrite(wrapped->real, data, amount, offset);
        if (rc == SQLITE_OK) wrapped->owner->wrote(offset, amount);
        return rc;
    }

    static const sqlite3_io_methods kMethods;
};

namespace {

using Shim = PacedWriteback::Shim;

sqlite3_file* real_file(sqlite3_file* file) { return Shim::real_of(file); }
const sqlite3_io_methods& real_methods(sqlite3_file* file) { return *real_file(file)->pMethods; }

}  // namespace

// Everything but xWrite goes straight to the default VFS's file.
const sqlite3_io_methods PacedWriteback::Shim::kMethods = {
    3,
    [](sqlite3_file* f) { return real_methods(f).xClose(real_file(f)); },
    [](sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
        return real_methods(f).xRead(real_file(f), data, amount, offset);
    },
    &Shim::write,
    [](sqlite3_file* f, sqlite3_int64 size) { return real_methods(f).xTruncate(real_file(f), size); },
    [](sqlite3_file* f, int flags) { return real_methods(f).xSync(real_file(f), flags); },
    [](sqlite3_file* f, sqlite3_int64* size) { return real_methods(f).xFileSize(real_file(f), size); },
    [](sqlite3_file* f, int lock) { return real_methods(f).xLock(real_file(f), lock); },
    [](sqlite3_file* f, int lock) { return real_methods(f).xUnlock(real_file(f), lock); },
    [](sqlite3_file* f, int* out) { return real_methods(f).xCheckReservedLock(real_file(f), out); },
    [](sqlite3_file* f, int op, void* arg) { return real_methods(f).xFileControl(real_file(f), op, arg); },
    [](sqlite3_file* f) { return real_methods(f).xSectorSize(real_file(f)); },
    [](sqlite3_file* f) { return real_methods(f).xDeviceCharacteristics(real_file(f)); },
    [](sqlite3_file* f, int region, int size, int extend, void volatile** out) {
        return real_methods(f).iVersion >= 2 ? real_methods(f).xShmMap(real_file(f), region, size, extend, out)
                                             : SQLITE_IOERR_SHMMAP;
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
        return real_methods(f).iVersion >= 2 ? real_methods(f).xShmLock(real_file(f), offset, n, flags)
                                             : SQLITE_IOERR_SHMLOCK;
    },
    [](sqlite3_file* f) {
        if (real_methods(f).iVersion >= 2) real_methods(f).xShmBarrier(real_file(f));
    },
    [](sqlite3_file* f, int remove) {
        return real_methods(f).iVersion >= 2 ? real_methods(f).xShmUnmap(real_file(f), remove) : SQLITE_OK;
    },
    [](sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
        if (real_methods(f).iVersion >= 3) return real_methods(f).xFetch(real_file(f), offset, amount, out);
        *out = nullptr;
        return SQLITE_OK;
    },
    [](sqlite3_file* f, sqlite3_int64 offset, void* page) {
        return real_methods(f).iVersion >= 3 ? real_methods(f).xUnfetch(real_file(f), offset, page) : SQLITE_OK;
    },
};

namespace {

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) { return Shim::of(vfs).real; }

// The VFS's own methods, each to the default VFS.
sqlite3_vfs shim_vfs(sqlite3_vfs* real, const char* name) {
    sqlite3_vfs v{};
    v.iVersion = std::min(real->iVersion, 3);
    v.szOsFile = static_cast<int>(sizeof(Shim::File)) + real->szOsFile;
    v.mxPathname = real->mxPathname;
    v.zName = name;
    v.xOpen = &Shim::open;
    v.xDelete = [](sqlite3_vfs* s, const char* path, int sync) {
        return real_vfs(s)->xDelete(real_vfs(s), path, sync);
    };
    v.xAccess = [](sqlite3_vfs* s, const char* path, int flags, int* out) {
        return real_vfs(s)->xAccess(real_vfs(s), path, flags, out);
    };
    v.xFullPathname = [](sqlite3_vfs* s, const char* path, int n, char* out) {
        return real_vfs(s)->xFullPathname(real_vfs(s), path, n, out);
    };
    v.xDlOpen = [](sqlite3_vfs* s, const char* path) { return real_vfs(s)->xDlOpen(real_vfs(s), path); };
    v.xDlError = [](sqlite3_vfs* s, int n, char* out) { real_vfs(s)->xDlError(real_vfs(s), n, out); };
    v.xDlSym = [](sqlite3_vfs* s, void* handle, const char* symbol) {
        return real_vfs(s)->xDlSym(real_vfs(s), handle, symbol);
    };
    v.xDlClose = [](sqlite3_vfs* s, void* handle) { real_vfs(s)->xDlClose(real_vfs(s), handle); };
    v.xRandomness = [](sqlite3_vfs* s, int n, char* out) { return real_vfs(s)->xRandomness(real_vfs(s), n, out); };
    v.xSleep = [](sqlite3_vfs* s, int us) { return real_vfs(s)->xSleep(real_vfs(s), us); };
    v.xCurrentTime = [](sqlite3_vfs* s, double* out) { return real_vfs(s)->xCurrentTime(real_vfs(s), out); };
    v.xGetLastError = [](sqlite3_vfs* s, int n, char* out) { return real_vfs(s)->xGetLastError(real_vfs(s), n, out); };
    if (v.iVersion >= 2) {
        v.xCurrentTimeInt64 = [](sqlite3_vfs* s, sqlite3_int64* out) {
            return real_vfs(s)->xCurrentTimeInt64(real_vfs(s), out);
        };
    }
    if (v.iVersion >= 3) {
        v.xSetSystemCall = [](sqlite3_vfs* s, const char* call, sqlite3_syscall_ptr fn) {
            return real_vfs(s)->xSetSystemCall(real_vfs(s), call, fn);
        };
        v.xGetSystemCall = [](sqlite3_vfs* s, const char* call) {
            return real_vfs(s)->xGetSystemCall(real_vfs(s), call);
        };
        v.xNextSystemCall = [](sqlite3_vfs* s, const char* call) {
            return real_vfs(s)->xNextSystemCall(real_vfs(s), call);
        };
    }
    return v;
}

}  // namespace

PacedWriteback::PacedWriteback(int fd) : fd_(fd), name_(fmt::format("kassa-paced-{}", fmt::ptr(this))) {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (real == nullptr) throw LedgerError(errc::kStorage, "SQLite has no default VFS");
    auto* shim = new Shim{shim_vfs(real, name_.c_str()), real, this};
    vfs_ = &shim->vfs;
    if (const int rc = sqlite3_vfs_register(vfs_, 0); rc != SQLITE_OK) {
        delete shim;
        throw LedgerError(errc::kStorage, std::string("cannot register the checkpoint's VFS: ") + sqlite3_errstr(rc));
    }
}

PacedWriteback::~PacedWriteback() {
    sqlite3_vfs_unregister(vfs_);
    delete &Shim::of(vfs_);
}

void PacedWriteback::begin(std::chrono::nanoseconds spacing, Clock::time_point until) {
    std::lock_guard lock(mutex_);
    spacing_ = spacing;
    started_ = Clock::now();
    until_ = hurried_ ? Clock::time_point::min() : until;
    pages_ = 0;
}

std::int64_t PacedWriteback::end() {
    std::lock_guard lock(mutex_);
    start_writeback();
    spacing_ = std::chrono::nanoseconds{0};
    return std::exchange(pages_, 0);
}

void PacedWriteback::hurry() {
    std::lock_guard lock(mutex_);
    hurried_ = true;
    until_ = Clock::time_point::min();
}

void PacedWriteback::wrote(std::int64_t offset, int amount) {
    std::unique_lock lock(mutex_);
    ++pages_;
    range_lo_ = range_lo_ < 0 ? offset : std::min(range_lo_, offset);
    range_hi_ = std::max(range_hi_, offset + amount);
    if (pages_ % kChunkPages != 0) return;
    start_writeback();
    if (spacing_.count() <= 0) return;
    const auto due = std::min(started_ + spacing_ * (pages_ / kChunkPages), until_);
    lock.unlock();
    std::this_thread::sleep_until(due);  // the checkpoint thread's own time: the writer never waits here
}

void PacedWriteback::start_writeback() {
    if (range_lo_ < 0) return;
    const auto lo = std::exchange(range_lo_, -1);
    const auto hi = std::exchange(range_hi_, -1);
    // Only starts the write-out of these dirty pages; the checkpoint's fdatasync still makes them durable.
    if (::sync_file_range(fd_, lo, hi - lo, SYNC_FILE_RANGE_WRITE) != 0 &&
        !std::exchange(writeback_failed_logged_, true)) {
        kassa::log::get("ledger")->warn(
            "checkpoint writeback: sync_file_range: {} (the checkpoint's fsync writes them)", std::strerror(errno));
    }
}

}  // namespace kassa::ledger::detail
