#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite (ctest).
#   IGC_SANITIZE=1 scripts/test.sh   runs it under AddressSanitizer + UndefinedBehaviorSanitizer
#   IGC_FUZZ_SECONDS=0 scripts/test.sh   without the libFuzzer runs at the end (scripts/fuzz.sh)
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
# libFuzzer runs of the fuzz targets, a few seconds each on their seed corpus (clang build in
# build-fuzz; docs/security.md "Fuzzing"). IGC_FUZZ_SECONDS=0 skips them.
if [ "${IGC_FUZZ_SECONDS:-5}" != "0" ] && [ $# -eq 0 ] && command -v clang >/dev/null 2>&1; then
    "$root/scripts/fuzz.sh" "${IGC_FUZZ_SECONDS:-5}"
fi
