#!/usr/bin/env bash
# npm run demo [-- --once]: the whole system on the embedded demo world.
#   deps → services → generate the demo world → worker → retrain through Temporal → API →
#   a sample feed. Stays up until Ctrl-C; with --once (or CI set) exits 0 after the feed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ONCE=0
PRESET="${DEMO_PRESET:-demo}"
SEED="${DEMO_SEED:-42}"
for a in "$@"; do
  case "$a" in
    --once) ONCE=1 ;;
    --preset=*) PRESET="${a#--preset=}" ;;
    *) die "unknown option $a (use --once, --preset=tiny|demo|large)" ;;
  esac
done
[ -n "${CI:-}" ] && ONCE=1
export PORT="${PORT:-8080}"
# Demo mode: the API may start without ADMIN_TOKEN (the dashboard then takes the public demo token).
export RECS_ENV="${RECS_ENV:-demo}"

bash "$ROOT/scripts/services.sh" up

WORLD="$DATA_DIR/worlds/$PRESET-$SEED"
if [ ! -f "$WORLD/manifest.json" ]; then
  log "generating the $PRESET world (seed $SEED)"
  npx tsx cli/index.ts generate --preset "$PRESET" --seed "$SEED" --out "$WORLD" >/dev/null
fi

PIDS=()
# Children run as one node process each (node --import tsx), so killing the pid stops them.
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the worker (log: $LOG_DIR/worker.log)"
node --import tsx worker.ts >"$LOG_DIR/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=($WORKER_PID)
for _ in $(seq 1 300); do
  grep -q "worker: task queue" "$LOG_DIR/worker.log" 2>/dev/null && break
  kill -0 "$WORKER_PID" 2>/dev/null || { tail -30 "$LOG_DIR/worker.log" >&2; die "the worker exited during start-up"; }
  sleep 0.2
done

log "running a retrain through Temporal (watch it at http://$(temporal_host):$(temporal_ui_port))"
set +e
npx tsx cli/index.ts retrain --world "$WORLD" --wait >"$LOG_DIR/demo-retrain.json"
code=$?
set -e
if [ "$code" != 0 ]; then
  cat "$LOG_DIR/demo-retrain.json" >&2 || true
  if [ "$code" = 3 ] && [ -n "$(redis_live_version)" ]; then log "the gate kept this candidate back; serving the live version"; else tail -30 "$LOG_DIR/worker.log" >&2; die "retrain failed"; fi
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const m = r.metrics; const ci = (a, k) => a[k + "_lo"] === undefined ? "" : ` [${a[k + "_lo"].toFixed(4)}, ${a[k + "_hi"].toFixed(4)}]`;
  const row = (k) => m[k] ? `${k.padEnd(11)} NDCG@10 ${m[k].all.ndcg_10.toFixed(4)}${ci(m[k].all, "ndcg_10")}  Recall@20 ${m[k].all.recall_20.toFixed(4)}  (n=${m[k].all.users})` : "";
  console.error(`retrain ${r.status}: ${r.version}  (${r.users} users, ${r.items} titles, data as of ${r.dataAsOf})`);
  for (const k of ["shipped", "candidate", "ranked", "popularity", "trending", "live"]) if (m[k]) console.error("  " + row(k));
  console.error(`  holdout: ${r.gate.window ? r.gate.window.reason : ""}`);
  console.error(`  ${r.gate.rankerReason ?? ""}`);
  console.error(`  ${r.reason}`);
' "$LOG_DIR/demo-retrain.json"

log "starting the API on port $PORT (log: $LOG_DIR/api.log)"
node --import tsx api/server.ts >"$LOG_DIR/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do port_open 127.0.0.1 "$PORT" && break; sleep 0.2; done
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

USER_ID="$(node -e 'const u=JSON.parse(require("fs").readFileSync(process.argv[1]+"/users.json","utf8")); console.log(u[Math.floor(u.length/3)])' "$DATA_DIR/runs/$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version)' "$LOG_DIR/demo-retrain.json")")"
log "sample feed: GET /home-feed?user_id=$USER_ID&limit=10"
curl -fsS "http://127.0.0.1:$PORT/home-feed?user_id=$USER_ID&limit=10" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const f = JSON.parse(s);
    console.log(JSON.stringify({ user_id: f.user_id, model_version: f.model_version, source: f.source, variant: f.variant, items: f.items.length }, null, 0));
    for (const [i, it] of f.items.entries()) console.log(`${String(i + 1).padStart(2)}. ${it.title} [${(it.genres || []).join("|")}] ${it.reason} ${Number(it.score).toFixed(3)}`);
    if (!f.model_version || f.items.length < 10) process.exit(1);
  });'

echo
echo "API:         http://127.0.0.1:$PORT/home-feed?user_id=$USER_ID"
echo "Temporal UI: http://$(temporal_host):$(temporal_ui_port)"
if [ -n "${ADMIN_TOKEN:-}" ]; then echo "Dashboard:   http://127.0.0.1:$PORT/dashboard (sign in with your ADMIN_TOKEN)"
else echo "Dashboard:   http://127.0.0.1:$PORT/dashboard?token=dev-admin-token (demo mode's public token)"; fi
if [ "$ONCE" = 1 ]; then exit 0; fi
log "running; Ctrl-C to stop"
wait
