#!/usr/bin/env bash
# requests.sh [RUNS] [N] — requests per second on one connection: ngtcp2's gtlsclient -n N
# (one connection, its default concurrency) against zquic serve and against gtlsserver, the same
# 3-byte file, alternating runs; then the same for a 1 KiB file. Medians and spread.
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
n=${2:-100000}
mkdir -p "$WORK/www"
printf 'hi\n' >"$WORK/www/3b.txt"
head -c 1024 /dev/urandom >"$WORK/www/1k.bin"
zport=$(free_udp_port)
"$ZQUIC" serve --listen "127.0.0.1:$zport" --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" \
  --log-level warn "$WORK/www" >/dev/null 2>&1 &
PIDS+=($!)
gport=$(free_udp_port)
gtlsserver -q -d "$WORK/www" 127.0.0.1 "$gport" "$CERTS/server.key" "$CERTS/server-chain.pem" \
  >/dev/null 2>&1 &
PIDS+=($!)
wait_udp "$zport"; wait_udp "$gport"
rate() { # PORT FILE -> requests/s
  local t0 t1
  t0=$(now)
  gtlsclient -q --exit-on-all-streams-close -n "$n" 127.0.0.1 "$1" "https://localhost:$1/$2" \
    >/dev/null 2>&1 || { echo "bench: gtlsclient failed against port $1" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
for file in 3b.txt 1k.bin; do
  zr=(); gr=()
  for _ in $(seq 1 "$runs"); do zr+=("$(rate "$zport" "$file")"); gr+=("$(rate "$gport" "$file")"); done
  printf '%s, %d requests on one connection (gtlsclient -n), %d alternating runs, requests/s median [min-max]\n' \
    "$file" "$n" "$runs"
  printf '  zquic serve  %s\n  gtlsserver   %s\n' "$(stats "${zr[@]}")" "$(stats "${gr[@]}")"
  awk -v a="$(median "${zr[@]}")" -v b="$(median "${gr[@]}")" 'BEGIN { printf "  ratio zquic/gtlsserver %.2fx\n", a / b }'
done
