#!/usr/bin/env bash
# run-all.sh BUILD_DIR SECONDS — run every libFuzzer target of a -DZQUIC_FUZZ=ON build for SECONDS
# each, starting from the checked-in seeds (fuzz/corpus/<target>) and the generated ones
# (BUILD_DIR/fuzz/seeds/<target>). New corpus entries go to BUILD_DIR/fuzz/corpus/<target>, so
# repeated runs build on each other; crash/leak/timeout reproducers go to BUILD_DIR/fuzz/artifacts.
# Exits non-zero when any target crashes, leaks, times out or fails to start.
set -uo pipefail
build=${1:?usage: run-all.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run-all.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
fuzzdir=$(cd "$build" && pwd)/fuzz
targets=(fuzz_server_datagram fuzz_h3_request fuzz_addr fuzz_url fuzz_secp256k1_der fuzz_public_key
         fuzz_hex fuzz_blake3_stream fuzz_config fuzz_grpc_wire fuzz_zns_registry fuzz_dns_query
         fuzz_ens_response fuzz_proxy_config fuzz_h1_response fuzz_proxy_metrics
         fuzz_zns_bridge_response)

# Leaks are failures; the loop thread frees asynchronously, so only check at exit, not per input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp}

if [ ! -d "$fuzzdir/seeds" ]; then
  echo "run-all.sh: no generated seeds in $fuzzdir/seeds (build the fuzz_targets target)" >&2
  exit 2
fi
mkdir -p "$fuzzdir/artifacts"
failed=()
for t in "${targets[@]}"; do
  bin=$fuzzdir/$t
  if [ ! -x "$bin" ]; then
    echo "run-all.sh: $bin missing" >&2
    failed+=("$t(missing)")
    continue
  fi
  corpus=$fuzzdir/corpus/$t
  mkdir -p "$corpus"
  seeds=()
  for d in "$here/corpus/$t" "$fuzzdir/seeds/$t"; do [ -d "$d" ] && seeds+=("$d"); done
  log=$fuzzdir/$t.log
  echo "== $t: ${seconds}s (log $log)"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$fuzzdir/artifacts/$t-" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  grep -E "^stat::number_of_executed_units|^#[0-9]+ +DONE" "$log" | tail -2
  if [ $rc -ne 0 ]; then
    echo "!! $t failed (exit $rc):"
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "run-all.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "run-all.sh: all ${#targets[@]} targets ran ${seconds}s each without a finding"
