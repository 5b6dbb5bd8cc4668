// GET /dashboard: one self-contained page (api/dashboard-page.ts) for operators, and the JSON it
// reads under /dashboard/api/…. Operators only: every route needs the operator token (bearer) or
// the session cookie set from it (POST /dashboard/login, or GET /dashboard?token=… once); a
// browser without either gets the sign-in form with status 401. It reads only what the API
// already has (the serving snapshot, the app's own feed and similar-titles services, Redis
// version keys) and the analysts' Parquet views (an in-memory DuckDB over DATA_DIR/analytics,
// opened for a few seconds at a time) — never the worker's warehouse file. Every panel degrades
// to "no data yet" instead of failing.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../config';
import { openAnalytics } from '../storage/analytics';
import { sqlText } from '../storage/duckdb';
import { VersionStore } from '../storage/redis-versions';
import type { FeedResponse } from './feed-response';
import type { OperatorAuth } from './auth';
import { lineChart, type Point, type Series } from './charts';
import { dashboardCsp, dashboardHtml, loginCsp, loginHtml } from './dashboard-page';
import type { FeedItem } from './feed';
import { HttpError, movieIdSchema, parseOr400 } from './schemas';
import type { Snapshot } from './state';

// ---- knobs ----------------------------------------------------------------------------

export interface DashboardOptions {
  /** Runs drawn in the model-run charts (the newest this many). */
  runs: number;
  /** Interactions listed in a user lookup. */
  historyLimit: number;
  /** Users listed in a title's predicted audience. */
  audienceLimit: number;
  /** Titles listed as similar. */
  similarLimit: number;
  /** How long one in-memory DuckDB over the Parquet files is reused before it is closed (ms). */
  analyticsTtlMs: number;
  /** Redis connect/command timeout of the version panel's short-lived connection (ms). */
  redisTimeoutMs: number;
}

export const DASHBOARD_DEFAULTS: DashboardOptions = { runs: 100, historyLimit: 20, audienceLimit: 50, similarLimit: 10, analyticsTtlMs: 3000, redisTimeoutMs: 1000 };

// ---- analytics reader ----------------------------------------------------------------

export interface AnalyticsDb {
  views: string[];
  query(sql: string, params?: Record<string, string | number | boolean | null>): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface AnalyticsReader {
  /** Run `fn` against the analysts' views; calls are serialized on one connection. */
  use<T>(fn: (db: AnalyticsDb) => Promise<T>): Promise<T>;
  /** Close the cached database now (it also closes by itself `ttlMs` after it was opened). */
  close(): void;
}

interface Entry {
  ready: Promise<AnalyticsDb & { close(): void }>;
  openedAt: number;
  refs: number;
  retired: boolean;
  chain: Promise<unknown>;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * An in-memory DuckDB with the analysts' views over DATA_DIR/analytics, reused for `ttlMs` and
 * then closed (so no handle outlives a burst of requests, and views created later — a first
 * run's files — are picked up). It never touches the warehouse file.
 */
export function cachedAnalytics(dataDir: string, ttlMs = DASHBOARD_DEFAULTS.analyticsTtlMs, open: (dir: string) => Promise<AnalyticsDb & { close(): void }> = openAnalytics): AnalyticsReader {
  let current: Entry | null = null;

  const finish = (e: Entry) => {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.ready.then((db) => db.close(), () => {});
  };
  const retire = (e: Entry) => {
    if (e.retired) return;
    e.retired = true;
    if (current === e) current = null;
    if (e.refs === 0) finish(e);
  };

  return {
    async use<T>(fn: (db: AnalyticsDb) => Promise<T>): Promise<T> {
      if (current && Date.now() - current.openedAt > ttlMs) retire(current);
      if (!current) {
        const e: Entry = { ready: open(dataDir), openedAt: Date.now(), refs: 0, retired: false, chain: Promise.resolve(), timer: null };
        e.timer = setTimeout(() => retire(e), ttlMs);
        e.timer.unref();
        e.ready.catch(() => retire(e)); // a failed open is not cached
        current = e;
      }
      const e = current;
      e.refs++;
      try {
        const db = await e.ready;
        const run = e.chain.then(() => fn(db));
        e.chain = run.catch(() => {});
        return await run;
      } finally {
        e.refs--;
        if (e.retired && e.refs === 0) finish(e);
      }
    },
    close() {
      if (current) retire(current);
    },
  };
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

// ---- model runs ------------------------------------------------------------------------

/** Models that are baselines, not candidates for release (live, live_ranked: the live recipe retrained). */
const isBaseline = (model: string) => model === 'popularity' || model === 'trending' || model.startsWith('live');
/** The model whose numbers a run's gate judged, when several candidates were evaluated. */
const GATED_PREFERENCE = ['ranked', 'candidate'];

export interface RunView {
  version: string;
  created_at: string;
  data_as_of: string | null;
  cutoff: string | null;
  run_model: string | null;
  params: Record<string, unknown> | null;
  gate_passed: boolean;
  /** pass | fail | inconclusive (older runs: from gate_passed). */
  gate_outcome: string;
  gate_reason: string;
  published: boolean;
  /** The evaluated model whose NDCG@10 the gate judged. */
  gated_model: string | null;
  ndcg_10: number | null;
  recall_20: number | null;
  coverage_10: number | null;
  popularity: { ndcg_10: number | null; recall_20: number | null; coverage_10: number | null };
  live_ndcg_10: number | null;
  live_version: string | null;
  n_users: number | null;
  n_items: number | null;
}

/** Rows of sql/rpt_dashboard_runs.sql (one per run × model) → one RunView per run, oldest first. */
export function runViews(rows: Row[]): RunView[] {
  const byVersion = new Map<string, { run: Row; models: Map<string, Row> }>();
  for (const r of rows) {
    const v = String(r.version);
    let e = byVersion.get(v);
    if (!e) byVersion.set(v, (e = { run: r, models: new Map() }));
    if (r.model !== null && r.model !== undefined) e.models.set(String(r.model), r);
  }
  const out: RunView[] = [];
  for (const [version, { run, models }] of byVersion) {
    const gateNdcg = num(run.gate_ndcg_10);
    const candidates = [...models.keys()].filter((m) => !isBaseline(m));
    // The model the gate judged: the candidate whose NDCG@10 is the one recorded with the decision.
    const matching = candidates.filter((m) => gateNdcg !== null && Math.abs((num(models.get(m)!.ndcg_10) ?? NaN) - gateNdcg) < 1e-9);
    const pick = (xs: string[]) => GATED_PREFERENCE.find((m) => xs.includes(m)) ?? xs[0] ?? null;
    const gated = pick(matching) ?? pick(candidates);
    const g = gated ? models.get(gated)! : null;
    const pop = models.get('popularity');
    let params: Record<string, unknown> | null = null;
    try {
      params = run.params ? (JSON.parse(String(run.params)) as Record<string, unknown>) : null;
    } catch {
      params = null;
    }
    out.push({
      version,
      created_at: String(run.created_at),
      data_as_of: str(run.data_as_of),
      cutoff: str(run.cutoff),
      run_model: str(run.run_model),
      params,
      gate_passed: run.gate_passed === true,
      gate_outcome: str(run.gate_outcome) ?? (run.gate_passed === true ? 'pass' : 'fail'),
      gate_reason: String(run.gate_reason ?? ''),
      published: run.published === true,
      gated_model: gated,
      ndcg_10: num(g?.ndcg_10) ?? gateNdcg,
      recall_20: num(g?.recall_20),
      coverage_10: num(g?.coverage_10),
      popularity: { ndcg_10: num(pop?.ndcg_10) ?? num(run.popularity_ndcg_10), recall_20: num(pop?.recall_20), coverage_10: num(pop?.coverage_10) },
      live_ndcg_10: num(run.live_ndcg_10),
      live_version: str(run.live_version),
      n_users: num(run.n_users),
      n_items: num(run.n_items),
    });
  }
  return out.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.version < b.version ? -1 : 1));
}

/** "2026-11-26T05:40:03Z" → "11-26 05:40" (UTC). */
export function shortTime(iso: string): string {
  const m = /^\d{4}-(\d\d-\d\d)[T ](\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export interface RunChart {
  id: string;
  title: string;
  svg: string;
}

/** NDCG@10, Recall@20 and coverage@10 per run: the gated model (marked pass/fail) beside popularity. */
export function runCharts(runs: RunView[], width = 380): RunChart[] {
  const xTicks = runs.map((r, i) => ({ value: i, label: shortTime(r.created_at) }));
  const chart = (id: string, title: string, get: (r: RunView) => number | null, pop: (r: RunView) => number | null): RunChart => {
    const model: Series = {
      name: 'model (● gate passed, ✕ failed)',
      color: '#2563eb',
      points: runs.map((r, i) => ({ x: i, y: get(r) ?? NaN, status: r.gate_passed ? 'pass' : 'fail', label: `${r.version} · ${r.gated_model ?? 'model'} ${title} ${fmt(get(r))} · gate ${r.gate_passed ? 'passed' : 'failed'}: ${r.gate_reason}` }) satisfies Point),
    };
    const baseline: Series = { name: 'popularity', color: '#9ca3af', dash: true, points: runs.map((r, i) => ({ x: i, y: pop(r) ?? NaN, label: `${r.version} · popularity ${title} ${fmt(pop(r))}` })) };
    return { id, title, svg: lineChart([model, baseline], { title, width, height: 230, xTicks, xMin: runs.length === 1 ? -0.5 : undefined, xMax: runs.length === 1 ? 0.5 : undefined, xLabel: 'run (UTC)', emptyText: 'no model runs yet — start one with `recs retrain`' }) };
  };
  return [
    chart('ndcg_10', 'NDCG@10', (r) => r.ndcg_10, (r) => r.popularity.ndcg_10),
    chart('recall_20', 'Recall@20', (r) => r.recall_20, (r) => r.popularity.recall_20),
    chart('coverage_10', 'Coverage@10', (r) => r.coverage_10, (r) => r.popularity.coverage_10),
  ];
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));

export async function readRuns(db: AnalyticsDb, limit: number): Promise<RunView[]> {
  if (!db.views.includes('model_runs') || !db.views.includes('eval_metrics')) return [];
  return runViews((await db.query(sqlText('rpt_dashboard_runs'), { limit })).rows);
}

// ---- versions --------------------------------------------------------------------------

export interface VersionReader {
  live(): Promise<string | null>;
  versions(): Promise<string[]>;
  meta(version: string): Promise<Record<string, string>>;
}

export interface VersionRow {
  version: string;
  role: 'live' | 'rollback';
  model: string | null;
  data_as_of: string | null;
  created_at: string | null;
  published_at: string | null;
  rolled_back_to_at: string | null;
  n_users: number | null;
  n_items: number | null;
  ndcg_10: number | null;
}

export interface VersionPanel {
  live: string | null;
  /** What this API instance serves right now (lags `live` for a moment after a flip). */
  serving: string | null;
  versions: VersionRow[];
  error?: string;
}

const metaJson = (m: Record<string, string>, f: string): unknown => {
  const raw = m[f];
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/** The live version and the others still in Redis (what a rollback can flip to), newest first. */
export async function readVersionPanel(r: VersionReader): Promise<Omit<VersionPanel, 'serving'>> {
  const [live, all] = await Promise.all([r.live(), r.versions()]);
  const ids = live && !all.includes(live) ? [live, ...all] : all;
  const metas = await Promise.all(ids.map((v) => r.meta(v)));
  return {
    live,
    versions: ids.map((version, i) => {
      const m = metas[i];
      const metrics = metaJson(m, 'metrics') as Record<string, unknown> | null;
      return {
        version,
        role: version === live ? 'live' : 'rollback',
        model: str(metaJson(m, 'model')),
        data_as_of: str(metaJson(m, 'data_as_of')),
        created_at: str(metaJson(m, 'created_at')),
        published_at: str(metaJson(m, 'published_at')),
        rolled_back_to_at: str(metaJson(m, 'rolled_back_to_at')),
        n_users: num(metaJson(m, 'n_users')),
        n_items: num(metaJson(m, 'n_items')),
        ndcg_10: metrics && typeof metrics === 'object' ? num(metrics.ndcg_10) : null,
      };
    }),
  };
}

/** Versions read over a connection opened for the request and closed after it (the dashboard is rarely open). */
export function shortLivedVersionReader(cfg: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX'>, timeoutMs = DASHBOARD_DEFAULTS.redisTimeoutMs) {
  return async <T>(fn: (r: VersionReader) => Promise<T>): Promise<T> => {
    const redis = new Redis(cfg.REDIS_URL, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return await fn(new VersionStore(redis, cfg.REDIS_PREFIX));
    } finally {
      redis.disconnect();
    }
  };
}

// ---- lookups ---------------------------------------------------------------------------

export interface HistoryRow {
  ts: string;
  event_type: string;
  movie_id: string;
  title: string | null;
  watch_seconds: number | null;
  duration_seconds: number | null;
  rating: number | null;
  source: string | null;
}

/** Titles from the serving snapshot (the API's own catalog and fresh pool). */
function titleFromSnapshot(snap: Snapshot | null, id: string): string | null {
  if (!snap) return null;
  const idx = snap.v.indexById.get(id);
  if (idx !== undefined) return snap.v.items[idx].title;
  return snap.freshById.get(id)?.title ?? null;
}

const UNIT_SEPARATOR = String.fromCharCode(31);

export async function readHistory(db: AnalyticsDb, snap: Snapshot | null, userId: string, limit: number): Promise<HistoryRow[] | null> {
  if (!db.views.includes('events')) return null;
  const { rows } = await db.query(sqlText('rpt_user_history'), { user_id: userId, limit });
  const out: HistoryRow[] = rows.map((r) => ({
    ts: String(r.ts),
    event_type: String(r.event_type),
    movie_id: String(r.movie_id),
    title: titleFromSnapshot(snap, String(r.movie_id)),
    watch_seconds: num(r.watch_seconds),
    duration_seconds: num(r.duration_seconds),
    rating: num(r.rating),
    source: str(r.source),
  }));
  const missing = [...new Set(out.filter((h) => h.title === null).map((h) => h.movie_id))];
  if (missing.length > 0 && db.views.includes('catalog')) {
    const names = new Map((await db.query(sqlText('rpt_title_names'), { ids: missing.join(UNIT_SEPARATOR) })).rows.map((r) => [String(r.movie_id), String(r.title)]));
    for (const h of out) h.title ??= names.get(h.movie_id) ?? null;
  }
  return out;
}

export interface AudienceView {
  version: string | null;
  size: number;
  users: { user_id: string; rank: number; score: number | null }[];
  note?: string;
}

export async function readAudience(db: AnalyticsDb, version: string | null, movieId: string, limit: number): Promise<AudienceView> {
  if (!version) return { version, size: 0, users: [], note: 'no live version' };
  if (!db.views.includes('recommendations')) return { version, size: 0, users: [], note: 'no published recommendations yet' };
  const { rows } = await db.query(sqlText('rpt_title_audience'), { version, movie_id: movieId, limit });
  return { version, size: num(rows[0]?.audience) ?? 0, users: rows.map((r) => ({ user_id: String(r.user_id), rank: Number(r.rank), score: num(r.score) })) };
}

// ---- router ----------------------------------------------------------------------------

export interface SimilarResult {
  movie_id: string;
  model_version: string;
  items: FeedItem[];
}

export interface DashboardDeps {
  cfg: Pick<Config, 'DATA_DIR' | 'REDIS_URL' | 'REDIS_PREFIX' | 'FEED_DEFAULT_LIMIT'>;
  state: { snapshot(): Snapshot | null };
  /** The app's own feed service, called in-process (a preview logs no impressions). */
  feed(q: { user_id: string; limit?: number }): Promise<FeedResponse>;
  /** The app's own similar-titles service (GET /movies/:id/similar). */
  similar(movieId: string, limit: number): SimilarResult;
  /** The operator token check (api/auth.ts). */
  auth: OperatorAuth;
  /** Runs `fn` with a version reader; default: a short-lived Redis connection per call. */
  withVersions?: <T>(fn: (r: VersionReader) => Promise<T>) => Promise<T>;
  /** Default: cachedAnalytics(cfg.DATA_DIR). */
  analytics?: AnalyticsReader;
  options?: Partial<DashboardOptions>;
}

const idParam = z.strictObject({ id: movieIdSchema });
const runsQuery = z.strictObject({ limit: z.string().regex(/^[0-9]{1,4}$/).transform(Number).pipe(z.number().int().min(1).max(1000)).optional() });
const noQuery = z.strictObject({});

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof HttpError) return { code: e.code, message: e.message };
  return { code: 'unavailable', message: (e as Error)?.message ?? String(e) };
}

export function dashboardRouter(deps: DashboardDeps): Router {
  const o: DashboardOptions = { ...DASHBOARD_DEFAULTS, ...deps.options };
  const analytics = deps.analytics ?? cachedAnalytics(deps.cfg.DATA_DIR, o.analyticsTtlMs);
  const withVersions = deps.withVersions ?? shortLivedVersionReader(deps.cfg, o.redisTimeoutMs);
  const router = Router();
  const html = dashboardHtml();
  const csp = dashboardCsp();
  const { auth } = deps;

  const login = (res: Response, status: number, message: string, base: string) =>
    res.status(status).set({ 'content-security-policy': loginCsp(), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'www-authenticate': 'Bearer' }).type('html').send(loginHtml(`${base}/login`, message));
  const startSession = (req: Request, res: Response) => res.set('set-cookie', auth.sessionCookie(req.baseUrl || '/')).redirect(303, req.baseUrl || '/');

  router.post('/login', express.urlencoded({ extended: false, limit: 4096, parameterLimit: 5 }), (req: Request, res: Response) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!auth.verifyToken(token)) return void login(res, 401, 'Wrong token.', req.baseUrl);
    startSession(req, res);
  });

  router.use((req: Request, res: Response, next: NextFunction) => {
    const t = req.method === 'GET' ? req.query.token : undefined;
    if (typeof t === 'string') {
      // One-time exchange: the token leaves the address bar at once (303 to the bare page).
      if (!auth.verifyToken(t)) return void login(res, 401, 'Wrong token.', req.baseUrl);
      return void startSession(req, res);
    }
    try {
      auth.checkOperator(req);
    } catch (e) {
      if (req.method === 'GET' && req.path === '/' && e instanceof HttpError && e.status === 401 && req.accepts(['json', 'html']) === 'html') return void login(res, 401, '', req.baseUrl);
      throw e;
    }
    next();
  });

  router.get('/', (req: Request, res: Response) => {
    parseOr400(noQuery, req.query, 'query');
    res.set({ 'content-security-policy': csp, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).type('html').send(html);
  });

  router.get('/api/runs', async (req: Request, res: Response) => {
    const q = parseOr400(runsQuery, req.query, 'query');
    let runs: RunView[] = [];
    let error: { code: string; message: string } | undefined;
    try {
      runs = await analytics.use((db) => readRuns(db, q.limit ?? o.runs));
    } catch (e) {
      error = errorOf(e);
    }
    res.set('cache-control', 'no-store').json({ runs, charts: runCharts(runs), ...(error ? { error } : {}) });
  });

  router.get('/api/versions', async (req: Request, res: Response) => {
    parseOr400(noQuery, req.query, 'query');
    const serving = deps.state.snapshot()?.v.version ?? null;
    let panel: VersionPanel;
    try {
      panel = { ...(await withVersions(readVersionPanel)), serving };
    } catch (e) {
      panel = { live: null, serving, versions: [], error: `redis unavailable: ${errorOf(e).message}` };
    }
    res.set('cache-control', 'no-store').json(panel);
  });

  router.get('/api/users/:id', async (req: Request, res: Response) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    parseOr400(noQuery, req.query, 'query');
    const snap = deps.state.snapshot();
    const [history, feed] = await Promise.allSettled([analytics.use((db) => readHistory(db, snap, id, o.historyLimit)), deps.feed({ user_id: id, limit: deps.cfg.FEED_DEFAULT_LIMIT })]);
    res.set('cache-control', 'no-store').json({
      user_id: id,
      history: history.status === 'fulfilled' ? (history.value ?? []) : [],
      history_note: history.status === 'rejected' ? `analytics unavailable: ${errorOf(history.reason).message}` : history.value === null ? 'no events in the analysts’ views yet' : undefined,
      feed: feed.status === 'fulfilled' ? feed.value : null,
      feed_error: feed.status === 'rejected' ? errorOf(feed.reason) : undefined,
    });
  });

  router.get('/api/titles/:id', async (req: Request, res: Response) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    parseOr400(noQuery, req.query, 'query');
    const snap = deps.state.snapshot();
    const idx = snap?.v.indexById.get(id);
    const item = idx !== undefined ? snap!.v.items[idx] : snap?.freshById.get(id);
    let similar: SimilarResult | null = null;
    let similarError: { code: string; message: string } | undefined;
    try {
      similar = deps.similar(id, o.similarLimit);
    } catch (e) {
      similarError = errorOf(e);
    }
    if (snap && !item && similarError?.code === 'unknown_movie') throw new HttpError(404, 'unknown_movie', `movie ${id} is not in the catalog`);
    let audience: AudienceView;
    try {
      audience = await analytics.use((db) => readAudience(db, snap?.v.version ?? null, id, o.audienceLimit));
    } catch (e) {
      audience = { version: snap?.v.version ?? null, size: 0, users: [], note: `analytics unavailable: ${errorOf(e).message}` };
    }
    res.set('cache-control', 'no-store').json({
      movie_id: id,
      title: item ? { title: item.title, genres: item.genres, year: item.year, added_at: item.added_at || null, fresh: idx === undefined || (snap?.freshById.has(id) ?? false) } : null,
      similar,
      similar_error: similarError,
      audience,
    });
  });

  return router;
}
