#!/usr/bin/env bash
# Benchmark of `voipctl push`, in one run: N (10,000) VoIP pushes to the same local APNs
# look-alike (tests/support/apns_server.rs: HTTP/2 over TLS, JWT verified) from
#   - voipctl (release build),
#   - the `a2` crate 0.10 (benches/apns-bench, crates.io only),
#   - Python `aioapns` 4.0 (PyPI),
# reporting wall time, pushes/s, CPU time and peak RSS of each (GNU time), R rounds each (the
# order of the clients turns every round), medians shown.
#
# a2 and aioapns only talk to api.push.apple.com:443, so everything runs in a private network and
# mount namespace (unshare) where that name resolves to 127.0.0.1 (a bind-mounted /etc/hosts):
# no library is patched. aioapns takes an ssl_context with the benchmark CA; a2 trusts only the
# webpki-roots list, which benches/apns-bench replaces (a [patch] of webpki-roots, the only change)
# with the benchmark CA. voipctl uses --env production --ca-cert, i.e. the same host name.
#
# Needs: root (for unshare), python3, /usr/bin/time. Usage: bash benches/push.sh [N] [ROUNDS]
# (SKIP_BUILD=1 reuses the release binaries and the CA that a2-bench was built with.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10000}
R=${2:-3}
OUT=$ROOT/benches/out
export CARGO_TARGET_DIR=$ROOT/target

if [ "${1:-}" != "--inner" ]; then
  mkdir -p "$OUT"
  python3 -c 'import aioapns' 2>/dev/null || python3 -m pip install -q aioapns==4.0
  if [ -z "${SKIP_BUILD:-}" ]; then  # SKIP_BUILD=1: reuse the binaries and CA of the last run
    cargo build --release --locked --bin voipctl
    (cd benches/apns-bench && cargo build --release --bin apns-bench-server)
    rm -rf "$OUT/pki"
    "$CARGO_TARGET_DIR/release/apns-bench-server" gen "$OUT/pki"
    (cd benches/apns-bench && BENCH_CA_DER="$OUT/pki/ca.der" cargo build --release --bin a2-bench)
  fi
  for i in $(seq 0 $((N - 1))); do printf '%064x\n' "$i"; done > "$OUT/tokens.txt"
  exec unshare --net --mount --fork bash "$0" --inner "$N" "$R"
fi

# ---- inside the namespace ----
N=$2
R=$3
ip link set lo up
echo "127.0.0.1 localhost api.push.apple.com api.sandbox.push.apple.com api.development.push.apple.com" > "$OUT/hosts"
mount --bind "$OUT/hosts" /etc/hosts

BIN=$CARGO_TARGET_DIR/release
KEY=$OUT/pki/AuthKey.p8
KID=ABC123DEFG
TEAM=TEAM123456
TOPIC=com.example.app.voip

run_one() { # name command...
  local name=$1; shift
  rm -f "$OUT/server.fifo"; mkfifo "$OUT/server.fifo"
  "$BIN/apns-bench-server" serve "$OUT/pki" 127.0.0.1:443 < "$OUT/server.fifo" > "$OUT/server.out" 2> "$OUT/server-$name.err" &
  local spid=$!
  exec 3> "$OUT/server.fifo"
  until grep -q listening "$OUT/server.out" 2>/dev/null; do sleep 0.05; done
  /usr/bin/time -f "%e %M %U %S" -o "$OUT/time-$name.txt" "$@" > "$OUT/out-$name.txt" 2> "$OUT/err-$name.txt" || {
    echo "$name failed:"; tail -5 "$OUT/err-$name.txt"; }
  exec 3>&-
  wait "$spid" || true
  read -r secs rss user sys < <(tail -1 "$OUT/time-$name.txt")
  cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
  echo "$name $secs $rss $cpu $(cat "$OUT/server-$name.err")" >> "$OUT/results.txt"
}

run_voipctl() {
  run_one voipctl "$BIN/voipctl" --json push --env production --ca-cert "$OUT/pki/ca.pem" \
    --key "$KEY" --key-id $KID --team-id $TEAM --bundle com.example.app \
    --payload '{"aps":{}}' --tokens-file "$OUT/tokens.txt"
  mv "$OUT/out-voipctl.txt" "$OUT/voipctl.jsonl"
}
run_a2() { run_one a2 "$BIN/a2-bench" "$KEY" $KID $TEAM $TOPIC "$N" 1000; }
run_aioapns() {
  run_one aioapns python3 benches/aioapns_bench.py "$KEY" $KID $TEAM $TOPIC "$N" "$OUT/pki/ca.pem"
}

: > "$OUT/results.txt"
# The order of the clients turns every round, so that none always runs first (or right after
# aioapns' eight seconds of Python).
for round in $(seq 1 "$R"); do
  case $((round % 3)) in
    1) run_voipctl; run_a2; run_aioapns ;;
    2) run_a2; run_aioapns; run_voipctl ;;
    0) run_aioapns; run_voipctl; run_a2 ;;
  esac
done

echo
echo "$N VoIP pushes to a local HTTP/2 TLS APNs look-alike, $R rounds (medians; CPU = user + sys):"
printf '%-8s %10s %12s %8s %14s   %s\n' client "wall s" "pushes/s" "CPU s" "peak RSS MiB" "server counters (median round)"
for name in voipctl a2 aioapns; do
  grep "^$name " "$OUT/results.txt" | awk -v n="$N" -v name="$name" '
    { s[NR]=$2; m[NR]=$3; c[NR]=$4; line[NR]=$0 }
    function median(a, k,  i, j, t, b) { for (i = 1; i <= k; i++) b[i] = a[i];
      for (i = 2; i <= k; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j+1] = b[j]; b[j+1] = t }
      return b[int((k + 1) / 2)] }
    END { w = median(s, NR); rest = "";
          for (i = 1; i <= NR; i++) if (s[i] == w) { rest = line[i]; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", rest); break }
          printf "%-8s %10.3f %12.0f %8.2f %14.1f  %s\n", name, w, n/w, median(c, NR), median(m, NR)/1024, rest }'
done
echo "every round (client wall_s peak_rss_KiB cpu_s server-counters): $OUT/results.txt"
