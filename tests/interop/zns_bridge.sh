#!/usr/bin/env bash
# zns_bridge.sh — ZNS through a GhostBridge upstream, with peers we did not write on both sides:
# the Go doq-query client (quic-go + miekg/dns) asks `zquic dns serve --zns-ghostbridge`, which
# asks a GhostChain service (ghostchain_service: protobuf-c messages generated from the real
# .proto) over gRPC over HTTP/3. The owners sign with `zquic zns sign --expiry 9007199254740991`,
# the message a DomainResponse carries (docs/ZNS.md).
#   served     A, MX, TXT and the owner through doq-query, and our own client; NOT_FOUND is
#              NXDOMAIN; an entry signed with another expiry is refused (SERVFAIL, EDE 6)
#   refused    a service that tampers with signatures or sends garbage: SERVFAIL with EDE 6 / 24
#              and a log line, never the records
#   config     the same settings from a config file, checked with --check
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
: "${GHOSTCHAIN_SERVICE:?GHOSTCHAIN_SERVICE must point at tests/interop/ghostchain_service}"
[ -x "$PEERS_BIN/doq-query" ] || skip "doq-query not built (run ../shared/peers/go/build.sh)"
CA=$CERTS/ca.pem
NO_EXPIRY=9007199254740991

# start_service NAME [flags...]: sets SVC_PORT.
start_service() {
  local name=$1; shift
  "$GHOSTCHAIN_SERVICE" --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
    --registry "$WORK/chain.json" --port-file "$WORK/$name.port" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$WORK/$name.port"
  SVC_PORT=$(cat "$WORK/$name.port")
}

"$ZQUIC" crypto keygen --alg ed25519 --out "$WORK/carol" >/dev/null
"$ZQUIC" zns sign --key "$WORK/carol.key" --registry "$WORK/chain.json" --domain carol.zns \
  --record "A 300 192.0.2.30" --record "MX 600 10 mail.carol.zns" \
  --record "TXT 300 hello via ghostbridge" --expiry "$NO_EXPIRY" >/dev/null
"$ZQUIC" zns sign --key "$WORK/carol.key" --registry "$WORK/chain.json" --domain dated.ghost \
  --record "A 300 192.0.2.31" --expires-in 30 >/dev/null # not the message a DomainResponse carries
owner=$(tr -d ' \n' <"$WORK/carol.pub")

start_service good
start_dns_serve --zns-ghostbridge "localhost:$SVC_PORT" --zns-ghostbridge-ca "$CA" \
  --zns-network testnet --zns-ghostbridge-timeout 2000 --log-level info
goq -expect 192.0.2.30 carol.zns A >"$WORK/o" 2>&1 || fail "A: $(cat "$WORK/o")"
goq -expect "10 mail.carol.zns." carol.zns MX >"$WORK/o" 2>&1 || fail "MX: $(cat "$WORK/o")"
goq -expect "hello via ghostbridge" carol.zns TXT >"$WORK/o" 2>&1 || fail "TXT: $(cat "$WORK/o")"
grep -q "zns-owner=$owner" "$WORK/o" || fail "TXT without the owner: $(cat "$WORK/o")"
grep -q "ResolveDomain carol.zns MX (testnet)" "$WORK/good.log" ||
  fail "the service did not see the query: $(cat "$WORK/good.log")"
expect_exit 0 "our client, owner" zq carol.zns ZNS --short
grep -qix "$owner" "$WORK/out" || fail "owner: $(cat "$WORK/out")"
goq -expect-rcode NXDOMAIN nobody.zns A >"$WORK/o" 2>&1 || fail "NOT_FOUND: $(cat "$WORK/o")"
goq -pad -full -expect-rcode SERVFAIL dated.ghost A >"$WORK/o" 2>&1 ||
  fail "entry signed with an expiry: $(cat "$WORK/o")"
grep -q "192.0.2.31" "$WORK/o" && fail "refused records served: $(cat "$WORK/o")"
grep -qi "EDE: 6" "$WORK/o" || fail "no EDE 6: $(cat "$WORK/o")"
grep -q "dated.ghost: answer not served: bad signature" "$WORK/dns-serve.out" ||
  fail "refusal not logged: $(cat "$WORK/dns-serve.out")"
# Cached: many queries, one more call at most.
calls=$(grep -c "ResolveDomain carol.zns A " "$WORK/good.log")
goq -q -n 200 -c 20 carol.zns A >"$WORK/load" 2>&1 || fail "load: $(cat "$WORK/load")"
grep -q "200 ok, 0 failed" "$WORK/load" || fail "load: $(cat "$WORK/load")"
[ "$(grep -c "ResolveDomain carol.zns A " "$WORK/good.log")" = "$calls" ] ||
  fail "cached answers asked the service again"
pass "doq-query -> zquic dns serve -> GhostChain service"

kill "$DNS_PID"
for mode in tamper garbage; do
  start_service "$mode" "--$mode"
  start_dns_serve --zns-ghostbridge "localhost:$SVC_PORT" --zns-ghostbridge-ca "$CA"
  goq -pad -full -expect-rcode SERVFAIL carol.zns A >"$WORK/o" 2>&1 ||
    fail "$mode: $(cat "$WORK/o")"
  grep -q "192.0.2.30" "$WORK/o" && fail "$mode: records served: $(cat "$WORK/o")"
  want=6
  [ "$mode" = garbage ] && want=24
  grep -qi "EDE: $want" "$WORK/o" || fail "$mode: no EDE $want: $(cat "$WORK/o")"
  grep -q "carol.zns: answer not served" "$WORK/dns-serve.out" || fail "$mode: not logged"
  kill "$DNS_PID"
done
pass "answers with a bad signature or garbage are refused"

cat >"$WORK/dns.cfg" <<EOF
tls = { cert = "$CERTS/server-chain.pem"; key = "$CERTS/server.key"; };
dns = { listen = "127.0.0.1:0"; zns_ghostbridge = "localhost:$SVC_PORT";
        zns_ghostbridge_ca = "$CA"; zns_network = "testnet"; zns_ghostbridge_timeout_ms = 1500; };
EOF
expect_exit 0 "dns serve --check" "$ZQUIC" dns serve --config "$WORK/dns.cfg" --check
grep -q "ZNS GhostBridge" "$WORK/out" || fail "--check: $(cat "$WORK/out")"
printf 'dns = { zns_ghostbridge_timeout_ms = 0; };\n' >"$WORK/bad.cfg"
expect_exit 2 "bad timeout" "$ZQUIC" dns serve --config "$WORK/bad.cfg" --check
grep -q "zns_ghostbridge_timeout_ms must be an integer from 1 to 60000" "$WORK/err" ||
  fail "bad timeout: $(cat "$WORK/err")"
pass "config file keys"
