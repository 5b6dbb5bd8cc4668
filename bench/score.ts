// Batch scoring into Redis: users/s for top-500 lists (scores + user vector) written to Redis at
// 3 k, 20 k and 100 k titles, K=64, on the worker-thread TF.js WASM kernel (model/score.ts) —
// the same path a scoring shard takes (score in worker threads, encode, pipelined SET).
// Run: npx tsx bench/score.ts [--users N] [--threads N]. Writes bench/results/score.json.
// Needs Redis at REDIS_URL (npm run services:up); keys go under a bench prefix and are deleted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../config';
import { createBatchScorer } from '../model/score';
import type { Csr } from '../model/types';
import { VersionStore } from '../storage/redis-versions';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const USERS = Number(arg('users', '20000'));
const THREADS = Number(arg('threads', String(availableParallelism())));
const K = 64;
const N = 500;
const CATALOGS = [3_000, 20_000, 100_000];

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

async function main() {
  const cfg = loadConfig();
  const redis = new Redis(cfg.REDIS_URL);
  const prefix = `bench-score-${process.pid}`;
  const store = new VersionStore(redis, prefix, 600);
  const version = 'v20000101T000000Z-bench';
  const results: Record<string, unknown>[] = [];
  const r = rng(7);
  const userFactors = randomFactors(USERS, r);
  console.log(`batch scoring ${USERS} users, K=${K}, top ${N}, ${THREADS} threads → Redis ${cfg.REDIS_URL}`);
  console.log('titles   score users/s   score+write users/s   users/CPU-s   MB written   Redis bytes/user');
  for (const nItems of CATALOGS) {
    const itemFactors = randomFactors(nItems, r);
    const seen = randomSeen(USERS, nItems, r);
    const scorer = createBatchScorer({ k: K, userFactors, itemFactors }, seen, { n: N, threads: THREADS });
    const block = 2048;
    let scoreMs = 0;
    let writeMs = 0;
    let bytes = 0;
    await scorer.score(0, Math.min(256, USERS)); // warm-up: threads load their WASM kernels
    const t0 = performance.now();
    const cpu0 = process.cpuUsage(); // this process and its worker threads (the scoring kernels)
    for (let b = 0; b < USERS; b += block) {
      const e = Math.min(USERS, b + block);
      const s0 = performance.now();
      const top = await scorer.score(b, e);
      const s1 = performance.now();
      scoreMs += s1 - s0;
      const rows = [];
      for (let u = b; u < e; u++) {
        const j = u - b;
        rows.push({ userId: `u${u}`, userVec: userFactors.subarray(u * K, (u + 1) * K), idx: top.idx.subarray(j * N, (j + 1) * N), score: top.score.subarray(j * N, (j + 1) * N), n: N });
      }
      await store.writeUserLists(version, 0, rows);
      writeMs += performance.now() - s1;
      bytes += (e - b) * (8 + 4 * K + 8 * N);
      if ((b / block) % 4 === 0) process.stderr.write(`  ${nItems} titles: ${e}/${USERS} users\r`);
    }
    const total = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await scorer.close();
    // Redis's own accounting of one list: MEMORY USAGE over a sample of keys (value + key + overhead).
    const sample = Array.from({ length: 100 }, (_, i) => store.k.userList(version, `u${Math.floor((i * USERS) / 100)}`));
    let mem = 0;
    for (const key of sample) mem += Number(await redis.call('MEMORY', 'USAGE', key));
    const redisBytesPerUser = mem / sample.length;
    const row = { titles: nItems, users: USERS, k: K, n: N, threads: THREADS, scoreUsersPerSecond: USERS / (scoreMs / 1000), endToEndUsersPerSecond: USERS / (total / 1000), cpuSeconds, usersPerCpuSecond: USERS / cpuSeconds, loadAverage: loadavg()[0], scoreSeconds: scoreMs / 1000, redisWriteSeconds: writeMs / 1000, bytesPerUser: 8 + 4 * K + 8 * N, redisBytesPerUser, mbWritten: bytes / 1e6 };
    results.push(row);
    console.log(`${String(nItems).padStart(6)}   ${row.scoreUsersPerSecond.toFixed(0).padStart(13)}   ${row.endToEndUsersPerSecond.toFixed(0).padStart(19)}   ${row.usersPerCpuSecond.toFixed(0).padStart(11)}   ${row.mbWritten.toFixed(0).padStart(10)}   ${redisBytesPerUser.toFixed(0).padStart(16)}`);
  }
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'score.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), loadAverageAtEnd: loadavg(), results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
