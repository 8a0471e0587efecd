#!/usr/bin/env bash
# run.sh BUILD_DIR — ZCrypto benchmarks with their in-run anchor: b3sum --num-threads 1 and
# `zquic crypto hash` on the same 1 GiB file (page cache), then bench_crypto (per-path BLAKE3 in
# memory, wrappers vs direct library calls). One run; ratios printed.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
file=$build/bench-1g.bin
[ -s "$file" ] || head -c $((1 << 30)) /dev/urandom >"$file"
cat "$file" >/dev/null
b3sum=$build/b3sum-deb/usr/bin/b3sum
[ -x "$b3sum" ] || sh "$(dirname "$0")/../../../shared/tools/fetch-deb.sh" trixie b3sum "$build/b3sum-deb" >/dev/null
seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc -l; }
theirs=$(seconds "$b3sum" --num-threads 1 "$file")
ours=$(seconds "$build/zquic" crypto hash --alg blake3 "$file")
printf 'b3sum 1.8.1 --num-threads 1: %.3f s   zquic crypto hash: %.3f s   ratio (b3sum/zquic) %.2f\n' \
  "$theirs" "$ours" "$(echo "$theirs / $ours" | bc -l)"
"$build/bench/crypto/bench_crypto" 1024
