// retrain: ingest → prepare → train the gate models (retrieval; with ranking also the pre-period
// retrieval model and the gate ranker) → evaluate (retrieval-only and ranked) + gate → refit on all
// data (retrieval, ranker, content model) → write version → score shards (ranked) → publish
// (pointer flip) → expire old versions.
// Deterministic orchestration only: activities do the work; payloads carry ids, not data.
import { log, proxyActivities, setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RetrainInput, RetrainResult } from '../activities/types';
import { DATA_AS_OF, GATE_PASSED, MODEL_VERSION, NDCG_AT_10 } from './search-attributes';

const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['BadInput', 'NoData'] };

const quick = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });
/** Long steps heartbeat; a worker that dies is noticed after the configured heartbeat timeout. */
const heavyWith = (heartbeatTimeoutSeconds: number) => proxyActivities<Activities>({ startToCloseTimeout: '4h', heartbeatTimeout: `${heartbeatTimeoutSeconds}s`, retry });

/** Version ids sort by time: v<start time>-<run id prefix>. */
function newVersion(): string {
  const info = workflowInfo();
  const t = info.runStartTime.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `v${t}-${info.runId.slice(0, 6)}`;
}

function metricsTable(metrics: RetrainResult['metrics']): string {
  const rows = Object.entries(metrics).map(([model, slices]) => {
    const m = slices.all;
    return m ? `| ${model} | ${m.users} | ${m.ndcg_10.toFixed(4)} | ${m.recall_20.toFixed(4)} | ${m.map_10.toFixed(4)} | ${m.coverage_10.toFixed(3)} |` : `| ${model} | - | - | - | - | - |`;
  });
  return ['| model | users | NDCG@10 | Recall@20 | MAP@10 | coverage@10 |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export async function retrain(input: RetrainInput = {}): Promise<RetrainResult> {
  const version = newVersion();
  upsertSearchAttributes([{ key: MODEL_VERSION, value: version }]);
  let step = '';
  const stepTo = (s: string) => {
    step = s;
    setCurrentDetails(`**${version}** — ${s}`);
    log.info('retrain step', { version, step: s });
  };

  stepTo('resolving the recipe');
  const plan = await quick.resolvePlan({ params: input.params, shards: input.shards, ranker: input.ranker });
  const heavy = heavyWith(plan.heartbeatTimeoutSeconds);
  let ingest: RetrainResult['ingest'];
  if (input.worldDir) {
    stepTo('ingesting events and titles');
    ingest = await heavy.ingestWorld({ worldDir: input.worldDir });
  }

  stepTo('exporting training data (labels, confidence, holdout)');
  const run = await heavy.prepareRun({ version, asOf: input.asOf, evalWindowDays: input.evalWindowDays, holdout: input.holdout });
  upsertSearchAttributes([{ key: DATA_AS_OF, value: new Date(run.asOf) }]);

  stepTo(`training ${plan.params.model} on events before ${run.cutoff}`);
  await heavy.trainRetrieval({ version, phase: 'gate', params: plan.params });
  const ranker: RetrainResult['ranker'] = { plan: plan.ranker };
  if (plan.ranker.enabled) {
    // The gate ranker learns from the window before the cutoff: its candidates come from a
    // retrieval model trained before that window, so no label reaches a feature.
    stepTo(`training ${plan.params.model} on events before ${run.preCutoff} (the gate ranker's candidates)`);
    await heavy.trainRetrieval({ version, phase: 'pre', params: plan.params });
    stepTo('training the gate ranker (labels in the window before the cutoff)');
    ranker.gate = await heavy.trainRanker({ version, phase: 'gate', ranker: plan.ranker });
  }

  stepTo('evaluating retrieval-only and ranked lists against popularity, trending and the live recipe');
  const ev = await heavy.evaluateCandidate({ version, params: plan.params, ranker: plan.ranker, workflowId: workflowInfo().workflowId });
  upsertSearchAttributes([
    { key: NDCG_AT_10, value: ev.gate.candidate },
    { key: GATE_PASSED, value: ev.gate.passed },
  ]);
  upsertMemo({ metrics: metricsTable(ev.metrics), gate: ev.gate.reason });

  const base = { version, dataAsOf: run.asOf, cutoff: run.cutoff, params: plan.params, gate: ev.gate, metrics: ev.metrics, ingest, users: run.nUsers, items: run.nItems, ranker };
  if (!ev.gate.passed) {
    stepTo(`not published: ${ev.gate.reason}`);
    return { ...base, published: false, status: 'not_published', reason: ev.gate.reason, previousVersion: null };
  }

  stepTo(`refitting ${plan.params.model} on all events up to ${run.asOf}`);
  await heavy.trainRetrieval({ version, phase: 'ship', params: plan.params });
  // Ranked lists ship only when the gate judged ranked lists (the gate ranker trained).
  const rankedLists = ev.gate.judged === 'ranked';
  if (rankedLists) {
    stepTo('training the shipped ranker (labels in the holdout window)');
    ranker.ship = await heavy.trainRanker({ version, phase: 'ship', ranker: plan.ranker });
  }
  let content: RetrainResult['content'];
  if (plan.params.model === 'ials') {
    stepTo('training the content model (cold titles) on the shipped title factors');
    content = await heavy.trainContent({ version });
  }

  stepTo('writing the version (catalog, factors, lists)');
  await quick.writeVersionData({ version, params: plan.params, metrics: ev.metrics, judged: ev.gate.judged });

  // Fan out: one activity per shard, at most `concurrency` at a time; any worker may take one.
  let done = 0;
  let written = 0;
  const shards = Array.from({ length: plan.shards }, (_, i) => i);
  for (let i = 0; i < shards.length; i += plan.concurrency) {
    stepTo(`scoring users: shard ${done + 1}–${Math.min(done + plan.concurrency, plan.shards)} of ${plan.shards} (${written} users written)`);
    const counts = await Promise.all(shards.slice(i, i + plan.concurrency).map((shard) => heavy.scoreShard({ version, shard, shards: plan.shards, ranker: { ...plan.ranker, enabled: rankedLists } })));
    done += counts.length;
    written += counts.reduce((a, b) => a + b, 0);
  }

  stepTo(`publishing (${written} user lists)`);
  const pub = await quick.publishVersion({ version, expectedUsers: run.nUsers });
  stepTo('expiring versions beyond the rollback window');
  await quick.expireOldVersions();
  stepTo(`published; previous ${pub.previous ?? 'none'}`);
  void step;
  return { ...base, content, published: true, status: 'published', reason: ev.gate.reason, previousVersion: pub.previous };
}
