#!/usr/bin/env bash
# Soak (issue 18): kassad under steady mixed load for MINUTES (default 10) with registers going
# offline and back; reports errors, RSS drift and fd drift. Loopback only, bounded in time.
#   bench/soak.sh [minutes] [BUILD_DIR]          (bench/soak.py --help for the knobs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${2:-build}
[ -x "$build/src/app/kassad" ] && [ -x "$build/simulators/shtrih/kassa-sim" ] || { echo "build first: make build" >&2; exit 1; }
KASSA_BINARY_DIR="$PWD/$build" exec python3 -u bench/soak.py "${1:-10}"
