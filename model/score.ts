// Batch scoring for retrieval: for a range of users, scores = X_range · Yᵀ in user blocks, each
// user's training items excluded, top-N item indices and scores per user.
//
// Measured with bench/score-kernel.ts (20 k items, k=64, N=500, exclusion of ~70 training items
// and top-N selection included; results in bench/results/score-kernel.json). The 2 cores were
// shared with other jobs (load average 2 in the first run, 12–15 in the second), so wall figures
// are pessimistic; users per CPU-second is the steadier figure.
//   kernel                                     users/s wall (load ≈2)   users/CPU-s (load ≈13)
//   scalar-JS blocked product, 1 thread        690                      713
//   TF.js WASM matMul (XNNPACK), 1 thread      2.9 k                    3.25 k
//   TF.js WASM in 2 worker threads             4.7 k                    2.7 k (≈ 5.3 k/s on 2 idle cores)
//   scalar JS in 2 worker threads              1.4 k                    763
//   hnswlib-node ip, ef=600 / 1000 / 4000      1.5 k / 1.0 k / 0.35 k   recall@500 vs exact 0.87 / 0.91 / 0.97
// (the first run predates the sampled-threshold top-N, which halved selection time.)
// The WASM dense product wins and is exact: HNSW never reached recall 0.99 at N=500 and is slower
// at any ef that comes close, because top-500 of 20 k is 2.5% of the catalog — an ANN index pays
// off for "similar titles" and one-user online retrieval, not a full batch. So 'wasm' is the
// default; 'js' is the dependency-free fallback. Selection (model/topk.ts) costs ~60–150 µs/user.
// Items are transposed once (k × nItems): XNNPACK's matMul with transposeB ran ~9× slower here.
import { availableParallelism } from 'node:os';
import type { Csr, Factors } from './types';
import { TopN } from './topk';
import { WorkerPool } from './worker-pool';

export type ScoreKernel = 'wasm' | 'js';

/** What createBatchScorer hands each worker thread (model/score-worker.ts) once. */
export interface ScoreWorkerData {
  k: number;
  nItems: number;
  nUsers: number;
  n: number;
  kernel: ScoreKernel;
  blockUsers: number;
  userFactors: Float32Array; // nUsers × k (shared)
  itemFactors: Float32Array; // nItems × k (shared)
  indptr: Int32Array; // training items per user (exclusions)
  indices: Int32Array;
  counter: Int32Array; // [0]: next block to take
}

/** One score() call, shared by every worker: they take blocks of it from `counter`. */
export interface ScoreJob {
  id: number;
  userStart: number;
  userEnd: number;
  idx: Int32Array; // (userEnd − userStart) × n, shared output
  score: Float32Array;
}

/** Top-N per user: row u of both arrays is user (userStart + u). */
export interface TopNResult {
  n: number;
  idx: Int32Array; // nUsers × n, item indices best first, −1 padding
  score: Float32Array; // nUsers × n, matching scores, −Infinity padding
}

/** Dense scores of a block of users against every item. */
export interface DenseScorer {
  readonly nItems: number;
  /** out[b·nItems + i] = users_bᵀ y_i for b < nUsers; users is nUsers × k. Returns the array holding the scores. */
  score(users: Float32Array, nUsers: number, out: Float32Array): Float32Array;
  dispose(): void;
}

function checkFactors(itemFactors: Float32Array, nItems: number, k: number): void {
  if (itemFactors.length < nItems * k) throw new RangeError(`itemFactors need ${nItems}×${k} entries, got ${itemFactors.length}`);
}

/** Scalar JS: four users per pass over the items, 4-way unrolled over k. */
export function createJsScorer(itemFactors: Float32Array, nItems: number, k: number): DenseScorer {
  checkFactors(itemFactors, nItems, k);
  const y = itemFactors;
  return {
    nItems,
    score(users, nUsers, out) {
      let b = 0;
      for (; b + 4 <= nUsers; b += 4) {
        const u0 = b * k, u1 = u0 + k, u2 = u1 + k, u3 = u2 + k;
        const o0 = b * nItems, o1 = o0 + nItems, o2 = o1 + nItems, o3 = o2 + nItems;
        for (let i = 0; i < nItems; i++) {
          const yo = i * k;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let t = 0; t < k; t++) {
            const v = y[yo + t];
            s0 += users[u0 + t] * v;
            s1 += users[u1 + t] * v;
            s2 += users[u2 + t] * v;
            s3 += users[u3 + t] * v;
          }
          out[o0 + i] = s0;
          out[o1 + i] = s1;
          out[o2 + i] = s2;
          out[o3 + i] = s3;
        }
      }
      for (; b < nUsers; b++) {
        const uo = b * k, o = b * nItems;
        for (let i = 0; i < nItems; i++) {
          const yo = i * k;
          let s = 0;
          for (let t = 0; t < k; t++) s += users[uo + t] * y[yo + t];
          out[o + i] = s;
        }
      }
      return out;
    },
    dispose() {},
  };
}

/** TF.js WASM backend (XNNPACK) matMul against the items stored once as a k × nItems tensor. */
export async function createTfScorer(itemFactors: Float32Array, nItems: number, k: number): Promise<DenseScorer> {
  checkFactors(itemFactors, nItems, k);
  const { initTf } = await import('./tf-backend');
  const { tf, backend } = await initTf('wasm');
  if (backend !== 'wasm') throw new Error(`TF.js WASM backend unavailable (got ${backend})`);
  const yt = new Float32Array(k * nItems);
  for (let i = 0; i < nItems; i++) for (let t = 0; t < k; t++) yt[t * nItems + i] = itemFactors[i * k + t];
  const items = tf.tensor2d(yt, [k, nItems]);
  return {
    nItems,
    score(users, nUsers) {
      const res = tf.tidy(() => tf.matMul(tf.tensor2d(users.subarray(0, nUsers * k), [nUsers, k]), items));
      const data = res.dataSync() as Float32Array;
      res.dispose();
      return data;
    },
    dispose() {
      items.dispose();
    },
  };
}

/**
 * Top-N for users [userStart, userEnd) on the calling thread, blocks of `blockUsers`, each user's
 * training items (row u of `train`) excluded. Used by the workers and by tests.
 */
export function scoreRangeWith(
  scorer: DenseScorer,
  userFactors: Float32Array,
  k: number,
  train: Csr,
  userStart: number,
  userEnd: number,
  n: number,
  out: TopNResult = { n, idx: new Int32Array((userEnd - userStart) * n), score: new Float32Array((userEnd - userStart) * n) },
  outUserOffset = 0,
  blockUsers = 256,
): TopNResult {
  const nItems = scorer.nItems;
  if (train.nCols !== nItems) throw new RangeError(`train has ${train.nCols} columns, scorer ${nItems} items`);
  if (userEnd > train.nRows || userStart < 0 || userStart > userEnd) throw new RangeError(`user range [${userStart}, ${userEnd}) is outside [0, ${train.nRows})`);
  const top = new TopN(n);
  const buf = new Float32Array(Math.min(blockUsers, Math.max(1, userEnd - userStart)) * nItems);
  for (let b0 = userStart; b0 < userEnd; b0 += blockUsers) {
    const nb = Math.min(blockUsers, userEnd - b0);
    const scores = scorer.score(userFactors.subarray(b0 * k, (b0 + nb) * k), nb, buf);
    for (let b = 0; b < nb; b++) {
      const u = b0 + b;
      const ex = train.indices.subarray(train.indptr[u], train.indptr[u + 1]);
      top.select(scores, b * nItems, nItems, ex, out.idx, out.score, (outUserOffset + u - userStart) * n);
    }
  }
  return out;
}

export interface BatchScorerOptions {
  n: number; // list length (TOP_N)
  kernel?: ScoreKernel; // default 'wasm'
  threads?: number; // worker threads; 0 / default = os.availableParallelism()
  blockUsers?: number; // users per dense block (default 256)
}

export interface BatchScorer {
  /** Top-N for users [userStart, userEnd), computed in the worker threads. */
  score(userStart: number, userEnd: number): Promise<TopNResult>;
  close(): Promise<void>;
}

const sharedCopy = <T extends Int32Array | Float32Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = make(new SharedArrayBuffer(a.length * a.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
};

/** Start the worker threads once (each loads its kernel), then score any number of user ranges. */
export function createBatchScorer(factors: Factors, train: Csr, opts: BatchScorerOptions): BatchScorer {
  const { k } = factors;
  const nItems = train.nCols, nUsers = train.nRows;
  if (factors.userFactors.length < nUsers * k) throw new RangeError(`userFactors need ${nUsers}×${k} entries, got ${factors.userFactors.length}`);
  checkFactors(factors.itemFactors, nItems, k);
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new RangeError(`n must be a positive integer, got ${opts.n}`);
  const threads = opts.threads || availableParallelism();
  const data: ScoreWorkerData = {
    k,
    nItems,
    n: opts.n,
    kernel: opts.kernel ?? 'wasm',
    blockUsers: opts.blockUsers ?? 256,
    userFactors: sharedCopy(factors.userFactors, (b) => new Float32Array(b)),
    itemFactors: sharedCopy(factors.itemFactors, (b) => new Float32Array(b)),
    indptr: sharedCopy(train.indptr, (b) => new Int32Array(b)),
    indices: sharedCopy(train.indices, (b) => new Int32Array(b)),
    nUsers,
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  const pool = new WorkerPool(new URL('./score-worker.ts', import.meta.url), threads, () => data);
  let busy = false;
  return {
    async score(userStart, userEnd) {
      if (busy) throw new Error('one score() at a time per BatchScorer');
      if (!(Number.isInteger(userStart) && Number.isInteger(userEnd) && 0 <= userStart && userStart <= userEnd && userEnd <= nUsers)) {
        throw new RangeError(`user range [${userStart}, ${userEnd}) is outside [0, ${nUsers})`);
      }
      busy = true;
      try {
        const m = userEnd - userStart;
        const idx = new Int32Array(new SharedArrayBuffer(4 * m * opts.n));
        const score = new Float32Array(new SharedArrayBuffer(4 * m * opts.n));
        Atomics.store(data.counter, 0, 0);
        const job: Omit<ScoreJob, 'id'> = { userStart, userEnd, idx, score };
        await pool.run(job as unknown as Record<string, unknown>);
        return { n: opts.n, idx: Int32Array.from(idx), score: Float32Array.from(score) };
      } finally {
        busy = false;
      }
    },
    close: () => pool.close(),
  };
}

/** One-off: start workers, score [userStart, userEnd), stop them. */
export async function scoreTopN(factors: Factors, train: Csr, userStart: number, userEnd: number, opts: BatchScorerOptions): Promise<TopNResult> {
  const s = createBatchScorer(factors, train, opts);
  try {
    return await s.score(userStart, userEnd);
  } finally {
    await s.close();
  }
}
