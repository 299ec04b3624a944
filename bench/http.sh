#!/usr/bin/env bash
# Serving under load, on this machine: POST /api/v1/classify requests per second at 16
# connections (wrk) against nginx serving a file of the same size as the answer, and
# /healthz latency (one connection) idle and while the classify load runs; printed side
# by side with the ratios. igcd runs over a fresh store holding labeled/history.csv.
# Needs wrk and nginx: bench/deps.sh.
#   bench/http.sh BUILD_DIR [SECONDS] -- [common igcd options]
set -euo pipefail
B=$(cd "$1" && pwd)
secs=${2:-10}
shift
[ $# -gt 0 ] && [ "$1" != -- ] && shift
[ "${1:-}" = -- ] && shift
data=../shared/data
for ((i = 1; i <= $#; i++)); do [ "${!i}" = --data ] && { j=$((i + 1)); data=${!j}; }; done
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "bench/http.sh: $t missing (bench/deps.sh)" >&2; exit 1; }; done
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
. "$(dirname "$0")/args.sh" # free_port
model=(--model "$B/model/igc-embed.bin" --params "$B/model/engine-params.json")
bin=$B/core/app

"$bin/igc" history import "$data/labeled/history.csv" --db "$out/db" --data "$data" "${model[@]}" "$@" >/dev/null 2>&1
P1=$(free_port)
"$bin/igcd" --listen 127.0.0.1:$P1 --db "$out/db" --data "$data" "${model[@]}" --rate-limit 0 --log-level 2 "$@" \
    >"$out/igcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$P1/healthz" >/dev/null 2>&1 && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$out/igcd.log" >&2; exit 1; }
    sleep 0.1
done

# one request: the first dev row with a 5-digit KSIC code and a product, a valid 사업자등록번호
python3 - "$data/labeled/dev.csv" >"$out/req.json" <<'PY'
import csv, json, sys
r = next(x for x in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
         if any(len(c) == 5 for c in x["ksic_code"].split(";")) and x["main_product"])
d = [1, 2, 3, 4, 5, 6, 7, 8, 9]
s = sum(x * w for x, w in zip(d, [1, 3, 7, 1, 3, 7, 1, 3, 5])) + d[8] * 5 // 10
brn = "".join(map(str, d)) + str((10 - s % 10) % 10)
code = next(c for c in r["ksic_code"].split(";") if len(c) == 5)
p = r["main_product"] or r["ksic_name"]
print(json.dumps({"company": {"name": r["company"], "brn": brn, "ceo": "홍길동"},
                  "tech": {"ksic_code": code, "ksic_name": r["ksic_name"], "main_product": p, "product_use": p,
                           "tech_business_name": p, "tech_class": "EE0101"}}, ensure_ascii=False))
PY
st=$(curl -s -H "Content-Type: application/json" --data-binary @"$out/req.json" -w "%{http_code}" \
    -o "$out/answer.json" "http://127.0.0.1:$P1/api/v1/classify")
[ "$st" = 200 ] || { echo "bench/http.sh: classify answered $st:" >&2; cat "$out/answer.json" >&2; exit 1; }
size=$(stat -c %s "$out/answer.json")
mkdir -p "$out/www" "$out/nginx"
head -c "$size" /dev/zero | tr '\0' 'x' >"$out/www/answer.json"
P2=$(free_port)
cat >"$out/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $out/nginx; proxy_temp_path $out/nginx; fastcgi_temp_path $out/nginx;
  uwsgi_temp_path $out/nginx; scgi_temp_path $out/nginx;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$P2; root $out/www; }
}
CONF
nginx -c "$out/nginx.conf" -p "$out/nginx" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$P2/answer.json" >/dev/null 2>&1 && break; sleep 0.1; done

python3 - "$out/req.json" >"$out/post.lua" <<'PY'
import json, sys
body = open(sys.argv[1], encoding="utf-8").read()
assert "]==]" not in body
print('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[%s]==]' % body.strip())
PY
wrk -t2 -c16 -d"${secs}s" -s "$out/post.lua" "http://127.0.0.1:$P1/api/v1/classify" >"$out/classify.txt"
wrk -t2 -c16 -d"${secs}s" "http://127.0.0.1:$P2/answer.json" >"$out/nginx.txt"
wrk -t1 -c1 -d"${secs}s" --latency "http://127.0.0.1:$P1/healthz" >"$out/health_idle.txt"
wrk -t2 -c16 -d"$((secs + 2))s" -s "$out/post.lua" "http://127.0.0.1:$P1/api/v1/classify" >"$out/classify_bg.txt" &
bg=$!
sleep 1
wrk -t1 -c1 -d"${secs}s" --latency "http://127.0.0.1:$P1/healthz" >"$out/health_load.txt"
wait $bg

python3 - "$out" "$size" "$(nproc)" <<'PY'
import os, re, sys
d, size, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def txt(n): return open(os.path.join(d, n)).read()
def rps(n): return float(re.search(r"Requests/sec:\s+([\d.]+)", txt(n)).group(1))
def errors(n):
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", txt(n))
    return int(m.group(1)) if m else 0
def ms(v, u): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]
def pct(n, p):
    m = re.search(r"^\s+%d%%\s+([\d.]+)(us|ms|s)\s*$" % p, txt(n), re.M)
    return ms(*m.groups())
if errors("classify.txt") or errors("classify_bg.txt"):
    sys.exit("bench/http.sh: classify answered other than 200 under load (see igcd's log)")
c, g = rps("classify.txt"), rps("nginx.txt")
print("| measure | igcd | nginx (same-size file) | ratio |")
print("| --- | --- | --- | --- |")
print("| requests/s at 16 connections (%d-byte answer) | %.0f | %.0f | %.3f |" % (size, c, g, c / g))
i50, i99, l50, l99 = pct("health_idle.txt", 50), pct("health_idle.txt", 99), pct("health_load.txt", 50), pct("health_load.txt", 99)
print("\n| /healthz latency (1 connection) | idle | under classify load | load / idle |")
print("| --- | --- | --- | --- |")
print("| p50 (ms) | %.3f | %.3f | %.1f |" % (i50, l50, l50 / i50))
print("| p99 (ms) | %.3f | %.3f | %.1f |" % (i99, l99, l99 / i99))
print("\nclassify load beside the probe: %.0f req/s; non-2xx answers: classify %d, under load %d; %s cores" %
      (rps("classify_bg.txt"), errors("classify.txt"), errors("classify_bg.txt"), cores))
PY
