// The second objective of the ranking step: expected completion of a watch, E[c | watched], with
// c = watch_seconds / duration (capped at 1) of the labelled watch. Trained on the watched
// examples of a ranker phase only (label = 1), with the ranker's features and network
// (model/ranker.ts: a sigmoid output under cross-entropy against soft targets c ∈ (0, 1] estimates
// the conditional mean of c). Ranking then orders by
//
//   score = p(watch) × E[c | watched]^w          w = the recipe's ranker.completionWeight
//
// w = 0 skips this model entirely (today's order, bit for bit); w = 1 is expected completion per
// impression, i.e. expected watch time in units of the title's length.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { csrValue } from '../model/evaluate';
import { FEATURE_NAMES } from '../model/features';
import { trainRanker } from '../model/ranker';
import type { CompletionObjective } from '../model/rerank';
import { readJson, writeJson } from '../storage/artifacts';
import type { RankerExamples, RankerPhase } from '../storage/ranker-data';
import { runFiles, type RunCsrName } from '../storage/run-data';
import { loadRanker, saveRanker } from '../storage/tf-models';

/** What the completion model of a ranker phase learnt from (info.json beside it). */
export interface CompletionInfo {
  trained: boolean;
  /** Why none was trained (no completion labels, or every watch complete: nothing to learn). */
  reason?: string;
  examples: number;
  meanCompletion: number | null;
  bestEpoch: number;
  valLogLoss: number | null;
  nTrain: number;
  nValid: number;
}

const COMPLETION_LABELS: Record<RankerPhase, RunCsrName> = { gate: 'pre_labels_completion', ship: 'holdout_completion' };

export const completionDir = (dir: string, phase: RankerPhase) => join(dir, phase === 'ship' ? 'ranker-completion' : 'ranker-gate-completion');

/**
 * Train and save the phase's completion model from the ranker's examples (x: n × d feature rows).
 * Returns trained = false with the reason when the run has no completion labels (a run prepared
 * before they existed) or they carry no signal (every labelled watch complete, as in MovieLens).
 */
export async function fitCompletionPhase(dir: string, phase: RankerPhase, ex: RankerExamples, x: Float32Array, o: { maxEpochs: number; seed: number; learningRate?: number }): Promise<CompletionInfo> {
  const none = (reason: string, examples = 0, mean: number | null = null): CompletionInfo => ({ trained: false, reason, examples, meanCompletion: mean, bestEpoch: 0, valLogLoss: null, nTrain: 0, nValid: 0 });
  const name = COMPLETION_LABELS[phase];
  if (!existsSync(join(dir, `${name}.csr`))) return none(`the run has no ${name}.csr (prepared before completion labels existed)`);
  const labels = runFiles.csr(dir, name);
  const d = FEATURE_NAMES.length;
  const rows: number[] = [];
  const target: number[] = [];
  for (let r = 0; r < ex.n; r++) {
    if (ex.label[r] !== 1) continue;
    const c = csrValue(labels, ex.user[r], ex.item[r]);
    if (!(c > 0)) continue;
    rows.push(r);
    target.push(Math.min(1, c));
  }
  const mean = target.length ? target.reduce((a, b) => a + b, 0) / target.length : null;
  if (target.length < 2) return none(`${target.length} watched examples with a completion`, target.length, mean);
  if (target.every((c) => c === target[0])) return none(`every watched example has completion ${target[0]}: nothing to learn`, target.length, mean);
  const xs = new Float32Array(rows.length * d);
  rows.forEach((r, j) => xs.set(x.subarray(r * d, (r + 1) * d), j * d));
  const model = await trainRanker(xs, Float32Array.from(target), Int32Array.from(rows, (r) => ex.user[r]), [...FEATURE_NAMES], {
    maxEpochs: o.maxEpochs,
    seed: o.seed + 1,
    ...(o.learningRate ? { learningRate: o.learningRate } : {}),
  });
  try {
    await saveRanker(model, completionDir(dir, phase));
    const best = model.history[model.bestEpoch - 1];
    const info: CompletionInfo = {
      trained: true,
      examples: target.length,
      meanCompletion: mean,
      bestEpoch: model.bestEpoch,
      valLogLoss: best && Number.isFinite(best.valLogLoss) ? best.valLogLoss : null,
      nTrain: model.nTrain,
      nValid: model.nValid,
    };
    writeJson(join(completionDir(dir, phase), 'info.json'), info);
    return info;
  } finally {
    model.dispose();
  }
}

export function completionTrained(dir: string, phase: RankerPhase): boolean {
  return existsSync(join(completionDir(dir, phase), 'info.json')) && readJson<CompletionInfo>(join(completionDir(dir, phase), 'info.json')).trained;
}

/** The phase's completion objective at weight w, or undefined when w = 0 or no model was trained (then p(watch) alone ranks). */
export async function loadCompletionObjective(dir: string, phase: RankerPhase, weight: number): Promise<(CompletionObjective & { dispose(): void }) | undefined> {
  if (!(weight > 0) || !completionTrained(dir, phase)) return undefined;
  const model = await loadRanker(completionDir(dir, phase));
  return { completion: model, weight, dispose: () => model.dispose() };
}
