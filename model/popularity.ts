// Baselines evaluated beside iALS by the same code: global popularity and recent trending, each a
// fixed global ranking, turned into per-user top-N lists (training items removed) by rankForUsers.
import type { Csr } from './types';
import type { TopNResult } from './score';

export interface GlobalRanking {
  ranking: Int32Array; // all item indices, best first
  scores: Float32Array; // nItems, the score each item was ranked by
}

/** Items by score descending; ties by `tieBreak` descending, then by lower index. */
export function rankByScores(scores: Float32Array, tieBreak?: ArrayLike<number>): GlobalRanking {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || (tieBreak ? tieBreak[b] - tieBreak[a] : 0) || a - b);
  return { ranking: Int32Array.from(order), scores };
}

/** Popularity: number of positive training interactions (entries with value > 0) per item. */
export function popularityRanking(train: Csr): GlobalRanking {
  const counts = new Float32Array(train.nCols);
  const nnz = train.indptr[train.nRows];
  for (let j = 0; j < nnz; j++) if (train.values[j] > 0) counts[train.indices[j]]++;
  return rankByScores(counts);
}

/**
 * Trending: interactions in the `windowDays` days before `cutoffMs` (ts in ms since the epoch;
 * events at or after the cutoff are ignored, they are the future). Ties (e.g. many items with no
 * recent event) are broken by `tieBreak` (typically the popularity counts), then by index.
 */
export function trendingRanking(
  items: ArrayLike<number>,
  tsMs: ArrayLike<number>,
  nItems: number,
  cutoffMs: number,
  windowDays: number,
  tieBreak?: ArrayLike<number>,
): GlobalRanking {
  if (items.length !== tsMs.length) throw new RangeError(`items (${items.length}) and timestamps (${tsMs.length}) differ in length`);
  if (!(windowDays > 0)) throw new RangeError(`windowDays must be > 0, got ${windowDays}`);
  const from = cutoffMs - windowDays * 86_400_000;
  const counts = new Float32Array(nItems);
  for (let j = 0; j < items.length; j++) {
    const t = tsMs[j];
    if (t >= from && t < cutoffMs) {
      const i = items[j];
      if (!(i >= 0 && i < nItems)) throw new RangeError(`item index ${i} is outside [0, ${nItems})`);
      counts[i]++;
    }
  }
  return rankByScores(counts, tieBreak);
}

/** Trending from a Csr of the recent window's interactions (rows = users): counts per item. */
export function trendingRankingFromCsr(recent: Csr, tieBreak?: ArrayLike<number>): GlobalRanking {
  const counts = new Float32Array(recent.nCols);
  const nnz = recent.indptr[recent.nRows];
  for (let j = 0; j < nnz; j++) counts[recent.indices[j]]++;
  return rankByScores(counts, tieBreak);
}

/**
 * Per-user top-N from a fixed global ranking: users [userStart, userEnd) of `train`, each list
 * skipping that user's training items, padded with −1 / −Infinity. Same shape as score.ts.
 */
export function rankForUsers(g: GlobalRanking, train: Csr, userStart: number, userEnd: number, n: number): TopNResult {
  if (!(0 <= userStart && userStart <= userEnd && userEnd <= train.nRows)) throw new RangeError(`user range [${userStart}, ${userEnd}) is outside [0, ${train.nRows})`);
  if (g.ranking.length !== train.nCols) throw new RangeError(`ranking has ${g.ranking.length} items, train ${train.nCols}`);
  const m = userEnd - userStart;
  const idx = new Int32Array(m * n).fill(-1);
  const score = new Float32Array(m * n).fill(-Infinity);
  const stamp = new Int32Array(train.nCols).fill(-1);
  for (let u = userStart; u < userEnd; u++) {
    for (let j = train.indptr[u]; j < train.indptr[u + 1]; j++) stamp[train.indices[j]] = u;
    const o = (u - userStart) * n;
    let p = 0;
    for (let r = 0; r < g.ranking.length && p < n; r++) {
      const item = g.ranking[r];
      if (stamp[item] === u) continue;
      idx[o + p] = item;
      score[o + p] = g.scores[item];
      p++;
    }
  }
  return { n, idx, score };
}
