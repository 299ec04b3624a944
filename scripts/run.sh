#!/usr/bin/env bash
# Installs dependencies, builds igc and starts the service on 127.0.0.1:8080 with the
# default data (../shared/data; override with IGC_DATA or --data). A new store (IGC_DB,
# default var/db) first receives the labelled history as past judgments. Extra
# arguments go to igcd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build=${IGC_BUILD_DIR:-$root/build}
# The address, store and data igcd will use: the last --listen, --db, --data given
# (igcd takes the last), else IGC_LISTEN, IGC_DB, IGC_DATA, else the defaults; the
# history goes into the store igcd opens.
listen=${IGC_LISTEN:-127.0.0.1:8080}
db=${IGC_DB:-var/db}
data=${IGC_DATA:-$root/../shared/data}
prev=
for a in "$@"; do
    case $a in
    --listen=*) listen=${a#--listen=} ;;
    --db=*) db=${a#--db=} ;;
    --data=*) data=${a#--data=} ;;
    -h | --help)
        echo "scripts/run.sh [igcd options]: installs what is missing, builds, imports the labelled history"
        echo "into a new store, then starts igcd with the options given. igcd's options:"
        if [ -x "$build/core/app/igcd" ]; then exec "$build/core/app/igcd" --help; fi
        echo "  (igcd is not built yet: run scripts/build.sh, then $build/core/app/igcd --help)"
        exit 0
        ;;
    esac
    case $prev in --listen) listen=$a ;; --db) db=$a ;; --data) data=$a ;; esac
    prev=$a
done
# Says so and stops when something already listens there (a running igcd, most
# often): checked first, so that nobody waits for a build that cannot serve.
check_port() {
    local host=${listen%:*} port=${listen##*:}
    host=${host#[}
    host=${host%]}
    case $host in '' | 0.0.0.0 | '*') host=127.0.0.1 ;; '::') host=::1 ;; esac
    [ "$port" != 0 ] || return 0
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null || return 0
    local who="다른 프로세스가"
    if command -v curl >/dev/null && curl -fsS -m 2 "http://$listen/healthz" 2>/dev/null | grep -q '"ok"'; then
        who="이미 실행 중인 igcd가"
    fi
    echo "run.sh: $listen 포트는 ${who} 쓰고 있습니다 (port busy)." >&2
    echo "  실행 중인 igcd를 그대로 쓰거나(http://$listen/), 멈춘 뒤 다시 실행하거나, 다른 포트로 실행하십시오:" >&2
    echo "  scripts/run.sh --listen 127.0.0.1:8081" >&2
    exit 1
}
check_port

"$root/scripts/install-deps.sh"
[ -d "$data" ] || { echo "run.sh: 데이터 디렉터리 $data 가 없습니다 (IGC_DATA 또는 --data로 지정; data directory missing)." >&2; exit 1; }
data=$(cd "$data" && pwd)
IGC_DATA=$data "$root/scripts/build.sh"
cd "$root"
if [ ! -f "$db/data.mdb" ] && [ -f "$data/labeled/history.csv" ]; then
    "$build/core/app/igc" --db "$db" --data "$data" history import "$data/labeled/history.csv"
fi
check_port # again: the build may have taken minutes
exec "$build/core/app/igcd" --db "$db" --data "$data" "$@"
