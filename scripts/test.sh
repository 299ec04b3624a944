#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite (ctest).
#   IGC_SANITIZE=1 scripts/test.sh   runs it under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
if [ "${IGC_SANITIZE:-0}" = "1" ]; then
    export IGC_BUILD_DIR=${IGC_BUILD_DIR:-$root/build-asan}
    "$root/scripts/build.sh" -DIGC_SANITIZE=ON
else
    "$root/scripts/build.sh"
fi
build=${IGC_BUILD_DIR:-$root/build}
ctest --test-dir "$build" --output-on-failure -j "${IGC_TEST_JOBS:-2}" "${@}"
