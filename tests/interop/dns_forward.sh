#!/usr/bin/env bash
# dns_forward.sh — the resolver chain's last link: `zquic dns serve --upstream` forwarding to a
# real authoritative server from Debian (NSD) on loopback, serving a zone generated here.
#   - forwarded A, TXT and CNAME answers, through zquic dns query and the quic-go doq-query;
#   - a ~4 KB TXT answer that NSD truncates over UDP (TC=1): complete over DoQ, so the TCP
#     fallback happened (and the server's counter says so);
#   - the second query served by the cache, its TTL lowered by the time spent there;
#   - NXDOMAIN passed through; a name of the local zone still answered locally;
#   - NSD killed: SERVFAIL + Extended DNS Error 23 at once (refused port), and upstreams that
#     swallow queries: SERVFAIL + EDE 22 after timeout x upstreams, not longer, while a local
#     name on the same server keeps answering in the meantime;
#   - SIGTERM with a forward pending: a clean exit (status 0, so no sanitizer report either).
# Every socket is on 127.0.0.1; nothing leaves the machine.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${PEERS_BIN:?PEERS_BIN must hold the Go peers}"
NSD=$(command -v nsd || true)
[ -n "$NSD" ] || { [ -x /usr/sbin/nsd ] && NSD=/usr/sbin/nsd; } || true
[ -n "$NSD" ] || skip "nsd is not installed (scripts/install-deps.sh installs it)"
CA=$CERTS/ca.pem
TIMEOUT_MS=600
SILENT_TIMEOUT_MS=2000 # long enough that the local answer surely overtakes it

ms_now() { date +%s%3N; }

# The upstream's zone: A, TXT, CNAME, and 20 TXT strings of 200 bytes (~4.3 KB, over any UDP size).
{
  printf '$ORIGIN fwd.test.\n$TTL 300\n'
  printf '@ IN SOA ns.fwd.test. admin.fwd.test. 1 7200 900 1209600 60\n'
  printf '@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 198.51.100.7\nwww IN AAAA 2001:db8::7\n'
  printf 'txt IN TXT "hello from upstream"\nalias IN CNAME www\n'
  for i in $(seq 1 20); do
    printf 'big IN TXT "%02d-%s"\n' "$i" "$(head -c 197 /dev/zero | tr '\0' 'y')"
  done
} >"$WORK/fwd.zone"
# The zone zquic serves itself.
printf '$ORIGIN zq.test.\n$TTL 300\n@ IN SOA ns.zq.test. admin.zq.test. 1 7200 900 1209600 60\n@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n' \
  >"$WORK/zq.zone"

# NSD in the foreground, unprivileged port, no chroot, no privilege drop, no control socket.
NSD_PORT=$(free_udp_port)
cat >"$WORK/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  zonelistfile: "$WORK/nsd.zonelist"
  xfrdfile: "$WORK/nsd.xfrd"
  xfrdir: "$WORK"
  pidfile: "$WORK/nsd.pid"
  logfile: "$WORK/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: fwd.test
  zonefile: "$WORK/fwd.zone"
EOF
"$NSD" -d -c "$WORK/nsd.conf" >"$WORK/nsd.out" 2>&1 &
NSD_PID=$!
PIDS+=($!)
wait_for_udp "$NSD_PORT"
for _ in $(seq 1 100); do grep -q "nsd started" "$WORK/nsd.log" 2>/dev/null && break; sleep 0.05; done

serve_zone() { # extra args: lib.sh's start_dns_serve with this test's zone, logging at info
  start_dns_serve --log-level info --zone "$WORK/zq.zone" "$@"
}
stop_dns_serve() { # SIGTERM must end it cleanly (exit 0: also no sanitizer report)
  local rc=0
  kill "$DNS_PID"
  wait "$DNS_PID" || rc=$?
  [ "$rc" = 0 ] || fail "dns serve exited with $rc: $(tail -5 "$WORK/dns-serve.out")"
}
stats_line() { # ask the server to log its counters (SIGHUP) and print the upstream line
  local before
  before=$(grep -c "upstreams:" "$WORK/dns-serve.out" || true)
  kill -HUP "$DNS_PID"
  for _ in $(seq 1 50); do
    [ "$(grep -c "upstreams:" "$WORK/dns-serve.out" || true)" -gt "$before" ] && break
    sleep 0.05
  done
  grep "upstreams:" "$WORK/dns-serve.out" | tail -1
}

serve_zone --upstream "127.0.0.1:$NSD_PORT" --upstream-timeout "$TIMEOUT_MS"

# Forwarded answers, through both clients.
expect_exit 0 "forwarded A" zq www.fwd.test A --short
grep -qx "198.51.100.7" "$WORK/out" || fail "forwarded A: $(cat "$WORK/out")"
goq -expect 2001:db8::7 www.fwd.test AAAA >"$WORK/o" 2>&1 || fail "doq-query AAAA: $(cat "$WORK/o")"
goq -expect "hello from upstream" txt.fwd.test TXT >"$WORK/o" 2>&1 || fail "doq-query TXT: $(cat "$WORK/o")"
expect_exit 0 "forwarded CNAME" zq alias.fwd.test A
grep -q "CNAME	www.fwd.test." "$WORK/out" || fail "forwarded CNAME: $(cat "$WORK/out")"
grep -q "198.51.100.7" "$WORK/out" || fail "CNAME target: $(cat "$WORK/out")"
goq -pad -full www.fwd.test A >"$WORK/pad" 2>&1 || fail "padded forwarded query"
grep -q "PADDING" "$WORK/pad" || fail "forwarded answer to a padded query is not padded"

# The big answer: NSD sets TC over UDP; the forwarder asks again over TCP.
goq -full big.fwd.test TXT >"$WORK/big" 2>&1 || fail "big TXT: $(tail -3 "$WORK/big")"
[ "$(grep -c '"[0-9][0-9]-yyyy' "$WORK/big")" = 20 ] || fail "big TXT incomplete: $(grep -c yyyy "$WORK/big") strings"
grep -q "flags:.* tc" "$WORK/big" && fail "big TXT reached the client truncated"
expect_exit 0 "big TXT (zquic dns query)" zq big.fwd.test TXT --short
[ "$(grep -c '^[0-9][0-9]-y' "$WORK/out")" = 20 ] || fail "big TXT via zquic dns query: $(wc -l <"$WORK/out") lines"
# The cache: the second answer comes from it, its TTL lowered by the time in between (NSD
# always says 300).
expect_exit 0 "cached A" zq txt.fwd.test TXT
ttl1=$(awk '$3 == "IN" && $4 == "TXT" {print $2; exit}' "$WORK/out")
sleep 2.1
expect_exit 0 "cached A again" zq txt.fwd.test TXT
ttl2=$(awk '$3 == "IN" && $4 == "TXT" {print $2; exit}' "$WORK/out")
[ -n "$ttl1" ] && [ -n "$ttl2" ] && [ "$ttl2" -le $((ttl1 - 2)) ] && [ "$ttl2" -lt 300 ] ||
  fail "cached TTL did not go down: $ttl1 then $ttl2"
# NXDOMAIN passes through; the local zone answers locally.
expect_exit 1 "NXDOMAIN" zq nope.fwd.test A
grep -q "status: NXDOMAIN" "$WORK/out" || fail "NXDOMAIN: $(cat "$WORK/out")"
goq -expect-rcode NXDOMAIN nope2.fwd.test A >"$WORK/o" 2>&1 || fail "doq-query NXDOMAIN: $(cat "$WORK/o")"
expect_exit 0 "local zone" zq www.zq.test A --short
grep -qx "192.0.2.80" "$WORK/out" || fail "local zone: $(cat "$WORK/out")"
# The counters (logged on SIGHUP, which also empties the cache: a reloaded zone may now own a
# name whose forwarded answer was cached).
line=$(stats_line)
tcp=$(sed -n 's/.* \([0-9]*\) over TCP.*/\1/p' <<<"$line")
hits=$(sed -n 's/.*cache \([0-9]*\) hits.*/\1/p' <<<"$line")
[ "${tcp:-0}" -ge 1 ] || fail "no TCP fallback counted: $line"
[ "${hits:-0}" -ge 1 ] || fail "no cache hit counted: $line"
pass "forwarding to NSD: answers, TCP fallback, cache, NXDOMAIN ($line)"
expect_exit 0 "forwarded A, to be cached" zq www.fwd.test A --short

# The upstream goes down: its port refuses (ICMP), so the answer is SERVFAIL at once.
kill "$NSD_PID"
wait "$NSD_PID" 2>/dev/null || true
t0=$(ms_now)
expect_exit 1 "upstream down" zq gone.fwd.test A
t1=$(ms_now)
grep -q "status: SERVFAIL" "$WORK/out" || fail "upstream down: $(cat "$WORK/out")"
grep -q "extended error 23" "$WORK/out" || fail "upstream down: no EDE 23: $(cat "$WORK/out")"
[ $((t1 - t0)) -lt $((2 * TIMEOUT_MS)) ] || fail "upstream down: SERVFAIL took $((t1 - t0)) ms"
expect_exit 0 "local zone with the upstream down" zq www.zq.test A --short
expect_exit 0 "cached name with the upstream down" zq www.fwd.test A --short
grep -qx "198.51.100.7" "$WORK/out" || fail "cached answer lost: $(cat "$WORK/out")"
pass "upstream down: SERVFAIL in $((t1 - t0)) ms, local and cached names still answered"

# Upstreams that swallow queries (sockets that never answer): SERVFAIL + EDE 22 after
# timeout x 2 upstreams, while the same server answers a local name meanwhile.
stop_dns_serve
python3 -c '
import socket, sys, time
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
time.sleep(300)
' >"$WORK/holes" &
PIDS+=($!)
wait_for_file "$WORK/holes"
read -r hole1 hole2 <"$WORK/holes"
serve_zone --upstream "127.0.0.1:$hole1" --upstream "127.0.0.1:$hole2" \
  --upstream-timeout "$SILENT_TIMEOUT_MS"
t0=$(ms_now)
zq silent.fwd.test A --timeout 30000 >"$WORK/slow" 2>&1 &
slow=$!
sleep 0.2
expect_exit 0 "local name while upstreams are silent" zq www.zq.test A --short
t_local=$(ms_now)
grep -qx "192.0.2.80" "$WORK/out" || fail "local name: $(cat "$WORK/out")"
# Ordering, not stopwatch: the forward is still waiting when the local answer is back.
kill -0 "$slow" 2>/dev/null || fail "local name waited for the upstreams"
wait "$slow" || true
t1=$(ms_now)
grep -q "status: SERVFAIL" "$WORK/slow" || fail "silent upstreams: $(cat "$WORK/slow")"
grep -q "extended error 22" "$WORK/slow" || fail "silent upstreams: no EDE 22: $(cat "$WORK/slow")"
elapsed=$((t1 - t0))
[ "$elapsed" -ge $((2 * SILENT_TIMEOUT_MS - 100)) ] ||
  fail "SERVFAIL before both upstreams had their time: $elapsed ms"
[ "$elapsed" -lt $((4 * SILENT_TIMEOUT_MS)) ] ||
  fail "SERVFAIL took $elapsed ms (bound: 2 x $SILENT_TIMEOUT_MS)"
pass "silent upstreams: SERVFAIL + EDE 22 in $elapsed ms, local names answered meanwhile"

# Stopped while a forward is pending: the query is cancelled, the server exits cleanly.
zq pending.fwd.test A >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.2
stop_dns_serve
pass "stopped with a forward pending"
