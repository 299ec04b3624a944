#!/usr/bin/env bash
# Side-by-side `igc classify` of two builds (before and after a change) on this machine:
# the listed companies repeated TIMES times (as bench/batch.sh writes them, default 4,
# about 9,900 rows) and, for the start-up alone, their first row; the two programs
# alternate, RUNS times each (default 5), and the medians of wall time, CPU time (user +
# system) and peak RSS are printed with their ratio, and whether the outputs are the
# same bytes. Each program uses its own build's model (<build>/model beside core/app/).
#   bench/batch_compare.sh BEFORE_IGC AFTER_IGC [RUNS] -- [common igc options]
set -euo pipefail
before=$1 after=$2
shift 2
. "$(dirname "$0")/args.sh"
bench_args 5 "$after" "$@"
runs=$num
python3 - "$data" "$out" <<'PY'
import csv, sys
data, out = sys.argv[1], sys.argv[2]
listed = list(csv.DictReader(open(f"{data}/companies/krx_listed_2026-04.csv", encoding="utf-8")))
cols = ["uid", "company", "ksic_code", "ksic_name", "main_product"]
for name, times in (("rows.csv", 4), ("one.csv", 0)):
    with open(f"{out}/{name}", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        rows = [r for k in range(times) for r in listed] if times else listed[:1]
        for n, r in enumerate(rows, 1):
            w.writerow([f"L{n}", r["company"], r["ksic11_group"], r["industry_name"], r["main_products"]])
PY
run() { # side input label
    local prog=$1 model
    model=$(cd "$(dirname "$prog")/../.." && pwd)/model
    /usr/bin/time -f "$3 %e %U %S %M" "$prog" classify --in "$out/$2" --out "$out/$3-$2.jsonl" \
        --model "$model/igc-embed.bin" --params "$model/engine-params.json" "${opts[@]}" 2>&1 >/dev/null | tail -n 1
}
for i in $(seq 1 "$runs"); do
    for input in rows.csv one.csv; do
        run "$before" "$input" before >>"$out/times"
        run "$after" "$input" after >>"$out/times"
    done
    echo "run $i of $runs done" >&2
done
python3 - "$out/times" "$runs" <<'PY'
import statistics, sys
lines = [l.split() for l in open(sys.argv[1])]
runs = int(sys.argv[2])
# the lines alternate: before/after for the listing, then before/after for one row, per run
def col(side, which, k):
    off = 0 if which == "rows" else 2
    sel = [l for i, l in enumerate(lines) if i % 4 == off + (side == "after")]
    return [float(l[k]) if k != 4 else float(l[k]) / 1024 for l in sel]
print("| measure | before (median) | after (median) | after / before |")
print("| --- | --- | --- | --- |")
for which, label in (("rows", "listing x4"), ("one", "one row (start-up)")):
    for k, what in ((1, "wall s"), (0, "cpu s"), (4, "peak RSS MiB")):
        if k == 0:
            b = [u + s for u, s in zip(col("before", which, 2), col("before", which, 3))]
            a = [u + s for u, s in zip(col("after", which, 2), col("after", which, 3))]
        else:
            b, a = col("before", which, k), col("after", which, k)
        mb, ma = statistics.median(b), statistics.median(a)
        print("| %s, %s | %.3g | %.3g | %.2f |" % (label, what, mb, ma, ma / mb if mb else 0))
print("\n%d runs each, alternating" % runs)
PY
if cmp -s "$out/before-rows.csv.jsonl" "$out/after-rows.csv.jsonl"; then
    echo "listing x4: the same output, byte for byte"
else
    echo "listing x4: the outputs differ"
fi
