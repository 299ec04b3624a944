#!/usr/bin/env bash
# igcd start-up against the number of past judgments in its store: for each size
# (default 700, 10,000 and 100,000: the history rows repeated under new uids, as
# bench/import.sh makes them), the seconds from launch until /healthz answers and the
# resident memory then, medians of RUNS starts (default 3).
#   bench/startup.sh BUILD_DIR [RUNS] -- [common igc options]
set -euo pipefail
B=$(cd "$1" && pwd)
shift
. "$(dirname "$0")/args.sh"
bench_args 3 "$B" "$@"
runs=$num
set -- "${opts[@]}"
sizes=${IGC_BENCH_SIZES:-"700 10000 100000"}
model=(--model "$B/model/igc-embed.bin" --params "$B/model/engine-params.json")
echo "| past judgments | start-up (s, median of $runs) | RSS after start-up (MiB) |"
echo "| --- | --- | --- |"
for n in $sizes; do
    history_rows "$data" "$out/rows.csv" "$n"
    rm -rf "$out/db"
    "$B/core/app/igc" history import "$out/rows.csv" --db "$out/db" "${model[@]}" "$@" >/dev/null 2>&1
    secs=() rss=()
    for _ in $(seq 1 "$runs"); do
        port=$(free_port)
        t0=$(date +%s.%N)
        "$B/core/app/igcd" --listen 127.0.0.1:$port --db "$out/db" "${model[@]}" --log-level 2 "$@" >"$out/igcd.log" 2>&1 &
        pid=$!
        until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
            kill -0 $pid 2>/dev/null || { cat "$out/igcd.log" >&2; exit 1; }
            sleep 0.02
        done
        t1=$(date +%s.%N)
        secs+=("$(python3 -c "print(${t1} - ${t0})")")
        rss+=("$(awk '/VmRSS/ {print $2 / 1024}' /proc/$pid/status)")
        kill $pid
        wait $pid 2>/dev/null || true
    done
    python3 - "$n" "${secs[*]}" "${rss[*]}" <<'PY'
import statistics, sys
n, s, r = int(sys.argv[1]), [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print("| %s | %.2f | %.0f |" % (format(n, ","), statistics.median(s), statistics.median(r)))
PY
done
