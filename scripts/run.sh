#!/usr/bin/env bash
# Installs dependencies, builds igc and starts the service on 127.0.0.1:8080 with the
# default data (../shared/data; override with IGC_DATA or --data). A new store (IGC_DB,
# default var/db) first receives the labelled history as past judgments. Extra
# arguments go to igcd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${IGC_BUILD_DIR:-$root/build}
cd "$root"
db=${IGC_DB:-var/db}
data=${IGC_DATA:-$root/../shared/data}
if [ ! -f "$db/data.mdb" ] && [ -f "$data/labeled/history.csv" ]; then
    "$build/core/app/igc" --db "$db" --data "$data" history import "$data/labeled/history.csv"
fi
exec "$build/core/app/igcd" --db "$db" --data "$data" "$@"
