// Ranking models of a run: build a ranker phase's examples (SQL, storage/ranker-data.ts), train
// the TF.js ranker, and load it back as a Recommender over retrieval candidates. Shared by the
// activities (activities/rank.ts, evaluate, score) and the benchmarks.
//
// Which data each ranker phase learns from — always the period before the one it is applied in,
// so its labels are never inside its features or its candidates' retrieval model:
//   gate ranker  examples as of the pre clock: candidates of the 'pre' iALS (events before the pre
//                clock), features of the pre snapshot, labels = watches in [pre, cutoff).
//                Evaluated on the holdout: candidates of the 'gate' iALS, gate snapshot.
//   ship ranker  examples as of the cutoff: candidates of the 'gate' iALS, gate snapshot, labels =
//                the holdout [cutoff, as-of]. Ships: scoring uses the 'ship' iALS and snapshot.
// TF.js trains on the caller's thread: ranker.ts yields to the event loop every few dozen batches.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_NAMES, FeatureBuilder, exampleFeatures, retrievalView } from '../model/features';
import { fmix32, trainRanker, type RankerConfig } from '../model/ranker';
import { loadRanker, saveRanker } from '../storage/tf-models';
import { dropUnavailable, hardNegativeLogKeep, rankedRecommender } from '../model/rerank';
import type { Recommender } from '../model/recommend';
import { currentTf, initTf } from '../model/tf-backend';
import type { Csr } from '../model/types';
import { readF32, readJson, writeJson } from '../storage/artifacts';
import { buildRankerExamples, readFeatureSnapshot, writeRankerExamples, type Period, type RankerExamples, type RankerPhase } from '../storage/ranker-data';
import { runFiles, type RunCsrName } from '../storage/run-data';
import { completionDir, completionTrained, fitCompletionPhase, loadCompletionObjective, type CompletionInfo } from './completion';
import { rankedPoolRecommender } from './ranked-pool';
import { factorFiles, loadRecommender, type PopName, type TrainedModelInfo } from './retrieval';

/** The ranking step of a run's recipe (config RANKER_*, RANK_CANDIDATES + the caller's overrides): stored with the version. */
export interface RankerPlan {
  enabled: boolean;
  /** Retrieval candidates per user that the ranker orders. */
  candidates: number;
  trainUsers: number;
  hardNegatives: number;
  popNegatives: number;
  /** 'hard_popularity' (rank-thinned hard negatives + popularity-proportional draws) or 'uniform' (the same count drawn uniformly over the catalog; for the benchmark's comparison). */
  negatives: 'hard_popularity' | 'uniform';
  maxEpochs: number;
  learningRate: number;
  seed: number;
  /** w of the shipped score p(watch) × E[completion]^w (pipeline/completion.ts); 0 = p(watch) alone. Absent in older recipes: 0. */
  completionWeight?: number;
}

/** What a trainRanker step did (no arrays: the model and its examples are files of the run). */
export interface RankerInfo {
  phase: 'gate' | 'ship';
  trained: boolean;
  /** Why no ranker was trained (trained = false), e.g. no labels in the window. */
  reason?: string;
  /** TF.js backend that trained it ('tensorflow' | 'wasm' | 'cpu'). */
  backend: string;
  users: number;
  examples: number;
  positives: number;
  popularitySamples: number;
  /** H of the negative sampling q(rank) = min(1, H/(rank+1)); scoring corrects the ranker by ln q. */
  hardNegatives: number;
  epochs: number;
  bestEpoch: number;
  valAuc: number | null;
  valLogLoss: number | null;
  nTrain: number;
  nValid: number;
  seconds: number;
  /** The expected-completion model trained beside it (pipeline/completion.ts). */
  completion?: CompletionInfo;
}

/** Where a ranker phase's examples come from. */
export const RANKER_SOURCES: Record<RankerPhase, { snapshot: Period; retrieval: 'pre' | 'gate'; positives: RunCsrName; seen: RunCsrName; labels: RunCsrName; popularity: string }> = {
  gate: { snapshot: 'pre', retrieval: 'pre', positives: 'pre', seen: 'pre_seen', labels: 'pre_labels', popularity: 'pop_pre' },
  ship: { snapshot: 'gate', retrieval: 'gate', positives: 'gate', seen: 'gate_seen', labels: 'holdout', popularity: 'pop_gate' },
};

export const rankerDir = (dir: string, phase: RankerPhase) => join(dir, phase === 'ship' ? 'ranker' : 'ranker-gate');

/** A ranker plan plus the machine's threads and optional network overrides: what fitting needs. */
export interface RankerSettings extends Omit<RankerPlan, 'enabled' | 'learningRate'> {
  threads: number;
  /** Network/optimizer overrides (model/ranker.ts DEFAULT_RANKER_CONFIG otherwise). */
  model?: Partial<RankerConfig>;
}

export function rankerSettings(plan: RankerPlan, threads: number): RankerSettings {
  const { enabled: _e, learningRate, completionWeight: _w, ...rest } = plan;
  return { ...rest, threads, model: { learningRate } };
}

function factorsOf(dir: string, phase: string): { info: TrainedModelInfo; user: Float32Array; item: Float32Array } {
  const f = factorFiles(dir, phase);
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.model !== 'ials' || info.k === 0) return { info, user: new Float32Array(0), item: new Float32Array(0) };
  return { info, user: readF32(f.user), item: readF32(f.item) };
}

/**
 * A deterministic sample of users for training examples: users with training history at the
 * clock and at least one label in the window, in seeded hash order, the first `max` (ascending).
 */
export function sampleRankerUsers(positives: Csr, labels: Csr, max: number, seed: number): Int32Array {
  const salt = fmix32(seed ^ 0x68e31da4);
  const pool: { u: number; h: number }[] = [];
  for (let u = 0; u < positives.nRows; u++) {
    if (positives.indptr[u + 1] > positives.indptr[u] && labels.indptr[u + 1] > labels.indptr[u]) pool.push({ u, h: fmix32((u ^ salt) >>> 0) });
  }
  pool.sort((a, b) => a.h - b.h || a.u - b.u);
  return Int32Array.from(pool.slice(0, max).map((p) => p.u)).sort();
}

const emptyInfo = (phase: RankerPhase, reason: string, backend = ''): RankerInfo => ({
  phase, trained: false, reason, backend, hardNegatives: 0, users: 0, examples: 0, positives: 0, popularitySamples: 0, epochs: 0, bestEpoch: 0, valAuc: null, valLogLoss: null, nTrain: 0, nValid: 0, seconds: 0,
});

const finiteOrNull = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);

/** A ranker phase's training examples and their feature rows (the training path of the features). */
export interface PhaseExamples {
  users: Int32Array;
  ex: RankerExamples;
  x: Float32Array;
}

/**
 * The training path: sampled users → candidates of the phase's retrieval model → examples (SQL)
 * → features as of the phase's example clock. Null (with the reason) when there is nothing to learn from.
 */
export async function buildPhaseExamples(dir: string, phase: RankerPhase, s: RankerSettings, onStep: (details: Record<string, unknown>) => void = () => {}): Promise<PhaseExamples | { reason: string }> {
  const src = RANKER_SOURCES[phase];
  const retrieval = factorsOf(dir, src.retrieval);
  if (retrieval.info.k === 0) return { reason: `the ${src.retrieval} retrieval model has no factors (${retrieval.info.model})` };
  const positives = runFiles.csr(dir, src.positives);
  const labels = runFiles.csr(dir, src.labels);
  const users = sampleRankerUsers(positives, labels, s.trainUsers, s.seed);
  if (users.length < 2) return { reason: `${users.length} users with history and labels in the ${src.snapshot} window: nothing to learn from` };

  onStep({ step: 'ranker candidates', phase, users: users.length });
  const nCand = Math.min(s.candidates, positives.nCols);
  const seen = runFiles.csr(dir, src.seen);
  const base = loadRecommender(dir, src.retrieval, 'pop_gate', s.threads);
  const snap = readFeatureSnapshot(dir, src.snapshot);
  const candidates = dropUnavailable(await base.topN(users, seen, nCand), users, snap);

  onStep({ step: 'ranker examples', phase });
  const ex = await buildRankerExamples(users, candidates, labels, seen, runFiles.f32(dir, src.popularity), {
    nCandidates: nCand,
    seed: s.seed,
    hardNegatives: s.hardNegatives,
    popNegatives: s.popNegatives,
    negatives: s.negatives,
  });
  const builder = new FeatureBuilder(snap, retrievalView(retrieval.info.k, retrieval.user, retrieval.item), nCand);
  return { users, ex, x: exampleFeatures(builder, ex) };
}

/**
 * Examples → TF.js ranker, saved under runDir/ranker[-gate]/ with info.json. Returns
 * trained = false (and no model) when the window has no usable labels.
 */
export async function fitRankerPhase(dir: string, phase: RankerPhase, s: RankerSettings, onStep: (details: Record<string, unknown>) => void = () => {}): Promise<RankerInfo> {
  const t0 = Date.now();
  const built = await buildPhaseExamples(dir, phase, s, onStep);
  if ('reason' in built) return emptyInfo(phase, built.reason);
  const { users, ex, x } = built;
  writeRankerExamples(dir, phase, ex, x);
  let nPos = 0, nPop = 0;
  for (let r = 0; r < ex.n; r++) {
    nPos += ex.label[r];
    nPop += ex.fromPopularity[r];
  }
  if (nPos === 0 || nPos === ex.n) return { ...emptyInfo(phase, `examples need both labels, got ${nPos} positives of ${ex.n}`), users: users.length, examples: ex.n, positives: nPos };

  const { backend } = await initTf();
  onStep({ step: 'ranker training', phase, backend, examples: ex.n, positives: nPos });
  const model = await trainRanker(x, ex.label, ex.user, [...FEATURE_NAMES], { ...s.model, maxEpochs: s.maxEpochs, seed: s.seed }, (e) => {
    onStep({ step: 'ranker training', phase, backend, epoch: e.epoch, trainLoss: e.trainLoss, valLogLoss: e.valLogLoss, valAuc: e.valAuc });
  });
  let completion: CompletionInfo;
  try {
    await saveRanker(model, rankerDir(dir, phase));
    onStep({ step: 'completion training', phase, backend });
    completion = await fitCompletionPhase(dir, phase, ex, x, { maxEpochs: s.maxEpochs, seed: s.seed, learningRate: s.model?.learningRate });
    const best = model.history[model.bestEpoch - 1];
    const info: RankerInfo = {
      phase,
      trained: true,
      backend: model.trainedOn,
      hardNegatives: s.negatives === 'uniform' ? 0 : s.hardNegatives,
      users: users.length,
      examples: ex.n,
      positives: nPos,
      popularitySamples: nPop,
      epochs: model.history.length,
      bestEpoch: model.bestEpoch,
      valAuc: finiteOrNull(best?.valAuc),
      valLogLoss: finiteOrNull(best?.valLogLoss),
      nTrain: model.nTrain,
      nValid: model.nValid,
      seconds: (Date.now() - t0) / 1000,
      completion,
    };
    writeJson(join(rankerDir(dir, phase), 'info.json'), info);
    return info;
  } finally {
    model.dispose();
  }
}

export function rankerTrained(dir: string, phase: RankerPhase): boolean {
  return existsSync(join(rankerDir(dir, phase), 'info.json'));
}

export interface RankingSource {
  retrievalPhase: string;
  period: Period;
  popName: PopName;
  candidates: number;
  threads: number;
}

/**
 * The scoring path's inputs: the `retrievalPhase` model (candidates) and a feature builder over
 * snapshot `period` with that model's factors — what evaluation and batch scoring rank with.
 */
export function loadRankingInputs(dir: string, o: RankingSource): { base: Recommender; builder: FeatureBuilder; nCandidates: number; factors: { k: number; user: Float32Array; item: Float32Array } } {
  const base = loadRecommender(dir, o.retrievalPhase, o.popName, o.threads);
  const f = factorsOf(dir, o.retrievalPhase);
  if (f.info.k === 0) throw new Error(`the ${o.retrievalPhase} retrieval model has no factors: nothing to rank with`);
  const snap = readFeatureSnapshot(dir, o.period);
  const nCandidates = Math.min(o.candidates, snap.nItems);
  return { base, builder: new FeatureBuilder(snap, retrievalView(f.info.k, f.user, f.item), nCandidates), nCandidates, factors: { k: f.info.k, user: f.user, item: f.item } };
}

/**
 * The ranked recommender of a run: `rankerPhase`'s ranker over loadRankingInputs. It runs in
 * worker threads (pipeline/ranked-pool.ts) when the live TF.js backend is WASM, the kernel the
 * threads use, unless `threaded` is false; otherwise on the calling thread. Both rank with
 * model/rerank.ts rankBlock: the same lists either way. dispose() frees the ranker (and threads).
 */
export async function loadRankedRecommender(dir: string, o: RankingSource & { rankerPhase: RankerPhase; threaded?: boolean; completionWeight?: number }): Promise<Recommender & { dispose(): void }> {
  const { base, builder, nCandidates, factors } = loadRankingInputs(dir, o);
  const info = readJson<RankerInfo>(join(rankerDir(dir, o.rankerPhase), 'info.json'));
  const { backend } = await currentTf();
  const weight = o.completionWeight ?? 0;
  const withCompletion = weight > 0 && completionTrained(dir, o.rankerPhase);
  if (o.threaded !== false && backend === 'wasm') {
    return rankedPoolRecommender({
      kind: `ranked-${base.kind}`,
      k: factors.k,
      userFactors: factors.user,
      itemFactors: factors.item,
      snap: builder.snap,
      nCandidates,
      rankerDir: rankerDir(dir, o.rankerPhase),
      hardNegatives: info.hardNegatives,
      threads: o.threads,
      backend: 'wasm',
      ...(withCompletion ? { completion: { dir: completionDir(dir, o.rankerPhase), weight } } : {}),
    });
  }
  const ranker = await loadRanker(rankerDir(dir, o.rankerPhase));
  const objective = await loadCompletionObjective(dir, o.rankerPhase, weight);
  const rec = rankedRecommender(base, ranker, builder, nCandidates, info.hardNegatives > 0 ? hardNegativeLogKeep(info.hardNegatives) : undefined, objective);
  return Object.assign(rec, {
    dispose: () => {
      ranker.dispose();
      objective?.dispose();
    },
  });
}
