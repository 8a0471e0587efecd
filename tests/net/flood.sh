#!/usr/bin/env bash
# flood.sh — hostile input at a live server. While one connection downloads 20 MiB, udp_flood.py
# throws 20,000 bad datagrams at the same server socket from 8 other addresses: random bytes,
# truncated Initials, undecryptable Initials, replays of captured datagrams (of a finished
# connection and of the running one), garbage under the running connection's CID, bit-flipped
# copies and unknown versions. The download must arrive byte-exact, the server must accept a new
# connection afterwards, and it must still shut down cleanly on SIGTERM (under ASan: no error).
#
#   zquic get --> udp-impair (rate limit, so the transfer outlasts the flood)
#             --> udp_flood.py (relay + capture + flood) --> zquic serve
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
. "$here/net/net_lib.sh"
MIB=${ZQUIC_NET_MIB:-20}
COUNT=${ZQUIC_FLOOD_COUNT:-20000}
mkdir -p "$WORK/www" "$WORK/dl"
make_file "$WORK/www/big.bin" $((MIB << 20))
echo "still accepting" >"$WORK/www/index.html"

start_zquic_serve "$WORK/www"
serve_pid=${PIDS[-1]}
python3 "$here/net/udp_flood.py" --target "$ZQ_PORT" --port-file "$WORK/flood.port" \
  --count "$COUNT" --flood-after 1500 --duration 100 >"$WORK/flood.out" 2>"$WORK/flood.err" &
flood_pid=$!
PIDS+=($flood_pid)
wait_for_file "$WORK/flood.port"
flood_port=$(cat "$WORK/flood.port")

# A short connection through the flooder first: its datagrams are captured for replay after the
# connection is gone (its Initial then looks like a new client's).
out=$(timeout 10 "$ZQUIC" get --ca "$CERTS/ca.pem" "https://localhost:$flood_port/index.html")
[ "$out" = "still accepting" ] || fail "first fetch through the flooder: '$out'"

start_relay "$flood_port" -down-rate 40mbit -seed 21
timed "download $MIB MiB during the flood" 60 "$ZQUIC" get --ca "$CERTS/ca.pem" --timeout 20000 \
  -o "$WORK/dl/big.bin" "https://localhost:$RELAY_PORT/big.bin" || fail "download during the flood failed"
same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "download during the flood"
stop_relay

kill -TERM "$flood_pid"
wait "$flood_pid" || { cat "$WORK/flood.err" >&2; fail "udp_flood.py failed"; }
summary=$(cat "$WORK/flood.out")
echo "  $summary"
stat() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<"$summary"; }
[ "$(stat flood_done)" = 1 ] || fail "the flood did not finish while the transfer ran"
[ "$(stat flood_sent)" -ge $((COUNT * 95 / 100)) ] || fail "only $(stat flood_sent) of $COUNT flood datagrams went out"
[ "$(stat down_after_flood)" -gt 0 ] || fail "the transfer was over before the flood ended"
[ "$(stat dcids)" -ge 2 ] || fail "the flooder learnt $(stat dcids) connection IDs; expected both connections'"

# The server still accepts and serves new connections.
out=$(timeout 10 "$ZQUIC" get --ca "$CERTS/ca.pem" "https://localhost:$ZQ_PORT/index.html") ||
  fail "new connection after the flood failed"
[ "$out" = "still accepting" ] || fail "new connection after the flood: '$out'"

# And it shuts down cleanly (with ASan, a leak or a bad access would make this fail).
kill -TERM "$serve_pid"
rc=0
timeout 10 tail --pid="$serve_pid" -f /dev/null || fail "zquic serve still running 10 s after SIGTERM"
wait "$serve_pid" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/serve.out" >&2; fail "zquic serve exited $rc after the flood"; }
if grep -q "Sanitizer" "$WORK/serve.out"; then
  cat "$WORK/serve.out" >&2
  fail "sanitizer report from zquic serve"
fi
pass "flood"
