# lib.sh — shared helpers for the shell tests (sourced). Every server a test starts is killed on
# exit; every port comes from the kernel (port 0) or from free_udp_port; traffic stays on loopback.
set -euo pipefail

: "${ZQUIC:?ZQUIC must point at the zquic binary}"
: "${ZQUIC_TEST_CERTS:?ZQUIC_TEST_CERTS must point at the test PKI}"
CERTS=$ZQUIC_TEST_CERTS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zquic-test.XXXXXX")
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Run CMD with its stdout in $WORK/out and stderr in $WORK/err; fail unless it exits with CODE.
expect_exit() { # CODE DESCRIPTION CMD...
  local want=$1 what=$2; shift 2
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$WORK/err" >&2; fail "$what: exit $got, expected $want"; }
}
pass() { echo "PASS: $*"; }
skip() { echo "SKIPPED: $*"; exit 77; }

# A UDP port that was free a moment ago (for peers that cannot bind port 0 and report it).
free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_file FILE [SECONDS]
wait_for_file() {
  local i
  for i in $(seq 1 $((${2:-10} * 20))); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  fail "timed out waiting for $1"
}

# Wait until something listens on UDP PORT of 127.0.0.1 (ss shows the socket).
wait_for_udp() {
  local i
  for i in $(seq 1 200); do
    [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ] && return 0
    sleep 0.05
  done
  fail "nothing listens on UDP port $1"
}

# start_zquic_serve DIR [extra args...]: sets ZQ_PORT.
start_zquic_serve() {
  local dir=$1; shift
  local pf=$WORK/port.$RANDOM
  "$ZQUIC" serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$CERTS/server-chain.pem" \
    --key "$CERTS/server.key" --log-level warn "$@" "$dir" >"$WORK/serve.out" 2>&1 &
  PIDS+=($!)
  wait_for_file "$pf"
  ZQ_PORT=$(cat "$pf")
}

# make_file PATH BYTES: incompressible content.
make_file() { head -c "$2" /dev/urandom >"$1"; }

same_bytes() { cmp -s "$1" "$2" || fail "$3: bodies differ ($(stat -c %s "$1") vs $(stat -c %s "$2") bytes)"; }

# DNS over QUIC: start `zquic dns serve` on a free loopback port (ZQ_PORT, DNS_PID; later
# flags win, e.g. --log-level info), and ask it with our client (zq) or the Go one (goq).
start_dns_serve() {
  local pf=$WORK/dport.$RANDOM
  "$ZQUIC" dns serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$CERTS/server-chain.pem" \
    --key "$CERTS/server.key" --log-level warn "$@" >"$WORK/dns-serve.out" 2>&1 &
  DNS_PID=$!
  PIDS+=($!)
  wait_for_file "$pf"
  ZQ_PORT=$(cat "$pf")
}
goq() { "$PEERS_BIN/doq-query" -addr "127.0.0.1:$ZQ_PORT" -ca "$CERTS/ca.pem" -sni localhost "$@"; }
zq() { "$ZQUIC" dns query --ca "${CA:-$CERTS/ca.pem}" "@localhost:$ZQ_PORT" "$@"; }
