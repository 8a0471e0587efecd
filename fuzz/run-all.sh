#!/usr/bin/env bash
# run-all.sh BUILD_DIR [SECONDS] — run every fuzz target for SECONDS (default 20) each, starting
# from its seed corpus (copied, so that the checked-in corpus does not grow). Exit 1 on the first
# finding; the crashing input is left in BUILD_DIR/fuzz/findings/.
set -euo pipefail
build=${1:?usage: run-all.sh BUILD_DIR [SECONDS]}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
found=0
mkdir -p "$build/fuzz/findings"
for target in "$build"/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus=$build/fuzz/corpus-$name
  mkdir -p "$corpus"
  [ -d "$here/corpus/$name" ] && cp -n "$here/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/fuzz/findings/$name-" "$corpus" >"$build/fuzz/$name.log" 2>&1; then
    tail -30 "$build/fuzz/$name.log" >&2
    echo "fuzz: $name FAILED (see $build/fuzz/findings/)" >&2
    found=1
  else
    grep -E '^stat::number_of_executed_units' "$build/fuzz/$name.log" | sed "s/^/fuzz: $name /"
  fi
done
exit $found
