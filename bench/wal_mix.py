#!/usr/bin/env python3
"""Issue 10: what the ledger's commits write, read from its WAL: frames per commit by table and
index, and how many distinct pages a checkpoint of W frames copies into the database file.

    python3 bench/wal_mix.py DATA_DIR/kassa.sqlite

Take the data dir of a kassad stopped with SIGKILL in the middle of a load (a clean stop
checkpoints the WAL away), e.g. the open loop of bench/http_bench.sh by hand:

    build/src/app/kassad --config kassa.toml --data-dir /tmp/wal-mix & pid=$!
    build/bench/http_load 127.0.0.1:8080 /v1/payments TOKEN 1200 3 32 run; kill -9 $pid

Only the frames since the WAL last started again from its beginning are read (those with the
header's salt). The pages are named from a copy of the database (SQLite's dbstat table), so the
original files are not touched.
"""
import os
import shutil
import sqlite3
import statistics
import struct
import sys
import tempfile
from collections import Counter


def read_frames(wal_path):
    with open(wal_path, "rb") as f:
        wal = f.read()
    _, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
    frames = []
    offset = 32
    while offset + 24 + page_size <= len(wal):
        page, db_size_after_commit, s1, s2 = struct.unpack(">4I", wal[offset:offset + 16])
        if (s1, s2) != (salt1, salt2):
            break  # a frame of an earlier pass through the file
        frames.append((page, db_size_after_commit != 0))
        offset += 24 + page_size
    return page_size, frames


def page_owners(db_path):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.sqlite")
        for suffix in ("", "-wal"):
            shutil.copy(db_path + suffix, copy + suffix)
        con = sqlite3.connect(copy)
        try:
            return {page: name for name, page in con.execute("SELECT name, pageno FROM dbstat")}
        finally:
            con.close()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    db_path = sys.argv[1]
    if not os.path.exists(db_path + "-wal"):
        sys.exit(f"{db_path}-wal does not exist: a clean stop checkpoints the WAL away; take it during a load (SIGKILL)")
    page_size, frames = read_frames(db_path + "-wal")
    owner = page_owners(db_path)
    commits, current = [], []
    for page, is_commit in frames:
        current.append(page)
        if is_commit:
            commits.append(current)
            current = []
    if not commits:
        sys.exit("no commit in the WAL since it last started again: take it during a load (SIGKILL)")
    print(f"{len(frames)} frames of {page_size} bytes, {len(commits)} commits: "
          f"{len(frames) / len(commits):.1f} frames per commit")
    written = Counter(owner.get(page, "(free)") for commit in commits for page in set(commit))
    distinct = Counter(owner.get(page, "(free)") for page in {page for page, _ in frames})
    print(f"{'table or index':36} {'frames/commit':>13} {'distinct pages':>15}")
    for name, count in written.most_common():
        print(f"{name:36} {count / len(commits):13.2f} {distinct[name]:15}")
    print("distinct pages a checkpoint of W frames copies (each page once, its last version):")
    for window in (100, 250, 500, 1000, 2000, 4000):
        sizes = [len({page for page, _ in frames[i:i + window]}) for i in range(0, len(frames) - window + 1, window)]
        if sizes:
            mean = statistics.mean(sizes)
            print(f"  W={window:5}: {mean:6.0f} pages ({mean / window:.2f} per frame, {len(sizes)} windows)")


if __name__ == "__main__":
    main()
