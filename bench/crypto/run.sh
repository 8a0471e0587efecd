#!/usr/bin/env bash
# run.sh BUILD_DIR [RUNS] — ZCrypto benchmarks with their in-run anchor, for issue 3's goals.
# BENCH_FILE=PATH puts the 1 GiB file elsewhere (e.g. /dev/shm, tmpfs: no page-cache eviction
# between runs); it is created there if missing. BENCH_MIB sets the in-memory buffer size.
#  1. b3sum 1.8.1 --num-threads 1 (Debian trixie package, Rust with SIMD: the independent anchor)
#     and `zquic crypto hash --alg blake3` on the same 1 GiB file from the page cache, alternating,
#     RUNS times each: median wall time, spread, ratio.
#  2. bench_crypto: BLAKE3 per SIMD path in memory (RUNS runs, median and spread), side by side
#     with the reference figures and as a ratio to b3sum's median GiB/s from step 1; then the
#     wrappers against direct library calls.
# The machine is shared: medians over alternating runs, and the spread printed, are what to quote.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [RUNS]}
runs=${2:-5}
mib=${BENCH_MIB:-1024}
file=${BENCH_FILE:-$build/bench-1g.bin}
[ -s "$file" ] || head -c $((1 << 30)) /dev/urandom >"$file"
cat "$file" >/dev/null
b3sum=$build/b3sum-deb/usr/bin/b3sum
[ -x "$b3sum" ] || sh "$(dirname "$0")/../../../shared/tools/fetch-deb.sh" trixie b3sum "$build/b3sum-deb" >/dev/null
zquic=$build/zquic
# The two must agree, or the timing compares different work.
[ "$("$b3sum" --num-threads 1 "$file" | cut -d' ' -f1)" = "$("$zquic" crypto hash --alg blake3 "$file" | cut -d' ' -f1)" ] ||
  { echo "run.sh: zquic and b3sum disagree on $file" >&2; exit 1; }

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc -l; }
# median, min and max of the numbers on stdin
stats() { sort -g | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f\n", m, v[1], v[NR]}'; }

theirs=() ours=()
for _ in $(seq "$runs"); do
  theirs+=("$(seconds "$b3sum" --num-threads 1 "$file")")
  ours+=("$(seconds "$zquic" crypto hash --alg blake3 "$file")")
done
read -r tm tmin tmax < <(printf '%s\n' "${theirs[@]}" | stats)
read -r om omin omax < <(printf '%s\n' "${ours[@]}" | stats)
echo "1 GiB file $file, $runs alternating runs, wall seconds: median [min-max]"
printf '  b3sum 1.8.1 --num-threads 1   %.3f [%.3f-%.3f]   %.2f GiB/s\n' "$tm" "$tmin" "$tmax" "$(echo "1 / $tm" | bc -l)"
printf '  zquic crypto hash --alg blake3 %.3f [%.3f-%.3f]   %.2f GiB/s  (path %s)\n' "$om" "$omin" "$omax" \
  "$(echo "1 / $om" | bc -l)" "${ZQUIC_BLAKE3_PATH:-best}"
printf '  speed ratio zquic/b3sum (medians) %.2f  (goal >= 1.00)\n' "$(echo "$tm / $om" | bc -l)"
echo
B3SUM_GIBS=$(echo "1 / $tm" | bc -l) "$build/bench/crypto/bench_crypto" "$mib" - "$runs"
