#!/usr/bin/env bash
# Peer: a fastText supervised classifier (Debian's `fasttext`), trained on
# labeled/history.csv plus the taxonomy's item texts, with "no item" as a class;
# measured on labeled/dev.csv with the same metric code as `igc eval`.
# Usage: bench/peers/fasttext.sh [BUILD_DIR]   (apt-get install fasttext)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${IGC_BUILD_DIR:-$root/build}}
data=${IGC_DATA:-$root/../shared/data}
command -v fasttext >/dev/null || { echo "fasttext not installed (apt-get install fasttext)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$data" "$tmp" <<'PY'
import csv, json, sys
data, tmp = sys.argv[1], sys.argv[2]
def text(r):
    return " ".join(r.get(k, "") for k in ("ksic_name", "main_product", "product_use", "tech_business_name")).replace("\n", " ")
with open(f"{tmp}/train.txt", "w") as out:
    for r in csv.DictReader(open(f"{data}/labeled/history.csv", encoding="utf-8")):
        lab = r["label1"] or "none"
        out.write(f"__label__{lab} {text(r)}\n")
    for it in json.load(open(f"{data}/taxonomy/igc-v6.json", encoding="utf-8"))["items"]:
        t = (it["name"] + " " + it["definition"] + " " + it["examples"]).replace("\n", " ")
        out.write(f"__label__{it['code']} {t}\n")
rows = list(csv.DictReader(open(f"{data}/labeled/dev.csv", encoding="utf-8")))
with open(f"{tmp}/dev.txt", "w") as out:
    for r in rows:
        out.write(text(r) + "\n")
json.dump([r["uid"] for r in rows], open(f"{tmp}/uids.json", "w"))
PY
fasttext supervised -input "$tmp/train.txt" -output "$tmp/m" -epoch 50 -lr 0.5 -wordNgrams 2 -minn 2 -maxn 4 \
    -dim 100 -thread 1 -seed 1 >/dev/null 2>&1
fasttext predict "$tmp/m.bin" "$tmp/dev.txt" 4 > "$tmp/pred.txt"
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
uids = json.load(open(f"{tmp}/uids.json"))
with open(f"{tmp}/pred.jsonl", "w") as out:
    for uid, line in zip(uids, open(f"{tmp}/pred.txt")):
        labs = [l.replace("__label__", "") for l in line.split()]
        items = [l for l in labs if l != "none"][:3]
        out.write(json.dumps({"uid": uid, "applicable": bool(labs) and labs[0] != "none", "items": items}) + "\n")
PY
"$build/core/app/igc" --data "$data" --model none --params none eval --in "$data/labeled/dev.csv" \
    --predictions "$tmp/pred.jsonl" --no-history --no-rules "${@:2}"
