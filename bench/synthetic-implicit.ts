// The synthetic implicit-feedback matrices of bench:train (and bench:train-vs-implicit): seeded
// power-law users and items, built in-process so every run trains on the same data.
import type { Csr } from '../model/types';
import { mulberry32 as rng } from '../model/random';

export interface Case {
  name: string;
  users: number;
  items: number;
  interactions: number;
}

export const CASES: Case[] = [
  { name: 'a', users: 70_000, items: 20_000, interactions: 5_000_000 },
  { name: 'b', users: 140_000, items: 20_000, interactions: 10_000_000 },
];

/**
 * Users' activity ~ Pareto (tail exponent 1.5, at least 5 items), items' popularity ~ Zipf
 * (1/(rank+10)^0.9); each user's items drawn by popularity without repeats, confidence 1 + a
 * small repeat-watch bonus. Activity is rescaled so the total lands near `interactions`.
 */
export function syntheticImplicit(c: Case, seed: number): Csr {
  const rand = rng(seed);
  const cdf = new Float64Array(c.items);
  let acc = 0;
  for (let i = 0; i < c.items; i++) cdf[i] = acc += 1 / Math.pow(i + 10, 0.9);
  for (let i = 0; i < c.items; i++) cdf[i] /= acc;
  const raw = new Float64Array(c.users);
  let rawSum = 0;
  for (let u = 0; u < c.users; u++) rawSum += raw[u] = Math.pow(1 - rand(), -1 / 1.5);
  const indptr = new Int32Array(c.users + 1);
  const counts = new Int32Array(c.users);
  // The clamp to [5, items/4] moves the total: re-aim the scale a few times.
  for (let it = 0, scale = c.interactions / rawSum; it < 4; it++) {
    for (let u = 0; u < c.users; u++) {
      counts[u] = Math.max(5, Math.min(Math.round(raw[u] * scale), Math.floor(c.items / 4)));
      indptr[u + 1] = indptr[u] + counts[u];
    }
    scale *= c.interactions / indptr[c.users];
  }
  const indices = new Int32Array(indptr[c.users]);
  const values = new Float32Array(indptr[c.users]);
  const seen = new Uint32Array(c.items); // stamp u+1 when user u holds item i
  let nnz = 0;
  const row = new Int32Array(c.items);
  for (let u = 0; u < c.users; u++) {
    const start = nnz;
    let n = 0;
    while (n < counts[u]) {
      const x = rand();
      let lo = 0, hi = c.items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      if (seen[lo] === u + 1) continue;
      seen[lo] = u + 1;
      row[n++] = lo;
    }
    const sorted = row.subarray(0, n).sort();
    indices.set(sorted, start);
    for (let j = 0; j < n; j++) values[start + j] = 1 + (rand() < 0.1 ? 0.5 : 0);
    nnz += n;
    indptr[u + 1] = nnz;
  }
  return { nRows: c.users, nCols: c.items, indptr, indices: indices.subarray(0, nnz), values: values.subarray(0, nnz) };
}
