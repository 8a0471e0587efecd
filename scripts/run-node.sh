#!/usr/bin/env bash
# run-node.sh — the main job on a fresh Debian 12 machine: install what is missing, build, and
# run `zquic node` (arguments are passed on; with none it serves its built-in page on
# 127.0.0.1:4433 and prints how to reach it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${ZQUIC_JOBS:-2}" --target zquic_tool >/dev/null
exec build/zquic node "$@"
