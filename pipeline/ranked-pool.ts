// Ranked scoring in worker threads: the ranked path of model/rerank.ts (retrieval candidates →
// features → ranker → top-n) run by a fixed pool of threads (pipeline/ranked-worker.ts), each
// taking blocks of users from a shared counter, so the calling thread (a Temporal activity) only
// waits on one message per topN call and stays free to heart-beat and to write the previous batch.
// Inputs are shared once (SharedArrayBuffers: factors and the feature snapshot); each call shares
// its users' seen rows. Every thread ranks with rankBlock, the function the single-thread
// recommender uses, so the lists are the same (test/unit/ranked-pool.test.ts).
import { availableParallelism } from 'node:os';
import type { FeatureSnapshot } from '../model/features';
import { gatherRows, type Recommender } from '../model/recommend';
import { usersPerBlock } from '../model/rerank';
import type { TfBackendName } from '../model/tf-backend';
import type { Csr } from '../model/types';
import { WorkerPool } from '../model/worker-pool';

/** What every thread of the pool gets once. */
export interface RankedWorkerData {
  k: number;
  nItems: number;
  nCandidates: number;
  /** Users per block a thread takes (retrieval product, features and one predict per block). */
  blockUsers: number;
  backend: TfBackendName;
  userFactors: Float32Array; // nUsers × k (shared)
  itemFactors: Float32Array; // nItems × k (shared)
  snap: FeatureSnapshot; // typed arrays shared
  rankerDir: string;
  /** H of the ranker's negative sampling (0: no ln q(rank) correction). */
  hardNegatives: number;
  /** The completion model and its weight w (score = p × E[completion]^w; pipeline/completion.ts), when w > 0. */
  completion?: { dir: string; weight: number };
  counter: Int32Array; // [0]: next block to take
}

/** One topN call: users and their seen rows (row j = users[j]), shared outputs users.length × n. */
export interface RankedJob {
  id: number;
  users: Int32Array;
  seenIndptr: Int32Array;
  seenIndices: Int32Array;
  n: number;
  idx: Int32Array;
  score: Float32Array;
}

export interface RankedPoolOptions {
  k: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  snap: FeatureSnapshot;
  nCandidates: number;
  rankerDir: string;
  hardNegatives: number;
  completion?: { dir: string; weight: number };
  /** Worker threads; 0 = os.availableParallelism(). */
  threads: number;
  /** TF.js backend of the threads (the dense kernel is TF.js WASM, so 'wasm'). */
  backend?: TfBackendName;
  /** Dense scores per block are blockUsers × nItems floats: capped at this many (default 2²³ = 32 MB). */
  maxBlockFloats?: number;
}

type Typed = Int32Array | Float32Array | Float64Array | Uint8Array;
function shared<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

function shareSnapshot(s: FeatureSnapshot): FeatureSnapshot {
  const csr = (m: Csr): Csr => ({ nRows: m.nRows, nCols: m.nCols, indptr: shared(m.indptr), indices: shared(m.indices), values: shared(m.values) });
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(s)) {
    out[key] = ArrayBuffer.isView(v) ? shared(v as Typed) : v && typeof v === 'object' && 'indptr' in v ? csr(v as Csr) : v;
  }
  return out as unknown as FeatureSnapshot;
}

/** The ranked recommender on a pool of worker threads; dispose() stops them. */
export function rankedPoolRecommender(o: RankedPoolOptions & { kind: string }): Recommender & { dispose(): void } {
  const nItems = o.snap.nItems;
  if (o.itemFactors.length !== nItems * o.k) throw new RangeError(`item factors hold ${o.itemFactors.length / o.k} titles, the snapshot ${nItems}`);
  const nc = Math.min(o.nCandidates, nItems);
  const data: RankedWorkerData = {
    k: o.k,
    nItems,
    nCandidates: nc,
    blockUsers: Math.max(1, Math.min(usersPerBlock(nc), Math.floor((o.maxBlockFloats ?? 2 ** 23) / nItems))),
    backend: o.backend ?? 'wasm',
    userFactors: shared(o.userFactors),
    itemFactors: shared(o.itemFactors),
    snap: shareSnapshot(o.snap),
    rankerDir: o.rankerDir,
    hardNegatives: o.hardNegatives,
    completion: o.completion,
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  const pool = new WorkerPool(new URL('./ranked-worker.ts', import.meta.url), o.threads || availableParallelism(), () => data);
  let busy = false;
  return {
    kind: o.kind,
    k: o.k,
    userVector: (u) => data.userFactors.subarray(u * o.k, (u + 1) * o.k), // the shared copy: the caller's arrays can be freed
    async topN(users, seen, n) {
      if (busy) throw new Error('one topN() at a time per ranked pool');
      busy = true;
      try {
        const m = users.length;
        const idx = new Int32Array(new SharedArrayBuffer(4 * m * n)).fill(-1);
        const score = new Float32Array(new SharedArrayBuffer(4 * m * n)).fill(-Infinity);
        if (m === 0) return { n, idx, score };
        const rows = gatherRows(seen, users);
        Atomics.store(data.counter, 0, 0);
        const job: Omit<RankedJob, 'id'> = { users: shared(Int32Array.from(users)), seenIndptr: shared(rows.indptr), seenIndices: shared(rows.indices), n, idx, score };
        await pool.run(job as unknown as Record<string, unknown>);
        return { n, idx, score };
      } finally {
        busy = false;
      }
    },
    dispose: () => void pool.close(),
  };
}
