#!/usr/bin/env bash
# proxy.sh CASE — Wraith (`zquic proxy`) end to end on loopback, with backends nobody here wrote:
# quic-go's h3-server and grpc-h3-server (../shared/peers/go) over HTTP/3, nginx over HTTP/1.1;
# clients: `zquic get` and quic-go's h3-get / grpc-h3-call.
#   basic     routes to an HTTP/3 pool and an nginx pool; bodies both ways; a 100 MiB download
#             checked byte for byte; forwarding and hop-by-hop fields; Alt-Svc; metrics; --check
#   balance   1,000 requests per algorithm, counted per backend from the metrics endpoint;
#             least_connections avoids the backend busy with a slow request
#   failover  a backend killed mid-run: once the checks have seen it, no request fails; it
#             comes back after `rise` good checks
#   bad       missing route 404, oversized headers 431, body 413, rate limit 429 + Retry-After,
#             a backend answering garbage 502, one that hangs 504, a pool with nothing up 503
#   reload    SIGHUP: a bad file is refused (FILE:LINE logged) and the old routes keep serving;
#             a good one is applied while a slow request is in flight, which still completes
#   grpc      gRPC through Wraith to grpc-h3-server: messages and trailers (grpc-status) intact
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
case_name=${1:?usage: proxy.sh CASE}
CA=$CERTS/ca.pem

# start_h3_backend ID [flags...]: a quic-go h3-server; sets BPORT and BPID.
start_h3_backend() {
  local id=$1; shift
  BPORT=$(free_udp_port)
  "$PEERS_BIN/h3-server" -listen "127.0.0.1:$BPORT" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" -id "$id" "$@" >"$WORK/h3-$id.log" 2>&1 &
  BPID=$!
  PIDS+=($!)
  wait_for_udp "$BPORT"
}

# start_nginx: nginx-light serving $WORK/www on a free TCP port; sets NGINX_PORT.
start_nginx() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || fail "nginx missing (scripts/install-deps.sh)"
  local d=$WORK/nginx
  mkdir -p "$d" "$WORK/www"
  NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$d/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
  access_log off; client_body_temp_path $d/body; proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  default_type application/octet-stream; keepalive_requests 100000;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www;
    location = /web/hello { return 200 "hello from nginx\n"; } }
}
EOF
  /usr/sbin/nginx -p "$d/" -c "$d/nginx.conf" >"$d/out.log" 2>&1 &
  PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $NGINX_PORT), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nginx did not start: $(cat "$d/error.log" "$d/out.log")"
}

# start_proxy CONFIG: sets PX_PORT, PX_MPORT (when metrics are on), PX_PID, PX_LOG.
start_proxy() {
  local pf=$WORK/px.port.$RANDOM mf=$WORK/px.mport.$RANDOM
  PX_LOG=$WORK/proxy.$RANDOM.log
  "$ZQUIC" proxy --config "$1" --port-file "$pf" --metrics-port-file "$mf" >"$PX_LOG" 2>&1 &
  PX_PID=$!
  PIDS+=($!)
  wait_for_file "$pf"
  PX_PORT=$(cat "$pf")
  PX_MPORT=$(cat "$mf" 2>/dev/null || true)
}

pget() { "$ZQUIC" get --ca "$CA" --no-progress "$@"; }
url() { echo "https://localhost:$PX_PORT$1"; }

# metrics: the Prometheus text; backend_count ADDR: requests the proxy sent to ADDR.
metrics() {
  python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$PX_MPORT"
}
backend_metric() { # NAME ADDR
  metrics | awk -v n="$1" -v a="backend=\"$2\"" 'index($0, n "{") == 1 && index($0, a) { print $NF }' | head -1
}
backend_count() { backend_metric zquic_proxy_backend_requests_total "$1"; }

# wait_until DESCRIPTION SECONDS CMD...: poll CMD every 0.2 s.
wait_until() {
  local what=$1 secs=$2 i; shift 2
  for i in $(seq 1 $((secs * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  fail "timed out after ${secs}s waiting for: $what"
}

# pool_cfg NAME ALGORITHM "BACKEND_ENTRIES" [EXTRA]: one pool's text.
pool_cfg() {
  echo "{ name = \"$1\"; algorithm = \"$2\"; ${4:-} backends = ( $3 ); }"
}
h3b() { echo "{ address = \"127.0.0.1:$1\"; sni = \"localhost\"; ca_file = \"$CA\"; ${2:-} }"; }
write_cfg() { # FILE POOLS ROUTES [EXTRA]
  cat >"$1" <<EOF
listeners = ( { listen = "127.0.0.1:0";
                certs = ( { cert = "$CERTS/server-chain.pem"; key = "$CERTS/server.key"; } ); } );
pools = ( $2 );
routes = ( $3 );
metrics = { listen = "127.0.0.1:0"; };
${4:-}
EOF
}

case $case_name in
basic)
  start_h3_backend go-a; A=$BPORT
  start_h3_backend go-b; B=$BPORT
  start_nginx
  make_file "$WORK/www/up.bin" 3000000
  write_cfg "$WORK/p.cfg" "$(pool_cfg h3 round_robin "$(h3b "$A"), $(h3b "$B")"),
    $(pool_cfg web round_robin "{ address = \"127.0.0.1:$NGINX_PORT\"; protocol = \"http1\"; }")" \
    '{ pool = "h3"; }, { path = "/web"; pool = "web"; }, { path = "/up.bin"; pool = "web"; }' \
    "access_log = \"$WORK/access.log\";"
  expect_exit 0 "--check of a good file" "$ZQUIC" proxy --config "$WORK/p.cfg" --check
  grep -q "configuration OK" "$WORK/out" || fail "--check: $(cat "$WORK/out")"
  start_proxy "$WORK/p.cfg"
  ids=""
  for i in 1 2 3 4; do ids+="$(pget "$(url /)") "; done
  [[ $ids == *go-a* && $ids == *go-b* ]] || fail "round robin over two h3 backends gave: $ids"
  "$PEERS_BIN/h3-get" -q -ca "$CA" -expect-body "go-" "$(url /id)" || fail "h3-get through Wraith"
  # Bodies both ways, and the big download byte for byte.
  make_file "$WORK/up" 1500000
  pget -d "$(head -c 60000 "$WORK/up" | base64 -w0)" -o "$WORK/echo" "$(url /echo)"
  [ "$(cat "$WORK/echo")" = "$(head -c 60000 "$WORK/up" | base64 -w0)" ] || fail "echo through Wraith differs"
  pget -o "$WORK/direct" "https://localhost:$A/bytes/104857600"
  pget -o "$WORK/proxied" "$(url /bytes/104857600)"
  same_bytes "$WORK/direct" "$WORK/proxied" "100 MiB through Wraith"
  sum=$(sha256sum <"$WORK/proxied" | cut -d' ' -f1)
  # The HTTP/1.1 pool: nginx's own answer and a static file.
  [ "$(pget "$(url /web/hello)")" = "hello from nginx" ] || fail "nginx route"
  pget -o "$WORK/nginx.bin" "$(url /up.bin)"
  same_bytes "$WORK/www/up.bin" "$WORK/nginx.bin" "3 MB from nginx through Wraith"
  # Forwarding fields in (hop-by-hop fields cannot come from an HTTP/3 client: nghttp3 refuses
  # such a request as malformed; test_proxy_fields covers their removal).
  pget -H "x-keep: 2" -H "x-forwarded-for: 192.0.2.1" "$(url /headers)" >"$WORK/h"
  grep -qx "x-forwarded-for: 192.0.2.1, 127.0.0.1" "$WORK/h" || fail "x-forwarded-for: $(cat "$WORK/h")"
  grep -qx "x-forwarded-proto: https" "$WORK/h" || fail "x-forwarded-proto: $(cat "$WORK/h")"
  grep -q "^forwarded: for=127.0.0.1;proto=https" "$WORK/h" || fail "forwarded: $(cat "$WORK/h")"
  grep -q "^via: 3 wraith" "$WORK/h" || fail "via: $(cat "$WORK/h")"
  grep -qx "x-keep: 2" "$WORK/h" || fail "x-keep lost: $(cat "$WORK/h")"
  pget -v -o /dev/null "$(url /)" 2>"$WORK/v"
  grep -qi "alt-svc: h3=\":$PX_PORT\"" "$WORK/v" || fail "no Alt-Svc: $(cat "$WORK/v")"
  grep -qi "via: 3 wraith" "$WORK/v" || fail "no Via on the response: $(cat "$WORK/v")"
  grep -qi "x-server-id: go-" "$WORK/v" || fail "backend fields lost: $(cat "$WORK/v")"
  # A backend's status passes through.
  expect_exit 1 "503 from a backend" pget "$(url /status/503)"
  # Metrics and the access log.
  m=$(metrics)
  grep -q "^zquic_proxy_backend_requests_total{.*backend=\"127.0.0.1:$A\"" <<<"$m" || fail "metrics: $m"
  grep -q "^zquic_proxy_backend_up{.*backend=\"127.0.0.1:$NGINX_PORT\".* 1$" <<<"$m" || fail "metrics up: $m"
  grep -q "zquic_proxy_backend_latency_seconds_bucket" <<<"$m" || fail "no latency histogram"
  grep -q '"GET localhost:'"$PX_PORT"'/web/hello" 200' "$WORK/access.log" || fail "access log: $(cat "$WORK/access.log")"
  # The metrics endpoint refuses what is not a scrape, and keeps serving afterwards.
  python3 - "$PX_MPORT" <<'PY' || fail "metrics endpoint: malformed requests"
import socket, sys
def status(raw):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.sendall(raw)
    line = s.makefile("rb").readline().decode()
    s.close()
    return int(line.split()[1])
cases = [(b"GARBAGE\r\n\r\n", 400), (b"GET /metrics HTTP/9\r\n\r\n", 400),
         (b"DELETE /metrics HTTP/1.1\r\n\r\n", 405), (b"GET /admin HTTP/1.1\r\n\r\n", 404),
         (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000, 431),
         (b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200)]
for raw, want in cases:
    got = status(raw)
    if got != want:
        sys.exit("metrics: %r -> %d, want %d" % (raw[:40], got, want))
PY
  pass "basic: h3 and HTTP/1.1 pools, echo, 100 MiB (sha256 $sum), forwarding fields, metrics"
  ;;
balance)
  start_h3_backend b1; P1=$BPORT
  start_h3_backend b2; P2=$BPORT
  start_h3_backend b3; P3=$BPORT
  for alg in round_robin weighted random ip_hash least_connections; do
    write_cfg "$WORK/$alg.cfg" "$(pool_cfg p "$alg" "$(h3b "$P1" "weight = 1;"), $(h3b "$P2" "weight = 2;"), $(h3b "$P3" "weight = 3;")" \
      'health = { interval_ms = 0; };')" '{ pool = "p"; }'
    start_proxy "$WORK/$alg.cfg"
    pget -n 1000 -c 8 "$(url /)" >"$WORK/load" 2>&1 || fail "$alg: load run failed: $(cat "$WORK/load")"
    c1=$(backend_count "127.0.0.1:$P1"); c2=$(backend_count "127.0.0.1:$P2"); c3=$(backend_count "127.0.0.1:$P3")
    echo "$alg: $c1 $c2 $c3"
    [ $((c1 + c2 + c3)) -eq 1000 ] || fail "$alg: $c1+$c2+$c3 requests counted, not 1000"
    case $alg in
    round_robin) for c in $c1 $c2 $c3; do [ "$c" -ge 323 ] && [ "$c" -le 344 ] || fail "round_robin: $c1 $c2 $c3"; done ;;
    weighted) # 1:2:3 of 1000 = 167, 333, 500, exact up to rounding with smooth weighted round robin
      [ "$c1" -ge 157 ] && [ "$c1" -le 177 ] && [ "$c2" -ge 323 ] && [ "$c2" -le 343 ] &&
        [ "$c3" -ge 490 ] && [ "$c3" -le 510 ] || fail "weighted: $c1 $c2 $c3" ;;
    random) for c in $c1 $c2 $c3; do [ "$c" -ge 200 ] && [ "$c" -le 470 ] || fail "random: $c1 $c2 $c3"; done ;;
    ip_hash) # one client address: one backend takes everything
      [ "$c1" -eq 1000 ] || [ "$c2" -eq 1000 ] || [ "$c3" -eq 1000 ] || fail "ip_hash: $c1 $c2 $c3" ;;
    least_connections) for c in $c1 $c2 $c3; do [ "$c" -ge 150 ] || fail "least_connections: $c1 $c2 $c3"; done ;;
    esac
    kill "$PX_PID"; wait "$PX_PID" 2>/dev/null || true
  done
  # least_connections against round robin: one backend holds a slow request; the quick
  # sequential ones then all go to the other.
  write_cfg "$WORK/lc.cfg" "$(pool_cfg p least_connections "$(h3b "$P1"), $(h3b "$P2")" 'health = { interval_ms = 0; };')" '{ pool = "p"; }'
  start_proxy "$WORK/lc.cfg"
  pget "$(url /delay/8000)" >"$WORK/slow" 2>&1 &
  slow=$!
  one_in_flight() { [ "$(metrics | grep -c '^zquic_proxy_backend_in_flight{.* 1$')" = 1 ]; }
  wait_until "the slow request to reach a backend" 10 one_in_flight
  pget -n 100 -c 1 "$(url /)" >"$WORK/load" 2>&1 || fail "quick requests: $(cat "$WORK/load")"
  kill -0 "$slow" 2>/dev/null || fail "the slow request ended before the quick ones: not a fair test"
  c1=$(backend_count "127.0.0.1:$P1"); c2=$(backend_count "127.0.0.1:$P2")
  { [ "$c1" -eq 1 ] && [ "$c2" -eq 100 ]; } || { [ "$c1" -eq 100 ] && [ "$c2" -eq 1 ]; } ||
    fail "least_connections with a slow request in flight: $c1 / $c2 (want 1 / 100)"
  wait "$slow" || fail "the slow request failed: $(cat "$WORK/slow")"
  pass "balance: round_robin, weighted 1:2:3, random, ip_hash, least_connections over 1,000 requests"
  ;;
failover)
  start_h3_backend f1; P1=$BPORT; F1PID=$BPID
  start_h3_backend f2; P2=$BPORT
  write_cfg "$WORK/f.cfg" "$(pool_cfg p round_robin "$(h3b "$P1"), $(h3b "$P2")" \
    'health = { interval_ms = 300; timeout_ms = 1000; rise = 2; fall = 2; passive_failures = 1; passive_down_ms = 60000; };')" \
    '{ pool = "p"; }'
  start_proxy "$WORK/f.cfg"
  pget -n 200 -c 4 "$(url /)" >"$WORK/load" 2>&1 || fail "before the kill: $(cat "$WORK/load")"
  kill "$F1PID"; wait "$F1PID" 2>/dev/null || true
  f1_down() { [ "$(backend_metric zquic_proxy_backend_up "127.0.0.1:$P1")" = 0 ]; }
  wait_until "the health checks to see f1 gone" 20 f1_down
  before=$(backend_count "127.0.0.1:$P2")
  pget -n 300 -c 4 "$(url /)" >"$WORK/load" 2>&1 || fail "a request failed after detection: $(cat "$WORK/load")"
  after=$(backend_count "127.0.0.1:$P2")
  [ $((after - before)) -eq 300 ] || fail "after detection f2 served $((after - before)) of 300"
  # f1 returns on the same port: up again after `rise` good checks, and it gets requests.
  "$PEERS_BIN/h3-server" -listen "127.0.0.1:$P1" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" -id f1 >"$WORK/h3-f1b.log" 2>&1 &
  PIDS+=($!)
  f1_up() { [ "$(backend_metric zquic_proxy_backend_up "127.0.0.1:$P1")" = 1 ]; }
  wait_until "f1 to come back after rise checks" 30 f1_up
  pget -n 100 -c 2 "$(url /)" >"$WORK/load" 2>&1 || fail "after f1 came back: $(cat "$WORK/load")"
  ids=""
  for i in 1 2 3 4; do ids+="$(pget "$(url /)") "; done
  [[ $ids == *f1* ]] || fail "f1 is up but gets no requests: $ids"
  pass "failover: no failed request once f1 was seen down, f1 back after rise"
  ;;
bad)
  start_h3_backend ok; OK=$BPORT
  # An HTTP/1.1 backend that answers garbage, one that accepts and never answers.
  python3 - "$WORK/bad.ports" <<'PY' >"$WORK/bad.log" 2>&1 &
import socket, sys, threading, time
def serve(sock, mode):
    while True:
        c, _ = sock.accept()
        def run(c=c):
            try:
                c.recv(65536)
                if mode == "garbage":
                    c.sendall(b"SPDY/9 what\r\n\r\n\x00\x01\x02")
                    c.close()
                else:
                    time.sleep(120)
            except OSError:
                pass
        threading.Thread(target=run, daemon=True).start()
ports = []
for mode in ("garbage", "hang"):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
    ports.append(s.getsockname()[1])
    threading.Thread(target=serve, args=(s, mode), daemon=True).start()
open(sys.argv[1], "w").write(" ".join(map(str, ports)) + "\n")
time.sleep(300)
PY
  PIDS+=($!)
  wait_for_file "$WORK/bad.ports"
  read -r GARBAGE HANG <"$WORK/bad.ports"
  DEAD=$(free_udp_port)
  nohealth='health = { interval_ms = 0; passive_failures = 0; };'
  write_cfg "$WORK/b.cfg" "$(pool_cfg ok round_robin "$(h3b "$OK")" "$nohealth"),
    $(pool_cfg garbage round_robin "{ address = \"127.0.0.1:$GARBAGE\"; protocol = \"http1\"; }" "$nohealth"),
    $(pool_cfg hang round_robin "{ address = \"127.0.0.1:$HANG\"; protocol = \"http1\"; }" "$nohealth response_timeout_ms = 1000;"),
    $(pool_cfg dead round_robin "$(h3b "$DEAD")" 'health = { interval_ms = 200; timeout_ms = 300; fall = 1; };')" \
    '{ host = "localhost"; pool = "ok"; }, { host = "localhost"; path = "/garbage"; pool = "garbage"; },
     { host = "localhost"; path = "/hang"; pool = "hang"; }, { host = "localhost"; path = "/dead"; pool = "dead"; }' \
    'limits = { max_header_bytes = 4096; max_body_bytes = 100000; rate_per_second = 1.0; rate_burst = 20; };'
  start_proxy "$WORK/b.cfg"
  [ "$(pget "$(url /)")" = "ok" ] || fail "the good route"
  st() { "$PEERS_BIN/h3-get" -q -ca "$CA" -expect-status "$1" "${@:2}"; }
  st 404 "https://127.0.0.1:$PX_PORT/" -sni localhost || fail "no route for host 127.0.0.1: want 404"
  st 431 -H "x-big: $(head -c 6000 /dev/zero | tr '\0' a)" "$(url /)" || fail "oversized header: want 431"
  head -c 150000 /dev/zero | tr '\0' b >"$WORK/big.body"
  head -c 50000 /dev/zero | tr '\0' b >"$WORK/small.body"
  st 413 -data-file "$WORK/big.body" "$(url /echo)" || fail "oversized body: want 413"
  st 200 -data-file "$WORK/small.body" "$(url /echo)" || fail "a body under the limit"
  st 502 "$(url /garbage)" || fail "garbage from the backend: want 502"
  st 504 "$(url /hang)" || fail "a backend that hangs: want 504"
  dead_down() { [ "$(backend_metric zquic_proxy_backend_up "127.0.0.1:$DEAD")" = 0 ]; }
  wait_until "the dead backend to be marked down" 15 dead_down
  st 503 "$(url /dead)" || fail "no healthy backend: want 503"
  [ "$(pget "$(url /)")" = "ok" ] || fail "the good route after the bad requests"
  # The rate limit: a burst of 20, then 1 per second; sequential requests drain it.
  limited=0
  for i in $(seq 1 80); do
    if ! pget -v -o /dev/null "$(url /)" 2>"$WORK/v"; then limited=1; break; fi
  done
  [ "$limited" = 1 ] || fail "80 requests in a row and the rate limit never answered"
  grep -q "429" "$WORK/v" || fail "want 429: $(cat "$WORK/v")"
  grep -qi "retry-after: [0-9]" "$WORK/v" || fail "429 without Retry-After: $(cat "$WORK/v")"
  m=$(metrics)
  grep -q '^zquic_proxy_rate_limited_total [1-9]' <<<"$m" || fail "rate_limited not counted: $m"
  kill -0 "$PX_PID" || fail "the proxy died"
  pass "bad: 404, 431, 413, 502 garbage, 504 hang, 503 nothing up, 429 with Retry-After"
  ;;
reload)
  start_h3_backend r1; R1=$BPORT
  start_h3_backend r2; R2=$BPORT
  write_cfg "$WORK/r.cfg" "$(pool_cfg p round_robin "$(h3b "$R1")")" '{ pool = "p"; }'
  start_proxy "$WORK/r.cfg"
  [ "$(pget "$(url /)")" = "r1" ] || fail "before the reload"
  cp "$WORK/r.cfg" "$WORK/good.cfg"
  { cat "$WORK/good.cfg"; echo 'limits = { max_header_bytes = 12; };'; } >"$WORK/r.cfg"
  expect_exit 2 "--check of a bad file" "$ZQUIC" proxy --config "$WORK/r.cfg" --check
  grep -q "r.cfg:[0-9]*:.*max_header_bytes" "$WORK/err" || fail "--check names no line: $(cat "$WORK/err")"
  kill -HUP "$PX_PID"
  refused() { grep -q "reload refused.*r.cfg:[0-9]*:" "$PX_LOG"; }
  wait_until "the bad reload to be refused with its line" 10 refused
  [ "$(pget "$(url /)")" = "r1" ] || fail "the old configuration stopped serving after a bad reload"
  # A good reload while a slow request is in flight to r1.
  pget "$(url /delay/2000)" >"$WORK/slow" 2>&1 &
  slow=$!
  sleep 0.5
  write_cfg "$WORK/r.cfg" "$(pool_cfg p round_robin "$(h3b "$R2")")" '{ pool = "p"; }'
  kill -HUP "$PX_PID"
  reloaded() { grep -q "configuration reloaded" "$PX_LOG"; }
  wait_until "the good reload" 10 reloaded
  [ "$(pget "$(url /)")" = "r2" ] || fail "after the reload"
  wait "$slow" || fail "the request in flight during the reload failed: $(cat "$WORK/slow")"
  [ "$(cat "$WORK/slow")" = "r1" ] || fail "the request in flight: $(cat "$WORK/slow")"
  pass "reload: a bad file refused with FILE:LINE, the old routes kept; a good one applied mid-request"
  ;;
grpc)
  GP=$(free_udp_port)
  "$PEERS_BIN/grpc-h3-server" -listen "127.0.0.1:$GP" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" -require-te >"$WORK/grpc.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$GP"
  write_cfg "$WORK/g.cfg" "$(pool_cfg g round_robin "$(h3b "$GP")")" '{ pool = "g"; }'
  start_proxy "$WORK/g.cfg"
  "$PEERS_BIN/grpc-h3-call" -addr "127.0.0.1:$PX_PORT" -authority localhost -ca "$CA" -sni localhost \
    -data "through wraith" -expect-echo -expect-status 0 -v >"$WORK/call" 2>&1 ||
    fail "gRPC echo through Wraith: $(cat "$WORK/call")"
  "$PEERS_BIN/grpc-h3-call" -addr "127.0.0.1:$PX_PORT" -authority localhost -ca "$CA" -sni localhost \
    -method /test.Echo/Nope -expect-status 12 >"$WORK/call" 2>&1 ||
    fail "UNIMPLEMENTED (a trailers-only answer) through Wraith: $(cat "$WORK/call")"
  "$PEERS_BIN/grpc-h3-call" -addr "127.0.0.1:$PX_PORT" -authority localhost -ca "$CA" -sni localhost \
    -data x -n 500 -c 16 -expect-echo >"$WORK/call" 2>&1 || fail "500 calls through Wraith: $(cat "$WORK/call")"
  pass "grpc: echo with grpc-status trailers, UNIMPLEMENTED, 500 concurrent calls through Wraith"
  ;;
*) fail "unknown case $case_name" ;;
esac
