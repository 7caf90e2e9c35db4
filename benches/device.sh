#!/usr/bin/env bash
# Device-command latency against the simulated iPhone: voipctl next to the libimobiledevice tools
# and pymobiledevice3 doing the same job, in the same run, against the same simulator.
#   cargo build --release && bash benches/device.sh [RUNS]     (VOIPCTL=path/to/voipctl to use another build)
# Prints one line per command: mean and min wall-clock milliseconds over RUNS runs (default 20;
# pymobiledevice3 gets 5, its Python start-up dominates).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
BIN=${VOIPCTL:-target/release/voipctl}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
OUT=$(mktemp)
"$BIN" sim pushkit-callkit --duration 3600 >"$OUT" 2>/dev/null &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do [ -s "$OUT" ] && break; sleep 0.05; done
export "$(head -1 "$OUT")"
UDID=00008110-001C2D3E4F5A6B7C

measure() { # name runs command...
  local name=$1 runs=$2; shift 2
  command -v "$1" >/dev/null || { printf '%-44s skipped (%s not installed)\n' "$name" "$1"; return; }
  local total=0 min=999999
  for _ in $(seq "$runs"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "$name failed" >&2; return 1; }
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    total=$(( total + ms )); [ "$ms" -lt "$min" ] && min=$ms
  done
  printf '%-44s mean %5d ms  min %5d ms  (%d runs)\n' "$name" $(( total / runs )) "$min" "$runs"
}

echo "list devices"
measure "  voipctl devices" "$RUNS" "$BIN" devices
measure "  idevice_id -l" "$RUNS" idevice_id -l
measure "  pymobiledevice3 usbmux list" 5 pymobiledevice3 usbmux list
echo "all lockdown values (TLS session)"
measure "  voipctl info" "$RUNS" "$BIN" info
measure "  ideviceinfo" "$RUNS" ideviceinfo -u "$UDID"
measure "  pymobiledevice3 lockdown info" 5 pymobiledevice3 lockdown info --udid "$UDID"
echo "installed apps (installation_proxy)"
measure "  voipctl apps" "$RUNS" "$BIN" apps
measure "  ideviceinstaller -l" "$RUNS" ideviceinstaller -u "$UDID" -l
measure "  pymobiledevice3 apps list" 5 pymobiledevice3 apps list --udid "$UDID"
