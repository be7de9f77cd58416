#!/usr/bin/env bash
# Issue 10: the checkpoint's paced writeback against none, interleaved in one run (this VM's disk
# has calm and stalled spells within minutes: only rounds side by side compare).
#   Each round starts kassad twice on a fresh data dir, 16 registers that refuse connections, as
#   bench/http_bench.sh's api-only phase: once with [ledger] checkpoint_writeback_pages_per_second = 0
#   (the checkpoint's pages written back all at once by its fsync) and once with PACED (default
#   4 000). For each RATE: 3 s of bench/http_load at that rate, then 10 s measured (32 connections):
#   client p50/p99, and kassad's checkpoints by the thread and by the writer.
# Usage: bench/checkpoint_ab.sh [BUILD_DIR] [ROUNDS] [RATE...]     (defaults: build 3 1200 1800)
#   PACED=N: the paced setting to compare (4000).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
shift $(($# > 2 ? 2 : $#))
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1200 1800)
paced=${PACED:-4000}
[ -x "$build/src/app/kassad" ] && [ -x "$build/bench/http_load" ] || { echo "build first: make build" >&2; exit 1; }

work=$(mktemp -d "$PWD/$build/bench-ckpt.XXXXXX")
kassad_pid=
cleanup() {
    if [ -n "$kassad_pid" ]; then kill "$kassad_pid" 2>/dev/null; wait "$kassad_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
. bench/kassad.sh

one() {  # label pages-per-second: one kassad through every rate
    local rate r
    start_bench_kassad "$build/src/app/kassad" "$work/$1-$round" \
        "$(printf '[ledger]\ncheckpoint_writeback_pages_per_second = %d' "$2")" tcp://127.0.0.1:9
    for rate in "${rates[@]}"; do
        "$build/bench/http_load" "127.0.0.1:$port" /v1/payments "$token" "$rate" 3 32 "w$round-$1-$rate" >/dev/null
        r=$("$build/bench/http_load" "127.0.0.1:$port" /v1/payments "$token" "$rate" 10 32 "m$round-$1-$rate" | grep '^RESULT')
        echo "round $round $1 at $rate/s: $(sed -E 's/^RESULT requests=[0-9]+ seconds=[0-9.]+ //' <<<"$r")"
    done
    curl -s "127.0.0.1:$port/metrics" |
        awk '/^kassa_ledger_checkpoint_seconds_count/ {printf "%s ", $0} /^kassa_ledger_checkpoint_paced_pages_total/ {printf "%s", $0} END {print ""}' |
        sed "s/^/round $round $1 checkpoints: /"
    kill "$kassad_pid"
    wait "$kassad_pid" 2>/dev/null || true
    kassad_pid=
}

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
    one unpaced 0
    one "paced$paced" "$paced"
done
