// createApp(deps) → the Express app. Services (what a request means) sit above thin route
// handlers (parse → service → respond); one error middleware renders every failure.
// The feed degrades instead of failing: no Redis → the in-memory popular list, source "fallback".
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse as parseQueryString } from 'node:querystring';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config';
import { foldInUser } from '../model/foldin';
import type { EventRow, Title } from '../model/types';
import { parseVariants, VariantAssigner } from './ab';
import { operatorAuth } from './auth';
import { dashboardRouter } from './dashboard';
import { loadFallbackList, saveFallbackList, type FallbackList } from './fallback-file';
import { deriveEventId, EventIntake } from './events';
import { ExplorationStats, type Rng } from './exploration';
import {
  backfill,
  blendExploration,
  coldStart,
  checkEncodedList,
  fromEncodedList,
  readListUserVec,
  genreMatches,
  rankExplorers,
  roundScore,
  type Candidate,
  type FeedItem,
  type FreshView,
  type Source,
} from './feed';
import { ApiMetrics } from './metrics';
import { docsRouter, openApiDocument } from './openapi';
import { createLogger, type Logger as PinoLogger } from '../observability/log';
import { requestId } from './request-id';
import {
  apiOptions,
  emptyQuerySchema,
  eventsBodySchema,
  homeFeedQuerySchema,
  HttpError,
  movieIdSchema,
  parseOr400,
  similarQuerySchema,
  titleBodySchema,
  type ApiOptions,
  type ErrorDetail,
  type HomeFeedQuery,
} from './schemas';
import { sessionParams, sessionRerank, storedListDepth } from './session';
import { EventSpool } from './spool';
import { ServingState, type Snapshot, type VersionState } from './state';
import { BufferedEventWriter, type FeedRead, type FeedStore } from './store';

export interface TitleAdder {
  addTitle(t: Title): Promise<{ workflowId: string }>;
}

export type Logger = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface AppDeps {
  cfg: Config;
  store: FeedStore;
  titleAdder?: TitleAdder;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /** Uniform [0,1); default Math.random. Seed it in tests that need exact draws. */
  rng?: Rng;
  /** Serving knobs not (yet) in config.ts; see api/schemas.ts for names and defaults. */
  options?: Partial<ApiOptions>;
  /** The app's pino logger (request lines, and `log` when that is not given); default: LOG_LEVEL to stdout. */
  logger?: PinoLogger;
  log?: Logger;
  /** The last-resort list on disk (api/fallback-file.ts); default DATA_DIR/api/fallback.json, null = none. */
  fallbackFile?: string | null;
}

import type { FeedResponse } from './feed-response';
export type { FeedResponse };

/** The Express app plus its lifecycle: start() loads state and starts timers; close() flushes. */
export type ApiApp = Express & {
  /**
   * Request listener for http.createServer: a valid `GET /home-feed` is served without the
   * Express router (whose per-request CPU is a visible share of the feed's budget); every other
   * request, and every feed request that fails validation, goes through the Express app.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  start(): Promise<void>;
  close(): Promise<void>;
  readonly state: ServingState;
  readonly metrics: ApiMetrics;
  /** Flush buffered impressions/events and exploration counts now (tests, shutdown). */
  flush(): Promise<void>;
};

/** The app's log function over a pino logger. */
export const pinoLog =
  (logger: PinoLogger): Logger =>
  (level, msg, fields) =>
    logger[level](fields ?? {}, msg);

/** Log at most once per `everyMs` per key (a Redis outage must not print a line per request). */
function rateLimited(log: Logger, everyMs: number): Logger {
  const last = new Map<string, number>();
  return (level, msg, fields) => {
    const now = Date.now();
    if (now - (last.get(msg) ?? 0) < everyMs) return;
    last.set(msg, now);
    log(level, msg, fields);
  };
}

export function createApp(deps: AppDeps): ApiApp {
  const { cfg, store } = deps;
  const opts = apiOptions(cfg, deps.options);
  const clock = deps.clock ?? Date.now;
  const rng = deps.rng ?? Math.random;
  const logger = deps.logger ?? createLogger({ name: 'api', level: cfg.LOG_LEVEL });
  const log = deps.log ?? pinoLog(logger);
  const logSome = rateLimited(log, 5000);
  const metrics = new ApiMetrics();
  const assigner = new VariantAssigner(parseVariants(opts.AB_VARIANTS, opts.AB_BUCKETS), opts.AB_SALT, opts.AB_BUCKETS);
  const feedQuery = homeFeedQuerySchema(opts.FEED_MAX_OFFSET);
  const eventsBody = eventsBodySchema(opts.EVENTS_MAX_BATCH);
  const appendOpts = { recentMax: cfg.RECENT_MAX, recentTtlSeconds: opts.RECENT_TTL_SECONDS };
  const auth = operatorAuth(cfg.ADMIN_TOKEN, opts.DASHBOARD_SESSION_SECONDS, clock);
  const session = sessionParams(cfg); // null: SESSION_ENABLED is off
  // Before any version loads (Redis down at start, nothing live yet): the last version's popular head.
  const fallbackPath = deps.fallbackFile === undefined ? join(cfg.DATA_DIR, 'api', 'fallback.json') : deps.fallbackFile;
  let diskFallback: FallbackList | null = fallbackPath ? loadFallbackList(fallbackPath) : null;

  const state = new ServingState(
    store,
    {
      hnswM: opts.HNSW_M,
      hnswEfConstruction: opts.HNSW_EF_CONSTRUCTION,
      hnswEfSearch: opts.HNSW_EF_SEARCH,
      fallbackSize: opts.FALLBACK_SIZE,
      pollMs: opts.STATE_POLL_MS,
      defaults: { alpha0: cfg.ALS_ALPHA0, lambda: cfg.ALS_LAMBDA, nu: cfg.ALS_NU },
    },
    {
      onLoaded: (v, ms) => {
        metrics.versionLoads.inc();
        if (fallbackPath && v.fallback.length > 0) {
          diskFallback = { version: v.version, saved_at: new Date(clock()).toISOString(), items: v.fallback.map((i) => ({ movie_id: v.items[i].movie_id, title: v.items[i].title, genres: v.items[i].genres })) };
          try {
            saveFallbackList(fallbackPath, diskFallback);
          } catch (e) {
            logSome('warn', 'could not save the fallback list', { error: (e as Error).message });
          }
        }
        log('info', 'version loaded', { version: v.version, n_items: v.nItems, k: v.k, ms: Math.round(ms) });
      },
      onError: (what, e) => {
        metrics.errors.inc({ where: `state_${what}` });
        logSome('warn', `state ${what} failed`, { error: (e as Error).message });
      },
    },
  );
  const stats = new ExplorationStats(store, opts.EXPLORATION_FLUSH_MS, (e) => {
    metrics.errors.inc({ where: 'exploration_flush' });
    logSome('warn', 'exploration flush failed', { error: (e as Error).message });
  });
  const writer = new BufferedEventWriter(store, { ...appendOpts, flushMs: opts.IMPRESSION_FLUSH_MS, batch: opts.EVENT_WRITE_BATCH, maxBuffered: opts.EVENT_BUFFER_MAX, concurrency: opts.EVENT_WRITE_CONCURRENCY }, (e) => {
    metrics.errors.inc({ where: 'event_write' });
    logSome('warn', 'event write failed; kept in buffer', { error: (e as Error).message, buffered: writer.buffered });
  });
  const spool = new EventSpool(join(cfg.DATA_DIR, 'spool', cfg.REDIS_PREFIX), { maxBytes: opts.SPOOL_MAX_BYTES, segmentBytes: opts.SPOOL_SEGMENT_BYTES, replayBatch: opts.EVENT_WRITE_BATCH });
  const intake = new EventIntake(
    store,
    spool,
    { ...appendOpts, replayMs: opts.SPOOL_REPLAY_MS, lagPollMs: opts.EVENTS_LAG_POLL_MS, lagReadyMax: opts.EVENTS_LAG_READY_MAX, retryAfterSeconds: opts.SPOOL_RETRY_AFTER_SECONDS },
    (what, e) => {
      metrics.errors.inc({ where: what });
      logSome('warn', `${what} failed`, { error: (e as Error).message, spool_bytes: spool.bytes });
    },
  );

  metrics.addGauge({ name: 'recs_model_info', help: 'The loaded model version (value 1).', read: () => (state.snapshot() ? [{ labels: { version: state.snapshot()!.v.version }, value: 1 }] : []) });
  metrics.addGauge({ name: 'recs_fresh_pool_size', help: 'Fresh titles eligible for exploration.', read: () => [{ labels: {}, value: state.snapshot()?.fresh.length ?? 0 }] });
  metrics.addGauge({ name: 'recs_redis_circuit_open', help: '1 while requests skip Redis after a failure.', read: () => [{ labels: {}, value: store.isDegraded() ? 1 : 0 }] });
  metrics.addGauge({ name: 'recs_events_buffered', help: 'Impressions waiting in memory to be written to the stream.', read: () => [{ labels: {}, value: writer.buffered }] });
  metrics.addGauge({ name: 'recs_events_dropped', help: 'Impressions dropped because the memory buffer was full (since start).', read: () => [{ labels: {}, value: writer.dropped }] });
  metrics.addGauge({ name: 'recs_events_spool_bytes', help: 'Bytes of acknowledged events in the local spool, not yet replayed into the stream.', read: () => [{ labels: {}, value: spool.bytes }] });
  metrics.addGauge({ name: 'recs_events_spool_replayed', help: 'Spooled events replayed into the stream (since start).', read: () => [{ labels: {}, value: spool.replayed }] });
  metrics.addGauge({ name: 'recs_events_spool_fsyncs', help: 'Write + fdatasync rounds of the spool (since start); each commits every batch queued before it began.', read: () => [{ labels: {}, value: spool.rounds }] });
  metrics.addGauge({ name: 'recs_events_spool_corrupt_lines', help: 'Spool lines that were not JSON (a torn, unacknowledged write) and were skipped (since start).', read: () => [{ labels: {}, value: spool.corrupt }] });
  metrics.addGauge({
    name: 'recs_events_stream_lag',
    help: 'Events stream entries the warehouse drain has not acknowledged: state="undelivered" never read, state="pending" read and not yet landed.',
    read: () => (intake.lag ? [{ labels: { state: 'undelivered' }, value: intake.lag.undelivered }, { labels: { state: 'pending' }, value: intake.lag.pending }] : []),
  });

  // ---- services -----------------------------------------------------------------------

  function titleOf(snap: Snapshot, c: Candidate): FeedItem {
    const t = c.itemIndex >= 0 ? snap.v.items[c.itemIndex] : snap.freshById.get(c.movieId);
    return { movie_id: c.movieId, title: t?.title ?? '', genres: t?.genres ?? [], score: roundScore(c.score), reason: c.reason };
  }

  /** Retrieve from the HNSW index by inner product with `vec`, accepted items only. */
  function annSearch(v: VersionState, vec: Float32Array, n: number, accept: (idx: number) => boolean): Candidate[] {
    if (!v.ann) return []; // a version without factors (popularity baseline)
    const count = v.ann.getCurrentCount();
    const kq = Math.min(n, count);
    if (kq <= 0) return [];
    v.ann.setEf(Math.max(opts.HNSW_EF_SEARCH, kq));
    const res = v.ann.searchKnn(Array.from(vec), kq, accept);
    // hnswlib returns worst first for 'ip' distances (1 − x·y) in ascending order; sort by score.
    const out: Candidate[] = res.neighbors.map((idx, i) => ({ movieId: v.items[idx].movie_id, itemIndex: idx, score: 1 - res.distances[i], reason: 'because_you_watched' as const }));
    return out.sort((a, b) => b.score - a.score);
  }

  function fallbackFeed(snap: Snapshot | null, q: HomeFeedQuery, variant: string, limit: number, offset: number): FeedResponse {
    metrics.fallbacks.inc();
    const skip = new Set(q.exclude ?? []);
    const wanted = q.genres?.map((g) => g.toLowerCase()) ?? null;
    if (!snap) {
      // No version in memory: the list saved on disk by the last load (empty only if this API never saw a catalog).
      const list = diskFallback?.items ?? [];
      const items: FeedItem[] = [];
      let rank = 0;
      for (const it of list) {
        if (skip.has(it.movie_id) || (wanted && !it.genres.some((g) => wanted.includes(g.toLowerCase())))) continue;
        if (rank++ < offset) continue;
        items.push({ movie_id: it.movie_id, title: it.title, genres: it.genres, score: roundScore(1 - rank / (list.length + 1)), reason: 'popular' });
        if (items.length >= limit) break;
      }
      return { user_id: q.user_id, model_version: diskFallback?.version ?? null, source: 'fallback', variant, items };
    }
    const items: FeedItem[] = [];
    let rank = 0;
    for (const idx of snap.v.fallback) {
      const it = snap.v.items[idx];
      if (skip.has(it.movie_id) || !genreMatches(it, wanted)) continue;
      if (rank++ < offset) continue;
      items.push(titleOf(snap, { movieId: it.movie_id, itemIndex: idx, score: 1 - rank / (snap.v.fallback.length + 1), reason: 'popular' }));
      if (items.length >= limit) break;
    }
    return { user_id: q.user_id, model_version: snap.v.version, source: 'fallback', variant, items };
  }

  let userVecScratch = new Float32Array(0);

  async function homeFeed(q: HomeFeedQuery): Promise<FeedResponse> {
    const snap = state.snapshot();
    const variant = assigner.assign(q.user_id);
    const limit = q.limit ?? cfg.FEED_DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const need = offset + limit;
    const slots = variant.blend?.explorationSlots ?? cfg.FEED_EXPLORATION_SLOTS;

    let read: FeedRead | null = null;
    if (snap && !store.isDegraded()) {
      try {
        read = await store.readFeed(snap.v.version, q.user_id, snap.v.dataAsOfMs);
      } catch (e) {
        metrics.errors.inc({ where: 'read_feed' });
        logSome('warn', 'feed read failed; serving fallback', { error: (e as Error).message });
      }
    }
    if (!snap || !read) return fallbackFeed(snap, q, variant.name, limit, offset);
    if (read.live && read.live !== snap.v.version) state.kick();

    const v = snap.v;
    // Removed: titles watched after the model's clock, and the caller's exclusions.
    const skip = new Set<string>(q.exclude ?? []);
    for (const id of read.recent.keys()) skip.add(id);
    const wanted = q.genres?.map((g) => g.toLowerCase()) ?? null;
    const accept = (idx: number) => {
      const it = v.items[idx];
      return !skip.has(it.movie_id) && genreMatches(it, wanted);
    };

    let source: Source;
    let base: Candidate[] = [];
    let userVec: Float32Array | null = null;
    let list: { k: number; n: number } | null = null;
    if (read.list) {
      try {
        list = checkEncodedList(read.list);
      } catch (e) {
        metrics.errors.inc({ where: 'decode_list' });
        logSome('warn', 'undecodable user list; treating the user as cold', { error: (e as Error).message });
      }
    }
    if (list && read.list) {
      source = 'personalized';
      if (list.k === v.k) {
        if (userVecScratch.length !== v.k) userVecScratch = new Float32Array(v.k);
        userVec = readListUserVec(read.list, userVecScratch); // used synchronously below, then free again
      }
      base = fromEncodedList(read.list, list.k, list.n, v.items, accept, storedListDepth(session, read.recent, need));
      // A baseline version (k = 0) lists popular titles the user has not seen: say so.
      if (v.k === 0) for (const c of base) c.reason = 'popular';
      // Watches since the model's as-of re-score the head of the list (api/session.ts).
      else if (session && userVec) base = sessionRerank(v, userVec, read.recent, base, { params: session, nowMs: clock(), watchConfidence: cfg.CONF_WATCH_WEIGHT, efSearch: opts.HNSW_EF_SEARCH }).slice(0, need);
    } else {
      const watched: number[] = [];
      for (const id of read.recent.keys()) {
        const idx = v.indexById.get(id);
        if (idx !== undefined) watched.push(idx);
      }
      if (watched.length > 0 && v.k > 0) {
        source = 'fold_in';
        // Every recent watch counts as a full watch: c = CONF_WATCH_WEIGHT (completion is not kept in `recent`).
        const conf = new Float32Array(watched.length).fill(cfg.CONF_WATCH_WEIGHT);
        userVec = foldInUser(v.itemFactors, v.k, v.gramAlpha0, Int32Array.from(watched), conf, v.lambda, v.nu, v.alpha0, v.nItems);
        base = annSearch(v, userVec, need, accept);
      } else {
        source = 'cold_start';
        base = coldStart(v.trending, v.popular, v.items, accept, need, wanted !== null);
      }
    }
    if (base.length < need && source !== 'cold_start') base = backfill(base, coldStart(v.trending, v.popular, v.items, accept, need, wanted !== null), need);

    let blended = base;
    if (slots.length > 0 && snap.fresh.length > 0) {
      const acceptFresh = (t: FreshView) => !skip.has(t.movie_id) && genreMatches(t, wanted);
      // A slot's bar is EXPLORATION_BAR × the displaced score ≥ EXPLORATION_BAR × the lowest score in the list.
      let minScore = Infinity;
      for (const c of base) if (c.score < minScore) minScore = c.score;
      const minValue = userVec !== null && base.length >= need ? Math.max(0, opts.EXPLORATION_BAR * minScore) : 0;
      const explorers = rankExplorers(snap.fresh, userVec, (id) => stats.counts(id), acceptFresh, rng, minValue);
      blended = blendExploration(base, explorers, slots, opts.EXPLORATION_BAR, userVec !== null, need);
    }
    const page = blended.slice(offset, need);
    return { user_id: q.user_id, model_version: v.version, source, variant: variant.name, items: page.map((c) => titleOf(snap, c)) };
  }

  /**
   * One impression slate per served page: the user, the ordered item ids with the page's offset
   * (item i is at position offset + i + 1), the model version, feed source and variant, and a
   * request id (the slate's event_id). The drain expands it into one impression row per item
   * (sql/stg_events_stream.sql). Encoded by hand: ids, version, variant and source are validated
   * to need no escaping. Kept off-heap until written.
   */
  function logImpressions(feed: FeedResponse, offset: number): void {
    if (feed.items.length === 0) return;
    const fresh = state.snapshot()?.freshById;
    let items = '';
    for (let i = 0; i < feed.items.length; i++) {
      const movieId = feed.items[i].movie_id;
      if (fresh?.has(movieId)) stats.recordImpression(movieId);
      items += (i > 0 ? ',"' : '"') + movieId + '"';
    }
    const version = feed.model_version === null ? 'null' : `"${feed.model_version}"`;
    writer.pushText(
      `{"event_id":"imp-${randomUUID()}","user_id":"${feed.user_id}","event_type":"impression","ts":"${new Date(clock()).toISOString()}","surface":"home_feed","feed_source":"${feed.source}","variant":"${feed.variant}","model_version":${version},"offset":${offset},"items":[${items}]}`,
      1,
    );
  }

  async function acceptEvents(body: unknown): Promise<number> {
    const parsed = parseOr400(eventsBody, body, 'body');
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no catalog loaded yet; retry shortly');
    const now = clock();
    const issues: ErrorDetail[] = [];
    parsed.events.forEach((e, i) => {
      if (!snap.v.indexById.has(e.movie_id) && !snap.freshById.has(e.movie_id))
        issues.push({ path: `events.${i}.movie_id`, code: 'unknown_movie', message: `movie ${e.movie_id} is not in the catalog` });
      if (Date.parse(e.ts) > now + opts.EVENTS_MAX_FUTURE_SKEW_MS) issues.push({ path: `events.${i}.ts`, code: 'ts_in_future', message: `ts ${e.ts} is in the future` });
    });
    if (issues.length > 0) throw new HttpError(400, 'invalid_body', issues.slice(0, 3).map((d) => `${d.path}: ${d.message}`).join('; '), issues.slice(0, 50));
    const rows: EventRow[] = parsed.events.map((e) => ({
      event_id: e.event_id ?? deriveEventId({ ...e, source: e.source ?? null }),
      user_id: e.user_id,
      movie_id: e.movie_id,
      event_type: e.event_type,
      ts: e.ts,
      watch_seconds: e.watch_seconds ?? null,
      duration_seconds: e.duration_seconds ?? null,
      rating: e.rating ?? null,
      source: e.source ?? null,
    }));
    const how = await intake.accept(rows);
    metrics.events.inc({ how }, rows.length);
    for (const r of rows) if (r.event_type === 'watch' && snap.freshById.has(r.movie_id)) stats.recordWatch(r.movie_id);
    return rows.length;
  }

  async function addTitle(body: unknown): Promise<string> {
    const t = parseOr400(titleBodySchema, body, 'body');
    const snap = state.snapshot();
    if (snap && (snap.v.indexById.has(t.movie_id) || snap.freshById.has(t.movie_id))) throw new HttpError(409, 'already_exists', `movie ${t.movie_id} is already in the catalog`);
    if (!deps.titleAdder) throw new HttpError(503, 'not_configured', 'adding titles is not configured on this instance');
    const title: Title = { ...t, added_at: t.added_at ?? new Date(clock()).toISOString() };
    try {
      return (await deps.titleAdder.addTitle(title)).workflowId;
    } catch (e) {
      metrics.errors.inc({ where: 'add_title' });
      logSome('error', 'addTitle failed', { error: (e as Error).message });
      throw new HttpError(503, 'unavailable', 'the title workflow could not be started; retry later');
    }
  }

  function similar(id: string, limit: number): { movie_id: string; model_version: string; items: FeedItem[] } {
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no model version loaded yet');
    const v = snap.v;
    const idx = v.indexById.get(id);
    const fresh = snap.freshById.get(id);
    if (idx === undefined && !fresh) throw new HttpError(404, 'unknown_movie', `movie ${id} is not in the catalog`);
    const vec = idx !== undefined ? v.itemFactors.subarray(idx * v.k, (idx + 1) * v.k) : fresh!.vector;
    let cands: Candidate[];
    if (vec) cands = annSearch(v, vec, limit, (j) => j !== idx && v.items[j].movie_id !== id);
    else {
      // A fresh title without a vector: trending titles of its genres stand in.
      const wanted = fresh!.genresLower;
      cands = coldStart(v.trending, v.popular, v.items, (j) => genreMatches(v.items[j], wanted), limit, true);
    }
    return { movie_id: id, model_version: v.version, items: cands.slice(0, limit).map((c) => titleOf(snap, c)) };
  }

  // ---- routes ---------------------------------------------------------------------------

  const app = express() as ApiApp;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    const reqId = requestId(req, res);
    res.locals.requestId = reqId;
    res.on('finish', () => {
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      const seconds = (performance.now() - t0) / 1000;
      metrics.requestSeconds.observe({ route, method: req.method, status: String(res.statusCode), source: (res.locals.source as string | undefined) ?? '' }, seconds);
      logger.debug({ req_id: reqId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  });
  const route = (name: string) => (_req: Request, res: Response, next: NextFunction) => {
    res.locals.route = name;
    next();
  };
  const jsonBody = express.json({ limit: opts.EVENTS_BODY_LIMIT_BYTES, strict: true });

  async function serveFeed(q: HomeFeedQuery, res: ServerResponse): Promise<Source> {
    const feed = await homeFeed(q);
    metrics.feedItems.inc({ source: feed.source }, feed.items.length);
    sendJson(res, 200, feed);
    logImpressions(feed, q.offset ?? 0);
    return feed.source;
  }

  app.get('/home-feed', route('/home-feed'), async (req, res) => {
    res.locals.source = await serveFeed(parseOr400(feedQuery, req.query, 'query'), res);
  });

  app.get('/movies/:id/similar', route('/movies/:id/similar'), (req, res) => {
    const id = parseOr400(movieIdSchema, req.params.id, 'path');
    const q = parseOr400(similarQuerySchema, req.query, 'query');
    res.json(similar(id, q.limit ?? cfg.FEED_DEFAULT_LIMIT));
  });

  app.post('/events', route('/events'), jsonBody, async (req, res) => {
    parseOr400(emptyQuerySchema, req.query, 'query');
    res.status(202).json({ accepted: await acceptEvents(req.body) });
  });

  app.post('/titles', route('/titles'), (req, _res, next) => {
    auth.checkBearer(req); // before the body is parsed: no work for callers without the token
    next();
  }, jsonBody, async (req, res) => {
    parseOr400(emptyQuerySchema, req.query, 'query');
    res.status(202).json({ workflow_id: await addTitle(req.body) });
  });

  app.get('/healthz', route('/healthz'), async (_req, res) => {
    res.json({ status: 'ok', redis: (await store.ping()) ? 'up' : 'down', model_version: state.snapshot()?.v.version ?? null });
  });

  app.get('/readyz', route('/readyz'), (_req, res) => {
    const snap = state.snapshot();
    if (!snap) {
      res.status(503).json({ ready: false, reason: 'no_model' });
      return;
    }
    const lag = intake.lag;
    const body = { model_version: snap.v.version, n_items: snap.v.nItems, fresh: snap.fresh.length, events_lag: lag, spool_bytes: spool.bytes };
    if (intake.lagExceeded()) {
      res.status(503).json({ ready: false, reason: 'events_lag', events_lag_max: opts.EVENTS_LAG_READY_MAX, ...body });
      return;
    }
    res.json({ ready: true, ...body });
  });

  app.get('/metrics', route('/metrics'), async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.render());
  });

  const doc = openApiDocument({ feedQuery, eventsBody });
  app.get('/openapi.json', route('/openapi.json'), (_req, res) => {
    res.json(doc);
  });
  app.use('/docs', route('/docs'), docsRouter());

  app.use('/dashboard', route('/dashboard'), dashboardRouter({ cfg, state, feed: homeFeed, similar, auth }));

  app.use((req: Request) => {
    throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
  });

  // The one error middleware.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (isBodyParserError(err)) {
      if (err.type === 'entity.too.large') e = new HttpError(413, 'payload_too_large', `body larger than ${opts.EVENTS_BODY_LIMIT_BYTES} bytes`);
      else if (err.type === 'entity.parse.failed') e = new HttpError(400, 'invalid_json', 'body is not valid JSON');
      else e = new HttpError(err.status >= 400 && err.status < 500 ? err.status : 400, 'bad_request', err.message);
    } else {
      metrics.errors.inc({ where: 'unhandled' });
      log('error', 'unhandled error', { path: req.path, req_id: res.locals.requestId, error: (err as Error)?.stack ?? String(err) });
      e = new HttpError(500, 'internal', 'internal error');
    }
    if (res.headersSent) return;
    if (e.status === 401) res.set('WWW-Authenticate', 'Bearer');
    if (e.status === 503) res.set('Retry-After', String(e.retryAfterSeconds ?? 1));
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } });
  });

  const FEED_PATH = '/home-feed?';
  const feedTimers = new Map<Source, (seconds: number) => void>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url.startsWith(FEED_PATH)) {
      const q = feedQuery.safeParse(parseQueryString(url.slice(FEED_PATH.length)));
      if (q.success) {
        const t0 = performance.now();
        const reqId = requestId(req, res);
        serveFeed(q.data, res).then(
          (source) => {
            let observe = feedTimers.get(source);
            if (!observe) feedTimers.set(source, (observe = metrics.requestSeconds.handle({ route: '/home-feed', method: 'GET', status: '200', source })));
            observe((performance.now() - t0) / 1000);
          },
          (e: unknown) => {
            metrics.errors.inc({ where: 'unhandled' });
            log('error', 'unhandled error', { path: '/home-feed', req_id: reqId, error: (e as Error)?.stack ?? String(e) });
            if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error', details: [] } });
          },
        );
        return;
      }
    }
    app(req, res);
  };

  Object.defineProperty(app, 'handler', { value: handler });
  Object.defineProperty(app, 'state', { value: state });
  Object.defineProperty(app, 'metrics', { value: metrics });
  app.start = async () => {
    stats.start();
    await state.start();
    await intake.start();
    void stats.flush();
  };
  app.flush = async () => {
    await writer.flush();
    await intake.replay().catch(() => 0); // failures are counted and logged by the intake's timer path too
    await stats.flush();
  };
  app.close = async () => {
    await state.stop();
    await stats.stop();
    await writer.close();
    await intake.close();
  };
  return app;
}

/** res.json without Express's send() machinery (freshness, ETag, charset juggling): the hot path. */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

function isBodyParserError(err: unknown): err is { type: string; status: number; message: string } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && typeof (err as { status?: unknown }).status === 'number';
}
