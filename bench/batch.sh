#!/usr/bin/env bash
# Batch classification throughput, wall time including start-up: `igc classify` over the
# listed companies repeated TIMES times (default 4, about 9,900 rows) against fastText's
# `predict` on the same rows (a supervised model trained as in bench/peers/fasttext.sh;
# Debian's `fasttext`). Prints rows/s of each and their ratio.
#   bench/batch.sh IGC_BINARY [TIMES] -- [common igc options]
set -euo pipefail
. "$(dirname "$0")/args.sh"
bench_args 4 "$@"
igc=$prog times=$num
command -v fasttext >/dev/null || { echo "fasttext not installed (apt-get install fasttext)" >&2; exit 1; }
python3 - "$data" "$out" "$times" <<'PY'
import csv, json, sys
data, out, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
listed = list(csv.DictReader(open(f"{data}/companies/krx_listed_2026-04.csv", encoding="utf-8")))
cols = ["uid", "company", "ksic_code", "ksic_name", "main_product"]
with open(f"{out}/rows.csv", "w", encoding="utf-8", newline="") as f, open(f"{out}/rows.txt", "w") as t:
    w = csv.writer(f)
    w.writerow(cols)
    n = 0
    for k in range(times):
        for r in listed:
            n += 1
            w.writerow([f"L{n}", r["company"], r["ksic11_group"], r["industry_name"], r["main_products"]])
            t.write((r["industry_name"] + " " + r["main_products"]).replace("\n", " ") + "\n")
def text(r):
    return " ".join(r.get(k, "") for k in ("ksic_name", "main_product", "product_use", "tech_business_name")).replace("\n", " ")
with open(f"{out}/train.txt", "w") as o:
    for r in csv.DictReader(open(f"{data}/labeled/history.csv", encoding="utf-8")):
        o.write(f"__label__{r['label1'] or 'none'} {text(r)}\n")
    for it in json.load(open(f"{data}/taxonomy/igc-v6.json", encoding="utf-8"))["items"]:
        o.write(f"__label__{it['code']} " + (it["name"] + " " + it["definition"] + " " + it["examples"]).replace("\n", " ") + "\n")
PY
rows=$(($(wc -l <"$out/rows.csv") - 1))
fasttext supervised -input "$out/train.txt" -output "$out/m" -epoch 50 -lr 0.5 -wordNgrams 2 -minn 2 -maxn 4 \
    -dim 100 -thread 1 -seed 1 >/dev/null 2>&1
now() { date +%s.%N; }
t0=$(now)
"$igc" classify --in "$out/rows.csv" --out "$out/igc.jsonl" "${opts[@]}" 2>"$out/igc.err" || { cat "$out/igc.err" >&2; exit 1; }
t1=$(now)
fasttext predict "$out/m.bin" "$out/rows.txt" 3 >"$out/ft.txt"
t2=$(now)
echo "igc: $(tail -n 1 "$out/igc.err")"
python3 - "$rows" "$t0" "$t1" "$t2" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
a, b = n / (t1 - t0), n / (t2 - t1)
print("| | rows | seconds (wall, with start-up) | rows/s |")
print("| --- | --- | --- | --- |")
print("| igc classify | %d | %.2f | %.0f |" % (n, t1 - t0, a))
print("| fastText predict | %d | %.2f | %.0f |" % (n, t2 - t1, b))
print("\nigc / fastText: %.2f" % (a / b))
PY
