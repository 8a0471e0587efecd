#!/usr/bin/env bash
# ens.sh CASE — .eth names through ENS, served by zquic dns serve, checked with our client and the
# quic-go doq-query. Every endpoint is on loopback.
#   chain  a real local chain: ganache@7.9.2 from npm with ENSRegistry (@ensdomains/ens@0.6.2) and
#          PublicResolver (@ensdomains/resolver@0.3.1) deployed by tests/ens/deploy.js; A, AAAA,
#          TXT (eth=0x<EIP-55>, contenthash=0x..., url=...), a subname's A from the parent's DNS
#          records, the ENS query kind, NXDOMAIN for an unregistered name; then ganache is killed:
#          SERVFAIL (EDE 23) at once, while zone and ZNS queries on the same server still answer.
#          The npm packages go to BUILD/ens-chain (or $ZQUIC_ENS_CHAIN_DIR) once; reruns are
#          offline.
#   fake   tests/ens/fake_rpc.py as the endpoint: canned answers, a hostile one (SERVFAIL EDE 24)
#          and one that never answers (SERVFAIL EDE 22 within --eth-timeout, 6 queries at once,
#          while zone and ZNS queries answer before any of the six gives up).
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
case_name=${1:?case}
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
CA=$CERTS/ca.pem

ms_now() { date +%s%3N; }

# A zone and a ZNS entry on the same server: they must keep answering while ENS is down.
make_local_data() {
  printf '$ORIGIN zq.test.\n$TTL 300\n@ IN SOA ns.zq.test. admin.zq.test. 1 7200 900 1209600 60\n' \
    >"$WORK/zq.zone"
  printf '@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n' >>"$WORK/zq.zone"
  "$ZQUIC" crypto keygen --alg ed25519 --out "$WORK/alice" >/dev/null
  "$ZQUIC" zns sign --key "$WORK/alice.key" --registry "$WORK/zns.json" --domain wallet.ghost \
    --record "A 300 192.0.2.7" >/dev/null
}

install_chain() {
  local dir=${ZQUIC_ENS_CHAIN_DIR:-$ZQUIC_BUILD_DIR/ens-chain}
  command -v node >/dev/null && command -v npm >/dev/null ||
    fail "node and npm are needed (scripts/install-deps.sh installs Debian's nodejs and npm)"
  mkdir -p "$dir"
  (
    flock 9 # ctest -j: one install at a time
    if [ "$(node -p 'require(process.argv[1]).version' "$dir/node_modules/ganache/package.json" \
           2>/dev/null)" != 7.9.2 ] ||
       [ ! -f "$dir/node_modules/@ensdomains/ens/build/contracts/ENSRegistry.json" ] ||
       [ ! -f "$dir/node_modules/@ensdomains/resolver/build/contracts/PublicResolver.json" ]; then
      npm install --prefix "$dir" --prefer-offline --no-audit --no-fund --loglevel=error \
        ganache@7.9.2 @ensdomains/ens@0.6.2 @ensdomains/resolver@0.3.1 >"$dir/npm.log" 2>&1 ||
        { echo "npm install failed:"; tail -20 "$dir/npm.log"; exit 1; }
    fi
  ) 9>"$dir/.lock" || fail "cannot install the ENS test chain from npm (see above)"
  CHAIN_MODULES=$dir/node_modules
}

free_tcp_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case $case_name in
chain)
  install_chain
  make_local_data
  port=$(free_tcp_port)
  node "$ZQUIC_SOURCE_DIR/tests/ens/deploy.js" "$port" "$WORK/ens.json" "$CHAIN_MODULES" \
    >"$WORK/chain.log" 2>&1 &
  CHAIN_PID=$!
  PIDS+=($!)
  for _ in $(seq 1 600); do
    [ -s "$WORK/ens.json" ] && break
    kill -0 "$CHAIN_PID" 2>/dev/null || fail "deploy.js died: $(cat "$WORK/chain.log")"
    sleep 0.1
  done
  [ -s "$WORK/ens.json" ] || fail "the chain was not ready in 60 s: $(cat "$WORK/chain.log")"
  registry=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registry"])' "$WORK/ens.json")
  addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["addr"])' "$WORK/ens.json")
  start_dns_serve --zone "$WORK/zq.zone" --zns-registry "$WORK/zns.json" \
    --eth-rpc "http://127.0.0.1:$port" --ens-registry "$registry" --eth-timeout 3000

  expect_exit 0 "ENS A" zq zquic.eth A --short
  grep -qx "192.0.2.10" "$WORK/out" || fail "ENS A: $(cat "$WORK/out")"
  expect_exit 0 "ENS AAAA" zq zquic.eth AAAA --short
  grep -qx "2001:db8::10" "$WORK/out" || fail "ENS AAAA: $(cat "$WORK/out")"
  expect_exit 0 "ENS TXT" zq zquic.eth TXT --short
  grep -qx "eth=$addr" "$WORK/out" || fail "TXT eth= (want EIP-55 $addr): $(cat "$WORK/out")"
  grep -qx "contenthash=0xe3010170122029f2d17be6139079dc48696d1f582a8530eb9805b561eda517e22a892c7e3f1f" \
    "$WORK/out" || fail "TXT contenthash: $(cat "$WORK/out")"
  grep -qx "url=https://zquic.example" "$WORK/out" || fail "TXT url: $(cat "$WORK/out")"
  grep -qx "com.github=zquic-dev" "$WORK/out" || fail "TXT com.github: $(cat "$WORK/out")"
  grep -qx "v=zquic" "$WORK/out" || fail "TXT from the DNS profile: $(cat "$WORK/out")"
  expect_exit 0 "ENS kind" zq zquic.eth ENS --short
  grep -qx "$addr" "$WORK/out" || fail "ENS kind: $(cat "$WORK/out") (want $addr)"
  expect_exit 0 "subname from the parent's DNS records" zq www.zquic.eth A --short
  grep -qx "192.0.2.11" "$WORK/out" || fail "www.zquic.eth A: $(cat "$WORK/out")"
  expect_exit 1 "unregistered" zq nobody.eth A
  grep -q "NXDOMAIN" "$WORK/out" || fail "unregistered name: $(cat "$WORK/out")"
  expect_exit 0 "NODATA" zq zquic.eth MX
  grep -q "status: NOERROR, answers: 0" "$WORK/out" || fail "NODATA: $(cat "$WORK/out")"
  # The independent client (quic-go + miekg/dns) reads the same answers.
  goq -expect 192.0.2.10 zquic.eth A >"$WORK/o" 2>&1 || fail "doq-query A: $(cat "$WORK/o")"
  goq -expect 2001:db8::10 zquic.eth AAAA >"$WORK/o" 2>&1 || fail "doq-query AAAA: $(cat "$WORK/o")"
  goq -expect "eth=$addr" zquic.eth TXT >"$WORK/o" 2>&1 || fail "doq-query TXT: $(cat "$WORK/o")"
  goq -expect-rcode NXDOMAIN nobody.eth A >"$WORK/o" 2>&1 || fail "doq-query NXDOMAIN: $(cat "$WORK/o")"
  # Names ENS cannot hash without UTS-46: refused with a reason, not mis-hashed.
  expect_exit 1 "non-ASCII" zq 'caf\195\169.eth' A
  grep -q "REFUSED" "$WORK/out" || fail "non-ASCII name: $(cat "$WORK/out")"

  # The chain goes away: SERVFAIL at once, the local links still answer.
  kill "$CHAIN_PID"
  wait "$CHAIN_PID" 2>/dev/null || true
  t0=$(ms_now)
  expect_exit 1 "endpoint down" zq gone.eth A
  t1=$(ms_now)
  grep -q "SERVFAIL" "$WORK/out" || fail "endpoint down: $(cat "$WORK/out")"
  grep -q "extended error 23" "$WORK/out" || fail "endpoint down, no EDE 23: $(cat "$WORK/out")"
  [ $((t1 - t0)) -lt 3500 ] || fail "SERVFAIL took $((t1 - t0)) ms"
  goq -expect-rcode SERVFAIL gone2.eth A >"$WORK/o" 2>&1 || fail "doq-query SERVFAIL: $(cat "$WORK/o")"
  expect_exit 0 "zone while ENS is down" zq www.zq.test A --short
  grep -qx "192.0.2.80" "$WORK/out" || fail "zone: $(cat "$WORK/out")"
  expect_exit 0 "ZNS while ENS is down" zq wallet.ghost A --short
  grep -qx "192.0.2.7" "$WORK/out" || fail "ZNS: $(cat "$WORK/out")"
  expect_exit 0 "cached ENS answer" zq zquic.eth A --short
  grep -qx "192.0.2.10" "$WORK/out" || fail "cached ENS answer: $(cat "$WORK/out")"
  pass "ENS on a local ganache chain through zquic dns serve"
  ;;
fake)
  make_local_data
  start_fake() { # MODE: sets FAKE_PORT
    local pf=$WORK/fport.$1
    python3 "$ZQUIC_SOURCE_DIR/tests/ens/fake_rpc.py" "$pf" "$1" >"$WORK/fake-$1.log" 2>&1 &
    PIDS+=($!)
    wait_for_file "$pf"
    FAKE_PORT=$(cat "$pf")
  }
  start_fake canned
  start_dns_serve --eth-rpc "http://127.0.0.1:$FAKE_PORT" \
    --ens-registry 0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e
  expect_exit 0 "canned A" zq fake.eth A --short
  grep -qx "192.0.2.99" "$WORK/out" || fail "canned A: $(cat "$WORK/out")"
  expect_exit 0 "canned TXT" zq fake.eth TXT --short
  grep -qx "eth=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" "$WORK/out" ||
    fail "canned TXT eth=: $(cat "$WORK/out")"
  grep -qx "url=https://fake.example" "$WORK/out" || fail "canned TXT url: $(cat "$WORK/out")"
  kill "$DNS_PID"

  start_fake evil
  start_dns_serve --eth-rpc "http://127.0.0.1:$FAKE_PORT"
  expect_exit 1 "hostile endpoint" zq fake.eth A
  grep -q "SERVFAIL" "$WORK/out" && grep -q "extended error 24" "$WORK/out" ||
    fail "hostile endpoint: $(cat "$WORK/out")"
  kill "$DNS_PID"

  start_fake hang
  start_dns_serve --zone "$WORK/zq.zone" --zns-registry "$WORK/zns.json" \
    --eth-rpc "http://127.0.0.1:$FAKE_PORT" --eth-timeout 5000
  # Ordering, not stopwatch: the local answers must come back while every
  # stalled ENS query is still waiting (their 5 s timeout has not run out).
  t0=$(ms_now)
  qp=()
  for i in 1 2 3 4 5 6; do
    zq "slow$i.eth" A --timeout 30000 >"$WORK/slow$i" 2>&1 &
    qp+=($!)
  done
  sleep 0.2
  expect_exit 0 "zone while ENS hangs" zq www.zq.test A --short
  grep -qx "192.0.2.80" "$WORK/out" || fail "zone while ENS hangs: $(cat "$WORK/out")"
  expect_exit 0 "ZNS while ENS hangs" zq wallet.ghost A --short
  for p in "${qp[@]}"; do
    kill -0 "$p" 2>/dev/null ||
      fail "a stalled ENS query finished before the local answers ($(($(ms_now) - t0)) ms): local answers waited for ENS"
  done
  for p in "${qp[@]}"; do wait "$p" || true; done
  t1=$(ms_now)
  for i in 1 2 3 4 5 6; do
    grep -q "SERVFAIL" "$WORK/slow$i" && grep -q "extended error 22" "$WORK/slow$i" ||
      fail "stalled endpoint, query $i: $(cat "$WORK/slow$i")"
  done
  # Bounded: the six time out together, not one after another (6 x 5 s).
  [ $((t1 - t0)) -lt 15000 ] || fail "6 queries to a stalled endpoint took $((t1 - t0)) ms (timeout 5000)"
  pass "ENS against a fake JSON-RPC endpoint: canned, hostile, stalled"
  ;;
*) fail "unknown case $case_name" ;;
esac
