# lib.sh — shared by the benchmarks: build dir, test PKI, process CPU, medians. Sourced.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$root/build}
ZQUIC=$BUILD/zquic
CERTS=$BUILD/test-certs
WORK=${BENCH_WORK:-$BUILD/bench-work}
mkdir -p "$WORK"
[ -x "$ZQUIC" ] || { echo "bench: build first (cmake --build build)" >&2; exit 2; }
bash "$root/tests/gen-certs.sh" "$CERTS"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

clk=$(getconf CLK_TCK)
# CPU seconds (user+system) a running process has used so far.
proc_cpu() { awk -v t="$clk" '{printf "%.3f\n", ($14 + $15) / t}' "/proc/$1/stat"; }
now() { date +%s.%N; }
free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_udp() {
  for _ in $(seq 1 200); do [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ] && return 0; sleep 0.05; done
  echo "bench: nothing listens on UDP $1" >&2; exit 1
}
# median and spread (min-max) of numbers given as arguments
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f [%.3f-%.3f]", m, a[1], a[NR]}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.4f", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
