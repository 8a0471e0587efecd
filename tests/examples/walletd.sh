#!/usr/bin/env bash
# walletd.sh — examples/walletd end to end on loopback: walletd_server on port 0 with the test
# PKI, walletd_client calling it as ghostd would. GetBalance for a known wallet (the balances of
# the README's ledger), an empty one, an unknown one (NOT_FOUND, exit 1) and malformed requests
# (INVALID_ARGUMENT); SubscribeBlocks for 3 blocks (in order, each extending the last), two
# subscriptions at once seeing the same chain, and SIGTERM in the middle of a stream (the client
# hears UNAVAILABLE, the server exits 0). In the ASan build the same binaries are instrumented,
# so leaks or memory errors in either show up as a wrong exit status.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${WALLETD_SERVER:?WALLETD_SERVER must point at walletd_server}"
: "${WALLETD_CLIENT:?WALLETD_CLIENT must point at walletd_client}"
server=$WALLETD_SERVER
client=$WALLETD_CLIENT

# --- help and usage errors (exit 2, a message naming the problem) ---
expect_exit 0 "walletd_server --help" "$server" --help
grep -q "usage: walletd_server" "$WORK/out" || fail "server --help has no usage line"
expect_exit 0 "walletd_client --help" "$client" --help
grep -q "usage: walletd_client" "$WORK/out" || fail "client --help has no usage line"
expect_exit 2 "server without --cert" "$server" --listen 127.0.0.1:0
grep -q "\-\-cert and --key are required" "$WORK/err" || fail "missing --cert message"
expect_exit 2 "client without --ca" "$client" 127.0.0.1:1 --account alice
grep -q "\-\-ca is required" "$WORK/err" || fail "missing --ca message"
expect_exit 2 "client with nothing to do" "$client" 127.0.0.1:1 --ca "$CERTS/ca.pem"
expect_exit 2 "client --subscribe 0" "$client" 127.0.0.1:1 --ca "$CERTS/ca.pem" --subscribe 0
expect_exit 2 "client --request-hex xyz" "$client" 127.0.0.1:1 --ca "$CERTS/ca.pem" --request-hex xyz
expect_exit 1 "server with a missing certificate" "$server" --listen 127.0.0.1:0 \
  --cert "$WORK/nope.pem" --key "$CERTS/server.key"
grep -q "cannot load certificate" "$WORK/err" || fail "bad cert message: $(cat "$WORK/err")"
pass "help and usage errors"

start_walletd() {
  "$server" --listen 127.0.0.1:0 --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
    --block-interval 50 >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_file "$WORK/server.out"
  local line
  line=$(head -1 "$WORK/server.out")
  [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || fail "server's first line: '$line'"
  ADDR=127.0.0.1:${BASH_REMATCH[1]}
}
start_walletd

# --- GetBalance ---
expect_exit 0 "GetBalance alice" "$client" "$ADDR" --ca "$CERTS/ca.pem" --account alice
grep -qx "wallet alice: 2 balances" "$WORK/out" || fail "alice: $(cat "$WORK/out")"
grep -qx "  GCC 1250.500000 (6 decimals)" "$WORK/out" || fail "alice's GCC: $(cat "$WORK/out")"
grep -q "^  ETH 0.750000000000000000 (18 decimals, token 0x0\{40\})$" "$WORK/out" ||
  fail "alice's ETH: $(cat "$WORK/out")"
expect_exit 0 "GetBalance bob by host name" "$client" "localhost:${ADDR##*:}" --ca "$CERTS/ca.pem" \
  --account bob
grep -qx "  GCC 42.000000 (6 decimals)" "$WORK/out" || fail "bob: $(cat "$WORK/out")"
expect_exit 0 "GetBalance dormant" "$client" "$ADDR" --ca "$CERTS/ca.pem" --account dormant
grep -qx "wallet dormant: 0 balances" "$WORK/out" || fail "dormant: $(cat "$WORK/out")"
pass "GetBalance of known wallets"

expect_exit 1 "GetBalance nobody" "$client" "$ADDR" --ca "$CERTS/ca.pem" --account nobody
grep -q 'GetBalance: NOT_FOUND: no wallet "nobody"' "$WORK/err" || fail "nobody: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "nobody printed balances: $(cat "$WORK/out")"
# 0a 05 ab: field 1 claims 5 bytes and has 1. ff: field 31 with wire type 7, which does not exist.
for bad in 0a05ab ff; do
  expect_exit 1 "GetBalance with bytes $bad" "$client" "$ADDR" --ca "$CERTS/ca.pem" --request-hex "$bad"
  grep -q "GetBalance: INVALID_ARGUMENT: GetBalanceRequest does not decode" "$WORK/err" ||
    fail "malformed $bad: $(cat "$WORK/err")"
done
expect_exit 1 "GetBalance with no wallet_id" "$client" "$ADDR" --ca "$CERTS/ca.pem" --request-hex ""
grep -q "INVALID_ARGUMENT: wallet_id is empty" "$WORK/err" || fail "empty id: $(cat "$WORK/err")"
# One connection for every call: a subscription after a failed GetBalance still works.
expect_exit 1 "two calls, the first failing" "$client" "$ADDR" --ca "$CERTS/ca.pem" --account nobody \
  --subscribe 1
grep -qx "subscription ended: OK, 1 block" "$WORK/out" || fail "second call on the connection"
pass "GetBalance errors: NOT_FOUND and INVALID_ARGUMENT"

# --- SubscribeBlocks ---
expect_exit 0 "SubscribeBlocks 3" "$client" "$ADDR" --ca "$CERTS/ca.pem" --subscribe 3
heights=$(awk '/^block / {printf "%s ", $2}' "$WORK/out")
[ "$heights" = "1 2 3 " ] || fail "block heights '$heights': $(cat "$WORK/out")"
grep -qx "subscription ended: OK, 3 blocks" "$WORK/out" || fail "end of stream: $(cat "$WORK/out")"
cp "$WORK/out" "$WORK/chain3"
# Two at once: each is served by its own worker thread, and both see the same chain.
"$client" "$ADDR" --ca "$CERTS/ca.pem" --subscribe 3 >"$WORK/sub1" 2>&1 &
p1=$!
"$client" "$ADDR" --ca "$CERTS/ca.pem" --subscribe 3 >"$WORK/sub2" 2>&1 &
p2=$!
wait "$p1" || fail "first concurrent subscription: $(cat "$WORK/sub1")"
wait "$p2" || fail "second concurrent subscription: $(cat "$WORK/sub2")"
grep "^block " "$WORK/chain3" >"$WORK/chain3.blocks"
for f in sub1 sub2; do
  grep "^block " "$WORK/$f" >"$WORK/$f.blocks" || true
  cmp -s "$WORK/chain3.blocks" "$WORK/$f.blocks" || fail "$f saw another chain: $(cat "$WORK/$f")"
done
pass "SubscribeBlocks: 3 blocks in order, the same chain for every subscriber"

# --- SIGTERM in the middle of a stream ---
"$client" "$ADDR" --ca "$CERTS/ca.pem" --subscribe 1000 >"$WORK/long.out" 2>"$WORK/long.err" &
long=$!
for _ in $(seq 1 200); do
  grep -q "^block 2 " "$WORK/long.out" && break
  sleep 0.05
done
grep -q "^block 2 " "$WORK/long.out" || fail "the long subscription never started: $(cat "$WORK/long.err")"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 200); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$SERVER_PID" 2>/dev/null && fail "walletd_server still running 10 s after SIGTERM"
set +e
wait "$SERVER_PID"
server_rc=$?
wait "$long"
client_rc=$?
set -e
[ "$server_rc" = 0 ] || fail "walletd_server exited $server_rc after SIGTERM: $(cat "$WORK/server.err")"
grep -q "SIGTERM, shutting down" "$WORK/server.err" || fail "server said: $(cat "$WORK/server.err")"
[ "$client_rc" = 1 ] || fail "client exited $client_rc when the server stopped"
grep -q "SubscribeBlocks: UNAVAILABLE: walletd is shutting down" "$WORK/long.err" ||
  fail "client's view of the shutdown: $(cat "$WORK/long.err")"
pass "SIGTERM ends running streams with UNAVAILABLE, server exits 0"
