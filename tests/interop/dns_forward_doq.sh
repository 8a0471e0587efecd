#!/usr/bin/env bash
# dns_forward_doq.sh — forwarding over DNS over QUIC to a DoQ server nobody here wrote: quic-go's
# doq-server (../shared/peers/go), its built-in zone as the upstream's data.
#   - forwarded A, TXT, a CNAME chain, MX and NXDOMAIN, through zquic dns query and doq-query;
#   - a 20 KB TXT answer whole in one exchange (DoQ needs no TCP fallback: none counted);
#   - doq-server's log: every forward on one connection, queries padded (it pads its answers to
#     padded queries only), and after the upstream idled the connection out, the next forward
#     on a resumed 0-RTT connection;
#   - the local zone still answered locally, the second ask of a name served by the cache;
#   - from a config file (dns.upstreams / dns.upstream_ca): an upstream whose certificate chains
#     to a CA we do not trust is never believed — SERVFAIL + EDE 23, bounded in time;
#   - --check refuses a DoQ upstream given by name; SIGTERM ends both servers cleanly.
# Every socket is on 127.0.0.1; nothing leaves the machine.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
CA=$CERTS/ca.pem
TIMEOUT_MS=800

GO_PORT=$(free_udp_port)
"$PEERS_BIN/doq-server" -v -0rtt -idle-timeout 1s -listen "127.0.0.1:$GO_PORT" \
  -cert "$CERTS/server-chain.pem" -key "$CERTS/server.key" >"$WORK/gs.log" 2>&1 &
PIDS+=($!)
wait_for_udp "$GO_PORT"
printf '$ORIGIN zq.test.\n$TTL 300\n@ IN SOA ns.zq.test. admin.zq.test. 1 7200 900 1209600 60\n@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n' \
  >"$WORK/zq.zone"

stop_dns_serve() { # SIGTERM must end it cleanly (exit 0: also no sanitizer report)
  local rc=0
  kill "$DNS_PID"
  wait "$DNS_PID" || rc=$?
  [ "$rc" = 0 ] || fail "dns serve exited with $rc: $(tail -5 "$WORK/dns-serve.out")"
}
go_queries() { grep -c " -> " "$WORK/gs.log" || true; }

start_dns_serve --log-level info --zone "$WORK/zq.zone" --upstream-timeout "$TIMEOUT_MS" \
  --upstream "doq://127.0.0.1:$GO_PORT#localhost" --upstream-ca "$CA"

expect_exit 0 "forwarded A" zq example.test A --short
grep -qx "192.0.2.1" "$WORK/out" || fail "forwarded A: $(cat "$WORK/out")"
goq -expect "hello from doq-server" example.test TXT >"$WORK/o" 2>&1 ||
  fail "doq-query TXT: $(cat "$WORK/o")"
expect_exit 0 "forwarded CNAME chain" zq www.example.test AAAA
grep -q "CNAME	example.test." "$WORK/out" || fail "CNAME: $(cat "$WORK/out")"
grep -q "AAAA	2001:db8::1" "$WORK/out" || fail "CNAME target: $(cat "$WORK/out")"
expect_exit 0 "forwarded MX" zq example.test MX --short
grep -qx "10 mail.example.test." "$WORK/out" || fail "MX: $(cat "$WORK/out")"
expect_exit 1 "NXDOMAIN" zq nope.example.test A
grep -q "status: NXDOMAIN" "$WORK/out" || fail "NXDOMAIN: $(cat "$WORK/out")"
expect_exit 0 "20 KB TXT" zq 20000.size.test TXT --short
[ "$(tr -d '\n' <"$WORK/out" | wc -c)" -ge 20000 ] || fail "big TXT: $(wc -c <"$WORK/out") bytes"
expect_exit 0 "local zone" zq www.zq.test A --short
grep -qx "192.0.2.80" "$WORK/out" || fail "local zone: $(cat "$WORK/out")"
before=$(go_queries)
expect_exit 0 "cached A" zq example.test A --short
[ "$(go_queries)" = "$before" ] || fail "the second ask of example.test went upstream again"

# What the upstream saw: one connection so far, padded answers (so padded queries). quic-go logs
# each query line before the connection line of a new connection, so count those.
[ "$(grep -c "connection: local=" "$WORK/gs.log")" = 1 ] ||
  fail "forwards did not share one connection: $(grep "connection:" "$WORK/gs.log")"
grep " -> " "$WORK/gs.log" | grep -v "size.test" | grep -qv "468 bytes" &&
  fail "an answer was not padded to 468 bytes, so its query was not padded: $(grep ' -> ' "$WORK/gs.log")"
# The upstream closes the idle connection after 1 s; the next forward resumes in 0-RTT.
for _ in $(seq 1 60); do grep -q "connection ended" "$WORK/gs.log" && break; sleep 0.05; done
grep -q "connection ended" "$WORK/gs.log" || fail "doq-server never idled the connection out"
expect_exit 0 "forward after the upstream closed" zq www.example.test A
grep -q "A	192.0.2.1" "$WORK/out" || fail "after reconnect: $(cat "$WORK/out")"
for _ in $(seq 1 40); do [ "$(grep -c "connection: local=" "$WORK/gs.log")" = 2 ] && break; sleep 0.05; done
grep "connection: local=" "$WORK/gs.log" | tail -1 | grep -q "resumed=true 0rtt=true" ||
  fail "reconnect was not a 0-RTT resumption: $(grep "connection:" "$WORK/gs.log" | tail -1)"
kill -HUP "$DNS_PID"
for _ in $(seq 1 50); do grep -q "upstreams: [1-9]" "$WORK/dns-serve.out" && break; sleep 0.05; done
line=$(grep "upstreams:" "$WORK/dns-serve.out" | tail -1)
grep -q "0 failed, 0 over TCP" <<<"$line" || fail "counters: $line"
stop_dns_serve
pass "forwarding to quic-go's doq-server: answers, 20 KB TXT, padding, one connection, 0-RTT reconnect ($line)"

# From a config file; the upstream's certificate chains to a CA we do not trust.
cat >"$WORK/node.conf" <<EOF
dns = {
  upstreams = "doq://127.0.0.1:$GO_PORT";
  upstream_ca = "$CERTS/other-ca.pem";
};
EOF
"$ZQUIC" dns serve --config "$WORK/node.conf" --cert "$CERTS/server-chain.pem" \
  --key "$CERTS/server.key" --check >"$WORK/check" 2>&1 || fail "--check: $(cat "$WORK/check")"
grep -q "1 upstream(s)" "$WORK/check" || fail "--check: $(cat "$WORK/check")"
set +e
"$ZQUIC" dns serve --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
  --upstream "doq://localhost:$GO_PORT" --check >"$WORK/check" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "--check accepted a DoQ upstream given by name (exit $rc)"
grep -q "IP address" "$WORK/check" || fail "--check message: $(cat "$WORK/check")"
start_dns_serve --config "$WORK/node.conf" --upstream-timeout "$TIMEOUT_MS"
t0=$(date +%s%3N)
expect_exit 1 "untrusted upstream" zq other.example.test A
elapsed=$(($(date +%s%3N) - t0))
grep -q "status: SERVFAIL" "$WORK/out" || fail "untrusted upstream: $(cat "$WORK/out")"
grep -q "extended error 23" "$WORK/out" || fail "untrusted upstream: no EDE 23: $(cat "$WORK/out")"
[ "$elapsed" -lt $((TIMEOUT_MS + 2000)) ] || fail "untrusted upstream took $elapsed ms"
grep -q "other.example.test" "$WORK/gs.log" && fail "a query crossed an unverified connection"
stop_dns_serve
pass "untrusted DoQ upstream: SERVFAIL + EDE 23 in $elapsed ms, no query sent; --check refuses names"
