// Batch scoring into Redis, the retrieval path beside the ranked path, at 3 k, 20 k and 100 k
// titles, K=64, top 500 (TOP_N), on this machine's cores:
//   retrieval  worker-thread TF.js WASM dense product + top-N (model/score.ts createBatchScorer)
//   ranked     retrieval top-RANK_CANDIDATES → features → TF.js ranker → top-N, all in worker
//              threads (pipeline/ranked-pool.ts), over a synthetic feature snapshot
//              (model/synthetic-snapshot.ts) and a small ranker trained on it here.
// Each path is timed twice over the same users: compute only, and compute + writes the way a
// scoring shard streams (pipeline/scoring.ts scoreBatches: batch i is written — encoded, pipelined
// SET — while batch i+1 is scored). Redis MEMORY USAGE is sampled over 100 written lists.
// Run: npx tsx bench/score.ts [--users N] [--ranked-users N] [--threads N] [--catalogs 3000,20000]
// Writes bench/results/score.json. Needs Redis at REDIS_URL (npm run services:up); keys go under a
// bench prefix and are deleted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { Redis } from 'ioredis';
import { loadConfig } from '../config';
import { FEATURE_NAMES, FeatureBuilder, retrievalView } from '../model/features';
import type { Recommender } from '../model/recommend';
import { trainRanker } from '../model/ranker';
import { createBatchScorer } from '../model/score';
import { syntheticSnapshot } from '../model/synthetic-snapshot';
import { initTf } from '../model/tf-backend';
import type { Csr } from '../model/types';
import { rankedPoolRecommender } from '../pipeline/ranked-pool';
import { scoreBatches } from '../pipeline/scoring';
import { VersionStore } from '../storage/redis-versions';
import { saveRanker } from '../storage/tf-models';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const USERS = Number(arg('users', '10000'));
const RANKED_USERS = Number(arg('ranked-users', '4000'));
const THREADS = Number(arg('threads', String(availableParallelism())));
const CATALOGS = arg('catalogs', '3000,20000,100000').split(',').map(Number);
const K = 64;
const BATCH = 2048; // users per scoring batch (scoreShard uses SCORE_BATCH_USERS; smaller here so short runs still overlap)

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomFactors(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n * K);
  for (let i = 0; i < a.length; i++) a[i] = (r() - 0.5) * 0.2;
  return a;
}

/** ~30 seen titles per user (sorted, distinct). */
function randomSeen(nUsers: number, nItems: number, r: () => number): Csr {
  const per = 30;
  const indptr = new Int32Array(nUsers + 1);
  const indices = new Int32Array(nUsers * per);
  for (let u = 0; u < nUsers; u++) {
    const set = new Set<number>();
    while (set.size < per) set.add(Math.floor(r() * nItems));
    indices.set(Int32Array.from(set).sort(), u * per);
    indptr[u + 1] = (u + 1) * per;
  }
  return { nRows: nUsers, nCols: nItems, indptr, indices, values: new Float32Array(indices.length).fill(1) };
}

/** A small ranker over the features of a synthetic snapshot (labels lean on retrieval score and genre match). */
async function benchRanker(dir: string, r: () => number): Promise<void> {
  const nUsers = 500, nItems = 3000;
  const uf = randomFactors(nUsers, r), itf = randomFactors(nItems, r);
  const b = new FeatureBuilder(syntheticSnapshot(nUsers, nItems, 3), retrievalView(K, uf, itf), 1000);
  const rows = 20_000, d = b.d, per = 40;
  const x = new Float32Array(rows * d), y = new Float32Array(rows), groups = new Int32Array(rows);
  for (let e = 0; e < rows; e += per) {
    const u = (e / per) % nUsers;
    const items = Int32Array.from({ length: per }, () => Math.floor(r() * nItems));
    const sc = Float32Array.from(items, (i) => { let s = 0; for (let t = 0; t < K; t++) s += uf[u * K + t] * itf[i * K + t]; return s; });
    b.rows(u, items, sc, Int32Array.from({ length: per }, (_, j) => j * 25), per, x, e);
    for (let j = 0; j < per; j++) {
      y[e + j] = x[(e + j) * d] * 30 + x[(e + j) * d + 13] + 0.3 * (r() - 0.5) > 0.5 ? 1 : 0;
      groups[e + j] = u;
    }
  }
  const m = await trainRanker(x, y, groups, [...FEATURE_NAMES], { maxEpochs: 2, seed: 1 });
  await saveRanker(m, dir);
  m.dispose();
}

interface PathResult {
  path: 'retrieval' | 'ranked';
  titles: number;
  users: number;
  scoreUsersPerSecond: number;
  withWritesUsersPerSecond: number;
  usersPerCpuSecondWithWrites: number;
  cpuSeconds: number;
  loadAverage: number;
  bytesPerList: number;
  redisMemoryUsagePerList: number;
}

async function main() {
  const cfg = loadConfig();
  const N = cfg.TOP_N;
  const nCand = cfg.RANK_CANDIDATES;
  const redis = new Redis(cfg.REDIS_URL);
  const prefix = `bench-score-${process.pid}`;
  const store = new VersionStore(redis, prefix, 600);
  const version = 'v20000101T000000Z-bench';
  const results: PathResult[] = [];
  const r = rng(7);
  await initTf('wasm');
  const rankerDir = join(mkdtempSync(join(tmpdir(), 'bench-score-')), 'ranker');
  await benchRanker(rankerDir, r);
  const nUsers = Math.max(USERS, RANKED_USERS);
  const userFactors = randomFactors(nUsers, r);
  console.log(`batch scoring, K=${K}, top ${N}, ${nCand} ranked candidates, ${THREADS} threads, batches of ${BATCH} → Redis ${cfg.REDIS_URL}`);
  console.log('path        titles    users   score users/s   +writes users/s   users/CPU-s   bytes/list   MEMORY USAGE/list');

  /** Time `users` users through rec: compute only, then compute + streamed writes. */
  async function measure(path: PathResult['path'], nItems: number, users: number, rec: Pick<Recommender, 'topN'>, seen: Csr): Promise<PathResult> {
    await rec.topN(Int32Array.from({ length: Math.min(64, users) }, (_, j) => j), seen, N); // warm-up: threads load kernels
    let t0 = performance.now();
    for await (const _ of scoreBatches(rec, seen, 0, users, BATCH, N)) void _;
    const scoreSeconds = (performance.now() - t0) / 1000;
    let bytes = 0;
    async function* rows() {
      for await (const { users: us, top } of scoreBatches(rec, seen, 0, users, BATCH, N)) {
        for (let j = 0; j < us.length; j++) {
          const u = us[j];
          const idx = top.idx.subarray(j * N, (j + 1) * N);
          let m = 0;
          while (m < N && idx[m] >= 0) m++;
          yield { userId: `u${u}`, userVec: userFactors.subarray(u * K, (u + 1) * K), idx, score: top.score.subarray(j * N, (j + 1) * N), n: m };
        }
        process.stderr.write(`  ${path} ${nItems} titles: ${us[us.length - 1] + 1}/${users} users\r`);
      }
    }
    t0 = performance.now();
    const cpu0 = process.cpuUsage(); // this process and its worker threads
    await store.writeUserLists(version, 0, rows());
    const totalSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // Redis's own accounting of one list: MEMORY USAGE (value + key + overhead) over a sample of keys.
    let mem = 0;
    for (let i = 0; i < 100; i++) {
      const key = store.k.userList(version, `u${Math.floor((i * users) / 100)}`);
      mem += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      bytes += (await redis.strlen(key)) / 100;
    }
    const row: PathResult = {
      path,
      titles: nItems,
      users,
      scoreUsersPerSecond: users / scoreSeconds,
      withWritesUsersPerSecond: users / totalSeconds,
      usersPerCpuSecondWithWrites: users / cpuSeconds,
      cpuSeconds,
      loadAverage: loadavg()[0],
      bytesPerList: bytes,
      redisMemoryUsagePerList: mem / 100,
    };
    console.log(`${path.padEnd(9)} ${String(nItems).padStart(8)} ${String(users).padStart(8)}   ${row.scoreUsersPerSecond.toFixed(0).padStart(13)}   ${row.withWritesUsersPerSecond.toFixed(0).padStart(15)}   ${row.usersPerCpuSecondWithWrites.toFixed(0).padStart(11)}   ${bytes.toFixed(0).padStart(10)}   ${row.redisMemoryUsagePerList.toFixed(0).padStart(17)}`);
    return row;
  }

  for (const nItems of CATALOGS) {
    const itemFactors = randomFactors(nItems, r);
    const seen = randomSeen(nUsers, nItems, r);
    const scorer = createBatchScorer({ k: K, userFactors: userFactors.subarray(0, nUsers * K), itemFactors }, seen, { n: N, threads: THREADS });
    const retrieval: Pick<Recommender, 'topN'> = { topN: (us) => scorer.score(us[0], us[us.length - 1] + 1) }; // scoreBatches passes contiguous users
    try {
      results.push(await measure('retrieval', nItems, USERS, retrieval, seen));
    } finally {
      await scorer.close();
    }
    const ranked = rankedPoolRecommender({ kind: 'ranked-bench', k: K, userFactors, itemFactors, snap: syntheticSnapshot(nUsers, nItems, 9), nCandidates: nCand, rankerDir, hardNegatives: 20, threads: THREADS });
    try {
      results.push(await measure('ranked', nItems, RANKED_USERS, ranked, seen));
    } finally {
      ranked.dispose();
    }
    const keys = await redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  }
  redis.disconnect();
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'score.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), k: K, n: N, rankCandidates: nCand, threads: THREADS, batchUsers: BATCH, loadAverageAtEnd: loadavg(), results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
