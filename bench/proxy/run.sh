#!/usr/bin/env bash
# bench/proxy/run.sh [RUNS] [REQUESTS] — Wraith against Caddy, and Wraith's own cost, for a 1 KiB
# GET at 64 requests in flight on one connection, every pair measured in the same run,
# alternating, with one client tool for all (quic-go's h3-get, SNI localhost):
#   caddy->nginx    Caddy 2.6 (Debian's caddy, HTTP/3 reverse proxy) -> nginx over HTTP/1.1
#   wraith->nginx   zquic proxy                                       -> the same nginx
#   direct->go      the client straight to quic-go's h3-server
#   wraith->go      zquic proxy (HTTP/3 backend)                       -> the same h3-server
# Prints requests/s (median [min-max]), p50/p99 latency (medians over runs), CPU per request of
# the proxy, the backend and the client (the last from the shell's `times`), and the two ratios
# the goals are stated in. Caddy is installed with
# scripts/install-deps.sh when missing; its service is kept from starting. Everything runs on
# loopback; the client, the proxy and the backend share the machine's cores.
. "$(dirname "$0")/../lib.sh"
runs=${1:-3}
requests=${2:-20000}
inflight=64
PEERS_BIN=${PEERS_BIN:-$BUILD/peers}
[ -x "$PEERS_BIN/h3-get" ] || { echo "bench: no Go peers in $PEERS_BIN (scripts/test.sh builds them)" >&2; exit 2; }
command -v caddy >/dev/null || bash "$root/scripts/install-deps.sh" caddy
command -v caddy >/dev/null || { echo "bench: caddy could not be installed" >&2; exit 2; }
[ -x /usr/sbin/nginx ] || { echo "bench: nginx missing (scripts/install-deps.sh)" >&2; exit 2; }

d=$WORK/proxy
rm -rf "$d"; mkdir -p "$d/www" "$d/nginx" "$d/caddy"
head -c 1024 /dev/urandom >"$d/www/1k.bin"
free_tcp_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_tcp() {
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on TCP $1" >&2; exit 1
}

nginx_port=$(free_tcp_port)
cat >"$d/nginx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off; keepalive_requests 1000000; client_body_temp_path $d/nginx/body;
  proxy_temp_path $d/nginx/proxy; fastcgi_temp_path $d/nginx/fastcgi;
  uwsgi_temp_path $d/nginx/uwsgi; scgi_temp_path $d/nginx/scgi;
  server { listen 127.0.0.1:$nginx_port; root $d/www; }
}
EOF
/usr/sbin/nginx -p "$d/nginx/" -c "$d/nginx/nginx.conf" >"$d/nginx/out.log" 2>&1 &
PIDS+=($!)
nginx_pid=$! # master_process off: this process serves the requests
wait_tcp "$nginx_port"

go_port=$(free_udp_port)
"$PEERS_BIN/h3-server" -listen "127.0.0.1:$go_port" -cert "$CERTS/server-chain.pem" \
  -key "$CERTS/server.key" -id go >"$d/h3-server.log" 2>&1 &
PIDS+=($!)
go_pid=$!

# Caddy: the site matches any host (the client sends :authority 127.0.0.1:PORT) and serves our
# certificate, which it picks by SNI; loopback only, no admin endpoint, no automatic HTTPS.
# Caddy also listens on TCP (HTTP/1.1 and 2) at the same port: pick one free for both.
caddy_port=$(python3 -c 'import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", u.getsockname()[1])); print(u.getsockname()[1]); break
    except OSError:
        pass')
cat >"$d/caddy/Caddyfile" <<EOF
{
	admin off
	auto_https off
	servers {
		protocols h1 h2 h3
	}
}
https://:$caddy_port {
	bind 127.0.0.1
	tls $CERTS/server-chain.pem $CERTS/server.key
	reverse_proxy 127.0.0.1:$nginx_port
}
EOF
HOME=$d/caddy XDG_DATA_HOME=$d/caddy XDG_CONFIG_HOME=$d/caddy \
  caddy run --config "$d/caddy/Caddyfile" --adapter caddyfile >"$d/caddy/out.log" 2>&1 &
PIDS+=($!)
caddy_pid=$!

# start_wraith NAME BACKEND-LINE: a zquic proxy with one pool; sets <NAME>_port and <NAME>_pid.
start_wraith() {
  local name=$1 backend=$2 port
  port=$(free_udp_port)
  cat >"$d/$name.cfg" <<EOF
listeners = ( { listen = "127.0.0.1:$port";
                certs = ( { cert = "$CERTS/server-chain.pem"; key = "$CERTS/server.key"; } ); } );
pools = ( { name = "bench"; health = { interval_ms = 0; }; backends = ( $backend ); } );
routes = ( { pool = "bench"; } );
EOF
  "$ZQUIC" proxy --config "$d/$name.cfg" >"$d/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "${name}_pid" '%s' "$!"
  printf -v "${name}_port" '%s' "$port"
}
start_wraith wraith_nginx "{ address = \"127.0.0.1:$nginx_port\"; protocol = \"http1\"; }"
start_wraith wraith_go "{ address = \"127.0.0.1:$go_port\"; sni = \"localhost\"; ca_file = \"$CERTS/ca.pem\"; }"
for p in "$go_port" "$caddy_port" "$wraith_nginx_port" "$wraith_go_port"; do wait_udp "$p"; done

pairs=(caddy-nginx wraith-nginx direct-go wraith-go)
declare -A url pid backend
backend[caddy-nginx]=$nginx_pid; backend[wraith-nginx]=$nginx_pid
backend[direct-go]=$go_pid; backend[wraith-go]=$go_pid
url[caddy-nginx]=https://127.0.0.1:$caddy_port/1k.bin; pid[caddy-nginx]=$caddy_pid
url[wraith-nginx]=https://127.0.0.1:$wraith_nginx_port/1k.bin; pid[wraith-nginx]=$wraith_nginx_pid
url[direct-go]=https://127.0.0.1:$go_port/bytes/1024; pid[direct-go]=$go_pid
url[wraith-go]=https://127.0.0.1:$wraith_go_port/bytes/1024; pid[wraith-go]=$wraith_go_pid

# One measurement: PAIR N -> "rate p50_ms p99_ms proxy_cpu backend_cpu client_cpu", CPU in µs
# per request. The direct pair has no proxy: its server is its backend (both columns show it).
measure() {
  local pair=$1 n=$2 out c0 c1 b0 b1
  c0=$(proc_cpu "${pid[$pair]}"); b0=$(proc_cpu "${backend[$pair]}")
  # `times` in the same subshell: the client's user and system time, its only child
  out=$("$PEERS_BIN/h3-get" -ca "$CERTS/ca.pem" -sni localhost -n "$n" -c "$inflight" \
    "${url[$pair]}" 2>&1 && times) || { echo "bench: h3-get against $pair failed: $out" >&2; exit 1; }
  c1=$(proc_cpu "${pid[$pair]}"); b1=$(proc_cpu "${backend[$pair]}")
  # every answer must have been the 1 KiB body: a proxy answering empty 200s measures nothing
  grep -q "^body bytes: $((n * 1024))$" <<<"$out" ||
    { echo "bench: $pair did not return $n 1 KiB bodies: $out" >&2; exit 1; }
  awk -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" -v n="$n" '
    function sec(v,  m) { m = v; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", v); return m * 60 + v }
    function ms(v) { if (v ~ /µs$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /s$/) return v * 1000; return v }
    /requests\/s/ { for (i = 1; i <= NF; i++) if ($(i+1) == "requests/s") r = $i }
    /^latency:/ { for (i = 1; i <= NF; i++) { if ($i == "p50") p50 = ms($(i+1));
                                             if ($i == "p99") p99 = ms($(i+1)) } }
    /^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/ { client = sec($1) + sec($2) } # 2nd line: children
    END { printf "%s %s %s %.1f %.1f %.1f\n", r, p50, p99, (c1 - c0) * 1e6 / n,
                 (b1 - b0) * 1e6 / n, client * 1e6 / n }' <<<"$out"
}

for pair in "${pairs[@]}"; do measure "$pair" 2000 >/dev/null; done # warm-up: connections, caches
declare -A rate p50 p99 cpu bcpu ccpu
printf '1 KiB GET, %d in flight on one connection, %d requests per run, %d alternating runs\n' \
  "$inflight" "$requests" "$runs"
for i in $(seq 1 "$runs"); do
  for pair in "${pairs[@]}"; do
    read -r r a b c e f <<<"$(measure "$pair" "$requests")"
    rate[$pair]+="$r "; p50[$pair]+="$a "; p99[$pair]+="$b "; cpu[$pair]+="$c "
    bcpu[$pair]+="$e "; ccpu[$pair]+="$f "
  done
  printf '  run %d/%d done\n' "$i" "$runs" >&2
done
printf '%-14s %30s %8s %8s   %s\n' pair "requests/s median [min-max]" "p50 ms" "p99 ms" \
  "CPU µs/req: proxy backend client"
for pair in "${pairs[@]}"; do
  # shellcheck disable=SC2086
  printf '%-14s %30s %8.3f %8.3f   %6.1f %7.1f %6.1f\n' "${pair/-/->}" "$(stats ${rate[$pair]})" \
    "$(median ${p50[$pair]})" "$(median ${p99[$pair]})" "$(median ${cpu[$pair]})" \
    "$(median ${bcpu[$pair]})" "$(median ${ccpu[$pair]})"
done
# shellcheck disable=SC2086
awk -v wr="$(median ${rate[wraith-nginx]})" -v cr="$(median ${rate[caddy-nginx]})" \
    -v w99="$(median ${p99[wraith-nginx]})" -v c99="$(median ${p99[caddy-nginx]})" \
    -v d50="$(median ${p50[direct-go]})" -v w50="$(median ${p50[wraith-go]})" \
    -v db="$(median ${bcpu[direct-go]})" -v dc="$(median ${ccpu[direct-go]})" \
    -v wp="$(median ${cpu[wraith-go]})" -v wb="$(median ${bcpu[wraith-go]})" \
    -v wc="$(median ${ccpu[wraith-go]})" 'BEGIN {
  printf "Wraith / Caddy requests/s: %.2fx (goal >= 1); p99 %.3f vs %.3f ms (goal: lower)\n", wr / cr, w99, c99
  printf "Wraith adds %.0f%% to the direct path p50 (%.3f -> %.3f ms; goal <= 25%%)\n", (w50 / d50 - 1) * 100, d50, w50
  printf "CPU per request, all processes: direct %.1f µs, through Wraith %.1f (Wraith %.1f, backend %+.1f, client %+.1f)\n",
    db + dc, wp + wb + wc, wp, wb - db, wc - dc }'
