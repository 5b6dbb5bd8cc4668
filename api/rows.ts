// The home screen as rows (GET /home-rows), as plain functions: no I/O, no clock; the ANN search
// and the exploration blend come in as functions, so the rules are testable without hnswlib.
//
// A screen, in display order (each row claims its titles before the next, so nothing repeats):
//   1. "Top picks for you" — the personalised list as /home-feed builds it (stored list, or the
//      fold-in of recent watches), with the feed's exploration slots applied here, once per screen;
//      a user the model lacks gets "Trending now" instead.
//   2. "Because you watched <title>" — one row per anchor (the user's watches known to the API,
//      most recent first, up to becauseMax): the anchor's nearest neighbours in the factor space,
//      re-scored by the user's vector x_u·y_i. For a user with a stored list only titles in that
//      list qualify: the list holds the top-N titles the user had not watched when it was built,
//      which is the only proof of "not seen" the API has for watches older than the recent set;
//      the anchor's nearest list titles are then found exactly (≤ N dot products). Without a list
//      (fold-in users) the neighbours come from the HNSW index.
//   3. "Trending in <genre>" — the version's trending titles of the genres the user leans to
//      (their watches count twice, the top picks once, by rank), popular ones of the genre to fill;
//      for a user with a stored list, again only titles in it.
// Rows 2 and 3 alternate after row 1 until `rows`; a row with fewer than minItems titles is dropped.
// The "because" rows are built (and claim their titles) before the genre rows.
import type { Candidate, FeedItem, Reason } from './feed';
import { coldStart, dot, roundScore } from './feed';
import type { TitleFields } from './feed-json';
import type { CatalogItem, FreshTitle } from './state';

export type RowKind = 'top_picks' | 'trending' | 'because_you_watched' | 'trending_in_genre';
export type RowsSource = 'personalized' | 'fold_in' | 'cold_start' | 'fallback';

export interface RowItem extends FeedItem {
  /** The watched title this item is recommended because of, where one applies. */
  because_of?: string;
}

export interface Row {
  kind: RowKind;
  title: string;
  because_of?: string;
  genre?: string;
  items: RowItem[];
}

/** What the rows need of a loaded version. */
export interface RowsVersion {
  items: readonly CatalogItem[];
  /** items[i].movie_id by index (VersionState has it): read here rather than from the title objects, each a cache miss at 10^5 titles. */
  ids?: readonly string[];
  indexById: ReadonlyMap<string, number>;
  itemFactors: Float32Array; // nItems × k, row-major
  k: number;
  popular: readonly number[];
  trending: readonly number[];
}

export interface RowsUser {
  /**
   * The head of the stored list the user may still be shown (seen titles removed), best first,
   * deep enough for the top picks (2 × perRow); null without a stored list.
   */
  list: Candidate[] | null;
  /** Every entry of the stored list the user may still be shown, as item indices in list order (default: those of `list`). */
  listIdx?: readonly number[];
  /** x_u (k): the stored list's vector or the fold-in of recent watches; null for a cold user. */
  userVec: Float32Array | null;
  /** Movie ids of the user's watches known to the API, most recent first. */
  watched: readonly string[];
}

export interface RowsOptions {
  rows: number;
  perRow: number;
  becauseMax: number;
  genreMax: number;
  minItems: number;
  /** Neighbours of an anchor fetched from the ANN index before re-scoring. */
  nNeighbours: number;
}

export interface RowsDeps {
  /** Item indices nearest to `vec` by inner product among accepted ones, nearest first. */
  neighbours: (vec: Float32Array, n: number, accept: (idx: number) => boolean) => number[];
  /** The same for the vector of catalog title `idx` (the API caches these per version); default: neighbours of its row. */
  similar?: (idx: number, n: number, accept: (idx: number) => boolean) => number[];
  /** Blend exploration into the top-picks candidates (the feed's slots); identity for none. */
  explore: (base: Candidate[], userVec: Float32Array | null, skip: ReadonlySet<string>) => Candidate[];
  /** A fresh title by id (exploration picks that the version does not list). */
  fresh: (movieId: string) => FreshTitle | undefined;
}


/** y_a·y_b of two rows of Y (k entries each). Four accumulators: one chain of adds would stall on each. */
function dotRows(Y: Float32Array, aOff: number, bOff: number, k: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    s0 += Y[aOff + j] * Y[bOff + j];
    s1 += Y[aOff + j + 1] * Y[bOff + j + 1];
    s2 += Y[aOff + j + 2] * Y[bOff + j + 2];
    s3 += Y[aOff + j + 3] * Y[bOff + j + 3];
  }
  for (; j < k; j++) s0 += Y[aOff + j] * Y[bOff + j];
  return s0 + s1 + (s2 + s3);
}

/**
 * dotRows of two anchors a and b with the same row c, into out[at] and out[at + 1]: the values
 * dotRows gives (same accumulators, same order), with c's values loaded once for both.
 */
function dotRows2(Y: Float32Array, aOff: number, bOff: number, cOff: number, k: number, out: Float64Array, at: number): void {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const c0 = Y[cOff + j], c1 = Y[cOff + j + 1], c2 = Y[cOff + j + 2], c3 = Y[cOff + j + 3];
    a0 += Y[aOff + j] * c0;
    a1 += Y[aOff + j + 1] * c1;
    a2 += Y[aOff + j + 2] * c2;
    a3 += Y[aOff + j + 3] * c3;
    b0 += Y[bOff + j] * c0;
    b1 += Y[bOff + j + 1] * c1;
    b2 += Y[bOff + j + 2] * c2;
    b3 += Y[bOff + j + 3] * c3;
  }
  for (; j < k; j++) {
    a0 += Y[aOff + j] * Y[cOff + j];
    b0 += Y[bOff + j] * Y[cOff + j];
  }
  out[at] = a0 + a1 + (a2 + a3);
  out[at + 1] = b0 + b1 + (b2 + b3);
}

/**
 * x·y_i for the rows of Y at offsets off[0..m) into out[0..m), each summed exactly as feed's dot
 * sums it (one accumulator, j in order), so the values are bit-identical to it — they decide
 * near-ties and are shown as scores. Four rows at a time: their four independent chains of adds
 * overlap instead of each waiting on its own.
 */
function dotsInOrder(x: Float32Array, Y: Float32Array, off: ArrayLike<number>, m: number, k: number, out: Float64Array): void {
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const o0 = off[r], o1 = off[r + 1], o2 = off[r + 2], o3 = off[r + 3];
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < k; j++) {
      const xj = x[j];
      s0 += xj * Y[o0 + j];
      s1 += xj * Y[o1 + j];
      s2 += xj * Y[o2 + j];
      s3 += xj * Y[o3 + j];
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < m; r++) out[r] = dot(x, Y, off[r], k);
}

/**
 * Touch the first value of every cache line of the listed rows of Y: a bare loop of independent
 * loads keeps many misses in flight, so the dot products that follow read from cache (at 10^5
 * titles the factor matrix is tens of MB and the listed rows are scattered through it).
 */
function prefetchRows(Y: Float32Array, k: number, among: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < among.length; j++) {
    const off = among[j] * k;
    for (let t = 0; t < k; t += 16) s += Y[off + t];
  }
  return s;
}

// Scratch typed arrays by slot, grown and never shrunk (a screen runs to completion without
// awaiting; allocating and zeroing one costs ~1 µs, several per row). Int32: the "because" rows
// 0–2, nearestAmong 3–4. Float64: the "because" rows 0, nearestAmong 1–2, keepNearest 3.
const scratchI = Array.from({ length: 5 }, () => new Int32Array(1024));
const scratchF = Array.from({ length: 4 }, () => new Float64Array(1024));
/** Int32 scratch `slot` with room for n; its contents are left from an earlier use. */
function scratchI32(slot: number, n: number): Int32Array {
  if (scratchI[slot].length < n) scratchI[slot] = new Int32Array(Math.max(n, 2 * scratchI[slot].length));
  return scratchI[slot];
}
/** Float64 scratch `slot` with room for n; its contents are left from an earlier use. */
function scratchF64(slot: number, n: number): Float64Array {
  if (scratchF[slot].length < n) scratchF[slot] = new Float64Array(Math.max(n, 2 * scratchF[slot].length));
  return scratchF[slot];
}
const idsMemo = new WeakMap<readonly CatalogItem[], string[]>();
/** items[i].movie_id by index, for a version built without `ids` (tests). */
function idsOf(items: readonly CatalogItem[]): readonly string[] {
  let ids = idsMemo.get(items);
  if (!ids) idsMemo.set(items, (ids = items.map((it) => it.movie_id)));
  return ids;
}

/** The value at rank r of a[0..m) sorted ascending; reorders a[0..m). Quickselect (Hoare partition), O(m) expected. */
function selectRank(a: Float64Array, m: number, r: number): number {
  let lo = 0;
  let hi = m - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // a[lo..j] ≤ pivot, a[j+1..i−1] = pivot, a[i..hi] ≥ pivot.
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r];
  }
  return a[r];
}

/**
 * Keeps in pos[0..) the n positions of pos[0..m) with the largest sims[off + j·stride] (ties at
 * the n-th value: lower among[j] first) and returns how many that is (min(m, n)), in no
 * particular order. The n-th largest value comes from a quickselect: a full sort of the
 * candidates' values was the largest cost of a "because" row.
 */
function keepNearest(sims: Float64Array, off: number, stride: number, pos: Int32Array, m: number, among: ArrayLike<number>, n: number): number {
  if (n <= 0) return 0;
  if (m <= n) return m;
  const vals = scratchF64(3, m);
  for (let p = 0; p < m; p++) vals[p] = sims[off + pos[p] * stride];
  const bar = selectRank(vals, m, m - n); // the n-th largest
  let kept = 0;
  const tied: number[] = [];
  for (let p = 0; p < m; p++) {
    const j = pos[p];
    const s = sims[off + j * stride];
    if (s > bar) pos[kept++] = j;
    else if (s === bar) tied.push(j);
  }
  if (tied.length > 1) tied.sort((a, b) => among[a] - among[b]);
  for (let t = 0; kept < n && t < tied.length; t++) pos[kept++] = tied[t];
  return kept;
}

/** The n entries of `among` (accepted, not in `skip`) with the largest vec·y_i, best first (ties: lower index first): an exact scan. */
export function nearestAmong(vec: Float32Array, Y: Float32Array, k: number, among: readonly number[], accept: (idx: number) => boolean, skip: ReadonlySet<number>, n: number): number[] {
  if (vec.length !== k) throw new RangeError(`query vector has ${vec.length} entries, expected k=${k}`);
  prefetchRows(Y, k, among);
  const L = among.length;
  const pos = scratchI32(3, L);
  const offs = scratchI32(4, L);
  let m = 0;
  for (let j = 0; j < L; j++) {
    const idx = among[j];
    if (skip.has(idx) || !accept(idx)) continue;
    offs[m] = idx * k;
    pos[m++] = j;
  }
  const accepted = scratchF64(1, m);
  dotsInOrder(vec, Y, offs, m, k, accepted);
  const sims = scratchF64(2, L); // read only at the accepted positions, each written below
  for (let p = 0; p < m; p++) sims[pos[p]] = accepted[p];
  const kept = keepNearest(sims, 0, 1, pos, m, among, n);
  const out: number[] = [];
  for (let p = 0; p < kept; p++) out.push(pos[p]);
  out.sort((a, b) => sims[b] - sims[a] || among[a] - among[b]);
  for (let p = 0; p < kept; p++) out[p] = among[out[p]];
  return out;
}

/**
 * One pass over a stored list (listed item indices `among`): each listed title's similarity
 * y_a·y_i to each anchor a, so each title's factor row is read once per screen rather than once
 * per row. The user's scores x_u·y_i are computed on demand (only the anchors' nearest need them).
 */
function scanList(Y: Float32Array, k: number, among: readonly number[], anchors: readonly number[]): Float64Array {
  const A = anchors.length;
  const sims = new Float64Array(among.length * A);
  prefetchRows(Y, k, among);
  for (let j = 0; j < among.length; j++) {
    const off = among[j] * k;
    let a = 0;
    for (; a + 2 <= A; a += 2) dotRows2(Y, anchors[a] * k, anchors[a + 1] * k, off, k, sims, j * A + a);
    for (; a < A; a++) sims[j * A + a] = dotRows(Y, anchors[a] * k, off, k);
  }
  return sims;
}

/** A version's trending rank (last position) and popular rank (first position) per title; −1 when unlisted. */
interface ListRanks {
  trending: readonly number[];
  popular: readonly number[];
  trend: Int32Array; // nItems
  pop: Int32Array; // nItems
  /** coldStartAmong's order key per title: trending rank, else trending.length + popular rank; −1 when unlisted (one read per title, not two). */
  order: Int32Array; // nItems
}
const ranksMemo = new WeakMap<readonly number[], ListRanks>();
function listRanks(v: RowsVersion): ListRanks {
  let r = ranksMemo.get(v.trending);
  if (!r || r.popular !== v.popular || r.trend.length !== v.items.length) {
    const n = v.items.length;
    const trend = new Int32Array(n).fill(-1);
    const pop = new Int32Array(n).fill(-1);
    for (let i = 0; i < v.trending.length; i++) if (v.trending[i] < n) trend[v.trending[i]] = i;
    for (let i = v.popular.length - 1; i >= 0; i--) if (v.popular[i] < n) pop[v.popular[i]] = i;
    const T = v.trending.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = trend[i] >= 0 ? trend[i] : pop[i] >= 0 ? T + pop[i] : -1;
    ranksMemo.set(v.trending, (r = { trending: v.trending, popular: v.popular, trend, pop, order }));
  }
  return r;
}

/**
 * The positions of a stored list's titles that are trending or popular, in the order
 * coldStartAmong ranks them (trending rank, then popular rank; list order on equal keys): sorted
 * once per screen, so each genre row walks it until its row is full.
 */
function rankedListPositions(ranks: ListRanks, among: readonly number[]): Int32Array {
  const L = among.length;
  const keys: number[] = [];
  for (let j = 0; j < L; j++) {
    const o = ranks.order[among[j]];
    if (o >= 0) keys.push(o * L + j);
  }
  const sorted = Float64Array.from(keys).sort(); // exact: (T + P)·L is far below 2^53
  const out = new Int32Array(sorted.length);
  for (let r = 0; r < sorted.length; r++) out[r] = sorted[r] % L;
  return out;
}

/**
 * A catalog's genres as small integers, built once per version on first use: the rows test a
 * title's genres for every list entry they walk, and reading them from the title objects (three
 * pointers deep, scattered through the heap) cost more than the rest of a genre row.
 */
interface GenreTable {
  start: Int32Array; // nItems + 1: title i's genres are ids[start[i], start[i+1]), in its own order
  ids: Int32Array;
  names: string[]; // by id
  /** Lower-cased genre → its bit in `mask` (the first 31 seen). */
  lowerBit: Map<string, number>;
  mask: Uint32Array; // nItems: the bits of the title's lower-cased genres; OTHER_GENRE when it has one without a bit
}
const OTHER_GENRE = 0x8000_0000;
const genreMemo = new WeakMap<readonly CatalogItem[], GenreTable>();
function genreTable(items: readonly CatalogItem[]): GenreTable {
  let t = genreMemo.get(items);
  if (t) return t;
  const n = items.length;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + items[i].genres.length;
  const ids = new Int32Array(start[n]);
  const idOf = new Map<string, number>();
  const names: string[] = [];
  const lowerBit = new Map<string, number>();
  const mask = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const { genres, genresLower } = items[i];
    for (let g = 0; g < genres.length; g++) {
      let id = idOf.get(genres[g]);
      if (id === undefined) idOf.set(genres[g], (id = names.push(genres[g]) - 1));
      ids[start[i] + g] = id;
    }
    for (const gl of genresLower) {
      let bit = lowerBit.get(gl);
      if (bit === undefined && lowerBit.size < 31) lowerBit.set(gl, (bit = lowerBit.size));
      mask[i] |= bit === undefined ? OTHER_GENRE : 1 << bit;
    }
  }
  genreMemo.set(items, (t = { start, ids, names, lowerBit, mask }));
  return t;
}

/** Whether a title has lower-cased genre `gl`: genresLower.includes(gl), mostly from the table. */
function genreTest(v: RowsVersion, gl: string): (idx: number) => boolean {
  const { lowerBit, mask } = genreTable(v.items);
  const bit = lowerBit.get(gl);
  if (bit !== undefined) {
    const m = 1 << bit;
    return (idx) => (mask[idx] & m) !== 0;
  }
  return (idx) => (mask[idx] & OTHER_GENRE) !== 0 && v.items[idx].genresLower.includes(gl);
}

/**
 * Build a version's per-version tables (list ranks, genre table) when it loads, so that no
 * request after a publish pays for them (a few ms at 10^5 titles, and the requests queued behind it).
 */
export function prepareRowsVersion(v: RowsVersion): void {
  listRanks(v);
  genreTable(v.items);
}

// Per version: the cold-start top picks of a user with nothing watched, by depth.
interface ColdMemo {
  popular: readonly number[];
  items: readonly CatalogItem[];
  byNeed: Map<number, Candidate[]>;
}
const coldMemo = new WeakMap<readonly number[], ColdMemo>();
function coldStartOf(v: RowsVersion, need: number): Candidate[] {
  let m = coldMemo.get(v.trending);
  if (!m || m.popular !== v.popular || m.items !== v.items) coldMemo.set(v.trending, (m = { popular: v.popular, items: v.items, byNeed: new Map() }));
  let out = m.byNeed.get(need);
  if (!out) m.byNeed.set(need, (out = coldStart(v.trending, v.popular, v.items, (idx) => idx < v.items.length, need, false)));
  return out;
}

/** The genres a user leans to, strongest first: watches weigh 2, top picks 1/(1 + rank/10). */
export function likedGenres(v: RowsVersion, watched: readonly number[], picks: readonly Candidate[]): string[] {
  const { start, ids, names } = genreTable(v.items);
  const w = new Float64Array(names.length);
  const seen: number[] = []; // genre ids with a weight, in no order that matters (the sort decides)
  const add = (i: number, x: number) => {
    const len = start[i + 1] - start[i];
    for (let p = start[i]; p < start[i + 1]; p++) {
      const g = ids[p];
      if (w[g] === 0) seen.push(g); // every weight added is > 0
      w[g] += x / len;
    }
  };
  for (const idx of watched) add(idx, 2);
  for (let r = 0; r < picks.length; r++) if (picks[r].itemIndex >= 0) add(picks[r].itemIndex, 1 / (1 + r / 10));
  return seen.sort((a, b) => w[b] - w[a] || (names[a] < names[b] ? -1 : 1)).map((g) => names[g]);
}

/**
 * A row before its items are objects: the chosen candidates. api/rows-json.ts writes a plan as
 * JSON bytes; rowOf turns it into the Row the dashboard shows.
 */
export interface PlannedRow {
  kind: RowKind;
  title: string;
  because_of?: string;
  genre?: string;
  items: Candidate[];
  /** Each item's because_of by position (the top picks); null: the row's own because_of, if any, for every item. */
  itemsBecause: Array<string | undefined> | null;
}

export interface RowsPlan {
  source: RowsSource;
  rows: PlannedRow[];
}

/** The because_of of a planned row's j-th item, if any. */
export function itemBecause(r: PlannedRow, j: number): string | undefined {
  return r.itemsBecause ? r.itemsBecause[j] : r.because_of;
}

/** A planned row as the response object (keys in the order the response has always had them). */
export function rowOf(r: PlannedRow, v: { items: readonly TitleFields[] }, fresh: (movieId: string) => TitleFields | undefined): Row {
  const items = r.items.map((c, j): RowItem => {
    const t = c.itemIndex >= 0 ? v.items[c.itemIndex] : fresh(c.movieId);
    const out: RowItem = { movie_id: c.movieId, title: t?.title ?? '', genres: t?.genres ?? [], score: roundScore(c.score), reason: c.reason };
    const b = itemBecause(r, j);
    if (b !== undefined) out.because_of = b;
    return out;
  });
  if (r.because_of !== undefined) return { kind: r.kind, title: r.title, because_of: r.because_of, items };
  if (r.genre !== undefined) return { kind: r.kind, title: r.title, genre: r.genre, items };
  return { kind: r.kind, title: r.title, items };
}

export function buildRows(v: RowsVersion, user: RowsUser, o: RowsOptions, deps: RowsDeps): { source: RowsSource; rows: Row[] } {
  const plan = planRows(v, user, o, deps);
  return { source: plan.source, rows: plan.rows.map((r) => rowOf(r, v, deps.fresh)) };
}

export function planRows(v: RowsVersion, user: RowsUser, o: RowsOptions, deps: RowsDeps): RowsPlan {
  const used = new Set<string>(user.watched); // watched ids, and ids on screen of titles the version does not list
  const ids = v.ids ?? idsOf(v.items);
  // The same by catalog index, for the per-title tests of the scans below (no string hashing).
  const watchedIdx = new Set<number>();
  for (const id of user.watched) {
    const idx = v.indexById.get(id);
    if (idx !== undefined) watchedIdx.add(idx);
  }
  const usedIdx = new Set<number>(watchedIdx);
  // With a stored list, a title must be in it to count as unseen (see the top of this file).
  const listIdx = user.list ? (user.listIdx ?? user.list.filter((c) => c.itemIndex >= 0).map((c) => c.itemIndex)) : null;
  // Built on first use: the list's own scans below know their titles are listed.
  let inList: Set<number> | null = null;
  const listed = (idx: number) => (inList ??= new Set(listIdx)).has(idx);
  const accept = (idx: number) => idx < v.items.length && !usedIdx.has(idx) && (listIdx === null || listed(idx));
  const anchors: number[] = [];
  for (const id of user.watched) {
    const idx = v.indexById.get(id);
    if (idx !== undefined && v.k > 0) anchors.push(idx);
  }

  /**
   * Put `c` on screen unless it already is (or was watched); true when it was claimed. A catalog
   * title is tracked by index only (usedIdx starts with the watched ones), a title the version
   * does not list by id (`used`): no string is hashed, or read, for the titles of the list.
   */
  const take = (c: Candidate): boolean => {
    const idx = c.itemIndex >= 0 ? c.itemIndex : v.indexById.get(c.movieId);
    if (idx !== undefined) {
      if (usedIdx.has(idx)) return false;
      usedIdx.add(idx);
      return true;
    }
    if (used.has(c.movieId)) return false;
    used.add(c.movieId);
    return true;
  };
  const claim = (cands: readonly Candidate[], n: number): Candidate[] => {
    const out: Candidate[] = [];
    for (let i = 0; i < cands.length && out.length < n; i++) if (take(cands[i])) out.push(cands[i]);
    return out;
  };

  // 1. Top picks.
  let source: RowsSource;
  let base: Candidate[];
  if (user.list) {
    source = 'personalized';
    base = user.list.filter((c) => !used.has(c.movieId));
  } else if (user.userVec && v.k > 0) {
    source = 'fold_in';
    base = deps.neighbours(user.userVec, o.perRow * 2, accept).map((idx) => ({ movieId: v.items[idx].movie_id, itemIndex: idx, score: dot(user.userVec!, v.itemFactors, idx * v.k, v.k), reason: 'because_you_watched' as Reason }));
  } else {
    source = 'cold_start';
    // With nothing watched every title is accepted, so the list is the version's: computed once.
    base = usedIdx.size === 0 ? coldStartOf(v, o.perRow * 2) : coldStart(v.trending, v.popular, v.items, accept, o.perRow * 2, false);
  }
  const firstIsPersonal = source !== 'cold_start';
  const picks = claim(deps.explore(base, user.userVec, used), o.perRow);
  if (picks.length < o.perRow) picks.push(...claim(coldStart(v.trending, v.popular, v.items, accept, o.perRow * 2, false), o.perRow - picks.length));
  const rows: PlannedRow[] = [];
  const nearAnchors = anchors.slice(0, o.becauseMax);
  // A personalised item is "because of" the anchor it is closest to, when it is close at all:
  // y_a·y_i of each anchor with every such pick (dotsInOrder: feed's dot, four picks at a time).
  const personal: number[] = [];
  const pickOffs = new Int32Array(picks.length);
  if (nearAnchors.length > 0)
    for (let p = 0; p < picks.length; p++)
      if (picks[p].itemIndex >= 0 && picks[p].reason === 'because_you_watched') {
        pickOffs[personal.length] = picks[p].itemIndex * v.k;
        personal.push(p);
      }
  const best = new Int32Array(personal.length).fill(-1);
  const bestSim = new Float64Array(personal.length);
  const sims = new Float64Array(personal.length);
  for (let n = 0; n < nearAnchors.length; n++) {
    dotsInOrder(v.itemFactors.subarray(nearAnchors[n] * v.k, (nearAnchors[n] + 1) * v.k), v.itemFactors, pickOffs, personal.length, v.k, sims);
    for (let q = 0; q < personal.length; q++)
      if (sims[q] > bestSim[q]) {
        best[q] = nearAnchors[n];
        bestSim[q] = sims[q];
      }
  }
  const picksBecause: Array<string | undefined> = picks.map(() => undefined);
  for (let q = 0; q < personal.length; q++) if (best[q] >= 0) picksBecause[personal[q]] = ids[best[q]];
  rows.push({
    kind: firstIsPersonal ? 'top_picks' : 'trending',
    title: firstIsPersonal ? 'Top picks for you' : 'Trending now',
    items: picks,
    itemsBecause: picksBecause,
  });

  // 2 and 3, alternating.
  const genres = likedGenres(v, anchors, picks);
  if (genres.length === 0) {
    // A cold screen: the genres of what is trending, most frequent first.
    const heads = v.trending.slice(0, 100).map((i) => ({ movieId: '', itemIndex: i, score: 0, reason: 'trending' as Reason }));
    genres.push(...likedGenres(v, [], heads));
  }
  // Plan the screen (alternating, "because" first, within rows), then build the "because" rows
  // before the genre rows, so the more personal rows claim their titles first; a row that comes
  // out short is dropped, gives its titles back, and the next anchor or genre is tried.
  const budget = Math.max(0, o.rows - 1);
  let wantB = Math.min(o.becauseMax, user.userVec ? anchors.length : 0);
  let wantG = Math.min(o.genreMax, genres.length);
  let needB = 0;
  for (let slot = 0; slot < budget && (wantB > 0 || wantG > 0); slot++) {
    if (wantB > 0 && (slot % 2 === 0 || wantG === 0)) {
      needB++;
      wantB--;
    } else wantG--;
  }

  // With a stored list, the anchors' similarities to the listed titles come from one pass over
  // the list (scanList) for the anchors the plan needs; a later anchor (tried only when a row
  // comes out short) gets a pass of its own. Its rows are in cache by then.
  const scanned = listIdx && user.userVec && needB > 0 ? scanList(v.itemFactors, v.k, listIdx, anchors.slice(0, needB)) : null;
  const simsOf = (ai: number): { sims: Float64Array; off: number; stride: number } =>
    ai < needB ? { sims: scanned!, off: ai, stride: needB } : { sims: scanList(v.itemFactors, v.k, listIdx!, [anchors[ai]]), off: 0, stride: 1 };
  const becauseRow = (ai: number): PlannedRow | null => {
    if (!user.userVec) return null;
    const x = user.userVec;
    const a = anchors[ai];
    const anchorId = v.items[a].movie_id;
    const row: PlannedRow = { kind: 'because_you_watched', title: `Because you watched ${v.items[a].title}`, because_of: anchorId, items: [], itemsBecause: null };
    // The anchor's nearest unseen titles, then minus those already on screen: a row repeats
    // nothing and holds only true neighbours. With a stored list only its titles qualify, so the
    // nearest of them are found exactly (≤ N dot products, cheaper than an HNSW search whose
    // results would mostly fall outside the list); without one, the HNSW index finds them.
    const notWatched = (idx: number) => idx !== a && idx < v.items.length && !watchedIdx.has(idx);
    if (listIdx) {
      const { sims, off, stride } = simsOf(ai);
      const L = listIdx.length;
      const pos = scratchI32(0, L);
      let m = 0;
      for (let j = 0; j < L; j++) if (notWatched(listIdx[j])) pos[m++] = j;
      const kept = keepNearest(sims, off, stride, pos, m, listIdx, o.nNeighbours);
      // The user's scores of those not on screen yet.
      const cand = scratchI32(1, kept);
      const offs = scratchI32(2, kept);
      let nc = 0;
      for (let p = 0; p < kept; p++) {
        const j = pos[p];
        if (usedIdx.has(listIdx[j])) continue;
        offs[nc] = listIdx[j] * v.k;
        cand[nc++] = j;
      }
      const got = scratchF64(0, nc);
      dotsInOrder(x, v.itemFactors, offs, nc, v.k, got);
      // Best first: score, then nearer the anchor, then lower index (what a stable sort of the
      // neighbours by score would give, ties in neighbour order), picked one at a time until the
      // row is full: ~perRow passes over ≤ nNeighbours values, cheaper than sorting them all.
      for (let left = nc; left > 0 && row.items.length < o.perRow; left--) {
        let b = -1;
        for (let p = 0; p < nc; p++) {
          if (cand[p] < 0) continue;
          if (b < 0) {
            b = p;
            continue;
          }
          const d = got[p] - got[b] || sims[off + cand[p] * stride] - sims[off + cand[b] * stride] || listIdx[cand[b]] - listIdx[cand[p]];
          if (d > 0) b = p;
        }
        const idx = listIdx[cand[b]];
        const c: Candidate = { movieId: ids[idx], itemIndex: idx, score: got[b], reason: 'because_you_watched' };
        cand[b] = -1;
        if (take(c)) row.items.push(c);
      }
      return row;
    }
    const cand = (deps.similar ? deps.similar(a, o.nNeighbours, notWatched) : deps.neighbours(v.itemFactors.subarray(a * v.k, (a + 1) * v.k), o.nNeighbours, notWatched)).filter(notWatched).filter(accept);
    const scored = cand.map((idx): Candidate => ({ movieId: v.items[idx].movie_id, itemIndex: idx, score: dot(x, v.itemFactors, idx * v.k, v.k), reason: 'because_you_watched' }));
    scored.sort((p, q) => q.score - p.score);
    row.items = claim(scored, o.perRow);
    return row;
  };
  // With a stored list: what coldStartAmong(listIdx, …) returns, from the list ranked once per
  // screen (a row stops as soon as it is full, instead of ranking the whole list per genre).
  let ranked: Int32Array | null = null;
  const fromList = (among: readonly number[], inGenre: (idx: number) => boolean): Candidate[] => {
    const ranks = listRanks(v);
    ranked ??= rankedListPositions(ranks, among);
    const out: Candidate[] = [];
    for (let r = 0; r < ranked.length && out.length < o.perRow; r++) {
      const idx = among[ranked[r]];
      if (!inGenre(idx) || usedIdx.has(idx)) continue;
      const t = ranks.trend[idx];
      const score = t >= 0 ? 1 - t / Math.max(1, v.trending.length) : 1 - ranks.pop[idx] / v.popular.length;
      out.push({ movieId: ids[idx], itemIndex: idx, score, reason: t >= 0 ? 'trending' : 'popular' });
    }
    return out;
  };
  const genreRow = (g: string): PlannedRow => {
    const inGenre = genreTest(v, g.toLowerCase());
    let cands: Candidate[];
    if (listIdx) cands = fromList(listIdx, inGenre);
    else cands = coldStart(v.trending, v.popular, v.items, (idx) => accept(idx) && inGenre(idx), o.perRow, true);
    return { kind: 'trending_in_genre', title: `Trending in ${g}`, genre: g, items: claim(cands, o.perRow), itemsBecause: null };
  };
  const keep = (row: PlannedRow | null): PlannedRow | null => {
    if (row && row.items.length >= Math.min(o.minItems, o.perRow)) return row;
    if (row)
      for (const it of row.items) {
        const idx = it.itemIndex >= 0 ? it.itemIndex : v.indexById.get(it.movieId);
        if (idx === undefined) used.delete(it.movieId);
        else if (!watchedIdx.has(idx)) usedIdx.delete(idx);
      }
    return null;
  };
  const built = { b: [] as PlannedRow[], g: [] as PlannedRow[] };
  for (let ai = 0; ai < anchors.length && ai < o.becauseMax && built.b.length < needB; ai++) {
    const row = keep(becauseRow(ai));
    if (row) built.b.push(row);
  }
  const needG = budget - built.b.length; // a missing "because" row leaves room for a genre row
  for (let gi = 0; gi < genres.length && built.g.length < Math.min(needG, o.genreMax); gi++) {
    const row = keep(genreRow(genres[gi]));
    if (row) built.g.push(row);
  }
  for (let j = 0; rows.length < o.rows && (built.b.length > 0 || built.g.length > 0); j++) {
    const next = (j % 2 === 0 && built.b.length > 0) || built.g.length === 0 ? built.b.shift()! : built.g.shift()!;
    rows.push(next);
  }
  return { source, rows };
}
