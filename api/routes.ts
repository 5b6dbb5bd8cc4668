// Every route of the API, registered in one place. A route handler is thin: parse the request
// (zod schemas of api/schemas.ts, 400 with a code on bad input) → call a service → respond. It
// renders no error: it throws HttpError and api/respond.ts renders every failure, here and on
// the read fast path (/home-feed, /home-rows, /up-next) alike.
//
// Routes are grouped by concern, one RouteModule each, listed in ROUTES in the order Express tries
// them. To add a surface (GET /home-rows, GET /up-next, …): write
//   export const rowsRoutes: RouteModule = (r, ctx) => { r.get('/home-rows', named('/home-rows'), handler); };
// in its own file (its service beside it, over ctx's state/store/feed), add it to ROUTES, and
// document the path in api/openapi.ts (a test checks that every registered route is documented).
// Modules register on the app itself (not a sub-router) so that test sees every route; `named`
// labels the request for /metrics and the request log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { ZodType } from 'zod';
import express, { type IRouter, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config';
import type { OperatorAuth } from './auth';
import { dashboardRouter } from './dashboard';
import type { EventsService } from './events-service';
import type { Source } from './feed';
import type { FeedService } from './feed-service';
import type { ApiMetrics } from './metrics';
import { docsRouter, openApiDocument, type DocumentedSchemas } from './openapi';
import { requestId } from './request-id';
import { named } from './route-name';
import { encodeFeedPage } from './feed-json';
import { errorMiddleware, sendJsonBytes, type ErrorRenderer } from './respond';
import { mountRowsRoutes, rowsEndpoints, rowsService, type RowsRoutesDeps } from './rows-routes';
import { emptyQuerySchema, homeRowsQuerySchema, HttpError, movieIdSchema, parseOr400, similarQuerySchema, upNextQuerySchema, type ApiOptions, type HomeFeedQuery, type HomeRowsQuery, type UpNextQuery } from './schemas';
import type { ServingState } from './state';
import type { FeedStore } from './store';
import type { TitlesService } from './titles-service';

/** What route modules may use: the services, the serving state and the app's shared parts. */
export interface RouteContext {
  cfg: Config;
  opts: ApiOptions;
  /** The request schemas built from the options (also the OpenAPI document's). */
  schemas: DocumentedSchemas;
  state: ServingState;
  store: FeedStore;
  metrics: ApiMetrics;
  auth: OperatorAuth;
  feed: FeedService;
  events: EventsService;
  titles: TitlesService;
  renderError: ErrorRenderer;
  /** What GET /home-rows and GET /up-next read and write (api/rows-routes.ts). */
  rows: RowsRoutesDeps;
}

/** Registers one concern's routes on the app. */
export type RouteModule = (r: IRouter, ctx: RouteContext) => void;

export { named } from './route-name';

/** A JSON body parser with the API's body limit (over it: 413 payload_too_large). */
export const jsonBody = (ctx: RouteContext): RequestHandler => express.json({ limit: ctx.opts.EVENTS_BODY_LIMIT_BYTES, strict: true });

/** Write a feed, count its items, log its impressions: the Express route and the fast path alike. */
async function serveFeed(ctx: RouteContext, q: HomeFeedQuery, res: ServerResponse): Promise<Source> {
  const feed = await ctx.feed.homeFeedPage(q);
  ctx.metrics.feedItems.inc({ source: feed.source }, feed.items.length);
  sendJsonBytes(res, 200, encodeFeedPage(feed));
  ctx.feed.logImpressions(feed, q.offset ?? 0);
  return feed.source;
}

export const feedRoutes: RouteModule = (r, ctx) => {
  r.get('/home-feed', named('/home-feed'), async (req, res) => {
    res.locals.source = await serveFeed(ctx, parseOr400(ctx.schemas.feedQuery, req.query, 'query'), res);
  });
  r.get('/movies/:id/similar', named('/movies/:id/similar'), (req, res) => {
    const id = parseOr400(movieIdSchema, req.params.id, 'path');
    const q = parseOr400(similarQuerySchema, req.query, 'query');
    res.json(ctx.feed.similar(id, q.limit ?? ctx.cfg.FEED_DEFAULT_LIMIT));
  });
};

export const eventsRoutes: RouteModule = (r, ctx) => {
  r.post('/events', named('/events'), jsonBody(ctx), async (req, res) => {
    parseOr400(emptyQuerySchema, req.query, 'query');
    res.status(202).json({ accepted: await ctx.events.accept(req.body) });
  });
};

export const titlesRoutes: RouteModule = (r, ctx) => {
  const bearer = (req: Request, _res: Response, next: NextFunction) => {
    ctx.auth.checkBearer(req); // before the body is parsed: no work for callers without the token
    next();
  };
  r.post('/titles', named('/titles'), bearer, jsonBody(ctx), async (req, res) => {
    parseOr400(emptyQuerySchema, req.query, 'query');
    res.status(202).json({ workflow_id: await ctx.titles.add(req.body) });
  });
};

/** Liveness, readiness and the Prometheus scrape. */
export const operationsRoutes: RouteModule = (r, ctx) => {
  r.get('/healthz', named('/healthz'), async (_req, res) => {
    res.json({ status: 'ok', redis: (await ctx.store.ping()) ? 'up' : 'down', model_version: ctx.state.snapshot()?.v.version ?? null });
  });
  r.get('/readyz', named('/readyz'), (_req, res) => {
    const snap = ctx.state.snapshot();
    if (!snap) {
      res.status(503).json({ ready: false, reason: 'no_model' });
      return;
    }
    const ev = ctx.events.readiness();
    const body = { model_version: snap.v.version, n_items: snap.v.nItems, fresh: snap.fresh.length, events_lag: ev.lag, spool_bytes: ev.spoolBytes };
    if (ev.lagExceeded) {
      res.status(503).json({ ready: false, reason: 'events_lag', events_lag_max: ctx.opts.EVENTS_LAG_READY_MAX, ...body });
      return;
    }
    res.json({ ready: true, ...body });
  });
  r.get('/metrics', named('/metrics'), async (_req, res) => {
    res.type(ctx.metrics.contentType).send(await ctx.metrics.render());
  });
};

/** The OpenAPI document and Swagger UI over it. */
export const docsRoutes: RouteModule = (r, ctx) => {
  const doc = openApiDocument(ctx.schemas);
  r.get('/openapi.json', named('/openapi.json'), (_req, res) => {
    res.json(doc);
  });
  r.use('/docs', named('/docs'), docsRouter());
};

/** GET /home-rows (a screen of rows) and GET /up-next (post-play): api/rows-routes.ts. */
export const rowsRoutes: RouteModule = (r, ctx) => mountRowsRoutes(r, ctx.rows);

/** The operators' dashboard (token or session; api/dashboard.ts). */
export const dashboardRoutes: RouteModule = (r, ctx) => {
  const rows = rowsService(ctx.rows);
  r.use('/dashboard', named('/dashboard'), dashboardRouter({
    cfg: ctx.cfg,
    state: ctx.state,
    feed: (q) => ctx.feed.homeFeed(q),
    similar: (id, limit) => ctx.feed.similar(id, limit),
    homeRows: (userId, perRow) => rows.homeRows(userId, ctx.opts.ROWS_DEFAULT, perRow),
    upNext: (userId, movieId, limit) => rows.upNext(userId, movieId, limit),
    auth: ctx.auth,
  }));
};

/** Every route module, in the order Express tries them. */
export const ROUTES: readonly RouteModule[] = [feedRoutes, rowsRoutes, eventsRoutes, titlesRoutes, operationsRoutes, docsRoutes, dashboardRoutes];

/** Register ROUTES, then the 404 for anything else, then the one error middleware. */
export function mountRoutes(app: IRouter, ctx: RouteContext): void {
  for (const register of ROUTES) register(app, ctx);
  app.use((req: Request) => {
    throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
  });
  app.use(errorMiddleware(ctx.renderError));
}

/**
 * Valid `GET /home-feed`, `GET /home-rows` and `GET /up-next` requests without the Express router
 * (whose per-request CPU is a visible share of these surfaces' budgets). Returns false, having
 * written nothing, for any other request and for one that fails validation: Express answers those
 * (with the same 400 as ever). Request duration is observed as the Express path does.
 */
export function readFastPath(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  const rows = rowsEndpoints(ctx.rows);
  const surfaces: ReadonlyArray<{ prefix: string; route: string; schema: ZodType; serve: (q: never, res: ServerResponse) => Promise<string> }> = [
    { prefix: '/home-feed?', route: '/home-feed', schema: ctx.schemas.feedQuery, serve: (q: HomeFeedQuery, res) => serveFeed(ctx, q, res) },
    { prefix: '/home-rows?', route: '/home-rows', schema: homeRowsQuerySchema, serve: (q: HomeRowsQuery, res) => rows.homeRows(q, res) },
    { prefix: '/up-next?', route: '/up-next', schema: upNextQuerySchema, serve: (q: UpNextQuery, res) => rows.upNext(q, res) },
  ];
  const timers = new Map<string, (seconds: number) => void>();
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET') return false;
    const s = surfaces.find((x) => url.startsWith(x.prefix));
    if (!s) return false;
    const q = s.schema.safeParse(parseQueryString(url.slice(s.prefix.length)));
    if (!q.success) return false;
    const t0 = performance.now();
    const reqId = requestId(req, res);
    s.serve(q.data as never, res).then(
      (source) => {
        const key = `${s.route} ${source}`;
        let observe = timers.get(key);
        if (!observe) timers.set(key, (observe = ctx.metrics.requestSeconds.handle({ route: s.route, method: 'GET', status: '200', source })));
        observe((performance.now() - t0) / 1000);
      },
      (e: unknown) => ctx.renderError(e, res, { path: s.route, reqId }),
    );
    return true;
  };
}
