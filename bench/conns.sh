#!/usr/bin/env bash
# conns.sh [CONNECTIONS] [HANDSHAKES] — what a connection costs a server, zquic serve against
# gtlsserver in the same run:
#  - server CPU per new connection: HANDSHAKES fresh gtlsclient runs (one request each), CPU
#    the server process used divided by their number (client start-up is not counted);
#  - resident memory per idle connection: RSS growth with CONNECTIONS connections held open by
#    bench_idle_conns (one request each, then idle).
. "$(dirname "$0")/lib.sh"
conns=${1:-1000}
handshakes=${2:-200}
idle=$BUILD/bench/bench_idle_conns
[ -x "$idle" ] || { echo "bench: build bench_idle_conns first" >&2; exit 2; }
mkdir -p "$WORK/www"
printf 'hi\n' >"$WORK/www/index.html"
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
zport=$(free_udp_port)
"$ZQUIC" serve --listen "127.0.0.1:$zport" --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
  --log-level warn --idle-timeout 120000 "$WORK/www" >/dev/null 2>&1 &
zpid=$!; PIDS+=($zpid)
gport=$(free_udp_port)
gtlsserver -q --timeout=120s -d "$WORK/www" 127.0.0.1 "$gport" "$CERTS/server.key" \
  "$CERTS/server-chain.pem" >/dev/null 2>&1 &
gpid=$!; PIDS+=($gpid)
wait_udp "$zport"; wait_udp "$gport"
cpu_per_conn() { # PID PORT -> ms of server CPU per connection
  local c0 c1
  c0=$(proc_cpu "$1")
  for _ in $(seq 1 "$handshakes"); do
    gtlsclient -q --exit-on-all-streams-close 127.0.0.1 "$2" "https://localhost:$2/index.html" \
      >/dev/null 2>&1
  done
  c1=$(proc_cpu "$1")
  awk -v a="$c0" -v b="$c1" -v n="$handshakes" 'BEGIN { printf "%.3f\n", (b - a) * 1000 / n }'
}
mem_per_conn() { # PID PORT -> bytes of RSS per idle connection
  local r0 r1 hold=$((conns / 40 + 15))
  r0=$(rss_kib "$1")
  "$idle" "127.0.0.1:$2" "$CERTS/ca.pem" "$conns" "$hold" >"$WORK/idle.out" 2>&1 &
  local ipid=$!
  for _ in $(seq 1 600); do grep -q '^open' "$WORK/idle.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  r1=$(rss_kib "$1")
  kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null || true
  awk -v a="$r0" -v b="$r1" -v n="$conns" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }'
}
zc=$(cpu_per_conn "$zpid" "$zport"); gc=$(cpu_per_conn "$gpid" "$gport")
zm=$(mem_per_conn "$zpid" "$zport"); gm=$(mem_per_conn "$gpid" "$gport")
printf 'server CPU per new connection (%d handshakes, ECDSA P-256): zquic %s ms, gtlsserver %s ms\n' \
  "$handshakes" "$zc" "$gc"
printf 'server RSS per idle connection (%d open): zquic %s bytes, gtlsserver %s bytes\n' \
  "$conns" "$zm" "$gm"
