import { describe, expect, it } from 'vitest';
import { foldInUser, prepareFoldIn } from '../../model/foldin';
import { createCgScratch, solveRowsCg } from '../../model/ials-kernel';
import { gram } from '../../model/linalg';
import { mulberry32 as rng } from '../../model/random';


describe('foldInUser', () => {
  const r = rng(3);
  const k = 16, nItems = 200, alpha0 = 0.02, lambda = 0.1, nu = 1;
  const y = new Float32Array(nItems * k).map(() => (r() - 0.5) * 0.6);
  const g = prepareFoldIn(y, nItems, k, alpha0);

  it('prepareFoldIn is α0·YᵀY', () => {
    const raw = gram(y, nItems, k);
    for (let i = 0; i < k * k; i += 17) expect(g[i]).toBeCloseTo(alpha0 * raw[i], 10);
  });

  it("reproduces a training user's factor after a converged user step", () => {
    const items = [3, 17, 42, 99, 150, 151, 180];
    const conf = [1, 2, 1, 1.5, 1, 3, 1];
    const fold = foldInUser(y, k, g, items, conf, lambda, nu, alpha0, nItems);
    // The training side: CG run to convergence on the same row, from a random start.
    const x = new Float32Array(k).map(() => r() - 0.5);
    const rawGram = gram(y, nItems, k);
    solveRowsCg(x, y, k, Int32Array.from([0, items.length]), Int32Array.from(items), Float32Array.from(conf), rawGram, alpha0, lambda, nu, nItems, 3 * k, 0, 1, createCgScratch(k));
    for (let t = 0; t < k; t++) expect(fold[t]).toBeCloseTo(x[t], 4);
    // and it is a real answer, not zeros
    expect(Math.hypot(...fold)).toBeGreaterThan(0.1);
  });

  it('a user with no history folds in to the zero vector', () => {
    expect(Array.from(foldInUser(y, k, g, [], [], lambda, nu, alpha0, nItems))).toEqual(new Array(k).fill(0));
  });

  it('rejects an item index outside the catalog', () => {
    expect(() => foldInUser(y, k, g, [nItems], [1], lambda, nu, alpha0, nItems)).toThrow(RangeError);
  });
});
