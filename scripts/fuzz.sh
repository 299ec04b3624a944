#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, AddressSanitizer and UBSan into
# build-fuzz (override with IGC_FUZZ_BUILD_DIR) and runs each for a while.
#
#   scripts/fuzz.sh                       request, csv and http, 10 s each
#   scripts/fuzz.sh http 3600             one target, an hour (the long run)
#   IGC_FUZZ_JOBS=2 scripts/fuzz.sh csv 600   two processes in parallel
#
# Targets: request (igc_req_from_body), csv (igc_csv, igc_csv_decode, igc_rows),
# http (raw bytes to the HTTP server with the whole API), lexicon (the lexicon
# loader). The corpus grows in build-fuzz/fuzz-corpus/<target>, seeded from
# tests/fuzz/corpus/<target>; a crash is saved as build-fuzz/fuzz-crashes/<target>/crash-*
# and makes the script fail. Replay one with: build-fuzz/tests/core/app/fuzz_<target> FILE
# (build-fuzz/tests/core/api/fuzz_http for http)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IGC_FUZZ_BUILD_DIR:-$root/build-fuzz}
secs=10
targets=()
for a in "$@"; do
    if [[ "$a" =~ ^[0-9]+$ ]]; then secs=$a; else targets+=("$a"); fi
done
[ ${#targets[@]} -gt 0 ] || targets=(request csv http)
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIGC_SANITIZE=ON \
      -DIGC_FUZZ=ON -DIGC_WERROR=OFF >/dev/null
names=()
for t in "${targets[@]}"; do names+=("fuzz_$t"); done
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${names[@]}" >/dev/null
status=0
for t in "${targets[@]}"; do
    bin=$(find "$build/tests" -name "fuzz_$t" -type f -perm -u+x | head -1)
    corpus=$build/fuzz-corpus/$t crashes=$build/fuzz-crashes/$t
    mkdir -p "$corpus" "$crashes"
    seeds=$root/tests/fuzz/corpus/$t
    [ -d "$seeds" ] || seeds=
    echo "fuzz: $t for ${secs}s" >&2
    jobs=()
    [ "${IGC_FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-jobs="$IGC_FUZZ_JOBS" -workers="$IGC_FUZZ_JOBS")
    # in the build folder: parallel jobs write their fuzz-N.log where they run
    if ! (cd "$build" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
            "${jobs[@]}" -artifact_prefix="$crashes/" "$corpus" ${seeds:+"$seeds"}) 2> "$build/fuzz-$t.log"; then
        echo "fuzz: $t FAILED, see $build/fuzz-$t.log and $crashes" >&2
        status=1
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added|cov: " "$build/fuzz-$t.log" | tail -3 >&2 || true
done
exit $status
