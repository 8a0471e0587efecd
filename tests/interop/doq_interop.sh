#!/usr/bin/env bash
# doq_interop.sh CASE — CNS/ZNS over DNS-over-QUIC against the quic-go peers (../shared/peers/go),
# which share no code with us:
#   goquery-serve  doq-query -> zquic dns serve: A, AAAA, TXT, CNAME, MX, NXDOMAIN, a 60 KB answer,
#                  padding, 0-RTT, a non-zero Message ID and a missing FIN rejected, 2,000 queries
#                  with 50 in flight
#   query-goserver zquic dns query -> doq-server
#   zns            a signed ZNS registry served by zquic dns serve: records, the owner, tampered
#                  and removed entries after a SIGHUP reload, and a reload that fails keeps the
#                  old data
#   node           zquic node on its defaults serves DoQ: the built-in zone and example ZNS
#                  entries it makes in its state directory
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
case_name=${1:?case}
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
CA=$CERTS/ca.pem


make_zone() { # FILE
  {
    printf '$ORIGIN zq.test.\n$TTL 300\n'
    printf '@ IN SOA ns.zq.test. admin.zq.test. 1 7200 900 1209600 60\n'
    printf '@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\nwww IN AAAA 2001:db8::80\n'
    printf 'alias IN CNAME www\n@ IN MX 10 mail\nmail IN A 192.0.2.25\n'
    printf 'txt IN TXT "hello over doq"\n'
    # 250 TXT records of 240 bytes: a ~60 KB answer
    for i in $(seq 1 250); do
      printf 'big IN TXT "%03d-%s"\n' "$i" "$(head -c 236 /dev/zero | tr '\0' 'x')"
    done
  } >"$1"
}

case $case_name in
goquery-serve)
  make_zone "$WORK/zq.zone"
  start_dns_serve --zone "$WORK/zq.zone" --0rtt
  goq -expect 192.0.2.80 www.zq.test A >"$WORK/o" || fail "A: $(cat "$WORK/o")"
  goq -expect 2001:db8::80 www.zq.test AAAA >"$WORK/o" || fail "AAAA"
  goq -expect "hello over doq" txt.zq.test TXT >"$WORK/o" || fail "TXT"
  goq -expect www.zq.test. alias.zq.test A >"$WORK/o" || fail "CNAME: $(cat "$WORK/o")"
  goq -expect mail.zq.test. zq.test MX >"$WORK/o" || fail "MX"
  goq -expect-rcode NXDOMAIN nope.zq.test A >"$WORK/o" 2>&1 || fail "NXDOMAIN: $(cat "$WORK/o")"
  goq -expect-rcode REFUSED example.com A >"$WORK/o" 2>&1 || fail "out of zone: $(cat "$WORK/o")"
  goq -full big.zq.test TXT >"$WORK/big" 2>&1 || fail "60 KB answer: $(tail -3 "$WORK/big")"
  [ "$(grep -c '"[0-9][0-9][0-9]-x' "$WORK/big")" = 250 ] || fail "60 KB answer incomplete"
  goq -pad -full www.zq.test A >"$WORK/pad" 2>&1 || fail "padded query"
  grep -q "PADDING" "$WORK/pad" || fail "answer to a padded query is not padded"
  goq -0rtt -require-0rtt -expect 192.0.2.80 www.zq.test A >"$WORK/o" 2>&1 ||
    fail "0-RTT: $(cat "$WORK/o")"
  goq -bad-id 7 www.zq.test A >"$WORK/o" 2>&1 || fail "non-zero ID accepted: $(cat "$WORK/o")"
  goq -no-fin www.zq.test A >"$WORK/o" 2>&1 || fail "missing FIN accepted: $(cat "$WORK/o")"
  goq -q -n 2000 -c 50 www.zq.test A >"$WORK/load" 2>&1 || fail "load: $(cat "$WORK/load")"
  grep -q "2000 ok, 0 failed" "$WORK/load" || fail "load: $(cat "$WORK/load")"
  pass "doq-query -> zquic dns serve"
  ;;
query-goserver)
  port=$(free_udp_port)
  "$PEERS_BIN/doq-server" -listen "127.0.0.1:$port" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" >"$WORK/gs.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$port"
  ZQ_PORT=$port
  expect_exit 0 "A" zq example.test
  grep -q "IN	A	192.0.2.1" "$WORK/out" || fail "A: $(cat "$WORK/out")"
  expect_exit 0 "TXT" zq example.test TXT --short
  grep -qx "hello from doq-server" "$WORK/out" || fail "TXT: $(cat "$WORK/out")"
  expect_exit 0 "CNAME chain" zq www.example.test AAAA
  grep -q "CNAME	example.test." "$WORK/out" || fail "CNAME: $(cat "$WORK/out")"
  grep -q "AAAA	2001:db8::1" "$WORK/out" || fail "CNAME target: $(cat "$WORK/out")"
  expect_exit 1 "NXDOMAIN" zq nope.example.test
  grep -q "status: NXDOMAIN" "$WORK/out" || fail "NXDOMAIN: $(cat "$WORK/out")"
  expect_exit 0 "no padding" zq --no-padding example.test MX --short
  expect_exit 2 "bad type" zq example.test BOGUS
  expect_exit 2 "bad name" zq "a..b" A
  pass "zquic dns query -> doq-server"
  ;;
zns)
  "$ZQUIC" crypto keygen --alg ed25519 --out "$WORK/alice" >/dev/null
  "$ZQUIC" crypto keygen --alg ed25519 --out "$WORK/bob" >/dev/null
  reg=$WORK/registry.json
  "$ZQUIC" zns sign --key "$WORK/alice.key" --registry "$reg" --domain wallet.ghost \
    --record "A 300 192.0.2.7" --record "TXT 300 hello ghost" >/dev/null
  "$ZQUIC" zns sign --key "$WORK/bob.key" --registry "$reg" --domain bob.zns \
    --record "AAAA 60 2001:db8::b0b" >/dev/null
  start_dns_serve --zns-registry "$reg"
  expect_exit 0 "ZNS A" zq wallet.ghost A --short
  grep -qx "192.0.2.7" "$WORK/out" || fail "ZNS A: $(cat "$WORK/out")"
  expect_exit 0 "ZNS TXT" zq wallet.ghost TXT
  grep -q "hello ghost" "$WORK/out" || fail "ZNS TXT: $(cat "$WORK/out")"
  owner=$(tr -d ' \n' <"$WORK/alice.pub")
  expect_exit 0 "ZNS owner" zq wallet.ghost ZNS --short
  grep -qix "$owner" "$WORK/out" || fail "ZNS owner: $(cat "$WORK/out") (want $owner)"
  expect_exit 0 "ZNS AAAA" zq bob.zns AAAA --short
  grep -qx "2001:db8::b0b" "$WORK/out" || fail "ZNS AAAA: $(cat "$WORK/out")"
  expect_exit 1 "ZNS unknown" zq nobody.zns A
  grep -q "NXDOMAIN" "$WORK/out" || fail "ZNS unknown: $(cat "$WORK/out")"
  # Tamper with alice's address: after SIGHUP the entry is rejected and no longer served.
  sed -i 's/192\.0\.2\.7/192.0.2.66/' "$reg"
  kill -HUP "$DNS_PID"
  for _ in $(seq 1 50); do
    "$ZQUIC" dns query --ca "$CA" "@localhost:$ZQ_PORT" wallet.ghost A >/dev/null 2>&1 || break
    sleep 0.1
  done
  expect_exit 1 "tampered entry" zq wallet.ghost A
  grep -q "NXDOMAIN" "$WORK/out" || fail "tampered entry still served: $(cat "$WORK/out")"
  expect_exit 0 "other entry" zq bob.zns AAAA --short
  # A registry that does not parse: the reload fails and the old data keeps serving.
  printf '{ not json' >"$reg"
  kill -HUP "$DNS_PID"
  sleep 0.5
  expect_exit 0 "old data after a failed reload" zq bob.zns AAAA --short
  grep -q "reload failed" "$WORK/dns-serve.out" || fail "failed reload not logged"
  # The same settings from a config file, validated with --check (exit 0 / exit 2 with FILE:LINE).
  printf 'tls = { cert = "%s"; key = "%s"; };\ndns = { listen = "127.0.0.1:0"; zns_registry = "%s"; };\n' \
    "$CERTS/server-chain.pem" "$CERTS/server.key" "$WORK/good-registry.json" >"$WORK/dns.cfg"
  "$ZQUIC" zns sign --key "$WORK/bob.key" --registry "$WORK/good-registry.json" --domain cfg.zns \
    --record "A 60 192.0.2.9" >/dev/null
  expect_exit 0 "dns serve --check" "$ZQUIC" dns serve --config "$WORK/dns.cfg" --check
  grep -q "configuration OK" "$WORK/out" || fail "--check: $(cat "$WORK/out")"
  printf 'dns = { zonez = "x"; };\n' >"$WORK/bad.cfg"
  expect_exit 2 "dns serve bad config" "$ZQUIC" dns serve --config "$WORK/bad.cfg" --check
  grep -q 'bad.cfg:1: unknown setting "dns.zonez"' "$WORK/err" || fail "bad config: $(cat "$WORK/err")"
  pass "ZNS registry through zquic dns serve"
  ;;
node)
  printf 'dns = { listen = "127.0.0.1:0"; };\n' >"$WORK/node.cfg"
  "$ZQUIC" node --config "$WORK/node.cfg" --state-dir "$WORK/state" --listen 127.0.0.1:0 \
    --log-level warn >"$WORK/node.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "DNS over QUIC at port" "$WORK/node.out" && break; sleep 0.1; done
  ZQ_PORT=$(sed -n 's/.*DNS over QUIC at port \([0-9]*\).*/\1/p' "$WORK/node.out")
  [ -n "$ZQ_PORT" ] || fail "node did not start DoQ: $(cat "$WORK/node.out")"
  CA=$WORK/state/cert.pem
  expect_exit 0 "node zone" zq node.ghostchain.internal A --short
  grep -qx "127.0.0.1" "$WORK/out" || fail "built-in zone: $(cat "$WORK/out")"
  expect_exit 0 "node ZNS" zq node.ghost AAAA --short
  grep -qx "::1" "$WORK/out" || fail "example ZNS entry: $(cat "$WORK/out")"
  expect_exit 0 "node ZNS TXT" zq example.zns TXT --short
  grep -q "hello from ZNS" "$WORK/out" || fail "example ZNS TXT: $(cat "$WORK/out")"
  expect_exit 0 "example registry verifies" "$ZQUIC" zns verify --registry "$WORK/state/dns/zns-registry.json"
  expect_exit 1 "nothing forwarded" zq example.com A
  grep -q "REFUSED" "$WORK/out" || fail "default config forwarded a query: $(cat "$WORK/out")"
  # With dns.upstreams set the node forwards the rest (here to a closed loopback port: SERVFAIL).
  printf 'dns = { listen = "127.0.0.1:0"; upstreams = "127.0.0.1:9"; };\n' >"$WORK/node2.cfg"
  "$ZQUIC" node --config "$WORK/node2.cfg" --state-dir "$WORK/state" --listen 127.0.0.1:0 \
    --log-level warn >"$WORK/node2.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "DNS over QUIC at port" "$WORK/node2.out" && break; sleep 0.1; done
  ZQ_PORT=$(sed -n 's/.*DNS over QUIC at port \([0-9]*\).*/\1/p' "$WORK/node2.out")
  expect_exit 1 "node forwards when configured" zq example.com A
  grep -q "SERVFAIL" "$WORK/out" || fail "configured upstream not used: $(cat "$WORK/out")"
  pass "zquic node serves DNS over QUIC"
  ;;
*) fail "unknown case $case_name" ;;
esac
