#!/usr/bin/env bash
# h3_interop.sh CASE — HTTP/3 downloads between zquic and independent peers, bodies compared
# byte for byte:
#   get-gtlsserver   zquic get   <- ngtcp2's gtlsserver (Debian ngtcp2-server)
#   get-goserver     zquic get   <- quic-go h3-server (../shared/peers/go)
#   gtlsclient-serve gtlsclient  -> zquic serve
#   goget-serve      quic-go h3-get -> zquic serve
#   get-serve        zquic get   -> zquic serve (also over IPv6 and with a trailing query; small
#                    files answered from memory, changes seen after a second)
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
case_name=${1:?case}
SIZE=${ZQUIC_INTEROP_BYTES:-20000000}
mkdir -p "$WORK/www" "$WORK/dl"
make_file "$WORK/www/big.bin" "$SIZE"
echo "hello from the docroot" >"$WORK/www/index.html"

case $case_name in
get-gtlsserver)
  command -v gtlsserver >/dev/null || fail "gtlsserver missing (apt install ngtcp2-server)"
  port=$(free_udp_port)
  gtlsserver -q -d "$WORK/www" 127.0.0.1 "$port" "$CERTS/server.key" "$CERTS/server-chain.pem" \
    >"$WORK/gs.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$port"
  "$ZQUIC" get --ca "$CERTS/ca.pem" -o "$WORK/dl/big.bin" "https://localhost:$port/big.bin"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "zquic get <- gtlsserver"
  ;;
get-goserver)
  : "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
  port=$(free_udp_port)
  "$PEERS_BIN/h3-server" -listen "127.0.0.1:$port" -cert "$CERTS/server-chain.pem" \
    -key "$CERTS/server.key" -root "$WORK/www" -id go-1 >"$WORK/hs.log" 2>&1 &
  PIDS+=($!)
  wait_for_udp "$port"
  "$ZQUIC" get --ca "$CERTS/ca.pem" -o "$WORK/dl/big.bin" "https://localhost:$port/big.bin"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "zquic get <- h3-server"
  body=$("$ZQUIC" get --ca "$CERTS/ca.pem" "https://127.0.0.1:$port/id")
  [ "$body" = "go-1" ] || fail "h3-server /id answered '$body'"
  # POST with a body, echoed by the peer.
  echoed=$("$ZQUIC" get --ca "$CERTS/ca.pem" -d "ping over quic" "https://localhost:$port/echo")
  [ "$echoed" = "ping over quic" ] || fail "echo answered '$echoed'"
  ;;
gtlsclient-serve)
  command -v gtlsclient >/dev/null || fail "gtlsclient missing (apt install ngtcp2-client)"
  start_zquic_serve "$WORK/www"
  gtlsclient -q --exit-on-all-streams-close --download="$WORK/dl" --timeout=30s \
    127.0.0.1 "$ZQ_PORT" "https://localhost:$ZQ_PORT/big.bin" \
    >"$WORK/gc.log" 2>&1 || { cat "$WORK/gc.log" >&2; fail "gtlsclient failed"; }
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "gtlsclient -> zquic serve"
  ;;
goget-serve)
  : "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
  start_zquic_serve "$WORK/www"
  "$PEERS_BIN/h3-get" -q -ca "$CERTS/ca.pem" -timeout 60s -o "$WORK/dl/big.bin" \
    "https://localhost:$ZQ_PORT/big.bin"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "h3-get -> zquic serve"
  # 404 and 405 come back as statuses, and the server keeps serving.
  "$PEERS_BIN/h3-get" -q -ca "$CERTS/ca.pem" -expect-status 404 "https://localhost:$ZQ_PORT/missing"
  "$PEERS_BIN/h3-get" -q -ca "$CERTS/ca.pem" -X POST -d x -expect-status 405 "https://localhost:$ZQ_PORT/"
  "$PEERS_BIN/h3-get" -q -ca "$CERTS/ca.pem" -n 200 -c 20 "https://localhost:$ZQ_PORT/index.html"
  ;;
get-serve)
  start_zquic_serve "$WORK/www" --listen "[::1]:0"
  "$ZQUIC" get --ca "$CERTS/ca.pem" -o "$WORK/dl/big.bin" "https://[::1]:$ZQ_PORT/big.bin?x=1"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "zquic get -> zquic serve over IPv6"
  # Small files are answered from memory for up to a second after they were read: a file
  # changed, grown past the cache's 64 KiB or deleted is served as it is now once that has passed.
  small() { "$ZQUIC" get --ca "$CERTS/ca.pem" --no-progress "$@" "https://[::1]:$ZQ_PORT/small.txt"; }
  echo "first" >"$WORK/www/small.txt"
  [ "$(small)" = first ] || fail "small file"
  [ "$(small)" = first ] || fail "small file from memory"
  small -v 2>&1 >/dev/null | grep -i "^< last-modified: ..., " >/dev/null || fail "cached answer without Last-Modified"
  echo "second" >"$WORK/www/small.txt"
  sleep 1.2
  [ "$(small)" = second ] || fail "a changed small file was not re-read after a second"
  make_file "$WORK/www/small.txt" 100000
  sleep 1.2
  small -o "$WORK/dl/small.txt"
  same_bytes "$WORK/www/small.txt" "$WORK/dl/small.txt" "a small file grown past the cache"
  rm "$WORK/www/small.txt"
  sleep 1.2
  if small >/dev/null 2>&1; then fail "a deleted file was still served after a second"; fi
  ;;
*) fail "unknown case $case_name" ;;
esac
pass "$case_name"
