// bench:quality's trade-offs (pipeline/tradeoffs.ts) on a wider grid than a retrain's, with every
// point paired against the first (w = 0, or the shipped list as it is): NDCG@10 and watch time@10.
import type { Config } from '../config';
import { pairedComparison, type PairedComparison } from '../model/bootstrap';
import type { RerankKnobs } from '../model/diversity';
import type { Evaluation } from '../model/evaluate';
import type { Metrics } from '../model/metrics';
import type { GateOut } from '../pipeline/evaluate';
import type { RankerPlan } from '../pipeline/ranking';
import { evaluateTradeoffs, rerankLabel, RERANK_GRID, type TradeoffRun } from '../pipeline/tradeoffs';

export const BENCH_WEIGHTS = [0, 0.25, 0.5, 1, 2];
/** The retrain's grid plus two blends and a milder freshness boost. */
export const BENCH_GRID: Omit<RerankKnobs, 'depth'>[] = [
  ...RERANK_GRID,
  { diversity: 0.2, genreCap: 3, freshness: 0 },
  { diversity: 0, genreCap: 0, freshness: 0.1 },
  { diversity: 0.2, genreCap: 3, freshness: 0.1 },
];

export interface TradeoffRow<K> {
  knobs: K;
  metrics: Metrics;
  ndcgVsBase: PairedComparison;
  watchTimeVsBase: PairedComparison | null;
}

export interface Tradeoffs {
  completion: TradeoffRun['completion'];
  completionWeights: TradeoffRow<{ w: number }>[];
  rerankBase: string;
  rerank: TradeoffRow<RerankKnobs>[];
}

export async function tradeoffs(dir: string, o: { cfg: Config; plan: RankerPlan; gate: GateOut; log: (msg: string) => void }): Promise<Tradeoffs> {
  const { cfg } = o;
  const t = await evaluateTradeoffs(dir, {
    plan: o.plan,
    gate: o.gate,
    ctx: { maxUsers: cfg.EVAL_MAX_USERS, seed: cfg.ALS_SEED, bootstrapSamples: cfg.EVAL_BOOTSTRAP_SAMPLES },
    threads: cfg.ALS_THREADS,
    freshDays: cfg.FRESH_DAYS,
    weights: BENCH_WEIGHTS,
    grid: BENCH_GRID,
    progress: (d) => o.log(`  ${String(d.model)}`),
  });
  const bootstrap = { samples: cfg.EVAL_BOOTSTRAP_SAMPLES, seed: 42 };
  const rows = <K>(points: { knobs: K; evaluation: Evaluation }[]): TradeoffRow<K>[] =>
    points.map((p) => {
      const e = p.evaluation, base = points[0].evaluation;
      const metrics = { ...e.slices.all };
      // Without a completion signal the "watch time" only counts hits: not reported.
      if (!t.completion.swept) for (const k of ['watch_time_10', 'watch_time_10_lo', 'watch_time_10_hi'] as const) delete metrics[k];
      return {
        knobs: p.knobs,
        metrics,
        ndcgVsBase: pairedComparison(e.ndcg10, base.ndcg10, bootstrap),
        watchTimeVsBase: t.completion.swept && e.watchTime10 && base.watchTime10 ? pairedComparison(e.watchTime10, base.watchTime10, bootstrap) : null,
      };
    });
  return { completion: t.completion, completionWeights: rows(t.completionWeights), rerankBase: t.rerankBase, rerank: rows(t.rerank) };
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
    lines.push(
      `${name}: re-rank (${t.rerankBase}) ${rerankLabel(r.knobs)}: NDCG@10 ${ci(r.metrics, 'ndcg_10')} (${pct(r.ndcgVsBase)}), ILD@10 ${f(r.metrics.ild_10, 3)}, genres@10 ${f(r.metrics.genre_coverage_10, 3)}, novelty@10 ${f(r.metrics.novelty_10, 2)}, watch time@10 ${f(r.metrics.watch_time_10)}`,
    );
  }
  return lines;
}
