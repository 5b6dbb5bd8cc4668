import { describe, expect, it } from 'vitest';
import { ANN_MARGIN, annNeighbours, titleNeighbours, type AnnIndex } from '../../api/neighbours';

// An exact inner-product "index" over n titles in 2-d that counts its searches; distances are
// 1 − x·y like hnswlib's 'ip' space, returned in no particular order.
function exactIndex(Y: Float32Array, n: number) {
  const calls = { plain: 0, filtered: 0 };
  const ann: AnnIndex = {
    searchKnn(q, k, filter) {
      if (filter) calls.filtered++;
      else calls.plain++;
      const ids = [...Array(n).keys()].filter((i) => !filter || filter(i));
      const d = (i: number) => 1 - (q[0] * Y[2 * i] + q[1] * Y[2 * i + 1]);
      const top = ids.sort((a, b) => d(a) - d(b) || a - b).slice(0, k).reverse();
      return { neighbors: top, distances: top.map(d) };
    },
    setEf() {},
    getCurrentCount: () => n,
  };
  return { ann, calls };
}

const N = 60;
const Y = new Float32Array(2 * N);
for (let i = 0; i < N; i++) {
  Y[2 * i] = Math.cos(i / 10);
  Y[2 * i + 1] = Math.sin(i / 10);
}

describe('title neighbours', () => {
  it('equal the search of the title vector, and a second request for the title searches nothing', () => {
    const { ann, calls } = exactIndex(Y, N);
    const accept = (i: number) => i % 7 !== 0;
    const want = annNeighbours(ann, 64, Y.subarray(20, 22), 12, accept);
    calls.plain = 0;
    expect(titleNeighbours(ann, 64, Y, 2, 10, 12, accept)).toEqual(want);
    expect(titleNeighbours(ann, 64, Y, 2, 10, 12, accept)).toEqual(want);
    expect(titleNeighbours(ann, 64, Y, 2, 10, 5, accept)).toEqual(want.slice(0, 5)); // shallower: a prefix of the cached search
    expect(calls.plain).toBe(1);
  });

  it('when the caller refuses more than the spare results, one filtered search fills the list', () => {
    const { ann, calls } = exactIndex(Y, N);
    // Title 30 and its nearest on both sides: more than the n + ANN_MARGIN searched unfiltered.
    const refused = new Set([...Array(8 + ANN_MARGIN + 1).keys()].map((j) => 18 + j));
    const got = titleNeighbours(ann, 64, Y, 2, 30, 8, (i) => !refused.has(i));
    expect(got).toHaveLength(8);
    expect(got.some((i) => refused.has(i))).toBe(false);
    expect(calls.filtered).toBe(1);
  });
});
