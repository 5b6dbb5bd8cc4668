import { describe, expect, it } from 'vitest';
import { TopN, topN } from '../../model/topk';
import { createJsScorer, scoreRangeWith } from '../../model/score';
import type { Csr } from '../../model/types';
import { mulberry32 as rng } from '../../model/random';


/** Reference: full sort by score descending, ties by lower index, excluded removed. */
function fullSort(scores: Float32Array, n: number, exclude: number[]): number[] {
  const ex = new Set(exclude);
  return Array.from(scores.keys())
    .filter((i) => !ex.has(i))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, n);
}

describe('TopN', () => {
  const r = rng(5);
  for (const len of [50, 3000, 40_000]) {
    for (const n of [1, 7, 100]) {
      it(`equals a full sort with ties broken by lower index (len ${len}, n ${n})`, () => {
        // Few distinct values: many ties.
        const scores = new Float32Array(len).map(() => Math.floor(r() * 40) / 4);
        const exclude = Array.from({ length: 20 }, () => Math.floor(r() * len));
        const before = scores.slice();
        const got = topN(scores, n, exclude);
        const want = fullSort(scores, n, exclude);
        expect(Array.from(got.idx.subarray(0, want.length))).toEqual(want);
        expect(Array.from(got.score.subarray(0, want.length))).toEqual(want.map((i) => scores[i]));
        expect(scores).toEqual(before); // exclusion marks are undone
      });
    }
  }

  it('equals a full sort on distinct scores where a sampled threshold is used', () => {
    const scores = new Float32Array(60_000).map(() => r() * 2 - 1);
    const got = topN(scores, 500, [3, 4, 5]);
    expect(Array.from(got.idx)).toEqual(fullSort(scores, 500, [3, 4, 5]));
  });

  it('pads with −1 when the catalog minus exclusions is shorter than n', () => {
    const got = topN(Float32Array.from([0.5, 0.9, 0.1]), 5, [1]);
    expect(Array.from(got.idx)).toEqual([0, 2, -1, -1, -1]);
    expect(got.score[2]).toBe(-Infinity);
  });

  it('writes at an offset inside a larger output and can be reused', () => {
    const t = new TopN(2);
    const idx = new Int32Array(6).fill(9), score = new Float32Array(6);
    t.select(Float32Array.from([1, 3, 2]), 0, 3, null, idx, score, 2);
    t.select(Float32Array.from([0, 5, 7, 6]), 1, 3, [1], idx, score, 4);
    expect(Array.from(idx)).toEqual([9, 9, 1, 2, 2, 0]);
  });
});

describe('scoreRangeWith', () => {
  it('gives each user the best items by dot product, minus their training items', () => {
    const r = rng(9);
    const k = 5, nUsers = 13, nItems = 40, n = 8;
    const x = new Float32Array(nUsers * k).map(() => r() - 0.5);
    const y = new Float32Array(nItems * k).map(() => r() - 0.5);
    const rows = Array.from({ length: nUsers }, (_, u) => [u, (u * 7) % nItems, (u * 3 + 1) % nItems].filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => a - b));
    const indptr = new Int32Array(nUsers + 1);
    rows.forEach((row, u) => (indptr[u + 1] = indptr[u] + row.length));
    const train: Csr = { nRows: nUsers, nCols: nItems, indptr, indices: Int32Array.from(rows.flat()), values: new Float32Array(indptr[nUsers]).fill(1) };
    const res = scoreRangeWith(createJsScorer(y, nItems, k), x, k, train, 2, nUsers, n, undefined, 0, 4);
    for (let u = 2; u < nUsers; u++) {
      const s = new Float32Array(nItems);
      for (let i = 0; i < nItems; i++) for (let t = 0; t < k; t++) s[i] += x[u * k + t] * y[i * k + t];
      expect(Array.from(res.idx.subarray((u - 2) * n, (u - 1) * n))).toEqual(fullSort(s, n, rows[u]));
    }
  });
});
