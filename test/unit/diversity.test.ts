import { describe, expect, it } from 'vitest';
import { listStats, mmrRerank, normalizeRows } from '../../model/diversity';
import type { Csr } from '../../model/types';

// Four titles on two axes: 0 and 1 are near-duplicates, 2 and 3 point elsewhere.
const unit = normalizeRows(Float32Array.from([1, 0, 0.99, 0.1, 0, 1, 0.1, 0.99]), 2);
const genres: Csr = { nRows: 4, nCols: 2, indptr: Int32Array.from([0, 1, 2, 3, 4]), indices: Int32Array.from([0, 0, 1, 1]), values: new Float32Array(4).fill(1) };

describe('beyond-accuracy figures and MMR', () => {
  it('scores a list of near-duplicates as less diverse than a varied one', () => {
    const ctx = { unit, k: 2, itemGenres: genres, nGenres: 2, popularity: [100, 50, 10, 1], nUsers: 100 };
    const same = listStats([0, 1], 10, ctx);
    const varied = listStats([0, 2], 10, ctx);
    expect(varied.ild).toBeGreaterThan(same.ild + 0.5);
    expect(same.genreCoverage).toBe(0.5);
    expect(varied.genreCoverage).toBe(1);
    expect(listStats([3], 10, ctx).novelty).toBeCloseTo(Math.log2(100), 10); // seen by 1 user in 100
  });

  it('keeps the order at λ = 1 and lifts a different title over a near-duplicate at lower λ', () => {
    const idx = Int32Array.from([0, 1, 2, 3]), score = Float32Array.from([1, 0.95, 0.9, 0.5]);
    const outI = new Int32Array(4), outS = new Float32Array(4);
    mmrRerank(idx, score, 4, unit, 2, 1, 4, outI, outS);
    expect(Array.from(outI)).toEqual([0, 1, 2, 3]);
    mmrRerank(idx, score, 4, unit, 2, 0.5, 4, outI, outS);
    expect(Array.from(outI.subarray(0, 2))).toEqual([0, 2]);
    expect(new Set(outI)).toEqual(new Set([0, 1, 2, 3])); // a permutation: nothing lost
  });
});
