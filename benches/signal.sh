#!/usr/bin/env bash
# OPTIONS round trips per second against kamailio over UDP and TCP: voipctl (release) vs sipsak,
# in one run on one kamailio. Usage: bash benches/signal.sh [N_INPROCESS] [N_PER_PROCESS]
#
# Method (see README "Benchmarks"):
#  1. per process — one OPTIONS round trip per process, run sequentially M times, for both tools
#     (`sipsak -s URI` and `voipctl signal send URL`): the only sequential OPTIONS mode sipsak has,
#     so this is the head-to-head figure; it includes process start-up for both.
#  2. in process — voipctl sends N OPTIONS back to back on one socket/connection
#     (`--count N --interval 0`), each waiting for its 200 before the next.
#  3. sipsak flood (`-F -e N`) for reference: it sends without waiting for replies (its Via points
#     at the discard port), so it measures send rate, not round trips.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-300}
OUT=benches/out
mkdir -p "$OUT"
command -v kamailio >/dev/null || { echo "install kamailio (apt-get install kamailio)" >&2; exit 1; }
command -v sipsak >/dev/null || { echo "install sipsak (apt-get install sipsak)" >&2; exit 1; }
cargo build --release --locked -q
VOIPCTL=target/release/voipctl

MODS=$(dirname "$(find /usr/lib /usr/local/lib* -name sl.so -path '*kamailio*' 2>/dev/null | head -1)")
WORK=$(mktemp -d)
KPID=
cleanup() { [ -n "$KPID" ] && kill -TERM "$KPID" 2>/dev/null; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT

for attempt in 1 2 3; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$WORK/k.cfg" <<CFG
#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:$PORT
listen=tcp:127.0.0.1:$PORT
mpath="$MODS/"
loadmodule "sl.so"
loadmodule "pv.so"
request_route {
    if (\$rm == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
    if (\$rm == "ACK") { exit; }
    sl_send_reply("200", "OK");
}
CFG
  kamailio -f "$WORK/k.cfg" -DD -E -Y "$WORK" -m 32 -M 8 >"$WORK/log" 2>&1 &
  KPID=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.05
  done
  if kill -0 "$KPID" 2>/dev/null; then break; fi
  KPID=
done
[ -n "$KPID" ] || { cat "$WORK/log" >&2; echo "kamailio did not start" >&2; exit 1; }

now() { date +%s%N; }
rate() { python3 -c "import sys; n,t0,t1=map(int,sys.argv[1:]); print(f'{n/((t1-t0)/1e9):.0f}')" "$@"; }

per_process() { # tool transport -> "ok rate"
  local tool=$1 tp=$2 ok=0 t0 t1
  t0=$(now)
  for _ in $(seq "$M"); do
    if [ "$tool" = sipsak ]; then
      if [ "$tp" = udp ]; then sipsak -s "sip:bench@127.0.0.1:$PORT" >/dev/null 2>&1 && ok=$((ok+1)) || true
      else sipsak -E tcp -s "sip:bench@127.0.0.1:$PORT" >/dev/null 2>&1 && ok=$((ok+1)) || true; fi
    else
      "$VOIPCTL" -q signal send "$tp://127.0.0.1:$PORT" --timeout 2s >/dev/null 2>&1 && ok=$((ok+1)) || true
    fi
  done
  t1=$(now)
  echo "$ok $(rate "$ok" "$t0" "$t1")"
}

in_process() { # transport -> "received rate avg_ms p95_ms"
  local tp=$1 t0 t1 line
  t0=$(now)
  line=$("$VOIPCTL" --json signal send "$tp://127.0.0.1:$PORT" --count "$N" --interval 0 --timeout 2s | tail -1) || true
  t1=$(now)
  python3 -c "
import json,sys
s=json.loads(sys.argv[1]); t=(int(sys.argv[3])-int(sys.argv[2]))/1e9
r=s.get('rtt_ms') or {}
print(s['received'], f\"{s['received']/t:.0f}\", r.get('mean','-'), r.get('p95','-'))" "$line" "$t0" "$t1"
}

flood() { # transport -> sipsak's own send-rate line
  local args=(-F -e "$N" -s "sip:bench@127.0.0.1:$PORT")
  [ "$1" = tcp ] && args=(-E tcp "${args[@]}")
  sipsak "${args[@]}" -v 2>/dev/null | grep -o '[0-9.]* requests per second' | head -1 || echo "n/a"
}

echo "kamailio $(kamailio -v | head -1 | awk '{print $3}') on 127.0.0.1:$PORT; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "| transport | method | voipctl | sipsak |"
  echo "|---|---|---|---|"
  for tp in udp tcp; do
    read -r v_ok v_rate < <(per_process voipctl "$tp")
    read -r s_ok s_rate < <(per_process sipsak "$tp")
    echo "| $tp | one round trip per process, $M runs | $v_rate/s ($v_ok ok) | $s_rate/s ($s_ok ok) |"
    read -r i_recv i_rate i_avg i_p95 < <(in_process "$tp")
    echo "| $tp | back-to-back round trips in one process, $N requests | $i_rate/s ($i_recv ok, avg $i_avg ms, p95 $i_p95 ms) | no such mode |"
    echo "| $tp | flood, replies ignored, $N requests | — | $(flood "$tp") (sent, not round trips) |"
  done
} | tee "$OUT/signal.md"
