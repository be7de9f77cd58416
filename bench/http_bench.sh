#!/usr/bin/env bash
# Issue 10: the API against the ledger, side by side in ONE run on this machine (ratios, not
# absolutes: the machines are shared and noisy).
#   1. ledger_bench, 16 producers: confirmed receipts/s the ledger commits (3 durable writes each).
#   2. kassad whose 16 registers refuse connections: wrk -t2 -c32 posting payments (each a new
#      customer, its own Idempotency-Key): what the API and the ledger accept alone, p50, p99.
#   3. kassad with 16 simulated Shtrih registers (in-process, TCP loopback): the same while they print.
#   4. The same with ?wait=30: answered once the receipt is confirmed by its register.
# Usage: bench/http_bench.sh [BUILD_DIR] [SECONDS]        (loopback only, bounded in time)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps installs it" >&2; exit 1; }
[ -x "$build/src/app/kassad" ] && [ -x "$build/bench/ledger_bench" ] || { echo "build first: make build" >&2; exit 1; }

work=$(mktemp -d "$PWD/$build/bench-http.XXXXXX")
kassad_pid=
cleanup() {
    if [ -n "$kassad_pid" ]; then kill "$kassad_pid" 2>/dev/null; wait "$kassad_pid" 2>/dev/null; fi
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

start_kassad() {  # name register-uri: kassad with 16 registers of one entity
    local dir="$work/$1"
    mkdir -p "$dir"
    {
        printf '[server]\nlisten = "127.0.0.1:0"\n[log]\nlevel = "warn"\n'
        printf '[[entities]]\ninn = "7701234567"\nname = "ООО «Бенч»"\ncashier = "Кассир"\n'
        printf 'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n'
        for i in $(seq 1 16); do printf '[[registers]]\nid = "r%02d"\nuri = "%s"\nentity_inn = "7701234567"\n' "$i" "$2"; done
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

run() {  # name path
    KASSA_TOKEN=$token KASSA_PATH="$2" KASSA_RUN="$1" wrk -t2 -c32 -d"${secs}s" --timeout 30s -s bench/http/payments.lua "$url" \
        | grep '^RESULT' | sed "s/^RESULT/$1/"
}

# (a) The API and the ledger alone: 16 registers that refuse connections, so the receipts are
#     accepted, stored and queued while no register prints (workers back off, no CPU).
start_kassad offline "tcp://127.0.0.1:9"
api_only=$(run accepted-api-only "/v1/payments")
echo "$api_only"
stop_kassad

# (b) The whole office: 16 simulated Shtrih registers in the same process, printing meanwhile.
start_kassad office "sim://embedded"
# Every register connected (the shift opens with the first receipt).
for _ in $(seq 1 300); do
    idle=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -o '"state":"idle"' | wc -l)
    [ "$idle" -eq 16 ] && break
    sleep 0.1
done
# Warm-up: each register opens its shift.
KASSA_TOKEN=$token KASSA_PATH="/v1/payments?wait=30" KASSA_RUN=warm wrk -t2 -c16 -d3s -s bench/http/payments.lua "$url" >/dev/null

# PERF=1: a CPU profile of kassad during the accepted run (perf from linux-perf), in $build/bench-perf.data;
# `perf report -i $build/bench-perf.data --sort comm` splits it by thread (sim, ledger-writer, http-io, drv:…).
if [ "${PERF:-0}" = 1 ]; then
    perf record -F 499 -g -e cpu-clock -o "$build/bench-perf.data" -p "$kassad_pid" -- sleep "$secs" >/dev/null 2>&1 &
fi
accepted=$(run accepted "/v1/payments")
echo "$accepted"
# Let the registers drain what was accepted before measuring confirmed answers.
for _ in $(seq 1 1200); do
    depth=$(curl -s -H "Authorization: Bearer $token" "$url/v1/registers" | grep -oE '"queue_depth":[0-9]+' | awk -F: '{s+=$2} END {print s+0}')
    [ "$depth" -eq 0 ] && break
    sleep 0.5
done
confirmed=$(run confirmed "/v1/payments?wait=30")
echo "$confirmed"

rate() { sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$1"; }
python3 - "$ledger_rate" "$(rate "$api_only")" "$(rate "$accepted")" "$(rate "$confirmed")" <<'PY'
import sys
ledger, api_only, accepted, confirmed = map(float, sys.argv[1:5])
print(f"ratios to the ledger: api-only accepted {api_only / ledger:.2f}, accepted while printing "
      f"{accepted / ledger:.2f}, confirmed {confirmed / ledger:.2f}")
PY
