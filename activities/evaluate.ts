// evaluateCandidate: the run's offline evaluation and release decision (pipeline/evaluate.ts, the
// same path bench:quality takes), heart-beating which system is being ranked; every number goes to
// DuckDB (model_runs, eval_metrics with sample sizes and intervals) and the analysts' Parquet.
import { Context } from '@temporalio/activity';
import { evaluateRun, type LiveRef } from '../pipeline/evaluate';
import { evaluateTradeoffs, tradeoffMetricRows } from '../pipeline/tradeoffs';
import { analyticsPaths, copyToParquet } from '../storage/analytics';
import { dashboardPublisher } from '../storage/dashboard-publish';
import { runDir } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { inActivity, progress, withHeartbeat } from './heartbeat';
import type { EvaluateOut, LightStrategy, RankerPlan, RetrievalParams } from './types';

export function createEvaluateActivities({ cfg, wh, redis, versions }: Pick<ActivityDeps, 'cfg' | 'wh' | 'redis' | 'versions'>) {
  const dashboard = dashboardPublisher(cfg, redis);
  /** The live version's clock, recipe and run directory (its factors live there), or null. */
  async function liveRef(): Promise<LiveRef | null> {
    const version = await versions.live();
    if (!version) return null;
    const meta = await versions.meta(version);
    const recipe = meta.recipe ? (JSON.parse(meta.recipe) as { params?: RetrievalParams; lightStrategy?: LightStrategy; rankedLists?: boolean; ranker?: { completionWeight?: number } }) : {};
    const params = recipe.params ?? (meta.params ? (JSON.parse(meta.params) as RetrievalParams) : null);
    const dir = runDir(cfg, version);
    let exists = true;
    try {
      runFiles.manifest(dir);
    } catch {
      exists = false;
    }
    const str = (v: string | undefined) => (v === undefined ? undefined : v.startsWith('"') ? (JSON.parse(v) as string) : v);
    return { version, dataAsOf: str(meta.data_as_of) ?? '', model: str(meta.model) ?? 'ials', dir: exists ? dir : null, lightStrategy: recipe.lightStrategy ?? 'model', params, rankedLists: recipe.rankedLists ?? false, completionWeight: recipe.ranker?.completionWeight ?? 0 };
  }

  return {
    async evaluateCandidate(input: { version: string; params: RetrievalParams; ranker: RankerPlan; workflowId?: string }): Promise<EvaluateOut> {
      const dir = runDir(cfg, input.version);
      const run = runFiles.manifest(dir);
      const live = await liveRef();
      let details: Record<string, unknown> = { step: 'evaluate' };
      const { gate, metrics } = await withHeartbeat(
        () => details,
        () =>
          evaluateRun(dir, {
            params: input.params,
            ranker: input.ranker,
            live,
            threads: cfg.ALS_THREADS,
            maxUsers: cfg.EVAL_MAX_USERS,
            bootstrap: { samples: cfg.EVAL_BOOTSTRAP_SAMPLES, seed: input.params.seed },
            gate: { minLiftOverPopularity: cfg.GATE_MIN_LIFT_OVER_POPULARITY, maxRegressionVsLive: cfg.GATE_MAX_REGRESSION_VS_LIVE },
            tfBackend: cfg.TF_BACKEND,
            progress: (d) => {
              details = d;
              progress(d);
            },
          }),
        1000,
      );
      // The objective trade-offs (completion weight, re-rank grid) for `recs report`'s curves.
      const tradeoffs = cfg.EVAL_TRADEOFFS
        ? await withHeartbeat(
            () => details,
            () =>
              evaluateTradeoffs(dir, {
                plan: input.ranker,
                gate,
                ctx: { maxUsers: cfg.EVAL_MAX_USERS, seed: input.params.seed, bootstrapSamples: 0 },
                threads: cfg.ALS_THREADS,
                freshDays: cfg.FRESH_DAYS,
                progress: (d) => {
                  details = d;
                  progress(d);
                },
              }),
            1000,
          )
        : null;

      await wh.exclusive(async () => {
        await wh.exec('ins_model_run', {
          version: input.version,
          workflow_id: input.workflowId ?? null,
          model: input.params.model,
          now: new Date().toISOString(),
          as_of: run.asOf,
          cutoff: run.cutoff,
          params: JSON.stringify({ ...input.params, ranker: input.ranker, rankedLists: gate.judged === 'ranked', lightStrategy: gate.lightStrategy }),
          gate_passed: gate.passed,
          gate_outcome: gate.outcome,
          gate_reason: gate.reason,
          release: gate.release,
          live_version: gate.liveVersion,
          ndcg_10: gate.candidate,
          popularity_ndcg_10: gate.popularity,
          live_ndcg_10: gate.live,
          n_users: run.nUsers,
          n_items: run.nItems,
          n_train: run.trainInteractions,
          holdout_users: gate.holdoutUsers,
          holdout_days: run.window.days,
        });
        for (const [model, slices] of Object.entries(metrics)) {
          for (const [slice, m] of Object.entries(slices)) {
            for (const [metric, value] of Object.entries(m)) {
              await wh.exec('ins_eval_metric', { version: input.version, model, holdout: run.holdout, slice, metric, value });
            }
          }
        }
        for (const r of tradeoffs ? tradeoffMetricRows(tradeoffs) : []) await wh.exec('ins_eval_metric', { version: input.version, model: r.model, holdout: 'tradeoffs', slice: r.slice, metric: r.metric, value: r.value });
        const paths = analyticsPaths(cfg.DATA_DIR);
        await copyToParquet(wh, 'exp_analytics_model_run', { version: input.version }, paths.run(input.version, 'model_runs'));
        await copyToParquet(wh, 'exp_analytics_eval_metrics', { version: input.version }, paths.run(input.version, 'eval_metrics'));
      });
      // Best effort: a Redis that refuses writes must not fail the evaluation; publishVersion
      // (and the next evaluation) rewrite the whole run history.
      await withHeartbeat(() => ({ step: 'publish the run history' }), () => dashboard.runs(wh)).catch((e) => inActivity() && Context.current().log.warn('dashboard run history not published', { error: String(e) }));
      return { gate, metrics }; // not the per-user series: payloads stay small
    },
  };
}
