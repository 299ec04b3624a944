#!/usr/bin/env bash
# Tools only the serving benchmark (bench/http.sh) needs, as root on Debian 12: wrk (the
# load generator) and nginx-light (the reference server). Not part of
# scripts/install-deps.sh: the service, its build and its tests do without them.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "bench/deps.sh: root needed (or sudo)" >&2; exit 1; }
    SUDO="sudo"
fi
missing=()
for p in wrk nginx-light; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the package's own server is not wanted: http.sh runs its own nginx on a free port
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
fi
echo "bench/deps.sh: wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'), $(nginx -v 2>&1)"
