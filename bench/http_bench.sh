#!/usr/bin/env bash
# Issue 10: the API against the ledger, side by side in ONE run on this machine (ratios, not
# absolutes: the machines are shared and noisy).
#   1. ledger_bench, 16 producers: confirmed receipts/s the ledger commits (3 durable writes each).
#   2. kassad whose 16 registers refuse connections: wrk -t2 -c32 posting payments (each a new
#      customer, its own Idempotency-Key): what the API and the ledger accept alone, p50, p99.
#      Then the same API at a fixed offered rate of 0.9 x the ledger figure (bench/http_load, open
#      loop): the latency a client sees when the load is at the target, not queued behind 32 others.
#   3. kassad with 16 simulated Shtrih registers (16 kassa-sim processes on loopback TCP): the same
#      while they print, closed and open loop.
#   4. The same with ?wait=30: answered once the receipt is confirmed by its register; the CPU time
#      kassad and the simulators spent per confirmed receipt (from /proc), so the share of the
#      simulated registers is measured, not guessed.
# Usage: bench/http_bench.sh [BUILD_DIR] [SECONDS]        (loopback only, bounded in time)
#   API_ONLY=1: only steps 1 and 2 (the ledger and the API alone), PERF=1: profiles (see below),
#   CONFIRMED_ONLY=1: only steps 1 and 4, BENCH_DIR=DIR: the data dirs there (default BUILD_DIR),
#   LEDGER_RATE=N: use N as the ledger figure instead of measuring it (rates comparable across runs).
#   SWEEP="0.25 0.5 0.75": step 2's open loop again at these fractions of the ledger figure (where
#   the latency tail starts to grow with the rate). KASSAD_BEFORE=/path/to/older/kassad: every kassad
#   phase runs with that binary ("before") and then this build's ("after"; AFTER_FIRST=1 swaps the order),
#   in the same run, each office phase with 16 fresh simulators.
#   After each phase kassad's /metrics is saved as $BUILD_DIR/bench-metrics-<phase>-<label>.txt
#   (planning, commit, batch-size and device-command histograms). The disk's flush time is probed
#   first (bench/flush_probe.py): it is the floor under every durable (2xx) answer.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps installs it" >&2; exit 1; }
[ -x "$build/src/app/kassad" ] && [ -x "$build/bench/ledger_bench" ] && [ -x "$build/bench/http_load" ] || { echo "build first: make build" >&2; exit 1; }

# BENCH_DIR=/dev/shm: the ledgers (and the flush probe) on tmpfs, where a flush costs nothing: what
# kassad's answers cost without the disk's flush, to tell the two apart. Not a setting to run on.
work=$(mktemp -d "${BENCH_DIR:-$PWD/$build}/bench-http.XXXXXX")
kassad_pid=
kassad_bin=$build/src/app/kassad
sim_pids=()
cleanup() {
    if [ -n "$kassad_pid" ]; then kill "$kassad_pid" 2>/dev/null; wait "$kassad_pid" 2>/dev/null; fi
    for p in "${sim_pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
# The disk's floor under every durable answer: the ledger's appends and flushes at 1 200 payments/s
# without kassad, alone and beside the checkpoint thread's database writes at that rate. On a shared
# virtual disk the second, not kassad, sets the p99 above a few hundred payments/s (bench/README.md).
python3 bench/flush_probe.py "$work" 3 1200 0 200@16 | grep '^group commit'
if [ -n "${LEDGER_RATE:-}" ]; then  # the reference figure of an earlier run, so rates compare across runs
    ledger_rate=$LEDGER_RATE
    echo "ledger: $ledger_rate confirmed receipts/s (LEDGER_RATE, not measured)"
else
    echo "== ledger_bench (16 producers)"
    KASSA_BENCH_DIR="$work/ledger" "$build/bench/ledger_bench" --benchmark_filter='threads:16' \
        --benchmark_format=json --benchmark_min_time=3 >"$work/ledger.json" 2>/dev/null
    ledger_rate=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; print("%.0f" % b["items_per_second"])' "$work/ledger.json")
    echo "ledger: $ledger_rate confirmed receipts/s"
fi

. bench/kassad.sh
start_kassad() {  # name uri...: kassad with 16 registers of one entity (one uri, or 16)
    start_bench_kassad "$kassad_bin" "$work/$1" "" "${@:2}"
}
save_metrics() {  # phase
    curl -s "$url/metrics" >"$build/bench-metrics-$1.txt" || true
}
fiscalised() {  # receipts the registers have fiscalised so far (kassad's device-command counts)
    curl -s "$url/metrics" | awk -F' ' '/^kassa_device_command_seconds_count\{.*command="fiscalise"/ {s+=$2} END {print s+0}'
}
stop_kassad() { kill "$kassad_pid"; wait "$kassad_pid" 2>/dev/null || true; kassad_pid=; }

run() {  # name path: closed loop, wrk with 32 connections
    KASSA_TOKEN=$token KASSA_PATH="$2" KASSA_RUN="$1" wrk -t2 -c32 -d"${secs}s" --timeout 30s -s bench/http/payments.lua "$url" \
        | grep '^RESULT' | sed "s/^RESULT/$1/"
}
run_open() {  # name path rate: open loop at a fixed offered rate over 32 connections
    "$build/bench/http_load" "127.0.0.1:$port" "$2" "$token" "$3" "$secs" 32 "$1" | grep '^RESULT' | sed "s/^RESULT/$1/"
}
cpu_ms() {  # pid...: user + system CPU time in ms, summed
    local tck total=0 p f
    tck=$(getconf CLK_TCK)
    for p in "$@"; do
        read -ra f <"/proc/$p/stat"
        total=$(( total + f[13] + f[14] ))
    done
    echo $(( total * 1000 / tck ))
}
target_rate=$(( ledger_rate * 9 / 10 ))

# PERF=1: CPU profiles of kassad (perf from linux-perf) during the api-only open loop, the accepted run and
# the confirmed run, in $build/bench-perf-{api-open,accepted,confirmed}.data; `perf report -i FILE
# --no-children --sort comm` splits one by thread (ledger-writer, http-io, drv:…), --sort sym by function.
profile() {  # phase
    if [ "${PERF:-0}" = 1 ]; then
        perf record -F 499 -g -e cpu-clock -o "$build/bench-perf-$1.data" -p "$kassad_pid" -- sleep "$secs" >/dev/null 2>&1 &
    fi
}

# Threads of kassad by role, CPU ms each (from /proc/<pid>/task/*/stat), and the machine's busy
# share of its cores (from /proc/stat) between two samples: is it kassad, the simulators, the load
# generator or nothing that fills the two cores?
threads_ms() {  # pid: "comm-group ms" lines
    local tck t f c
    tck=$(getconf CLK_TCK)
    for t in /proc/"$1"/task/*; do
        c=$(cat "$t/comm" 2>/dev/null) || continue
        f=$(sed 's/.*) //' "$t/stat" 2>/dev/null) || continue
        read -ra f <<<"$f"
        case "$c" in drv:*) c=drv ;; esac
        echo "$c $(( (f[11] + f[12]) * 1000 / tck ))"
    done | awk '{s[$1]+=$2} END {for (k in s) print k, s[k]}' | sort
}
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

# One kassad binary through the phases. $1: label (after, or before with KASSAD_BEFORE).
api_phase() {  # label binary
    kassad_bin=$2
    start_kassad "offline-$1" "tcp://127.0.0.1:9"
    local r
    r=$(run "accepted-api-only-$1" "/v1/payments"); echo "$r"; api_only[$1]=$r
    save_metrics "api-closed-$1"
    profile "api-open-$1"
    r=$(run_open "accepted-api-only-open-$1" "/v1/payments" "$target_rate"); echo "$r"
    save_metrics "api-open-$1"
    bench/metrics_delta.py "$build/bench-metrics-api-closed-$1.txt" "$build/bench-metrics-api-open-$1.txt" "api open loop $1"
    # SWEEP="0.25 0.5 0.75": the same open loop at these fractions of the ledger figure, on the same
    # kassad, each with its ledger histograms: where the tail begins to grow with the offered rate.
    local f prev="$build/bench-metrics-api-open-$1.txt"
    for f in ${SWEEP:-}; do
        local rr
        rr=$(python3 -c 'import sys; print(int(float(sys.argv[1]) * float(sys.argv[2])))' "$ledger_rate" "$f")
        r=$(run_open "accepted-api-only-open-x$f-$1" "/v1/payments" "$rr"); echo "$r"
        save_metrics "api-open-x$f-$1"
        bench/metrics_delta.py "$prev" "$build/bench-metrics-api-open-x$f-$1.txt" "api open loop at $f x ledger $1"
        prev="$build/bench-metrics-api-open-x$f-$1.txt"
    done
    stop_kassad
}
start_sims() {  # label: 16 simulated Shtrih registers, each its own kassa-sim process on loopback
    # TCP (as real registers are devices of their own), with a fresh FN each: a simulator's cost
    # per receipt grows with its archive, so each kassad gets new ones (same-binary runs differ
    # by ~20 % otherwise).
    sim_uris=()
    sim_pids=()
    local i ready
    for i in $(seq 1 16); do
        mkdir -p "$work/sim-$1-$i"
        "$build/simulators/shtrih/kassa-sim" --tcp 127.0.0.1:0 --state "$work/sim-$1-$i/fn.json" --inn 7701234567 \
            --rnm "$(printf '00000000000%05d' "$i")" --fn-serial "$(printf '99990000000000%02d' "$i")" \
            >"$work/sim-$1-$i/out" 2>"$work/sim-$1-$i/err" &
        sim_pids+=("$!")
        ready=
        for _ in $(seq 1 300); do
            ready=$(grep -oE 'ready tcp [0-9.:]+' "$work/sim-$1-$i/out" 2>/dev/null || true)
            [ -n "$ready" ] && break
            sleep 0.05
        done
        [ -n "$ready" ] || { echo "kassa-sim did not start" >&2; cat "$work/sim-$1-$i/err" >&2; exit 1; }
        sim_uris+=("tcp://${ready##* }")
    done
}
stop_sims() {
    local p
    for p in "${sim_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
    sim_pids=()
}
office_phase() {  # label binary
    kassad_bin=$2
    start_sims "$1"
    start_kassad "office-$1" "${sim_uris[@]}"
    # Every register connected (the shift opens with the first receipt).
    for _ in $(seq 1 300); do
        idle=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -o '"state":"idle"' | wc -l)
        [ "$idle" -eq 16 ] && break
        sleep 0.1
    done
    # Warm-up: each register opens its shift (or finds it open).
    KASSA_TOKEN=$token KASSA_PATH="/v1/payments?wait=30" KASSA_RUN="warm-$1" wrk -t2 -c16 -d3s -s bench/http/payments.lua "$url" >/dev/null
    local r
    if [ "${CONFIRMED_ONLY:-0}" != 1 ]; then
        profile "accepted-$1"
        local f0 f1
        f0=$(fiscalised)
        r=$(run "accepted-$1" "/v1/payments"); echo "$r"; accepted[$1]=$r
        f1=$(fiscalised)
        # The registers print meanwhile and take their share of the two cores.
        echo "accepted-$1: the 16 registers printed $(( (f1 - f0) / secs )) receipts/s during that run"
        r=$(run_open "accepted-open-$1" "/v1/payments" "$target_rate"); echo "$r"
        # Let the registers drain what was accepted before measuring confirmed answers.
        for _ in $(seq 1 1200); do
            depth=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -oE '"queue_depth":[0-9]+' | awk -F: '{s+=$2} END {print s+0}')
            [ "$depth" -eq 0 ] && break
            sleep 0.5
        done
    fi
    save_metrics "before-confirmed-$1"
    profile "confirmed-$1"
    local k0 s0 k1 s1 m0 m1 t0
    t0=$(threads_ms "$kassad_pid")
    k0=$(cpu_ms "$kassad_pid"); s0=$(cpu_ms "${sim_pids[@]}"); m0=$(machine_ticks)
    r=$(run "confirmed-$1" "/v1/payments?wait=30")
    k1=$(cpu_ms "$kassad_pid"); s1=$(cpu_ms "${sim_pids[@]}"); m1=$(machine_ticks)
    echo "$r"; confirmed[$1]=$r
    save_metrics "confirmed-$1"
    bench/metrics_delta.py "$build/bench-metrics-before-confirmed-$1.txt" "$build/bench-metrics-confirmed-$1.txt" "confirmed $1"
    local n
    n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$r")
    python3 - "$n" $((k1 - k0)) $((s1 - s0)) "$m0" "$m1" "$(nproc)" "$1" "$t0" "$(threads_ms "$kassad_pid")" <<'PY'
import sys
n, kassad_ms, sims_ms = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
b0, a0 = map(int, sys.argv[4].split()); b1, a1 = map(int, sys.argv[5].split())
cpus, label = int(sys.argv[6]), sys.argv[7]
t0 = dict((l.split()[0], int(l.split()[1])) for l in sys.argv[8].splitlines() if l.strip())
t1 = dict((l.split()[0], int(l.split()[1])) for l in sys.argv[9].splitlines() if l.strip())
if n:
    k, s = kassad_ms / n, sims_ms / n
    print(f"{label}: CPU per confirmed receipt: kassad {k:.2f} ms, the 16 simulators {s:.2f} ms "
          f"({100 * s / (k + s):.0f} % of the two); machine busy {100 * (b1 - b0) / max(1, a1 - a0):.0f} % of "
          f"{cpus} cores during the run; kassad alone on {cpus} cores: up to {cpus * 1000 / k:.0f} confirmed/s")
    per = {c: (t1.get(c, 0) - t0.get(c, 0)) / n for c in t1}
    print(f"{label}: kassad threads, CPU ms per confirmed receipt: " +
          ", ".join(f"{c} {v:.2f}" for c, v in sorted(per.items(), key=lambda x: -x[1]) if v >= 0.005))
PY
    stop_kassad
    stop_sims
}

declare -A api_only accepted confirmed
labels=(after)
declare -A bins=([after]="$build/src/app/kassad")
if [ -n "${KASSAD_BEFORE:-}" ]; then
    labels=(before after)
    [ "${AFTER_FIRST:-0}" = 1 ] && labels=(after before)  # for an ABBA pair of runs
    bins[before]=$KASSAD_BEFORE
fi

# (a) The API and the ledger alone: 16 registers that refuse connections, so the receipts are
#     accepted, stored and queued while no register prints (workers back off, no CPU).
if [ "${CONFIRMED_ONLY:-0}" != 1 ]; then
    for l in "${labels[@]}"; do api_phase "$l" "${bins[$l]}"; done
fi
if [ "${API_ONLY:-0}" != 1 ]; then
    # (b) The whole office: 16 simulated registers print meanwhile; then ?wait for confirmation.
    for l in "${labels[@]}"; do office_phase "$l" "${bins[$l]}"; done
fi

rate() { if [ -z "$1" ]; then echo nan; else sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$1"; fi; }
for l in "${labels[@]}"; do
    python3 -c 'import sys; l, a, b, c, d = sys.argv[1], *map(float, sys.argv[2:]); print(f"{l}: ratios to the ledger: api-only accepted {b / a:.2f}, accepted while printing {c / a:.2f}, confirmed {d / a:.2f}")' \
        "$l" "$ledger_rate" "$(rate "${api_only[$l]:-}")" "$(rate "${accepted[$l]:-}")" "$(rate "${confirmed[$l]:-}")"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
