// Worker thread of createBatchScorer: loads its dense kernel once, then takes blocks of users from
// a shared atomic counter and writes their top-N into shared output arrays.
import { parentPort, workerData } from 'node:worker_threads';
import type { Csr } from './types';
import { createJsScorer, createTfScorer, scoreRangeWith, type DenseScorer, type ScoreJob, type ScoreWorkerData, type TopNResult } from './score';

const d = workerData as ScoreWorkerData;
const train: Csr = { nRows: d.nUsers, nCols: d.nItems, indptr: d.indptr, indices: d.indices, values: new Float32Array(0) };
const scorerReady: Promise<DenseScorer> =
  d.kernel === 'wasm' ? createTfScorer(d.itemFactors, d.nItems, d.k) : Promise.resolve(createJsScorer(d.itemFactors, d.nItems, d.k));

async function run(job: ScoreJob): Promise<void> {
  const scorer = await scorerReady;
  const out: TopNResult = { n: d.n, idx: job.idx, score: job.score };
  const nBlocks = Math.ceil((job.userEnd - job.userStart) / d.blockUsers);
  for (let b = Atomics.add(d.counter, 0, 1); b < nBlocks; b = Atomics.add(d.counter, 0, 1)) {
    const lo = job.userStart + b * d.blockUsers;
    const hi = Math.min(job.userEnd, lo + d.blockUsers);
    scoreRangeWith(scorer, d.userFactors, d.k, train, lo, hi, d.n, out, lo - job.userStart, d.blockUsers);
  }
}

parentPort!.on('message', (job: ScoreJob) => {
  run(job).then(
    () => parentPort!.postMessage({ id: job.id, ok: true }),
    (e: unknown) => parentPort!.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
  );
});
