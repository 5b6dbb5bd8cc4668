// The feed service: what GET /home-feed and GET /movies/:id/similar mean, over the in-memory
// snapshot (api/state.ts) and one Redis read per feed. The blending steps are plain functions in
// api/feed.ts; this file orders them (read → remove → personal list, fold-in or cold start →
// backfill → exploration slots → page) and degrades instead of failing: no version or no Redis →
// the popular list of the loaded version, or the one saved on disk (source "fallback").
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { rerankOff } from '../model/diversity';
import type { VariantAssigner } from './ab';
import type { ExplorationStats, Rng } from './exploration';
import type { DiskFallback } from './fallback-file';
import {
  backfill,
  blendExploration,
  checkEncodedList,
  coldStart,
  feedRerankKnobs,
  fromEncodedList,
  genreMatches,
  rankExplorers,
  readListUserVec,
  rerankCandidates,
  roundScore,
  type Candidate,
  type FeedItem,
  type ListedEntries,
  type FreshView,
  type Source,
} from './feed';
import { pushSlate, toFeedResponse, type FeedPage, type TitleFields } from './feed-json';
import type { FeedResponse } from './feed-response';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import { HttpError, type ApiOptions, type HomeFeedQuery } from './schemas';
import type { SessionParams } from '../model/session';
import { sessionRerank, storedListDepth } from './session';
import { foldInWatches, type ServingState, type Snapshot, type VersionState } from './state';
import type { FeedRead, FeedStore } from './store';

export interface SimilarResponse {
  movie_id: string;
  model_version: string;
  items: FeedItem[];
}

export interface FeedServiceDeps {
  cfg: Pick<Config, 'FEED_DEFAULT_LIMIT' | 'FEED_EXPLORATION_SLOTS' | 'CONF_WATCH_WEIGHT' | 'FRESH_DAYS' | 'FEED_DIVERSITY' | 'FEED_GENRE_CAP' | 'FEED_FRESHNESS_BOOST' | 'FEED_RERANK_DEPTH'>;
  opts: Pick<ApiOptions, 'HNSW_EF_SEARCH' | 'EXPLORATION_BAR'>;
  store: FeedStore;
  state: ServingState;
  stats: ExplorationStats;
  /** Where impression slates go (the events service's buffered writer). */
  impressions: { pushEncoded(maxBytes: number, n: number, write: (buf: Buffer, at: number) => number): void };
  diskFallback: DiskFallback;
  assigner: VariantAssigner;
  metrics: ApiMetrics;
  rng: Rng;
  clock: () => number;
  /** Rate-limited: a Redis outage must not print a line per request. */
  logSome: Logger;
  /** The session re-score's parameters (api/session.ts); null when SESSION_ENABLED is off. */
  session: SessionParams | null;
}

export class FeedService {
  private userVecScratch = new Float32Array(0);
  private coldMemo: { v: VersionState; need: number; list: Candidate[] } | null = null;

  constructor(private readonly deps: FeedServiceDeps) {}

  /** A candidate as a response item (title, genres, rounded score, reason). */
  titleOf(snap: Snapshot, c: Candidate): FeedItem {
    const t = this.titleFields(snap)(c);
    return { movie_id: c.movieId, title: t.title, genres: t.genres, score: roundScore(c.score), reason: c.reason };
  }

  /** Retrieve from the version's HNSW index by inner product with `vec`, accepted items only, best first. */
  annSearch(v: VersionState, vec: Float32Array, n: number, accept: (idx: number) => boolean): Candidate[] {
    const { opts } = this.deps;
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

  /**
   * The cold-start list when nothing is filtered out (a brand-new user without genres or
   * exclusions): the same for every such user of a version, so computed once per version and
   * depth. coldStart is prefix-stable (its first n entries do not depend on `need` ≥ n).
   */
  private coldStartForAll(v: VersionState, need: number): Candidate[] {
    let memo = this.coldMemo;
    if (!memo || memo.v !== v || memo.need < need) this.coldMemo = memo = { v, need, list: coldStart(v.trending, v.popular, v.items, () => true, need, false) };
    return memo.list.slice(0, need);
  }

  /** A candidate's title: the catalog's, or a fresh title's. */
  private titleFields(snap: Snapshot): (c: Candidate) => TitleFields {
    return (c) => (c.itemIndex >= 0 ? snap.v.items[c.itemIndex] : (snap.freshById.get(c.movieId) ?? { movie_id: c.movieId, title: '', genres: [] }));
  }

  private fallbackFeed(snap: Snapshot | null, q: HomeFeedQuery, variant: string, limit: number, offset: number): FeedPage {
    const { metrics } = this.deps;
    metrics.fallbacks.inc();
    const skip = new Set(q.exclude ?? []);
    const wanted = q.genres?.map((g) => g.toLowerCase()) ?? null;
    if (!snap) {
      // No version in memory: the list saved on disk by the last load (empty only if this API never saw a catalog).
      const saved = this.deps.diskFallback.list;
      const list = saved?.items ?? [];
      const items: Candidate[] = [];
      const titles = new Map<string, TitleFields>();
      let rank = 0;
      for (const it of list) {
        if (skip.has(it.movie_id) || (wanted && !it.genres.some((g) => wanted.includes(g.toLowerCase())))) continue;
        if (rank++ < offset) continue;
        titles.set(it.movie_id, it);
        items.push({ movieId: it.movie_id, itemIndex: -1, score: 1 - rank / (list.length + 1), reason: 'popular' });
        if (items.length >= limit) break;
      }
      return { user_id: q.user_id, model_version: saved?.version ?? null, source: 'fallback', variant, items, heads: null, titleOf: (c) => titles.get(c.movieId)! };
    }
    const items: Candidate[] = [];
    let rank = 0;
    for (const idx of snap.v.fallback) {
      const it = snap.v.items[idx];
      if (skip.has(it.movie_id) || !genreMatches(it, wanted)) continue;
      if (rank++ < offset) continue;
      items.push({ movieId: it.movie_id, itemIndex: idx, score: 1 - rank / (snap.v.fallback.length + 1), reason: 'popular' });
      if (items.length >= limit) break;
    }
    return { user_id: q.user_id, model_version: snap.v.version, source: 'fallback', variant, items, heads: snap.v.heads ?? null, titleOf: this.titleFields(snap) };
  }

  /** The feed of one user as the response object (the dashboard's preview); never throws for a valid query. */
  async homeFeed(q: HomeFeedQuery): Promise<FeedResponse> {
    return toFeedResponse(await this.homeFeedPage(q));
  }

  /** The feed of one user, ready to encode: never throws for a valid query (degrades to the fallback list). */
  async homeFeedPage(q: HomeFeedQuery): Promise<FeedPage> {
    const { cfg, opts, store, state, stats, metrics, logSome, session } = this.deps;
    const snap = state.snapshot();
    const variant = this.deps.assigner.assign(q.user_id);
    const limit = q.limit ?? cfg.FEED_DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const need = offset + limit;
    const slots = variant.blend?.explorationSlots ?? cfg.FEED_EXPLORATION_SLOTS;
    const knobs = feedRerankKnobs(cfg, variant.blend);

    let read: FeedRead | null = null;
    if (snap && !store.isDegraded()) {
      try {
        read = await store.readFeed(snap.v.version, q.user_id, snap.v.dataAsOfMs);
      } catch (e) {
        metrics.errors.inc({ where: 'read_feed' });
        logSome('warn', 'feed read failed; serving fallback', { error: (e as Error).message });
      }
    }
    if (!snap || !read) return this.fallbackFeed(snap, q, variant.name, limit, offset);
    if (read.live && read.live !== snap.v.version) state.kick();

    const v = snap.v;
    // Removed: titles watched after the model's clock, and the caller's exclusions.
    // By item index, so a title is accepted without reading its catalog entry (unless genres are asked for).
    const skip = new Set<string>(q.exclude ?? []);
    for (const id of read.recent.keys()) skip.add(id);
    const skipIdx = new Set<number>();
    for (const id of skip) {
      const idx = v.indexById.get(id);
      if (idx !== undefined) skipIdx.add(idx);
    }
    const wanted = q.genres?.map((g) => g.toLowerCase()) ?? null;
    const accept = (idx: number) => !skipIdx.has(idx) && genreMatches(v.items[idx], wanted);
    const listAccept = wanted === null && skipIdx.size === 0 ? null : wanted === null ? (idx: number) => !skipIdx.has(idx) : accept;

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
        if (this.userVecScratch.length !== v.k) this.userVecScratch = new Float32Array(v.k);
        userVec = readListUserVec(read.list, this.userVecScratch); // used synchronously below, then free again
      }
      // Deep enough for the re-ranks below: the session's (all of it when the user has watched since
      // the as-of) and the diversity re-rank's (FEED_RERANK_DEPTH).
      const keep = rerankOff(knobs) ? need : Math.max(need, knobs.depth);
      const depth = storedListDepth(session, read.recent, need);
      const listed: ListedEntries | undefined = depth.whole && v.k > 0 && userVec ? { idx: [], score: [] } : undefined;
      base = fromEncodedList(read.list, list.k, list.n, v.ids, listAccept, Math.max(keep, depth.candidates), listed);
      // A baseline version (k = 0) lists popular titles the user has not seen: say so.
      if (v.k === 0) for (const c of base) c.reason = 'popular';
      // Watches since the model's as-of re-score the head of the list (api/session.ts), before the diversity re-rank.
      else if (session && userVec) base = sessionRerank(v, userVec, read.recent, base, { params: session, nowMs: this.deps.clock(), watchConfidence: cfg.CONF_WATCH_WEIGHT }, listed).slice(0, keep);
    } else {
      const watched: number[] = [];
      for (const id of read.recent.keys()) {
        const idx = v.indexById.get(id);
        if (idx !== undefined) watched.push(idx);
      }
      if (watched.length > 0 && v.k > 0) {
        source = 'fold_in';
        userVec = foldInWatches(v, watched, cfg.CONF_WATCH_WEIGHT);
        base = this.annSearch(v, userVec, need, accept);
      } else {
        source = 'cold_start';
        base = skip.size === 0 && wanted === null ? this.coldStartForAll(v, need) : coldStart(v.trending, v.popular, v.items, accept, need, wanted !== null);
      }
    }
    if (base.length < need && source !== 'cold_start') base = backfill(base, coldStart(v.trending, v.popular, v.items, accept, need, wanted !== null), need);
    if (source === 'personalized' && v.k > 0 && !rerankOff(knobs)) base = rerankCandidates(base, v, knobs, this.deps.clock(), cfg.FRESH_DAYS).slice(0, need);

    let blended = base;
    if (slots.length > 0 && snap.fresh.length > 0) {
      const acceptFresh = (t: FreshView) => !skip.has(t.movie_id) && genreMatches(t, wanted);
      // A slot's bar is EXPLORATION_BAR × the displaced score ≥ EXPLORATION_BAR × the lowest score in the list.
      let minScore = Infinity;
      for (const c of base) if (c.score < minScore) minScore = c.score;
      const minValue = userVec !== null && base.length >= need ? Math.max(0, opts.EXPLORATION_BAR * minScore) : 0;
      const explorers = rankExplorers(snap.fresh, userVec, (id) => stats.counts(id), acceptFresh, this.deps.rng, minValue);
      blended = blendExploration(base, explorers, slots, opts.EXPLORATION_BAR, userVec !== null, need);
    }
    return { user_id: q.user_id, model_version: v.version, source, variant: variant.name, items: blended.slice(offset, need), heads: v.heads ?? null, titleOf: this.titleFields(snap) };
  }

  /**
   * One impression slate per served page: the user, the ordered item ids with the page's offset
   * (item i is at position offset + i + 1), the model version, feed source and variant, and a
   * request id (the slate's event_id). The drain expands it into one impression row per item
   * (sql/stg_events_stream.sql). Written straight into the writer's off-heap chunk by pushSlate
   * (api/feed-json.ts, shared with the rows and up-next): version, variant and source are validated
   * to need no escaping. Exploration impressions are counted here.
   */
  logImpressions(feed: FeedPage, offset: number): void {
    const { state, stats } = this.deps;
    if (feed.items.length === 0) return;
    const snap = state.snapshot();
    for (const c of feed.items) {
      // A fresh title's impression feeds its exploration counts; catalog titles are checked by index, no id read.
      if (snap && (c.itemIndex >= 0 ? snap.freshIndices.has(c.itemIndex) : snap.freshById.has(c.movieId))) stats.recordImpression(c.movieId);
    }
    const version = feed.model_version === null ? 'null' : `"${feed.model_version}"`;
    const head = `{"event_id":"imp-${randomUUID()}","user_id":"${feed.user_id}","event_type":"impression","ts":"${new Date(this.deps.clock()).toISOString()}","surface":"home_feed","feed_source":"${feed.source}","variant":"${feed.variant}","model_version":${version},"offset":${offset},"items":[`;
    const items = feed.items;
    pushSlate(this.deps.impressions, head, items.length, (i) => items[i].itemIndex, (i) => items[i].movieId, feed.heads, ']}');
  }

  /** Titles near `id` in the factor space; 503 before a version loads, 404 for an unknown id. */
  similar(id: string, limit: number): SimilarResponse {
    const { state } = this.deps;
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no model version loaded yet');
    const v = snap.v;
    const idx = v.indexById.get(id);
    const fresh = snap.freshById.get(id);
    if (idx === undefined && !fresh) throw new HttpError(404, 'unknown_movie', `movie ${id} is not in the catalog`);
    const vec = idx !== undefined ? v.itemFactors.subarray(idx * v.k, (idx + 1) * v.k) : fresh!.vector;
    let cands: Candidate[];
    if (vec) cands = this.annSearch(v, vec, limit, (j) => j !== idx && v.items[j].movie_id !== id);
    else {
      // A fresh title without a vector: trending titles of its genres stand in.
      const wanted = fresh!.genresLower;
      cands = coldStart(v.trending, v.popular, v.items, (j) => genreMatches(v.items[j], wanted), limit, true);
    }
    return { movie_id: id, model_version: v.version, items: cands.slice(0, limit).map((c) => this.titleOf(snap, c)) };
  }
}
