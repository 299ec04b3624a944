#!/usr/bin/env bash
# Every serving and scale figure of docs/evaluation.md ("Serving and scale"), one after the
# other on this machine (run it with nothing else running; about 15 minutes on 2 cores):
# the cost at 700 / 10,000 / 100,000 past judgments (bench/scale.sh), start-up and memory
# (bench/startup.sh), classify against nginx and /healthz under load (bench/http.sh, needs
# bench/deps.sh), batch against fastText (bench/batch.sh), importing 100,000 rows
# (bench/import.sh) and the longest wait for a save's refit at 100,000 (igc-bench).
#   bench/report.sh BUILD_DIR -- [common options, e.g. --data ../shared/data]
set -euo pipefail
here=$(dirname "$0")
B=$(cd "$1" && pwd)
shift
[ "${1:-}" = -- ] && shift
echo "## bench/report.sh $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo; echo "### cost against the past judgments held (bench/scale.sh)"; echo
"$here/scale.sh" "$B/bench/igc-bench" -- "$@"
echo; echo "### the longest wait for a save's refit at 100,000 (igc-bench)"; echo
"$B/bench/igc-bench" "$@" --exemplars 100000 --batch 200 --reps 1 2>/dev/null | grep -E "refit in two steps|^single|answers checksum"
echo; echo "### start-up (bench/startup.sh)"; echo
"$here/startup.sh" "$B" 3 -- "$@"
echo; echo "### serving (bench/http.sh)"; echo
"$here/http.sh" "$B" 10 -- "$@"
echo; echo "### batch (bench/batch.sh)"; echo
"$here/batch.sh" "$B/core/app/igc" -- "$@"
echo; echo "### import (bench/import.sh)"; echo
"$here/import.sh" "$B/core/app/igc" 100000 -- "$@"
