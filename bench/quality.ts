// Offline quality benchmark through the pipeline's own code (pipeline/: the same preparation,
// training, evaluation and release decision as a retrain, without Temporal; a scratch DuckDB per
// data set), with the default pipeline settings and the global time protocol:
//   demo          the synthetic demo world (DATA_DIR/worlds/demo-<seed>, generated when missing), plus
//                 the generator's oracle ceiling (titles ranked by the true watch propensity at the cutoff)
//   movielens     ../shared/data/ml-latest-small-2016 when that folder exists, or every --dataset DIR
//                 (any MovieLens directory: ratings.csv+movies.csv, ratings.dat+movies.dat, u.data+u.item)
// For each: the holdout the run chose (sized for power), every system's NDCG@10 / Recall@20 with 95 %
// intervals and sample sizes, the gate's outcome and release action, the paired shipped-vs-retrieval
// comparison, and two experiments the pipeline does not run:
//   negatives     the gate ranker retrained with uniform-over-catalog negatives of the same expected count,
//                 against today's rank-thinned hard negatives + popularity-proportional draws: NDCG@10 with
//                 intervals (paired) and the mean popularity of the top 10
//   trade-offs    the completion weight w of p(watch) × E[completion]^w and the re-rank grid (diversity,
//                 genre cap, freshness): bench/quality-tradeoffs.ts
//   cold titles   a slice of warm titles hidden from the retrieval model entirely; the content model
//                 (trained on the other titles' factors) gives them vectors; audience hit rate = share
//                 of their real watchers among the top-A users by predicted vector, vs A / users
//   session       then bench/session.ts on the same data sets: static list vs session-aware feed
//                 (bench/results/session.json; --no-session skips it)
// Prints a table, writes bench/results/quality.json.
//
// Run: npm run bench:quality [-- --only demo|movielens] [--dataset DIR …] [--seed 42] [--preset demo] [--no-negatives] [--no-cold] [--no-session]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig, type Config } from '../config';
import { generateWorld, loadOracle, type PresetName } from '../data/generator';
import { importMovieLens } from '../data/movielens';
import { evaluateFactorPredictions, fnv1a32, trainContentModel } from '../model/content';
import { pairedComparison, type PairedComparison } from '../model/bootstrap';
import { evaluateRecommender, LIGHT_MAX, type Evaluation } from '../model/evaluate';
import { describeComparison } from '../model/gate';
import { trainIals, transposeCsr } from '../model/ials';
import type { Metrics } from '../model/metrics';
import { fmix32 } from '../model/ranker';
import { globalRecommender, shippedRecommender, type Recommender } from '../model/recommend';
import { initTf } from '../model/tf-backend';
import { TopN } from '../model/topk';
import type { Csr, RetrievalParams } from '../model/types';
import { evaluateRun, type GateOut } from '../pipeline/evaluate';
import { tradeoffLines, tradeoffs, type Tradeoffs } from './quality-tradeoffs';
import { fitRankerPhase, loadRankedRecommender, rankerDir, rankerSettings, type RankerInfo, type RankerPlan } from '../pipeline/ranking';
import { defaultParams, defaultRankerPlan } from '../pipeline/recipe';
import { fitRetrieval } from '../pipeline/retrieval';
import { Warehouse } from '../storage/duckdb';
import { ingestFile, initSchema } from '../storage/ingest';
import { eventsFile } from '../data/world-dir';
import { prepareRunData, runFiles, type RunItem, type RunManifest } from '../storage/run-data';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MOVIELENS_DIR = resolve(ROOT, '..', 'shared', 'data', 'ml-latest-small-2016');

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
};
const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const log = (msg: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

interface NegativesResult {
  /** Expected negatives per user of both modes (storage/ranker-data.ts expectedNegatives). */
  uniformRanker: RankerInfo;
  /** NDCG@10 / Recall@20 with intervals, mean popularity of the top 10 (training-window popularity counts). */
  hardPopularity: Metrics;
  uniform: Metrics;
  /** Paired: uniform − today's negatives, and uniform − the retrieval order. */
  uniformVsHard: PairedComparison;
  uniformVsRetrieval: PairedComparison;
}

interface DatasetResult {
  name: string;
  params: RetrievalParams;
  ranker: RankerPlan;
  run: RunManifest;
  metrics: Record<string, Record<string, Metrics>>;
  gate: GateOut;
  /** Paired on the gate holdout: what ships vs the retrieval order alone (the acceptance figure). */
  shippedVsRetrieval: PairedComparison;
  rankedVsRetrieval: PairedComparison | null;
  gateRanker: RankerInfo;
  negatives?: NegativesResult;
  /** Completion weight w and the re-rank grid (diversity, genre cap, freshness): bench/quality-tradeoffs.ts. */
  tradeoffs: Tradeoffs;
  oracle?: Metrics;
  cold?: ColdResult;
  seconds: Record<string, number>;
}

interface ColdResult {
  hiddenTitles: number;
  titlesWithWatchers: number;
  watchers: number;
  trainTitles: number;
  audienceSize: number;
  users: number;
  audienceHitRate: number;
  randomHitRate: number;
  lift: number;
  backend: string;
}

/** The generator's oracle as a Recommender: true watch logit at `asOf` of every run title. */
async function oracleRecommender(worldDir: string, users: string[], items: RunItem[], asOf: Date): Promise<Recommender> {
  const oracle = await loadOracle(worldDir);
  const pos = new Map(oracle.movieIds.map((m, i) => [m, i]));
  const map = Int32Array.from(items, (t) => pos.get(t.movie_id) ?? -1);
  return {
    kind: 'oracle',
    k: 0,
    userVector: () => new Float32Array(0),
    async topN(us, seen, n) {
      const idx = new Int32Array(us.length * n).fill(-1);
      const score = new Float32Array(us.length * n).fill(-Infinity);
      const top = new TopN(n);
      const s = new Float32Array(items.length);
      for (let j = 0; j < us.length; j++) {
        const truth = oracle.score(users[us[j]], asOf);
        for (let i = 0; i < items.length; i++) s[i] = map[i] >= 0 ? truth[map[i]] : -Infinity;
        top.select(s, 0, items.length, seen.indices.subarray(seen.indptr[us[j]], seen.indptr[us[j] + 1]), idx, score, j * n);
      }
      return { n, idx, score };
    },
  };
}

/** Columns of `m` whose flag is set, emptied (the titles' interactions removed). */
function withoutColumns(m: Csr, hidden: Uint8Array): Csr {
  const indptr = new Int32Array(m.nRows + 1);
  const keep: number[] = [];
  for (let u = 0; u < m.nRows; u++) {
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) if (!hidden[m.indices[p]]) keep.push(p);
    indptr[u + 1] = keep.length;
  }
  return { nRows: m.nRows, nCols: m.nCols, indptr, indices: Int32Array.from(keep, (p) => m.indices[p]), values: Float32Array.from(keep, (p) => m.values[p]) };
}

function gather(a: Float32Array, k: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, j) => out.set(a.subarray(r * k, (r + 1) * k), j * k));
  return out;
}

/**
 * Cold titles: every 10th warm title with ≥ 5 watchers before the cutoff (seeded hash of
 * movie_id) is hidden from a fresh iALS fit; the content model learns from the others' factors and
 * predicts the hidden titles' vectors; their watchers (whose interactions were hidden) are looked
 * for among the top-A users by u·v.
 */
async function coldTitles(dir: string, params: RetrievalParams, cfg: Config, audienceSize: number): Promise<ColdResult> {
  const train = runFiles.csr(dir, 'gate');
  const items = runFiles.items(dir);
  const byItem = transposeCsr(train);
  const hidden = new Uint8Array(items.length);
  const hiddenIdx: number[] = [], warm: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const watchers = byItem.indptr[i + 1] - byItem.indptr[i];
    if (watchers === 0) continue;
    if (watchers >= 5 && fmix32((fnv1a32(items[i].movie_id) ^ 0x2c1b3c6d) >>> 0) % 10 === 0) {
      hidden[i] = 1;
      hiddenIdx.push(i);
    } else warm.push(i);
  }
  const masked = withoutColumns(train, hidden);
  log(`cold titles: iALS without ${hiddenIdx.length} hidden titles`);
  const f = await trainIals(masked, transposeCsr(masked), { factors: params.factors, epochs: params.epochs, alpha0: params.alpha0, lambda: params.lambda, nu: params.nu, cgSteps: params.cgSteps, seed: params.seed, threads: cfg.ALS_THREADS });
  const k = f.k;
  log(`cold titles: content model on ${warm.length} warm titles`);
  const model = await trainContentModel(warm.map((i) => items[i]), gather(f.itemFactors, k, warm), k, { seed: cfg.RANKER_SEED });
  const predicted = model.embed(hiddenIdx.map((i) => items[i]));
  const backend = model.trainedOn;
  model.dispose();
  const watchers = { indptr: new Int32Array(hiddenIdx.length + 1), indices: new Int32Array(0) };
  const all: number[] = [];
  hiddenIdx.forEach((i, j) => {
    for (let p = byItem.indptr[i]; p < byItem.indptr[i + 1]; p++) all.push(byItem.indices[p]);
    watchers.indptr[j + 1] = all.length;
  });
  watchers.indices = Int32Array.from(all);
  // The real factors are unknown for hidden titles (the oracle columns are not meaningful here).
  const ev = evaluateFactorPredictions(predicted, predicted, f.userFactors, k, watchers, { audienceSize, withOracle: false });
  return {
    hiddenTitles: hiddenIdx.length,
    titlesWithWatchers: ev.nTitlesWithWatchers,
    watchers: ev.nWatchers,
    trainTitles: warm.length,
    audienceSize,
    users: ev.nUsers,
    audienceHitRate: ev.audienceHitRate,
    randomHitRate: ev.randomHitRate,
    lift: ev.lift,
    backend,
  };
}

/** The gate ranker retrained with uniform negatives of the same expected count, against today's. */
async function negativesExperiment(dir: string, plan: RankerPlan, cfg: Config, evals: Record<string, Evaluation>, ctx: Parameters<typeof evaluateRecommender>[1]): Promise<NegativesResult> {
  // Today's gate ranker moves aside; the uniform one trains into the gate ranker's place.
  renameSync(rankerDir(dir, 'gate'), `${rankerDir(dir, 'gate')}-hard`);
  const uniformRanker = await fitRankerPhase(dir, 'gate', rankerSettings({ ...plan, negatives: 'uniform' }, cfg.ALS_THREADS));
  if (!uniformRanker.trained) throw new Error(`uniform-negatives ranker not trained: ${uniformRanker.reason}`);
  const train = runFiles.csr(dir, 'gate');
  const baselines = { popularity: globalRecommender('popularity', runFiles.f32(dir, 'pop_gate')), trending: globalRecommender('trending', runFiles.f32(dir, 'trend_gate')) };
  const rec = await loadRankedRecommender(dir, { rankerPhase: 'gate', retrievalPhase: 'gate', period: 'gate', popName: 'pop_gate', candidates: plan.candidates, threads: cfg.ALS_THREADS });
  try {
    const uni = await evaluateRecommender(shippedRecommender(rec, train, baselines, { lightMax: LIGHT_MAX, lightStrategy: 'model' }), ctx);
    const o = { samples: cfg.EVAL_BOOTSTRAP_SAMPLES, seed: 42 };
    return {
      uniformRanker,
      hardPopularity: evals.ranked.slices.all,
      uniform: uni.slices.all,
      uniformVsHard: pairedComparison(uni.ndcg10, evals.ranked.ndcg10, o),
      uniformVsRetrieval: pairedComparison(uni.ndcg10, evals.candidate.ndcg10, o),
    };
  } finally {
    rec.dispose();
  }
}

async function runDataset(o: { name: string; worldDir: string; cfg: Config; oracle: boolean; audienceSize: number; negatives: boolean; cold: boolean }): Promise<DatasetResult> {
  const { cfg } = o;
  const params = defaultParams(cfg);
  const plan = defaultRankerPlan(cfg);
  const work = mkdtempSync(join(tmpdir(), `recs-quality-${o.name}-`));
  const seconds: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      seconds[what] = Number(((performance.now() - s) / 1000).toFixed(1));
    }
  };
  try {
    const wh = await Warehouse.open(join(work, 'warehouse.duckdb'));
    const dir = join(work, 'run');
    let run: RunManifest;
    try {
      await initSchema(wh);
      log(`${o.name}: ingest ${o.worldDir}`);
      await timed('ingest', async () => {
        await ingestFile(wh, 'titles', join(o.worldDir, 'movies.csv'));
        await ingestFile(wh, 'events', eventsFile(o.worldDir));
      });
      log(`${o.name}: prepare (global time split, holdout sized for power)`);
      run = await timed('prepare', () => prepareRunData(wh, cfg, { version: `bench-${o.name}`, dir }, (s) => log(`  ${s}`)));
    } finally {
      wh.close();
    }
    log(`${o.name}: ${run.nUsers} users, ${run.nItems} titles, ${run.trainInteractions} training positives, ${run.holdoutUsers} holdout users; ${run.window.reason}`);

    log(`${o.name}: iALS (gate) k=${params.factors} epochs=${params.epochs} α0=${params.alpha0} λ=${params.lambda}`);
    await timed('ials_gate', () => fitRetrieval(dir, 'gate', 'gate', params, cfg.ALS_THREADS));
    log(`${o.name}: iALS (pre: the gate ranker's candidates)`);
    await timed('ials_pre', () => fitRetrieval(dir, 'pre', 'pre', params, cfg.ALS_THREADS));
    log(`${o.name}: ranker (examples at the pre clock, labels in [pre, cutoff))`);
    const gateRanker = await timed('ranker', () => fitRankerPhase(dir, 'gate', rankerSettings(plan, cfg.ALS_THREADS), (d) => (d.epoch ? log(`  epoch ${d.epoch}: val AUC ${Number(d.valAuc).toFixed(4)}`) : undefined)));
    log(`${o.name}: ranker ${gateRanker.trained ? `trained on ${gateRanker.backend}: ${gateRanker.examples} examples (${gateRanker.positives} positives), val AUC ${gateRanker.valAuc?.toFixed(4)}` : `not trained: ${gateRanker.reason}`}`);

    const bootstrap = { samples: cfg.EVAL_BOOTSTRAP_SAMPLES, seed: params.seed };
    const ev = await timed('evaluate', () =>
      evaluateRun(dir, {
        params,
        ranker: plan,
        live: null,
        threads: cfg.ALS_THREADS,
        maxUsers: cfg.EVAL_MAX_USERS,
        bootstrap,
        gate: { minLiftOverPopularity: cfg.GATE_MIN_LIFT_OVER_POPULARITY, maxRegressionVsLive: cfg.GATE_MAX_REGRESSION_VS_LIVE },
        tfBackend: cfg.TF_BACKEND,
        progress: (d) => log(`  evaluate ${String(d.model)}`),
      }),
    );
    log(`${o.name}: ${ev.gate.releaseReason}`);
    log(`${o.name}: ${ev.gate.rankerReason}`);
    log(`${o.name}: ${ev.gate.lightReason}`);
    const shippedVsRetrieval = pairedComparison(ev.evals.shipped.ndcg10, ev.evals.candidate.ndcg10, bootstrap);
    const rankedVsRetrieval = ev.evals.ranked ? pairedComparison(ev.evals.ranked.ndcg10, ev.evals.candidate.ndcg10, bootstrap) : null;
    const ctx = { seen: runFiles.csr(dir, 'gate_seen'), holdout: runFiles.csr(dir, 'holdout'), train: runFiles.csr(dir, 'gate'), popularity: runFiles.f32(dir, 'pop_gate'), maxUsers: cfg.EVAL_MAX_USERS, seed: params.seed, bootstrapSamples: cfg.EVAL_BOOTSTRAP_SAMPLES };
    log(`${o.name}: objective trade-offs (completion weight, re-rank grid)`);
    const tr = await timed('tradeoffs', () => tradeoffs(dir, { cfg, plan, gate: ev.gate, log }));
    let negatives: NegativesResult | undefined;
    if (o.negatives && ev.evals.ranked) {
      log(`${o.name}: negatives experiment (uniform over the catalog, same expected count)`);
      negatives = await timed('negatives', () => negativesExperiment(dir, plan, cfg, ev.evals, ctx));
    }
    let oracle: Metrics | undefined;
    if (o.oracle) oracle = (await evaluateRecommender(await oracleRecommender(o.worldDir, runFiles.users(dir), runFiles.items(dir), new Date(run.cutoff)), ctx)).slices.all;
    const cold = o.cold ? await timed('cold_titles', () => coldTitles(dir, params, cfg, o.audienceSize)) : undefined;
    return { name: o.name, params, ranker: plan, run, metrics: ev.metrics, gate: ev.gate, shippedVsRetrieval, rankedVsRetrieval, gateRanker, negatives, tradeoffs: tr, oracle, cold, seconds };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const ci = (m: Metrics, k: 'ndcg_10' | 'recall_20') => `${m[k].toFixed(4)} [${(m[`${k}_lo`] ?? NaN).toFixed(4)}, ${(m[`${k}_hi`] ?? NaN).toFixed(4)}]`;

async function main() {
  const cfg = loadConfig();
  const { backend } = await initTf(cfg.TF_BACKEND);
  const only = arg('only');
  const seed = num('seed') ?? 42;
  const preset = (arg('preset') ?? 'demo') as PresetName;
  const datasets = process.argv.flatMap((a, i) => (a === '--dataset' && process.argv[i + 1] ? [resolve(process.argv[i + 1])] : []));
  const negatives = !process.argv.includes('--no-negatives');
  const cold = !process.argv.includes('--no-cold');
  const results: DatasetResult[] = [];

  if (datasets.length === 0 && (!only || only === 'demo')) {
    const worldDir = join(cfg.DATA_DIR, 'worlds', `${preset}-${seed}`);
    if (!existsSync(join(worldDir, 'manifest.json'))) {
      log(`generating the ${preset} world (seed ${seed}) into ${worldDir}`);
      await generateWorld({ preset, seed, outDir: worldDir });
    }
    results.push(await runDataset({ name: preset, worldDir, cfg, oracle: true, audienceSize: 500, negatives, cold }));
  }
  const movielens = datasets.length > 0 ? datasets : (!only || only === 'movielens') && existsSync(MOVIELENS_DIR) ? [MOVIELENS_DIR] : [];
  if (datasets.length === 0 && (!only || only === 'movielens') && !existsSync(MOVIELENS_DIR)) log(`no MovieLens sample at ${MOVIELENS_DIR}: skipped`);
  for (const mlDir of movielens) {
    const worldDir = mkdtempSync(join(tmpdir(), 'recs-quality-ml-world-'));
    try {
      log(`importing ${mlDir}`);
      await importMovieLens(mlDir, worldDir);
      // A few hundred users: an audience of 500 would be most of them; 10 % of users keeps the measure meaningful.
      const users = runFilesUsersHint(worldDir);
      results.push(await runDataset({ name: basename(mlDir), worldDir, cfg, oracle: false, audienceSize: Math.max(10, Math.round(users / 10)), negatives, cold }));
    } finally {
      rmSync(worldDir, { recursive: true, force: true });
    }
  }

  // Table.
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(`${pad('data set', 26)}${pad('system', 18)}${pad('users', 7)}${pad('NDCG@10 [95% CI]', 27)}${pad('Recall@20 [95% CI]', 27)}${pad('cov@10', 8)}mean pop@10`);
  const summary: Record<string, unknown>[] = [];
  for (const r of results) {
    const rows: [string, Metrics][] = Object.entries(r.metrics).map(([m, sl]) => [m, sl.all]);
    if (r.oracle) rows.push(['oracle', r.oracle]);
    if (r.negatives) rows.push(['ranked (uniform neg.)', r.negatives.uniform]);
    for (const [model, m] of rows) lines.push(`${pad(r.name, 26)}${pad(model, 18)}${pad(String(m.users), 7)}${pad(ci(m, 'ndcg_10'), 27)}${pad(ci(m, 'recall_20'), 27)}${pad(m.coverage_10.toFixed(3), 8)}${m.mean_pop_10.toFixed(1)}`);
    summary.push({ name: r.name, params: r.params, ranker: r.ranker, run: r.run, gate: r.gate, shippedVsRetrieval: r.shippedVsRetrieval, rankedVsRetrieval: r.rankedVsRetrieval, metrics: r.metrics, oracle: r.oracle, gateRanker: r.gateRanker, negatives: r.negatives, tradeoffs: r.tradeoffs, coldTitles: r.cold, seconds: r.seconds });
  }
  lines.push('');
  for (const r of results) {
    lines.push(`${r.name}: holdout ${r.run.window.reason}`);
    lines.push(`${r.name}: gate ${r.gate.outcome} → ${r.gate.releaseReason}`);
    lines.push(`${r.name}: ${r.gate.rankerReason}`);
    lines.push(`${r.name}: ${r.gate.lightReason}`);
    lines.push(`${r.name}: shipped vs retrieval order (paired): ${describeComparison(r.shippedVsRetrieval, 'shipped', 'retrieval')}`);
    if (r.negatives) {
      lines.push(`${r.name}: negatives: uniform ${describeComparison(r.negatives.uniformVsHard, 'uniform', 'hard+popularity')}; mean pop@10 ${r.negatives.uniform.mean_pop_10.toFixed(1)} vs ${r.negatives.hardPopularity.mean_pop_10.toFixed(1)}`);
    }
    lines.push(...tradeoffLines(r.name, r.tradeoffs));
    if (r.cold) lines.push(`${r.name}: cold titles: ${r.cold.hiddenTitles} hidden titles (${r.cold.watchers} watchers), audience top-${r.cold.audienceSize} of ${r.cold.users} users: hit rate ${r.cold.audienceHitRate.toFixed(4)} vs random ${r.cold.randomHitRate.toFixed(4)} → ${r.cold.lift.toFixed(2)}×`);
  }
  lines.push('', `TF.js backend: ${backend}; ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} at the end`);
  console.log(lines.join('\n'));

  const cpu = process.cpuUsage(cpu0);
  const out = {
    date: new Date().toISOString(),
    script: 'npm run bench:quality',
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
    loadAverageAtEnd: loadavg()[0],
    wallSeconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    tfBackend: backend,
    datasets: summary,
  };
  const path = arg('out') ? resolve(arg('out')!) : join(ROOT, 'bench', 'results', 'quality.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(out, null, 1) + '\n');
  log(`wrote ${path}`);

  // The session-aware comparison (static list vs session-aware feed on the same data sets) is its
  // own script with its own protocol; run it here so one command writes every quality figure.
  if (!process.argv.includes('--no-session')) {
    const forward = process.argv.slice(2).flatMap((a, i, all) => (a === '--only' || a === '--dataset' ? [a, all[i + 1]] : []));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'session.ts'), ...forward], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) throw new Error(`bench/session.ts exited ${r.status}`);
  }
}

/** Users in an imported world (its manifest), to size the cold-title audience. */
function runFilesUsersHint(worldDir: string): number {
  try {
    const m = JSON.parse(readFileSync(join(worldDir, 'manifest.json'), 'utf8')) as { users?: number; nUsers?: number; counts?: { users?: number } };
    return m.users ?? m.nUsers ?? m.counts?.users ?? 670;
  } catch {
    return 670;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
