#!/usr/bin/env bash
# Instructions per classification, counted by valgrind's callgrind while `igc eval`
# classifies the first 100 dev rows against the 1,967 history rows: the whole pipeline
# (igc_app_classify_engine), the engine, the rules and the support programmes. Unlike
# CPU time the count does not depend on what else the machine runs, so two builds
# compare exactly. Needs valgrind (apt-get install valgrind); about a minute.
#   bench/instructions.sh BUILD_DIR -- [common igc options, e.g. --data ../shared/data]
set -euo pipefail
B=$(cd "$1" && pwd)
shift
. "$(dirname "$0")/args.sh"
bench_args 100 "$B" "$@"
set -- "${opts[@]}"
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 2; }
head -n 101 "$data/labeled/dev.csv" >"$out/dev100.csv"
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$B/core/app/igc" eval --in "$out/dev100.csv" \
    --history "$data/labeled/history.csv" --db "$out/db" --model "$B/model/igc-embed.bin" \
    --params "$B/model/engine-params.json" "$@" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$out/cg.out" 2>/dev/null | awk '
    function show(name, v) { gsub(",", "", v); printf "%-18s %.2f M\n", name, v / 100 / 1e6 }
    /:classify_with \[/ && !p { show("whole pipeline", $1); p = 1 }
    / => .*:classify \(100x\)|:classify \[/ && !e { show("engine", $1); e = 1 }
    /:igc_rules_eval \[/ && !r { show("rules", $1); r = 1 }
    /:igc_rules_programmes_eval_counted \[/ && !g { show("programmes", $1); g = 1 }'
echo "(instructions per classification: 100 dev rows, 1,967 past judgments)"
