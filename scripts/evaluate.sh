#!/usr/bin/env bash
# Reproduces the evaluation tables of docs/evaluation.md: the client's metrics on
# labeled/dev.csv (never trained or tuned on) for the full engine, what each kind of
# knowledge adds (ablations), and a learning curve over the size of the history.
# Each configuration trains its own embedding (igc train) and fits its parameters on
# labeled/history.csv only (igc tune, cross-fitted), then is measured once on dev.csv.
# About 3 minutes per configuration on 2 cores.
#   scripts/evaluate.sh [BUILD_DIR]            everything
#   IGC_EVAL_ONLY=ablation|curve scripts/evaluate.sh   one of the two tables
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${IGC_BUILD_DIR:-$root/build}}
igc="$build/core/app/igc"
data=$(cd "${IGC_DATA:-$root/../shared/data}" && pwd)
dev="$data/labeled/dev.csv"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
only=${IGC_EVAL_ONLY:-all}
all_src=taxonomy,ksic,history,general,lexicon,cases
all_sig=lexical,dense,knn,ksic_prior,lexicon,cases

# A data directory whose labeled/history.csv holds only the first n rows (the rest
# linked to the real one): the embedding and the parameters then see only those.
subset_data() {
    local n=$1 d="$out/data$1"
    mkdir -p "$d/labeled"
    for f in "$data"/*; do [ "$(basename "$f")" = labeled ] || ln -s "$f" "$d/"; done
    for f in "$data"/labeled/*; do [ "$(basename "$f")" = history.csv ] || ln -s "$f" "$d/labeled/"; done
    head -n $((n + 1)) "$data/labeled/history.csv" >"$d/labeled/history.csv"
    echo "$d"
}

# run NAME DATA SOURCES SIGNALS RULES(on|off|both: a second row without rules) [extra options...]
# SOURCES "none": no embedding model (no training; the dense signal is off).
run() {
    local name=$1 d=$2 src=$3 sig=$4 rules=$5
    shift 5
    local w
    w=$(mktemp -d "$out/run.XXXX")
    local g=(--data "$d" --lexicon-dir "$w/lexicon" "$@")
    local margs=(--model "$w/m.bin")
    if [ "$src" = none ]; then
        margs=(--model none)
    else
        "$igc" "${g[@]}" "${margs[@]}" train --out "$w/m.bin" --sources "$src" >"$w/train.txt" 2>&1
    fi
    local targs=(tune --history "$d/labeled/history.csv" --signals "$sig" --out "$w/p.json")
    [ "$src" != none ] && targs+=(--sources "$src")
    "$igc" "${g[@]}" "${margs[@]}" "${targs[@]}" >"$w/t.txt" 2>"$w/t.err"
    local eargs=(--signals "$sig" --params "$w/p.json" --in "$dev" --json --history "$d/labeled/history.csv")
    if [ "$rules" = both ]; then
        row "$name" "$w" "${g[@]}" "${margs[@]}" eval "${eargs[@]}"
        name="${name/ + rules (as shipped)/, no rules}"
        rules=off
    fi
    [ "$rules" = off ] && eargs+=(--no-rules)
    row "$name" "$w" "${g[@]}" "${margs[@]}" eval "${eargs[@]}"
}

# row NAME WORKDIR igc-arguments...: one table row from `igc eval --json` and igc tune's report
row() {
    local name=$1 w=$2
    shift 2
    local j
    j=$("$igc" "$@" 2>/dev/null)
    python3 - "$name" "$j" "$w/t.txt" <<'PY'
import json, re, sys
m = json.loads(sys.argv[2])
k = ["accuracy", "top1", "top3", "macro_f1", "micro_f1", "weighted_f1", "na_precision", "na_recall",
     "rank_top1", "rank_top3"]
cv = re.search(r"-> accuracy ([0-9.]+), top-1 ([0-9.]+), top-3 ([0-9.]+)", open(sys.argv[3]).read())
auto = "%.3f / %.3f" % (m.get("auto_share", 0), m.get("auto_accuracy", 0))
print("| " + sys.argv[1] + " | " + " | ".join("%.3f" % m.get(x, 0) for x in k) + " | " + auto + " | " +
      (" / ".join(cv.groups()) if cv else "–") + " |")
PY
}

header() {
    printf '| configuration | accuracy | top-1 | top-3 | macro-F1 | micro-F1 | weighted-F1 | n/a precision | n/a recall | ranking top-1 | ranking top-3 | decided alone: share / accuracy | history CV accuracy / top-1 / top-3 |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
}

if [ "$only" != curve ]; then
    echo "### What each kind of knowledge adds (dev.csv, 500 rows)"
    echo
    header
    run "full engine + rules (as shipped)" "$data" $all_src $all_sig both
    run "without the index-term dictionary" "$data" taxonomy,ksic,history,general,cases \
        lexical,dense,knn,ksic_prior,cases off --no-lexicon
    run "without the case dictionary" "$data" taxonomy,ksic,history,general,lexicon \
        lexical,dense,knn,ksic_prior,lexicon off --cases none
    run "without both dictionaries (the previous engine)" "$data" taxonomy,ksic,history,general \
        lexical,dense,knn,ksic_prior off --no-lexicon --cases none
    run "without past judgments at classification (knn, ksic_prior off)" "$data" $all_src \
        lexical,dense,lexicon,cases off
    run "without lexical (BM25 over item texts)" "$data" $all_src dense,knn,ksic_prior,lexicon,cases off
    run "without dense (no model)" "$data" none lexical,knn,ksic_prior,lexicon,cases off
    run "without dense and without the dictionaries" "$data" none lexical,knn,ksic_prior off --no-lexicon --cases none
    run "dictionaries alone (lexicon + cases, no model)" "$data" none lexicon,cases off
    echo
fi
if [ "$only" != ablation ]; then
    # without a model, so that each point costs no training (the dense signal is off
    # on both sides; the ablation table has the effect of the dictionaries with it)
    echo "### Learning curve over the size of the history (dev.csv, no rules, no model)"
    echo
    header
    for n in 250 500 1000 1967; do
        d=$data
        [ $n -lt 1967 ] && d=$(subset_data $n)
        run "$n history rows, with the dictionaries" "$d" none lexical,knn,ksic_prior,lexicon,cases off
        run "$n history rows, without them" "$d" none lexical,knn,ksic_prior off --no-lexicon --cases none
    done
fi
