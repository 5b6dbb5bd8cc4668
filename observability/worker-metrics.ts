// The worker's Prometheus metrics (prom-client): activity durations by activity type, rows
// ingested/duplicate/quarantined, users scored (a counter and the last shard's rate), the last
// published version's gate numbers as gauges, and the default Node process metrics.
// instrumentActivities wraps every activity: it times it, reads the counts off its result and
// logs one line through the activity's logger (so the line carries workflowId and activityType).
import { Context } from '@temporalio/activity';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DrainEventsOut } from '../activities/drain';
import type { EvaluateOut, IngestCountsOut } from '../activities/types';

/** Activities run from a few milliseconds (pointer flips) to tens of minutes (training, scoring). */
const ACTIVITY_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600];

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly activitySeconds = new Histogram({ name: 'recs_activity_duration_seconds', help: 'Activity executions by activity type and outcome (ok, error).', labelNames: ['activity', 'outcome'], buckets: ACTIVITY_BUCKETS, registers: [this.registry] });
  readonly rows = new Counter({ name: 'recs_ingest_rows_total', help: 'Rows landed in the warehouse by source (world file, events stream), kind (events, titles) and outcome (ingested, duplicate, quarantined).', labelNames: ['source', 'kind', 'outcome'], registers: [this.registry] });
  readonly usersScored = new Counter({ name: 'recs_scored_users_total', help: 'Users whose top-N lists were scored and written to Redis.', registers: [this.registry] });
  readonly usersPerSecond = new Gauge({ name: 'recs_score_users_per_second', help: 'Users scored per second by the last scoring shard this worker ran.', registers: [this.registry] });
  readonly published = new Gauge({ name: 'recs_published_version_info', help: 'The version this worker last published (value 1), with its gate outcome and release action.', labelNames: ['version', 'outcome', 'release'], registers: [this.registry] });
  readonly publishedAt = new Gauge({ name: 'recs_published_timestamp_seconds', help: 'When this worker last published a version (Unix seconds).', registers: [this.registry] });
  readonly gateMetric = new Gauge({ name: 'recs_published_gate_metric', help: "The gate metric (e.g. ndcg_10) of the last published version's evaluation, by system: candidate (the model's list as it would ship; release says whether it did), popularity, live.", labelNames: ['metric', 'system'], registers: [this.registry] });
  readonly gateLift = new Gauge({ name: 'recs_published_gate_lift', help: 'Relative lift of each paired gate check of the last published version, with its 95 % interval (bound: point, lo, hi).', labelNames: ['check', 'bound'], registers: [this.registry] });
  readonly gateUsers = new Gauge({ name: 'recs_published_gate_holdout_users', help: 'Holdout users behind the gate of the last published version.', registers: [this.registry] });
  /** Gates of evaluated versions, until their publish (a few per run; the oldest dropped past 16). */
  private readonly gates = new Map<string, EvaluateOut['gate']>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  recordIngest(source: 'world' | 'stream', kind: string, r: { ingested: number; duplicates: number; quarantined: number }): void {
    this.rows.inc({ source, kind, outcome: 'ingested' }, r.ingested);
    this.rows.inc({ source, kind, outcome: 'duplicate' }, r.duplicates);
    this.rows.inc({ source, kind, outcome: 'quarantined' }, r.quarantined);
  }

  recordScored(users: number, seconds: number): void {
    this.usersScored.inc(users);
    if (seconds > 0) this.usersPerSecond.set(users / seconds);
  }

  recordEvaluation(version: string, gate: EvaluateOut['gate']): void {
    this.gates.set(version, gate);
    while (this.gates.size > 16) this.gates.delete(this.gates.keys().next().value as string);
  }

  /** A version went live: its gate numbers (when this worker evaluated it) become the published gauges. */
  recordPublished(version: string, at = Date.now()): void {
    const gate = this.gates.get(version);
    this.published.reset();
    this.gateMetric.reset();
    this.gateLift.reset();
    this.gateUsers.reset();
    this.published.set({ version, outcome: gate?.outcome ?? 'unknown', release: gate?.release ?? 'unknown' }, 1);
    this.publishedAt.set(at / 1000);
    if (!gate) return;
    this.gateMetric.set({ metric: gate.metric, system: 'candidate' }, gate.candidate);
    this.gateMetric.set({ metric: gate.metric, system: 'popularity' }, gate.popularity);
    if (gate.live !== null) this.gateMetric.set({ metric: gate.metric, system: 'live' }, gate.live);
    this.gateUsers.set(gate.holdoutUsers);
    for (const c of gate.checks) {
      for (const [bound, value] of [['point', c.lift], ['lo', c.liftLo], ['hi', c.liftHi]] as const) if (Number.isFinite(value)) this.gateLift.set({ check: c.name, bound }, value);
    }
  }
}

type AnyActivity = (...args: any[]) => Promise<unknown>;

/** Read the counts an activity's result carries into the metrics. */
function observeResult(m: WorkerMetrics, name: string, args: unknown[], result: unknown, seconds: number): void {
  const input = (args[0] ?? {}) as { version?: string; toVersion?: string };
  switch (name) {
    case 'ingestWorld':
      for (const c of result as IngestCountsOut[]) m.recordIngest('world', c.kind, c);
      break;
    case 'drainEvents':
      m.recordIngest('stream', 'events', result as DrainEventsOut);
      break;
    case 'scoreShard':
      m.recordScored(result as number, seconds);
      break;
    case 'evaluateCandidate':
      if (input.version) m.recordEvaluation(input.version, (result as EvaluateOut).gate);
      break;
    case 'publishVersion':
      if (input.version) m.recordPublished(input.version);
      break;
    case 'rollbackVersion':
      m.recordPublished((result as { to: string }).to);
      break;
  }
}

function activityLog() {
  try {
    return Context.current().log;
  } catch {
    return null; // called outside an activity (a unit test calling the function directly)
  }
}

/**
 * The same activities, each timed into recs_activity_duration_seconds, its result's counts
 * recorded, and one "activity completed" line (with the duration) logged through the activity
 * context's logger.
 */
export function instrumentActivities<A extends Record<string, AnyActivity>>(activities: A, m: WorkerMetrics): A {
  const out: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        const result = await fn(...args);
        const seconds = (performance.now() - t0) / 1000;
        m.activitySeconds.observe({ activity: name, outcome: 'ok' }, seconds);
        try {
          observeResult(m, name, args, result, seconds);
        } catch (e) {
          activityLog()?.warn('could not record the metrics of this result', { error: e });
        }
        activityLog()?.info('activity completed', { seconds: Number(seconds.toFixed(3)) });
        return result;
      } catch (e) {
        // The SDK logs the failure itself ("Activity failed", with the error and duration).
        m.activitySeconds.observe({ activity: name, outcome: 'error' }, (performance.now() - t0) / 1000);
        throw e;
      }
    };
    Object.defineProperty(out[name], 'name', { value: name });
  }
  return out as A;
}
