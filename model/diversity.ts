// Beyond accuracy: how varied, how broad and how novel a list is, and a re-rank that trades a
// little relevance for variety (maximal marginal relevance, Carbonell & Goldstein 1998).
//
//   ILD@K        intra-list diversity: mean over pairs of the top K of 1 − cos(y_i, y_j), item factors
//   genres@K     distinct genres among the top K / genres in the catalog
//   novelty@K    mean −log2(p_i) over the top K, p_i = share of users who watched title i (≥ 1 user)
//   MMR          pick next argmax_i λ·rel(i) − (1 − λ)·max_{j picked} cos(y_i, y_j), rel = the list's
//                scores min-max scaled to [0, 1]; λ = 1 keeps the list as it is. rerankList adds a
//                genre-spread constraint (a cap per primary genre) and a freshness boost; the feed
//                applies it with the FEED_DIVERSITY / FEED_GENRE_CAP / FEED_FRESHNESS_BOOST knobs.
import type { Csr } from './types';
import type { Recommender } from './recommend';

/** Unit-length copies of the item factors (nItems × k, row-major); zero rows stay zero. */
export function normalizeRows(factors: Float32Array, k: number): Float32Array {
  const out = new Float32Array(factors.length);
  for (let i = 0; i < factors.length / k; i++) {
    let s = 0;
    for (let d = 0; d < k; d++) s += factors[i * k + d] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < k; d++) out[i * k + d] = factors[i * k + d] * inv;
  }
  return out;
}

const cos = (unit: Float32Array, k: number, a: number, b: number) => {
  let s = 0;
  for (let d = 0; d < k; d++) s += unit[a * k + d] * unit[b * k + d];
  return s;
};

export interface ListStats {
  ild: number;
  genreCoverage: number;
  novelty: number;
}

/** The beyond-accuracy figures of one list's first K entries (−1 padding ignored). */
export function listStats(list: ArrayLike<number>, K: number, ctx: { unit: Float32Array; k: number; itemGenres: Csr; nGenres: number; popularity: ArrayLike<number>; nUsers: number }): ListStats {
  const items: number[] = [];
  for (let p = 0; p < Math.min(K, list.length); p++) if (list[p] >= 0) items.push(list[p]);
  let pairs = 0, dist = 0;
  for (let a = 0; a < items.length; a++) for (let b = a + 1; b < items.length; b++) {
    dist += 1 - cos(ctx.unit, ctx.k, items[a], items[b]);
    pairs++;
  }
  const genres = new Set<number>();
  let nov = 0;
  for (const i of items) {
    for (let q = ctx.itemGenres.indptr[i]; q < ctx.itemGenres.indptr[i + 1]; q++) genres.add(ctx.itemGenres.indices[q]);
    nov += -Math.log2(Math.max(1, ctx.popularity[i]) / Math.max(1, ctx.nUsers));
  }
  return { ild: pairs ? dist / pairs : 0, genreCoverage: ctx.nGenres ? genres.size / ctx.nGenres : 0, novelty: items.length ? nov / items.length : 0 };
}

/** The serving-side knobs of the re-rank (config FEED_DIVERSITY, FEED_GENRE_CAP, FEED_FRESHNESS_BOOST, FEED_RERANK_DEPTH). */
export interface RerankKnobs {
  /** 1 − λ of MMR: the weight of "unlike what is already picked"; 0 = relevance only. */
  diversity: number;
  /** At most this many titles of one primary genre in the re-ranked positions (0 = no cap). */
  genreCap: number;
  /** β: relevance gains β·fresh(i), fresh(i) = max(0, 1 − age / FRESH_DAYS) ∈ [0, 1]. */
  freshness: number;
  /** Positions re-ranked (the rest keep their order). */
  depth: number;
}

/** What the re-rank needs to know of the titles (by item index). */
export interface RerankItems {
  /** cos(y_a, y_b) of two titles' factors. */
  sim(a: number, b: number): number;
  /** A title's primary (first) genre, −1 when it has none. */
  primaryGenre(i: number): number;
  /** Freshness in [0, 1] (1 = added just now). */
  fresh(i: number): number;
}

/** True when the knobs change nothing (today's lists). */
export const rerankOff = (o: RerankKnobs) => !(o.diversity > 0) && !(o.freshness > 0) && !(o.genreCap > 0);

/**
 * MMR with a genre-spread constraint and a freshness boost over one list (`idx`/`score` best first,
 * length n, −1 padding), into out: the first `depth` positions pick, one at a time,
 *
 *   argmax_i (1 − D)·(rel(i) + β·fresh(i)) − D·max_{j picked} cos(y_i, y_j)
 *
 * among titles whose primary genre has fewer than genreCap picks (when none is left, among all),
 * rel = the list's scores min-max scaled to [0, 1]; the rest keep their order. D = β = cap = 0
 * leaves the list as it is.
 */
export function rerankList(idx: ArrayLike<number>, score: ArrayLike<number>, n: number, items: RerankItems, o: RerankKnobs, outIdx: Int32Array, outScore: Float32Array, offset = 0): void {
  let m = 0;
  while (m < n && idx[m] >= 0) m++;
  const d = Math.min(o.depth, m);
  if (rerankOff(o) || d <= 1) {
    for (let p = 0; p < n; p++) {
      outIdx[offset + p] = idx[p];
      outScore[offset + p] = score[p];
    }
    return;
  }
  let lo = Infinity, hi = -Infinity;
  for (let p = 0; p < m; p++) {
    lo = Math.min(lo, score[p]);
    hi = Math.max(hi, score[p]);
  }
  const D = Math.min(1, Math.max(0, o.diversity));
  const beta = Math.max(0, o.freshness);
  const value = new Float64Array(m);
  for (let p = 0; p < m; p++) value[p] = (1 - D) * ((hi > lo ? (score[p] - lo) / (hi - lo) : 1) + (beta > 0 ? beta * items.fresh(idx[p]) : 0));
  const genre = Int32Array.from({ length: m }, (_, p) => (o.genreCap > 0 ? items.primaryGenre(idx[p]) : -1));
  const picks = new Map<number, number>();
  const taken = new Uint8Array(m);
  const maxSim = new Float64Array(m);
  for (let r = 0; r < d; r++) {
    let best = -1, bestV = -Infinity, bestAny = -1, bestAnyV = -Infinity;
    for (let p = 0; p < m; p++) {
      if (taken[p]) continue;
      const v = value[p] - (r === 0 ? 0 : D * maxSim[p]);
      if (v > bestAnyV) {
        bestAnyV = v;
        bestAny = p;
      }
      if (genre[p] >= 0 && (picks.get(genre[p]) ?? 0) >= o.genreCap) continue;
      if (v > bestV) {
        bestV = v;
        best = p;
      }
    }
    if (best < 0) best = bestAny; // every remaining title's genre is at its cap: the constraint yields
    taken[best] = 1;
    if (genre[best] >= 0) picks.set(genre[best], (picks.get(genre[best]) ?? 0) + 1);
    outIdx[offset + r] = idx[best];
    outScore[offset + r] = score[best];
    if (D > 0) for (let p = 0; p < m; p++) if (!taken[p]) maxSim[p] = Math.max(maxSim[p], items.sim(idx[p], idx[best]));
  }
  let r = d;
  for (let p = 0; p < n; p++) {
    if (p < m && taken[p]) continue;
    outIdx[offset + r] = idx[p];
    outScore[offset + r] = score[p];
    r++;
  }
}

/** RerankItems over unit item factors (nItems × k), an item-genre CSR (first entry = primary genre) and per-title freshness. */
export function rerankItems(unit: Float32Array, k: number, itemGenres: Csr, fresh?: ArrayLike<number>): RerankItems {
  return {
    sim: (a, b) => cos(unit, k, a, b),
    primaryGenre: (i) => (itemGenres.indptr[i + 1] > itemGenres.indptr[i] ? itemGenres.indices[itemGenres.indptr[i]] : -1),
    fresh: (i) => (fresh ? fresh[i] : 0),
  };
}

/**
 * MMR over one list (rerankList without genre cap or freshness): `idx`/`score` best first
 * (length n, −1 padding), re-ordered into out (length n): the first `depth` positions by MMR
 * with relevance weight λ, the rest in their original order.
 */
export function mmrRerank(idx: ArrayLike<number>, score: ArrayLike<number>, n: number, unit: Float32Array, k: number, lambda: number, depth: number, outIdx: Int32Array, outScore: Float32Array, offset = 0): void {
  const items: RerankItems = { sim: (a, b) => cos(unit, k, a, b), primaryGenre: () => -1, fresh: () => 0 };
  rerankList(idx, score, n, items, { diversity: 1 - lambda, genreCap: 0, freshness: 0, depth }, outIdx, outScore, offset);
}

/** A Recommender whose lists are `base`'s re-ranked by rerankList (diversity, genre cap, freshness). */
export function rerankRecommender(base: Recommender, items: RerankItems, knobs: RerankKnobs): Recommender {
  return {
    kind: `rerank-${base.kind}`,
    k: base.k,
    userVector: (u) => base.userVector(u),
    async topN(users, seen, n) {
      const top = await base.topN(users, seen, n);
      if (rerankOff(knobs)) return top;
      const idx = new Int32Array(top.idx.length);
      const score = new Float32Array(top.score.length);
      for (let j = 0; j < users.length; j++) rerankList(top.idx.subarray(j * n, (j + 1) * n), top.score.subarray(j * n, (j + 1) * n), n, items, knobs, idx, score, j * n);
      return { n, idx, score };
    },
  };
}

/** A Recommender whose lists are `base`'s re-ranked by MMR over the first `depth` positions. */
export function mmrRecommender(base: Recommender, unit: Float32Array, k: number, lambda: number, depth: number): Recommender {
  return {
    kind: `mmr-${base.kind}`,
    k: base.k,
    userVector: (u) => base.userVector(u),
    async topN(users, seen, n) {
      const top = await base.topN(users, seen, n);
      const idx = new Int32Array(top.idx.length);
      const score = new Float32Array(top.score.length);
      for (let j = 0; j < users.length; j++) mmrRerank(top.idx.subarray(j * n, (j + 1) * n), top.score.subarray(j * n, (j + 1) * n), n, unit, k, lambda, depth, idx, score, j * n);
      return { n, idx, score };
    },
  };
}
