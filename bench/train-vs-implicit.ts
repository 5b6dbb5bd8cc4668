// Our iALS against the `implicit` library's CPU ALS (C++/Cython, conjugate gradient) on the same
// matrix: bench:train's case b (~10 M interactions), K=64, 3 CG steps, 2 threads each. Both are
// timed in CPU-seconds of their whole process per epoch (steadier than wall time when other jobs
// share the cores). Each round trains both, in alternating order; a round's ratio is ours /
// implicit on the median of the epochs after the first (the first carries setup: our worker start,
// implicit's transpose inside fit()), and the headline is the median over rounds. Writes
// bench/results/train-vs-implicit.json.
//
// Run: npm run bench:train-vs-implicit [-- --epochs 4] [--rounds 3] [--threads 2] [--case b] [--python python3]
// The first run creates a Python virtualenv under .tools/bench-venv and installs implicit into it.
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, when the environment sets them, are removed from the
// implicit process's environment only (the JSON says which were); its BLAS runs single-threaded,
// as implicit recommends, since its own threads do the row solves.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainIals, transposeCsr, type IalsConfig } from '../model/ials';
import type { Csr } from '../model/types';
import { CASES, syntheticImplicit } from './synthetic-implicit';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VENV = join(ROOT, '.tools', 'bench-venv');
const IMPLICIT_VERSION = '0.7.3';
const UNSET_FOR_IMPLICIT = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The venv's python, creating the venv and installing implicit on first use. */
function venvPython(python: string): string {
  const py = join(VENV, 'bin', 'python');
  const ready = () => existsSync(py) && spawnSync(py, ['-c', 'import implicit, scipy, threadpoolctl'], { stdio: 'ignore' }).status === 0;
  if (ready()) return py;
  console.log(`creating ${VENV} and installing implicit ${IMPLICIT_VERSION} …`);
  mkdirSync(dirname(VENV), { recursive: true });
  execFileSync(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(py, ['-m', 'pip', 'install', '--quiet', `implicit==${IMPLICIT_VERSION}`, 'numpy', 'scipy', 'threadpoolctl'], { stdio: 'inherit' });
  if (!ready()) throw new Error(`${py} cannot import implicit after installing it`);
  return py;
}

function writeCsr(dir: string, m: Csr): void {
  const nnz = m.indptr[m.nRows];
  const bytes = (a: Int32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ rows: m.nRows, cols: m.nCols, nnz }));
  writeFileSync(join(dir, 'indptr.i32'), bytes(m.indptr));
  writeFileSync(join(dir, 'indices.i32'), bytes(m.indices.subarray(0, nnz)));
  writeFileSync(join(dir, 'values.f32'), bytes(m.values.subarray(0, nnz)));
}

interface Timing {
  cpuSecondsPerEpoch: number[];
  secondsPerEpoch: number[];
}

async function runOurs(byUser: Csr, cfg: IalsConfig): Promise<Timing & { kernel: string }> {
  const byItem = transposeCsr(byUser);
  const cpu: number[] = [], wall: number[] = [];
  let c0 = process.cpuUsage(), w0 = performance.now();
  const { kernel } = await trainIals(byUser, byItem, cfg, {
    onEpoch: () => {
      const d = process.cpuUsage(c0), w = performance.now();
      cpu.push((d.user + d.system) / 1e6);
      wall.push((w - w0) / 1000);
      c0 = process.cpuUsage();
      w0 = w;
    },
  });
  return { kernel, cpuSecondsPerEpoch: cpu, secondsPerEpoch: wall };
}

function runImplicit(py: string, dir: string, epochs: number, threads: number, factors: number, cgSteps: number, regularization: number) {
  const env = { ...process.env };
  const unset = UNSET_FOR_IMPLICIT.filter((v) => v in env);
  for (const v of unset) delete env[v];
  const out = execFileSync(py, [join(ROOT, 'bench', 'implicit-als.py'), dir, String(epochs), String(threads), String(factors), String(cgSteps), String(regularization)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const res = JSON.parse(out.trim().split('\n').at(-1)!) as Timing & Record<string, unknown>;
  return { ...res, unsetEnvironment: unset };
}

async function main(): Promise<void> {
  const epochs = Number(arg('epochs', '4'));
  const threads = Number(arg('threads', '2'));
  const caseName = arg('case', 'b');
  const python = arg('python', 'python3');
  const rounds = Number(arg('rounds', '3'));
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`--rounds must be a positive integer, got ${rounds}`);
  if (!(Number.isInteger(epochs) && epochs >= 2)) throw new RangeError(`--epochs must be an integer ≥ 2 (the first epoch is not compared), got ${epochs}`);
  const c = CASES.find((x) => x.name === caseName);
  if (!c) throw new RangeError(`--case must be one of ${CASES.map((x) => x.name).join(', ')}, got ${caseName}`);
  const py = venvPython(python);

  const byUser = syntheticImplicit(c, 7);
  const nnz = byUser.indptr[byUser.nRows];
  const dir = mkdtempSync(join(tmpdir(), 'train-vs-implicit-'));
  const k = 64, cgSteps = 3, lambda = 0.02;
  try {
    writeCsr(dir, byUser);
    console.log(`case ${c.name}: ${c.users} users × ${c.items} items, ${nnz} interactions; K=${k}, ${cgSteps} CG steps, ${threads} threads, ${epochs} epochs each, ${rounds} rounds`);
    const steady = (t: Timing) => ({ cpu: median(t.cpuSecondsPerEpoch.slice(1)), wall: median(t.secondsPerEpoch.slice(1)) });
    const show = (t: Timing) => `CPU-s/epoch ${t.cpuSecondsPerEpoch.map((x) => x.toFixed(2)).join(' ')}, wall s ${t.secondsPerEpoch.map((x) => x.toFixed(2)).join(' ')} (load ${loadavg()[0].toFixed(1)})`;
    const runs = [];
    // Rounds alternate which trainer goes first, so a change in the machine's load hits both.
    for (let round = 1; round <= rounds; round++) {
      let ours: Awaited<ReturnType<typeof runOurs>> | undefined, imp: ReturnType<typeof runImplicit> | undefined;
      for (const who of round % 2 ? ['ours', 'implicit'] : ['implicit', 'ours']) {
        if (who === 'ours') {
          ours = await runOurs(byUser, { factors: k, epochs, alpha0: 0.005, lambda, nu: 1, cgSteps, seed: 42, threads });
          console.log(`  round ${round} ours (${ours.kernel} kernel): ${show(ours)}`);
        } else {
          imp = runImplicit(py, dir, epochs, threads, k, cgSteps, lambda);
          console.log(`  round ${round} implicit: ${show(imp)}`);
        }
      }
      const o = steady(ours!), i = steady(imp!);
      runs.push({ round, ours: { ...ours!, medianCpuSeconds: o.cpu, medianSeconds: o.wall }, implicit: { ...imp!, medianCpuSeconds: i.cpu, medianSeconds: i.wall }, ratioCpu: o.cpu / i.cpu, ratioWall: o.wall / i.wall });
      console.log(`  round ${round}: ours ${o.cpu.toFixed(2)} CPU-s (${o.wall.toFixed(2)} s wall), implicit ${i.cpu.toFixed(2)} CPU-s (${i.wall.toFixed(2)} s wall) per epoch → ${(o.cpu / i.cpu).toFixed(2)}× CPU, ${(o.wall / i.wall).toFixed(2)}× wall`);
    }
    const ratio = { cpu: median(runs.map((r) => r.ratioCpu)), wall: median(runs.map((r) => r.ratioWall)) };
    console.log(`
ratio ours/implicit (median over ${rounds} round${rounds > 1 ? 's' : ''}): ${ratio.cpu.toFixed(2)}× CPU-seconds, ${ratio.wall.toFixed(2)}× wall seconds per epoch`);
    const out = join(ROOT, 'bench', 'results', 'train-vs-implicit.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpu: cpus()[0]?.model,
          cores: availableParallelism(),
          loadAverageAtEnd: loadavg(),
          matrix: { case: c.name, users: c.users, items: c.items, interactions: nnz, confidence: '1, or 1.5 for 10% of cells (same CSR to both)' },
          settings: { factors: k, cgSteps, threads, epochs, rounds, regularization: lambda, oursAlpha0: 0.005, oursNu: 1, compared: `per round, median of epochs 2..${epochs}; headline ratio = median over rounds` },
          ratioCpu: ratio.cpu,
          ratioWall: ratio.wall,
          rounds: runs,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`wrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
