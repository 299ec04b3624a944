#!/usr/bin/env bash
# How a request's cost grows with the past judgments the engine holds: igc-bench at
# 700 (the first 700 history rows), 10,000 and 100,000 judgments (history plus
# recombined synthetic ones), medians of RUNS runs each, and each size's ratio to 700.
#   bench/scale.sh BENCH [RUNS] -- [common igc-bench options]
set -euo pipefail
. "$(dirname "$0")/args.sh"
bench_args 1 "$@"
bench=$prog runs=$num
set -- "${opts[@]}"
head -n 701 "$data/labeled/history.csv" >"$out/history700.csv"
for r in $(seq 1 "$runs"); do
    "$bench" "$@" --history "$out/history700.csv" --exemplars 700 --batch 2000 --reps 3 2>/dev/null | grep '^{' >>"$out/700.jsonl"
    for n in 10000 100000; do
        "$bench" "$@" --exemplars "$n" --batch 2000 --reps 3 2>/dev/null | grep '^{' >>"$out/$n.jsonl"
    done
    echo "run $r of $runs done" >&2
done
python3 - "$out" <<'PY'
import json, statistics, sys, os
d = sys.argv[1]
rows = {n: [json.loads(l) for l in open(os.path.join(d, "%d.jsonl" % n))] for n in (700, 10000, 100000)}
keys = ["engine_p50_ms", "engine_p99_ms", "full_p50_ms", "max_rss_mib", "add_exemplar_p50_ms", "commit_p50_ms"]
print("| measure | 700 | 10,000 | 100,000 | 10,000 / 700 | 100,000 / 700 |")
print("| --- | --- | --- | --- | --- | --- |")
for k in keys:
    m = {n: statistics.median(x[k] for x in rows[n]) for n in rows}
    print("| %s | %.4g | %.4g | %.4g | %.2f | %.2f |" % (k, m[700], m[10000], m[100000],
          m[10000] / m[700] if m[700] else 0, m[100000] / m[700] if m[700] else 0))
print("\nexemplars: %s; %d run(s) each" % (", ".join(str(rows[n][0]["exemplars"]) for n in rows), len(rows[700])))
PY
