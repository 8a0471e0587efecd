#!/usr/bin/env bash
# quic_options.sh — the QUIC knobs of `zquic serve` and `zquic get`, checked through the -v summary
# line and against ngtcp2's example server/client: Retry, session resumption with 0-RTT (ours and
# gtlsserver), QUIC v2, cipher choice, congestion control, and qlog files that parse as JSON.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
mkdir -p "$WORK/www" "$WORK/qlog" "$WORK/dl"
make_file "$WORK/www/big.bin" 3000000
echo "index" >"$WORK/www/index.html"
get() { "$ZQUIC" get --ca "$CERTS/ca.pem" "$@"; }
summary() { grep '^quic: ' "$WORK/err" || fail "no summary line: $(cat "$WORK/err")"; }
expect() { grep -q "$1" <<<"$(summary)" || fail "summary lacks '$1': $(summary)"; }

start_zquic_serve "$WORK/www" --retry --0rtt --qlog-dir "$WORK/qlog"
url=https://localhost:$ZQ_PORT
get -v --session "$WORK/s1" -o "$WORK/dl/a" "$url/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/a" "first download"
expect "retry=yes"; expect "resumed=no"; expect "early-data=none"; expect "alpn=h3"
[ "$(stat -c %a "$WORK/s1")" = 600 ] || fail "session file is not mode 0600"
get -v --session "$WORK/s1" --0rtt -o "$WORK/dl/b" "$url/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/b" "0-RTT download"
expect "resumed=yes"; expect "early-data=accepted"
get -v --quic-version 2 --ciphers TLS_CHACHA20_POLY1305_SHA256 --cc bbr -o "$WORK/dl/c" \
  "$url/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/c" "v2 download"
expect "version=2"; expect "cipher=TLS_CHACHA20_POLY1305_SHA256"; expect "lost=0"
pass "zquic get -> zquic serve: Retry, 0-RTT, v2, cipher, bbr"

# Every qlog the server wrote is JSON-SEQ whose records parse.
ls "$WORK"/qlog/*-server.sqlog >/dev/null 2>&1 || fail "no server qlog written"
python3 - "$WORK"/qlog/*.sqlog <<'PY' || fail "qlog is not valid JSON-SEQ"
import json, sys
for path in sys.argv[1:]:
    data = open(path, encoding="utf-8").read()
    records = [r for r in data.split("\x1e") if r.strip()]
    assert len(records) > 3, path
    for r in records:
        json.loads(r)
PY
pass "qlog files parse"

# gtlsclient (ngtcp2) through our Retry and 0-RTT server.
gtlsclient -q --exit-on-all-streams-close --download="$WORK/dl" 127.0.0.1 "$ZQ_PORT" \
  "https://localhost:$ZQ_PORT/big.bin" >"$WORK/gc.log" 2>&1 || { cat "$WORK/gc.log"; fail "gtlsclient"; }
same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "gtlsclient -> zquic serve --retry"
pass "gtlsclient through Retry"

# Resumption and 0-RTT against ngtcp2's gtlsserver, and QUIC v2 with it.
port=$(free_udp_port)
gtlsserver -q -d "$WORK/www" 127.0.0.1 "$port" "$CERTS/server.key" "$CERTS/server-chain.pem" \
  >"$WORK/gs.log" 2>&1 &
PIDS+=($!)
wait_for_udp "$port"
get -v --session "$WORK/s2" -o /dev/null "https://localhost:$port/index.html" 2>"$WORK/err"
expect "resumed=no"
get -v --session "$WORK/s2" --0rtt -o "$WORK/dl/d" "https://localhost:$port/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/d" "0-RTT from gtlsserver"
expect "resumed=yes"; expect "early-data=accepted"
get -v --quic-version 2 -o "$WORK/dl/e" "https://localhost:$port/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/e" "v2 from gtlsserver"
expect "version=2"
pass "zquic get -> gtlsserver: resumption, 0-RTT, v2"

# Two worker loops on one port: each new client port may land on either worker, and every worker
# validates the others' Retry tokens and resumes the others' session tickets (one shared key,
# one replay table), so 0-RTT keeps working whichever worker a connection reaches.
pf=$WORK/workers.port
"$ZQUIC" serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$CERTS/server-chain.pem" \
  --key "$CERTS/server.key" --workers 2 --retry --0rtt "$WORK/www" >"$WORK/workers.out" 2>&1 &
PIDS+=($!)
wait_for_file "$pf"
wurl=https://localhost:$(cat "$pf")
get -v --session "$WORK/s3" -o "$WORK/dl/w0" "$wurl/big.bin" 2>"$WORK/err"
same_bytes "$WORK/www/big.bin" "$WORK/dl/w0" "download from 2 workers"
expect "retry=yes"
for i in 1 2 3 4 5 6; do
  get -v --session "$WORK/s3" --0rtt -o "$WORK/dl/w$i" "$wurl/big.bin" 2>"$WORK/err"
  same_bytes "$WORK/www/big.bin" "$WORK/dl/w$i" "0-RTT download $i from 2 workers"
  expect "resumed=yes"; expect "early-data=accepted"
done
gtlsclient -q --exit-on-all-streams-close --download="$WORK/dl" 127.0.0.1 "$(cat "$pf")" \
  "$wurl/big.bin" "$wurl/index.html" >"$WORK/gc.log" 2>&1 || { cat "$WORK/gc.log"; fail "gtlsclient -> 2 workers"; }
same_bytes "$WORK/www/big.bin" "$WORK/dl/big.bin" "gtlsclient -> zquic serve --workers 2"
pass "zquic serve --workers 2: Retry, resumption and 0-RTT across workers"

# Bad values are usage errors with a message, not crashes.
set +e
"$ZQUIC" get --quic-version 3 "$url/" 2>"$WORK/err"; [ $? = 2 ] || fail "--quic-version 3 accepted"
"$ZQUIC" get --cc vegas "$url/" 2>"$WORK/err"; [ $? = 2 ] || fail "--cc vegas accepted"
"$ZQUIC" get --ca "$CERTS/ca.pem" --ciphers TLS_NULL "$url/" 2>"$WORK/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "unknown TLS 1.3 cipher suite" "$WORK/err" || fail "bad cipher: $(cat "$WORK/err")"
for n in 0 65 two; do
  expect_exit 2 "serve --workers $n" "$ZQUIC" serve --workers "$n" "$WORK/www"
done
pass "bad QUIC option values"
