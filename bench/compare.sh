#!/usr/bin/env bash
# Side-by-side speed of two igc-bench builds (before and after a change), on the same
# machine in one run: the two alternate, RUNS times each, and the medians of each
# measure are printed with their ratio (after / before). Machines are noisy; the
# alternation spreads the noise over both.
#   bench/compare.sh BEFORE_BENCH AFTER_BENCH [RUNS] -- [common igc-bench options]
#   BEFORE_ARGS / AFTER_ARGS (environment) add options for one side only, such as its
#   --model and --params.
set -euo pipefail
before=$1 after=$2
runs=${3:-3}
shift 2
[ $# -gt 0 ] && [ "$1" != -- ] && shift
[ "${1:-}" = -- ] && shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$runs"); do
    # shellcheck disable=SC2086
    "$before" "$@" ${BEFORE_ARGS:-} 2>/dev/null | grep '^{' >>"$out/before.jsonl"
    # shellcheck disable=SC2086
    "$after" "$@" ${AFTER_ARGS:-} 2>/dev/null | grep '^{' >>"$out/after.jsonl"
    echo "run $i of $runs done" >&2
done
python3 - "$out/before.jsonl" "$out/after.jsonl" <<'PY'
import json, statistics, sys
b = [json.loads(l) for l in open(sys.argv[1])]
a = [json.loads(l) for l in open(sys.argv[2])]
print("| measure | before (median) | after (median) | after / before |")
print("| --- | --- | --- | --- |")
for k in b[0]:
    if k == "exemplars" or k not in a[0] or not isinstance(b[0][k], (int, float)):
        continue
    mb = statistics.median(x[k] for x in b)
    ma = statistics.median(x[k] for x in a)
    print("| %s | %.4g | %.4g | %s |" % (k, mb, ma, "%.2f" % (ma / mb) if mb else "–"))
print("\n%d runs each, alternating" % len(b))
# "answers": the engine's, scores to 1e-6 (a sum reordered moves a score by 1e-8 and may
# cross a rounding step); "full_answers": the whole answer as the API gives it. Where
# they differ, bench/same_answers.py on both builds' --answers-out says how.
for key, what in (("answers", "engine answers checksum"), ("full_answers", "whole-answer checksum")):
    if key not in b[0] or key not in a[0]:
        continue
    same = {x[key] for x in b} == {x[key] for x in a} and len({x[key] for x in b}) == 1
    print("%s: %s" % (what, "identical (%s)" % b[0][key] if same else
          "DIFFERENT (before %s, after %s)" % (sorted({x[key] for x in b}), sorted({x[key] for x in a}))))
PY
