#!/usr/bin/env bash
# cli_test.sh — the zquic command as a user meets it: --help everywhere, usage errors (exit 2),
# cert gen, certificate failures with clear messages (wrong CA, wrong host, expired), path safety
# of `serve`, and `node` starting, answering, reusing its certificate and stopping on SIGTERM.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"


# --- help and usage errors ---
expect_exit 0 "zquic --help" "$ZQUIC" --help
grep -q "Commands:" "$WORK/out" || fail "zquic --help lists no commands"
for cmd in serve get cert node; do
  expect_exit 0 "zquic $cmd --help" "$ZQUIC" "$cmd" --help
  grep -q "usage: zquic $cmd" "$WORK/out" || fail "zquic $cmd --help has no usage line"
done
expect_exit 2 "unknown command" "$ZQUIC" frobnicate
grep -q 'unknown command "frobnicate"' "$WORK/err" || fail "unknown command message"
expect_exit 2 "get without URL" "$ZQUIC" get
expect_exit 2 "get with http:// URL" "$ZQUIC" get http://localhost/
grep -q "not an https://" "$WORK/err" || fail "bad URL message"
expect_exit 2 "get --ca with --insecure" "$ZQUIC" get --ca x --insecure https://localhost:1/
expect_exit 2 "serve without DIR" "$ZQUIC" serve
expect_exit 1 "serve a missing DIR" "$ZQUIC" serve --cert "$CERTS/server.pem" --key "$CERTS/server.key" --listen 127.0.0.1:0 "$WORK/nope"
grep -q "not a readable directory" "$WORK/err" || fail "missing DIR message"
expect_exit 1 "serve with a bad key file" "$ZQUIC" serve --cert "$CERTS/server.pem" --key "$WORK/nokey" --listen 127.0.0.1:0 "$WORK"
grep -q "cannot load certificate" "$WORK/err" || fail "bad key message: $(cat "$WORK/err")"
expect_exit 1 "serve on a bad address" "$ZQUIC" serve --cert "$CERTS/server.pem" --key "$CERTS/server.key" --listen 192.0.2.1:0 "$WORK"
grep -q "bind" "$WORK/err" || fail "bind error message"
pass "help and usage errors"

# --- cert gen: files, modes, SANs, and usable as both server cert and trust anchor ---
expect_exit 0 "cert gen" "$ZQUIC" cert gen --out "$WORK/gen" --name localhost --name 127.0.0.1
[ "$(stat -c %a "$WORK/gen/key.pem")" = 600 ] || fail "key.pem is not mode 0600"
certtool -i --infile "$WORK/gen/cert.pem" >"$WORK/info"
grep -q "DNSname: localhost" "$WORK/info" || fail "cert lacks DNS SAN"
grep -q "IPAddress: 127.0.0.1" "$WORK/info" || fail "cert lacks IP SAN"
mkdir -p "$WORK/www"
echo "self-signed works" >"$WORK/www/index.html"
pf=$WORK/gen.port
"$ZQUIC" serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$WORK/gen/cert.pem" \
  --key "$WORK/gen/key.pem" "$WORK/www" >/dev/null 2>&1 &
PIDS+=($!)
wait_for_file "$pf"
out=$("$ZQUIC" get --ca "$WORK/gen/cert.pem" "https://localhost:$(cat "$pf")/")
[ "$out" = "self-signed works" ] || fail "get through a cert-gen certificate: '$out'"
pass "cert gen"

# --- certificate failures: each a clear error and exit 1 ---
cert_case() { # NAME SERVER_CERT SERVER_KEY CA EXPECTED_TEXT
  local name=$1 pf=$WORK/$1.port
  "$ZQUIC" serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$2" --key "$3" "$WORK/www" \
    >/dev/null 2>&1 &
  PIDS+=($!)
  wait_for_file "$pf"
  expect_exit 1 "$name" "$ZQUIC" get --ca "$4" "https://localhost:$(cat "$pf")/"
  grep -q "$5" "$WORK/err" || fail "$name: message lacks '$5': $(cat "$WORK/err")"
  grep -q "certificate" "$WORK/err" || fail "$name: message does not mention the certificate"
}
cert_case wrong-ca "$CERTS/server-chain.pem" "$CERTS/server.key" "$CERTS/other-ca.pem" "issuer is unknown"
cert_case wrong-host "$CERTS/wronghost.pem" "$CERTS/wronghost.key" "$CERTS/ca.pem" "does not match"
cert_case expired "$CERTS/expired.pem" "$CERTS/expired.key" "$CERTS/ca.pem" "expired"
# --insecure connects anyway (and says nothing about it being safe).
pf=$WORK/wrong-ca.port
out=$("$ZQUIC" get --insecure "https://localhost:$(cat "$pf")/")
[ "$out" = "self-signed works" ] || fail "--insecure fetch: '$out'"
pass "certificate failures"

# --- serve never leaves its root ---
start_zquic_serve "$WORK/www"
ln -s /etc "$WORK/www/etc-link"
for path in "/../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/etc-link/passwd" "/a%00b"; do
  set +e
  "$ZQUIC" get --ca "$CERTS/ca.pem" "https://localhost:$ZQ_PORT$path" >"$WORK/out" 2>"$WORK/err"
  set -e
  grep -q "root:" "$WORK/out" && fail "served $path from outside the root"
  grep -Eq "HTTP (400|403|404)" "$WORK/err" || fail "$path: $(cat "$WORK/err")"
done
pass "serve path safety"

# --- node: first start creates the certificate, prints how to reach it, stops on SIGTERM ---
state=$WORK/state
"$ZQUIC" node --listen 127.0.0.1:0 --state-dir "$state" --port-file "$WORK/node.port" \
  >"$WORK/node.out" 2>"$WORK/node.err" &
node_pid=$!
PIDS+=($node_pid)
wait_for_file "$WORK/node.port"
port=$(cat "$WORK/node.port")
grep -q "https://localhost:$port/" "$WORK/node.out" || fail "node did not print its URL"
grep -q "zquic get --ca $state/cert.pem https://localhost:$port/" "$WORK/node.out" || fail "node did not print the get line"
page=$("$ZQUIC" get --ca "$state/cert.pem" "https://localhost:$port/")
grep -q "zquic node" <<<"$page" || fail "node page: $page"
fingerprint=$(sha256sum "$state/cert.pem")
kill -TERM "$node_pid"
for i in $(seq 1 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$node_pid" 2>/dev/null && fail "node still running 5 s after SIGTERM"
wait "$node_pid" || fail "node exited non-zero after SIGTERM"
rm -f "$WORK/node.port"
"$ZQUIC" node --listen 127.0.0.1:0 --state-dir "$state" --port-file "$WORK/node.port" >/dev/null 2>&1 &
PIDS+=($!)
wait_for_file "$WORK/node.port"
[ "$(sha256sum "$state/cert.pem")" = "$fingerprint" ] || fail "node replaced its certificate on restart"
"$ZQUIC" get --ca "$state/cert.pem" "https://localhost:$(cat "$WORK/node.port")/" >/dev/null
pass "node"

# --- drain: SIGTERM lets a download in flight finish, then the server exits 0 ---
mkdir -p "$WORK/drain"
make_file "$WORK/drain/big.bin" 20000000
pf=$WORK/drain.port
"$ZQUIC" serve --listen 127.0.0.1:0 --port-file "$pf" --cert "$CERTS/server-chain.pem" \
  --key "$CERTS/server.key" "$WORK/drain" >/dev/null 2>"$WORK/drain.err" &
serve_pid=$!
PIDS+=($serve_pid)
wait_for_file "$pf"
# A reader that stalls for a second holds the transfer open while the signal arrives.
( "$ZQUIC" get --ca "$CERTS/ca.pem" -o - "https://localhost:$(cat "$pf")/big.bin" |
  (sleep 1; cat >"$WORK/drain/out") ) &
get_pid=$!
sleep 0.3
kill -TERM "$serve_pid"
wait "$get_pid" || fail "download cut off by SIGTERM"
same_bytes "$WORK/drain/big.bin" "$WORK/drain/out" "download during drain"
wait "$serve_pid" || fail "serve exited non-zero after draining"
pass "drain on SIGTERM"

# --- config files: --check accepts a good one, names file and line of a bad one ---
cat >"$WORK/good.cfg" <<CFG
listen = "127.0.0.1:0";
workers = 2;
quic = { idle_timeout_ms = 10000; cc = "bbr"; retry = true; };
CFG
printf 'listen = "127.0.0.1:0";\nquic = { idle_timeout = 5; };\n' >"$WORK/bad.cfg"
expect_exit 0 "good config" "$ZQUIC" node --config "$WORK/good.cfg" --check
grep -q "configuration OK" "$WORK/out" || fail "--check printed no OK"
expect_exit 2 "bad config" "$ZQUIC" node --config "$WORK/bad.cfg" --check
grep -q 'bad.cfg:2: unknown setting "quic.idle_timeout"' "$WORK/err" || fail "bad config message: $(cat "$WORK/err")"
expect_exit 2 "missing config" "$ZQUIC" node --config "$WORK/none.cfg" --check
printf 'workers = 65;\n' >"$WORK/many.cfg"
expect_exit 2 "65 workers" "$ZQUIC" node --config "$WORK/many.cfg" --check
grep -q 'many.cfg:1: workers must be an integer from 1 to 64' "$WORK/err" || fail "workers message: $(cat "$WORK/err")"
# The good file's node runs on two loop threads and answers.
rm -f "$WORK/node.port"
"$ZQUIC" node --config "$WORK/good.cfg" --state-dir "$state" --port-file "$WORK/node.port" \
  >/dev/null 2>"$WORK/node2.err" &
PIDS+=($!)
wait_for_file "$WORK/node.port"
grep -q "2 loop threads" "$WORK/node2.err" || fail "node did not start 2 workers: $(cat "$WORK/node2.err")"
for i in 1 2 3 4; do
  "$ZQUIC" get --ca "$state/cert.pem" "https://localhost:$(cat "$WORK/node.port")/" | grep -q "zquic node" ||
    fail "node with 2 workers did not answer"
done
pass "config files"
