#!/usr/bin/env bash
# Benchmark (not a test): `voipctl check` on a ~300 MB .ipa with a ~60 MB main executable and
# SDK_MB of embedded frameworks (five SDKs under Frameworks/), against `unzip -p` extracting just
# the members check reads (Info.plist, the executable, each framework's executable), in the same
# run. Reports wall time (hyperfine when installed, else repeated runs) and peak RSS
# (/usr/bin/time -v) for both.
#
#   bash benches/check.sh [EXE_MB] [TOTAL_MB] [SDK_MB]      # defaults: 60 300 50
#
# Needs: unzip, /usr/bin/time (GNU time); hyperfine optional (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
EXE_MB=${1:-60}
TOTAL_MB=${2:-300}
SDK_MB=${3:-50}
OUT=benches/out
mkdir -p "$OUT"
IPA="$OUT/Bench-${EXE_MB}-${TOTAL_MB}-${SDK_MB}.ipa"

cargo build --release --locked --bin voipctl --example gen_samples
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/voipctl
if [ ! -f "$IPA" ]; then
  "$TARGET"/release/examples/gen_samples --bench "$IPA" "$EXE_MB" "$TOTAL_MB" "$SDK_MB"
fi
# The framework executables: Payload/Phone.app/Frameworks/X.framework/X.
mapfile -t SDKS < <(unzip -Z1 "$IPA" | awk -F/ '$3=="Frameworks" && NF==5 && $5".framework"==$4')
sdk_bytes=0
for f in "${SDKS[@]}"; do
  sdk_bytes=$((sdk_bytes + $(unzip -Z -l "$IPA" "$f" | awk 'NR==1{print $4}')))
done
echo "ipa: $IPA ($(du -m "$IPA" | cut -f1) MB; executable $(unzip -l "$IPA" Payload/Phone.app/Phone | awk 'NR==4{printf "%.1f MB", $1/1048576}'); ${#SDKS[@]} framework executables, $((sdk_bytes / 1048576)) MB)"

CHECK=("$BIN" check --json "$IPA")
UNZIP=(unzip -p "$IPA" Payload/Phone.app/Info.plist Payload/Phone.app/Phone "${SDKS[@]}")

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
