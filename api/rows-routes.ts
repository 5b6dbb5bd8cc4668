// GET /home-rows and GET /up-next: the services (read the user in one Redis round trip, pick the
// user vector, call the plain functions of api/rows.ts and api/up-next.ts) and their thin routes.
// api/routes.ts registers them (rowsRoutes) on the app itself, so its route table lists them;
// createApp hands over what it owns (state, store, exploration counts, the impression writer,
// the A/B assigner) as RowsRoutesDeps; nothing here holds state of its own.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { IRouter } from 'express';
import type { Config } from '../config';
import type { Counts, Rng } from './exploration';
import { blendExploration, checkEncodedList, encodedListIndices, fromEncodedList, rankExplorers, readListUserVec, type Candidate, type FreshView } from './feed';
import { pushSlate, type SlateSink } from './feed-json';
import { annNeighbours, titleNeighbours } from './neighbours';
import { nearestAmong, planRows, rowOf, type Row, type RowsSource } from './rows';
import { encodeRowsPage, encodeUpNextPage, slateAfter, slateHead, type RowsPage, type UpNextPage } from './rows-json';
import { sendJsonBytes } from './respond';
import { named } from './route-name';
import { homeRowsQuerySchema, HttpError, parseOr400, upNextQuerySchema, type ApiOptions, type HomeRowsQuery, type UpNextQuery } from './schemas';
import { foldInWatches, type ServingState, type Snapshot, type VersionState } from './state';
import type { FeedRead, FeedStore } from './store';
import { planUpNext, upNextResponse, type UpNextResponse } from './up-next';

export interface RowsRoutesDeps {
  cfg: Config;
  opts: ApiOptions;
  state: ServingState;
  store: FeedStore;
  rng: Rng;
  clock: () => number;
  /** The user's A/B variant and its exploration slots (the home feed's). */
  variant: (userId: string) => { name: string; blend?: { explorationSlots?: number[] } };
  /** Exploration counts of a fresh title, and recording that one was shown. */
  counts: (movieId: string) => Counts;
  recordImpression: (movieId: string) => void;
  /** Where impression slates go (the impressions writer). */
  slates: SlateSink;
  onError: (where: string, e: unknown) => void;
}

export interface RowsResponse {
  user_id: string;
  model_version: string;
  source: RowsSource;
  variant: string;
  rows: Row[];
}

/** The user as the API knows them: stored list entries, vector, and watches (newest first). */
interface UserView {
  /** The head of the stored list (seen titles removed), as candidates: `head` of them. */
  list: Candidate[] | null;
  /** Every unseen entry of the stored list, as item indices in list order. */
  listIdx: number[] | null;
  /** Catalog indices of the watches. */
  seenIdx: Set<number>;
  userVec: Float32Array | null;
  vecSource: 'personalized' | 'fold_in';
  watched: string[];
  source: RowsSource | null;
}

// The titles of the list being served, marked in a per-process array: marks[idx] === mark.
let marks = new Uint32Array(0);
let mark = 0;

/**
 * Membership of a stored list (item indices < nItems) without building a Set of its ~500
 * entries per request. The next call invalidates the answer, so it may only be used before the
 * next await; planUpNext uses it synchronously.
 */
function markListed(nItems: number, listIdx: readonly number[]): (idx: number) => boolean {
  if (marks.length < nItems || mark === 0xffff_ffff) {
    marks = new Uint32Array(Math.max(nItems, marks.length));
    mark = 0;
  }
  const m = ++mark;
  const at = marks;
  for (const idx of listIdx) if (idx < nItems) at[idx] = m;
  return (idx) => idx < nItems && at[idx] === m;
}

/** The two services, unlogged: the routes below log what they serve; the dashboard logs nothing. */
export interface RowsService {
  homeRows(userId: string, rows: number, perRow: number): Promise<RowsResponse>;
  upNext(userId: string, movieId: string, limit: number): Promise<UpNextResponse>;
}

/** The services' answers before they are objects (api/rows-json.ts writes them as bytes), with the snapshot they came from. */
interface RowsPlanner {
  planHome(userId: string, rows: number, perRow: number): Promise<{ page: RowsPage; snap: Snapshot }>;
  planUpNext(userId: string, movieId: string, limit: number): Promise<{ page: UpNextPage; snap: Snapshot }>;
}

export function rowsService(d: RowsRoutesDeps): RowsService {
  const { planHome, planUpNext: planUp } = rowsPlanner(d);
  return {
    async homeRows(userId, rows, perRow) {
      const { page, snap } = await planHome(userId, rows, perRow);
      const fresh = (id: string) => snap.freshById.get(id);
      return { user_id: page.user_id, model_version: page.model_version, source: page.source, variant: page.variant, rows: page.rows.map((r) => rowOf(r, snap.v, fresh)) };
    },
    async upNext(userId, movieId, limit) {
      const { page, snap } = await planUp(userId, movieId, limit);
      return upNextResponse(snap.v, userId, movieId, page.plan);
    },
  };
}

function rowsPlanner(d: RowsRoutesDeps): RowsPlanner {
  const { cfg, opts, state, store } = d;

  /** Item indices nearest to `vec` by inner product (HNSW), accepted ones only, nearest first. */
  const neighbours = (v: VersionState, vec: Float32Array, n: number, accept: (idx: number) => boolean): number[] => (v.ann ? annNeighbours(v.ann, opts.HNSW_EF_SEARCH, vec, n, accept) : []);
  /** The same for catalog title `idx`: searched once per version, then cached (api/neighbours.ts). */
  const similar = (v: VersionState, idx: number, n: number, accept: (idx: number) => boolean): number[] => (v.ann ? titleNeighbours(v.ann, opts.HNSW_EF_SEARCH, v.itemFactors, v.k, idx, n, accept) : []);

  /** One Redis round trip; the stored list is read in place, as indices, plus `head` candidates. */
  async function readUser(snap: Snapshot, userId: string, head: number): Promise<UserView> {
    const v = snap.v;
    let read: FeedRead | null = null;
    if (!store.isDegraded()) {
      try {
        read = await store.readFeed(v.version, userId, 0); // every recent watch: anchors, and never re-offered
      } catch (e) {
        d.onError('read_feed', e);
      }
    }
    if (!read) return { list: null, listIdx: null, seenIdx: new Set(), userVec: null, vecSource: 'personalized', watched: [], source: 'fallback' };
    if (read.live && read.live !== v.version) state.kick();
    const watched = [...read.recent.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    const seenIdx = new Set<number>();
    for (const id of watched) {
      const idx = v.indexById.get(id);
      if (idx !== undefined) seenIdx.add(idx);
    }
    const unseen = (idx: number) => !seenIdx.has(idx);
    if (read.list) {
      try {
        const { k, n } = checkEncodedList(read.list);
        const list = fromEncodedList(read.list, k, n, v.ids, unseen, head);
        if (v.k === 0) for (const c of list) c.reason = 'popular';
        const listIdx = encodedListIndices(read.list, v.items.length, unseen);
        const userVec = k === v.k && k > 0 ? readListUserVec(read.list, new Float32Array(k)) : null;
        return { list, listIdx, seenIdx, userVec, vecSource: 'personalized', watched, source: null };
      } catch (e) {
        d.onError('decode_list', e);
      }
    }
    const idxs = [...seenIdx];
    let userVec: Float32Array | null = null;
    if (idxs.length > 0 && v.k > 0) {
      userVec = foldInWatches(v, idxs, cfg.CONF_WATCH_WEIGHT);
    }
    return { list: null, listIdx: null, seenIdx, userVec, vecSource: 'fold_in', watched, source: null };
  }

  async function planHome(userId: string, rows: number, perRow: number): Promise<{ page: RowsPage; snap: Snapshot }> {
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no model version loaded yet');
    const v = snap.v;
    const u = await readUser(snap, userId, 2 * perRow); // the top picks' candidates
    const variant = d.variant(userId);
    const slots = (variant.blend?.explorationSlots ?? cfg.FEED_EXPLORATION_SLOTS).filter((p) => p <= perRow);
    const explore = (base: Candidate[], userVec: Float32Array | null, skip: ReadonlySet<string>): Candidate[] => {
      if (slots.length === 0 || snap.fresh.length === 0) return base;
      let minScore = Infinity;
      for (const c of base) if (c.score < minScore) minScore = c.score;
      const minValue = userVec !== null && base.length >= perRow ? Math.max(0, opts.EXPLORATION_BAR * minScore) : 0;
      const explorers = rankExplorers(snap.fresh, userVec, d.counts, (t: FreshView) => !skip.has(t.movie_id), d.rng, minValue);
      return blendExploration(base, explorers, slots, opts.EXPLORATION_BAR, userVec !== null, Math.max(perRow, base.length));
    };
    const built = planRows(
      v,
      { list: u.list, listIdx: u.listIdx ?? undefined, userVec: u.userVec, watched: u.watched },
      { rows, perRow, becauseMax: opts.ROWS_BECAUSE_MAX, genreMax: opts.ROWS_GENRE_MAX, minItems: opts.ROWS_MIN_ITEMS, nNeighbours: opts.ROWS_NEIGHBOURS },
      { neighbours: (vec, n, accept) => neighbours(v, vec, n, accept), similar: (idx, n, accept) => similar(v, idx, n, accept), explore, fresh: (id) => snap.freshById.get(id) },
    );
    return { page: { user_id: userId, model_version: v.version, source: u.source ?? built.source, variant: variant.name, rows: built.rows }, snap };
  }

  async function planUpNextOf(userId: string, movieId: string, limit: number): Promise<{ page: UpNextPage; snap: Snapshot }> {
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no model version loaded yet');
    const v = snap.v;
    const u = await readUser(snap, userId, 0);
    const finished = v.indexById.get(movieId);
    const notWatched = (idx: number) => idx !== finished && !u.seenIdx.has(idx);
    const listed = u.listIdx ? markListed(v.items.length, u.listIdx) : null;
    const accept = listed ? (idx: number) => listed(idx) && notWatched(idx) : notWatched;
    // As the rows do: with a stored list only its titles qualify, so the list's titles nearest
    // the finished one are found exactly (≤ N dot products; an HNSW search would mostly return
    // titles outside the list). Without one, the finished title's neighbours (HNSW, cached per
    // title) with the filter "not watched", then `ok`.
    const listIdx = u.listIdx;
    const noSkip = new Set<number>();
    const near = (vec: Float32Array, n: number, ok: (idx: number) => boolean): number[] => {
      if (listIdx) return nearestAmong(vec, v.itemFactors, v.k, listIdx, ok, noSkip, n);
      return (finished !== undefined ? similar(v, finished, n, notWatched) : neighbours(v, vec, n, notWatched)).filter(ok);
    };
    const plan = planUpNext(
      v,
      snap.freshById.get(movieId),
      movieId,
      { userId, userVec: u.userVec, vecSource: u.vecSource, accept, notWatched },
      { limit, nNeighbours: opts.UP_NEXT_NEIGHBOURS, itemWeight: opts.UP_NEXT_ITEM_WEIGHT, franchise: opts.UP_NEXT_FRANCHISE === 1 },
      near,
    );
    return { page: { user_id: userId, movie_id: movieId, model_version: v.version, plan }, snap };
  }

  return { planHome, planUpNext: planUpNextOf };
}

/** Serve one parsed request: write the response, log its impression slates, return the source. */
export interface RowsEndpoints {
  homeRows(q: HomeRowsQuery, res: ServerResponse): Promise<string>;
  upNext(q: UpNextQuery, res: ServerResponse): Promise<string>;
}

/** The two endpoints over the planner: what the Express routes and the router-free fast path call. */
export function rowsEndpoints(d: RowsRoutesDeps): RowsEndpoints {
  const { opts } = d;
  const { planHome, planUpNext } = rowsPlanner(d);

  /** One impression slate per row; surface `home_rows.<row>.<kind>` (the drain's source prefix). */
  function logRows(p: RowsPage, snap: Snapshot): void {
    const ts = new Date(d.clock()).toISOString();
    const fresh = snap.freshById;
    const heads = snap.v.heads;
    for (let i = 0; i < p.rows.length; i++) {
      const row = p.rows[i];
      if (row.items.length === 0) continue;
      for (const c of row.items) if (fresh.has(c.movieId)) d.recordImpression(c.movieId);
      const slate = { event_id: `imp-${randomUUID()}`, user_id: p.user_id, ts, surface: `home_rows.${i + 1}.${row.kind}`, feed_source: p.source, variant: p.variant, model_version: p.model_version };
      pushSlate(d.slates, slateHead(slate), row.items.length, (j) => row.items[j].itemIndex, (j) => row.items[j].movieId, heads, slateAfter(row.because_of ? row.because_of : undefined));
    }
  }

  function logUpNext(p: UpNextPage, snap: Snapshot): void {
    const picks = p.plan.picks;
    if (picks.length === 0) return;
    const slate = { event_id: `imp-${randomUUID()}`, user_id: p.user_id, ts: new Date(d.clock()).toISOString(), surface: 'up_next', feed_source: p.plan.source, variant: d.variant(p.user_id).name, model_version: p.model_version };
    pushSlate(d.slates, slateHead(slate), picks.length, (j) => picks[j].itemIndex, (j) => snap.v.items[picks[j].itemIndex].movie_id, snap.v.heads, slateAfter(p.movie_id));
  }

  return {
    async homeRows(q, res) {
      const { page, snap } = await planHome(q.user_id, q.rows ?? opts.ROWS_DEFAULT, q.per_row ?? opts.ROWS_PER_ROW_DEFAULT);
      sendJsonBytes(res, 200, encodeRowsPage(page, { items: snap.v.items, heads: snap.v.heads, fresh: (id) => snap.freshById.get(id) }));
      logRows(page, snap);
      return page.source;
    },
    async upNext(q, res) {
      const { page, snap } = await planUpNext(q.user_id, q.movie_id, q.limit ?? opts.UP_NEXT_DEFAULT_LIMIT);
      sendJsonBytes(res, 200, encodeUpNextPage(page, snap.v));
      logUpNext(page, snap);
      return page.plan.source;
    },
  };
}

/** Register GET /home-rows and GET /up-next on the app. */
export function mountRowsRoutes(app: IRouter, d: RowsRoutesDeps): void {
  const ep = rowsEndpoints(d);
  app.get('/home-rows', named('/home-rows'), async (req, res) => {
    res.locals.source = await ep.homeRows(parseOr400(homeRowsQuerySchema, req.query, 'query'), res);
  });
  app.get('/up-next', named('/up-next'), async (req, res) => {
    res.locals.source = await ep.upNext(parseOr400(upNextQuerySchema, req.query, 'query'), res);
  });
}
