// The objective trade-offs of a run, on the gate holdout with the pipeline's own evaluation
// (model/evaluate.ts), every list served the way scoring serves it (evaluationServing):
//   completion weight   the gate ranker's lists ordered by p(watch) × E[completion]^w for each w
//                       (pipeline/completion.ts): NDCG@10, Recall@20, expected watch time@10
//   re-rank             what the gate shipped, its top RERANK_DEPTH re-ranked (model/diversity.ts
//                       rerankList) for a grid of diversity D, genre cap and freshness β: NDCG@10
//                       against ILD@10, genre coverage@10, novelty@10 and watch time@10
// The evaluate activity stores them in eval_metrics (holdout 'tradeoffs'; model tradeoff_completion
// with slice `w=…`, model tradeoff_rerank with slice `D=… cap=… β=…`) for `recs report`'s curves;
// bench:quality runs a wider grid and adds paired comparisons (bench/quality-tradeoffs.ts).
// Data without a completion signal (MovieLens imports every rating as a complete watch) gets no
// completion model and no watch time: it would only count hits.
import { join } from 'node:path';
import { rerankItems, rerankRecommender, type RerankKnobs } from '../model/diversity';
import { evaluateRecommender, type EvalContext, type Evaluation } from '../model/evaluate';
import type { Recommender, TopN } from '../model/recommend';
import type { LightStrategy } from '../model/types';
import { readJson } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import { completionTrained } from './completion';
import { beyondContext, evaluationServing, holdoutCompletion } from './evaluate';
import { loadRankedRecommender, rankerDir, rankerTrained, type RankerInfo, type RankerPlan } from './ranking';
import { loadRecommender } from './retrieval';

/** The grids a retrain measures (bench:quality passes wider ones). */
export const COMPLETION_WEIGHTS = [0, 0.5, 1, 2];
export const RERANK_GRID: Omit<RerankKnobs, 'depth'>[] = [
  { diversity: 0, genreCap: 0, freshness: 0 },
  { diversity: 0.1, genreCap: 0, freshness: 0 },
  { diversity: 0.2, genreCap: 0, freshness: 0 },
  { diversity: 0.3, genreCap: 0, freshness: 0 },
  { diversity: 0.5, genreCap: 0, freshness: 0 },
  { diversity: 0, genreCap: 3, freshness: 0 },
  { diversity: 0, genreCap: 0, freshness: 0.3 },
];
export const RERANK_DEPTH = 50;

export interface TradeoffPoint<K> {
  knobs: K;
  evaluation: Evaluation;
}

export interface TradeoffRun {
  /** Whether the completion weight was swept, why (not), and its completion model's info. */
  completion: { swept: boolean; reason: string; model?: RankerInfo['completion'] };
  completionWeights: TradeoffPoint<{ w: number }>[];
  /** The list re-ranked: 'ranked' or 'candidate' (what the gate shipped). */
  rerankBase: 'ranked' | 'candidate';
  rerank: TradeoffPoint<RerankKnobs>[];
}

export interface TradeoffOptions {
  plan: RankerPlan;
  gate: { judged: 'ranked' | 'candidate'; lightStrategy: LightStrategy };
  /** The evaluation's users and intervals (the same as evaluateRun's). */
  ctx: Pick<EvalContext, 'maxUsers' | 'seed' | 'bootstrapSamples'>;
  threads: number;
  freshDays: number;
  weights?: number[];
  grid?: Omit<RerankKnobs, 'depth'>[];
  progress?: (details: Record<string, unknown>) => void;
}

/** A recommender that answers every call with its base's answer for the same users (the grid asks for the same users each time). */
function memoized(base: Recommender): Recommender {
  let memo: { users: Int32Array; top: TopN } | null = null;
  return {
    ...base,
    async topN(users, seen, n) {
      if (!memo || memo.users.length !== users.length || memo.top.n !== n || memo.users.some((u, j) => users[j] !== u)) memo = { users: Int32Array.from(users), top: await base.topN(users, seen, n) };
      return memo.top;
    },
  };
}

/** fresh(i) = max(0, 1 − age at the cutoff / freshDays): the evaluation's view of the serving boost. */
export function freshnessAt(dir: string, cutoff: string, freshDays: number): Float32Array {
  const c = new Date(cutoff).getTime();
  return Float32Array.from(runFiles.items(dir), (t) => {
    const age = (c - new Date(t.added_at).getTime()) / 86400_000;
    return freshDays > 0 && Number.isFinite(age) ? Math.max(0, Math.min(1, 1 - age / freshDays)) : 0;
  });
}

export async function evaluateTradeoffs(dir: string, o: TradeoffOptions): Promise<TradeoffRun> {
  const progress = o.progress ?? (() => {});
  const beyond = beyondContext(dir);
  const completion = holdoutCompletion(dir);
  const ctx: EvalContext = { seen: runFiles.csr(dir, 'gate_seen'), holdout: runFiles.csr(dir, 'holdout'), train: runFiles.csr(dir, 'gate'), popularity: runFiles.f32(dir, 'pop_gate'), ...o.ctx, beyond, holdoutCompletion: completion };
  const { serve } = evaluationServing(dir);
  const source = { rankerPhase: 'gate' as const, retrievalPhase: 'gate', period: 'gate' as const, popName: 'pop_gate' as const, candidates: o.plan.candidates, threads: o.threads };

  const info = rankerTrained(dir, 'gate') ? readJson<RankerInfo>(join(rankerDir(dir, 'gate'), 'info.json')) : null;
  const out: TradeoffRun = { completion: { swept: false, reason: '', model: info?.completion }, completionWeights: [], rerankBase: o.gate.judged, rerank: [] };
  if (!info) out.completion.reason = 'no gate ranker';
  else if (!completionTrained(dir, 'gate')) out.completion.reason = `no completion model: ${info.completion?.reason ?? 'not trained'}`;
  else {
    out.completion = { swept: true, reason: `the gate ranker's lists (${o.gate.judged === 'ranked' ? 'the ranked order ships' : 'the ranked order does not ship here'})`, model: info.completion };
    for (const w of o.weights ?? COMPLETION_WEIGHTS) {
      progress({ step: 'evaluate', model: `completion weight ${w}` });
      const rec = await loadRankedRecommender(dir, { ...source, completionWeight: w });
      try {
        out.completionWeights.push({ knobs: { w }, evaluation: await evaluateRecommender(serve(rec, o.gate.lightStrategy), ctx) });
      } finally {
        rec.dispose();
      }
    }
  }

  if (!beyond) return out;
  const ranked = o.gate.judged === 'ranked' ? await loadRankedRecommender(dir, { ...source, completionWeight: o.plan.completionWeight }) : null;
  try {
    const shipped = memoized(serve(ranked ?? loadRecommender(dir, 'gate', 'pop_gate', o.threads), o.gate.lightStrategy));
    const items = rerankItems(beyond.unit, beyond.k, beyond.itemGenres, freshnessAt(dir, runFiles.manifest(dir).cutoff, o.freshDays));
    for (const g of o.grid ?? RERANK_GRID) {
      const knobs = { ...g, depth: RERANK_DEPTH };
      progress({ step: 'evaluate', model: `re-rank D=${g.diversity} cap=${g.genreCap} β=${g.freshness}` });
      out.rerank.push({ knobs, evaluation: await evaluateRecommender(rerankRecommender(shipped, items, knobs), ctx) });
    }
  } finally {
    ranked?.dispose();
  }
  return out;
}

export const rerankLabel = (k: Omit<RerankKnobs, 'depth'>) => `D=${k.diversity} cap=${k.genreCap} β=${k.freshness}`;

/** The trade-offs as eval_metrics rows (holdout 'tradeoffs'): watch time only where the completion signal exists. */
export function tradeoffMetricRows(t: TradeoffRun): { model: string; slice: string; metric: string; value: number }[] {
  const rows: { model: string; slice: string; metric: string; value: number }[] = [];
  const add = (model: string, slice: string, e: Evaluation) => {
    for (const [metric, value] of Object.entries(e.slices.all)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (metric.startsWith('watch_time') && !t.completion.swept) continue;
      rows.push({ model, slice, metric, value });
    }
  };
  for (const p of t.completionWeights) add('tradeoff_completion', `w=${p.knobs.w}`, p.evaluation);
  for (const p of t.rerank) add('tradeoff_rerank', rerankLabel(p.knobs), p.evaluation);
  return rows;
}
