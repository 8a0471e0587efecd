#!/usr/bin/env bash
# impair.sh CASE — zquic under a bad network: every transfer goes through udp-impair (a user-space
# netem, ../shared/peers/go) on loopback, bodies are compared byte for byte, and the relay's final
# counters must show that the impairment really hit the transfer.
#   download        zquic get <- zquic serve, 20 MiB, 5% loss, 5% reordering, 1% dup, 10 ms delay
#   upload          20 MiB client -> server on a raw stream (C API, net_upload), same impairments,
#                   checked with SHA-256 on the server
#   blackhole       a 2 s blackhole mid-download (shorter than the 30 s idle timeout) is survived
#   rebind          NAT rebinding mid-download and mid-upload: the server must follow the client to
#                   its new port (ngtcp2 validates the new path; the old port is dead), and see
#                   later requests as coming from there
#   rebind-workers  the rebinding download against `zquic serve --workers 2`: the new port may hash
#                   to the other worker's socket, the BPF program steers it back by connection ID
#   corrupt         2% of datagrams get a bit flipped: discarded without harm, the server serves on
#   interop-gtlsserver  zquic get <- ngtcp2's gtlsserver through loss + reordering
#   interop-gtlsclient  ngtcp2's gtlsclient -> zquic serve through loss + reordering
# Fixed seeds make the relay's decisions the same in every run.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
. "$here/net/net_lib.sh"
case_name=${1:?case}
MIB=${ZQUIC_NET_MIB:-20}
BAD="-loss 0.05 -reorder 0.05 -dup 0.01 -delay 10ms"
mkdir -p "$WORK/www" "$WORK/dl"

# get_through_relay NAME SECONDS: download big.bin via the relay with zquic get.
get_through_relay() {
  timed "$1" "$2" "$ZQUIC" get --ca "$CERTS/ca.pem" --timeout 20000 -o "$WORK/dl/big.bin" \
    "https://localhost:$RELAY_PORT/big.bin" || fail "$1: zquic get failed"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "$1"
}

case $case_name in
download)
  make_file "$WORK/www/big.bin" $((MIB << 20))
  start_zquic_serve "$WORK/www"
  # shellcheck disable=SC2086 # BAD is a list of flags
  start_relay "$ZQ_PORT" $BAD -seed 11
  get_through_relay "download $MIB MiB" 60
  stop_relay
  for dir in up down; do
    expect_stat_positive $dir loss "download"
    expect_stat_positive $dir duplicated "download"
  done
  expect_stat_positive down reordered "download"
  ;;
upload)
  uploader=$ZQUIC_BUILD_DIR/tests/net_upload
  [ -x "$uploader" ] || fail "$uploader missing"
  "$uploader" serve "$WORK/echo.port" >"$WORK/echo.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$WORK/echo.port"
  # shellcheck disable=SC2086
  start_relay "$(cat "$WORK/echo.port")" $BAD -seed 12
  timed "upload $MIB MiB" 60 "$uploader" upload "127.0.0.1:$RELAY_PORT" "$MIB" ||
    fail "upload through the relay failed"
  stop_relay
  for dir in up down; do
    expect_stat_positive $dir loss "upload"
    expect_stat_positive $dir duplicated "upload"
  done
  expect_stat_positive up reordered "upload"
  ;;
blackhole)
  make_file "$WORK/www/big.bin" $((MIB << 20))
  start_zquic_serve "$WORK/www"
  # The rate limit stretches the transfer (~3.5 s for 20 MiB) past the end of the blackhole.
  start_relay "$ZQ_PORT" -down-rate 50mbit -blackhole-after 1s -blackhole-for 2s -seed 13
  get_through_relay "download across a 2 s blackhole" 60
  # The blackhole window ended while the transfer was still running...
  grep -q "blackhole (both) over" "$RELAY_ERR" || fail "the download finished before the blackhole ended"
  stop_relay
  # ...and it swallowed traffic of this transfer both ways.
  expect_stat_positive up blackhole "blackhole"
  expect_stat_positive down blackhole "blackhole"
  ;;
rebind)
  make_file "$WORK/www/big.bin" $((MIB << 20))
  start_zquic_serve "$WORK/www" --log-level info
  start_relay "$ZQ_PORT" -down-rate 50mbit -rebind-after 1s -seed 14
  get_through_relay "download across a NAT rebinding" 60
  grep -q "NAT rebinding: upstream source" "$RELAY_ERR" || fail "the relay never rebound"
  stop_relay
  # Datagrams the server still sent to the old port were dropped ("other"): the rebinding hit a
  # running transfer, and everything after it reached the client only because the server moved
  # to the new path.
  expect_stat_positive down other "rebind"

  # Two requests in a row on one connection (quic-go's h3-get), the rebinding during the first:
  # the server must attribute the second to the client's new address (what
  # zquic_h3_exchange_peer reports and `zquic serve` logs), not to the address the connection
  # started from.
  start_relay "$ZQ_PORT" -down-rate 50mbit -rebind-after 1s -seed 18
  timed "h3-get, 2 requests on one connection across a rebinding" 60 "$PEERS_BIN/h3-get" -q \
    -ca "$CERTS/ca.pem" -n 2 -c 1 -timeout 30s "https://localhost:$RELAY_PORT/big.bin" ||
    fail "h3-get across a rebinding failed"
  read -r old_port new_port < <(sed -nE \
    's/.*NAT rebinding: upstream source 127\.0\.0\.1:([0-9]+) -> 127\.0\.0\.1:([0-9]+).*/\1 \2/p' "$RELAY_ERR")
  [ -n "$new_port" ] || fail "the relay never rebound"
  stop_relay
  grep "GET /big.bin" "$WORK/serve.out" | sed 's/^/  serve: /'
  grep -q "127.0.0.1:$old_port \"GET /big.bin\" 200" "$WORK/serve.out" ||
    fail "first request not logged from the original address $old_port"
  grep -q "127.0.0.1:$new_port \"GET /big.bin\" 200" "$WORK/serve.out" ||
    fail "second request not logged from the client's new address $new_port (stale peer address after migration)"

  # The other direction: an upload whose client moves mid-transfer.
  uploader=$ZQUIC_BUILD_DIR/tests/net_upload
  "$uploader" serve "$WORK/echo.port" >"$WORK/echo.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$WORK/echo.port"
  start_relay "$(cat "$WORK/echo.port")" -up-rate 50mbit -rebind-after 1s -seed 19
  timed "upload $MIB MiB across a NAT rebinding" 60 "$uploader" upload "127.0.0.1:$RELAY_PORT" "$MIB" ||
    fail "upload across a rebinding failed"
  grep -q "NAT rebinding: upstream source" "$RELAY_ERR" || fail "the relay never rebound (upload)"
  stop_relay
  expect_stat_positive down other "rebind (upload)"
  ;;
rebind-workers)
  make_file "$WORK/www/big.bin" $((MIB << 20))
  start_zquic_serve "$WORK/www" --workers 2
  for seed in 14 20 21; do # three rebindings: each new port lands on either socket
    start_relay "$ZQ_PORT" -down-rate 50mbit -rebind-after 1s -seed "$seed"
    get_through_relay "download across a NAT rebinding, 2 workers (seed $seed)" 60
    grep -q "NAT rebinding: upstream source" "$RELAY_ERR" || fail "the relay never rebound"
    stop_relay
    expect_stat_positive down other "rebind-workers"
  done
  ;;
corrupt)
  make_file "$WORK/www/big.bin" $((MIB << 20))
  echo "still serving" >"$WORK/www/index.html"
  start_zquic_serve "$WORK/www"
  start_relay "$ZQ_PORT" -corrupt 0.02 -seed 15
  get_through_relay "download with 2% corrupted datagrams" 60
  stop_relay
  expect_stat_positive up corrupted "corrupt"
  expect_stat_positive down corrupted "corrupt"
  out=$(timeout 10 "$ZQUIC" get --ca "$CERTS/ca.pem" "https://localhost:$ZQ_PORT/index.html")
  [ "$out" = "still serving" ] || fail "server after corrupted datagrams answered '$out'"
  ;;
interop-gtlsserver)
  command -v gtlsserver >/dev/null || fail "gtlsserver missing (apt install ngtcp2-server)"
  make_file "$WORK/www/big.bin" $((8 << 20))
  port=$(free_udp_port)
  gtlsserver -q -d "$WORK/www" 127.0.0.1 "$port" "$CERTS/server.key" "$CERTS/server-chain.pem" \
    >"$WORK/gs.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$port"
  start_relay "$port" -loss 0.05 -reorder 0.05 -delay 5ms -seed 16
  get_through_relay "zquic get <- gtlsserver, 8 MiB" 60
  stop_relay
  for dir in up down; do expect_stat_positive $dir loss "interop-gtlsserver"; done
  expect_stat_positive down reordered "interop-gtlsserver"
  ;;
interop-gtlsclient)
  command -v gtlsclient >/dev/null || fail "gtlsclient missing (apt install ngtcp2-client)"
  make_file "$WORK/www/big.bin" $((8 << 20))
  start_zquic_serve "$WORK/www"
  start_relay "$ZQ_PORT" -loss 0.05 -reorder 0.05 -delay 5ms -seed 17
  timed "gtlsclient -> zquic serve, 8 MiB" 60 gtlsclient -q --exit-on-all-streams-close \
    --download="$WORK/dl" --timeout=30s 127.0.0.1 "$RELAY_PORT" \
    "https://localhost:$RELAY_PORT/big.bin" >"$WORK/gc.log" 2>&1 ||
    { tail -20 "$WORK/gc.log" >&2; fail "gtlsclient failed"; }
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "gtlsclient -> zquic serve"
  stop_relay
  for dir in up down; do expect_stat_positive $dir loss "interop-gtlsclient"; done
  expect_stat_positive down reordered "interop-gtlsclient"
  ;;
*) fail "unknown case $case_name" ;;
esac
pass "$case_name"
