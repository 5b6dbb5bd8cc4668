// Benchmark of trainIals on synthetic power-law implicit data built in-process (seeded):
// (a) ~5 M and (b) ~10 M interactions, K=64. Prints seconds per epoch and interactions/s and
// writes bench/results/train.json. Run: npx tsx bench/train.ts [--epochs N] [--threads N] [--only a|b]
// Wall time suffers when other jobs share the cores: the JSON records CPU-seconds per epoch and the
// load average too. On the 2-core build machine with load ≈2 from other jobs: 4.5 M interactions
// 1.5–1.6 s/epoch, 9.5 M interactions 3.3–3.6 s/epoch (≈2.8 M interactions/s, SIMD kernel, 3 CG steps).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainIals, transposeCsr, type IalsConfig } from '../model/ials';
import type { Csr } from '../model/types';
import { mulberry32 as rng } from '../model/random';

interface Case {
  name: string;
  users: number;
  items: number;
  interactions: number;
}

const CASES: Case[] = [
  { name: 'a', users: 70_000, items: 20_000, interactions: 5_000_000 },
  { name: 'b', users: 140_000, items: 20_000, interactions: 10_000_000 },
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}


/**
 * Users' activity ~ Pareto (tail exponent 1.5, at least 5 items), items' popularity ~ Zipf
 * (1/(rank+10)^0.9); each user's items drawn by popularity without repeats, confidence 1 + a
 * small repeat-watch bonus. Activity is rescaled so the total lands near `interactions`.
 */
export function syntheticImplicit(c: Case, seed: number): Csr {
  const rand = rng(seed);
  const cdf = new Float64Array(c.items);
  let acc = 0;
  for (let i = 0; i < c.items; i++) cdf[i] = acc += 1 / Math.pow(i + 10, 0.9);
  for (let i = 0; i < c.items; i++) cdf[i] /= acc;
  const raw = new Float64Array(c.users);
  let rawSum = 0;
  for (let u = 0; u < c.users; u++) rawSum += raw[u] = Math.pow(1 - rand(), -1 / 1.5);
  const indptr = new Int32Array(c.users + 1);
  const counts = new Int32Array(c.users);
  // The clamp to [5, items/4] moves the total: re-aim the scale a few times.
  for (let it = 0, scale = c.interactions / rawSum; it < 4; it++) {
    for (let u = 0; u < c.users; u++) {
      counts[u] = Math.max(5, Math.min(Math.round(raw[u] * scale), Math.floor(c.items / 4)));
      indptr[u + 1] = indptr[u] + counts[u];
    }
    scale *= c.interactions / indptr[c.users];
  }
  const indices = new Int32Array(indptr[c.users]);
  const values = new Float32Array(indptr[c.users]);
  const seen = new Uint32Array(c.items); // stamp u+1 when user u holds item i
  let nnz = 0;
  const row = new Int32Array(c.items);
  for (let u = 0; u < c.users; u++) {
    const start = nnz;
    let n = 0;
    while (n < counts[u]) {
      const x = rand();
      let lo = 0, hi = c.items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      if (seen[lo] === u + 1) continue;
      seen[lo] = u + 1;
      row[n++] = lo;
    }
    const sorted = row.subarray(0, n).sort();
    indices.set(sorted, start);
    for (let j = 0; j < n; j++) values[start + j] = 1 + (rand() < 0.1 ? 0.5 : 0);
    nnz += n;
    indptr[u + 1] = nnz;
  }
  return { nRows: c.users, nCols: c.items, indptr, indices: indices.subarray(0, nnz), values: values.subarray(0, nnz) };
}

async function main(): Promise<void> {
  const epochs = Number(arg('epochs', '3'));
  const threads = Number(arg('threads', '0'));
  const only = arg('only', '');
  const simd = arg('simd', 'true') !== 'false';
  const results: unknown[] = [];
  for (const c of CASES.filter((x) => !only || x.name === only)) {
    let t = performance.now();
    const byUser = syntheticImplicit(c, 7);
    const byItem = transposeCsr(byUser);
    const nnz = byUser.indptr[byUser.nRows];
    console.log(`case ${c.name}: ${c.users} users × ${c.items} items, ${nnz} interactions, built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const cfg: IalsConfig = { factors: 64, epochs, alpha0: 0.005, lambda: 0.02, nu: 1, cgSteps: 3, seed: 42, threads, simd };
    const perEpoch: number[] = [];
    const cpuPerEpoch: number[] = [];
    t = performance.now();
    let cpu = process.cpuUsage();
    await trainIals(byUser, byItem, cfg, {
      onEpoch: (e) => {
        // CPU time of the whole process (all worker threads): robust when other jobs share the cores.
        const d = process.cpuUsage(cpu);
        cpu = process.cpuUsage();
        const cpuSeconds = (d.user + d.system) / 1e6;
        perEpoch.push(e.seconds);
        cpuPerEpoch.push(cpuSeconds);
        console.log(`  epoch ${e.epoch}: ${e.seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} CPU-s, ${(nnz / e.seconds / 1e6).toFixed(2)} M interactions/s (load ${loadavg()[0].toFixed(1)})`);
      },
    });
    const total = (performance.now() - t) / 1000;
    const best = Math.min(...perEpoch);
    const mean = perEpoch.reduce((a, b) => a + b, 0) / perEpoch.length;
    results.push({ case: c.name, users: c.users, items: c.items, interactions: nnz, k: 64, cgSteps: 3, epochs, simd, threads: threads || availableParallelism(), secondsPerEpoch: perEpoch, cpuSecondsPerEpoch: cpuPerEpoch, meanEpochSeconds: mean, meanEpochCpuSeconds: cpuPerEpoch.reduce((a, b) => a + b, 0) / cpuPerEpoch.length, bestEpochSeconds: best, interactionsPerSecond: nnz / mean, totalSecondsWithStartup: total });
  }
  console.log('\ncase  interactions  threads  kernel  mean s/epoch  best s/epoch  M interactions/s  CPU-s/epoch');
  for (const r of results as { case: string; interactions: number; threads: number; simd: boolean; meanEpochSeconds: number; bestEpochSeconds: number; interactionsPerSecond: number; meanEpochCpuSeconds: number }[]) {
    console.log(`${r.case.padEnd(6)}${String(r.interactions).padStart(12)}  ${String(r.threads).padStart(7)}  ${(r.simd ? 'simd' : 'js').padStart(6)}  ${r.meanEpochSeconds.toFixed(2).padStart(12)}  ${r.bestEpochSeconds.toFixed(2).padStart(12)}  ${(r.interactionsPerSecond / 1e6).toFixed(2).padStart(16)}  ${r.meanEpochCpuSeconds.toFixed(2).padStart(11)}`);
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'train.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), loadAverageAtEnd: loadavg(), results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

await main();
