#!/bin/sh
# The figures of docs/evaluation.md, "Revision 7 (stand-in)": the client's metrics on dev.csv under
# revision 6 and under the new revision (labels mapped through the crosswalk), then the revision
# switch benchmark with 2,000 and 100,000 stored judgments.
#   scripts/revision-eval.sh [--no-bench]      (IGC_BUILD_DIR, IGC_DATA as for the other scripts)
set -eu
cd "$(dirname "$0")/.."
B=${IGC_BUILD_DIR:-build}
D=${IGC_DATA:-../shared/data}
REV=${IGC_REVISION:-$D/taxonomy/igc-v7-draft.json}
CW=${IGC_CROSSWALK:-$D/taxonomy/crosswalk-v6-v7.csv}
IGC="$B/core/app/igc --data $D"
row() { # label json
    echo "$2" | python3 -c '
import json, sys
j = json.loads(sys.stdin.read()); label = sys.argv[1]
keys = ["accuracy", "top1", "top3", "macro_f1", "weighted_f1", "na_precision", "na_recall", "auto_share", "auto_accuracy"]
print("| " + label + " | " + str(j["rows"]) + " | " + " | ".join("%.3f" % j[k] for k in keys) + " |")
if j.get("split_rows"):
    print("| (rows with a split label: right when the answer is any part) | %d | top-1 %d of %d = %.3f |" %
          (j["split_rows"], j["split_top1"], j["split_rows"], j["split_top1"] / j["split_rows"]))
if j.get("removed_rows"):
    print("| (rows left out: their item was removed) | %d | |" % j["removed_rows"])
' "$1"
}
echo "| revision | rows | accuracy | top-1 | top-3 | macro-F1 | weighted-F1 | n/a precision | n/a recall | decided alone | accuracy there |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row "6 (igc-6)" "$($IGC eval --json --in $D/labeled/dev.csv --history $D/labeled/history.csv 2>/dev/null)"
row "7 stand-in" "$($IGC eval --json --in $D/labeled/dev.csv --history $D/labeled/history.csv \
    --revision "$REV" --crosswalk "$CW" 2>/dev/null)"
[ "${1:-}" = "--no-bench" ] && exit 0
for n in 2000 100000; do
    "$B/bench/igc-revision-bench" --data "$D" --exemplars $n --revision "$REV" --crosswalk "$CW" 2>/dev/null | tail -1
done
