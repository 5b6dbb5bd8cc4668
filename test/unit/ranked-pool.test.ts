import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FeatureBuilder, retrievalView } from '../../model/features';
import { mulberry32 } from '../../model/random';
import { factorRecommender } from '../../model/recommend';
import { hardNegativeLogKeep, orderByScore, rankedRecommender } from '../../model/rerank';
import { trainRanker, type RankerModel } from '../../model/ranker';
import { syntheticSnapshot } from '../../model/synthetic-snapshot';
import { initTf } from '../../model/tf-backend';
import type { Csr } from '../../model/types';
import { rankedPoolRecommender } from '../../pipeline/ranked-pool';
import { loadRanker, saveRanker } from '../../storage/tf-models';
import { tempDir } from '../helpers/paths';

const nUsers = 400, nItems = 3000, k = 16, nc = 150, n = 40, H = 20;

function randomSeen(r: () => number): Csr {
  const indptr = new Int32Array(nUsers + 1), idx: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const set = new Set<number>();
    const m = Math.floor(r() * 30);
    while (set.size < m) set.add(Math.floor(r() * nItems));
    idx.push(...[...set].sort((a, b) => a - b));
    indptr[u + 1] = idx.length;
  }
  return { nRows: nUsers, nCols: nItems, indptr, indices: Int32Array.from(idx), values: new Float32Array(idx.length).fill(1) };
}

describe('ranked scoring in worker threads', () => {
  const r = mulberry32(11);
  const userFactors = Float32Array.from({ length: nUsers * k }, () => (r() - 0.5) * 0.6);
  const itemFactors = Float32Array.from({ length: nItems * k }, () => (r() - 0.5) * 0.6);
  const snap = syntheticSnapshot(nUsers, nItems, 5);
  const seen = randomSeen(r);
  const builder = new FeatureBuilder(snap, retrievalView(k, userFactors, itemFactors), nc);
  const dir = join(tempDir('ranked-pool'), 'ranker');
  let ranker: RankerModel;

  beforeAll(async () => {
    await initTf('wasm');
    // A small ranker on examples whose label leans on the retrieval score and the genre match.
    const rows = 4000, d = builder.d;
    const x = new Float32Array(rows * d), y = new Float32Array(rows), groups = new Int32Array(rows);
    for (let e = 0; e < rows; e += 20) {
      const u = Math.floor(e / 20) % nUsers;
      const items = Int32Array.from({ length: 20 }, () => Math.floor(r() * nItems));
      const scores = Float32Array.from(items, (i) => { let s = 0; for (let t = 0; t < k; t++) s += userFactors[u * k + t] * itemFactors[i * k + t]; return s; });
      builder.rows(u, items, scores, Int32Array.from({ length: 20 }, (_, j) => j * 5), 20, x, e);
      for (let j = 0; j < 20; j++) {
        y[e + j] = x[(e + j) * d] + 0.3 * x[(e + j) * d + 13] + 0.1 * (r() - 0.5) > 0.02 ? 1 : 0;
        groups[e + j] = u;
      }
    }
    const trained = await trainRanker(x, y, groups, [...FEATURE_NAMES], { maxEpochs: 2, seed: 3 });
    await saveRanker(trained, dir);
    trained.dispose();
    ranker = await loadRanker(dir);
  }, 60_000);

  afterAll(() => ranker?.dispose());

  it('give every user exactly the list the single-thread ranked recommender gives (ids and scores), in any user order', async () => {
    const users = Int32Array.from({ length: nUsers }, (_, u) => (u * 7 + 3) % nUsers).subarray(0, 333);
    const base = factorRecommender('ials', k, userFactors, itemFactors, 2);
    const single = await rankedRecommender(base, ranker, builder, nc, hardNegativeLogKeep(H)).topN(users, seen, n);
    const pool = rankedPoolRecommender({ kind: 'ranked-ials', k, userFactors, itemFactors, snap, nCandidates: nc, rankerDir: dir, hardNegatives: H, threads: 2, maxBlockFloats: 17 * nItems });
    try {
      const threaded = await pool.topN(users, seen, n);
      expect(threaded.idx.length).toBe(users.length * n);
      let filled = 0;
      for (let j = 0; j < threaded.idx.length; j++) if (threaded.idx[j] >= 0) filled++;
      expect(filled).toBeGreaterThan(users.length * n * 0.9);
      expect(Array.from(threaded.idx)).toEqual(Array.from(single.idx));
      expect(Array.from(threaded.score)).toEqual(Array.from(single.score));
      // A second call on the same threads (a scoring shard's next batch) gives the same again.
      const again = await pool.topN(users.subarray(100, 200), seen, n);
      expect(Array.from(again.idx)).toEqual(Array.from(single.idx.subarray(100 * n, 200 * n)));
    } finally {
      pool.dispose();
    }
  }, 120_000);

  it('rank by p × E[completion]^w in the threads exactly as on the calling thread (the ranker standing in for the completion model)', async () => {
    const users = Int32Array.from({ length: 120 }, (_, u) => u);
    const base = factorRecommender('ials', k, userFactors, itemFactors, 2);
    const single = await rankedRecommender(base, ranker, builder, nc, hardNegativeLogKeep(H), { completion: ranker, weight: 0.5 }).topN(users, seen, n);
    const plain = await rankedRecommender(base, ranker, builder, nc, hardNegativeLogKeep(H)).topN(users, seen, n);
    expect(Array.from(single.score)).not.toEqual(Array.from(plain.score));
    const pool = rankedPoolRecommender({ kind: 'ranked-ials', k, userFactors, itemFactors, snap, nCandidates: nc, rankerDir: dir, hardNegatives: H, threads: 2, completion: { dir, weight: 0.5 } });
    try {
      const threaded = await pool.topN(users, seen, n);
      expect(Array.from(threaded.idx)).toEqual(Array.from(single.idx));
      expect(Array.from(threaded.score)).toEqual(Array.from(single.score));
    } finally {
      pool.dispose();
    }
  }, 120_000);
});

describe('the ranked order of a user\'s candidates', () => {
  it('is the stable sort by p(watch), best first, ties by retrieval rank — with ties, zeros and a stray negative score', () => {
    const r = mulberry32(5);
    for (let t = 0; t < 200; t++) {
      const m = 1 + Math.floor(r() * 1200), r0 = Math.floor(r() * 10);
      const p = Float32Array.from({ length: m + r0 + 2 }, () => { const u = r(); return u < 0.2 ? 0.5 : u < 0.25 ? 0 : u < 0.3 ? 1 : u < 0.32 ? 1e-30 : r(); });
      if (t % 40 === 7) p[r0] = -0.25;
      const want = Int32Array.from({ length: m }, (_, q) => q).sort((a, c) => p[r0 + c] - p[r0 + a] || a - c);
      expect(Array.from(orderByScore(p, r0, m))).toEqual(Array.from(want));
    }
  });
});
