#!/usr/bin/env bash
# requests_instr.sh [SMALL] [LARGE] — the server's CPU per request on one connection, counted in
# instructions (valgrind --tool=callgrind), which the noise of a shared 2-vCPU machine cannot
# move: zquic serve against ngtcp2's gtlsserver, each under callgrind, each asked SMALL and then
# LARGE requests of the same files by gtlsclient -n in two fresh runs; the difference divided by
# LARGE - SMALL cancels start-up and the handshake. Prints instructions per request and the ratio.
# Slow by design (callgrind runs the server ~50x slower): defaults 1000 and 6000.
. "$(dirname "$0")/lib.sh"
small=${1:-1000}
large=${2:-6000}
command -v valgrind >/dev/null || { echo "bench: valgrind missing (scripts/install-deps.sh)" >&2; exit 2; }
command -v gtlsclient >/dev/null || { echo "bench: gtlsclient missing (scripts/install-deps.sh)" >&2; exit 2; }
mkdir -p "$WORK/www"
printf 'hi\n' >"$WORK/www/3b.txt"
head -c 1024 /dev/urandom >"$WORK/www/1k.bin"

# Total instructions of one server run answering N requests for FILE.
instructions() { # SERVER N FILE
  local server=$1 n=$2 file=$3 port out pid
  port=$(free_udp_port)
  out=$WORK/callgrind.$server.$n
  rm -f "$out"*
  if [ "$server" = zquic ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out" "$ZQUIC" serve --listen "127.0.0.1:$port" \
      --cert "$CERTS/server-chain.pem" --key "$CERTS/server.key" --log-level warn "$WORK/www" \
      >"$WORK/callgrind.log" 2>&1 &
  else
    valgrind --tool=callgrind --callgrind-out-file="$out" gtlsserver -q -d "$WORK/www" 127.0.0.1 \
      "$port" "$CERTS/server.key" "$CERTS/server-chain.pem" >"$WORK/callgrind.log" 2>&1 &
  fi
  pid=$!
  PIDS+=("$pid")
  wait_udp "$port"
  timeout 300 gtlsclient -q --exit-on-all-streams-close -n "$n" 127.0.0.1 "$port" \
    "https://localhost:$port/$file" >/dev/null 2>&1 ||
    { echo "bench: gtlsclient failed against $server" >&2; exit 1; }
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

printf 'server instructions per request on one connection (callgrind; %d and %d requests, difference)\n' \
  "$small" "$large"
for file in 3b.txt 1k.bin; do
  declare -A per
  for server in zquic gtlsserver; do
    a=$(instructions "$server" "$small" "$file")
    b=$(instructions "$server" "$large" "$file")
    per[$server]=$(( (b - a) / (large - small) ))
  done
  printf '%s: zquic serve %d, gtlsserver %d, ratio %s\n' "$file" "${per[zquic]}" "${per[gtlsserver]}" \
    "$(awk -v a="${per[zquic]}" -v b="${per[gtlsserver]}" 'BEGIN { printf "%.2fx", a / b }')"
  unset per
done
