// Feed blending as plain functions: no I/O, no clock, randomness only through an injected rng.
//
// Positions are 1-based ranks in the whole feed before `offset` is applied: exploration slot 3
// is the third item of the feed, so a request with offset=10 sees slot 15 as its fifth item.
import { rerankList, rerankOff, type RerankItems, type RerankKnobs } from '../model/diversity';
import { listItem, listLayout, listScore, listUserVec } from '../storage/redis-keys';
import { sampleWatchRate, type Counts, type Rng } from './exploration';

export type Reason = 'because_you_watched' | 'trending' | 'new_for_you' | 'popular' | 'session';
export type Source = 'personalized' | 'fold_in' | 'cold_start' | 'fallback';

export interface Candidate {
  movieId: string;
  /** Index in the version's items, or −1 for a fresh title the version does not list. */
  itemIndex: number;
  score: number;
  reason: Reason;
}

/** Minimal view of a title for filtering and diversification. */
export interface TitleView {
  movie_id: string;
  genres: string[];
  genresLower: string[];
}

/** x·y over k entries of two Float32Arrays starting at offsets. */
export function dot(x: Float32Array, y: Float32Array, yOff: number, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += x[j] * y[yOff + j];
  return s;
}

/** True when the title has any of the wanted genres (lower-case); no wanted genres accepts all. */
export function genreMatches(t: TitleView, wantedLower: readonly string[] | null): boolean {
  if (!wantedLower || wantedLower.length === 0) return true;
  for (const g of t.genresLower) if (wantedLower.includes(g)) return true;
  return false;
}

/**
 * A user list as stored (storage/redis-keys.ts codec, format 1 or 2) read in place: no copy, no
 * new ArrayBuffer per request (each one costs the young-generation GC a sweep). Same checks as
 * decodeUserList. Returns the number of list entries, or throws RangeError.
 */
export function checkEncodedList(buf: Buffer): { k: number; n: number } {
  const { k, n } = listLayout(buf);
  return { k, n };
}

/** Copy the user vector of an encoded list into `out` (length k). */
export function readListUserVec(buf: Buffer, out: Float32Array): Float32Array {
  return listUserVec(buf, listLayout(buf), out);
}

/**
 * fromUserList over an encoded list, read in place (`ids`: the version's movie ids by item index;
 * a null `accept` takes every listed title). With `all`, the scan goes on past `need`:
 * every accepted entry's item index and score is appended to `all` (the session re-rank looks for
 * neighbours in the whole list), while Candidate objects are made for the first `need` only.
 */
export function fromEncodedList(buf: Buffer, k: number, n: number, ids: readonly string[], accept: ((idx: number) => boolean) | null, need: number, all?: ListedEntries): Candidate[] {
  const L = listLayout(buf);
  if (L.k !== k || L.n !== n) throw new RangeError(`list holds k=${L.k} n=${L.n}, caller expected k=${k} n=${n}`);
  const out: Candidate[] = [];
  for (let r = 0; r < n && (out.length < need || all); r++) {
    const idx = listItem(buf, L, r);
    if (idx >= ids.length || (accept !== null && !accept(idx))) continue;
    const score = listScore(buf, L, r);
    if (all) {
      all.idx.push(idx);
      all.score.push(score);
    }
    if (out.length < need) out.push({ movieId: ids[idx], itemIndex: idx, score, reason: 'because_you_watched' });
  }
  return out;
}

/** A stored list's accepted entries as parallel arrays: item indices and scores, in list order. */
export interface ListedEntries {
  idx: number[];
  score: number[];
}

/** The item indices of an encoded list, in list order, accepted ones only: no objects, no titles touched. */
export function encodedListIndices(buf: Buffer, nItems: number, accept: (idx: number) => boolean): number[] {
  const L = listLayout(buf);
  const out: number[] = [];
  for (let r = 0; r < L.n; r++) {
    const idx = listItem(buf, L, r);
    if (idx < nItems && accept(idx)) out.push(idx);
  }
  return out;
}

/** The user's precomputed list, best first, keeping only accepted items, until `need` are taken. */
export function fromUserList(itemIndex: Uint32Array, score: Float32Array, items: readonly TitleView[], accept: (idx: number) => boolean, need: number): Candidate[] {
  const out: Candidate[] = [];
  for (let r = 0; r < itemIndex.length && out.length < need; r++) {
    const idx = itemIndex[r];
    if (idx >= items.length || !accept(idx)) continue;
    out.push({ movieId: items[idx].movie_id, itemIndex: idx, score: score[r], reason: 'because_you_watched' });
  }
  return out;
}

/**
 * Round-robin over primary genres (a title's first genre) in the order each genre first appears
 * in `ranked`; within a genre the ranked order is kept. Returns at most `need` entries.
 */
export function roundRobinByGenre(ranked: readonly number[], primaryGenre: (idx: number) => string, need: number): number[] {
  const queues = new Map<string, number[]>();
  for (const idx of ranked) {
    const g = primaryGenre(idx);
    let q = queues.get(g);
    if (!q) queues.set(g, (q = []));
    q.push(idx);
  }
  const lanes = [...queues.values()];
  const heads = new Array<number>(lanes.length).fill(0);
  const out: number[] = [];
  let progressed = true;
  while (out.length < need && progressed) {
    progressed = false;
    for (let l = 0; l < lanes.length && out.length < need; l++) {
      if (heads[l] < lanes[l].length) {
        out.push(lanes[l][heads[l]++]);
        progressed = true;
      }
    }
  }
  return out;
}

/** A trending list's rank of each title (its last position), built once per list (a version's lists never change). */
const trendingRankMemo = new WeakMap<readonly number[], Map<number, number>>();
function trendingRanks(trending: readonly number[]): Map<number, number> {
  let rank = trendingRankMemo.get(trending);
  if (!rank) {
    rank = new Map();
    for (let r = 0; r < trending.length; r++) rank.set(trending[r], r);
    trendingRankMemo.set(trending, rank);
  }
  return rank;
}

/**
 * The list for a user without a taste vector: trending (diversified by genre round-robin, or,
 * when genres are requested, trending titles of those genres in order), then popular to fill.
 * Scores fall linearly with rank in their list, in (0, 1].
 */
export function coldStart(
  trending: readonly number[],
  popular: readonly number[],
  items: readonly TitleView[],
  accept: (idx: number) => boolean,
  need: number,
  genresRequested: boolean,
): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<number>();
  const rank = trendingRanks(trending);
  let ordered: number[];
  if (genresRequested) {
    ordered = []; // trending order: only the first `need` accepted titles are tested
    for (let r = 0; r < trending.length && ordered.length < need; r++) if (trending[r] < items.length && accept(trending[r])) ordered.push(trending[r]);
  } else {
    ordered = roundRobinByGenre(trending.filter((i) => i < items.length && accept(i)), (i) => items[i].genres[0] ?? '', need);
  }
  for (const idx of ordered) {
    seen.add(idx);
    out.push({ movieId: items[idx].movie_id, itemIndex: idx, score: 1 - rank.get(idx)! / Math.max(1, trending.length), reason: 'trending' });
  }
  for (let r = 0; r < popular.length && out.length < need; r++) {
    const idx = popular[r];
    if (idx >= items.length || seen.has(idx) || !accept(idx)) continue;
    seen.add(idx);
    out.push({ movieId: items[idx].movie_id, itemIndex: idx, score: 1 - r / popular.length, reason: 'popular' });
  }
  return out;
}

/** A popular list's rank of each title (its first position), built once per list. */
const popularRankMemo = new WeakMap<readonly number[], Map<number, number>>();
function popularRanks(popular: readonly number[]): Map<number, number> {
  let rank = popularRankMemo.get(popular);
  if (!rank) {
    rank = new Map();
    for (let r = popular.length - 1; r >= 0; r--) rank.set(popular[r], r);
    popularRankMemo.set(popular, rank);
  }
  return rank;
}

/**
 * coldStart(trending, popular, items, accept, need, true) when every accepted title is among
 * `among` (a user's stored list): the same titles, order and scores, found by ranking the ≤ 500
 * listed titles instead of testing every trending and popular title against the list.
 */
export function coldStartAmong(among: readonly number[], trending: readonly number[], popular: readonly number[], items: readonly TitleView[], accept: (idx: number) => boolean, need: number): Candidate[] {
  const tRank = trendingRanks(trending);
  const pRank = popularRanks(popular);
  const inTrending: number[] = [];
  const inPopular: number[] = [];
  for (const idx of among) {
    if (idx >= items.length || !accept(idx)) continue;
    if (tRank.has(idx)) inTrending.push(idx);
    else if (pRank.has(idx)) inPopular.push(idx);
  }
  // (The pipeline lists each title once per list; coldStart assumes the same of trending.)
  inTrending.sort((a, b) => tRank.get(a)! - tRank.get(b)!);
  inPopular.sort((a, b) => pRank.get(a)! - pRank.get(b)!);
  const out: Candidate[] = [];
  for (const idx of inTrending) {
    if (out.length >= need) return out;
    out.push({ movieId: items[idx].movie_id, itemIndex: idx, score: 1 - tRank.get(idx)! / Math.max(1, trending.length), reason: 'trending' });
  }
  for (const idx of inPopular) {
    if (out.length >= need) break;
    out.push({ movieId: items[idx].movie_id, itemIndex: idx, score: 1 - pRank.get(idx)! / popular.length, reason: 'popular' });
  }
  return out;
}

/** Append `more` (in order) to `base` until `need`, skipping movies already present. */
export function backfill(base: Candidate[], more: readonly Candidate[], need: number): Candidate[] {
  if (base.length >= need) return base;
  const have = new Set(base.map((c) => c.movieId));
  const out = base.slice();
  for (const c of more) {
    if (out.length >= need) break;
    if (have.has(c.movieId)) continue;
    have.add(c.movieId);
    out.push(c);
  }
  return out;
}

/** A fresh title that may take an exploration slot, with its sampled value θ·affinity. */
export interface Explorer {
  cand: Candidate;
  value: number;
}

export interface FreshView extends TitleView {
  vector: Float32Array | null; // k, in the version's factor space
  itemIndex: number;
}

/**
 * Thompson sampling: for each accepted fresh title t draw θ_t ~ Beta(w_t + 1, i_t − w_t + 1),
 * and rank by θ_t · a_ut with affinity a_ut = max(0, x_u·y_t) (a_ut = 1 without a user vector;
 * a title without a vector in this space is skipped for users with one). Best first.
 */
export function rankExplorers(
  fresh: readonly FreshView[],
  userVec: Float32Array | null,
  counts: (movieId: string) => Counts,
  accept: (t: FreshView) => boolean,
  rng: Rng,
  /** Values below this cannot take any slot (θ ≤ 1, so affinity < minValue is skipped undrawn). */
  minValue = 0,
): Explorer[] {
  const out: Explorer[] = [];
  for (const t of fresh) {
    if (!accept(t)) continue;
    let affinity = 1;
    if (userVec) {
      if (!t.vector || t.vector.length !== userVec.length) continue;
      affinity = Math.max(0, dot(userVec, t.vector, 0, userVec.length));
      if (affinity === 0 || affinity < minValue) continue;
    }
    const theta = sampleWatchRate(counts(t.movie_id), rng);
    out.push({ cand: { movieId: t.movie_id, itemIndex: t.itemIndex, score: affinity, reason: 'new_for_you' }, value: theta * affinity });
  }
  return out.sort((a, b) => b.value - a.value);
}

/**
 * Put explorers into the 1-based `slots` (ascending, ≤ need). The best remaining explorer takes
 * slot p when its value ≥ bar × the score of the item it displaces (× 1 when `relativeToScore`
 * is false, i.e. for lists whose scores are not affinities), so exploration deeper in the
 * feed is cheaper and a title that fits the user poorly rarely wins. A movie is never listed twice.
 */
export function blendExploration(base: readonly Candidate[], explorers: readonly Explorer[], slots: readonly number[], bar: number, relativeToScore: boolean, need: number): Candidate[] {
  if (explorers.length === 0 || slots.length === 0) return base.slice(0, need);
  // Titles compared by item index (a catalog title) or movie id (a fresh title the version does not
  // list, index −1; the fresh pool holds no id the version lists): no string is read for the common case.
  const keyOf = (c: Candidate): number | string => (c.itemIndex >= 0 ? c.itemIndex : c.movieId);
  const inserted = new Set<number | string>();
  const out: Candidate[] = [];
  const sortedSlots = [...new Set(slots)].filter((p) => p >= 1 && p <= need).sort((a, b) => a - b);
  let e = 0;
  let b = 0;
  const nextBase = (): Candidate | undefined => {
    while (b < base.length && inserted.size > 0 && inserted.has(keyOf(base[b]))) b++;
    return base[b];
  };
  for (const p of sortedSlots) {
    // Fill positions before the slot from the base list.
    while (out.length < p - 1) {
      const c = nextBase();
      if (!c) break;
      out.push(c);
      b++;
    }
    if (out.length < p - 1) break; // base ran out before the slot
    while (e < explorers.length && out.some((c) => keyOf(c) === keyOf(explorers[e].cand))) e++;
    if (e >= explorers.length) break;
    const displaced = nextBase();
    const ref = relativeToScore ? (displaced?.score ?? 0) : 1;
    if (explorers[e].value >= bar * ref) {
      out.push(explorers[e].cand);
      inserted.add(keyOf(explorers[e].cand));
      e++;
    }
  }
  while (out.length < need) {
    const c = nextBase();
    if (!c) break;
    out.push(c);
    b++;
  }
  return out;
}

export interface FeedItem {
  movie_id: string;
  title: string;
  genres: string[];
  score: number;
  reason: Reason;
}

/** Round to 6 significant decimals so responses stay short and stable. */
export function roundScore(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : 0;
}

/** The feed's re-rank knobs: config (FEED_DIVERSITY, FEED_GENRE_CAP, FEED_FRESHNESS_BOOST, FEED_RERANK_DEPTH), a variant's blend overriding each. */
export function feedRerankKnobs(cfg: { FEED_DIVERSITY: number; FEED_GENRE_CAP: number; FEED_FRESHNESS_BOOST: number; FEED_RERANK_DEPTH: number }, blend?: { diversity?: number; genreCap?: number; freshness?: number }): RerankKnobs {
  return {
    diversity: blend?.diversity ?? cfg.FEED_DIVERSITY,
    genreCap: blend?.genreCap ?? cfg.FEED_GENRE_CAP,
    freshness: blend?.freshness ?? cfg.FEED_FRESHNESS_BOOST,
    depth: cfg.FEED_RERANK_DEPTH,
  };
}

/**
 * The personalised list's top `knobs.depth` re-ranked by model/diversity.ts rerankList (MMR over
 * the version's item factors, a cap per primary genre, a boost for titles added within freshDays),
 * the one re-rank bench:quality measures. Off knobs return `base` itself.
 */
export function rerankCandidates(base: Candidate[], v: { k: number; itemFactors: Float32Array; items: readonly (TitleView & { addedAtMs: number })[] }, knobs: RerankKnobs, nowMs: number, freshDays: number): Candidate[] {
  const n = base.length;
  if (rerankOff(knobs) || n <= 1) return base;
  // Unit factors of the candidates (a fresh title the version does not list has none: similarity 0).
  const k = v.k;
  const unit = new Float32Array(n * k);
  for (let p = 0; p < n; p++) {
    const i = base[p].itemIndex;
    if (i < 0 || k === 0) continue;
    let s = 0;
    for (let j = 0; j < k; j++) s += v.itemFactors[i * k + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < k; j++) unit[p * k + j] = v.itemFactors[i * k + j] * inv;
  }
  const genreIds = new Map<string, number>();
  const items: RerankItems = {
    sim: (a, b) => (k === 0 ? 0 : dot(unit.subarray(a * k, a * k + k), unit, b * k, k)),
    primaryGenre: (p) => {
      const i = base[p].itemIndex;
      const g = i >= 0 ? v.items[i].genres[0] : undefined;
      if (g === undefined) return -1;
      if (!genreIds.has(g)) genreIds.set(g, genreIds.size);
      return genreIds.get(g)!;
    },
    fresh: (p) => {
      const i = base[p].itemIndex;
      const age = i >= 0 ? (nowMs - v.items[i].addedAtMs) / 86400_000 : 0;
      return freshDays > 0 && Number.isFinite(age) ? Math.max(0, Math.min(1, 1 - age / freshDays)) : 0;
    },
  };
  const pos = Int32Array.from({ length: n }, (_, p) => p);
  const score = Float32Array.from(base, (c) => c.score);
  const outPos = new Int32Array(n), outScore = new Float32Array(n);
  rerankList(pos, score, n, items, knobs, outPos, outScore);
  return Array.from(outPos, (p) => base[p]);
}
