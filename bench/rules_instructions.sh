#!/usr/bin/env bash
# Instructions executed inside rule evaluation (igc_rules_eval) and support-programme
# evaluation (igc_rules_programmes_eval_counted, which the pipeline calls) during one igc-bench run, counted by valgrind's
# callgrind: unlike CPU time, the count does not depend on what else the machine runs, so
# two builds compare exactly. Needs valgrind (apt-get install valgrind); takes minutes.
#   bench/rules_instructions.sh [IGC_BENCH] [-- igc-bench options]
#   default: build/bench/igc-bench -- --exemplars 0 --batch 200 --reps 1 --threads 1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${1:-${IGC_BUILD_DIR:-$root/build}/bench/igc-bench}
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- --exemplars 0 --batch 200 --reps 1 --threads 1
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=igc_rules_eval \
    --toggle-collect=igc_rules_programmes_eval_counted "$bench" "$@" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
    awk '/PROGRAM TOTALS/ {print "both      " $1}
         /:igc_rules_eval / {print "rules     " $1}
         /:igc_rules_programmes_eval_counted / {print "programmes " $1}'
