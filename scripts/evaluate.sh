#!/usr/bin/env bash
# Reproduces the evaluation table of docs/evaluation.md: the client's metrics on
# labeled/dev.csv (never trained or tuned on) for the full engine and its ablations.
# Each configuration's parameters are fitted on labeled/history.csv only (igc tune,
# cross-fitted), then measured once on dev.csv. Takes a few minutes (one model
# training per tuning fold). Usage: scripts/evaluate.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${IGC_BUILD_DIR:-$root/build}}
igc="$build/core/app/igc"
data=${IGC_DATA:-$root/../shared/data}
dev="$data/labeled/dev.csv"
hist="$data/labeled/history.csv"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name | signals | history at classification time | rules | model
configs=(
  "full engine + rules|lexical,dense,knn,ksic_prior|yes|on|default"
  "full engine, no rules|lexical,dense,knn,ksic_prior|yes|off|default"
  "no history (taxonomy only)|lexical,dense|no|on|default"
  "lexical alone|lexical|yes|off|none"
  "dense alone|dense|yes|off|default"
  "knn alone (past judgments)|knn|yes|off|default"
  "ksic_prior alone|ksic_prior|yes|off|none"
  "without lexical|dense,knn,ksic_prior|yes|off|default"
  "without dense (no model)|lexical,knn,ksic_prior|yes|off|none"
  "without knn|lexical,dense,ksic_prior|yes|off|default"
  "without ksic_prior|lexical,dense,knn|yes|off|default"
)
printf '| configuration | accuracy | top-1 | top-3 | macro-F1 | n/a precision | n/a recall | ranking top-1 | ranking top-3 | history CV accuracy / top-1 / top-3 |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
i=0
for c in "${configs[@]}"; do
    IFS='|' read -r name sig hist_on rules model <<<"$c"
    i=$((i + 1))
    margs=()
    [ "$model" = none ] && margs=(--model none)
    params="$out/p$i.json"
    "$igc" --data "$data" "${margs[@]}" tune --history "$hist" --signals "$sig" --out "$params" >"$out/t$i.txt" 2>&1
    eargs=(--signals "$sig" --params "$params" --in "$dev" --json)
    if [ "$hist_on" = yes ]; then eargs+=(--history "$hist"); else eargs+=(--no-history); fi
    [ "$rules" = off ] && eargs+=(--no-rules)
    j=$("$igc" --data "$data" "${margs[@]}" eval "${eargs[@]}" 2>/dev/null)
    python3 - "$name" "$j" "$out/t$i.txt" <<'PY'
import json, re, sys
m = json.loads(sys.argv[2])
k = ["accuracy", "top1", "top3", "macro_f1", "na_precision", "na_recall", "rank_top1", "rank_top3"]
# igc tune's report: the same metrics on history rows scored by cross-fitting
cv = re.search(r"-> accuracy ([0-9.]+), top-1 ([0-9.]+), top-3 ([0-9.]+)", open(sys.argv[3]).read())
print("| " + sys.argv[1] + " | " + " | ".join("%.3f" % m[x] for x in k) + " | " +
      (" / ".join(cv.groups()) if cv else "–") + " |")
PY
done
