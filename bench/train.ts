// Benchmark of trainIals on synthetic power-law implicit data built in-process (seeded):
// (a) ~5 M and (b) ~10 M interactions, K=64. Prints seconds per epoch and interactions/s and
// writes bench/results/train.json. Run: npx tsx bench/train.ts [--epochs N] [--threads N] [--only a|b]
// Wall time suffers when other jobs share the cores: the JSON records CPU-seconds per epoch and the
// load average too. Committed run (bench/results/train.json, 2-core AMD EPYC, load ≈11 from other
// jobs, SIMD kernel, 3 CG steps): case b 2.6–2.8 CPU-s per epoch after the first (whose figure
// includes worker start), case a ≈1.3. bench:train-vs-implicit compares the same matrix with implicit.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainIals, transposeCsr, type IalsConfig } from '../model/ials';
import { CASES, syntheticImplicit } from './synthetic-implicit';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
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
    const { kernel } = await trainIals(byUser, byItem, cfg, {
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
    results.push({ case: c.name, users: c.users, items: c.items, interactions: nnz, k: 64, cgSteps: 3, epochs, simd, kernel, threads: threads || availableParallelism(), secondsPerEpoch: perEpoch, cpuSecondsPerEpoch: cpuPerEpoch, meanEpochSeconds: mean, meanEpochCpuSeconds: cpuPerEpoch.reduce((a, b) => a + b, 0) / cpuPerEpoch.length, bestEpochSeconds: best, interactionsPerSecond: nnz / mean, totalSecondsWithStartup: total });
  }
  console.log('\ncase  interactions  threads  kernel  mean s/epoch  best s/epoch  M interactions/s  CPU-s/epoch');
  for (const r of results as { case: string; interactions: number; threads: number; kernel: string; meanEpochSeconds: number; bestEpochSeconds: number; interactionsPerSecond: number; meanEpochCpuSeconds: number }[]) {
    console.log(`${r.case.padEnd(6)}${String(r.interactions).padStart(12)}  ${String(r.threads).padStart(7)}  ${r.kernel.padStart(6)}  ${r.meanEpochSeconds.toFixed(2).padStart(12)}  ${r.bestEpochSeconds.toFixed(2).padStart(12)}  ${(r.interactionsPerSecond / 1e6).toFixed(2).padStart(16)}  ${r.meanEpochCpuSeconds.toFixed(2).padStart(11)}`);
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'train.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), loadAverageAtEnd: loadavg(), results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

await main();
