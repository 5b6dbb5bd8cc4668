// evaluateCandidate: full-ranking offline evaluation of the gate model on the run's holdout,
// retrieval only ('candidate') and ranked by the gate ranker ('ranked': the candidate's top
// RANK_CANDIDATES ordered by p(watch)), beside popularity, trending and the live version's recipe
// retrained on the same window (ranked by the same gate ranker when ranking is on); the gate
// judges the ranked list when the ranker is on and trained (and then also requires the retrieval
// list alone to beat popularity), else the retrieval list; every number goes to DuckDB
// (model_runs, eval_metrics).
import { decideGate } from '../model/gate';
import { evaluateRecommender } from '../model/evaluate';
import { globalRecommender } from '../model/recommend';
import { analyticsPaths, copyToParquet } from '../storage/analytics';
import { runDir } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import { initTf } from '../model/tf-backend';
import { loadRankedRecommender, rankerTrained } from './rank';
import { loadRecommender } from './score';
import { fitRetrieval } from './train';
import type { EvaluateOut, MetricsRecord, RankerPlan, RetrievalParams } from './types';

const GATE_METRIC = 'ndcg_10' as const;

export function createEvaluateActivities({ cfg, wh, versions }: Pick<ActivityDeps, 'cfg' | 'wh' | 'versions'>) {
  return {
    async evaluateCandidate(input: { version: string; params: RetrievalParams; ranker?: RankerPlan; workflowId?: string }): Promise<EvaluateOut> {
      const dir = runDir(cfg.DATA_DIR, input.version);
      const run = runFiles.manifest(dir);
      const seen = runFiles.csr(dir, 'train_seen');
      const holdout = runFiles.csr(dir, 'holdout');
      const train = runFiles.csr(dir, 'train');
      const pop = runFiles.f32(dir, 'pop_train');
      const ctx = { seen, holdout, train, popularity: pop, maxUsers: cfg.EVAL_MAX_USERS, seed: input.params.seed };

      const metrics: Record<string, Record<string, MetricsRecord>> = {};
      const evaluate = (model: string, rec: Parameters<typeof evaluateRecommender>[0]) => withHeartbeat(() => ({ step: 'evaluate', model }), () => evaluateRecommender(rec, ctx), 1000);
      progress({ step: 'evaluate', model: 'candidate' });
      metrics.candidate = await evaluate('candidate', loadRecommender(dir, 'gate', 'pop_train', cfg.ALS_THREADS));
      const useRanker = !!input.ranker?.enabled && rankerTrained(dir, 'gate');
      const ranked = async (retrievalPhase: string) => {
        await initTf(cfg.TF_BACKEND);
        const rec = await loadRankedRecommender(dir, { rankerPhase: 'gate', retrievalPhase, period: 'gate', popName: 'pop_train', candidates: input.ranker!.candidates, threads: cfg.ALS_THREADS });
        try {
          return await evaluate(`ranked ${retrievalPhase}`, rec);
        } finally {
          rec.dispose();
        }
      };
      if (useRanker) {
        progress({ step: 'evaluate', model: 'ranked' });
        metrics.ranked = await ranked('gate');
      }
      const judged: 'ranked' | 'candidate' = useRanker ? 'ranked' : 'candidate';
      progress({ step: 'evaluate', model: 'popularity' });
      metrics.popularity = await evaluate('popularity', globalRecommender('popularity', pop));
      progress({ step: 'evaluate', model: 'trending' });
      metrics.trending = await evaluate('trending', globalRecommender('trending', runFiles.f32(dir, 'trend_train')));

      // The live model's recipe, retrained on this run's training window: same data, same holdout.
      const liveVersion = await versions.live();
      let live: number | null = null;
      if (liveVersion) {
        const meta = await versions.meta(liveVersion);
        const liveParams = meta.params ? (JSON.parse(meta.params) as RetrievalParams) : null;
        if (liveParams) {
          progress({ step: 'evaluate', model: 'live recipe', liveVersion });
          const same = JSON.stringify(liveParams) === JSON.stringify(input.params);
          if (!same) await fitRetrieval(dir, 'live', 'train', liveParams, cfg.ALS_THREADS);
          metrics.live = same ? metrics.candidate : await evaluate('live recipe', loadRecommender(dir, 'live', 'pop_train', cfg.ALS_THREADS));
          // Like with like: when the gate judges ranked lists, the live recipe's lists are ranked too.
          if (useRanker) metrics.live_ranked = same ? metrics.ranked : liveParams.model === 'ials' ? await ranked('live') : metrics.live;
          live = metrics[useRanker ? 'live_ranked' : 'live'].all[GATE_METRIC];
        }
      }

      const gateCfg = { minLiftOverPopularity: cfg.GATE_MIN_LIFT_OVER_POPULARITY, maxRegressionVsLive: cfg.GATE_MAX_REGRESSION_VS_LIVE };
      const d = decideGate({ metric: GATE_METRIC, candidate: metrics[judged].all[GATE_METRIC], popularity: metrics.popularity.all[GATE_METRIC], live }, gateCfg);
      // When the ranked list is judged, the retrieval model must still beat popularity on its own:
      // it proposes the candidates, and its factors ship too (fresh titles, fold-in, similar titles),
      // so a broken retrieval model never hides behind a ranker that re-sorts the whole catalog.
      const retrieval = useRanker ? decideGate({ metric: GATE_METRIC, candidate: metrics.candidate.all[GATE_METRIC], popularity: metrics.popularity.all[GATE_METRIC], live: null }, gateCfg) : null;
      const passed = d.passed && (retrieval?.passed ?? true);
      const reason = !retrieval ? d.reason : !d.passed ? `ranked list: ${d.reason}` : !retrieval.passed ? `retrieval model: ${retrieval.reason}` : `ranked list: ${d.reason}; retrieval alone: ${retrieval.reason}`;
      const gate = { passed, judged, reason, metric: d.metric, candidate: d.candidate, popularity: d.popularity, live: d.live, liveVersion };

      await wh.exclusive(async () => {
        await wh.exec('ins_model_run', {
          version: input.version,
          workflow_id: input.workflowId ?? null,
          model: input.params.model,
          now: new Date().toISOString(),
          as_of: run.asOf,
          cutoff: run.cutoff,
          params: JSON.stringify(input.params),
          gate_passed: gate.passed,
          gate_reason: gate.reason,
          live_version: liveVersion,
          ndcg_10: gate.candidate,
          popularity_ndcg_10: gate.popularity,
          live_ndcg_10: gate.live,
          n_users: run.nUsers,
          n_items: run.nItems,
          n_train: run.trainInteractions,
        });
        for (const [model, slices] of Object.entries(metrics)) {
          for (const [slice, m] of Object.entries(slices)) {
            for (const [metric, value] of Object.entries(m)) {
              await wh.exec('ins_eval_metric', { version: input.version, model, holdout: run.holdout ?? 'global_time', slice, metric, value });
            }
          }
        }
        const paths = analyticsPaths(cfg.DATA_DIR);
        await copyToParquet(wh, 'exp_analytics_model_run', { version: input.version }, paths.run(input.version, 'model_runs'));
        await copyToParquet(wh, 'exp_analytics_eval_metrics', { version: input.version }, paths.run(input.version, 'eval_metrics'));
      });
      return { gate, metrics };
    },
  };
}
