#!/usr/bin/env bash
# Benchmark (not a test) of the log analysis, in one run:
#  1. `voipctl analyze` on generated idevicesyslog logs of two sizes (default 256 MiB and 1 GiB)
#     against `rg -c` with the same rule regexes (named groups removed: ripgrep joins patterns
#     into one regex) and against `cat FILE > /dev/null`; wall time (hyperfine) and peak RSS
#     (GNU time) for both sizes, to show memory does not grow with the input.
#  2. `voipctl watch` live from the simulated iPhone at 20,000 lines/s: lines received vs lines
#     the simulator sent, CPU time per line, against `idevicesyslog` on the same stream.
#
#   bash benches/analyze.sh [SMALL_MB] [LARGE_MB] [LIVE_SECONDS]   # defaults: 256 1024 10
#   LIVE_ONLY=1 bash benches/analyze.sh                           # only the live part
#
# Needs: python3, ripgrep, GNU time, hyperfine, idevicesyslog (libimobiledevice-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${1:-256}
LARGE=${2:-1024}
LIVE=${3:-10}
RATE=20000
OUT=benches/out
mkdir -p "$OUT"

cargo build --release --locked --bin voipctl
BIN=$PWD/target/release/voipctl

for mb in "$SMALL" "$LARGE"; do
  [ -f "$OUT/log-$mb.log" ] || python3 benches/gen_log.py "$OUT/log-$mb.log" "$mb"
done

# The same patterns for ripgrep: every rule's regex, named groups made plain groups.
python3 - "$OUT/patterns.txt" <<'PY'
import re, sys, tomllib
rules = tomllib.load(open("src/logs/rules.toml", "rb"))["rule"]
with open(sys.argv[1], "w") as f:
    for r in rules:
        f.write(re.sub(r"\(\?P<[a-z_0-9]+>", "(", r["regex"]) + "\n")
print(f"{len(rules)} rule patterns")
PY

echo
echo "== analyze vs rg -c vs cat (page cache warm) =="
[ -n "${LIVE_ONLY:-}" ] && SMALL_LARGE="" || SMALL_LARGE="$SMALL $LARGE"
for mb in $SMALL_LARGE; do
  LOG="$OUT/log-$mb.log"
  echo "-- $LOG ($(du -m "$LOG" | cut -f1) MiB, $(wc -l < "$LOG") lines)"
  cat "$LOG" > /dev/null
  "$BIN" --json analyze "$LOG" | tail -1 | python3 -c 'import json,sys; s=json.load(sys.stdin); print("voipctl: %d lines, %d events" % (s["lines"], s["events"]))'
  echo "rg -c: $(rg -c -f "$OUT/patterns.txt" "$LOG") matching lines"
  hyperfine --warmup 1 --runs "${RUNS:-5}" \
    --command-name "voipctl analyze ($mb MiB)" "$BIN --json analyze $LOG" \
    --command-name "rg -c, same patterns ($mb MiB)" "rg -c -f $OUT/patterns.txt $LOG" \
    --command-name "cat > /dev/null ($mb MiB)" "cat $LOG" \
    --export-markdown "$OUT/analyze-$mb.md"
done

echo
echo "== CPU time (user+sys, GNU time, ${RUNS:-5} runs each, alternating) and peak RSS =="
# On a shared machine wall time depends on the neighbours; CPU time is the fairer comparison.
for mb in $SMALL_LARGE; do
  LOG="$OUT/log-$mb.log"
  : > "$OUT/cpu-$mb.txt"
  for _ in $(seq "${RUNS:-5}"); do
    { /usr/bin/time -f "voipctl %U %S %M" "$BIN" --json analyze "$LOG" >/dev/null; } 2>>"$OUT/cpu-$mb.txt"
    { /usr/bin/time -f "rg %U %S %M" rg -c -f "$OUT/patterns.txt" "$LOG" >/dev/null; } 2>>"$OUT/cpu-$mb.txt"
    { /usr/bin/time -f "cat %U %S %M" cat "$LOG" >/dev/null; } 2>>"$OUT/cpu-$mb.txt"
  done
  python3 - "$mb" "$OUT/cpu-$mb.txt" <<'PY'
import statistics, sys
mb, path = sys.argv[1], sys.argv[2]
runs = {}
for line in open(path):
    p = line.split()
    if len(p) == 4 and p[0] in ("voipctl", "rg", "cat"):
        runs.setdefault(p[0], []).append((float(p[1]) + float(p[2]), int(p[3])))
for tool in ("voipctl", "rg", "cat"):
    cpu = [c for c, _ in runs.get(tool, [])]
    rss = max((m for _, m in runs.get(tool, [])), default=0)
    if cpu:
        print(f"{mb} MiB {tool:8}: CPU min {min(cpu):.2f} s, median {statistics.median(cpu):.2f} s; peak RSS {rss / 1024:.1f} MiB")
PY
done

echo
echo "== live: $RATE lines/s for ${LIVE}s from the simulator =="
N=$((RATE * LIVE))
SCEN="$OUT/live-$RATE.toml"
cat > "$SCEN" <<TOML
clock = "first-log-client"
[[device]]
udid = "00008110-00BE0C4000000001"
name = "Bench iPhone"
[[device.log]]
at = "0.5s"
process = "LegacyPhone"
pid = 412
message = "VOIPCTL keepalive.begin"
[[device.log]]
at = "0.5s"
process = "wifid"
pid = 61
message = "WiFi: Processing link quality event: rssi=-58 txRate=144.0 rxRate=130.0 caf\u00e9"
repeat = $N
every = "$(python3 -c "print(f'{1/$RATE:.6f}')")"
[[device.log]]
at = "$((LIVE + 1))s"
process = "LegacyPhone"
pid = 412
message = "VOIPCTL keepalive.end"
TOML
EXPECT=$((N + 2))

sim_start() {
  "$BIN" sim "$SCEN" > "$OUT/sim.out" 2>&1 &
  SIM=$!
  for _ in $(seq 100); do grep -q USBMUXD_SOCKET_ADDRESS= "$OUT/sim.out" && break; sleep 0.1; done
  export USBMUXD_SOCKET_ADDRESS=$(grep -o 'USBMUXD_SOCKET_ADDRESS=[^ ]*' "$OUT/sim.out" | head -1 | cut -d= -f2)
}
sim_stop() { kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; }

for src in os_trace_relay syslog_relay; do
  sim_start
  extra=()
  [ "$src" = syslog_relay ] && extra=(--syslog-relay)
  /usr/bin/time -f "%U %S %e" -o "$OUT/watch-$src.time" \
    "$BIN" --json watch "${extra[@]}" --duration $((LIVE + 4)) > "$OUT/watch-$src.jsonl"
  sim_stop
  read -r u s e < <(tail -1 "$OUT/watch-$src.time")
  got=$(tail -1 "$OUT/watch-$src.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lines"])')
  python3 - "$src" "$got" "$EXPECT" "$u" "$s" "$LIVE" <<'PY'
import sys
src, got, want, u, s, live = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
print(f"voipctl watch ({src}): {got}/{want} lines received ({'nothing dropped' if got == want else f'{want-got} MISSING'}), "
      f"CPU {u+s:.2f} s = {(u+s)/max(got,1)*1e6:.2f} us/line")
PY
done

sim_start
/usr/bin/time -f "%U %S %e" -o "$OUT/idevicesyslog.time" \
  timeout -s INT $((LIVE + 4)) idevicesyslog --no-colors > "$OUT/idevicesyslog.txt" || true
sim_stop
read -r u s e < <(tail -1 "$OUT/idevicesyslog.time")
got=$(grep -c -e 'Processing link quality' -e VOIPCTL "$OUT/idevicesyslog.txt" || true)
python3 - "$got" "$EXPECT" "$u" "$s" <<'PY'
import sys
got, want, u, s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"idevicesyslog (syslog_relay): {got}/{want} lines received, CPU {u+s:.2f} s = {(u+s)/max(got,1)*1e6:.2f} us/line")
PY
