#!/usr/bin/env bash
# Benchmark of `voipctl push`, in one run: N (10,000) VoIP pushes to the same local APNs
# look-alike (tests/support/apns_server.rs: HTTP/2 over TLS, JWT verified) from
#   - voipctl (release build),
#   - the `a2` crate 0.10 (benches/apns-bench, crates.io only),
#   - Python `aioapns` 4.0 (PyPI),
# reporting wall time, pushes/s, CPU time and peak RSS of each, and the server's CPU time (GNU
# time), R rounds each (the order of the clients turns every round), medians shown.
#
# a2 and aioapns only talk to api.push.apple.com:443, so everything runs in a private network and
# mount namespace (unshare) where that name resolves to 127.0.0.1 (a bind-mounted /etc/hosts):
# no library is patched. aioapns takes an ssl_context with the benchmark CA; a2 trusts only the
# webpki-roots list, which benches/apns-bench replaces (a [patch] of webpki-roots, the only change)
# with the benchmark CA. voipctl uses --env production --ca-cert, i.e. the same host name.
#
# When nghttp2's `h2load` is installed (Debian: nghttp2-client), it runs too, as a reference
# rather than a peer: a C load generator sending the same requests (same headers, a JWT signed
# with the same key), i.e. about what this server takes from one connection.
#
# Needs: root (for unshare), python3, openssl, /usr/bin/time. Usage:
#   bash benches/push.sh [N] [ROUNDS]
#   SKIP_BUILD=1 ...   reuse the release binaries and the CA that a2-bench was built with
#   BUSY=K ...         K busy loops run beside the benchmark (a loaded machine, reproducibly)
#   SERVER_THREADS=N   serve on a multi-thread runtime with N workers instead of one thread
#
# The server runs on one thread by default: it stands in for APNs, which runs on other
# machines, so it should take as little of this one as it can. On a multi-thread runtime the
# same server needs half as much CPU again (its h2 stream tasks move between the workers) and
# spreads over both cores, so the run measures how the clients share two cores with it more
# than the clients themselves. SERVER_THREADS=2 gives the earlier setting, for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10000}
R=${2:-3}
OUT=$ROOT/benches/out
export CARGO_TARGET_DIR=$ROOT/target

if [ "${1:-}" != "--inner" ]; then
  [[ "${SERVER_THREADS:-0}" =~ ^[0-9]+$ ]] || { echo "SERVER_THREADS=$SERVER_THREADS: give a number of worker threads" >&2; exit 2; }
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
export APNS_BENCH_THREADS=${SERVER_THREADS:-0}
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
  /usr/bin/time -f "%U %S" -o "$OUT/server-time-$name.txt" \
    "$BIN/apns-bench-server" serve "$OUT/pki" 127.0.0.1:443 < "$OUT/server.fifo" > "$OUT/server.out" 2> "$OUT/server-$name.err" &
  local spid=$!
  exec 3> "$OUT/server.fifo"
  until grep -q listening "$OUT/server.out" 2>/dev/null; do
    kill -0 "$spid" 2> /dev/null || { echo "the server did not start:"; cat "$OUT/server-$name.err"; exit 1; }
    sleep 0.05
  done
  /usr/bin/time -f "%e %M %U %S" -o "$OUT/time-$name.txt" "$@" > "$OUT/out-$name.txt" 2> "$OUT/err-$name.txt" || {
    echo "$name failed:"; tail -5 "$OUT/err-$name.txt"; }
  exec 3>&-
  wait "$spid" || true
  read -r secs rss user sys < <(tail -1 "$OUT/time-$name.txt")
  cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
  scpu=$(awk '{printf "%.2f", $1 + $2}' "$OUT/server-time-$name.txt")
  echo "$name $secs $rss $cpu $scpu $(cat "$OUT/server-$name.err")" >> "$OUT/results.txt"
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
# A fresh ES256 provider token for h2load (header.claims signed by openssl, DER → r||s).
jwt() {
  python3 - "$KEY" "$KID" "$TEAM" <<'PY'
import base64, json, subprocess, sys, time
key, kid, team = sys.argv[1:4]
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
msg = b(json.dumps({"alg": "ES256", "kid": kid}).encode()) + "." + b(json.dumps({"iss": team, "iat": int(time.time())}).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=msg.encode(), capture_output=True, check=True).stdout
i = 3 if der[1] & 0x80 else 2
ints = []
for _ in range(2):
    n = der[i + 1]; ints.append(int.from_bytes(der[i + 2:i + 2 + n], "big")); i += 2 + n
print(msg + "." + b(b"".join(v.to_bytes(32, "big") for v in ints)))
PY
}
run_h2load() {
  awk '{print "https://api.push.apple.com/3/device/" $1}' "$OUT/tokens.txt" > "$OUT/uris.txt"
  printf '{"aps":{}}' > "$OUT/payload.json"
  run_one h2load h2load -n "$N" -c 1 -t 1 -m 1000 -i "$OUT/uris.txt" -d "$OUT/payload.json" \
    -H "authorization: bearer $(jwt)" -H "apns-topic: $TOPIC" -H "apns-push-type: voip" \
    -H "apns-priority: 10" -H "apns-expiration: 0"
}

CLIENTS=(voipctl a2 aioapns)
command -v h2load > /dev/null && CLIENTS+=(h2load)
BUSY_PIDS=()
for _ in $(seq 1 "${BUSY:-0}"); do bash -c 'while :; do :; done' & BUSY_PIDS+=($!); done
[ ${#BUSY_PIDS[@]} -eq 0 ] || trap 'kill ${BUSY_PIDS[*]} 2> /dev/null' EXIT

: > "$OUT/results.txt"
# The order of the clients turns every round, so that none always runs first (or right after
# aioapns' eight seconds of Python).
K=${#CLIENTS[@]}
for round in $(seq 1 "$R"); do
  for k in $(seq 0 $((K - 1))); do
    "run_${CLIENTS[$(( (round + k) % K ))]}"
  done
done

echo
server="one thread"
[ "${SERVER_THREADS:-0}" = 0 ] || server="${SERVER_THREADS} worker threads"
echo "$N VoIP pushes to a local HTTP/2 TLS APNs look-alike (server on $server), $R rounds, ${BUSY:-0} busy loops beside (medians; CPU = user + sys):"
printf '%-8s %10s %12s %8s %14s %13s   %s\n' client "wall s" "pushes/s" "CPU s" "peak RSS MiB" "server CPU s" "server counters (median round)"
for name in "${CLIENTS[@]}"; do
  grep "^$name " "$OUT/results.txt" | awk -v n="$N" -v name="$name" '
    { s[NR]=$2; m[NR]=$3; c[NR]=$4; sc[NR]=$5; line[NR]=$0 }
    function median(a, k,  i, j, t, b) { for (i = 1; i <= k; i++) b[i] = a[i];
      for (i = 2; i <= k; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j+1] = b[j]; b[j+1] = t }
      return b[int((k + 1) / 2)] }
    END { w = median(s, NR); rest = "";
          for (i = 1; i <= NR; i++) if (s[i] == w) { rest = line[i]; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", rest); break }
          printf "%-8s %10.3f %12.0f %8.2f %14.1f %13.2f  %s\n", name, w, n/w, median(c, NR), median(m, NR)/1024, median(sc, NR), rest }'
done
python3 - "$OUT/results.txt" <<'PY'
# Spread of the rounds, and voipctl's median wall time over the faster peer's, with a bootstrap
# 95 % interval (resampling the rounds of both): the rounds vary more than the clients differ.
import collections, random, statistics as st, sys
walls = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    walls[p[0]].append(float(p[1]))
for name, w in walls.items():
    print(f"  {name:8} rounds {min(w):.3f}-{max(w):.3f} s")
peers = [n for n in ("a2", "aioapns") if walls.get(n)]
if walls.get("voipctl") and peers:
    best = min(peers, key=lambda n: st.median(walls[n]))
    v, b = walls["voipctl"], walls[best]
    rnd = random.Random(7)
    ratios = sorted(st.median(rnd.choices(v, k=len(v))) / st.median(rnd.choices(b, k=len(b))) for _ in range(4000))
    print(f"voipctl / {best} (the faster peer), median wall: {st.median(v) / st.median(b):.3f}"
          f"  (95 % bootstrap interval {ratios[100]:.3f}-{ratios[3899]:.3f})")
PY
echo "every round (client wall_s peak_rss_KiB cpu_s server_cpu_s server-counters): $OUT/results.txt"
