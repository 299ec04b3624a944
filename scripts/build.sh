#!/usr/bin/env bash
# Configures and builds igc into ./build (override with IGC_BUILD_DIR). Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IGC_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
# IGC_DATA (as scripts/run.sh takes it) is where the first build trains the model from
data_opt=()
if [ -n "${IGC_DATA:-}" ]; then data_opt=(-DIGC_DEFAULT_DATA="$(cd "$IGC_DATA" && pwd)"); fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${IGC_BUILD_TYPE:-RelWithDebInfo} "${data_opt[@]}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
