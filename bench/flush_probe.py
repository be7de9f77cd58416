#!/usr/bin/env python3
"""Issue 10: how the ledger's commit flush depends on the database writes around it, without kassad.

A commit is a few WAL frames appended and fdatasync'ed; a WAL checkpoint copies pages into the
database file and fdatasyncs it. On a virtual disk a flush persists whatever was written before it,
so a commit that follows a large checkpoint write waits for that write too. This probe appends
48 KiB (a payment's ~11 WAL frames) and fdatasyncs it in a loop, once alone and once for each burst
size while a second thread writes that many KiB of scattered 4 KiB pages to another file and
fdatasyncs it, HZ times a second (12 by default). At ~1 200 payments/s the checkpoint thread, which
starts at 1 000 WAL pages, runs ~13 times a second; "400@130" is the same write rate in tenths.

    python3 bench/flush_probe.py [DIR] [SECONDS] [BURST_KIB[@HZ] ...]

DIR defaults to build/ (the disk the ledger uses); files are removed afterwards.
"""
import os
import sys
import threading
import time


def probe(directory, seconds, burst_kib, hz):
    wal_path = os.path.join(directory, "flush-probe-wal")
    db_path = os.path.join(directory, "flush-probe-db")
    stop = threading.Event()

    def checkpoints():
        fd = os.open(db_path, os.O_WRONLY | os.O_CREAT, 0o600)
        page = os.urandom(4096)
        offset = 0
        try:
            while not stop.is_set():
                for _ in range(burst_kib // 4):
                    os.pwrite(fd, page, offset % (256 << 20))
                    offset += 4096 * 7  # scattered, as b-tree pages are
                os.fdatasync(fd)
                stop.wait(1 / hz)
        finally:
            os.close(fd)

    background = threading.Thread(target=checkpoints) if burst_kib else None
    if background:
        background.start()
    fd = os.open(wal_path, os.O_WRONLY | os.O_CREAT, 0o600)
    frames = b"w" * 49152
    times = []
    offset = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            os.pwrite(fd, frames, offset % (16 << 20))  # the WAL is reused from its start, as SQLite's is
            offset += len(frames)
            began = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - began) * 1000)
    finally:
        os.close(fd)
        stop.set()
        if background:
            background.join()
        for path in (wal_path, db_path):
            if os.path.exists(path):
                os.unlink(path)
    times.sort()
    n = len(times)
    return n, times[n // 2], times[int(n * 0.99)], times[int(n * 0.999)], times[-1]


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "build"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    bursts = sys.argv[3:] or ["0", "400", "1600", "4000", "400@130"]
    print(f"load average at the start: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    for spec in bursts:
        kib, _, hz = spec.partition("@")
        burst, rate = int(kib), float(hz or 12)
        n, p50, p99, p999, worst = probe(directory, seconds, burst, rate)
        beside = f"beside {burst:5d} KiB checkpoint bursts {rate:4.0f}/s" if burst else "alone"
        print(f"commit flush {beside:<40}: n={n} p50 {p50:.2f} ms, p99 {p99:.2f} ms, p99.9 {p999:.2f} ms, "
              f"max {worst:.2f} ms")


if __name__ == "__main__":
    main()
