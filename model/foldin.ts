// Fold-in of a user who is not in the trained model (or whose history changed since): the exact
// user-side iALS solve against fixed item factors, for serving. With the Gram α0·YᵀY prepared once
// per model, a user with m items costs m·k² (their outer products) + k³/3 (Cholesky).
import { choleskyInPlace, choleskySolveInPlace, gram } from './linalg';
import { rowLambda } from './ials-kernel';

/** α0·YᵀY (k×k, Float64) of the item factors (nItems × k, row-major): once per model. */
export function prepareFoldIn(itemFactors: Float32Array, nItems: number, k: number, alpha0: number): Float64Array {
  const g = gram(itemFactors, nItems, k);
  for (let i = 0; i < g.length; i++) g[i] *= alpha0;
  return g;
}

// Scratch reused across calls (serving is single-threaded per process): no allocation per user
// beyond the returned vector.
let scratchK = 0;
let a = new Float64Array(0);
let b = new Float64Array(0);

/**
 * x_u ← (Σ_i c_i y_i y_iᵀ + α0·YᵀY + λ_u I)⁻¹ Σ_i c_i y_i,  λ_u = λ (|items| + α0·nItems)^ν
 * — the minimiser of the user's part of the training loss (see ials.ts), solved by Cholesky.
 * `items` are item indices (duplicates add up), `conf` their confidences (same length).
 */
export function foldInUser(
  itemFactors: Float32Array,
  k: number,
  gramAlpha0: Float64Array,
  items: ArrayLike<number>,
  conf: ArrayLike<number>,
  lambda: number,
  nu: number,
  alpha0: number,
  nItems: number,
): Float32Array {
  if (items.length !== conf.length) throw new RangeError(`items (${items.length}) and conf (${conf.length}) differ in length`);
  if (gramAlpha0.length < k * k) throw new RangeError(`gram needs ${k * k} entries, got ${gramAlpha0.length}`);
  const m = items.length;
  const x = new Float32Array(k);
  if (m === 0) return x;
  if (scratchK !== k) {
    scratchK = k;
    a = new Float64Array(k * k);
    b = new Float64Array(k);
  }
  const lam = rowLambda(lambda, nu, alpha0, m, nItems);
  for (let i = 0; i < k * k; i++) a[i] = gramAlpha0[i];
  for (let i = 0; i < k; i++) a[i * k + i] += lam;
  b.fill(0);
  for (let j = 0; j < m; j++) {
    const item = items[j], c = conf[j];
    if (!(item >= 0 && item < nItems && Number.isInteger(item))) throw new RangeError(`item index ${item} is outside [0, ${nItems})`);
    const o = item * k;
    // lower triangle only: choleskyInPlace reads a[i][p] for p ≤ i
    for (let r = 0; r < k; r++) {
      const cy = c * itemFactors[o + r];
      b[r] += cy;
      const row = r * k;
      for (let s = 0; s <= r; s++) a[row + s] += cy * itemFactors[o + s];
    }
  }
  choleskyInPlace(a, k);
  choleskySolveInPlace(a, k, b);
  for (let t = 0; t < k; t++) x[t] = b[t];
  return x;
}
