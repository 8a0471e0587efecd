#!/usr/bin/env bash
# workers.sh [RUNS] [CONNECTIONS] [CONCURRENCY] [CLIENTS] — new connections per second against
# `zquic serve --workers 1` and `--workers 2` in the same run: `zquic get -n CONNECTIONS
# -c CONCURRENCY --new-conn` (a full handshake and one 3-byte request per connection), alternating
# the two servers, plus how many cores each server used meanwhile (its CPU seconds / wall
# seconds). CLIENTS (default 1) such client processes run at once, each with its own share.
# The clients run on the same machine and needs about as much CPU per handshake as the
# server, so on a 2-core box the figure is bounded by the box, not by the server alone.
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
n=${2:-2000}
c=${3:-32}
clients=${4:-1}
mkdir -p "$WORK/www"
printf 'hi\n' >"$WORK/www/3b.txt"
start() { # WORKERS: sets SPID and SPORT
  SPORT=$(free_udp_port)
  "$ZQUIC" serve --listen "127.0.0.1:$SPORT" --cert "$CERTS/server-chain.pem" \
    --key "$CERTS/server.key" --log-level warn --workers "$1" "$WORK/www" >/dev/null 2>&1 &
  SPID=$!
  PIDS+=($SPID)
  wait_udp "$SPORT"
}
start 1; p1=$SPID; port1=$SPORT
start 2; p2=$SPID; port2=$SPORT
measure() { # PID PORT -> "conns/s cores"
  local c0 c1 t0 t1 out
  c0=$(proc_cpu "$1"); t0=$(now)
  local i pids=()
  for i in $(seq 1 "$clients"); do
    "$ZQUIC" get --ca "$CERTS/ca.pem" -n $((n / clients)) -c "$c" --new-conn \
      "https://localhost:$2/3b.txt" >"$WORK/client.$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || { echo "bench: zquic get failed" >&2; exit 1; }; done
  t1=$(now); c1=$(proc_cpu "$1")
  out=$(cat "$WORK"/client.*)
  [ "$(grep -c " 0 failed" <<<"$out")" = "$clients" ] || { echo "bench: failures: $out" >&2; exit 1; }
  rm -f "$WORK"/client.*
  awk -v a="$t0" -v b="$t1" -v x="$c0" -v y="$c1" -v n="$n" \
    'BEGIN { printf "%.0f %.2f\n", n / (b - a), (y - x) / (b - a) }'
}
r1=(); r2=(); u1=(); u2=()
for _ in $(seq 1 "$runs"); do
  read -r rate cores < <(measure "$p1" "$port1"); r1+=("$rate"); u1+=("$cores")
  read -r rate cores < <(measure "$p2" "$port2"); r2+=("$rate"); u2+=("$cores")
done
printf 'new connections/s (%d per run from %d client process(es), %d in flight each, %d alternating runs), median [min-max]\n' \
  "$n" "$clients" "$c" "$runs"
printf '  --workers 1  %s conns/s, server cores used %s\n' "$(stats "${r1[@]}")" "$(stats "${u1[@]}")"
printf '  --workers 2  %s conns/s, server cores used %s\n' "$(stats "${r2[@]}")" "$(stats "${u2[@]}")"
awk -v a="$(median "${r2[@]}")" -v b="$(median "${r1[@]}")" 'BEGIN { printf "  ratio 2/1 %.2fx\n", a / b }'
