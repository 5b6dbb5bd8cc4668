import { describe, expect, it } from 'vitest';
import { createCgScratch, rowLambda, solveRowsCg, solveRowsCgSimd } from '../../model/ials-kernel';
import { ialsLoss, trainIals, transposeCsr, type IalsConfig } from '../../model/ials';
import { gram, solveSpd } from '../../model/linalg';
import { evaluateRankings } from '../../model/metrics';
import { popularityRanking, rankForUsers } from '../../model/popularity';
import { createJsScorer, scoreRangeWith } from '../../model/score';
import type { Csr } from '../../model/types';
import { mulberry32 as rng } from '../../model/random';


function csrFromRows(rows: number[][], nCols: number, conf?: (r: number, j: number) => number): Csr {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
  const indices = Int32Array.from(rows.flatMap((r) => [...r].sort((a, b) => a - b)));
  const values = new Float32Array(indices.length);
  rows.forEach((_, r) => {
    for (let j = indptr[r]; j < indptr[r + 1]; j++) values[j] = conf ? conf(r, j) : 1;
  });
  return { nRows: rows.length, nCols, indptr, indices, values };
}

/** Users in `groups` taste groups; each watches mostly titles of its own group. */
function plantedData(seed: number, nUsers = 300, nItems = 120, groups = 6, perUser = 12) {
  const r = rng(seed);
  const train: number[][] = [], held: number[][] = [];
  const groupSize = nItems / groups;
  for (let u = 0; u < nUsers; u++) {
    const g = u % groups;
    const s = new Set<number>();
    while (s.size < perUser + 2) {
      // 90% from the own group, 10% from the global head (popular titles 0..9)
      s.add(r() < 0.9 ? g * groupSize + Math.floor(r() * groupSize) : Math.floor(r() * 10));
    }
    const items = [...s];
    held.push(items.slice(perUser).filter((i) => i >= 10)); // hold out own-group titles
    train.push(items.slice(0, perUser));
  }
  return { train: csrFromRows(train, nItems), held: csrFromRows(held, nItems), nUsers, nItems };
}

const baseCfg: IalsConfig = { factors: 8, epochs: 6, alpha0: 0.05, lambda: 0.05, nu: 1, cgSteps: 3, seed: 7, threads: 2 };

describe('conjugate-gradient row solve', () => {
  const k = 8, nItems = 30;
  const r = rng(1);
  const y = new Float32Array(nItems * k).map(() => r() - 0.5);
  const items = [2, 5, 11, 17, 23, 29];
  const conf = [1, 2.5, 1, 4, 1.5, 1];
  const one: Csr = { nRows: 1, nCols: nItems, indptr: Int32Array.from([0, items.length]), indices: Int32Array.from(items), values: Float32Array.from(conf) };
  const alpha0 = 0.1, lambda = 0.05, nu = 1;
  const g = gram(y, nItems, k);
  // Direct: A = Σ c y yᵀ + α0 YᵀY + λ_u I, b = Σ c y
  const a = new Float64Array(k * k), b = new Float64Array(k);
  for (let i = 0; i < k * k; i++) a[i] = alpha0 * g[i];
  const lam = rowLambda(lambda, nu, alpha0, items.length, nItems);
  for (let i = 0; i < k; i++) a[i * k + i] += lam;
  items.forEach((it, j) => {
    for (let p = 0; p < k; p++) {
      b[p] += conf[j] * y[it * k + p];
      for (let q = 0; q < k; q++) a[p * k + q] += conf[j] * y[it * k + p] * y[it * k + q];
    }
  });
  const direct = solveSpd(a, k, b);

  it('k steps from a random start reach the direct Cholesky solution of the same normal equations', () => {
    const x = new Float32Array(k).map(() => r() - 0.5);
    solveRowsCg(x, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, k + 2, 0, 1, createCgScratch(k));
    for (let t = 0; t < k; t++) expect(x[t]).toBeCloseTo(direct[t], 4);
  });

  it('the WASM SIMD kernel reaches the same solution', () => {
    const x = new Float32Array(k).map(() => r() - 0.5);
    solveRowsCgSimd(x, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, k + 2, 0, 1);
    for (let t = 0; t < k; t++) expect(x[t]).toBeCloseTo(direct[t], 3);
  });

  it('a row too long to copy in order (the in-place path) reaches the same solution', () => {
    const x0 = new Float32Array(k).map(() => r() - 0.5);
    const copied = Float32Array.from(x0), inPlace = Float32Array.from(x0);
    solveRowsCgSimd(copied, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, 3, 0, 1);
    solveRowsCgSimd(inPlace, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, 3, 0, 1, 0);
    expect(Array.from(inPlace)).toEqual(Array.from(copied));
    solveRowsCgSimd(inPlace, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, k + 2, 0, 1, 0);
    for (let t = 0; t < k; t++) expect(inPlace[t]).toBeCloseTo(direct[t], 3);
  });

  it('three warm-started steps already get most of the way from zero', () => {
    const x = new Float32Array(k);
    solveRowsCg(x, y, k, one.indptr, one.indices, one.values, g, alpha0, lambda, nu, nItems, 3, 0, 1, createCgScratch(k));
    let err = 0, norm = 0;
    for (let t = 0; t < k; t++) {
      err += (x[t] - direct[t]) ** 2;
      norm += direct[t] ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(0.5);
  });
});

describe('trainIals', () => {
  const { train, held, nUsers, nItems } = plantedData(11);
  const byItem = transposeCsr(train);

  it('transposeCsr swaps rows and columns and keeps indices ascending', () => {
    const m = csrFromRows([[0, 2], [1], [2, 0]], 3, (_r, j) => j + 1);
    const t = transposeCsr(m);
    expect(Array.from(t.indptr)).toEqual([0, 2, 3, 5]);
    expect(Array.from(t.indices)).toEqual([0, 2, 1, 0, 2]);
    expect(Array.from(t.values)).toEqual([1, 4, 3, 2, 5]);
    expect(transposeCsr(t)).toEqual(m);
  });

  it('the training loss goes down every epoch and matches ialsLoss of the final factors', async () => {
    const losses: number[] = [];
    const res = await trainIals(train, byItem, baseCfg, { computeLoss: true, lossEvery: 1, onEpoch: (e) => void losses.push(e.loss!) });
    expect(res.epochs).toBe(baseCfg.epochs);
    expect(losses).toHaveLength(baseCfg.epochs);
    for (let e = 1; e < losses.length; e++) expect(losses[e]).toBeLessThan(losses[e - 1]);
    const direct = ialsLoss(train, res, baseCfg);
    expect(Math.abs(direct - losses.at(-1)!) / direct).toBeLessThan(1e-4);
  });

  it('with the loss every 4 epochs, it is reported after epochs 4 and the last, and the factors do not change', async () => {
    const cfg = { ...baseCfg, epochs: 6 };
    const every: (number | undefined)[] = [], sparse: (number | undefined)[] = [];
    const a = await trainIals(train, byItem, cfg, { computeLoss: true, lossEvery: 1, onEpoch: (e) => void every.push(e.loss) });
    const b = await trainIals(train, byItem, cfg, { computeLoss: true, lossEvery: 4, onEpoch: (e) => void sparse.push(e.loss) });
    const c = await trainIals(train, byItem, cfg);
    expect(sparse.map((l) => l !== undefined)).toEqual([false, false, false, true, false, true]);
    expect(sparse[3]).toBe(every[3]);
    expect(sparse[5]).toBe(every[5]);
    for (const other of [b, c]) {
      expect(Buffer.from(other.userFactors.buffer).equals(Buffer.from(a.userFactors.buffer))).toBe(true);
      expect(Buffer.from(other.itemFactors.buffer).equals(Buffer.from(a.itemFactors.buffer))).toBe(true);
    }
    await expect(trainIals(train, byItem, cfg, { computeLoss: true, lossEvery: 0 })).rejects.toThrow(/lossEvery must be a positive integer/);
  });

  it('the WASM SIMD kernel trains the same factors as the scalar-JS kernel, up to f32 rounding', async () => {
    const cfg = { ...baseCfg, epochs: 3 };
    const simd = await trainIals(train, byItem, { ...cfg, simd: true });
    const js = await trainIals(train, byItem, { ...cfg, simd: false });
    for (const key of ['userFactors', 'itemFactors'] as const) {
      let diff = 0, scale = 0;
      for (let i = 0; i < js[key].length; i++) {
        diff = Math.max(diff, Math.abs(simd[key][i] - js[key][i]));
        scale = Math.max(scale, Math.abs(js[key][i]));
      }
      expect(diff).toBeGreaterThan(0); // the two kernels did run: they round differently
      expect(diff / scale).toBeLessThan(1e-4);
    }
  });

  it('recovers held-out titles of a planted taste structure far better than popularity', async () => {
    const model = await trainIals(train, byItem, { ...baseCfg, epochs: 10 });
    const n = 20;
    const ials = scoreRangeWith(createJsScorer(model.itemFactors, nItems, baseCfg.factors), model.userFactors, baseCfg.factors, train, 0, nUsers, n);
    const pop = popularityRanking(train);
    const base = rankForUsers(pop, train, 0, nUsers, n);
    const m = (idx: Int32Array) => evaluateRankings({ ranked: idx, n, relevant: held, popularity: pop.scores });
    const mi = m(ials.idx), mp = m(base.idx);
    expect(mi.users).toBeGreaterThan(100);
    expect(mi.recall_10).toBeGreaterThan(2 * mp.recall_10);
    expect(mi.recall_10).toBeGreaterThan(0.3);
  });

  it('the same seed gives the same factors on one thread or two', async () => {
    const a = await trainIals(train, byItem, { ...baseCfg, epochs: 2, threads: 1 });
    const b = await trainIals(train, byItem, { ...baseCfg, epochs: 2, threads: 2 });
    expect(Buffer.from(a.userFactors.buffer).equals(Buffer.from(b.userFactors.buffer))).toBe(true);
    expect(Buffer.from(a.itemFactors.buffer).equals(Buffer.from(b.itemFactors.buffer))).toBe(true);
  });

  it('resuming from an epoch-2 checkpoint ends where an uninterrupted run ends', async () => {
    const straight = await trainIals(train, byItem, { ...baseCfg, epochs: 4 });
    const half = await trainIals(train, byItem, { ...baseCfg, epochs: 2 });
    const resumed = await trainIals(train, byItem, { ...baseCfg, epochs: 4 }, { start: { ...half, epoch: 2 } });
    expect(resumed.epochs).toBe(4);
    expect(Buffer.from(resumed.userFactors.buffer).equals(Buffer.from(straight.userFactors.buffer))).toBe(true);
  });

  it('rejects a byItem that is not the transpose shape, negative confidences and indices outside the matrix', async () => {
    await expect(trainIals(train, train, baseCfg)).rejects.toThrow(RangeError);
    const bad = { ...train, values: train.values.map((v, j) => (j === 3 ? -1 : v)) };
    await expect(trainIals(bad, byItem, baseCfg)).rejects.toThrow(/confidence must be finite and ≥ 0/);
    const outside = { ...train, indices: train.indices.map((c, j) => (j === 5 ? nItems : c)) };
    await expect(trainIals(outside, byItem, baseCfg)).rejects.toThrow(/byUser.indices\[5\] = 120 is outside \[0, 120\)/);
  });
});
