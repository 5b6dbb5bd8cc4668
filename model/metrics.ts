// Full-ranking offline metrics. Every user is ranked against the whole catalog minus their
// training items (model/score.ts, model/popularity.ts rankForUsers), so no sampled negatives.
//
// Definitions (rel = the user's held-out relevant items, list = their ranked item indices):
//   Recall@K   = |list[0..K) ∩ rel| / min(K, |rel|)   — min so a perfect list scores 1 even when a
//                user has more relevant items than K slots (the "normalised recall" of Liang et al.
//                2018); the plain |rel| denominator would cap heavy users far below 1.
//   NDCG@K     = DCG@K / IDCG@K, binary gains, DCG = Σ_{p<K, list[p]∈rel} 1/log2(p+2),
//                IDCG = Σ_{p<min(K,|rel|)} 1/log2(p+2).
//   MAP@10     = (1/min(10,|rel|)) Σ_{p<10, list[p]∈rel} precision@(p+1).
//   HitRate@10 = 1 if any of list[0..10) is relevant.
//   coverage_10 = distinct items over all evaluated users' top-10 / catalog size.
//   mean_pop_10 = mean popularity[item] over every (user, position < 10) recommended item.
// Per-user metrics are averaged over the evaluated users; users with no relevant item are skipped
// (they carry no signal) and not counted in `users`. Padding (−1) in a list is never relevant.
import type { Csr } from './types';

/** The metrics that are a mean over users (they get bootstrap intervals and paired comparisons). */
export const PER_USER_METRICS = ['recall_10', 'recall_20', 'recall_50', 'ndcg_10', 'ndcg_100', 'map_10', 'hitrate_10'] as const;
export type PerUserMetric = (typeof PER_USER_METRICS)[number];

/** A slice's metrics; `<metric>_lo`/`_hi` are the 95 % bootstrap interval over users (model/bootstrap.ts) where computed. */
export type Metrics = MetricsCore & Partial<Record<`${PerUserMetric}_lo` | `${PerUserMetric}_hi`, number>>;

interface MetricsCore {
  /** Beyond accuracy, over each user's top 10 (model/diversity.ts), when the evaluation has item factors and genres. */
  ild_10?: number;
  genre_coverage_10?: number;
  novelty_10?: number;
  /** Expected watch time@10: Σ held-out completion over the top 10's hits (titles' lengths as the unit), mean over users, with its interval; when the holdout carries completion. */
  watch_time_10?: number;
  watch_time_10_lo?: number;
  watch_time_10_hi?: number;
  users: number;
  recall_10: number;
  recall_20: number;
  recall_50: number;
  ndcg_10: number;
  ndcg_100: number;
  map_10: number;
  hitrate_10: number;
  coverage_10: number;
  mean_pop_10: number;
}

export interface RankingsInput {
  ranked: Int32Array; // nRows × n, item indices best first, −1 padding
  n: number; // list length per row
  relevant: Csr; // nRows × nItems: held-out relevant items, row r ↔ ranked row r
  popularity: ArrayLike<number>; // nItems, e.g. training interaction counts
  /** Slice: the rows to evaluate (indices or a predicate); default all rows. */
  users?: ArrayLike<number> | ((row: number) => boolean);
}

/** log2-discount 1/log2(p+2) for positions 0..n-1. */
function discounts(n: number): Float64Array {
  const d = new Float64Array(n);
  for (let p = 0; p < n; p++) d[p] = 1 / Math.log2(p + 2);
  return d;
}

/** Per evaluated user (rows with ≥ 1 relevant item, in row order): each per-user metric; plus the list-level figures. */
export interface UserMetrics {
  rows: Int32Array; // the evaluated rows
  values: Record<PerUserMetric, Float64Array>; // one value per evaluated row
  coverage_10: number;
  mean_pop_10: number;
}

export function evaluateRankings(input: RankingsInput): Metrics {
  const u = userMetrics(input);
  const mean = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    return x.length ? s / x.length : 0;
  };
  const out = { users: u.rows.length, coverage_10: u.coverage_10, mean_pop_10: u.mean_pop_10 } as Metrics;
  for (const m of PER_USER_METRICS) out[m] = mean(u.values[m]);
  return out;
}

export function userMetrics(input: RankingsInput): UserMetrics {
  const { ranked, n, relevant, popularity } = input;
  const nRows = relevant.nRows, nItems = relevant.nCols;
  if (ranked.length < nRows * n) throw new RangeError(`ranked needs ${nRows}×${n} entries, got ${ranked.length}`);
  if (popularity.length < nItems) throw new RangeError(`popularity needs ${nItems} entries, got ${popularity.length}`);
  const rows: number[] = [];
  if (input.users === undefined) for (let r = 0; r < nRows; r++) rows.push(r);
  else if (typeof input.users === 'function') {
    for (let r = 0; r < nRows; r++) if (input.users(r)) rows.push(r);
  } else {
    for (let j = 0; j < input.users.length; j++) {
      const r = input.users[j];
      if (!(Number.isInteger(r) && r >= 0 && r < nRows)) throw new RangeError(`user row ${r} is outside [0, ${nRows})`);
      rows.push(r);
    }
  }

  const disc = discounts(Math.max(n, 100));
  const stamp = new Int32Array(nItems).fill(-1); // stamp[item] = row while that row's rel is marked
  const shown = new Uint8Array(nItems);
  const evaluated: number[] = [];
  const cols: Record<PerUserMetric, number[]> = { recall_10: [], recall_20: [], recall_50: [], ndcg_10: [], ndcg_100: [], map_10: [], hitrate_10: [] };
  let popSum = 0, popCount = 0;
  for (const r of rows) {
    const a = relevant.indptr[r], b = relevant.indptr[r + 1];
    const nRel = b - a;
    if (nRel === 0) continue;
    evaluated.push(r);
    for (let j = a; j < b; j++) stamp[relevant.indices[j]] = r;
    const o = r * n;
    let hits = 0, dcg = 0, ap = 0;
    let hitsAt10 = 0, hitsAt20 = 0, hitsAt50 = 0, dcgAt10 = 0, dcgAt100 = 0;
    const limit = Math.min(n, 100);
    for (let p = 0; p < limit; p++) {
      const item = ranked[o + p];
      const isRel = item >= 0 && item < nItems && stamp[item] === r;
      if (p < 10 && item >= 0 && item < nItems) {
        shown[item] = 1;
        popSum += popularity[item];
        popCount++;
      }
      if (isRel) {
        hits++;
        dcg += disc[p];
        if (p < 10) ap += hits / (p + 1);
      }
      if (p === 9) {
        hitsAt10 = hits;
        dcgAt10 = dcg;
      }
      if (p === 19) hitsAt20 = hits;
      if (p === 49) hitsAt50 = hits;
    }
    // Lists shorter than a cut-off: the hits so far are all there are.
    if (limit < 10) {
      hitsAt10 = hits;
      dcgAt10 = dcg;
    }
    if (limit < 20) hitsAt20 = hits;
    if (limit < 50) hitsAt50 = hits;
    dcgAt100 = dcg;
    const idcg = (K: number) => {
      let s = 0;
      for (let p = 0; p < Math.min(K, nRel); p++) s += disc[p];
      return s;
    };
    cols.recall_10.push(hitsAt10 / Math.min(10, nRel));
    cols.recall_20.push(hitsAt20 / Math.min(20, nRel));
    cols.recall_50.push(hitsAt50 / Math.min(50, nRel));
    cols.ndcg_10.push(dcgAt10 / idcg(10));
    cols.ndcg_100.push(dcgAt100 / idcg(100));
    cols.map_10.push(ap / Math.min(10, nRel));
    cols.hitrate_10.push(hitsAt10 > 0 ? 1 : 0);
  }
  let distinct = 0;
  for (let i = 0; i < nItems; i++) distinct += shown[i];
  const values = {} as Record<PerUserMetric, Float64Array>;
  for (const m of PER_USER_METRICS) values[m] = Float64Array.from(cols[m]);
  return {
    rows: Int32Array.from(evaluated),
    values,
    coverage_10: nItems ? distinct / nItems : 0,
    mean_pop_10: popCount ? popSum / popCount : 0,
  };
}
