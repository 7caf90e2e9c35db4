#!/usr/bin/env bash
# The time voipctl probe itself adds to a measured stage: from the moment a phone log line
# leaves the device stream (the reader task's receive) to the moment its stage is recorded in
# the round (decode → rule prefilter → classify → stage → round), over N rounds (default 1,000)
# against the simulator, whose phone answers every push in time with 1 ms steps.
#
# Usage: bash benches/probe.sh [ROUNDS] [PROFILE]   (PROFILE: release (default) or debug)
# Prints the summary's `overhead` record (p50 and max in µs over every line that became a stage)
# and the rounds' stage statistics. No peer tool measures this; the figure is absolute.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
PROFILE=${2:-release}
OUT=benches/out
mkdir -p "$OUT"
case "$N" in ''|*[!0-9]*) echo "ROUNDS must be a number" >&2; exit 2;; esac
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -q
else
  cargo build --locked -q
fi
VOIPCTL=${CARGO_TARGET_DIR:-target}/$PROFILE/voipctl
WORK=$(mktemp -d)
SIM=
cleanup() { [ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT

cat > "$WORK/bench.toml" <<'TOML'
[[device]]
udid = "00008110-000A1B2C3D4E5F6A"
[[device.app]]
bundle_id = "com.example.call"
executable = "ExampleCall"
background_modes = ["voip"]
[device.react]
bundle_id = "com.example.call"
executable = "ExampleCall"
running = true
[[device.react.round]]
outcome = "in-time"
deliver = "1ms"
launch = "4ms"
delegate = "1ms"
report = "1ms"
TOML
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt > "$WORK/AuthKey.p8"
"$VOIPCTL" --json sim "$WORK/bench.toml" > "$WORK/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 100); do [ -s "$WORK/sim.out" ] && break; sleep 0.1; done
read -r MUX URL CA < <(python3 -c '
import json,sys
d=json.loads(open(sys.argv[1]).readline()); print(d["usbmuxd"], d["apns_url"], d["apns_ca"])' "$WORK/sim.out")
START=$(date +%s.%N)
USBMUXD_SOCKET_ADDRESS=$MUX "$VOIPCTL" --json probe -b com.example.call \
  --token 7c1f5e9a0b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e \
  --key "$WORK/AuthKey.p8" --key-id ABC123DEFG --team-id TEAM123456 \
  --apns-url "$URL" --ca-cert "$CA" --rounds "$N" --interval 0 --round-timeout 5s \
  > "$OUT/probe-rounds.jsonl" || true
END=$(date +%s.%N)
python3 - "$OUT/probe-rounds.jsonl" "$START" "$END" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
s = [r for r in recs if r["type"] == "summary"][0]
o = s["overhead_us"]
print(f"rounds {s['rounds']} ({s['passed']} passed) in {float(sys.argv[3]) - float(sys.argv[2]):.1f} s")
print(f"probe overhead per stage line: p50 {o['p50']} µs, p99 {o['p99']} µs, max {o['max']} µs over {o['count']} lines")
m = s.get("overhead_max", {})
print(f"  the max: round {m.get('round')}, waited {m.get('wait_us')} µs for the round loop, {m.get('work_us')} µs on the line; longest work on any line {m.get('work_max_us')} µs")
print(f"  in that round the OS kept probe's thread off a CPU for {m.get('round_run_delay_us')} µs (schedstat run delay)")
for k, v in s["stages"].items():
    print(f"  {k:<10} p50 {v['p50']:7.2f} ms  p95 {v['p95']:7.2f} ms  max {v['max']:7.2f} ms")
c = s["clock"]
if "offset_ms" in c:
    print(f"clock offset {c['offset_ms']:+.3f} ms ± {c['uncertainty_ms']:.3f} ms")
PY
