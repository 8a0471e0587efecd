#!/usr/bin/env bash
# test.sh — the whole test suite, from a fresh Debian 12 machine to a verdict:
#   1. install what is missing (scripts/install-deps.sh)
#   2. build (build/) and the Go interop peers (build/peers, from ../shared/peers/go)
#   3. unit, API, CLI and interop tests (ctest)
#   4. the same suite built with AddressSanitizer + UBSan (build-asan/)
#   5. the C API tests under valgrind
#   6. every fuzz target briefly (clang + libFuzzer, build-fuzz/), when fuzz/ exists
#   7. cargo test, when the Rust crate exists
# Ends with one line "zquic suite: N passed, N failed". Exit status 0 only if everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${ZQUIC_SHARED:-$root/../shared}
jobs=${ZQUIC_JOBS:-2}
fuzz_seconds=${ZQUIC_FUZZ_SECONDS:-20}

bash scripts/install-deps.sh

passed=0
failed=0
stage_ctest() { # NAME BUILD_DIR [ctest args...]
  local name=$1 dir=$2; shift 2
  echo "=== $name ==="
  local log=$dir/ctest-$name.log rc=0
  (cd "$dir" && ctest -j"$jobs" --output-on-failure "$@") 2>&1 | tee "$log" || rc=$?
  local line total bad
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
  if [ -z "$line" ]; then
    echo "stage $name: ctest produced no summary" >&2
    failed=$((failed + 1))
    return
  fi
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  [ "$rc" = 0 ] || [ "$bad" != 0 ] || failed=$((failed + 1))
}

echo "=== build ==="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZQUIC_PEERS_BIN="$root/build/peers" \
  -DZQUIC_SHARED_DIR="$shared" >/dev/null
cmake --build build -j"$jobs"
if [ -x "$shared/peers/go/build.sh" ]; then
  PEERS_BIN="$root/build/peers" "$shared/peers/go/build.sh" >/dev/null
else
  echo "test.sh: $shared/peers/go/build.sh not found (../shared must sit beside the checkout)" >&2
  exit 2
fi
stage_ctest suite build -LE valgrind

echo "=== build with ASan + UBSan ==="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DZQUIC_SANITIZE=ON \
  -DZQUIC_PEERS_BIN="$root/build/peers" -DZQUIC_SHARED_DIR="$shared" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  stage_ctest asan build-asan

stage_ctest valgrind build -L valgrind

if [ -f fuzz/run-all.sh ]; then
  echo "=== fuzz (${fuzz_seconds}s per target) ==="
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZQUIC_FUZZ=ON \
    -DZQUIC_BUILD_TESTS=OFF -DZQUIC_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs"
  if bash fuzz/run-all.sh build-fuzz "$fuzz_seconds"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

if [ -f bindings/rust/Cargo.toml ]; then
  echo "=== cargo test ==="
  # Debian's own toolchain (apt: rustc, cargo; rustc 1.63) when it is there, even if a newer one
  # (rustup's, in ~/.cargo/bin) comes first in PATH: the crate promises to build with Debian 12's
  # rustc, and testing with a newer one would let newer language or library features slip in.
  # RUSTC/RUSTDOC too, or Debian's cargo would run whichever rustc PATH finds first.
  cargo=cargo
  rust_env=()
  if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
    cargo=/usr/bin/cargo
    rust_env=(RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc)
  fi
  # ZQUIC_TEST_CERTS: the PKI of tests/gen-certs.sh that ctest made; ZQUIC_BIN_DIR: the C
  # examples (walletd) the interop tests run against the Rust ones.
  if env "${rust_env[@]}" ZQUIC_LIB_DIR="$root/build" LD_LIBRARY_PATH="$root/build" \
    ZQUIC_TEST_CERTS="$root/build/test-certs" ZQUIC_BIN_DIR="$root/build" \
    CARGO_TARGET_DIR="$root/build/rust-target" \
    "$cargo" test --offline --manifest-path bindings/rust/Cargo.toml; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
fi

echo "zquic suite: $passed passed, $failed failed"
[ "$failed" = 0 ]
