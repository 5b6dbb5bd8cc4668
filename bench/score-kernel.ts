// Benchmark of the batch-scoring kernels (model/score.ts) at a 20 k-title catalog, k=64, N=500:
// scalar-JS blocked product, TF.js WASM matMul, each on 1 thread and in the worker pool, and an
// hnswlib-node inner-product index with ef raised until recall@500 against the exact lists ≥ 0.99.
// Top-N selection and training-item exclusion are included in every figure. No Redis.
// Writes bench/results/score-kernel.json. Run: npx tsx bench/score-kernel.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hnswlib from 'hnswlib-node';
import { createBatchScorer, createJsScorer, createTfScorer, scoreRangeWith, type TopNResult } from '../model/score';
import type { Csr, Factors } from '../model/types';
import { mulberry32 as rng } from '../model/random';

const K = 64, N = 500, N_ITEMS = 20_000, N_USERS = 20_000, HISTORY = 70;


/** Gaussian-ish factors; item norms shrink with popularity rank, as trained iALS factors do. */
function syntheticModel(seed: number): { factors: Factors; train: Csr } {
  const r = rng(seed);
  const g = () => r() + r() + r() - 1.5;
  const userFactors = new Float32Array(N_USERS * K).map(g);
  const itemFactors = new Float32Array(N_ITEMS * K);
  for (let i = 0; i < N_ITEMS; i++) {
    const scale = 1 / Math.pow(1 + i / 500, 0.3);
    for (let t = 0; t < K; t++) itemFactors[i * K + t] = g() * scale;
  }
  const indptr = new Int32Array(N_USERS + 1), indices = new Int32Array(N_USERS * HISTORY);
  for (let u = 0; u < N_USERS; u++) {
    const s = new Set<number>();
    while (s.size < HISTORY) s.add(Math.floor(Math.pow(r(), 2) * N_ITEMS));
    indices.set([...s].sort((a, b) => a - b), u * HISTORY);
    indptr[u + 1] = (u + 1) * HISTORY;
  }
  return { factors: { k: K, userFactors, itemFactors }, train: { nRows: N_USERS, nCols: N_ITEMS, indptr, indices, values: new Float32Array(indices.length).fill(1) } };
}

function recallAgainst(exact: TopNResult, got: Int32Array, users: number): number {
  let hit = 0, total = 0;
  for (let u = 0; u < users; u++) {
    const truth = new Set(exact.idx.subarray(u * N, (u + 1) * N));
    for (let j = 0; j < N; j++) if (truth.has(got[u * N + j])) hit++;
    total += N;
  }
  return hit / total;
}

async function main(): Promise<void> {
  const { factors, train } = syntheticModel(3);
  const results: Record<string, unknown>[] = [];
  // CPU time of the process (all threads) beside wall time: other jobs on the cores inflate wall
  // time, so users per CPU-second × cores is the figure to compare when the load average is high.
  let cpu = process.cpuUsage();
  const mark = () => {
    cpu = process.cpuUsage();
    return performance.now();
  };
  const record = (name: string, threads: number, users: number, seconds: number, extra: Record<string, unknown> = {}) => {
    const d = process.cpuUsage(cpu);
    const cpuSeconds = (d.user + d.system) / 1e6;
    const r = { kernel: name, threads, users, seconds, cpuSeconds, usersPerSecond: users / seconds, usersPerCpuSecond: users / cpuSeconds, loadAverage: loadavg()[0], ...extra };
    results.push(r);
    console.log(`${name.padEnd(28)} threads=${threads}  ${users} users in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} CPU-s)  → ${(users / seconds).toFixed(0)} users/s, ${(users / cpuSeconds).toFixed(0)} users/CPU-s  load ${loadavg()[0].toFixed(1)}`);
  };

  // Exact reference for recall checks (first 200 users), from the JS kernel.
  const js = createJsScorer(factors.itemFactors, N_ITEMS, K);
  let t = mark();
  const jsUsers = 600;
  const exact = scoreRangeWith(js, factors.userFactors, K, train, 0, jsUsers, N);
  record('js (blocked scalar)', 1, jsUsers, (performance.now() - t) / 1000);

  const tfs = await createTfScorer(factors.itemFactors, N_ITEMS, K);
  scoreRangeWith(tfs, factors.userFactors, K, train, 0, 256, N); // warm-up
  t = mark();
  const wasmUsers = 5000;
  const viaTf = scoreRangeWith(tfs, factors.userFactors, K, train, 0, wasmUsers, N);
  record('tfjs-wasm matMul', 1, wasmUsers, (performance.now() - t) / 1000, { recallVsExact: recallAgainst(exact, viaTf.idx, jsUsers) });
  tfs.dispose();

  const threads = availableParallelism();
  for (const kernel of ['wasm', 'js'] as const) {
    const users = kernel === 'wasm' ? N_USERS : 2000;
    const s = createBatchScorer(factors, train, { n: N, kernel, threads });
    await s.score(0, 256); // start-up: workers load their kernels
    t = mark();
    const res = await s.score(0, users);
    record(`pool ${kernel}`, threads, users, (performance.now() - t) / 1000, { recallVsExact: recallAgainst(exact, res.idx, jsUsers) });
    await s.close();
  }

  // hnswlib-node: inner-product HNSW over the items; ask for N + |history| so exclusions still leave N.
  t = performance.now();
  const index = new hnswlib.HierarchicalNSW('ip', K);
  index.initIndex({ maxElements: N_ITEMS, m: 16, efConstruction: 200, randomSeed: 1 });
  for (let i = 0; i < N_ITEMS; i++) {
    index.addPoint(Array.from(factors.itemFactors.subarray(i * K, (i + 1) * K)), i);
    if (i % 5000 === 4999) console.log(`  hnsw build ${i + 1}/${N_ITEMS}`);
  }
  const buildSeconds = (performance.now() - t) / 1000;
  console.log(`hnsw build ${buildSeconds.toFixed(1)} s`);
  const hnswUsers = 200;
  for (const ef of [600, 1000, 2000, 4000]) {
    index.setEf(ef);
    const got = new Int32Array(hnswUsers * N).fill(-1);
    t = mark();
    for (let u = 0; u < hnswUsers; u++) {
      const ex = new Set(train.indices.subarray(train.indptr[u], train.indptr[u + 1]));
      const q = Array.from(factors.userFactors.subarray(u * K, (u + 1) * K));
      const { neighbors } = index.searchKnn(q, N, (label) => !ex.has(label));
      for (let j = 0; j < neighbors.length; j++) got[u * N + j] = neighbors[j];
    }
    const seconds = (performance.now() - t) / 1000;
    const recall = recallAgainst(exact, got, hnswUsers);
    record(`hnsw ip ef=${ef}`, 1, hnswUsers, seconds, { ef, recallVsExact: recall, buildSeconds });
    if (recall >= 0.99) break;
  }

  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'score-kernel.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), loadAverageAtEnd: loadavg(), items: N_ITEMS, k: K, n: N, results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

await main();
