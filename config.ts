// Configuration: every knob is named here with its default, validated once at start.
// A wrong value names the variable and exits (fail fast); nothing else reads process.env.
import { resolve } from 'node:path';
import { z } from 'zod';
import { apiOptionsSchema, int, num } from './config-serving';

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((s) => s === 'true' || s === '1' || s === 'yes');
const csvNums = (def: string) =>
  z.string().default(def).transform((s, ctx) => {
    const out = s.split(',').filter(Boolean).map(Number);
    if (out.some((n) => !Number.isInteger(n) || n < 0)) ctx.addIssue({ code: 'custom', message: `expected comma-separated non-negative integers, got "${s}"` });
    return out;
  });

const baseSchema = z.object({
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Run artifacts (factors, rankers, content models, exported training data) that cross worker roles: a shared filesystem when roles run on different machines. Default DATA_DIR/runs. */
  ARTIFACT_DIR: z.string().min(1).optional(),
  /** Memory of the warehouse worker's DuckDB (e.g. 4GB); past it, DuckDB spills to disk beside the warehouse file. Unset: DuckDB's default, 80 % of RAM. */
  DUCKDB_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 4GB or 512MiB').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6389'),
  /** Namespace of every Redis key of this instance: two instances on one Redis do not collide. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('recs'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('recs'),
  /** Roles this worker process takes (workflows/task-queues.ts): warehouse (the base queue: workflows, ingest, SQL, evaluation, publish), train (`<queue>-train`), score (`<queue>-score`). All three = one process. */
  /** A workflow bundle built ahead (bundleWorkflowCode's code, written to a file): the warehouse worker loads it instead of bundling workflows/ at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  WORKER_ROLES: z.string().regex(/^\s*(warehouse|train|score)\s*(,\s*(warehouse|train|score)\s*)*$/, 'must be a comma-separated subset of warehouse,train,score').default('warehouse,train,score'),
  WORKER_MAX_ACTIVITIES: int(4, 1, 256), // activities one role's worker runs at once (a score worker sized for one shard at a time: 1)
  PORT: int(8080, 0, 65535),
  /** Port of the worker's Prometheus /metrics (observability/metrics-server.ts); 0 = off. 9464 is the usual Prometheus-exporter port. */
  WORKER_METRICS_PORT: int(9464, 0, 65535),
  /** Least level logged by the API, the worker (with the Temporal SDK's lines) and the CLI. */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** API processes sharing PORT (node:cluster, api/cluster.ts); `npm run api -- --procs N` wins. 1 = no cluster. Pick N in README "Serving". */
  API_PROCS: int(1, 1, 256),
  /**
   * V8's old-generation growing factor of the API processes, as 1 + p/100 (0: V8's own dynamic
   * factor). Under load V8 chose ~1.05 for the API's heap, so a 7-12 ms mark-compact came every
   * ~3 s while freeing ~3 MB each time; at 100 none came in the benchmark's 12-s phases, at the
   * cost of an old space up to twice the live heap (README "Serving processes").
   */
  API_HEAP_GROWING_PERCENT: int(100, 0, 1000),
  /**
   * `production` (the default), `demo` (scripts/demo.sh) or `test` (the default when NODE_ENV=test,
   * as under vitest). Only in demo/test mode does a missing ADMIN_TOKEN fall back to DEMO_ADMIN_TOKEN;
   * in production the API refuses to start without one (api/server.ts, exit 2).
   */
  RECS_ENV: z.enum(['production', 'demo', 'test']).default('production'),
  /** Operator token: bearer of the admin routes and the dashboard. No default in production. */
  ADMIN_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),

  // Retrieval (iALS, Rendle et al. 2021 form).
  ALS_FACTORS: int(64, 1, 1024),
  ALS_EPOCHS: int(12, 0, 1000),
  ALS_ALPHA0: num(0.2, 0), // weight of every unobserved (user, item) cell; tuned on the demo validation window (bench:quality)
  ALS_LAMBDA: num(0.01, 0), // λ in λ·(|history| + α0·n)^ν; tuned likewise
  ALS_NU: num(1, 0, 2),
  ALS_CG_STEPS: int(3, 1, 64),
  ALS_SEED: int(42),
  ALS_THREADS: int(0, 0, 64), // 0 = number of cores

  // Implicit confidence: event weights are configuration (sql/int_user_item_confidence.sql binds them).
  CONF_WATCH_WEIGHT: num(1, 0),
  CONF_REPEAT_WEIGHT: num(0.5, 0),
  CONF_RATING_WEIGHT: num(0.5, 0),
  CONF_SEARCH_WEIGHT: num(0.1, 0),
  CONF_BROWSE_WEIGHT: num(0.05, 0),
  CONF_ABANDON_COMPLETION: num(0.2, 0, 1), // completion below this is an early abandon (weak negative)
  CONF_LOW_RATING: num(2, 0, 5), // ratings at or below this are weak negatives
  LABEL_COMPLETION: num(0.5, 0, 1), // a watch counts as a positive label above this completion

  // Evaluation and gate.
  EVAL_WINDOW_DAYS: num(7, 0.01), // the holdout's least length before as-of …
  EVAL_MIN_USERS: int(1000, 1), // … grown backwards until this many users have a held-out watch (or all eligible users) …
  EVAL_MAX_HOLDOUT_FRACTION: num(0.3, 0.01, 0.9), // … but never holding more than this share of the label-eligible watches
  EVAL_MAX_USERS: int(20000, 1), // evaluate at most this many holdout users (a seeded sample)
  EVAL_BOOTSTRAP_SAMPLES: int(1000, 0, 100000), // resamples of users for every 95 % interval (0 = no intervals)
  GATE_MIN_LIFT_OVER_POPULARITY: num(0), // ship only when the lower 95 % bound of the NDCG@10 lift over popularity exceeds this
  GATE_MAX_REGRESSION_VS_LIVE: num(0.02, 0, 1), // hold back when the upper 95 % bound of the lift vs live is below −this

  // Ranking (TF.js ranker over retrieval candidates) and the cold-title content model.
  RANKER_ENABLED: bool(true), // rank retrieval candidates with the ranker; the gate then judges the ranked list
  RANK_CANDIDATES: int(1000, 1, 20000), // retrieval candidates per user the ranker orders (batch scoring and evaluation)
  RANKER_TRAIN_USERS: int(8000, 1), // users sampled (hash order) for ranker training examples
  RANKER_HARD_NEGATIVES: int(10, 1), // H: an unwatched candidate of rank r is a negative with probability min(1, H/(r+1)) …
  RANKER_POP_NEGATIVES: int(10, 0), // … plus this many popularity-proportional draws per user from outside the candidates
  RANKER_MAX_EPOCHS: int(30, 1, 1000), // early stopping on validation users usually ends sooner
  RANKER_LEARNING_RATE: num(0.003, 1e-6, 1), // Adam step size of the ranker
  RANKER_SEED: int(42),
  EVAL_TRADEOFFS: bool(true), // measure the objective trade-offs (completion weight, re-rank grid) in every retrain's evaluation, for `recs report`
  RANKER_COMPLETION_WEIGHT: num(0, 0, 10), // w of the shipped score p(watch) × E[completion]^w (pipeline/completion.ts); 0 = p(watch) alone
  CONTENT_EVAL_FRACTION: num(0.1, 0, 0.5), // warm titles held out from the content model to evaluate it
  CONTENT_AUDIENCE: int(500, 1), // audience size of the content model's audience hit rate

  // Batch scoring and publishing.
  TOP_N: int(500, 1, 5000),
  SCORE_SHARDS: int(4, 1, 4096),
  SCORE_CONCURRENCY: int(2, 1, 256),
  SCORE_BATCH_USERS: int(20_000, 1, 1_000_000), // users per scoring batch of a shard: scored, written, freed (≈ 80 MB of top-500 lists alive per batch, two batches at most)
  KEEP_VERSIONS: int(3, 1, 100),
  OLD_VERSION_TTL_SECONDS: int(7 * 24 * 3600, 0), // TTL given to the keys of versions beyond KEEP_VERSIONS (via their key index, no SCAN); 0 = unlink at once
  ABANDONED_VERSION_SECONDS: int(24 * 3600, 60), // a version written but not published this long ago is a failed run: its keys expire like an old version's
  USER_LIST_TTL_SECONDS: int(30 * 24 * 3600, 60), // every list expires unless a newer retrain replaces it
  ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: int(120, 2, 3600), // a dead worker's activity is retried after this
  RECENT_MAX: int(200, 1),

  // The operators' dashboard data the warehouse worker publishes to Redis (storage/dashboard-data.ts).
  DASHBOARD_RUNS: int(100, 1, 1000), // newest runs kept in the published run history
  DASHBOARD_HISTORY_LENGTH: int(20, 1, 1000), // interactions kept per user (one string of lines, ≈ 60 bytes each)
  DASHBOARD_HISTORY_TTL_SECONDS: int(30 * 24 * 3600, 60), // a user’s history expires this long after their last landed event (memory: bench/dashboard-memory.ts)
  DASHBOARD_AUDIENCE: int(50, 1, 1000), // users listed per title in a version's published audience

  /** TF.js backend preference: node (tfjs-node, when installed) → wasm → cpu; unset = the first that loads. */
  TF_BACKEND: z.enum(['node', 'wasm', 'cpu']).optional(),

  // CLI output (cli/progress.ts).
  PROGRESS_LOG_SECONDS: num(5, 0.1), // without a TTY, progress prints one line at most this often
  RETRAIN_POLL_SECONDS: num(1, 0.1), // `recs retrain --wait` asks Temporal for the running step this often

  // Serving.
  FEED_DEFAULT_LIMIT: int(20, 1, 500),
  FEED_EXPLORATION_SLOTS: csvNums('3,8,15'),
  FRESH_DAYS: num(14, 0),
  // Re-rank of the personalised list (model/diversity.ts rerankList; bench:quality measures each): 0 = off.
  FEED_DIVERSITY: num(0, 0, 1), // 1 − λ of MMR over item factors: weight of "unlike the titles above"
  FEED_GENRE_CAP: int(0, 0, 100), // at most this many titles of one primary genre in the re-ranked top (0 = no cap)
  FEED_FRESHNESS_BOOST: num(0, 0, 10), // β: relevance + β·max(0, 1 − age / FRESH_DAYS)
  FEED_RERANK_DEPTH: int(50, 2, 500), // positions of the list the re-rank reorders
  TRENDING_DAYS: num(7, 0.01),

  // The session moves the feed (model/session.ts has the formula): a warm user's watches since the
  // model's as-of, folded in and weighted by recency, re-score the top of the stored list plus the
  // recent titles' neighbours. Defaults and the on/off decision: bench/session.ts → bench/results/session.json.
  SESSION_ENABLED: bool(true),
  SESSION_HALF_LIFE_MINUTES: num(120, 0.01), // h: a watch this old weighs half as much as one just now
  SESSION_ALPHA: num(0.5, 0, 1), // α: the largest share of the session direction in the user vector
  SESSION_SATURATION: num(1, 0), // κ: the session gets α·W/(W+κ), W = Σ recency weights
  SESSION_MAX_EVENTS: int(10, 0, 200), // newest recent watches folded in
  SESSION_MIN_WEIGHT: num(0.05, 0), // below this W the session has faded: the stored order stands
  SESSION_RESCORE_TOP: int(100, 1, 5000), // stored-list titles re-scored
  SESSION_NEIGHBOURS: int(20, 0, 500), // nearest titles (item index) added per recent title
});

/** The pipeline's knobs above plus the API's serving knobs (config-serving.ts: A/B variants, exploration,
 * Redis timeouts, HNSW, event limits), so every one of them is an environment variable checked at start. */
export const configSchema = baseSchema.extend(apiOptionsSchema.shape);

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** The operator token of demo and test mode: public, so production refuses it. */
export const DEMO_ADMIN_TOKEN = 'dev-admin-token';

/** Parse and validate configuration; throws ConfigError naming each wrong variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  if (!picked.RECS_ENV && env.NODE_ENV === 'test') picked.RECS_ENV = 'test';
  if (!picked.ADMIN_TOKEN && (picked.RECS_ENV === 'demo' || picked.RECS_ENV === 'test')) picked.ADMIN_TOKEN = DEMO_ADMIN_TOKEN;
  const r = configSchema.safeParse(picked);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(picked[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const dataDir = resolve(r.data.DATA_DIR);
  return { ...r.data, DATA_DIR: dataDir, ARTIFACT_DIR: resolve(r.data.ARTIFACT_DIR ?? resolve(dataDir, 'runs')) };
}

/**
 * Why the API must not start with this configuration (null: it may): outside demo/test mode the
 * operator token must be set explicitly, and not to the public demo token.
 */
export function adminTokenProblem(cfg: Pick<Config, 'RECS_ENV' | 'ADMIN_TOKEN'>): string | null {
  if (cfg.RECS_ENV !== 'production') return null;
  if (!cfg.ADMIN_TOKEN)
    return 'ADMIN_TOKEN is not set: outside demo/test mode (RECS_ENV=production, the default) the API needs an explicit operator token for the dashboard and admin routes. Set ADMIN_TOKEN to a secret of at least 8 characters (e.g. `openssl rand -hex 24`), or RECS_ENV=demo for a local demo.';
  if (cfg.ADMIN_TOKEN === DEMO_ADMIN_TOKEN) return `ADMIN_TOKEN is the public demo token "${DEMO_ADMIN_TOKEN}": in production (RECS_ENV=production) set a secret of your own.`;
  return null;
}

/** For entry points: load or print the problem and exit 2. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}
