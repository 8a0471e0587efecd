# net_lib.sh — helpers for the bad-network tests (sourced after lib.sh): the udp-impair relay
# from ../shared/peers/go, its final counters, and clients bounded in time.

: "${PEERS_BIN:?PEERS_BIN must hold the Go peers (udp-impair)}"
[ -x "$PEERS_BIN/udp-impair" ] || fail "$PEERS_BIN/udp-impair missing (build the Go peers)"

# start_relay TARGET_PORT [udp-impair flags...]: a relay on 127.0.0.1:<kernel port> in front of
# 127.0.0.1:TARGET_PORT. Sets RELAY_PORT, RELAY_PID, RELAY_OUT (counters), RELAY_ERR (events).
# -duration bounds it even if this script dies before stopping it.
start_relay() {
  local target=$1; shift
  RELAY_OUT=$WORK/relay.$RANDOM.out
  RELAY_ERR=$RELAY_OUT.err
  : >"$RELAY_OUT"
  : >"$RELAY_ERR" # exists before the polling below, whenever the relay gets to open it
  "$PEERS_BIN/udp-impair" -listen 127.0.0.1:0 -target "127.0.0.1:$target" -duration 150s "$@" \
    >"$RELAY_OUT" 2>"$RELAY_ERR" &
  RELAY_PID=$!
  PIDS+=($RELAY_PID)
  local i
  for i in $(seq 1 200); do
    RELAY_PORT=$(sed -nE 's/.*udp-impair: relaying 127\.0\.0\.1:([0-9]+) -> .*/\1/p' "$RELAY_ERR")
    [ -n "$RELAY_PORT" ] && return 0
    sleep 0.05
  done
  cat "$RELAY_ERR" >&2
  fail "udp-impair did not start"
}

# stop_relay: SIGTERM makes the relay print its final counters; show them in the test log.
stop_relay() {
  kill -TERM "$RELAY_PID"
  wait "$RELAY_PID" || fail "udp-impair exited with an error"
  grep -q "final down:" "$RELAY_OUT" || fail "udp-impair printed no final counters"
  sed 's/^/  relay: /' "$RELAY_OUT"
}

# relay_stat up|down FIELD: one of the final counters (received, forwarded, dropped, loss,
# blackhole, other, duplicated, reordered, corrupted, ...).
relay_stat() {
  sed -nE "s/.*final $1: .*[ (]$2=([0-9]+).*/\1/p" "$RELAY_OUT"
}

# expect_stat_positive up|down FIELD WHAT: the impairment really happened in that direction.
expect_stat_positive() {
  local v
  v=$(relay_stat "$1" "$2")
  [ -n "$v" ] && [ "$v" -gt 0 ] || fail "$3: relay counted $2=${v:-none} $1, expected > 0"
}

# timed NAME SECONDS CMD...: run CMD with a hard time limit; report the elapsed time.
timed() {
  local name=$1 limit=$2; shift 2
  local t0=$EPOCHREALTIME rc=0
  timeout -k 5 "$limit" "$@" || rc=$?
  ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  echo "  $name: exit $rc after ${ELAPSED} s"
  [ "$rc" = 124 ] && fail "$name: still running after $limit s"
  return "$rc"
}
