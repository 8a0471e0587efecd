#!/usr/bin/env bash
# hardening.sh CASE — failures a user meets before any byte moves, each a bounded-time exit 1 with
# a message that says what went wrong:
#   closed-port   zquic get to a UDP port nobody listens on, --timeout 1000: gives up within ~3 s
#   port-in-use   zquic serve on a port another socket holds: bind + "Address already in use"
#   unresolvable  zquic get to a name no resolver knows, inside a network namespace of our own
#                 whose resolv.conf points at 127.0.0.1, so the lookup never leaves the machine
#   wildcard-bind a server on 0.0.0.0 / [::] reached at 127.0.0.2 answers from that address
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
case_name=${1:?case}

# expect_fail WHAT SECONDS CMD...: CMD must exit 1 (not 0, not a crash, not a usage error) within
# SECONDS; its stderr is left in $WORK/err.
expect_fail() {
  local what=$1 limit=$2; shift 2
  local t0=$EPOCHREALTIME rc=0
  timeout -k 2 "$limit" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  echo "  $what: exit $rc after $ELAPSED s: $(cat "$WORK/err")"
  [ "$rc" != 124 ] || fail "$what: still running after $limit s"
  [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1"
}

case $case_name in
closed-port)
  # A port that was free a moment ago and that nobody binds: the Initials go unanswered (no
  # ICMP error reaches an unconnected UDP socket), so only the handshake timeout ends it.
  port=$(free_udp_port)
  expect_fail "get to a closed port" 3 "$ZQUIC" get --timeout 1000 --ca "$CERTS/ca.pem" \
    "https://127.0.0.1:$port/"
  grep -Eqi "handshake|timed out|timeout" "$WORK/err" || fail "closed port: message names no handshake/timeout"
  grep -q "127.0.0.1:$port" "$WORK/err" || fail "closed port: message does not name the address"
  awk -v e="$ELAPSED" 'BEGIN { exit !(e >= 0.9) }' || fail "closed port: gave up after $ELAPSED s, before its 1 s timeout"
  ;;
port-in-use)
  mkdir -p "$WORK/www"
  # Another UDP socket holds the port for the whole check (python exits when its stdin closes).
  coproc HOLDER { python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()'; }
  PIDS+=($HOLDER_PID)
  read -r port <&"${HOLDER[0]}"
  expect_fail "serve on a port in use" 5 "$ZQUIC" serve --listen "127.0.0.1:$port" \
    --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" "$WORK/www"
  grep -q "bind" "$WORK/err" || fail "port in use: message does not mention bind"
  grep -q "Address already in use" "$WORK/err" || fail "port in use: message lacks 'Address already in use'"
  grep -q "127.0.0.1:$port" "$WORK/err" || fail "port in use: message does not name the address"
  ;;
unresolvable)
  [ "$(id -u)" = 0 ] || skip "network namespaces need root (ip netns add)"
  ns=zquic-net-$$-$RANDOM
  ip netns add "$ns" 2>"$WORK/ns.err" || skip "cannot create a network namespace: $(cat "$WORK/ns.err")"
  trap 'ip netns del "$ns" 2>/dev/null || true; cleanup' EXIT
  ip netns exec "$ns" ip link set lo up
  echo "nameserver 127.0.0.1" >"$WORK/resolv.conf"
  # Inside the namespace (only a loopback interface, so nothing can leave it), a private mount
  # namespace (unshare -m; mounts made there are not propagated back) sees our resolv.conf.
  cat >"$WORK/inside.sh" <<'EOF'
set -eu
mount --bind "$1" /etc/resolv.conf
grep -qx "nameserver 127.0.0.1" /etc/resolv.conf
[ "$(ip -o link | wc -l)" = 1 ] # lo only
shift
exec "$@"
EOF
  host=no-such-host.zquic-test.invalid
  host_resolv=$(sha256sum </etc/resolv.conf)
  ip netns exec "$ns" unshare -m true 2>"$WORK/ns.err" ||
    skip "cannot create a mount namespace inside the network namespace: $(cat "$WORK/ns.err")"
  expect_fail "get to an unresolvable host" 10 ip netns exec "$ns" unshare -m bash "$WORK/inside.sh" \
    "$WORK/resolv.conf" "$ZQUIC" get --timeout 1000 --ca "$CERTS/ca.pem" "https://$host:4433/"
  grep -q "$host" "$WORK/err" || fail "unresolvable: message does not name the host"
  grep -qi "resolve" "$WORK/err" || fail "unresolvable: message does not say the name did not resolve"
  [ "$(sha256sum </etc/resolv.conf)" = "$host_resolv" ] || fail "the host's /etc/resolv.conf changed"
  ;;
wildcard-bind)
  # A server bound to the wildcard address, reached at another of the machine's addresses
  # (127.0.0.2: all of 127/8 is on lo). Its answers must come from the address the client sent
  # to, or the client drops them as coming from an unknown path: an IPv4 socket (0.0.0.0) and a
  # dual-stack one ([::], IPv4 clients as v4-mapped addresses), each also at 127.0.0.1.
  mkdir -p "$WORK/www"
  echo "any address" >"$WORK/www/index.html"
  for listen in 0.0.0.0:0 "[::]:0"; do
    start_zquic_serve "$WORK/www" --listen "$listen"
    for addr in 127.0.0.2 127.0.0.1; do
      rc=0
      out=$(timeout 10 "$ZQUIC" get --timeout 3000 --sni localhost --ca "$CERTS/ca.pem" \
        "https://$addr:$ZQ_PORT/index.html" 2>"$WORK/err") || rc=$?
      [ "$rc" = 0 ] && [ "$out" = "any address" ] ||
        fail "server on $listen reached at $addr: exit $rc, '$out' $(cat "$WORK/err")"
      echo "  server on $listen reached at $addr: ok"
    done
  done
  ;;
*) fail "unknown case $case_name" ;;
esac
pass "$case_name"
