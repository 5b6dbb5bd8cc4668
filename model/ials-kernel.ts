// Row kernels of implicit ALS (Rendle et al. 2021 form), shared by the worker threads and the tests.
// Pure numerics on flat row-major Float32Arrays; scratch buffers are allocated once per thread and
// only grow, so the hot loops never allocate.
//
// For one row u (a user; the item side is the same with the roles swapped) the loss restricted to
// x_u is
//   Σ_{i∈I_u} c_ui (1 − x_uᵀy_i)² + α0 Σ_i (x_uᵀy_i)² + λ_u ‖x_u‖²,   λ_u = λ (|I_u| + α0·nItems)^ν
// whose minimiser solves the normal equations
//   A_u x_u = b_u,   A_u = Σ_{i∈I_u} c_ui y_i y_iᵀ + α0 YᵀY + λ_u I,   b_u = Σ_{i∈I_u} c_ui y_i.
// A_u is never formed (that costs |I_u|·k² per row); conjugate gradient needs only products A_u v,
// which cost k² (the shared Gram YᵀY, computed once per half-epoch) + 4k per observed item.
import { createSharedMemory, createSimdKernel, simdAvailable, type SimdKernel } from './simd-kernel';

/** Per-thread scratch: k-vectors in Float64 and a gather buffer for the row's partner vectors. */
export interface CgScratch {
  k: number;
  x: Float64Array; // k
  r: Float64Array; // k, residual b − A x
  p: Float64Array; // k, search direction
  ap: Float64Array; // k, A p
  buf: Float32Array; // ≥ n × k: the partner rows y_i of the current row, gathered contiguously
}

export function createCgScratch(k: number, maxRowNnz = 256): CgScratch {
  return {
    k,
    x: new Float64Array(k),
    r: new Float64Array(k),
    p: new Float64Array(k),
    ap: new Float64Array(k),
    buf: new Float32Array(Math.max(1, maxRowNnz) * k),
  };
}

/** The regulariser weight of a row with `n` observed cells: λ (n + α0·nOther)^ν. */
export function rowLambda(lambda: number, nu: number, alpha0: number, n: number, nOther: number): number {
  return lambda * Math.pow(n + alpha0 * nOther, nu);
}

/** out = G v for a k×k row-major G (Float64). */
function gemv(g: Float64Array, v: Float64Array, out: Float64Array, k: number): void {
  const k4 = k - (k & 3);
  for (let i = 0; i < k; i++) {
    const o = i * k;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j < k4; j += 4) {
      s0 += g[o + j] * v[j];
      s1 += g[o + j + 1] * v[j + 1];
      s2 += g[o + j + 2] * v[j + 2];
      s3 += g[o + j + 3] * v[j + 3];
    }
    for (; j < k; j++) s0 += g[o + j] * v[j];
    out[i] = s0 + s1 + s2 + s3;
  }
}

/** Dot of buf[off .. off+k) (Float32) with v (Float64). */
function dotRow(buf: Float32Array, off: number, v: Float64Array, k: number): number {
  const k4 = k - (k & 3);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t = 0;
  for (; t < k4; t += 4) {
    s0 += buf[off + t] * v[t];
    s1 += buf[off + t + 1] * v[t + 1];
    s2 += buf[off + t + 2] * v[t + 2];
    s3 += buf[off + t + 3] * v[t + 3];
  }
  for (; t < k; t++) s0 += buf[off + t] * v[t];
  return s0 + s1 + s2 + s3;
}

/** out += w · buf[off .. off+k). */
function axpyRow(buf: Float32Array, off: number, w: number, out: Float64Array, k: number): void {
  const k4 = k - (k & 3);
  let t = 0;
  for (; t < k4; t += 4) {
    out[t] += w * buf[off + t];
    out[t + 1] += w * buf[off + t + 1];
    out[t + 2] += w * buf[off + t + 2];
    out[t + 3] += w * buf[off + t + 3];
  }
  for (; t < k; t++) out[t] += w * buf[off + t];
}

function dot64(a: Float64Array, b: Float64Array, k: number): number {
  let s = 0;
  for (let t = 0; t < k; t++) s += a[t] * b[t];
  return s;
}

/**
 * Update rows [rowStart, rowEnd) of `x` (nRows × k) by `cgSteps` conjugate-gradient steps on each
 * row's normal equations, warm-started from the current x. `y` (nOther × k) is the fixed side,
 * `gram` its raw Gram YᵀY (k×k, Float64). csr (indptr/indices/values) lists each row's observed
 * partners and confidences c. A row with no observations has the exact solution 0.
 */
export function solveRowsCg(
  x: Float32Array,
  y: Float32Array,
  k: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  gram: Float64Array,
  alpha0: number,
  lambda: number,
  nu: number,
  nOther: number,
  cgSteps: number,
  rowStart: number,
  rowEnd: number,
  s: CgScratch,
): void {
  const xv = s.x, r = s.r, p = s.p, ap = s.ap;
  for (let u = rowStart; u < rowEnd; u++) {
    const a = indptr[u];
    const n = indptr[u + 1] - a;
    const xo = u * k;
    if (n === 0) {
      for (let t = 0; t < k; t++) x[xo + t] = 0;
      continue;
    }
    const lam = rowLambda(lambda, nu, alpha0, n, nOther);
    if (s.buf.length < n * k) s.buf = new Float32Array(Math.max(n, (s.buf.length / k) * 2) * k);
    const buf = s.buf;
    for (let j = 0; j < n; j++) {
      const src = indices[a + j] * k, dst = j * k;
      for (let t = 0; t < k; t++) buf[dst + t] = y[src + t];
    }
    for (let t = 0; t < k; t++) xv[t] = x[xo + t];

    // r ← b − A x = Σ_i c_i (1 − y_iᵀx) y_i − α0·YᵀY x − λ_u x   (warm start from the previous x)
    gemv(gram, xv, r, k);
    for (let t = 0; t < k; t++) r[t] = -alpha0 * r[t] - lam * xv[t];
    for (let j = 0; j < n; j++) {
      const off = j * k;
      const c = values[a + j];
      axpyRow(buf, off, c * (1 - dotRow(buf, off, xv, k)), r, k);
    }
    for (let t = 0; t < k; t++) p[t] = r[t];
    let rs = dot64(r, r, k);

    for (let step = 0; step < cgSteps; step++) {
      if (rs < 1e-30) break;
      // A p = Σ_i c_i (y_iᵀp) y_i + α0·YᵀY p + λ_u p
      gemv(gram, p, ap, k);
      for (let t = 0; t < k; t++) ap[t] = alpha0 * ap[t] + lam * p[t];
      for (let j = 0; j < n; j++) {
        const off = j * k;
        axpyRow(buf, off, values[a + j] * dotRow(buf, off, p, k), ap, k);
      }
      const pap = dot64(p, ap, k);
      if (!(pap > 0)) break;
      // x ← x + α p, r ← r − α A p with α = rᵀr / pᵀAp; then p ← r + (r'ᵀr' / rᵀr) p
      const alpha = rs / pap;
      for (let t = 0; t < k; t++) {
        xv[t] += alpha * p[t];
        r[t] -= alpha * ap[t];
      }
      const rsNew = dot64(r, r, k);
      const beta = rsNew / rs;
      for (let t = 0; t < k; t++) p[t] = r[t] + beta * p[t];
      rs = rsNew;
    }
    for (let t = 0; t < k; t++) x[xo + t] = xv[t];
  }
}

/**
 * out += Σ_{r∈[rowStart,rowEnd)} y_r y_rᵀ (k×k Float64, full symmetric result). Four rows per pass
 * so each entry of `out` is loaded and stored once per four rows.
 */
export function gramRowsAdd(y: Float32Array, k: number, rowStart: number, rowEnd: number, out: Float64Array): void {
  let r = rowStart;
  for (; r + 4 <= rowEnd; r += 4) {
    const o0 = r * k, o1 = o0 + k, o2 = o1 + k, o3 = o2 + k;
    for (let i = 0; i < k; i++) {
      const a0 = y[o0 + i], a1 = y[o1 + i], a2 = y[o2 + i], a3 = y[o3 + i];
      const row = i * k;
      for (let j = i; j < k; j++) {
        out[row + j] += a0 * y[o0 + j] + a1 * y[o1 + j] + a2 * y[o2 + j] + a3 * y[o3 + j];
      }
    }
  }
  for (; r < rowEnd; r++) {
    const o = r * k;
    for (let i = 0; i < k; i++) {
      const a = y[o + i];
      const row = i * k;
      for (let j = i; j < k; j++) out[row + j] += a * y[o + j];
    }
  }
}

/** Mirror the upper triangle of a k×k matrix into the lower one. */
export function symmetrizeUpper(g: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i];
}

/**
 * Loss terms owned by rows [rowStart, rowEnd): Σ_{observed} c (1 − xᵀy)² (only when `observed`)
 * + Σ_rows λ_r ‖x_r‖². The α0 Σ_all (xᵀy)² term is global: α0·⟨XᵀX, YᵀY⟩ from the two Grams.
 */
export function lossRows(
  x: Float32Array,
  y: Float32Array,
  k: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  alpha0: number,
  lambda: number,
  nu: number,
  nOther: number,
  observed: boolean,
  rowStart: number,
  rowEnd: number,
): number {
  let total = 0;
  for (let u = rowStart; u < rowEnd; u++) {
    const a = indptr[u], b = indptr[u + 1];
    const xo = u * k;
    let sq = 0;
    for (let t = 0; t < k; t++) sq += x[xo + t] * x[xo + t];
    total += rowLambda(lambda, nu, alpha0, b - a, nOther) * sq;
    if (!observed) continue;
    for (let j = a; j < b; j++) {
      const yo = indices[j] * k;
      let d = 0;
      for (let t = 0; t < k; t++) d += x[xo + t] * y[yo + t];
      total += values[j] * (1 - d) * (1 - d);
    }
  }
  return total;
}

/**
 * The WASM SIMD kernel on plain arrays, for tests and one-off solves: copies the inputs into a
 * fresh shared memory, runs the same `solve` that training runs and copies x back. Same contract
 * and update as solveRowsCg, in f32 arithmetic. Throws where WASM SIMD is unavailable.
 */
export function solveRowsCgSimd(
  x: Float32Array,
  y: Float32Array,
  k: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  gram: Float64Array,
  alpha0: number,
  lambda: number,
  nu: number,
  nOther: number,
  cgSteps: number,
  rowStart: number,
  rowEnd: number,
  gatherRows = Infinity, // rows with more partners than this read them in place instead of copying them
): void {
  if (k % 4 !== 0) throw new RangeError(`the SIMD kernel needs k divisible by 4, got ${k}`);
  const nRows = indptr.length - 1;
  const lam = new Float32Array(nRows);
  let maxRowNnz = 0;
  for (let u = 0; u < nRows; u++) {
    lam[u] = rowLambda(lambda, nu, alpha0, indptr[u + 1] - indptr[u], nOther);
    maxRowNnz = Math.max(maxRowNnz, indptr[u + 1] - indptr[u]);
  }
  const parts: ArrayLike<number>[] = [x, y, indptr, indices, values, lam, new Float32Array(gram), new Float32Array(3 * k + maxRowNnz), new Float32Array(maxRowNnz * k)];
  const arena = wasmArena(parts.reduce((s, a) => s + arenaBytes(a.length), 0));
  if (!arena) throw new Error('WASM SIMD with shared memory is unavailable');
  const [xv, yv, pv, iv, vv, lv, gv, sv, bv] = parts.map((a, i) => {
    const v = i === 2 || i === 3 ? arena.i32(a.length) : arena.f32(a.length);
    v.set(a);
    return v;
  });
  arena.kernel.solve(xv.byteOffset, yv.byteOffset, pv.byteOffset, iv.byteOffset, vv.byteOffset, lv.byteOffset, gv.byteOffset, sv.byteOffset, rowStart, rowEnd, k, cgSteps, alpha0, bv.byteOffset, Math.min(gatherRows, maxRowNnz));
  x.set(xv);
}

/** Bytes one array of `n` 4-byte elements takes in an arena (64-byte aligned: a k=64 row then spans exactly 4 cache lines). */
export function arenaBytes(n: number): number {
  return Math.ceil((4 * n) / 64) * 64;
}

/** Typed views bump-allocated in one shared WASM memory, with the kernel instantiated on it. */
export interface WasmArena {
  memory: WebAssembly.Memory;
  kernel: SimdKernel;
  f32(n: number): Float32Array;
  i32(n: number): Int32Array;
}

/** An arena of `bytes` (the sum of arenaBytes of every view it will hold), or null if unavailable. */
export function wasmArena(bytes: number): WasmArena | null {
  if (!simdAvailable()) return null;
  const memory = createSharedMemory(bytes);
  const kernel = memory && createSimdKernel(memory);
  if (!memory || !kernel) return null;
  let off = 0;
  const take = (n: number) => {
    const at = off;
    off += arenaBytes(n);
    if (off > memory.buffer.byteLength) throw new RangeError(`arena of ${memory.buffer.byteLength} bytes cannot hold ${off}`);
    return at;
  };
  return {
    memory,
    kernel,
    f32: (n) => new Float32Array(memory.buffer, take(n), n),
    i32: (n) => new Int32Array(memory.buffer, take(n), n),
  };
}
