// retrain: ingest → prepare (holdout sized for power) → train the gate models (retrieval; with ranking
// also the pre-period retrieval model and the gate ranker) → evaluate + gate (pipeline/evaluate.ts:
// pass | fail | inconclusive, and the release action of model/gate.ts) → then, by the action:
//   publish           refit on all data (retrieval, the ranker when its order won, content model)
//   publish_baseline  popularity lists (nothing is live and the model did not pass: feeds never empty)
//   keep_live         stop; the live version stays
// → write version → score shards → publish (pointer flip) → expire old versions.
// Deterministic orchestration only: activities do the work; payloads carry ids, not data.
import { log, proxyActivities, setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Recipe, RetrainInput, RetrainResult } from '../activities/types';
import { DATA_AS_OF, GATE_OUTCOME, GATE_PASSED, MODEL_VERSION, NDCG_AT_10, RELEASE } from './search-attributes';
import { roleQueue, type Role } from './task-queues';

const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['BadInput', 'NoData'] };

const quick = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });
/**
 * Long steps heartbeat; a worker that dies is noticed after the configured heartbeat timeout. Each
 * role's steps go to its task queue (workflows/task-queues.ts); the warehouse's is the workflow's own.
 */
const heavyWith = (heartbeatTimeoutSeconds: number, role: Role = 'warehouse') =>
  proxyActivities<Activities>({ startToCloseTimeout: '4h', heartbeatTimeout: `${heartbeatTimeoutSeconds}s`, retry, taskQueue: roleQueue(workflowInfo().taskQueue, role) });

/** Version ids sort by time: v<start time>-<run id prefix>. */
function newVersion(): string {
  const info = workflowInfo();
  const t = info.runStartTime.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `v${t}-${info.runId.slice(0, 6)}`;
}

function metricsTable(metrics: RetrainResult['metrics']): string {
  const ci = (lo?: number, hi?: number) => (lo === undefined || hi === undefined ? '' : ` [${lo.toFixed(4)}, ${hi.toFixed(4)}]`);
  const rows = Object.entries(metrics).map(([model, slices]) => {
    const m = slices.all;
    return m ? `| ${model} | ${m.users} | ${m.ndcg_10.toFixed(4)}${ci(m.ndcg_10_lo, m.ndcg_10_hi)} | ${m.recall_20.toFixed(4)}${ci(m.recall_20_lo, m.recall_20_hi)} | ${m.map_10.toFixed(4)} | ${m.coverage_10.toFixed(3)} |` : `| ${model} | - | - | - | - | - |`;
  });
  return ['| model | users | NDCG@10 [95% CI] | Recall@20 [95% CI] | MAP@10 | coverage@10 |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export async function retrain(input: RetrainInput = {}): Promise<RetrainResult> {
  const version = newVersion();
  upsertSearchAttributes([{ key: MODEL_VERSION, value: version }]);
  const stepTo = (s: string) => {
    setCurrentDetails(`**${version}** — ${s}`);
    log.info('retrain step', { version, step: s });
  };

  stepTo('resolving the recipe');
  const plan = await quick.resolvePlan({ params: input.params, shards: input.shards, ranker: input.ranker });
  const heavy = heavyWith(plan.heartbeatTimeoutSeconds);
  const train = heavyWith(plan.heartbeatTimeoutSeconds, 'train');
  const score = heavyWith(plan.heartbeatTimeoutSeconds, 'score');
  let ingest: RetrainResult['ingest'];
  if (input.worldDir) {
    stepTo('ingesting events and titles');
    ingest = await heavy.ingestWorld({ worldDir: input.worldDir });
  }

  stepTo('exporting training data (labels, confidence, holdout sized for power)');
  const run = await heavy.prepareRun({ version, asOf: input.asOf, evalWindowDays: input.evalWindowDays });
  upsertSearchAttributes([{ key: DATA_AS_OF, value: new Date(run.asOf) }]);

  stepTo(`training ${plan.params.model} on events before ${run.cutoff} (holdout: ${run.window.reason})`);
  await train.trainRetrieval({ version, phase: 'gate', params: plan.params });
  const ranker: RetrainResult['ranker'] = { plan: plan.ranker };
  if (plan.ranker.enabled) {
    // The gate ranker learns from the window before the cutoff: its candidates come from a
    // retrieval model trained before that window, so no label reaches a feature.
    stepTo(`training ${plan.params.model} on events before ${run.preCutoff} (the gate ranker's candidates)`);
    await train.trainRetrieval({ version, phase: 'pre', params: plan.params });
    stepTo('training the gate ranker (labels in the window before the cutoff)');
    ranker.gate = await train.trainRanker({ version, phase: 'gate', ranker: plan.ranker });
  }

  stepTo('evaluating (paired, with intervals) against popularity, trending and the live version');
  const ev = await heavy.evaluateCandidate({ version, params: plan.params, ranker: plan.ranker, workflowId: workflowInfo().workflowId });
  const gate = ev.gate;
  upsertSearchAttributes([
    { key: NDCG_AT_10, value: gate.candidate },
    { key: GATE_PASSED, value: gate.passed },
    { key: GATE_OUTCOME, value: gate.outcome },
    { key: RELEASE, value: gate.release },
  ]);
  upsertMemo({ metrics: metricsTable(ev.metrics), gate: gate.reason, release: gate.releaseReason, ranker: gate.rankerReason, lightUsers: gate.lightReason, holdout: run.window.reason });

  const base = { version, dataAsOf: run.asOf, cutoff: run.cutoff, params: plan.params, gate, metrics: ev.metrics, ingest, users: run.nUsers, items: run.nItems, ranker };
  if (gate.release === 'keep_live') {
    stepTo(`not published: ${gate.releaseReason}`);
    return { ...base, published: false, status: 'not_published', reason: gate.releaseReason, previousVersion: null };
  }

  let recipe: Recipe;
  let shippedMetrics = ev.metrics.shipped.all;
  let content: RetrainResult['content'];
  if (gate.release === 'publish_baseline') {
    // Nothing is live and the model did not pass: popularity lists from this run, so no feed is empty.
    const params = { ...plan.params, model: 'popularity' as const };
    stepTo('baseline: popularity lists on all events up to as-of');
    await train.trainRetrieval({ version, phase: 'ship', params });
    recipe = { params, ranker: { ...plan.ranker, enabled: false }, rankedLists: false, lightStrategy: 'model' };
    shippedMetrics = ev.metrics.popularity.all;
  } else {
    stepTo(`refitting ${plan.params.model} on all events up to ${run.asOf}`);
    await train.trainRetrieval({ version, phase: 'ship', params: plan.params });
    // Ranked lists ship only when the ranked order beat the retrieval order on the gate holdout.
    let rankedLists = gate.judged === 'ranked';
    if (rankedLists) {
      stepTo('training the shipped ranker (labels in the holdout window)');
      ranker.ship = await train.trainRanker({ version, phase: 'ship', ranker: plan.ranker });
      rankedLists = ranker.ship.trained;
    }
    if (plan.params.model === 'ials') {
      stepTo('training the content model (cold titles) on the shipped title factors');
      content = await train.trainContent({ version });
      await quick.recordContentMetrics({ version, info: content });
    }
    recipe = { params: plan.params, ranker: plan.ranker, rankedLists, lightStrategy: gate.lightStrategy };
  }

  stepTo('writing the version (catalog, factors, lists, recipe)');
  await quick.writeVersionData({ version, recipe, metrics: shippedMetrics, gate: { outcome: gate.outcome, release: gate.release, reason: gate.releaseReason } });

  // Fan out: one activity per shard, at most `concurrency` at a time; any worker may take one.
  let done = 0;
  let written = 0;
  const shards = Array.from({ length: plan.shards }, (_, i) => i);
  for (let i = 0; i < shards.length; i += plan.concurrency) {
    stepTo(`scoring users: shard ${done + 1}–${Math.min(done + plan.concurrency, plan.shards)} of ${plan.shards} (${written} users written)`);
    const counts = await Promise.all(shards.slice(i, i + plan.concurrency).map((shard) => score.scoreShard({ version, shard, shards: plan.shards, recipe })));
    done += counts.length;
    written += counts.reduce((a, b) => a + b, 0);
  }

  stepTo(`publishing (${written} user lists)`);
  const pub = await quick.publishVersion({ version, expectedUsers: run.nUsers });
  stepTo('expiring versions beyond the rollback window');
  await heavy.expireOldVersions(); // heartbeats: its work grows with the retired versions' lists
  const status = gate.release === 'publish_baseline' ? 'baseline_published' : 'published';
  stepTo(`${status}; previous ${pub.previous ?? 'none'}`);
  return { ...base, content, published: true, status, reason: gate.releaseReason, previousVersion: pub.previous };
}
