#!/usr/bin/env bash
# Time to import N past judgments (default 100,000: the history rows repeated under new
# uids) into a new store with `igc history import`.
#   bench/import.sh IGC_BINARY [N] -- [common igc options]
set -euo pipefail
. "$(dirname "$0")/args.sh"
bench_args 100000 "$@"
igc=$prog n=$num
set -- "${opts[@]}"
history_rows "$data" "$out/rows.csv" "$n"
start=$(date +%s.%N)
"$igc" history import "$out/rows.csv" --db "$out/db" "$@" 2>&1 | tail -n 1
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print('imported %s rows in %.1f s (%.0f rows/s)' % (sys.argv[3], s, int(sys.argv[3])/s))" "$start" "$end" "$n"
