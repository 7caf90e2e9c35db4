#!/usr/bin/env bash
# Benchmark (not a test): N lines that are all VoIP events through `voipctl analyze -` (read from
# standard input, as a stream), to show that peak memory does not depend on the number of events
# (issue 17: the tracker keeps per-app aggregates and the last events, not every event), against
# the peer of benches/analyze.sh, `rg -c` with the same rule patterns, in the same run.
#
#   bash benches/analyze_events.sh [N...]              # default: 1000000 10000000
#   BIN=target/release/voipctl RUNS=3 bash benches/analyze_events.sh 1000000
#
# The logs are generated once by benches/gen_events.py into $DATA (default /tmp/voipctl-events;
# 10 M lines are ~1 GiB: kept out of the repository) and read from the page cache. For each N,
# RUNS times, alternating: voipctl from stdin, rg -c from stdin (same streaming read), rg -c on the
# file (as in benches/analyze.sh; ripgrep may map the file, which counts in its RSS).
# Needs python3, ripgrep and GNU time. Results: benches/out/events-N.{cpu,summary.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1000000 10000000)
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/voipctl-events}
OUT=benches/out
mkdir -p "$OUT" "$DATA"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --bin voipctl
  BIN=${CARGO_TARGET_DIR:-target}/release/voipctl
fi

# The same patterns for ripgrep as benches/analyze.sh: every rule's regex, named groups plain.
python3 - "$OUT/patterns.txt" <<'PY'
import re, sys, tomllib
rules = tomllib.load(open("src/logs/rules.toml", "rb"))["rule"]
with open(sys.argv[1], "w") as f:
    for r in rules:
        f.write(re.sub(r"\(\?P<[a-z_0-9]+>", "(", r["regex"]) + "\n")
print(f"{len(rules)} rule patterns")
PY

for n in "${COUNTS[@]}"; do
  LOG="$DATA/events-$n.log"
  if [ ! -f "$LOG" ]; then
    python3 benches/gen_events.py "$n" > "$LOG.part"
    mv "$LOG.part" "$LOG"
  fi
  cat "$LOG" > /dev/null
  CPU="$OUT/events-$n.cpu"
  : > "$CPU"
  for _ in $(seq "$RUNS"); do
    { /usr/bin/time -f "voipctl %e %U %S %M" "$BIN" --json analyze - < "$LOG" |
      tail -1 > "$OUT/events-$n.summary.json" || true; } 2>> "$CPU"
    { /usr/bin/time -f "rg-stdin %e %U %S %M" rg -c -f "$OUT/patterns.txt" < "$LOG" > "$OUT/events-$n.rg" || true; } 2>> "$CPU"
    { /usr/bin/time -f "rg-file %e %U %S %M" rg -c -f "$OUT/patterns.txt" "$LOG" > /dev/null || true; } 2>> "$CPU"
  done
  python3 - "$n" "$LOG" "$CPU" "$OUT/events-$n.summary.json" "$OUT/events-$n.rg" <<'PY'
import json, os, statistics, sys
n, log, cpu, summary, rg = sys.argv[1:]
s = json.load(open(summary))
print(f"-- {int(n):,} lines ({os.path.getsize(log) / 2**20:,.0f} MiB): voipctl {s['lines']:,} lines, "
      f"{s['events']:,} events; rg -c {int(open(rg).read().strip() or 0):,} matching lines")
runs = {}
for line in open(cpu):
    p = line.split()
    if len(p) == 5 and p[0] in ("voipctl", "rg-stdin", "rg-file"):
        runs.setdefault(p[0], []).append((float(p[1]), float(p[2]) + float(p[3]), int(p[4])))
for tool in ("voipctl", "rg-stdin", "rg-file"):
    r = runs.get(tool, [])
    if r:
        wall = [w for w, _, _ in r]
        cpu_s = [c for _, c, _ in r]
        rss = max(m for _, _, m in r)
        print(f"{tool:9} CPU min {min(cpu_s):6.2f} s, median {statistics.median(cpu_s):6.2f} s; "
              f"wall median {statistics.median(wall):6.2f} s; peak RSS {rss / 1024:7.1f} MiB")
PY
done
