#!/usr/bin/env python3
"""Issue 10: the disk's floor under a durable answer: the ledger's writes at a given payment rate,
without kassad (no parsing, no planning, no SQL: only the appends and the flushes).

Payments arrive at RATE a second, evenly spaced (an open loop, like bench/http_load). A writer
group-commits them as the ledger's writer does: it takes every payment that has arrived, appends
one commit's WAL frames (14 pages of 4 KiB, what `bench/wal_mix.py` measured per commit at 1 200
payments/s, where nearly every payment is its own commit) and fdatasyncs the file, then takes the
next batch. A payment's wait runs from its arrival to the return of the flush that covered it, so it
includes the flush it queued behind. Beside it, a second thread writes PAGES scattered 4 KiB pages
to another file and fdatasyncs it HZ times a second, as the checkpoint thread copies WAL pages into
the database file (at 1 200 payments/s: ~200 distinct pages, ~16 times a second; bench/README.md).

    python3 bench/flush_probe.py [DIR] [SECONDS] [RATE] [PAGES@HZ[/FRAMES][~PPS] ...]

DIR defaults to build/ (the disk the ledger uses), RATE to 1 200 a second; "0" is the probe without
the second thread. FRAMES is the WAL frames of one commit (14 unless given): what a ledger writing
fewer b-trees per payment would append. ~PPS writes each pass's pages back as kassad's paced
checkpoint does ([ledger] checkpoint_writeback_pages_per_second): PPS pages a second, the writeback
of each 8 started as they are written (sync_file_range), then the fdatasync. Files are removed
afterwards.
"""
import ctypes
import os
import random
import sys
import threading
import time

PAGE = 4096
FRAMES_PER_COMMIT = 14  # the ledger today (bench/wal_mix.py)
WAL_BYTES = 16 << 20  # reused from its start, as SQLite's WAL is after a restart
DB_PAGES = 16384
CHUNK_PAGES = 8  # kassad's PacedWriteback::kChunkPages
SYNC_FILE_RANGE_WRITE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def start_writeback(fd, offset, length):
    if _libc.sync_file_range(fd, ctypes.c_int64(offset), ctypes.c_int64(length), SYNC_FILE_RANGE_WRITE) != 0:
        raise OSError(ctypes.get_errno(), "sync_file_range")


def percentile(ordered, p):
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def probe(wal, db, seconds, rate, pages, hz, frames, pace):
    """One run on the open, full-sized files `wal` and `db`: each payment's wait in ms, sorted."""
    page = os.urandom(PAGE)
    stop = threading.Event()

    def checkpoints():
        while not stop.is_set():
            started = time.monotonic()
            chunk = []
            for i in range(pages):
                offset = random.randrange(DB_PAGES) * PAGE
                os.pwrite(db, page, offset)
                chunk.append(offset)
                if pace and len(chunk) == CHUNK_PAGES:
                    start_writeback(db, min(chunk), max(chunk) + PAGE - min(chunk))
                    chunk = []
                    delay = started + (i + 1) / pace - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            os.fdatasync(db)
            stop.wait(max(0.0, 1 / hz - (time.monotonic() - started)) if pace else 1 / hz)

    background = threading.Thread(target=checkpoints) if pages else None
    if background:
        background.start()
    waits = []
    try:
        commit = page * frames
        interval = 1 / rate
        start = time.monotonic() + 0.2
        end = start + seconds
        due = start
        offset = 0
        while due < end:
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
                now = time.monotonic()
            batch = []
            while due <= now and due < end:
                batch.append(due)
                due += interval
            if offset + len(commit) > WAL_BYTES:
                offset = 0
            os.pwrite(wal, commit, offset)
            offset += len(commit)
            os.fdatasync(wal)
            flushed = time.monotonic()
            waits.extend((flushed - arrived) * 1000 for arrived in batch)
    finally:
        stop.set()
        if background:
            background.join()
    return sorted(waits)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "build"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 1200
    if rate <= 0:
        sys.exit(f"RATE must be a number of payments a second above 0, not {sys.argv[3]}\n\n{__doc__}")
    runs = []  # (pages, passes a second, frames a commit, pace), all checked before the files are made
    for spec in sys.argv[4:] or ["0", "200@16", "50@64"]:
        rest, _, paced = spec.partition("~")
        pass_spec, _, frame_count = rest.partition("/")
        count, _, hz = pass_spec.partition("@")
        try:
            pages, per_second = int(count), float(hz or 16)
            frames = int(frame_count or FRAMES_PER_COMMIT)
            pace = float(paced) if paced else 0.0
        except ValueError:
            pages, per_second, frames, pace = -1, 0, 0, 0
        if pages < 0 or per_second <= 0 or not 0 < frames <= WAL_BYTES // PAGE or pace < 0 or (paced and not pace):
            sys.exit(f"{spec}: expected PAGES@HZ[/FRAMES][~PPS] with PAGES >= 0, HZ > 0, FRAMES 1-{WAL_BYTES // PAGE}"
                     f" and PPS > 0\n\n{__doc__}")
        runs.append((pages, per_second, frames, pace))
    print(f"load average at the start: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    paths = [os.path.join(directory, name) for name in ("flush-probe-wal", "flush-probe-db")]
    wal, db = (os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) for path in paths)
    try:
        # Both files at their full size first, once: a growing file's flush also writes its inode.
        os.pwrite(wal, b"\0" * WAL_BYTES, 0)
        os.pwrite(db, b"\0" * (DB_PAGES * PAGE), 0)
        os.fsync(wal)
        os.fsync(db)
        for pages, per_second, frames, pace in runs:
            waits = probe(wal, db, seconds, rate, pages, per_second, frames, pace)
            beside = f"beside {pages:4d} pages {per_second:4.0f}/s" if pages else "alone"
            if pages and pace:
                beside += f" paced {pace:g}/s"
            print(f"group commit of {frames:2d} frames at {rate:.0f}/s {beside:<26}: n={len(waits)} wait p50 {percentile(waits, 0.5):.2f} ms, "
                  f"p99 {percentile(waits, 0.99):.2f} ms, p99.9 {percentile(waits, 0.999):.2f} ms, max {waits[-1]:.2f} ms")
    finally:
        os.close(wal)
        os.close(db)
        for path in paths:
            os.unlink(path)


if __name__ == "__main__":
    main()
