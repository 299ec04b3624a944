#!/usr/bin/env bash
# What keeps igcd's event loop from answering under classify load: igcd over a fresh
# store holding labeled/history.csv, POST /api/v1/classify at 16 connections (wrk) and
# /healthz on one connection beside it, while `perf sched record` watches. Prints the
# probe's p50/p99 and the loop thread's longest runs without a break (ms, with when they
# began): a run that long is a wait for every request that arrives meanwhile.
# Needs wrk (bench/deps.sh) and perf (linux-perf); run as root.
#   bench/loop_stalls.sh BUILD_DIR [SECONDS] -- [common igcd options]
set -euo pipefail
B=$(cd "$1" && pwd)
shift
. "$(dirname "$0")/args.sh"
bench_args 5 "$B" "$@"
secs=$num
for t in wrk perf curl; do command -v $t >/dev/null || { echo "bench/loop_stalls.sh: $t missing" >&2; exit 1; }; done
model=(--model "$B/model/igc-embed.bin" --params "$B/model/engine-params.json")
"$B/core/app/igc" history import "$data/labeled/history.csv" --db "$out/db" --data "$data" "${model[@]}" "${opts[@]}" \
    >/dev/null 2>&1
port=$(free_port)
"$B/core/app/igcd" --listen 127.0.0.1:$port --db "$out/db" --data "$data" "${model[@]}" --rate-limit 0 --log-level 2 \
    "${opts[@]}" >"$out/igcd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { cat "$out/igcd.log" >&2; exit 1; }
    sleep 0.1
done
# the same request as bench/http.sh: the first dev row with a 5-digit KSIC code and a product
python3 - "$data/labeled/dev.csv" >"$out/post.lua" <<'PY'
import csv, json, sys
r = next(x for x in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
         if any(len(c) == 5 for c in x["ksic_code"].split(";")) and x["main_product"])
code = next(c for c in r["ksic_code"].split(";") if len(c) == 5)
p = r["main_product"] or r["ksic_name"]
body = json.dumps({"company": {"name": r["company"], "brn": "1234567891", "ceo": "홍길동"},
                   "tech": {"ksic_code": code, "ksic_name": r["ksic_name"], "main_product": p, "product_use": p,
                            "tech_business_name": p, "tech_class": "EE0101"}}, ensure_ascii=False)
print('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[%s]==]' % body)
PY
wrk -t2 -c16 -d"$((secs + 3))s" -s "$out/post.lua" "http://127.0.0.1:$port/api/v1/classify" >"$out/classify.txt" &
load=$!
sleep 1
wrk -t1 -c1 -d"${secs}s" --latency "http://127.0.0.1:$port/healthz" >"$out/health.txt" &
probe=$!
perf sched record -o "$out/sched.data" -- sleep "$secs" >/dev/null 2>&1
wait $probe $load
echo "classify $(grep Requests/sec "$out/classify.txt")"
grep -E "^\s+(50|99)%" "$out/health.txt" | sed 's/^ */\/healthz p/'
echo "the loop's longest runs (thread $pid), ms and start:"
perf sched timehist -i "$out/sched.data" 2>/dev/null | awk -v T="igcd[$pid]" '$3 == T {print $NF, $1}' |
    sort -rn | head -5
