#!/usr/bin/env bash
# Installs dependencies, builds igc and starts the service on 127.0.0.1:8080 with the
# default data (../shared/data; override with IGC_DATA or --data). Extra arguments go to igcd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${IGC_BUILD_DIR:-$root/build}
exec "$build/core/app/igcd" "$@"
