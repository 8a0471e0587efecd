#!/usr/bin/env bash
# bench/dns/run.sh [RUNS] — DNS over QUIC queries per second and latency for answers held in
# memory, over 1 connection (50 in flight) and over 50 connections (1 in flight each), for:
#   zq->zq   zquic dns query -n -c [--conns]  -> zquic dns serve (a zone in memory)
#   go->go   doq-query -n -c [-new-conn...]   -> doq-server (its built-in zone): the anchor
#   go->zq   doq-query                         -> zquic dns serve
# and, when unbound and dnsperf can be installed from Debian, plain UDP DNS (no encryption) to
# unbound on loopback as the ceiling. Alternating runs, medians with the spread.
. "$(dirname "$0")/../lib.sh"
runs=${1:-3}
n=${DNS_BENCH_QUERIES:-40000}
PEERS_BIN=${PEERS_BIN:-$BUILD/peers}
[ -x "$PEERS_BIN/doq-query" ] || { echo "bench: no Go peers in $PEERS_BIN" >&2; exit 2; }

cat >"$WORK/bench.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@ IN SOA ns.example.test. admin.example.test. 1 7200 900 1209600 60
@ IN NS ns
ns IN A 192.0.2.53
@ IN A 192.0.2.1
ZONE
zport=$(free_udp_port)
"$ZQUIC" dns serve --listen "127.0.0.1:$zport" --cert "$CERTS/server-chain.pem" \
  --key "$CERTS/server.key" --zone "$WORK/bench.zone" --log-level warn >/dev/null 2>&1 &
PIDS+=($!)
gport=$(free_udp_port)
"$PEERS_BIN/doq-server" -listen "127.0.0.1:$gport" -cert "$CERTS/server-chain.pem" \
  -key "$CERTS/server.key" >/dev/null 2>&1 &
PIDS+=($!)
wait_udp "$zport"; wait_udp "$gport"

# CLIENT PORT MODE -> "rate p50_ms p99_ms"; MODE one = 1 connection x 50 in flight,
# many = 50 connections x 1 in flight each.
measure() {
  local client=$1 port=$2 mode=$3 out
  if [ "$client" = zq ]; then
    local extra=(-c 50)
    [ "$mode" = many ] && extra=(-c 50 --conns 50)
    out=$("$ZQUIC" dns query --ca "$CERTS/ca.pem" -n "$n" "${extra[@]}" "@localhost:$port" \
      example.test A) || { echo "bench: zquic dns query failed: $out" >&2; exit 1; }
    awk '/^rate:/ {r=$2} /^latency ms:/ {for (i = 3; i < NF; i++) {if ($i == "p50") p50 = $(i+1); if ($i == "p99") p99 = $(i+1)}} END {print r, p50, p99}' <<<"$out"
  elif [ "$mode" = one ]; then
    out=$("$PEERS_BIN/doq-query" -addr "127.0.0.1:$port" -ca "$CERTS/ca.pem" -sni localhost \
      -q -n "$n" -c 50 example.test A 2>&1) ||
      { echo "bench: doq-query failed: $out" >&2; exit 1; }
    awk 'function ms(v) { if (v ~ /µs$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                          if (v ~ /s$/) return v * 1000; return v }
         /queries\/s/ { for (i = 1; i <= NF; i++) if ($(i+1) == "queries/s") r = $i }
         /^latency:/ { for (i = 1; i <= NF; i++) { if ($i == "p50") p50 = ms($(i+1));
                                                  if ($i == "p99") p99 = ms($(i+1)) } }
         END { print r, p50, p99 }' <<<"$out"
  else
    # doq-query has one connection per process: 50 processes, 1 query in flight each; the rate
    # is all queries over the wall time, latencies the median p50 and the largest p99.
    local t0 t1
    t0=$(now)
    seq 1 50 | xargs -P 50 -I{} "$PEERS_BIN/doq-query" -addr "127.0.0.1:$port" \
      -ca "$CERTS/ca.pem" -sni localhost -q -n $((n / 50)) -c 1 example.test A \
      >"$WORK/go-many.out" 2>&1 || { echo "bench: doq-query failed" >&2; exit 1; }
    t1=$(now)
    local p50s p99
    p50s=$(awk 'function ms(v) { if (v ~ /µs$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                                 if (v ~ /s$/) return v * 1000; return v }
                /^latency:/ { for (i = 1; i <= NF; i++) if ($i == "p50") print ms($(i+1)) }' \
      "$WORK/go-many.out")
    p99=$(awk 'function ms(v) { if (v ~ /µs$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                                if (v ~ /s$/) return v * 1000; return v }
               /^latency:/ { for (i = 1; i <= NF; i++) if ($i == "p99" && ms($(i+1)) > m) m = ms($(i+1)) }
               END { print m + 0 }' "$WORK/go-many.out")
    # shellcheck disable=SC2086
    awk -v a="$t0" -v b="$t1" -v n="$n" -v p50="$(median $p50s)" -v p99="$p99" \
      'BEGIN { printf "%.1f %s %s\n", n / (b - a), p50, p99 }'
  fi
}

printf 'DNS over QUIC, A query answered from memory, %d queries per run, %d alternating runs\n' "$n" "$runs"
printf '%-8s %-22s %28s %9s %9s\n' pair connections "queries/s median [min-max]" "p50 ms" "p99 ms"
for mode in one many; do
  declare -A rate p50 p99
  pairs=(zq-zq go-go go-zq)
  for pair in "${pairs[@]}"; do rate[$pair]=""; p50[$pair]=""; p99[$pair]=""; done
  for _ in $(seq 1 "$runs"); do
    for pair in "${pairs[@]}"; do
      client=${pair%-*}; server=${pair#*-}
      port=$([ "$server" = zq ] && echo "$zport" || echo "$gport")
      res=$(measure "$client" "$port" "$mode") || exit 1
      read -r r a b <<<"$res"
      rate[$pair]+="$r "; p50[$pair]+="$a "; p99[$pair]+="$b "
    done
  done
  label=$([ "$mode" = one ] && echo "1 conn, 50 in flight" || echo "50 conns, 1 in flight")
  for pair in "${pairs[@]}"; do
    # shellcheck disable=SC2086
    printf '%-8s %-22s %28s %9.3f %9.3f\n' "${pair/-/->}" "$label" "$(stats ${rate[$pair]})" \
      "$(median ${p50[$pair]})" "$(median ${p99[$pair]})"
  done
  # shellcheck disable=SC2086
  awk -v a="$(median ${rate[zq-zq]})" -v b="$(median ${rate[go-go]})" -v l="$label" \
    'BEGIN { printf "  ratio zq->zq / go->go (%s): %.2fx\n", l, a / b }'
  unset rate p50 p99
done

# The no-encryption ceiling: plain UDP DNS to unbound, measured with dnsperf.
if ! command -v unbound >/dev/null || ! command -v dnsperf >/dev/null; then
  echo "bench: installing unbound and dnsperf from Debian for the plain-UDP ceiling" >&2
  ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo)} apt-get install -y -q --no-install-recommends \
    unbound dnsperf >/dev/null 2>&1 || { echo "bench: unbound/dnsperf unavailable: skipped"; exit 0; }
fi
uport=$(free_udp_port)
cat >"$WORK/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$uport
  port: $uport
  do-daemonize: no
  use-syslog: no
  logfile: ""
  chroot: ""
  username: ""
  directory: "$WORK"
  pidfile: ""
  access-control: 127.0.0.0/8 allow
  num-threads: 1
  local-zone: "example.test." static
  local-data: "example.test. 300 IN A 192.0.2.1"
remote-control:
  control-enable: no
CONF
unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.log" 2>&1 &
PIDS+=($!)
wait_udp "$uport"
printf 'example.test A\n' >"$WORK/dnsperf.txt"
ur=()
for _ in $(seq 1 "$runs"); do
  out=$(dnsperf -s 127.0.0.1 -p "$uport" -d "$WORK/dnsperf.txt" -n "$n" -c 1 -q 50 2>&1)
  ur+=("$(awk '/Queries per second/ {print $4}' <<<"$out")")
done
printf 'unbound plain UDP (dnsperf, 50 outstanding): %s queries/s\n' "$(stats "${ur[@]}")"
