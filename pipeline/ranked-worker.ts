// Worker thread of the ranked pool (pipeline/ranked-pool.ts): loads the dense retrieval kernel,
// the ranker and a feature builder once, then takes blocks of users from a shared atomic counter
// and, per block, runs the whole ranked path — retrieval top-nCandidates (seen titles excluded),
// titles not yet added dropped, features, one batched ranker predict, top-n — into shared outputs.
import { parentPort, workerData } from 'node:worker_threads';
import { FeatureBuilder, retrievalView } from '../model/features';
import { dropUnavailable, hardNegativeLogKeep, rankBlock } from '../model/rerank';
import { createTfScorer } from '../model/score';
import { initTf } from '../model/tf-backend';
import { TopN } from '../model/topk';
import { loadRanker } from '../storage/tf-models';
import type { RankedJob, RankedWorkerData } from './ranked-pool';

const d = workerData as RankedWorkerData;

const ready = (async () => {
  await initTf(d.backend);
  const scorer = await createTfScorer(d.itemFactors, d.nItems, d.k);
  const ranker = await loadRanker(d.rankerDir);
  const objective = d.completion ? { completion: await loadRanker(d.completion.dir), weight: d.completion.weight } : undefined;
  const builder = new FeatureBuilder(d.snap, retrievalView(d.k, d.userFactors, d.itemFactors), d.nCandidates);
  const nb = d.blockUsers, nc = d.nCandidates;
  return {
    scorer,
    ranker,
    objective,
    builder,
    logKeep: d.hardNegatives > 0 ? hardNegativeLogKeep(d.hardNegatives) : undefined,
    top: new TopN(nc),
    dense: new Float32Array(nb * d.nItems), // nb × nItems, scratch of the product
    x: new Float32Array(nb * d.k), // nb × k, the block's user factors
    candIdx: new Int32Array(nb * nc), // nb × nc
    candScore: new Float32Array(nb * nc),
    features: new Float32Array(0),
  };
})();

async function run(job: RankedJob): Promise<void> {
  const w = await ready;
  const { k, nItems, nCandidates: nc, blockUsers: nb } = d;
  const m = job.users.length;
  const nBlocks = Math.ceil(m / nb);
  for (let b = Atomics.add(d.counter, 0, 1); b < nBlocks; b = Atomics.add(d.counter, 0, 1)) {
    const lo = b * nb, hi = Math.min(m, lo + nb), cnt = hi - lo;
    const users = job.users.subarray(lo, hi);
    for (let j = 0; j < cnt; j++) w.x.set(d.userFactors.subarray(users[j] * k, (users[j] + 1) * k), j * k);
    // s_u = x_u Yᵀ for the block, then each user's top-nc unseen titles.
    const scores = w.scorer.score(w.x, cnt, w.dense);
    for (let j = 0; j < cnt; j++) {
      const ex = job.seenIndices.subarray(job.seenIndptr[lo + j], job.seenIndptr[lo + j + 1]);
      w.top.select(scores, j * nItems, nItems, ex, w.candIdx, w.candScore, j * nc);
    }
    const cand = dropUnavailable({ n: nc, idx: w.candIdx.subarray(0, cnt * nc), score: w.candScore.subarray(0, cnt * nc) }, users, d.snap);
    w.features = rankBlock(w.ranker, w.builder, users, cand.idx, cand.score, nc, job.n, w.logKeep, job.idx, job.score, lo, w.features, w.objective);
  }
}

parentPort!.on('message', (job: RankedJob) => {
  run(job).then(
    () => parentPort!.postMessage({ id: job.id, ok: true }),
    (e: unknown) => parentPort!.postMessage({ id: job.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
