// Offline evaluation of a run and its release decision — the one path that the evaluate activity
// and bench:quality both take, so every reported figure is what the gate saw.
//
// On the run's holdout (full ranking, model/evaluate.ts), with every list served through the same
// shippedRecommender as batch scoring (users without training positives get popularity):
//   popularity, trending                 baselines
//   candidate                            the gate retrieval model's order
//   ranked                               the gate ranker over candidate's top RANK_CANDIDATES (when trained)
//   shipped                              what would ship: ranked only if it beats candidate (paired),
//                                        light users served by the light strategy chosen here
//   live, shipped_vs_live                the live version's factors for the users and titles it knows
//                                        vs shipped, on the holdout watches after live's data clock
//                                        (catches a data regression: it learnt before the bad data)
//   live_recipe                          the live version's recipe retrained on this run's training data,
//                                        same holdout (catches a recipe or code regression; skipped, and
//                                        said, only when the recipe is unchanged: it would be the candidate)
// Then model/gate.ts decides: vs popularity, vs live → pass | fail | inconclusive → release action.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BootstrapOptions } from '../model/bootstrap';
import { normalizeRows } from '../model/diversity';
import { evaluateRecommender, filterCsr, keepValuesAbove, LIGHT_MAX, type EvalContext, type Evaluation } from '../model/evaluate';
import { decideGate, decideLightStrategy, decideRanker, decideRelease, nonRegression, superiority, type Check, type Outcome, type ReleaseAction } from '../model/gate';
import type { Metrics } from '../model/metrics';
import { globalRecommender, mappedFactorRecommender, shippedRecommender, type Recommender } from '../model/recommend';
import { initTf } from '../model/tf-backend';
import type { Csr, LightStrategy, RetrievalParams } from '../model/types';
import { readF32, readJson } from '../storage/artifacts';
import { runFiles, type HoldoutWindow } from '../storage/run-data';
import { loadRankedRecommender, rankerTrained, type RankerPlan } from './ranking';
import { factorFiles, fitRetrieval, loadRecommender, type TrainedModelInfo } from './retrieval';

export const GATE_METRIC = 'ndcg_10' as const;

/** The live version as the evaluation sees it: its recipe, clock and run directory (null when its files are gone). */
export interface LiveRef {
  version: string;
  dataAsOf: string;
  model: string;
  dir: string | null;
  lightStrategy: LightStrategy;
  /** The live version's retrieval recipe and whether it shipped ranked lists (null for versions without one). */
  params: RetrievalParams | null;
  rankedLists: boolean;
  /** w of its ranked lists' p(watch) × E[completion]^w (0 when absent). */
  completionWeight?: number;
}

/** Fewer leak-free users than this and the live factors are not compared (the sample cannot show anything). */
export const MIN_LIVE_USERS = 30;

export interface GateOut {
  outcome: Outcome;
  /** outcome === 'pass' (kept for the search attribute GatePassed and older readers). */
  passed: boolean;
  /** One line naming the deciding numbers: sample size and interval. */
  reason: string;
  /** What the run does with the outcome (model/gate.ts decideRelease). */
  release: ReleaseAction;
  releaseReason: string;
  /** The list order that ships: 'ranked' (retrieval + ranker) or 'candidate' (retrieval only). */
  judged: 'ranked' | 'candidate';
  rankerReason: string;
  lightStrategy: LightStrategy;
  lightReason: string;
  /** Every paired comparison behind the decision (vs_popularity, vs_live, ranked_vs_retrieval, light_*). */
  checks: Check[];
  metric: string;
  /** The shipped list's NDCG@10, popularity's and live's (on the leak-free part), for the search attributes. */
  candidate: number;
  popularity: number;
  live: number | null;
  liveVersion: string | null;
  holdoutUsers: number;
  window: HoldoutWindow;
}

export interface RunEvaluation {
  gate: GateOut;
  /** system → slice → metrics (with `_lo`/`_hi` intervals and `users` = sample size). */
  metrics: Record<string, Record<string, Metrics>>;
}

/** evaluateRun's result plus each system's evaluation (per-user series: for benchmarks, never a workflow payload). */
export interface RunEvaluationDetail extends RunEvaluation {
  evals: Record<string, Evaluation>;
}

export interface EvaluateRunOptions {
  params: RetrievalParams;
  ranker: RankerPlan;
  live: LiveRef | null;
  threads: number;
  maxUsers: number;
  bootstrap: BootstrapOptions;
  gate: { minLiftOverPopularity: number; maxRegressionVsLive: number };
  tfBackend?: 'node' | 'wasm' | 'cpu';
  /** Called before each system is evaluated (heartbeats, progress lines). */
  progress?: (details: Record<string, unknown>) => void;
}

/**
 * What the beyond-accuracy figures need (model/diversity.ts): one embedding for every system — the
 * gate retrieval model's unit item factors — and the titles' genres. Null without factors.
 */
export function beyondContext(dir: string): EvalContext['beyond'] {
  const f = factorFiles(dir, 'gate');
  if (!existsSync(f.info) || !existsSync(f.item)) return undefined;
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.k === 0) return undefined;
  const genres = runFiles.genres(dir);
  const gi = new Map(genres.map((g, i) => [g, i]));
  const items = runFiles.items(dir);
  const indptr = new Int32Array(items.length + 1);
  const idx: number[] = [];
  items.forEach((t, i) => {
    for (const g of new Set(t.genres)) if (gi.has(g)) idx.push(gi.get(g)!);
    indptr[i + 1] = idx.length;
  });
  const itemGenres: Csr = { nRows: items.length, nCols: genres.length, indptr, indices: Int32Array.from(idx), values: new Float32Array(idx.length).fill(1) };
  return { unit: normalizeRows(readF32(f.item), info.k), k: info.k, itemGenres, nGenres: genres.length };
}

/** The holdout's completion (expected watch time@10), when the run has it (runs prepared before it existed do not). */
export function holdoutCompletion(dir: string): Csr | undefined {
  return existsSync(join(dir, 'holdout_completion.csr')) ? runFiles.csr(dir, 'holdout_completion') : undefined;
}

/** Flags of the titles added inside the holdout window (the new_titles slice). */
function newTitleFlags(dir: string, cutoff: string): Uint8Array {
  const c = new Date(cutoff).getTime();
  return Uint8Array.from(runFiles.items(dir), (t) => (new Date(t.added_at).getTime() >= c ? 1 : 0));
}

/** seen plus, in every row, the titles flagged in `extra` (titles another model cannot score). */
function seenPlus(seen: Csr, extra: Uint8Array): Csr {
  const add: number[] = [];
  for (let i = 0; i < extra.length; i++) if (extra[i]) add.push(i);
  if (add.length === 0) return seen;
  const indptr = new Int32Array(seen.nRows + 1);
  const idx: number[] = [];
  for (let u = 0; u < seen.nRows; u++) {
    const row = new Set<number>(add);
    for (let p = seen.indptr[u]; p < seen.indptr[u + 1]; p++) row.add(seen.indices[p]);
    for (const i of [...row].sort((a, b) => a - b)) idx.push(i);
    indptr[u + 1] = idx.length;
  }
  return { nRows: seen.nRows, nCols: seen.nCols, indptr, indices: Int32Array.from(idx), values: new Float32Array(idx.length).fill(1) };
}

/**
 * The live version's retrieval factors over this run's users and titles (by id). Null when the
 * live version has no factors (a baseline) or its run files are not on this machine's ARTIFACT_DIR.
 */
function liveRecommender(dir: string, live: LiveRef, threads: number): { rec: Recommender; knownUser: Uint8Array; unknownItem: Uint8Array } | null {
  if (!live.dir || live.model !== 'ials') return null;
  const f = factorFiles(live.dir, 'ship');
  if (!existsSync(f.info) || !existsSync(f.user) || !existsSync(join(live.dir, 'users.json'))) return null;
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.k === 0) return null;
  const liveUsers = new Map(runFiles.users(live.dir).map((id, i) => [id, i]));
  const liveItems = new Map(runFiles.items(live.dir).map((t, i) => [t.movie_id, i]));
  const users = runFiles.users(dir);
  const items = runFiles.items(dir);
  const userMap = Int32Array.from(users, (id) => liveUsers.get(id) ?? -1);
  const itemMap = Int32Array.from(items, (t) => liveItems.get(t.movie_id) ?? -1);
  const rec = mappedFactorRecommender(`live ${live.version}`, info.k, readF32(f.user), userMap, readF32(f.item), itemMap, threads);
  return { rec, knownUser: Uint8Array.from(userMap, (m) => (m >= 0 ? 1 : 0)), unknownItem: Uint8Array.from(itemMap, (m) => (m < 0 ? 1 : 0)) };
}

function sameUsers(a: Evaluation, b: Evaluation): void {
  if (a.users.length !== b.users.length || a.users.some((u, j) => b.users[j] !== u)) throw new Error('paired evaluations saw different users');
}

/**
 * How evaluation serves a model on the gate holdout: the same shippedRecommender batch scoring uses
 * (pipeline/scoring.ts), with the gate period's positives and baselines — so a user without
 * training positives gets the popularity list here exactly as in the published lists.
 */
export function evaluationServing(dir: string): { serve: (model: Recommender, lightStrategy?: LightStrategy, positives?: Csr) => Recommender; baselines: { popularity: Recommender; trending: Recommender } } {
  const train = runFiles.csr(dir, 'gate');
  const baselines = { popularity: globalRecommender('popularity', runFiles.f32(dir, 'pop_gate')), trending: globalRecommender('trending', runFiles.f32(dir, 'trend_gate')) };
  const serve = (model: Recommender, lightStrategy: LightStrategy = 'model', positives: Csr = train) => shippedRecommender(model, positives, baselines, { lightMax: LIGHT_MAX, lightStrategy });
  return { serve, baselines };
}

export async function evaluateRun(dir: string, o: EvaluateRunOptions): Promise<RunEvaluationDetail> {
  const progress = o.progress ?? (() => {});
  const run = runFiles.manifest(dir);
  const train = runFiles.csr(dir, 'gate');
  const seen = runFiles.csr(dir, 'gate_seen');
  const holdout = runFiles.csr(dir, 'holdout');
  const pop = runFiles.f32(dir, 'pop_gate');
  const ctx: EvalContext = { seen, holdout, train, popularity: pop, maxUsers: o.maxUsers, seed: o.params.seed, newItems: newTitleFlags(dir, run.cutoff), bootstrapSamples: o.bootstrap.samples, beyond: beyondContext(dir), holdoutCompletion: holdoutCompletion(dir) };
  const { serve, baselines } = evaluationServing(dir);

  const evals: Record<string, Evaluation> = {};
  const metrics: Record<string, Record<string, Metrics>> = {};
  const evaluate = async (name: string, rec: Recommender, c: EvalContext = ctx) => {
    progress({ step: 'evaluate', model: name });
    const e = await evaluateRecommender(rec, c);
    evals[name] = e;
    metrics[name] = e.slices;
    return e;
  };

  await evaluate('popularity', baselines.popularity);
  await evaluate('trending', baselines.trending);
  const retrieval = loadRecommender(dir, 'gate', 'pop_gate', o.threads);
  await evaluate('candidate', serve(retrieval));
  sameUsers(evals.candidate, evals.popularity);

  // Ranked vs retrieval order: the ranked list ships only when it is significantly better.
  let rankedCheck: Check | null = null;
  let rankerWhy = o.ranker.enabled ? 'the gate ranker was not trained (see the run\'s ranker info)' : 'disabled in the recipe';
  let base: Recommender = retrieval;
  let dispose = () => {};
  if (o.ranker.enabled && rankerTrained(dir, 'gate')) {
    await initTf(o.tfBackend);
    const ranked = await loadRankedRecommender(dir, { rankerPhase: 'gate', retrievalPhase: 'gate', period: 'gate', popName: 'pop_gate', candidates: o.ranker.candidates, threads: o.threads, completionWeight: o.ranker.completionWeight });
    dispose = () => ranked.dispose();
    await evaluate('ranked', serve(ranked));
    rankedCheck = superiority('ranked_vs_retrieval', GATE_METRIC, evals.ranked.ndcg10, evals.candidate.ndcg10, 0, o.bootstrap, ['ranked', 'retrieval order']);
    base = ranked;
  }
  try {
    const rankerDecision = decideRanker(rankedCheck, rankerWhy);
    if (!rankerDecision.ranked) base = retrieval;
    rankerWhy = rankerDecision.reason;
    const chosen = rankerDecision.ranked ? evals.ranked : evals.candidate;

    // Light users (1–4 training positives): a baseline replaces the model's list only when it is significantly better.
    const lightWithHistory = Uint8Array.from(chosen.users, (u, j) => (chosen.light[j] && train.indptr[u + 1] > train.indptr[u] ? 1 : 0));
    const light = decideLightStrategy(chosen.ndcg10, { popularity: evals.popularity.ndcg10, trending: evals.trending.ndcg10 }, lightWithHistory, o.bootstrap);
    if (light.strategy === 'model') {
      evals.shipped = chosen;
      metrics.shipped = chosen.slices;
    } else await evaluate('shipped', serve(base, light.strategy));

    const vsPopularity = superiority('vs_popularity', GATE_METRIC, evals.shipped.ndcg10, evals.popularity.ndcg10, o.gate.minLiftOverPopularity, o.bootstrap, ['shipped', 'popularity']);
    // A ranker re-sorting a broad candidate list can hide a broken retrieval model; its factors ship too.
    const required = rankerDecision.ranked ? [vsPopularity, superiority('retrieval_vs_popularity', GATE_METRIC, evals.candidate.ndcg10, evals.popularity.ndcg10, o.gate.minLiftOverPopularity, o.bootstrap, ['retrieval order', 'popularity'])] : [vsPopularity];

    // vs live, two ways (see the header): its own factors on the leak-free holdout, and its recipe on this run's data.
    const liveChecks: Check[] = [];
    const liveNotes: string[] = [];
    if (o.live) {
      const live = o.live;
      const lr = liveRecommender(dir, live, o.threads);
      const after = (new Date(live.dataAsOf).getTime() - new Date(run.cutoff).getTime()) / 1000;
      const leakFree = { ...ctx, holdout: keepValuesAbove(holdout, after), newItems: undefined };
      if (!lr) liveNotes.push(live.model !== 'ials' ? `live ${live.version} is a ${live.model} baseline: compared through vs popularity` : `live ${live.version}'s factors are not under ARTIFACT_DIR: its factors not compared`);
      else {
        await evaluate('shipped_vs_live', serve(base, light.strategy), leakFree);
        if (evals.shipped_vs_live.users.length < MIN_LIVE_USERS) liveNotes.push(`live ${live.version}'s factors not compared: ${evals.shipped_vs_live.users.length} users have held-out watches after its data clock (< ${MIN_LIVE_USERS})`);
        else {
          await evaluate('live', serve(lr.rec, live.lightStrategy, filterCsr(train, (u) => lr.knownUser[u] === 1)), { ...leakFree, seen: seenPlus(seen, lr.unknownItem) });
          sameUsers(evals.live, evals.shipped_vs_live);
          liveChecks.push(nonRegression('vs_live', GATE_METRIC, evals.shipped_vs_live.ndcg10, evals.live.ndcg10, o.gate.maxRegressionVsLive, o.bootstrap, ['shipped', `live ${live.version}`]));
        }
      }
      if (live.params && live.params.model === 'ials') {
        const sameRecipe = JSON.stringify(live.params) === JSON.stringify(o.params) && live.rankedLists === (base !== retrieval) && live.lightStrategy === light.strategy && (live.completionWeight ?? 0) === (o.ranker.completionWeight ?? 0);
        if (sameRecipe) liveNotes.push(`live ${live.version}'s recipe is this run's: nothing to retrain`);
        else {
          progress({ step: 'evaluate', model: 'live recipe: training' });
          await fitRetrieval(dir, 'live', 'gate', live.params, o.threads);
          let liveBase: Recommender = loadRecommender(dir, 'live', 'pop_gate', o.threads);
          let disposeLive = () => {};
          if (live.rankedLists && rankerTrained(dir, 'gate')) {
            const r = await loadRankedRecommender(dir, { rankerPhase: 'gate', retrievalPhase: 'live', period: 'gate', popName: 'pop_gate', candidates: o.ranker.candidates, threads: o.threads, completionWeight: live.completionWeight });
            disposeLive = () => r.dispose();
            liveBase = r;
          }
          try {
            await evaluate('live_recipe', serve(liveBase, live.lightStrategy));
          } finally {
            disposeLive();
          }
          liveChecks.push(nonRegression('vs_live_recipe', GATE_METRIC, evals.shipped.ndcg10, evals.live_recipe.ndcg10, o.gate.maxRegressionVsLive, o.bootstrap, ['shipped', `live ${live.version}'s recipe`]));
        }
      }
    }
    const liveNote = liveNotes.join('; ');
    const gate = decideGate(required, liveChecks);
    // What was not compared against live (and why) is part of the decision's reason.
    const release = decideRelease(liveNote ? { ...gate, reason: `${gate.reason}; ${liveNote}` } : gate, o.live?.version ?? null);
    const checks = [...required, ...liveChecks, ...(rankedCheck ? [rankedCheck] : []), ...light.checks];
    return {
      metrics,
      evals,
      gate: {
        outcome: gate.outcome,
        passed: gate.outcome === 'pass',
        reason: liveNote ? `${gate.reason}; ${liveNote}` : gate.reason,
        release: release.action,
        releaseReason: release.reason,
        judged: rankerDecision.ranked ? 'ranked' : 'candidate',
        rankerReason: rankerWhy,
        lightStrategy: light.strategy,
        lightReason: light.reason,
        checks,
        metric: GATE_METRIC,
        candidate: metrics.shipped.all[GATE_METRIC],
        popularity: metrics.popularity.all[GATE_METRIC],
        live: metrics.live?.all[GATE_METRIC] ?? metrics.live_recipe?.all[GATE_METRIC] ?? null,
        liveVersion: o.live?.version ?? null,
        holdoutUsers: evals.shipped.users.length,
        window: run.window,
      },
    };
  } finally {
    dispose();
  }
}
