// GET /dashboard: one self-contained page (api/dashboard-page.ts) for operators, and the JSON it
// reads under /dashboard/api/…. Operators only: every route needs the operator token (bearer) or
// the session cookie set from it (POST /dashboard/login, or GET /dashboard?token=… once); a
// browser without either gets the sign-in form with status 401.
//
// Where the data comes from (docs/analysts.md, "The dashboard's data"): the API's own serving
// snapshot, feed and similar-titles services, and Redis — the version registry, plus what the
// warehouse worker publishes for the dashboard (storage/dashboard-data.ts): the run history after
// each evaluation and publish, each user's newest interactions after each ingest and stream
// drain, each published version's per-title audience. The API never opens DuckDB, the analysts'
// Parquet or the run artifacts (eslint.config.js holds that for all of api/). Every panel says
// "nothing published yet" or "Redis unavailable" instead of failing.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import type { AudienceEntry, HistoryEntry } from '../storage/dashboard-data';
import type { OperatorAuth } from './auth';
import { shortLivedSources, type WithSources } from './dashboard-data';
import { dashboardCsp, dashboardHtml, loginCsp, loginHtml } from './dashboard-page';
import { runCharts, runViews, type RunView } from './dashboard-runs';
import { readVersionPanel, type VersionPanel } from './dashboard-versions';
import type { FeedItem } from './feed';
import type { FeedResponse } from './feed-response';
import type { RowsResponse } from './rows-routes';
import { HttpError, movieIdSchema, parseOr400 } from './schemas';
import type { Snapshot } from './state';
import type { UpNextResponse } from './up-next';

export interface DashboardOptions {
  /** Runs drawn in the model-run charts (the newest this many of those the worker published). */
  runs: number;
  /** Interactions listed in a user lookup (at most the DASHBOARD_HISTORY_LENGTH the worker keeps). */
  historyLimit: number;
  /** Users listed in a title's predicted audience (at most the DASHBOARD_AUDIENCE the worker published). */
  audienceLimit: number;
  /** Titles listed as similar. */
  similarLimit: number;
  /** Titles per row in a user's screen of rows. */
  rowItems: number;
  /** Titles listed as up next. */
  upNextLimit: number;
  /** Redis connect/command timeout of the dashboard's short-lived connection (ms). */
  redisTimeoutMs: number;
}

export const DASHBOARD_DEFAULTS: DashboardOptions = { runs: 100, historyLimit: 20, audienceLimit: 50, similarLimit: 10, rowItems: 10, upNextLimit: 10, redisTimeoutMs: 1000 };

export interface SimilarResult {
  movie_id: string;
  model_version: string;
  items: FeedItem[];
}

export interface DashboardDeps {
  cfg: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX' | 'FEED_DEFAULT_LIMIT'>;
  state: { snapshot(): Snapshot | null };
  /** The app's own feed service, called in-process (a preview logs no impressions). */
  feed(q: { user_id: string; limit?: number }): Promise<FeedResponse>;
  /** The app's own similar-titles service (GET /movies/:id/similar). */
  similar(movieId: string, limit: number): SimilarResult;
  /** The app's own rows service (GET /home-rows), called in-process: a preview logs no impressions. */
  homeRows(userId: string, perRow: number): Promise<RowsResponse>;
  /** The app's own up-next service (GET /up-next), likewise unlogged. */
  upNext(userId: string, movieId: string, limit: number): Promise<UpNextResponse>;
  /** The operator token check (api/auth.ts). */
  auth: OperatorAuth;
  /** Runs `fn` with the Redis readers; default: a short-lived connection per call. */
  withSources?: WithSources;
  options?: Partial<DashboardOptions>;
}

export interface HistoryRow extends HistoryEntry {
  title: string | null;
}

export interface AudienceView {
  version: string | null;
  size: number;
  users: { user_id: string; rank: number; score: number | null }[];
  note?: string;
}

/** What a user lookup says when the worker holds no history for the user. */
export const NO_HISTORY_NOTE =
  'no events held for this user: the warehouse worker keeps each user’s newest interactions (DASHBOARD_HISTORY_LENGTH) until DASHBOARD_HISTORY_TTL_SECONDS after their last landed event; older history is in the analysts’ views';
export const NO_RUNS_NOTE = 'nothing published yet: the warehouse worker publishes the run history when a retrain evaluates its model (`recs retrain --world DIR --wait`)';

/** Titles from the serving snapshot (the API's own catalog and fresh pool). */
function titleFromSnapshot(snap: Snapshot | null, id: string): string | null {
  if (!snap) return null;
  const idx = snap.v.indexById.get(id);
  if (idx !== undefined) return snap.v.items[idx].title;
  return snap.freshById.get(id)?.title ?? null;
}

/** A screen of rows with every `because_of` title named (the API's rows carry only its id). */
export function rowsView(r: RowsResponse, snap: Snapshot | null) {
  const named = <T extends { because_of?: string }>(x: T) => (x.because_of ? { ...x, because_of_title: titleFromSnapshot(snap, x.because_of) } : x);
  return { ...r, rows: r.rows.map((row) => ({ ...named(row), items: row.items.map(named) })) };
}

/** What the rows and up next say when the model lacks the user (or the title, or Redis). */
export function rowsNote(source: RowsResponse['source']): string | undefined {
  if (source === 'cold_start') return 'the model lacks this user and the API holds no recent watches of theirs: the screen is what is trending (cold start)';
  if (source === 'fold_in') return 'the model lacks this user: the top picks are folded in from their recent watches';
  if (source === 'fallback') return 'Redis could not be read: the rows come from the in-memory trending and popular lists';
  return undefined;
}
export function upNextNote(source: UpNextResponse['source']): string | undefined {
  if (source === 'item_to_item') return 'the model lacks this user: the finished title’s nearest titles, in item-to-item order';
  if (source === 'fallback') return 'the model does not know this title: popular titles of its genres';
  return undefined;
}

export function historyRows(entries: HistoryEntry[], snap: Snapshot | null): HistoryRow[] {
  return entries.map((e) => ({ ...e, title: titleFromSnapshot(snap, e.movie_id) }));
}

export function audienceView(version: string | null, entry: AudienceEntry | null, limit: number): AudienceView {
  if (!version) return { version, size: 0, users: [], note: 'no live version' };
  if (!entry) return { version, size: 0, users: [], note: `no audience published for ${version} yet (the worker writes it when it publishes a version)` };
  return { version, size: entry.n, users: entry.u.slice(0, limit).map(([user_id, rank, score]) => ({ user_id, rank, score })) };
}

const idParam = z.strictObject({ id: movieIdSchema });
const upNextQuery = z.strictObject({ movie_id: movieIdSchema });
const runsQuery = z.strictObject({ limit: z.string().regex(/^[0-9]{1,4}$/).transform(Number).pipe(z.number().int().min(1).max(1000)).optional() });
const noQuery = z.strictObject({});

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof HttpError) return { code: e.code, message: e.message };
  return { code: 'unavailable', message: (e as Error)?.message ?? String(e) };
}
const unavailable = (e: unknown) => `redis unavailable: ${errorOf(e).message}`;

/** Sign-in: the operator token as a bearer, a session cookie, a one-time `?token=` or the form. */
function operatorGate(router: Router, auth: OperatorAuth): void {
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
}

export function dashboardRouter(deps: DashboardDeps): Router {
  const o: DashboardOptions = { ...DASHBOARD_DEFAULTS, ...deps.options };
  const withSources = deps.withSources ?? shortLivedSources(deps.cfg, o.redisTimeoutMs);
  const router = Router();
  const html = dashboardHtml();
  const csp = dashboardCsp();
  operatorGate(router, deps.auth);

  router.get('/', (req: Request, res: Response) => {
    parseOr400(noQuery, req.query, 'query');
    res.set({ 'content-security-policy': csp, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).type('html').send(html);
  });

  router.get('/api/runs', async (req: Request, res: Response) => {
    const q = parseOr400(runsQuery, req.query, 'query');
    let runs: RunView[] = [];
    let publishedAt: string | null = null;
    let note: string | undefined;
    let error: { code: string; message: string } | undefined;
    try {
      const published = await withSources((s) => s.published.runs());
      if (!published) note = NO_RUNS_NOTE;
      else {
        runs = runViews(published.rows).slice(-(q.limit ?? o.runs)); // oldest first: the newest `limit`
        publishedAt = published.published_at;
      }
    } catch (e) {
      error = { code: 'unavailable', message: unavailable(e) };
    }
    res.set('cache-control', 'no-store').json({ runs, charts: runCharts(runs), published_at: publishedAt, note, error });
  });

  router.get('/api/versions', async (req: Request, res: Response) => {
    parseOr400(noQuery, req.query, 'query');
    const serving = deps.state.snapshot()?.v.version ?? null;
    let panel: VersionPanel;
    try {
      panel = { ...(await withSources((s) => readVersionPanel(s.versions))), serving };
    } catch (e) {
      panel = { live: null, serving, versions: [], error: unavailable(e) };
    }
    res.set('cache-control', 'no-store').json(panel);
  });

  router.get('/api/users/:id', async (req: Request, res: Response) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    parseOr400(noQuery, req.query, 'query');
    const snap = deps.state.snapshot();
    const [history, feed, rows] = await Promise.allSettled([
      withSources((s) => s.published.history(id, o.historyLimit)),
      deps.feed({ user_id: id, limit: deps.cfg.FEED_DEFAULT_LIMIT }),
      deps.homeRows(id, o.rowItems),
    ]);
    res.set('cache-control', 'no-store').json({
      user_id: id,
      history: history.status === 'fulfilled' && history.value ? historyRows(history.value, snap) : [],
      history_note: history.status === 'rejected' ? unavailable(history.reason) : history.value === null ? NO_HISTORY_NOTE : undefined,
      feed: feed.status === 'fulfilled' ? feed.value : null,
      feed_error: feed.status === 'rejected' ? errorOf(feed.reason) : undefined,
      rows: rows.status === 'fulfilled' ? rowsView(rows.value, snap) : null,
      rows_note: rows.status === 'fulfilled' ? rowsNote(rows.value.source) : undefined,
      rows_error: rows.status === 'rejected' ? errorOf(rows.reason) : undefined,
    });
  });

  router.get('/api/users/:id/up-next', async (req: Request, res: Response) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    const q = parseOr400(upNextQuery, req.query, 'query');
    const snap = deps.state.snapshot();
    const body: { user_id: string; movie_id: string; movie_title: string | null; up_next: UpNextResponse | null; note?: string; error?: { code: string; message: string } } = {
      user_id: id,
      movie_id: q.movie_id,
      movie_title: titleFromSnapshot(snap, q.movie_id),
      up_next: null,
    };
    try {
      body.up_next = await deps.upNext(id, q.movie_id, o.upNextLimit);
      body.note = upNextNote(body.up_next.source);
    } catch (e) {
      body.error = errorOf(e);
    }
    res.set('cache-control', 'no-store').json(body);
  });

  router.get('/api/titles/:id', async (req: Request, res: Response) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    parseOr400(noQuery, req.query, 'query');
    const snap = deps.state.snapshot();
    const version = snap?.v.version ?? null;
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
      audience = audienceView(version, version ? await withSources((s) => s.published.audience(version, id)) : null, o.audienceLimit);
    } catch (e) {
      audience = { version, size: 0, users: [], note: unavailable(e) };
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
