// The worker's metrics and logs: activities run in Temporal's activity context
// (MockActivityEnvironment), wrapped exactly as worker.ts wraps them.
import { MockActivityEnvironment } from '@temporalio/testing';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { progress } from '../../activities/heartbeat';
import type { EvaluateOut, IngestCountsOut } from '../../activities/types';
import { createLogger, temporalLogger } from '../../observability/log';
import { startMetricsServer } from '../../observability/metrics-server';
import { instrumentActivities, WorkerMetrics } from '../../observability/worker-metrics';

/** A pino logger whose JSON lines land in `lines`. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger({ name: 'worker', level: 'info', destination: sink, pretty: false }) };
}

const ingested: IngestCountsOut[] = [
  { kind: 'titles', rowsRead: 10, ingested: 10, duplicates: 0, quarantined: 0, alreadyIngested: false },
  { kind: 'events', rowsRead: 120, ingested: 100, duplicates: 5, quarantined: 15, alreadyIngested: false },
];
const gate = {
  outcome: 'pass',
  release: 'publish',
  metric: 'ndcg_10',
  candidate: 0.21,
  popularity: 0.12,
  live: 0.2,
  holdoutUsers: 812,
  checks: [{ name: 'vs_popularity', lift: 0.75, liftLo: 0.5, liftHi: 1.0 }],
} as unknown as EvaluateOut['gate'];

/** Stand-ins with the real activities' names and result shapes (the real ones need DuckDB and Redis). */
const fakeActivities = {
  async ingestWorld(_input: { worldDir: string }): Promise<IngestCountsOut[]> {
    progress({ step: 'ingest events', file: 'events.parquet' });
    return ingested;
  },
  async evaluateCandidate(_input: { version: string }): Promise<EvaluateOut> {
    return { gate, metrics: {} };
  },
  async scoreShard(_input: { version: string; shard: number }): Promise<number> {
    await new Promise((r) => setTimeout(r, 20));
    return 500;
  },
  async publishVersion(_input: { version: string; expectedUsers: number }): Promise<{ previous: string | null }> {
    return { previous: null };
  },
  async trainRetrieval(): Promise<void> {
    throw new Error('out of memory');
  },
};

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in /metrics (have ${families.map((x) => x.name).join(', ')})`);
  return f;
}

describe('worker observability', () => {
  const metrics = new WorkerMetrics();
  const activities = instrumentActivities(fakeActivities, metrics);
  const { lines, logger } = capturedLogger();
  const run = (activityType: string, workflowId: string) =>
    new MockActivityEnvironment({ activityType, workflowType: 'retrain', workflowExecution: { workflowId, runId: 'run-1' } }, { logger: temporalLogger(logger) });
  let server: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  afterAll(async () => server?.close());

  it('every log line of an activity carries the workflow id and the activity name', async () => {
    await run('ingestWorld', 'retrain-2026-12-01').run(activities.ingestWorld, { worldDir: '/nowhere' });
    await expect(run('trainRetrieval', 'retrain-2026-12-01').run(activities.trainRetrieval)).rejects.toThrow('out of memory');
    const ours = lines.filter((l) => l.workflowId !== undefined || l.activityType !== undefined || /activity|progress/.test(String(l.msg)));
    // Ours (progress, completed) and the SDK's own (its failure line).
    expect(ours.map((l) => l.msg)).toEqual(['progress', 'activity completed', 'Activity failed']);
    expect(ours[0].progress).toEqual({ step: 'ingest events', file: 'events.parquet' });
    for (const l of lines) {
      expect(l.workflowId).toBe('retrain-2026-12-01');
      expect(l.workflowType).toBe('retrain');
      expect(['ingestWorld', 'trainRetrieval']).toContain(l.activityType);
      expect(l.name).toBe('worker');
    }
    expect(lines[1]).toMatchObject({ activityType: 'ingestWorld', level: 30, seconds: expect.any(Number) });
    expect(lines[2]).toMatchObject({ activityType: 'trainRetrieval', level: 40, sdkComponent: 'worker', err: { message: 'out of memory' } });
  });

  it('LOG_LEVEL filters the SDK\'s lines too', () => {
    const { lines: quiet, logger: warnOnly } = capturedLogger();
    warnOnly.level = 'warn';
    const t = temporalLogger(warnOnly);
    t.info('Activity started', { workflowId: 'w' });
    t.warn('Activity failed', { workflowId: 'w' });
    expect(quiet.map((l) => l.msg)).toEqual(['Activity failed']);
  });

  it('/metrics parses as Prometheus text and holds activity durations, rows, scoring rate, the published gate and the process metrics', async () => {
    const env = (t: string) => run(t, 'retrain-2026-12-01');
    await env('evaluateCandidate').run(activities.evaluateCandidate, { version: 'v42' });
    await env('scoreShard').run(activities.scoreShard, { version: 'v42', shard: 0 });
    await env('publishVersion').run(activities.publishVersion, { version: 'v42', expectedUsers: 500 });

    server = await startMetricsServer(metrics.registry, 0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(await res.text());

    // Default Node process metrics.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) expect(family(families, name).metrics.length).toBeGreaterThan(0);

    // The parser folds a labelled histogram into one sample: read its series from the registry.
    expect(family(families, 'recs_activity_duration_seconds').type).toBe('HISTOGRAM');
    const durations = (await metrics.registry.getSingleMetric('recs_activity_duration_seconds')!.get()).values.filter((v) => (v as { metricName?: string }).metricName === 'recs_activity_duration_seconds_count');
    const byActivity = Object.fromEntries(durations.map((v) => [`${v.labels.activity}/${v.labels.outcome}`, v.value]));
    expect(byActivity).toMatchObject({ 'ingestWorld/ok': 1, 'trainRetrieval/error': 1, 'scoreShard/ok': 1, 'publishVersion/ok': 1 });

    const rows = Object.fromEntries(family(families, 'recs_ingest_rows_total').metrics.map((m) => [`${m.labels!.kind}/${m.labels!.outcome}`, Number(m.value)]));
    expect(rows).toMatchObject({ 'events/ingested': 100, 'events/duplicate': 5, 'events/quarantined': 15, 'titles/ingested': 10 });

    expect(Number(family(families, 'recs_scored_users_total').metrics[0].value)).toBe(500);
    const rate = Number(family(families, 'recs_score_users_per_second').metrics[0].value);
    expect(rate).toBeGreaterThan(0);
    // The fake shard sleeps 20 ms; timers may fire a little early, so bound the rate loosely: users / seconds, not users.
    expect(rate).toBeLessThan(500 / 0.01);

    expect(family(families, 'recs_published_version_info').metrics[0].labels).toEqual({ version: 'v42', outcome: 'pass', release: 'publish' });
    const gateMetric = Object.fromEntries(family(families, 'recs_published_gate_metric').metrics.map((m) => [m.labels!.system, Number(m.value)]));
    expect(gateMetric).toEqual({ candidate: 0.21, popularity: 0.12, live: 0.2 });
    expect(Number(family(families, 'recs_published_gate_holdout_users').metrics[0].value)).toBe(812);
    const lift = Object.fromEntries(family(families, 'recs_published_gate_lift').metrics.map((m) => [`${m.labels!.check}/${m.labels!.bound}`, Number(m.value)]));
    expect(lift).toEqual({ 'vs_popularity/point': 0.75, 'vs_popularity/lo': 0.5, 'vs_popularity/hi': 1 });

    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });
});
