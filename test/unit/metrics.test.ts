import { describe, expect, it } from 'vitest';
import { evaluateRankings } from '../../model/metrics';
import { popularityRanking, rankForUsers, trendingRanking } from '../../model/popularity';
import type { Csr } from '../../model/types';

function csr(rows: number[][], nCols: number): Csr {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
  const indices = Int32Array.from(rows.flatMap((r) => [...r].sort((a, b) => a - b)));
  return { nRows: rows.length, nCols, indptr, indices, values: new Float32Array(indices.length).fill(1) };
}

const nItems = 16;
const popularity = Float32Array.from({ length: nItems }, (_, i) => i); // popularity[i] = i
// Worked by hand (see each user's comment); n = 10.
const ranked = Int32Array.from([
  5, 1, 7, 2, 8, 9, 10, 11, 0, 3, // user 0: rel {1, 2} at positions 1 and 3
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, //   user 1: rel {4, 15} — 4 at position 4, 15 never
  12, 13, 14, 15, -1, -1, -1, -1, -1, -1, // user 2: no relevant items → skipped
]);
const relevant = csr([[1, 2], [4, 15], []], nItems);
const L = (p: number) => 1 / Math.log2(p + 2);

describe('evaluateRankings', () => {
  const m = evaluateRankings({ ranked, n: 10, relevant, popularity });

  it('counts only users with held-out items', () => {
    expect(m.users).toBe(2);
  });

  it('recall@K divides by min(K, |relevant|)', () => {
    // user 0: 2/min(10,2) = 1; user 1: 1/min(10,2) = 0.5
    expect(m.recall_10).toBeCloseTo(0.75, 12);
    expect(m.recall_20).toBeCloseTo(0.75, 12); // lists end at 10: no more hits
    expect(m.recall_50).toBeCloseTo(0.75, 12);
  });

  it('NDCG uses binary gains and the ideal DCG of min(K, |relevant|) hits', () => {
    const u0 = (L(1) + L(3)) / (L(0) + L(1)); // 1.06160 / 1.63093 = 0.65092
    const u1 = L(4) / (L(0) + L(1)); //          0.38685 / 1.63093 = 0.23720
    expect(m.ndcg_10).toBeCloseTo((u0 + u1) / 2, 12);
    expect(m.ndcg_10).toBeCloseTo(0.444058, 5);
    expect(m.ndcg_100).toBeCloseTo((u0 + u1) / 2, 12);
  });

  it('MAP@10 averages precision at each hit over min(10, |relevant|)', () => {
    // user 0: (1/2 + 2/4) / 2 = 0.5; user 1: (1/5) / 2 = 0.1
    expect(m.map_10).toBeCloseTo(0.3, 12);
  });

  it('hit rate, coverage and mean popularity of the top-10', () => {
    expect(m.hitrate_10).toBe(1);
    // top-10 items of users 0 and 1: {0..11} → 12 of 16 titles (user 2 is not evaluated)
    expect(m.coverage_10).toBeCloseTo(12 / 16, 12);
    // popularity = item index: (5+1+7+2+8+9+10+11+0+3 + 0+…+9) / 20 = (56 + 45) / 20
    expect(m.mean_pop_10).toBeCloseTo(5.05, 12);
  });

  it('a perfect list scores 1 even when the user has more relevant items than K', () => {
    const many = Array.from({ length: 15 }, (_, i) => i);
    const r = evaluateRankings({ ranked: Int32Array.from({ length: 10 }, (_, i) => i), n: 10, relevant: csr([many], nItems), popularity });
    expect(r.recall_10).toBe(1);
    expect(r.ndcg_10).toBeCloseTo(1, 12);
    expect(r.map_10).toBeCloseTo(1, 12);
  });

  it('slices: a user filter evaluates only those rows', () => {
    const onlyOne = evaluateRankings({ ranked, n: 10, relevant, popularity, users: [1] });
    expect(onlyOne.users).toBe(1);
    expect(onlyOne.recall_10).toBeCloseTo(0.5, 12);
    expect(onlyOne.map_10).toBeCloseTo(0.1, 12);
    const byPredicate = evaluateRankings({ ranked, n: 10, relevant, popularity, users: (r) => r === 0 });
    expect(byPredicate.recall_10).toBe(1);
  });
});

describe('baselines', () => {
  const train = csr([[0, 1], [1, 2], [1], [3]], 5);

  it('popularity ranks by training interactions, ties by lower index', () => {
    expect(Array.from(popularityRanking(train).ranking)).toEqual([1, 0, 2, 3, 4]);
  });

  it('rankForUsers drops each user’s training items and pads short lists', () => {
    const res = rankForUsers(popularityRanking(train), train, 0, 2, 4);
    expect(Array.from(res.idx)).toEqual([2, 3, 4, -1, 0, 3, 4, -1]);
  });

  it('trending counts only the window before the cutoff, ties broken by popularity', () => {
    const day = 86_400_000, cutoff = 100 * day;
    const items = [4, 4, 3, 2, 2, 2];
    const ts = [99 * day, 98 * day, 99.5 * day, 50 * day, 100 * day, 101 * day]; // item 2: too old / at or after the cutoff
    const g = trendingRanking(items, ts, 5, cutoff, 7, popularityRanking(train).scores);
    expect(Array.from(g.ranking)).toEqual([4, 3, 1, 0, 2]);
  });
});
