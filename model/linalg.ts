// Small dense linear algebra on flat row-major Float64Arrays: enough for k×k normal equations
// (fold-in of a user, reference solves in tests). No allocation inside the loops.

/** In place: A (n×n, symmetric positive definite) ← L, its lower Cholesky factor. */
export function choleskyInPlace(a: Float64Array, n: number): void {
  if (a.length < n * n) throw new RangeError(`matrix needs ${n * n} entries, got ${a.length}`);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let p = 0; p < j; p++) d -= a[j * n + p] * a[j * n + p];
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j} = ${d})`);
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = s / ljj;
    }
    for (let i = 0; i < j; i++) a[i * n + j] = 0;
  }
}

/** Solve L Lᵀ x = b given the factor from choleskyInPlace; b is overwritten with x. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  if (b.length < n) throw new RangeError(`rhs needs ${n} entries, got ${b.length}`);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[i * n + p] * b[p];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let p = i + 1; p < n; p++) s -= l[p * n + i] * b[p];
    b[i] = s / l[i * n + i];
  }
}

/** x = A⁻¹ b for SPD A (copies A; for tests and one-off solves). */
export function solveSpd(a: Float64Array, n: number, b: Float64Array): Float64Array {
  const l = Float64Array.from(a.subarray(0, n * n));
  const x = Float64Array.from(b.subarray(0, n));
  choleskyInPlace(l, n);
  choleskySolveInPlace(l, n, x);
  return x;
}

/** G = Yᵀ Y for Y (nRows × k, row-major Float32), accumulated in Float64. */
export function gram(y: Float32Array, nRows: number, k: number, out = new Float64Array(k * k)): Float64Array {
  if (y.length < nRows * k) throw new RangeError(`factors need ${nRows * k} entries, got ${y.length}`);
  out.fill(0);
  for (let r = 0; r < nRows; r++) {
    const o = r * k;
    for (let i = 0; i < k; i++) {
      const yi = y[o + i];
      if (yi === 0) continue;
      const row = i * k;
      for (let j = i; j < k; j++) out[row + j] += yi * y[o + j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) out[i * k + j] = out[j * k + i];
  return out;
}
