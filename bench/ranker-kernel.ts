// Benchmark of the TF.js ranker (model/ranker.ts) on a synthetic 200 k × 16 example set
// (5 k users × 40 candidates, a planted logistic rule with interactions): training and
// prediction examples/s on every available backend (tfjs-node when installed, wasm, cpu), same
// seed and config on each, plus the largest prediction difference between backends.
// Writes bench/results/ranker-kernel.json. Run: npx tsx bench/ranker-kernel.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RANKER_CONFIG, mulberry32, rocAuc, trainRanker, type RankerConfig } from '../model/ranker';
import { initTf, type TfBackendName } from '../model/tf-backend';

const N = 200_000, D = 16, PER_USER = 40, EPOCHS = 3;
const REGISTRY: Record<TfBackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** Features on mixed scales; p(y=1) = σ(x₀ + x₁·x₂ − |x₃| + 0.5·x₄ − 1) on the standardized values. */
function syntheticExamples(seed: number) {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const x = new Float32Array(N * D), y = new Float32Array(N), groups = new Int32Array(N);
  const z = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      z[j] = gauss();
      x[i * D + j] = z[j] * (1 + j) + 10 * j; // what SQL would hand over: unstandardized
    }
    const logit = z[0] + z[1] * z[2] - Math.abs(z[3]) + 0.5 * z[4] - 1;
    y[i] = r() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    groups[i] = Math.floor(i / PER_USER);
  }
  return { x, y, groups, featureNames: Array.from({ length: D }, (_, j) => `f${j}`) };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]; // other jobs on this machine skew the figures; recorded for context
  const data = syntheticExamples(1);
  const cfg: Partial<RankerConfig> = { maxEpochs: EPOCHS, patience: EPOCHS + 1, seed: 42 };
  const runs: { backend: TfBackendName; batchSize: number }[] = [
    { backend: 'node', batchSize: DEFAULT_RANKER_CONFIG.batchSize },
    { backend: 'wasm', batchSize: DEFAULT_RANKER_CONFIG.batchSize },
    { backend: 'wasm', batchSize: 4096 },
    { backend: 'cpu', batchSize: DEFAULT_RANKER_CONFIG.batchSize },
  ];
  const results: Record<string, unknown>[] = [];
  const predictions = new Map<string, Float32Array>();
  const unavailable = new Set<TfBackendName>();

  for (const run of runs) {
    if (unavailable.has(run.backend)) continue;
    const { backend } = await initTf(run.backend);
    if (backend !== REGISTRY[run.backend]) {
      unavailable.add(run.backend);
      results.push({ backend: run.backend, available: false, fellBackTo: backend });
      console.log(`${run.backend.padEnd(6)} not available (initTf fell back to ${backend})`);
      continue;
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const model = await trainRanker(data.x, data.y, data.groups, data.featureNames, { ...cfg, batchSize: run.batchSize });
    const wall = (performance.now() - t0) / 1000;
    const trainCpu = cpuSeconds(process.cpuUsage(c0));
    const trainSeconds = model.history.reduce((s, h) => s + h.trainSeconds, 0);
    const trainExamples = model.nTrain * model.history.length;

    model.predict(data.x.subarray(0, 8192 * D), 8192); // warm-up
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const p = model.predict(data.x, N);
    const predictSeconds = (performance.now() - t1) / 1000;
    const predictCpu = cpuSeconds(process.cpuUsage(c1));
    predictions.set(`${backend}/${run.batchSize}`, p);

    const last = model.history[model.history.length - 1];
    const row = {
      backend,
      available: true,
      batchSize: run.batchSize,
      epochs: model.history.length,
      nTrain: model.nTrain,
      nValid: model.nValid,
      trainSeconds,
      trainExamplesPerSecond: trainExamples / trainSeconds,
      trainWallSeconds: wall,
      // Per CPU-second of this process: less sensitive to other jobs on a shared machine.
      trainExamplesPerCpuSecond: trainExamples / trainCpu,
      predictSeconds,
      predictExamplesPerSecond: N / predictSeconds,
      predictExamplesPerCpuSecond: N / predictCpu,
      valAuc: last.valAuc,
      valLogLoss: last.valLogLoss,
      allRowsAuc: rocAuc(p, data.y),
    };
    results.push(row);
    console.log(
      `${backend.padEnd(10)} batch=${String(run.batchSize).padEnd(5)} train ${row.trainExamplesPerSecond.toFixed(0).padStart(7)} ex/s (${row.trainExamplesPerCpuSecond.toFixed(0)} per CPU-s)` +
        `  predict ${row.predictExamplesPerSecond.toFixed(0).padStart(8)} ex/s (${row.predictExamplesPerCpuSecond.toFixed(0)} per CPU-s)  val AUC ${row.valAuc.toFixed(4)}  logloss ${row.valLogLoss.toFixed(4)}`,
    );
    model.dispose();
  }

  // Same seed and batch size on two backends: how far apart are the trained models' outputs?
  const a = predictions.get(`wasm/${DEFAULT_RANKER_CONFIG.batchSize}`), b = predictions.get(`cpu/${DEFAULT_RANKER_CONFIG.batchSize}`);
  let maxAbsDiffWasmVsCpu: number | null = null;
  if (a && b) {
    maxAbsDiffWasmVsCpu = 0;
    for (let i = 0; i < N; i++) maxAbsDiffWasmVsCpu = Math.max(maxAbsDiffWasmVsCpu, Math.abs(a[i] - b[i]));
    console.log(`max |p_wasm − p_cpu| over ${N} rows after identical training: ${maxAbsDiffWasmVsCpu.toExponential(2)}`);
  }

  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    loadAverageAtStart: loadAtStart,
    examples: N,
    features: D,
    epochs: EPOCHS,
    config: { ...DEFAULT_RANKER_CONFIG, ...cfg },
    results,
    maxAbsDiffWasmVsCpu,
  };
  const path = join(dirname(fileURLToPath(import.meta.url)), 'results', 'ranker-kernel.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log('wrote bench/results/ranker-kernel.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
