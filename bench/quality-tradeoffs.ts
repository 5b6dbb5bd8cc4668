// The objective trade-offs of bench:quality (bench/quality.ts calls tradeoffs() per data set), on
// the gate holdout with the pipeline's own evaluation (model/evaluate.ts), every list served the
// way scoring serves it (pipeline/evaluate.ts evaluationServing):
//   completion weight   the gate ranker's lists ordered by p(watch) × E[completion]^w for each w
//                       (pipeline/completion.ts): NDCG@10, Recall@20, expected watch time@10 with
//                       intervals, paired against w = 0 (today's order)
//   re-rank             the shipped list's top 50 re-ranked (model/diversity.ts rerankList) for a grid
//                       of diversity D, genre cap and freshness β: NDCG@10 against ILD@10, genre
//                       coverage@10, novelty@10 and watch time@10, paired against the list as it is
// Data without a completion signal (MovieLens: every rating is imported as a complete watch) gets no
// completion model; its watch time@10 would only count hits, so it is reported as null with the reason.
import type { Config } from '../config';
import { pairedComparison, type PairedComparison } from '../model/bootstrap';
import { rerankItems, rerankRecommender, type RerankKnobs } from '../model/diversity';
import { evaluateRecommender, type EvalContext, type Evaluation } from '../model/evaluate';
import type { Metrics } from '../model/metrics';
import type { Recommender, TopN } from '../model/recommend';
import { completionTrained } from '../pipeline/completion';
import { beyondContext, evaluationServing, holdoutCompletion, type GateOut } from '../pipeline/evaluate';
import { loadRankedRecommender, rankerDir, rankerTrained, type RankerInfo, type RankerPlan } from '../pipeline/ranking';
import { loadRecommender } from '../pipeline/retrieval';
import { readJson } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import { join } from 'node:path';

export const COMPLETION_WEIGHTS = [0, 0.25, 0.5, 1, 2];
/** The re-rank grid: the list as it is, then diversity alone, the genre cap, freshness, and two blends. */
export const RERANK_GRID: Omit<RerankKnobs, 'depth'>[] = [
  { diversity: 0, genreCap: 0, freshness: 0 },
  { diversity: 0.1, genreCap: 0, freshness: 0 },
  { diversity: 0.2, genreCap: 0, freshness: 0 },
  { diversity: 0.3, genreCap: 0, freshness: 0 },
  { diversity: 0.5, genreCap: 0, freshness: 0 },
  { diversity: 0, genreCap: 3, freshness: 0 },
  { diversity: 0.2, genreCap: 3, freshness: 0 },
  { diversity: 0, genreCap: 0, freshness: 0.1 },
  { diversity: 0, genreCap: 0, freshness: 0.3 },
  { diversity: 0.2, genreCap: 3, freshness: 0.1 },
];
export const RERANK_DEPTH = 50;

export interface TradeoffRow<K> {
  knobs: K;
  metrics: Metrics;
  /** Paired against the first row (w = 0, or the list as it is): NDCG@10 and watch time@10. */
  ndcgVsBase: PairedComparison;
  watchTimeVsBase: PairedComparison | null;
}

export interface Tradeoffs {
  /** Why the completion weight was not swept, or its completion model's info. */
  completion: { swept: boolean; reason: string; model?: RankerInfo['completion'] };
  completionWeights: TradeoffRow<{ w: number }>[];
  /** The list re-ranked: which one ('ranked' or 'candidate', what the gate shipped). */
  rerankBase: string;
  rerank: TradeoffRow<RerankKnobs>[];
}

/** A recommender that answers every call with its base's first answer (the evaluation asks for the same users each time). */
function once(base: Recommender): Recommender {
  let memo: { users: Int32Array; top: TopN } | null = null;
  return {
    ...base,
    async topN(users, seen, n) {
      if (!memo || memo.users.length !== users.length || memo.top.n !== n || memo.users.some((u, j) => users[j] !== u)) memo = { users: Int32Array.from(users), top: await base.topN(users, seen, n) };
      return memo.top;
    },
  };
}

/** fresh(i) = max(0, 1 − age at the cutoff / FRESH_DAYS): the evaluation's view of the serving boost. */
export function freshnessAt(dir: string, cutoff: string, freshDays: number): Float32Array {
  const c = new Date(cutoff).getTime();
  return Float32Array.from(runFiles.items(dir), (t) => {
    const age = (c - new Date(t.added_at).getTime()) / 86400_000;
    return freshDays > 0 && Number.isFinite(age) ? Math.max(0, Math.min(1, 1 - age / freshDays)) : 0;
  });
}

export async function tradeoffs(dir: string, o: { cfg: Config; plan: RankerPlan; gate: GateOut; ctx: EvalContext; log: (msg: string) => void }): Promise<Tradeoffs> {
  const { cfg, plan, gate, log } = o;
  const beyond = beyondContext(dir);
  const completion = holdoutCompletion(dir);
  const ctx: EvalContext = { ...o.ctx, beyond, holdoutCompletion: completion };
  const bootstrap = { samples: cfg.EVAL_BOOTSTRAP_SAMPLES, seed: 42 };
  const { serve } = evaluationServing(dir);
  const paired = (e: Evaluation, base: Evaluation) => ({
    ndcgVsBase: pairedComparison(e.ndcg10, base.ndcg10, bootstrap),
    watchTimeVsBase: e.watchTime10 && base.watchTime10 ? pairedComparison(e.watchTime10, base.watchTime10, bootstrap) : null,
  });
  const rankedSource = { rankerPhase: 'gate' as const, retrievalPhase: 'gate', period: 'gate' as const, popName: 'pop_gate' as const, candidates: plan.candidates, threads: cfg.ALS_THREADS };

  // Completion weight.
  const info = rankerTrained(dir, 'gate') ? readJson<RankerInfo>(join(rankerDir(dir, 'gate'), 'info.json')) : null;
  const out: Tradeoffs = { completion: { swept: false, reason: '', model: info?.completion }, completionWeights: [], rerankBase: gate.judged, rerank: [] };
  if (!info) out.completion.reason = 'no gate ranker';
  else if (!completionTrained(dir, 'gate')) out.completion.reason = `no completion model: ${info.completion?.reason ?? 'not trained'}`;
  else {
    out.completion = { swept: true, reason: `gate ranker's lists (${gate.judged === 'ranked' ? 'the ranked order ships' : 'the ranked order does not ship here'})`, model: info.completion };
    let base: Evaluation | null = null;
    for (const w of COMPLETION_WEIGHTS) {
      log(`  completion weight w=${w}`);
      const rec = await loadRankedRecommender(dir, { ...rankedSource, completionWeight: w });
      try {
        const e = await evaluateRecommender(serve(rec, gate.lightStrategy), ctx);
        base ??= e;
        out.completionWeights.push({ knobs: { w }, metrics: e.slices.all, ...paired(e, base) });
      } finally {
        rec.dispose();
      }
    }
  }

  // Re-rank grid over the shipped list.
  if (!beyond) return out;
  const ranked = gate.judged === 'ranked' ? await loadRankedRecommender(dir, { ...rankedSource, completionWeight: plan.completionWeight }) : null;
  try {
    const shipped = once(serve(ranked ?? loadRecommender(dir, 'gate', 'pop_gate', cfg.ALS_THREADS), gate.lightStrategy));
    const items = rerankItems(beyond.unit, beyond.k, beyond.itemGenres, freshnessAt(dir, runFiles.manifest(dir).cutoff, cfg.FRESH_DAYS));
    let base: Evaluation | null = null;
    for (const g of RERANK_GRID) {
      const knobs = { ...g, depth: RERANK_DEPTH };
      log(`  re-rank D=${g.diversity} cap=${g.genreCap} β=${g.freshness}`);
      const e = await evaluateRecommender(rerankRecommender(shipped, items, knobs), ctx);
      base ??= e;
      out.rerank.push({ knobs, metrics: e.slices.all, ...paired(e, base) });
    }
  } finally {
    ranked?.dispose();
  }
  if (!out.completion.swept) for (const r of out.rerank) Object.assign(r.metrics, { watch_time_10: undefined, watch_time_10_lo: undefined, watch_time_10_hi: undefined });
  return out;
}

const f = (x: number | undefined, d = 4) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const ci = (m: Metrics, k: 'ndcg_10' | 'watch_time_10') => `${f(m[k])} [${f(m[`${k}_lo`])}, ${f(m[`${k}_hi`])}]`;
const pct = (c: PairedComparison | null) => (c ? `${(c.lift * 100).toFixed(1)}% [${(c.liftLo * 100).toFixed(1)}, ${(c.liftHi * 100).toFixed(1)}]` : '–');

/** The printed lines of one data set's trade-offs. */
export function tradeoffLines(name: string, t: Tradeoffs): string[] {
  const lines: string[] = [];
  if (!t.completion.swept) lines.push(`${name}: completion weight not swept: ${t.completion.reason}`);
  for (const r of t.completionWeights) {
    lines.push(`${name}: w=${r.knobs.w}: NDCG@10 ${ci(r.metrics, 'ndcg_10')} (${pct(r.ndcgVsBase)} vs w=0), Recall@20 ${f(r.metrics.recall_20)}, watch time@10 ${ci(r.metrics, 'watch_time_10')} (${pct(r.watchTimeVsBase)})`);
  }
  for (const r of t.rerank) {
    const k = r.knobs;
    lines.push(
      `${name}: re-rank (${t.rerankBase}) D=${k.diversity} cap=${k.genreCap} β=${k.freshness}: NDCG@10 ${ci(r.metrics, 'ndcg_10')} (${pct(r.ndcgVsBase)}), ILD@10 ${f(r.metrics.ild_10, 3)}, genres@10 ${f(r.metrics.genre_coverage_10, 3)}, novelty@10 ${f(r.metrics.novelty_10, 2)}, watch time@10 ${f(r.metrics.watch_time_10)}`,
    );
  }
  return lines;
}
