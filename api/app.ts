// createApp(deps) → the Express app: the composition root of the API. It builds the shared parts
// (serving state, exploration counts, the disk fallback, metrics), the services that say what a
// request means — feed (api/feed-service.ts), events (api/events-service.ts), titles
// (api/titles-service.ts) — and hands them to the routes (api/routes.ts: one list of route
// modules, thin handlers). One error renderer (api/respond.ts) answers every failure, on the
// Express path and on the read fast path (/home-feed, /home-rows, /up-next) alike. The feed degrades instead of failing:
// no Redis → the in-memory popular list, source "fallback".
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config';
import { createLogger, type Logger as PinoLogger } from '../observability/log';
import { parseVariants, VariantAssigner } from './ab';
import { operatorAuth } from './auth';
import { EventsService } from './events-service';
import { ExplorationStats, type Rng } from './exploration';
import { DiskFallback } from './fallback-file';
import type { FeedResponse } from './feed-response';
import { FeedService } from './feed-service';
import { pinoLog, rateLimited, type Logger } from './logging';
import { ApiMetrics } from './metrics';
import { requestId } from './request-id';
import { prepareRowsVersion } from './rows';
import type { RowsRoutesDeps } from './rows-routes';
import { errorRenderer } from './respond';
import { mountRoutes, readFastPath, type RouteContext } from './routes';
import { apiOptions, eventsBodySchema, homeFeedQuerySchema, type ApiOptions } from './schemas';
import { sessionParams } from './session';
import { ServingState, yieldToLoop } from './state';
import type { FeedStore } from './store';
import { TitlesService, type TitleAdder } from './titles-service';
import { prepareFranchise } from './up-next';

export type { FeedResponse, Logger, TitleAdder };
export { pinoLog };

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

/** The Express app plus its lifecycle: start() loads state and starts timers; close() flushes. */
export type ApiApp = Express & {
  /**
   * Request listener for http.createServer: a valid `GET /home-feed`, `/home-rows` or `/up-next`
   * is served without the Express router (whose per-request CPU is a visible share of their
   * budgets); every other request, and every one of those that fails validation, goes through
   * the Express app.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  start(): Promise<void>;
  close(): Promise<void>;
  readonly state: ServingState;
  readonly metrics: ApiMetrics;
  /** Flush buffered impressions/events and exploration counts now (tests, shutdown). */
  flush(): Promise<void>;
};

export function createApp(deps: AppDeps): ApiApp {
  const { cfg, store } = deps;
  const opts = apiOptions(cfg, deps.options);
  const clock = deps.clock ?? Date.now;
  const logger = deps.logger ?? createLogger({ name: 'api', level: cfg.LOG_LEVEL });
  const log = deps.log ?? pinoLog(logger);
  const logSome = rateLimited(log, 5000);
  const metrics = new ApiMetrics();
  const schemas = { feedQuery: homeFeedQuerySchema(opts.FEED_MAX_OFFSET), eventsBody: eventsBodySchema(opts.EVENTS_MAX_BATCH) };

  // ---- shared parts -----------------------------------------------------------------------

  // Before any version loads (Redis down at start, nothing live yet): the last version's popular head.
  const diskFallback = new DiskFallback(deps.fallbackFile === undefined ? join(cfg.DATA_DIR, 'api', 'fallback.json') : deps.fallbackFile, clock, (e) =>
    logSome('warn', 'could not save the fallback list', { error: (e as Error).message }),
  );
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
      onLoaded: async (v, ms) => {
        // The rows' and up-next's per-version tables, built here rather than by the first request
        // after a publish; the franchise index (two regexes per title) in slices, between requests.
        prepareRowsVersion(v);
        await prepareFranchise(v, yieldToLoop);
        metrics.versionLoads.inc();
        diskFallback.remember(v);
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
  metrics.addGauge({ name: 'recs_model_info', help: 'The loaded model version (value 1).', read: () => (state.snapshot() ? [{ labels: { version: state.snapshot()!.v.version }, value: 1 }] : []) });
  metrics.addGauge({ name: 'recs_fresh_pool_size', help: 'Fresh titles eligible for exploration.', read: () => [{ labels: {}, value: state.snapshot()?.fresh.length ?? 0 }] });
  metrics.addGauge({ name: 'recs_redis_circuit_open', help: '1 while requests skip Redis after a failure.', read: () => [{ labels: {}, value: store.isDegraded() ? 1 : 0 }] });

  // ---- services ---------------------------------------------------------------------------

  const assigner = new VariantAssigner(parseVariants(opts.AB_VARIANTS, opts.AB_BUCKETS), opts.AB_SALT, opts.AB_BUCKETS);
  const events = new EventsService({ cfg, opts, eventsBody: schemas.eventsBody, store, state, stats, metrics, clock, logSome });
  const feed = new FeedService({
    cfg,
    opts,
    store,
    state,
    stats,
    impressions: events.impressions,
    diskFallback,
    assigner,
    metrics,
    rng: deps.rng ?? Math.random,
    clock,
    logSome,
    session: sessionParams(cfg), // null: SESSION_ENABLED is off
  });
  const titles = new TitlesService({ state, titleAdder: deps.titleAdder, metrics, clock, logSome });

  // ---- routes -----------------------------------------------------------------------------

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

  const rows: RowsRoutesDeps = {
    cfg,
    opts,
    state,
    store,
    rng: deps.rng ?? Math.random,
    clock,
    variant: (u) => assigner.assign(u),
    counts: (id) => stats.counts(id),
    recordImpression: (id) => stats.recordImpression(id),
    slates: events.impressions,
    onError: (where, e) => {
      metrics.errors.inc({ where });
      logSome('warn', `${where} failed`, { error: (e as Error).message });
    },
  };
  const ctx: RouteContext = {
    cfg,
    opts,
    schemas,
    state,
    store,
    metrics,
    auth: operatorAuth(cfg.ADMIN_TOKEN, opts.DASHBOARD_SESSION_SECONDS, clock),
    feed,
    events,
    titles,
    renderError: errorRenderer({ bodyLimitBytes: opts.EVENTS_BODY_LIMIT_BYTES, metrics, log }),
    rows,
  };
  mountRoutes(app, ctx);
  const fast = readFastPath(ctx);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!fast(req, res)) app(req, res);
  };

  // ---- lifecycle --------------------------------------------------------------------------

  Object.defineProperty(app, 'handler', { value: handler });
  Object.defineProperty(app, 'state', { value: state });
  Object.defineProperty(app, 'metrics', { value: metrics });
  app.start = async () => {
    stats.start();
    await state.start();
    await events.start();
    void stats.flush();
  };
  app.flush = async () => {
    await events.flush();
    await stats.flush();
  };
  app.close = async () => {
    await state.stop();
    await stats.stop();
    await events.close();
  };
  return app;
}
