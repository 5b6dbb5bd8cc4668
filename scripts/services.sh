#!/usr/bin/env bash
# npm run services:up | services:down | services:status
# Redis and the Temporal dev server for this checkout, under DATA_DIR. Uses REDIS_URL /
# TEMPORAL_ADDRESS when something already answers there; otherwise starts its own.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SVC_DIR="$DATA_DIR/services"
SEARCH_ATTRS=(ModelVersion=Keyword NdcgAt10=Double GatePassed=Bool DataAsOf=Datetime GateOutcome=Keyword Release=Keyword)

wait_for() { # what, seconds, command...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  die "$what did not become healthy within ${secs}s (logs: $LOG_DIR)"
}

redis_up() {
  local h p; h="$(redis_host)"; p="$(redis_port)"
  if redis_answers "$h" "$p"; then log "redis: answering at $REDIS_URL"; return; fi
  command -v redis-server >/dev/null || die "redis-server not installed; run: npm run bootstrap"
  mkdir -p "$SVC_DIR/redis"
  log "redis: starting redis-server on $h:$p (AOF in $SVC_DIR/redis)"
  # AOF with appendfsync everysec: POST /events answers 202 once its XADD is in Redis and written
  # to the AOF (the OS page cache), so a crash of Redis or the API loses nothing acknowledged; only
  # a power loss or kernel crash can lose the last second. `always` would fsync inside Redis's
  # event loop before every reply, putting a disk flush in front of every feed read on this shared
  # instance; the API's own spool (used while Redis is away) does fsync before its 202.
  redis-server --bind "$h" --port "$p" --dir "$SVC_DIR/redis" --appendonly yes --appendfsync everysec --save '' \
    --daemonize yes --pidfile "$SVC_DIR/redis/redis.pid" --logfile "$LOG_DIR/redis.log" \
    </dev/null >/dev/null 2>&1
  wait_for redis 20 redis_answers "$h" "$p"
  log "redis: up"
}

temporal_healthy() {
  port_open "$(temporal_host)" "$(temporal_port)" || return 1
  local bin; bin="$(temporal_bin)"
  [ -z "$bin" ] || "$bin" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1
}

register_search_attributes() {
  local bin; bin="$(temporal_bin)"; [ -n "$bin" ] || return 0
  local existing; existing="$("$bin" operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null || true)"
  for kv in "${SEARCH_ATTRS[@]}"; do
    grep -q "${kv%%=*}" <<<"$existing" && continue
    "$bin" operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" \
      --name "${kv%%=*}" --type "${kv##*=}" >/dev/null 2>&1 || log "temporal: could not register ${kv%%=*}"
  done
}

temporal_up() {
  if temporal_healthy; then log "temporal: answering at $TEMPORAL_ADDRESS"; register_search_attributes; return; fi
  local bin; bin="$(temporal_bin)"
  [ -n "$bin" ] || die "Temporal CLI not found; run: npm run bootstrap"
  mkdir -p "$SVC_DIR/temporal"
  local args=(server start-dev --ip "$(temporal_host)" --port "$(temporal_port)" --ui-port "$(temporal_ui_port)"
    --db-filename "$SVC_DIR/temporal/temporal.db" --namespace "$TEMPORAL_NAMESPACE" --log-level warn --ui-disable-news-fetch)
  for kv in "${SEARCH_ATTRS[@]}"; do args+=(--search-attribute "$kv"); done
  log "temporal: starting the dev server on $TEMPORAL_ADDRESS (SQLite in $SVC_DIR/temporal)"
  setsid nohup "$bin" "${args[@]}" </dev/null >"$LOG_DIR/temporal.log" 2>&1 &
  echo $! >"$SVC_DIR/temporal/temporal.pid"
  wait_for temporal 60 temporal_healthy
  register_search_attributes
  log "temporal: up — web UI at http://$(temporal_host):$(temporal_ui_port)"
}

stop_pidfile() {
  local name="$1" file="$2"
  if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
    kill "$(cat "$file")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$file")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$file")" 2>/dev/null || true
    log "$name: stopped"
  else
    log "$name: not started by this checkout"
  fi
  rm -f "$file"
}

case "${1:-status}" in
  up)
    bash "$ROOT/scripts/bootstrap.sh"
    redis_up
    temporal_up
    ;;
  down)
    stop_pidfile temporal "$SVC_DIR/temporal/temporal.pid"
    stop_pidfile redis "$SVC_DIR/redis/redis.pid"
    ;;
  status)
    if redis_answers "$(redis_host)" "$(redis_port)"; then echo "redis     up    $REDIS_URL"; else echo "redis     down  $REDIS_URL"; fi
    if temporal_healthy; then echo "temporal  up    $TEMPORAL_ADDRESS  (web UI http://$(temporal_host):$(temporal_ui_port))"; else echo "temporal  down  $TEMPORAL_ADDRESS"; fi
    ;;
  *) die "usage: services.sh up|down|status" ;;
esac
