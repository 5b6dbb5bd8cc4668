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
import { coldStart, coldStartAmong, dot, roundScore } from './feed';
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
  /** Blend exploration into the top-picks candidates (the feed's slots); identity for none. */
  explore: (base: Candidate[], userVec: Float32Array | null, skip: ReadonlySet<string>) => Candidate[];
  /** A fresh title by id (exploration picks that the version does not list). */
  fresh: (movieId: string) => FreshTitle | undefined;
}


/**
 * The positions j < count (where ok(j)) of the n largest sim(j), best first; ties: lower idx(j)
 * first. Keeps only the best n in a sorted buffer: no sort of the rest.
 */
function topN(count: number, sim: (j: number) => number, idx: (j: number) => number, ok: (j: number) => boolean, n: number): number[] {
  if (n <= 0) return [];
  const topJ = new Int32Array(n);
  const topSim = new Float64Array(n);
  let size = 0;
  for (let j = 0; j < count; j++) {
    if (!ok(j)) continue;
    const s = sim(j);
    const i = idx(j);
    if (size === n && (s < topSim[n - 1] || (s === topSim[n - 1] && i > idx(topJ[n - 1])))) continue;
    let p = size < n ? size++ : n - 1;
    for (; p > 0 && (topSim[p - 1] < s || (topSim[p - 1] === s && idx(topJ[p - 1]) > i)); p--) {
      topSim[p] = topSim[p - 1];
      topJ[p] = topJ[p - 1];
    }
    topSim[p] = s;
    topJ[p] = j;
  }
  return Array.from(topJ.subarray(0, size));
}

/** The n entries of `among` (accepted, not in `skip`) with the largest vec·y_i, best first (ties: lower index first): an exact scan. */
export function nearestAmong(vec: Float32Array, Y: Float32Array, k: number, among: readonly number[], accept: (idx: number) => boolean, skip: ReadonlySet<number>, n: number): number[] {
  const sims = new Float64Array(among.length);
  for (let j = 0; j < among.length; j++) sims[j] = dot(vec, Y, among[j] * k, k);
  return topN(among.length, (j) => sims[j], (j) => among[j], (j) => !skip.has(among[j]) && accept(among[j]), n).map((j) => among[j]);
}

/**
 * One pass over a stored list (listed item indices `among`): for each listed title, its
 * similarity y_a·y_i to each anchor a and the user's score x_u·y_i, so each title's factor row is
 * read once per screen rather than once per row (at 10^5 titles those rows are cache misses).
 */
function scanList(Y: Float32Array, k: number, among: readonly number[], anchors: readonly number[], x: Float32Array): { sims: Float64Array; user: Float64Array } {
  const A = anchors.length;
  const sims = new Float64Array(among.length * A);
  const user = new Float64Array(among.length);
  const anchorVecs = anchors.map((a) => Y.subarray(a * k, (a + 1) * k));
  for (let j = 0; j < among.length; j++) {
    const i = among[j];
    for (let a = 0; a < A; a++) sims[j * A + a] = dot(anchorVecs[a], Y, i * k, k);
    user[j] = dot(x, Y, i * k, k);
  }
  return { sims, user };
}

/** The genres a user leans to, strongest first: watches weigh 2, top picks 1/(1 + rank/10). */
export function likedGenres(v: RowsVersion, watched: readonly number[], picks: readonly Candidate[]): string[] {
  const w = new Map<string, number>();
  const add = (genres: readonly string[], x: number) => {
    for (const g of genres) w.set(g, (w.get(g) ?? 0) + x / genres.length);
  };
  for (const idx of watched) add(v.items[idx].genres, 2);
  picks.forEach((c, r) => {
    if (c.itemIndex >= 0) add(v.items[c.itemIndex].genres, 1 / (1 + r / 10));
  });
  return [...w.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([g]) => g);
}

export function buildRows(v: RowsVersion, user: RowsUser, o: RowsOptions, deps: RowsDeps): { source: RowsSource; rows: Row[] } {
  const used = new Set<string>(user.watched); // movie ids already on screen, or watched
  // The same by catalog index, for the per-title tests of the scans below (no string hashing).
  const watchedIdx = new Set<number>();
  for (const id of user.watched) {
    const idx = v.indexById.get(id);
    if (idx !== undefined) watchedIdx.add(idx);
  }
  const usedIdx = new Set<number>(watchedIdx);
  const indexOf = (c: { movieId: string; itemIndex: number }) => (c.itemIndex >= 0 ? c.itemIndex : v.indexById.get(c.movieId));
  // With a stored list, a title must be in it to count as unseen (see the top of this file).
  const listIdx = user.list ? (user.listIdx ?? user.list.filter((c) => c.itemIndex >= 0).map((c) => c.itemIndex)) : null;
  const inList = listIdx ? new Set(listIdx) : null;
  const accept = (idx: number) => idx < v.items.length && !usedIdx.has(idx) && (inList === null || inList.has(idx));
  const anchors: number[] = [];
  for (const id of user.watched) {
    const idx = v.indexById.get(id);
    if (idx !== undefined && v.k > 0) anchors.push(idx);
  }

  const item = (c: Candidate, becauseOf?: string): RowItem => {
    const t = c.itemIndex >= 0 ? v.items[c.itemIndex] : deps.fresh(c.movieId);
    const out: RowItem = { movie_id: c.movieId, title: t?.title ?? '', genres: t?.genres ?? [], score: roundScore(c.score), reason: c.reason };
    if (becauseOf !== undefined) out.because_of = becauseOf;
    return out;
  };
  const claim = (cands: readonly Candidate[], n: number): Candidate[] => {
    const out: Candidate[] = [];
    for (const c of cands) {
      if (out.length >= n) break;
      if (used.has(c.movieId)) continue;
      used.add(c.movieId);
      const idx = indexOf(c);
      if (idx !== undefined) usedIdx.add(idx);
      out.push(c);
    }
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
    base = coldStart(v.trending, v.popular, v.items, accept, o.perRow * 2, false);
  }
  const firstIsPersonal = source !== 'cold_start';
  const picks = claim(deps.explore(base, user.userVec, used), o.perRow);
  if (picks.length < o.perRow) picks.push(...claim(coldStart(v.trending, v.popular, v.items, accept, o.perRow * 2, false), o.perRow - picks.length));
  const rows: Row[] = [];
  const nearAnchors = anchors.slice(0, o.becauseMax);
  const nearAnchorVecs = nearAnchors.map((a) => v.itemFactors.subarray(a * v.k, (a + 1) * v.k));
  rows.push({
    kind: firstIsPersonal ? 'top_picks' : 'trending',
    title: firstIsPersonal ? 'Top picks for you' : 'Trending now',
    items: picks.map((c) => {
      // A personalised item is "because of" the anchor it is closest to, when it is close at all.
      if (c.itemIndex < 0 || c.reason !== 'because_you_watched' || anchors.length === 0) return item(c);
      let best = -1;
      let bestSim = 0;
      for (let n = 0; n < nearAnchors.length; n++) {
        const s = dot(nearAnchorVecs[n], v.itemFactors, c.itemIndex * v.k, v.k);
        if (s > bestSim) [best, bestSim] = [nearAnchors[n], s];
      }
      return item(c, best >= 0 ? v.items[best].movie_id : undefined);
    }),
  });

  // 2 and 3, alternating.
  // With a stored list, every anchor's similarities to the listed titles (and the user's scores)
  // come from one pass over the list (see scanList).
  const scanAnchors = anchors.slice(0, o.becauseMax);
  const scan = listIdx && user.userVec && scanAnchors.length > 0 ? scanList(v.itemFactors, v.k, listIdx, scanAnchors, user.userVec) : null;
  const becauseRow = (a: number): Row | null => {
    if (!user.userVec) return null;
    const x = user.userVec;
    // The anchor's nearest unseen titles, then minus those already on screen: a row repeats
    // nothing and holds only true neighbours. With a stored list only its titles qualify, so the
    // nearest of them are found exactly (≤ N dot products, cheaper than an HNSW search whose
    // results would mostly fall outside the list); without one, the HNSW index finds them.
    const notWatched = (idx: number) => idx !== a && idx < v.items.length && !watchedIdx.has(idx);
    let scored: Candidate[];
    if (listIdx && scan) {
      const A = scanAnchors.length;
      const ai = scanAnchors.indexOf(a);
      const near = topN(listIdx.length, (j) => scan.sims[j * A + ai], (j) => listIdx[j], (j) => notWatched(listIdx[j]), o.nNeighbours);
      scored = near.filter((j) => accept(listIdx[j])).map((j) => ({ movieId: v.items[listIdx[j]].movie_id, itemIndex: listIdx[j], score: scan.user[j], reason: 'because_you_watched' as Reason }));
    } else {
      const vec = v.itemFactors.subarray(a * v.k, (a + 1) * v.k);
      const cand = deps.neighbours(vec, o.nNeighbours, notWatched).filter(notWatched).filter(accept);
      scored = cand.map((idx) => ({ movieId: v.items[idx].movie_id, itemIndex: idx, score: dot(x, v.itemFactors, idx * v.k, v.k), reason: 'because_you_watched' as Reason }));
    }
    scored.sort((p, q) => q.score - p.score);
    const anchorId = v.items[a].movie_id;
    return { kind: 'because_you_watched', title: `Because you watched ${v.items[a].title}`, because_of: anchorId, items: claim(scored, o.perRow).map((c) => item(c, anchorId)) };
  };
  const genreRow = (g: string): Row => {
    const gl = g.toLowerCase();
    const inGenre = (idx: number) => accept(idx) && v.items[idx].genresLower.includes(gl);
    const cands = listIdx ? coldStartAmong(listIdx, v.trending, v.popular, v.items, inGenre, o.perRow) : coldStart(v.trending, v.popular, v.items, inGenre, o.perRow, true);
    return { kind: 'trending_in_genre', title: `Trending in ${g}`, genre: g, items: claim(cands, o.perRow).map((c) => item(c)) };
  };
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
  const keep = (row: Row | null): Row | null => {
    if (row && row.items.length >= Math.min(o.minItems, o.perRow)) return row;
    if (row)
      for (const it of row.items) {
        used.delete(it.movie_id);
        const idx = v.indexById.get(it.movie_id);
        if (idx !== undefined && !watchedIdx.has(idx)) usedIdx.delete(idx);
      }
    return null;
  };
  const built = { b: [] as Row[], g: [] as Row[] };
  for (let a = 0; a < anchors.length && a < o.becauseMax && built.b.length < needB; a++) {
    const row = keep(becauseRow(anchors[a]));
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
