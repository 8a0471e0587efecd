#!/usr/bin/env bash
# bench/grpc/run.sh [RUNS] — GhostBridge unary calls per second and latency on one connection,
# 100-byte messages, at 1, 16, 64 and 256 calls in flight, for four client/server pairs in the
# same run, alternating:
#   zq->zq   zquic grpc call -n -c  -> zquic grpc serve
#   go->go   grpc-h3-call -n -c     -> grpc-h3-server   (the anchor: the Go peer pair)
#   zq->go   zquic grpc call        -> grpc-h3-server
#   go->zq   grpc-h3-call           -> zquic grpc serve
# Prints medians with spread, p50/p99 latency (medians over runs) and the zq->zq / go->go ratio.
# The Go peers come from PEERS_BIN (default BUILD/peers, built by scripts/test.sh).
. "$(dirname "$0")/../lib.sh"
runs=${1:-3}
PEERS_BIN=${PEERS_BIN:-$BUILD/peers}
[ -x "$PEERS_BIN/grpc-h3-call" ] || { echo "bench: no Go peers in $PEERS_BIN" >&2; exit 2; }
msg=$(head -c 100 /dev/zero | tr '\0' 'x')
hex=$(printf '%s' "$msg" | xxd -p | tr -d '\n')

zport=$(free_udp_port)
"$ZQUIC" grpc serve --listen "127.0.0.1:$zport" --cert "$CERTS/server-chain.pem" \
  --key "$CERTS/server.key" --max-streams 1000 --log-level warn >/dev/null 2>&1 &
PIDS+=($!)
gport=$(free_udp_port)
"$PEERS_BIN/grpc-h3-server" -listen "127.0.0.1:$gport" -cert "$CERTS/server-chain.pem" \
  -key "$CERTS/server.key" -max-streams 1000 >/dev/null 2>&1 &
PIDS+=($!)
wait_udp "$zport"; wait_udp "$gport"

# One measurement: CLIENT(zq|go) PORT C N -> "rate p50_ms p99_ms"
measure() {
  local client=$1 port=$2 c=$3 n=$4 out
  if [ "$client" = zq ]; then
    out=$("$ZQUIC" grpc call --ca "$CERTS/ca.pem" -n "$n" -c "$c" --data-hex "$hex" \
      "localhost:$port" /test.Echo/Echo) || { echo "bench: zquic grpc call failed: $out" >&2; exit 1; }
    awk '/^rate:/ {r=$2} /^latency ms:/ {for (i = 3; i < NF; i++) {if ($i == "p50") p50 = $(i+1); if ($i == "p99") p99 = $(i+1)}} END {print r, p50, p99}' <<<"$out"
  else
    out=$("$PEERS_BIN/grpc-h3-call" -addr "127.0.0.1:$port" -sni localhost -ca "$CERTS/ca.pem" \
      -n "$n" -c "$c" -data "$msg" /test.Echo/Echo 2>&1) ||
      { echo "bench: grpc-h3-call failed: $out" >&2; exit 1; }
    # "...: 21132.6 calls/s" and "latency: ... p50 1.701ms ... p99 5.843ms ..." (ms, µs or s)
    awk 'function ms(v) { if (v ~ /µs$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                          if (v ~ /s$/) return v * 1000; return v }
         /calls\/s/ { for (i = 1; i <= NF; i++) if ($(i+1) == "calls/s") r = $i }
         /^latency:/ { for (i = 1; i <= NF; i++) { if ($i == "p50") p50 = ms($(i+1));
                                                  if ($i == "p99") p99 = ms($(i+1)) } }
         END { print r, p50, p99 }' <<<"$out"
  fi
}

printf 'GhostBridge unary calls, 100-byte messages, one connection, %d alternating runs\n' "$runs"
printf '%-8s %5s %26s %10s %10s\n' pair c "calls/s median [min-max]" "p50 ms" "p99 ms"
for c in 1 16 64 256; do
  n=$((c == 1 ? 5000 : 40000))
  declare -A rate p50 p99
  for pair in zq-zq go-go zq-go go-zq; do rate[$pair]=""; p50[$pair]=""; p99[$pair]=""; done
  for _ in $(seq 1 "$runs"); do
    for pair in zq-zq go-go zq-go go-zq; do
      client=${pair%-*}; server=${pair#*-}
      port=$([ "$server" = zq ] && echo "$zport" || echo "$gport")
      res=$(measure "$client" "$port" "$c" "$n") || exit 1
      read -r r a b <<<"$res"
      rate[$pair]+="$r "; p50[$pair]+="$a "; p99[$pair]+="$b "
    done
  done
  for pair in zq-zq go-go zq-go go-zq; do
    # shellcheck disable=SC2086
    printf '%-8s %5d %26s %10.3f %10.3f\n' "${pair/-/->}" "$c" "$(stats ${rate[$pair]})" \
      "$(median ${p50[$pair]})" "$(median ${p99[$pair]})"
  done
  # shellcheck disable=SC2086
  awk -v a="$(median ${rate[zq-zq]})" -v b="$(median ${rate[go-go]})" \
    'BEGIN { printf "  ratio zq->zq / go->go at c=%d: %.2fx\n", '"$c"', a / b }'
  unset rate p50 p99
done
