#!/usr/bin/env bash
# bulk.sh [RUNS] — 1 GiB HTTP/3 download over loopback: zquic serve -> zquic get against ngtcp2's
# example pair gtlsserver -> gtlsclient (Debian, GSO+GRO), on the same file, runs alternating so
# both see the same machine noise. Prints median [min-max] of Gbit/s and CPU-seconds per GiB for
# each side, and our ratio to the pair; then gtlsclient's CPU against our server too, so the two
# clients are also compared on one server.
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
size=$((1 << 30))
mkdir -p "$WORK/www"
file=$WORK/www/1g.bin
[ "$(stat -c %s "$file" 2>/dev/null || echo 0)" = "$size" ] || head -c "$size" /dev/urandom >"$file"

zport=$(free_udp_port)
"$ZQUIC" serve --listen "127.0.0.1:$zport" --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
  --log-level warn "$WORK/www" >/dev/null 2>&1 &
zpid=$!; PIDS+=($zpid)
gport=$(free_udp_port)
gtlsserver -q -d "$WORK/www" 127.0.0.1 "$gport" "$CERTS/server.key" "$CERTS/server-chain.pem" \
  >/dev/null 2>&1 &
gpid=$!; PIDS+=($gpid)
wait_udp "$zport"; wait_udp "$gport"

# one_run NAME SERVER_PID CMD... -> "gbps server_cpu_per_gib client_cpu_per_gib"
one_run() {
  local spid=$1; shift
  local s0 t0 t1 s1 out
  s0=$(proc_cpu "$spid"); t0=$(now)
  /usr/bin/time -o "$WORK/time.out" -f "%U %S" "$@" >/dev/null 2>&1
  t1=$(now); s1=$(proc_cpu "$spid")
  out=$(tail -1 "$WORK/time.out")
  awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v c="$out" -v b="$size" 'BEGIN {
    split(c, u, " "); w = t1 - t0; g = b / 1073741824;
    printf "%.3f %.3f %.3f\n", b * 8 / w / 1e9, (s1 - s0) / g, (u[1] + u[2]) / g }'
}

declare -a zr zs zc gr gs gc xc
for i in $(seq 1 "$runs"); do
  read -r r s c < <(one_run "$zpid" "$ZQUIC" get --ca "$CERTS/ca.pem" -o /dev/null --no-progress \
    "https://localhost:$zport/1g.bin")
  zr+=("$r"); zs+=("$s"); zc+=("$c")
  read -r r s c < <(one_run "$gpid" gtlsclient -q --exit-on-all-streams-close 127.0.0.1 "$gport" \
    "https://localhost:$gport/1g.bin")
  gr+=("$r"); gs+=("$s"); gc+=("$c")
  # The two clients against one server (ours): their CPU without the servers' difference.
  read -r r s c < <(one_run "$zpid" gtlsclient -q --exit-on-all-streams-close 127.0.0.1 "$zport" \
    "https://localhost:$zport/1g.bin")
  xc+=("$c")
  printf 'run %d: zquic %.2f Gbit/s, gtls pair %.2f Gbit/s\n' "$i" "${zr[-1]}" "${gr[-1]}" >&2
done
printf '\n1 GiB over loopback, %d alternating runs, median [min-max]\n' "$runs"
printf '%-22s %-24s %-24s %-24s\n' "" "Gbit/s" "server CPU-s/GiB" "client CPU-s/GiB"
printf '%-22s %-24s %-24s %-24s\n' "zquic serve/get" "$(stats "${zr[@]}")" "$(stats "${zs[@]}")" "$(stats "${zc[@]}")"
printf '%-22s %-24s %-24s %-24s\n' "gtlsserver/gtlsclient" "$(stats "${gr[@]}")" "$(stats "${gs[@]}")" "$(stats "${gc[@]}")"
awk -v a="$(median "${zr[@]}")" -v b="$(median "${gr[@]}")" -v c="$(median "${zs[@]}")" \
    -v d="$(median "${gs[@]}")" -v e="$(median "${zc[@]}")" -v f="$(median "${gc[@]}")" \
  'BEGIN { printf "ratio zquic/pair: rate %.2fx, server CPU %.2fx, client CPU %.2fx\n", a/b, c/d, e/f }'
awk -v e="$(median "${zc[@]}")" -v x="$(median "${xc[@]}")" -v s="$(stats "${xc[@]}")" \
  'BEGIN { printf "clients on one server (zquic serve): gtlsclient %s CPU-s/GiB; zquic get/gtlsclient %.2fx\n", s, e/x }'
