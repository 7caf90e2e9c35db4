#!/usr/bin/env bash
# Run every cargo-fuzz target (or the ones named) for SECONDS each, one after the other, starting
# from the committed seeds (fuzz/seeds/<target>, made by fuzz/make_seeds.py) and the corpus that
# earlier runs left in fuzz/corpus/<target>. Records runs and coverage per target:
#
#   fuzz/run.sh [SECONDS] [TARGET...]          # default: 600 s each, every target
#   NICE=19 FUZZ_TARGET_DIR=/tmp/fz fuzz/run.sh 180
#   PARALLEL=2 fuzz/run.sh 600                  # two targets at a time (one core each)
#   SUMMARY=out/run2.tsv fuzz/run.sh 600 sip    # a second run beside the first, own summary
#   TIMEOUT=60 fuzz/run.sh 600 log_rules        # per-input limit in s (wall clock; default 10)
#
# Output: fuzz/out/<target>.log (libFuzzer's output) and fuzz/out/summary.tsv (or $SUMMARY)
# (target, seconds, runs, cov, ft, corpus, crashes, slow), printed as a table at the end. A crash,
# timeout, out-of-memory or leak leaves its input in fuzz/artifacts/<target>/ (crashes); turn it
# into a regression test, fix it, run again. `slow` counts libFuzzer's slow-unit-* files (an input
# that took more than 10 s of wall clock): on a niced run beside other work they are usually the
# machine, so replay one alone before calling it a bug.
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly compiler or RUSTC_BOOTSTRAP=1.
set -euo pipefail

cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
case $SECONDS_EACH in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS] [TARGET...] (SECONDS is a whole number)" >&2
    exit 2
    ;;
esac
NICE=${NICE:-19}
PARALLEL=${PARALLEL:-1}
case $PARALLEL in
'' | *[!0-9]* | 0)
    echo "fuzz/run.sh: PARALLEL must be a whole number of at least 1" >&2
    exit 2
    ;;
esac
export RUSTC_BOOTSTRAP=1
TARGET_ARGS=()
if [[ -n ${FUZZ_TARGET_DIR:-} ]]; then
    TARGET_ARGS=(--target-dir "$FUZZ_TARGET_DIR")
fi

if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo fuzz list)
fi

# Every target at once: one build of the library with the fuzzing instrumentation.
nice -n "$NICE" cargo fuzz build "${TARGET_ARGS[@]}"

mkdir -p out
SUMMARY=${SUMMARY:-out/summary.tsv}
printf 'target\tseconds\truns\tcov\tft\tcorpus\tcrashes\tslow\n' >"$SUMMARY"

# One target: run it, append its row to the summary (one short write: safe beside other jobs).
run_one() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    local seeds=()
    [[ -d seeds/$t ]] && seeds=("seeds/$t")
    local before start status=0
    before=$(find "artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l)
    local slow_before
    slow_before=$(find "artifacts/$t" -type f -name 'slow-unit-*' | wc -l)
    start=$(date +%s)
    nice -n "$NICE" cargo fuzz run "${TARGET_ARGS[@]}" "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout="${TIMEOUT:-10}" -rss_limit_mb=2048 \
        >"out/$t.log" 2>&1 || status=$?
    local took runs last cov ft corp crashes slow
    took=$(($(date +%s) - start))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "out/$t.log" | grep -o '[0-9]*$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+' "out/$t.log" | tail -1 || true)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | cut -d' ' -f2 || true)
    crashes=$(($(find "artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l) - before))
    slow=$(($(find "artifacts/$t" -type f -name 'slow-unit-*' | wc -l) - slow_before))
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then
        crashes="exit $status"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$took" "${runs:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$crashes" "$slow" >>"$SUMMARY"
    printf '%-18s %5ss  runs %-10s cov %-6s ft %-6s corpus %-10s crashes %s slow %s\n' "$t" \
        "$took" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$slow" >&2
}

for t in "${TARGETS[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $PARALLEL ]]; do
        wait -n || true
    done
    run_one "$t" &
done
wait
# Rows by target name, whatever order the jobs ended in.
{
    head -1 "$SUMMARY"
    tail -n +2 "$SUMMARY" | sort
} >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"
column -t -s $'\t' "$SUMMARY"
