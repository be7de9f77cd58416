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
#   API_ONLY=1: only steps 1 and 2 (the ledger and the API alone), PERF=1: profiles (see below).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps installs it" >&2; exit 1; }
[ -x "$build/src/app/kassad" ] && [ -x "$build/bench/ledger_bench" ] && [ -x "$build/bench/http_load" ] || { echo "build first: make build" >&2; exit 1; }

work=$(mktemp -d "$PWD/$build/bench-http.XXXXXX")
kassad_pid=
sim_pids=()
cleanup() {
    if [ -n "$kassad_pid" ]; then kill "$kassad_pid" 2>/dev/null; wait "$kassad_pid" 2>/dev/null; fi
    for p in "${sim_pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "== ledger_bench (16 producers)"
KASSA_BENCH_DIR="$work/ledger" "$build/bench/ledger_bench" --benchmark_filter='threads:16' \
    --benchmark_format=json --benchmark_min_time=3 >"$work/ledger.json" 2>/dev/null
ledger_rate=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; print("%.0f" % b["items_per_second"])' "$work/ledger.json")
echo "ledger: $ledger_rate confirmed receipts/s"

token=bench-token-0123456789abcdef0123456789
digest=$(printf %s "$token" | sha256sum | cut -d' ' -f1)

start_kassad() {  # name uri...: kassad with 16 registers of one entity (one uri, or 16)
    local dir="$work/$1"
    mkdir -p "$dir"
    {
        printf '[server]\nlisten = "127.0.0.1:0"\n[log]\nlevel = "warn"\n'
        printf '[[entities]]\ninn = "7701234567"\nname = "ООО «Бенч»"\ncashier = "Кассир"\n'
        printf 'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n'
        local uris=("${@:2}")
        for i in $(seq 1 16); do
            printf '[[registers]]\nid = "r%02d"\nuri = "%s"\nentity_inn = "7701234567"\n' "$i" "${uris[$(( (i - 1) % ${#uris[@]} ))]}"
        done
        printf '[[tokens]]\nname = "bench"\nrole = "cashier"\nsha256 = "%s"\n' "$digest"
    } >"$dir/kassa.toml"
    "$build/src/app/kassad" --config "$dir/kassa.toml" --data-dir "$dir/var" >"$dir/kassad.out" 2>"$dir/kassad.err" &
    kassad_pid=$!
    port=
    for _ in $(seq 1 300); do
        port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/kassad.out" | grep -oE '[0-9]+$' || true)
        [ -n "$port" ] && break
        kill -0 "$kassad_pid" || { cat "$dir/kassad.err" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "kassad did not start" >&2; exit 1; }
    url="http://127.0.0.1:$port"
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

# (a) The API and the ledger alone: 16 registers that refuse connections, so the receipts are
#     accepted, stored and queued while no register prints (workers back off, no CPU).
start_kassad offline "tcp://127.0.0.1:9"
api_only=$(run accepted-api-only "/v1/payments")
echo "$api_only"
profile api-open
api_open=$(run_open accepted-api-only-open "/v1/payments" "$target_rate")
echo "$api_open"
stop_kassad
if [ "${API_ONLY:-0}" = 1 ]; then
    python3 -c 'import sys; print(f"ratios to the ledger: api-only accepted {float(sys.argv[2]) / float(sys.argv[1]):.2f}")' \
        "$ledger_rate" "$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$api_only")"
    exit 0
fi

# (b) The whole office: 16 simulated Shtrih registers, each its own kassa-sim process on loopback
#     TCP (as real registers are devices of their own), printing meanwhile.
sim_uris=()
for i in $(seq 1 16); do
    mkdir -p "$work/sim$i"
    "$build/simulators/shtrih/kassa-sim" --tcp 127.0.0.1:0 --state "$work/sim$i/fn.json" --inn 7701234567 \
        --rnm "$(printf '00000000000%05d' "$i")" --fn-serial "$(printf '99990000000000%02d' "$i")" \
        >"$work/sim$i/out" 2>"$work/sim$i/err" &
    sim_pids+=("$!")
    ready=
    for _ in $(seq 1 300); do
        ready=$(grep -oE 'ready tcp [0-9.:]+' "$work/sim$i/out" 2>/dev/null || true)
        [ -n "$ready" ] && break
        sleep 0.05
    done
    [ -n "$ready" ] || { echo "kassa-sim did not start" >&2; cat "$work/sim$i/err" >&2; exit 1; }
    sim_uris+=("tcp://${ready##* }")
done
start_kassad office "${sim_uris[@]}"
# Every register connected (the shift opens with the first receipt).
for _ in $(seq 1 300); do
    idle=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -o '"state":"idle"' | wc -l)
    [ "$idle" -eq 16 ] && break
    sleep 0.1
done
# Warm-up: each register opens its shift.
KASSA_TOKEN=$token KASSA_PATH="/v1/payments?wait=30" KASSA_RUN=warm wrk -t2 -c16 -d3s -s bench/http/payments.lua "$url" >/dev/null

profile accepted
accepted=$(run accepted "/v1/payments")
echo "$accepted"
accepted_open=$(run_open accepted-open "/v1/payments" "$target_rate")
echo "$accepted_open"
# Let the registers drain what was accepted before measuring confirmed answers.
for _ in $(seq 1 1200); do
    depth=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -oE '"queue_depth":[0-9]+' | awk -F: '{s+=$2} END {print s+0}')
    [ "$depth" -eq 0 ] && break
    sleep 0.5
done
profile confirmed
k0=$(cpu_ms "$kassad_pid"); s0=$(cpu_ms "${sim_pids[@]}")
confirmed=$(run confirmed "/v1/payments?wait=30")
k1=$(cpu_ms "$kassad_pid"); s1=$(cpu_ms "${sim_pids[@]}")
echo "$confirmed"

rate() { sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$1"; }
requests() { sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$1"; }
python3 - "$ledger_rate" "$(rate "$api_only")" "$(rate "$accepted")" "$(rate "$confirmed")" \
    "$(requests "$confirmed")" $((k1 - k0)) $((s1 - s0)) "$(nproc)" <<'PY'
import sys
ledger, api_only, accepted, confirmed = map(float, sys.argv[1:5])
n, kassad_ms, sims_ms, cpus = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
print(f"ratios to the ledger: api-only accepted {api_only / ledger:.2f}, accepted while printing "
      f"{accepted / ledger:.2f}, confirmed {confirmed / ledger:.2f}")
if n:
    k, s = kassad_ms / n, sims_ms / n
    print(f"CPU per confirmed receipt: kassad {k:.2f} ms, the 16 simulators {s:.2f} ms "
          f"({100 * s / (k + s):.0f} % of the two); kassad alone on {cpus} cores: "
          f"up to {cpus * 1000 / k:.0f} confirmed/s if the registers were not on the same cores")
PY
