#!/usr/bin/env bash
# grpc_interop.sh CASE — GhostBridge against the quic-go gRPC-over-HTTP/3 peers
# (../shared/peers/go), which share no code with us:
#   gocall-serve   grpc-h3-call -> zquic grpc serve: echo, unknown method -> UNIMPLEMENTED,
#                  deadline -> DEADLINE_EXCEEDED, forced status, 300 KB messages both ways,
#                  2,000 calls with 50 in flight
#   call-goserver  zquic grpc call -> grpc-h3-server: echo with trailers, error status from
#                  metadata, unknown method, unsupported compression, load mode
#   call-serve     zquic grpc call -> zquic grpc serve (metadata, health, node) and bad input
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
case_name=${1:?case}
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
CA=$CERTS/ca.pem

start_grpc_serve() {
  local pf=$WORK/gport.$RANDOM
  "$ZQUIC" grpc serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$CERTS/server-chain.pem" \
    --key "$CERTS/server.key" --log-level warn "$@" >"$WORK/grpc-serve.out" 2>&1 &
  PIDS+=($!)
  wait_for_file "$pf"
  ZQ_PORT=$(cat "$pf")
}

# grpc-h3-call exits 0 only when the status is the expected one.
gocall() { "$PEERS_BIN/grpc-h3-call" -addr "127.0.0.1:$ZQ_PORT" -ca "$CA" -sni localhost "$@"; }

case $case_name in
gocall-serve)
  start_grpc_serve --methods /test.Echo/Echo,/test.Echo/Other
  gocall -hex 0a0568656c6c6f -expect-echo /test.Echo/Echo >"$WORK/o1" || fail "echo"
  grep -q "grpc-status: 0 (OK)" "$WORK/o1" || fail "echo: no OK status: $(cat "$WORK/o1")"
  gocall -data x -expect-status 12 /test.Nope/Missing >"$WORK/o2" || fail "unknown method"
  gocall -data x -expect-status 4 -grpc-timeout 200ms -H 'x-echo-delay-ms: 2000' \
    /test.Echo/Echo >"$WORK/o3" || fail "deadline: $(cat "$WORK/o3")"
  gocall -data x -expect-status 9 -H 'x-echo-status: 9' -H 'x-echo-message: no funds 100%' \
    /test.Echo/Other >"$WORK/o4" || fail "forced status"
  grep -q "no funds 100%" "$WORK/o4" || fail "grpc-message not carried: $(cat "$WORK/o4")"
  make_file "$WORK/big.bin" 300000
  gocall -data-file "$WORK/big.bin" -expect-echo -out none /test.Echo/Echo >"$WORK/o5" ||
    fail "300 KB echo"
  gocall -data ping -n 2000 -c 50 /test.Echo/Echo >"$WORK/o6" || fail "load: $(cat "$WORK/o6")"
  grep -q "2000 ok, 0 failed" "$WORK/o6" || fail "load had failures: $(cat "$WORK/o6")"
  pass "grpc-h3-call -> zquic grpc serve"
  ;;
call-goserver)
  port=$(free_udp_port)
  "$PEERS_BIN/grpc-h3-server" -listen "127.0.0.1:$port" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" >"$WORK/gs.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$port"
  call() { "$ZQUIC" grpc call --ca "$CA" "$@"; }
  expect_exit 0 "echo" call --data-hex 68656c6c6f "localhost:$port" /test.Echo/Echo
  grep -qx "message: 68656c6c6f" "$WORK/out" || fail "echo reply: $(cat "$WORK/out")"
  grep -qx "grpc-status: 0 (OK)" "$WORK/out" || fail "echo status (from trailers): $(cat "$WORK/out")"
  expect_exit 1 "forced status" call -H x-echo-status:7 -H "x-echo-message:go away" \
    "localhost:$port" /test.Echo/Echo
  grep -qx "grpc-status: 7 (PERMISSION_DENIED)" "$WORK/out" || fail "status 7: $(cat "$WORK/out")"
  grep -qx "grpc-message: go away" "$WORK/out" || fail "message: $(cat "$WORK/out")"
  expect_exit 1 "unknown method" call "localhost:$port" /test.Nope/Missing
  grep -qx "grpc-status: 12 (UNIMPLEMENTED)" "$WORK/out" || fail "unknown: $(cat "$WORK/out")"
  # The Go peer refuses compressed messages with UNIMPLEMENTED: our gzip header arrived.
  expect_exit 1 "compressed" call --compress --data-hex 00 "localhost:$port" /test.Echo/Echo
  grep -qx "grpc-status: 12 (UNIMPLEMENTED)" "$WORK/out" || fail "gzip: $(cat "$WORK/out")"
  make_file "$WORK/big.bin" 300000
  expect_exit 0 "300 KB" call --data-file "$WORK/big.bin" "localhost:$port" /test.Echo/Echo
  sed -n 's/^message: //p' "$WORK/out" | xxd -r -p >"$WORK/big.back"
  same_bytes "$WORK/big.bin" "$WORK/big.back" "300 KB echo"
  expect_exit 0 "load" call -n 2000 -c 50 --data-hex 00 "localhost:$port" /test.Echo/Echo
  grep -q "2000 ok, 0 failed" "$WORK/out" || fail "load: $(cat "$WORK/out")"
  pass "zquic grpc call -> grpc-h3-server"
  ;;
call-serve)
  start_grpc_serve
  call() { "$ZQUIC" grpc call --ca "$CA" "$@"; }
  expect_exit 0 "health" call "localhost:$ZQ_PORT" /grpc.health.v1.Health/Check
  grep -qx "message: 0801" "$WORK/out" || fail "health: $(cat "$WORK/out")"
  expect_exit 0 "metadata" call -H "x-echo-extra:1" -H x-blob-bin:00ff10 --data-hex abcd \
    "localhost:$ZQ_PORT" pkg.Svc/NoLeadingSlash
  grep -qx "message: abcd" "$WORK/out" || fail "echo: $(cat "$WORK/out")"
  expect_exit 1 "deadline" call --timeout 200 -H x-echo-delay-ms:3000 "localhost:$ZQ_PORT" /a.B/C
  grep -qx "grpc-status: 4 (DEADLINE_EXCEEDED)" "$WORK/out" || fail "deadline: $(cat "$WORK/out")"
  expect_exit 0 "compressed" call --compress --data-hex 0102030405 "localhost:$ZQ_PORT" /a.B/C
  grep -qx "message: 0102030405" "$WORK/out" || fail "gzip echo: $(cat "$WORK/out")"
  # A plain HTTP/3 request to a gRPC-only server: 415.
  expect_exit 1 "plain GET" "$ZQUIC" get --ca "$CA" "https://localhost:$ZQ_PORT/"
  grep -q "415" "$WORK/err" || fail "plain GET: $(cat "$WORK/err")"
  # Bad input: clear errors, exit 2.
  expect_exit 2 "bad method" call "localhost:$ZQ_PORT" nomethod
  grep -q "package.Service/Method" "$WORK/err" || fail "bad method message: $(cat "$WORK/err")"
  expect_exit 2 "bad hex" call --data-hex zz "localhost:$ZQ_PORT" /a.B/C
  expect_exit 2 "bad metadata" call -H "Upper:x" "localhost:$ZQ_PORT" /a.B/C
  expect_exit 2 "missing args" call "localhost:$ZQ_PORT"
  expect_exit 1 "wrong CA" "$ZQUIC" grpc call --ca "$CERTS/other-ca.pem" "localhost:$ZQ_PORT" /a.B/C
  expect_exit 0 "help" "$ZQUIC" grpc call --help
  grep -q "grpc-status" "$WORK/out" || fail "help text"
  # The server is still fine after all that.
  expect_exit 0 "still serving" call "localhost:$ZQ_PORT" /grpc.health.v1.Health/Check
  # The node serves GhostBridge next to its page by default, and not when configured off.
  pf=$WORK/nport
  "$ZQUIC" node --state-dir "$WORK/state" --listen 127.0.0.1:0 --dns-listen 127.0.0.1:0 --port-file "$pf" \
    --log-level warn >"$WORK/node.out" 2>&1 &
  PIDS+=($!)
  wait_for_file "$pf"
  expect_exit 0 "node health" call --ca "$WORK/state/cert.pem" "localhost:$(cat "$pf")" \
    /grpc.health.v1.Health/Check
  expect_exit 0 "node page" "$ZQUIC" get --ca "$WORK/state/cert.pem" "https://localhost:$(cat "$pf")/"
  grep -q "zquic node" "$WORK/out" || fail "node page: $(cat "$WORK/out")"
  printf 'grpc = { echo = false; };\n' >"$WORK/off.cfg"
  rm -f "$pf"
  "$ZQUIC" node --config "$WORK/off.cfg" --state-dir "$WORK/state" --listen 127.0.0.1:0 --dns-listen 127.0.0.1:0 \
    --port-file "$pf" --log-level warn >"$WORK/node2.out" 2>&1 &
  PIDS+=($!)
  wait_for_file "$pf"
  kill -0 "$!" || fail "the node without gRPC did not start: $(cat "$WORK/node2.out")"
  expect_exit 1 "node without gRPC" call --ca "$WORK/state/cert.pem" "localhost:$(cat "$pf")" \
    /grpc.health.v1.Health/Check
  pass "zquic grpc call -> zquic grpc serve"
  ;;
*) fail "unknown case $case_name" ;;
esac
