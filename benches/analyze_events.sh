#!/usr/bin/env bash
# Benchmark (not a test): stream N lines that are all VoIP events through `voipctl analyze -`
# (standard input; nothing on disk) and report the peak RSS, to show whether memory depends on
# the number of events (issue 17: it should not).
#
#   bash benches/analyze_events.sh [N...]              # default: 100000 1000000 10000000
#   BIN=target/debug/voipctl bash benches/analyze_events.sh 1000000
#
# Needs python3 and GNU time. Results: benches/out/events-N.{time,summary.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(100000 1000000 10000000)
OUT=benches/out
mkdir -p "$OUT"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --bin voipctl
  BIN=${CARGO_TARGET_DIR:-target}/release/voipctl
fi

printf '%-10s %-10s %-12s %-9s %-9s %s\n' lines events "peak RSS" wall CPU "bytes/event"
for n in "${COUNTS[@]}"; do
  python3 benches/gen_events.py "$n" |
    /usr/bin/time -f '%M %e %U %S' -o "$OUT/events-$n.time" "$BIN" --json analyze - |
    tail -1 > "$OUT/events-$n.summary.json" || true
  read -r kib wall user sys < "$OUT/events-$n.time"
  events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$OUT/events-$n.summary.json")
  printf '%-10s %-10s %-12s %-9s %-9s %s\n' "$n" "$events" "$((kib / 1024)) MiB" "${wall}s" \
    "$(python3 -c "print(round($user + $sys, 2))")s" "$(python3 -c "print(round($kib * 1024 / max($events, 1)))")"
done
