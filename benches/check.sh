#!/usr/bin/env bash
# Benchmark (not a test): `voipctl check` on a ~300 MB .ipa with a ~60 MB main executable, against
# `unzip -p` extracting just Info.plist and the executable, in the same run. Reports wall time
# (hyperfine when installed, else repeated runs) and peak RSS (/usr/bin/time -v) for both.
#
#   bash benches/check.sh [EXE_MB] [TOTAL_MB]      # defaults: 60 300
#
# Needs: unzip, /usr/bin/time (GNU time); hyperfine optional (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
EXE_MB=${1:-60}
TOTAL_MB=${2:-300}
OUT=benches/out
mkdir -p "$OUT"
IPA="$OUT/Bench-${EXE_MB}-${TOTAL_MB}.ipa"

cargo build --release --locked --bin voipctl --example gen_samples
BIN=target/release/voipctl
if [ ! -f "$IPA" ]; then
  target/release/examples/gen_samples --bench "$IPA" "$EXE_MB" "$TOTAL_MB"
fi
echo "ipa: $IPA ($(du -m "$IPA" | cut -f1) MB; executable $(unzip -l "$IPA" Payload/Phone.app/Phone | awk 'NR==4{printf "%.1f MB", $1/1048576}'))"

CHECK=("$BIN" check --json "$IPA")
UNZIP=(unzip -p "$IPA" Payload/Phone.app/Info.plist Payload/Phone.app/Phone)

# Both must work before timing them.
"${CHECK[@]}" >/dev/null
"${UNZIP[@]}" >/dev/null

echo
echo "== wall time =="
if command -v hyperfine >/dev/null; then
  # hyperfine discards the commands' output itself.
  hyperfine --warmup 2 --runs "${RUNS:-10}" \
    --command-name "voipctl check" "${CHECK[*]}" \
    --command-name "unzip -p Info.plist + executable" "${UNZIP[*]}" \
    --export-markdown "$OUT/check-bench.md"
else
  for name in check unzip; do
    for _ in 1 2 3 4 5; do
      if [ "$name" = check ]; then /usr/bin/time -f "$name %e s" "${CHECK[@]}" >/dev/null; else
        /usr/bin/time -f "$name %e s" "${UNZIP[@]}" >/dev/null; fi
    done
  done
fi

echo
echo "== peak RSS (max of 3 runs) =="
rss() {
  local max=0 v
  for _ in 1 2 3; do
    v=$({ /usr/bin/time -f "%M" "$@" >/dev/null; } 2>&1 | tail -1)
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$max"
}
echo "voipctl check: $(rss "${CHECK[@]}") KiB"
echo "unzip -p:      $(rss "${UNZIP[@]}") KiB"
