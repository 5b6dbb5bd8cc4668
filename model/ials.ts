// Implicit ALS in the tuned form of Rendle et al. 2021 ("Revisiting the Performance of iALS on
// Item Recommendation Benchmarks"), solved by a few conjugate-gradient steps per row, in parallel
// worker threads over shared factors: with the WASM SIMD kernel (simd-kernel.ts) the whole state
// lives in one shared WASM memory, else in SharedArrayBuffers for the scalar-JS kernel.
//
// Loss minimised (X = user factors, Y = item factors, both nRows × k row-major):
//   L = Σ_{(u,i) observed} c_ui (1 − x_uᵀy_i)²
//     + α0 Σ_{all u,i} (x_uᵀy_i)²
//     + λ Σ_u (|I_u| + α0·nItems)^ν ‖x_u‖² + λ Σ_i (|U_i| + α0·nUsers)^ν ‖y_i‖²
// Confidence: c_ui is the Csr value of the observed cell, used as given (the SQL that builds the
// matrix decides it, e.g. 1 + watch/repeat/rating weights); it must be finite and ≥ 0. An observed
// cell is therefore pulled towards 1 with weight c_ui and, like every cell, towards 0 with weight
// α0 — so its net weight towards 1 is c_ui, and c_ui = 1 for all cells is exactly Rendle's form.
// |I_u| and |U_i| count observed cells (nnz of the row), not the sum of confidences.
//
// One epoch = a user half (every x_u, Y fixed) then an item half (every y_i, X fixed). Each row
// update takes `cgSteps` CG steps on its normal equations warm-started from the previous value;
// the α0·YᵀY part of every row's matrix is the one Gram computed per half-epoch (ials-kernel.ts).
// Rows of one half are independent, so the factors do not depend on the thread count; Grams are
// summed over fixed row blocks in a fixed order, so a seed gives the same factors on any machine
// with the same kernel (the SIMD and scalar-JS kernels differ in the last bits). The loss is a
// separate pass, computed only every `lossEvery` epochs when asked.
import { availableParallelism } from 'node:os';
import type { Csr, Factors } from './types';
import { arenaBytes, lossRows, rowLambda, symmetrizeUpper, wasmArena } from './ials-kernel';
import { WorkerPool } from './worker-pool';
import type { IalsJob, IalsWorkerData, SideData } from './ials-worker';

export interface IalsConfig {
  factors: number; // k
  epochs: number; // total epochs (a resumed run continues up to this count)
  alpha0: number; // weight of every (user, item) cell towards 0
  lambda: number; // λ in λ·(|history| + α0·n)^ν
  nu: number; // ν, frequency scaling of the regulariser
  cgSteps: number; // CG steps per row per half-epoch
  seed: number; // initialisation seed
  threads: number; // worker threads; 0 = os.availableParallelism()
  initStd?: number; // std of the N(0, σ²) initialisation; default 0.1/√k
  simd?: boolean; // use the WASM SIMD row kernel when k % 4 == 0 (default true)
}

export interface IalsEpoch {
  epoch: number; // 1-based count of completed epochs
  loss?: number; // full loss L after this epoch (when hooks.computeLoss and this is a loss epoch, see lossEvery)
  seconds: number; // wall time of this epoch (both halves, without the loss)
  /** The current factors (shared views, valid only during the callback: copy or write them out to checkpoint). */
  factors: { userFactors: Float32Array; itemFactors: Float32Array };
}

export interface IalsHooks {
  onEpoch?(e: IalsEpoch): void | Promise<void>;
  /** Resume from a checkpoint: factors after `epoch` completed epochs. */
  start?: { userFactors: Float32Array; itemFactors: Float32Array; epoch: number };
  computeLoss?: boolean;
  /**
   * With computeLoss: the loss is computed after every N-th epoch and after the last one
   * (default DEFAULT_LOSS_EVERY; 1 = every epoch). It is a full pass over the data in scalar JS,
   * a sizeable fraction of an epoch, and it does not change the factors.
   */
  lossEvery?: number;
}

/** Loss after epochs 3, 6, 9, … and the last: with the default 12 epochs, four points of the curve. */
export const DEFAULT_LOSS_EVERY = 3;

/** Bytes per worker for a row's partner vectors copied in order (rows with more stay in place). */
const GATHER_BYTES = 32 << 20;

/** Rows of one Gram block: fixed (not per thread) so the summation order never changes. */
const GRAM_BLOCK_ROWS = 2048;

/** Settings from the validated configuration (config.ts ALS_* knobs). */
export function ialsConfigFrom(c: {
  ALS_FACTORS: number;
  ALS_EPOCHS: number;
  ALS_ALPHA0: number;
  ALS_LAMBDA: number;
  ALS_NU: number;
  ALS_CG_STEPS: number;
  ALS_SEED: number;
  ALS_THREADS: number;
}): IalsConfig {
  return {
    factors: c.ALS_FACTORS,
    epochs: c.ALS_EPOCHS,
    alpha0: c.ALS_ALPHA0,
    lambda: c.ALS_LAMBDA,
    nu: c.ALS_NU,
    cgSteps: c.ALS_CG_STEPS,
    seed: c.ALS_SEED,
    threads: c.ALS_THREADS,
  };
}

/** The same matrix stored by columns: byItem from byUser (and back). Indices stay ascending. */
export function transposeCsr(csr: Csr): Csr {
  const { nRows, nCols, indptr, indices, values } = csr;
  const nnz = indptr[nRows];
  const outPtr = new Int32Array(nCols + 1);
  for (let j = 0; j < nnz; j++) outPtr[indices[j] + 1]++;
  for (let c = 0; c < nCols; c++) outPtr[c + 1] += outPtr[c];
  const fill = outPtr.slice(0, nCols);
  const outIdx = new Int32Array(nnz);
  const outVal = new Float32Array(nnz);
  for (let r = 0; r < nRows; r++) {
    for (let j = indptr[r]; j < indptr[r + 1]; j++) {
      const p = fill[indices[j]]++;
      outIdx[p] = r;
      outVal[p] = values[j];
    }
  }
  return { nRows: nCols, nCols: nRows, indptr: outPtr, indices: outIdx, values: outVal };
}

function checkCsr(name: string, m: Csr): void {
  if (m.indptr.length !== m.nRows + 1) throw new RangeError(`${name}.indptr needs ${m.nRows + 1} entries, got ${m.indptr.length}`);
  const nnz = m.indptr[m.nRows];
  if (m.indices.length < nnz || m.values.length < nnz) throw new RangeError(`${name} has ${nnz} entries in indptr but ${m.indices.length} indices and ${m.values.length} values`);
  // The SIMD kernel reads rows and partner rows at these offsets without bounds checks.
  if (m.indptr[0] !== 0) throw new RangeError(`${name}.indptr[0] must be 0, got ${m.indptr[0]}`);
  for (let r = 0; r < m.nRows; r++) {
    if (m.indptr[r + 1] < m.indptr[r]) throw new RangeError(`${name}.indptr decreases at row ${r}`);
  }
  for (let j = 0; j < nnz; j++) {
    const c = m.indices[j];
    if (!(c >= 0 && c < m.nCols)) throw new RangeError(`${name}.indices[${j}] = ${c} is outside [0, ${m.nCols})`);
  }
}

function validate(byUser: Csr, byItem: Csr, cfg: IalsConfig): void {
  checkCsr('byUser', byUser);
  checkCsr('byItem', byItem);
  if (byUser.nRows !== byItem.nCols || byUser.nCols !== byItem.nRows) {
    throw new RangeError(`byItem (${byItem.nRows}×${byItem.nCols}) is not the transpose shape of byUser (${byUser.nRows}×${byUser.nCols})`);
  }
  if (byUser.indptr[byUser.nRows] !== byItem.indptr[byItem.nRows]) {
    throw new RangeError(`byUser has ${byUser.indptr[byUser.nRows]} entries, byItem ${byItem.indptr[byItem.nRows]}`);
  }
  const nnz = byUser.indptr[byUser.nRows];
  for (let j = 0; j < nnz; j++) {
    const c = byUser.values[j];
    if (!(c >= 0 && c < Infinity)) throw new RangeError(`confidence must be finite and ≥ 0, got ${c} at entry ${j}`);
  }
  const posInt = (n: number) => Number.isInteger(n) && n >= 1;
  if (!posInt(cfg.factors)) throw new RangeError(`factors must be a positive integer, got ${cfg.factors}`);
  if (!posInt(cfg.cgSteps)) throw new RangeError(`cgSteps must be a positive integer, got ${cfg.cgSteps}`);
  if (!(Number.isInteger(cfg.epochs) && cfg.epochs >= 0)) throw new RangeError(`epochs must be an integer ≥ 0, got ${cfg.epochs}`);
  if (!(Number.isInteger(cfg.threads) && cfg.threads >= 0)) throw new RangeError(`threads must be an integer ≥ 0, got ${cfg.threads}`);
  if (!(cfg.alpha0 >= 0) || !(cfg.lambda >= 0) || !(cfg.nu >= 0)) {
    throw new RangeError(`alpha0, lambda and nu must be ≥ 0, got ${cfg.alpha0}, ${cfg.lambda}, ${cfg.nu}`);
  }
  if (cfg.lambda === 0 && cfg.alpha0 === 0) throw new RangeError('lambda and alpha0 are both 0: the row systems can be singular');
}

/** Row boundaries of ~nChunks chunks of equal work; a row costs ~ (nnz + k/4 + 1) k-vector ops. */
export function balancedChunks(indptr: Int32Array, nRows: number, k: number, nChunks: number): Int32Array {
  const rowCost = k / 4 + 1;
  const total = indptr[nRows] + rowCost * nRows;
  const n = Math.max(1, Math.min(nChunks, nRows));
  const bounds = [0];
  let acc = 0;
  for (let r = 0; r < nRows; r++) {
    acc += indptr[r + 1] - indptr[r] + rowCost;
    if (acc >= (total * bounds.length) / n && r + 1 < nRows) bounds.push(r + 1);
  }
  bounds.push(nRows);
  return Int32Array.from(bounds);
}

function shared<T extends Int32Array | Float32Array | Float64Array>(src: T, ctor: new (b: SharedArrayBuffer) => T): T {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const out = new ctor(new SharedArrayBuffer(src.length * src.BYTES_PER_ELEMENT));
  out.set(src as never);
  return out;
}

const sharedF32 = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));
const sharedF64 = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));

/** Seeded N(0, std²) fill: mulberry32 uniform pairs through Box–Muller. */
function fillNormal(out: Float32Array, std: number, seed: number): void {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(th);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(th);
  }
}

/** Σ_ij A_ij B_ij of two k×k matrices. */
function frobeniusDot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Full loss L of `factors` on the observed matrix (see the header), single-threaded: for tests,
 * reports and checking a checkpoint.
 */
export function ialsLoss(byUser: Csr, factors: Factors, cfg: Pick<IalsConfig, 'alpha0' | 'lambda' | 'nu'>): number {
  const { k, userFactors, itemFactors } = factors;
  const nUsers = byUser.nRows, nItems = byUser.nCols;
  if (userFactors.length < nUsers * k || itemFactors.length < nItems * k) {
    throw new RangeError(`factors need ${nUsers}×${k} and ${nItems}×${k} entries, got ${userFactors.length} and ${itemFactors.length}`);
  }
  const byItem = transposeCsr(byUser);
  const userPart = lossRows(userFactors, itemFactors, k, byUser.indptr, byUser.indices, byUser.values, cfg.alpha0, cfg.lambda, cfg.nu, nItems, true, 0, nUsers);
  const itemPart = lossRows(itemFactors, userFactors, k, byItem.indptr, byItem.indices, byItem.values, cfg.alpha0, cfg.lambda, cfg.nu, nUsers, false, 0, nItems);
  const gx = new Float64Array(k * k), gy = new Float64Array(k * k);
  for (const [f, n, g] of [[userFactors, nUsers, gx], [itemFactors, nItems, gy]] as const) {
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) g[i * k + j] += f[r * k + i] * f[r * k + j];
    }
  }
  return userPart + itemPart + cfg.alpha0 * frobeniusDot(gx, gy);
}

/**
 * Which row kernel trained: 'simd' (WASM SIMD on a shared memory holding the state; needs k % 4 == 0
 * and the state within a 32-bit memory: about (users + titles)·k·4 B + 16 B per interaction +
 * ≤ 32 MiB per thread under 4 GiB), 'js' (scalar JS, ≈3–4× slower), or 'none' (nothing to train).
 */
export type IalsKernel = 'simd' | 'js' | 'none';

/** Train iALS; resolves with the factors (plain ArrayBuffer copies), the epochs completed and the kernel used. */
export async function trainIals(byUser: Csr, byItem: Csr, cfg: IalsConfig, hooks: IalsHooks = {}): Promise<Factors & { epochs: number; kernel: IalsKernel }> {
  validate(byUser, byItem, cfg);
  const lossEvery = hooks.lossEvery ?? DEFAULT_LOSS_EVERY;
  if (!(Number.isInteger(lossEvery) && lossEvery >= 1)) throw new RangeError(`lossEvery must be a positive integer, got ${lossEvery}`);
  const k = cfg.factors;
  const nUsers = byUser.nRows, nItems = byUser.nCols;
  const threads = cfg.threads === 0 ? availableParallelism() : cfg.threads;
  const nnz = byUser.indptr[nUsers];
  let maxRowNnz = 0;
  for (const m of [byUser, byItem]) for (let r = 0; r < m.nRows; r++) maxRowNnz = Math.max(maxRowNnz, m.indptr[r + 1] - m.indptr[r]);
  // Per worker: r, p, Ap (3k) then either a Gram block (k×k) or a row's partner weights (maxRowNnz).
  const scratchLen = 3 * k + Math.max(k * k, maxRowNnz);
  const gatherRows = Math.max(1, Math.min(maxRowNnz, Math.floor(GATHER_BYTES / (4 * k))));
  // With the SIMD kernel, everything the row solves touch lives in one shared WASM memory (the
  // kernel reads partner rows where they are); without it, in plain SharedArrayBuffers.
  const wantSimd = (cfg.simd ?? true) && k % 4 === 0;
  const arena = wantSimd
    ? wasmArena(
        arenaBytes(nUsers * k) + arenaBytes(nItems * k) +
          [nUsers, nItems].reduce((s, n) => s + arenaBytes(n + 1) + arenaBytes(n) + 2 * arenaBytes(nnz) + arenaBytes(k * k), 0) +
          threads * (arenaBytes(scratchLen) + arenaBytes(gatherRows * k)),
      )
    : null;
  const f32 = (n: number) => (arena ? arena.f32(n) : sharedF32(n));
  const i32 = (n: number) => (arena ? arena.i32(n) : new Int32Array(new SharedArrayBuffer(4 * n)));
  const userFactors = f32(nUsers * k), itemFactors = f32(nItems * k);
  let epoch = 0;
  if (hooks.start) {
    const s = hooks.start;
    if (s.userFactors.length !== nUsers * k || s.itemFactors.length !== nItems * k) {
      throw new RangeError(`checkpoint factors need ${nUsers * k} and ${nItems * k} entries, got ${s.userFactors.length} and ${s.itemFactors.length}`);
    }
    if (!(Number.isInteger(s.epoch) && s.epoch >= 0)) throw new RangeError(`checkpoint epoch must be an integer ≥ 0, got ${s.epoch}`);
    userFactors.set(s.userFactors);
    itemFactors.set(s.itemFactors);
    epoch = s.epoch;
  } else {
    const std = cfg.initStd ?? 0.1 / Math.sqrt(k);
    fillNormal(userFactors, std, cfg.seed);
    fillNormal(itemFactors, std, (cfg.seed ^ 0x9e3779b9) >>> 0);
  }
  const copyOut = () => ({ k, userFactors: Float32Array.from(userFactors), itemFactors: Float32Array.from(itemFactors) });
  const kernel: IalsKernel = arena ? 'simd' : 'js';
  if (epoch >= cfg.epochs) return { ...copyOut(), epochs: epoch, kernel: 'none' };

  const nChunks = Math.max(64, threads * 32);
  const side = (m: Csr, factors: Float32Array, nOther: number): SideData => {
    const indptr = i32(m.nRows + 1), indices = i32(nnz), values = f32(nnz), lam = f32(m.nRows);
    indptr.set(m.indptr.subarray(0, m.nRows + 1));
    indices.set(m.indices.subarray(0, nnz));
    values.set(m.values.subarray(0, nnz));
    for (let r = 0; r < m.nRows; r++) lam[r] = rowLambda(cfg.lambda, cfg.nu, cfg.alpha0, m.indptr[r + 1] - m.indptr[r], nOther);
    return {
      indptr,
      indices,
      values,
      lam,
      factors,
      gram: sharedF64(k * k),
      gram32: f32(k * k),
      chunks: shared(balancedChunks(m.indptr, m.nRows, k, nChunks), Int32Array),
      nRows: m.nRows,
    };
  };
  const user = side(byUser, userFactors, nItems), item = side(byItem, itemFactors, nUsers);
  const data: Omit<IalsWorkerData, 'worker'> = {
    k,
    alpha0: cfg.alpha0,
    lambda: cfg.lambda,
    nu: cfg.nu,
    cgSteps: cfg.cgSteps,
    memory: arena?.memory ?? null,
    scratch: Array.from({ length: threads }, () => f32(scratchLen)),
    gather: arena ? Array.from({ length: threads }, () => arena.f32(gatherRows * k)) : [],
    gatherRows,
    gramBlockRows: GRAM_BLOCK_ROWS,
    user,
    item,
    gramBlocks: sharedF64(Math.ceil(Math.max(nUsers, nItems, 1) / GRAM_BLOCK_ROWS) * k * k),
    lossParts: sharedF64(Math.max(user.chunks.length, item.chunks.length)),
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  const pool = new WorkerPool(new URL('./ials-worker.ts', import.meta.url), threads, (i) => ({ ...data, worker: i }));
  const job = async (op: IalsJob['op'], s: IalsJob['side']) => {
    Atomics.store(data.counter, 0, 0);
    await pool.run({ op, side: s });
  };
  // G ← Σ_blocks (Σ_{r∈block} f_r f_rᵀ), blocks summed in index order.
  const gram = async (s: 'user' | 'item') => {
    const sd = s === 'user' ? user : item;
    await job('gram', s);
    const g = sd.gram, kk = k * k, nBlocks = Math.ceil(sd.nRows / GRAM_BLOCK_ROWS);
    g.fill(0);
    for (let b = 0; b < nBlocks; b++) for (let i = 0; i < kk; i++) g[i] += data.gramBlocks[b * kk + i];
    symmetrizeUpper(g, k);
    sd.gram32.set(g);
  };
  try {
    await gram('item');
    for (; epoch < cfg.epochs; ) {
      const t0 = performance.now();
      await job('solve', 'user');
      await gram('user');
      await job('solve', 'item');
      await gram('item');
      const seconds = (performance.now() - t0) / 1000;
      epoch++;
      let loss: number | undefined;
      if (hooks.computeLoss && (epoch % lossEvery === 0 || epoch === cfg.epochs)) {
        let parts = 0;
        for (const s of ['user', 'item'] as const) {
          data.lossParts.fill(0);
          await job('loss', s);
          for (let c = 0; c < data.lossParts.length; c++) parts += data.lossParts[c];
        }
        loss = parts + cfg.alpha0 * frobeniusDot(user.gram, item.gram);
      }
      await hooks.onEpoch?.({ epoch, loss, seconds, factors: { userFactors, itemFactors } });
    }
  } finally {
    await pool.close();
  }
  return { ...copyOut(), epochs: epoch, kernel };
}
