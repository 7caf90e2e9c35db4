#!/usr/bin/env bash
# Benchmark (not a test) of `--format html` on the generated benchmark logs (benches/gen_log.py,
# the same logs as benches/analyze.sh), per size:
#  1. voipctl: wall and CPU time and peak RSS of `analyze --format html` against `--json` on
#     the same log, and the report's size in bytes;
#  2. the browser: headless chromium opening the report and drawing it (a screenshot forces
#     layout and paint), against the same chromium on an empty page — the difference is what the
#     report costs to load. Median of RUNS runs (default 5).
#
#   bash benches/html.sh [SIZE_MB...]     # default: 100 1024
#
# Needs: python3, GNU time, chromium (CHROMIUM=/path/to/chrome for another one). VOIPCTL=path
# benchmarks that binary instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] && SIZES=("$@") || SIZES=(100 1024)
RUNS=${RUNS:-5}
OUT=benches/out
CHROMIUM=${CHROMIUM:-chromium}
mkdir -p "$OUT"
command -v "$CHROMIUM" >/dev/null || { echo "benches/html.sh: $CHROMIUM not found; install it with: sudo apt-get install chromium" >&2; exit 2; }

if [ -n "${VOIPCTL:-}" ]; then
  BIN=$VOIPCTL
else
  cargo build --release --locked --bin voipctl
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/voipctl
fi
echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>empty</title></head><body></body></html>' > "$OUT/empty.html"

for mb in "${SIZES[@]}"; do
  LOG="$OUT/log-$mb.log"
  [ -f "$LOG" ] || python3 benches/gen_log.py "$LOG" "$mb"
  cat "$LOG" > /dev/null
  echo
  echo "== $LOG ($(du -m "$LOG" | cut -f1) MiB) =="
  /usr/bin/time -f "json %e %U %S %M" -o "$OUT/html-time-$mb.txt" "$BIN" --json analyze "$LOG" > "$OUT/report-$mb.jsonl"
  /usr/bin/time -a -f "html %e %U %S %M" -o "$OUT/html-time-$mb.txt" "$BIN" analyze "$LOG" --format html > "$OUT/report-$mb.html"
  python3 - "$OUT/html-time-$mb.txt" "$OUT/report-$mb.html" "$OUT/report-$mb.jsonl" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 5 and p[0] in ("json", "html"):
        print(f"voipctl analyze --{'json' if p[0] == 'json' else 'format html'}: wall {float(p[1]):.2f} s, CPU {float(p[2]) + float(p[3]):.2f} s, peak RSS {int(p[4]) / 1024:.0f} MiB")
summary = json.loads(open(sys.argv[3]).read().splitlines()[-1])
print(f"log: {summary['lines']} lines, {summary['events']} events; JSON output {os.path.getsize(sys.argv[3]) / 1e6:.1f} MB; "
      f"HTML report {os.path.getsize(sys.argv[2]) / 1e6:.2f} MB")
PY
  python3 - "$CHROMIUM" "$RUNS" "$OUT/report-$mb.html" "$OUT/empty.html" "$OUT" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time
chromium, runs, report, empty, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
         "--hide-scrollbars", "--window-size=1400,1000"]
def load(page, png):
    prof = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        subprocess.run([chromium, *flags, f"--user-data-dir={prof}", f"--screenshot={png}",
                        "file://" + os.path.abspath(page)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        return time.perf_counter() - t
    finally:
        shutil.rmtree(prof, ignore_errors=True)
r, e = [], []
for _ in range(runs):  # alternate, so that neighbours' load hits both alike
    e.append(load(empty, os.path.join(out, "empty.png")))
    r.append(load(report, report[:-5] + ".png"))
me, mr = statistics.median(e), statistics.median(r)
print(f"chromium (headless, open + draw + screenshot), median of {runs}: report {mr:.2f} s, empty page {me:.2f} s "
      f"-> the report costs {mr - me:.2f} s (min {min(r) - min(e):.2f} s)")
PY
done
