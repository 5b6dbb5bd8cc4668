// A real worker process (worker.ts main: pino through Runtime.install, /metrics on
// WORKER_METRICS_PORT) runs a retrain of a tiny world: every activity's log line names the
// workflow and the activity, and the worker's /metrics parses and holds what the run did.
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { loadConfig } from '../../config';
import { generateWorld } from '../../data/generator';
import { freePort } from '../../scripts/redis-server';
import { tempDir } from '../helpers/paths';
import { configEnv, spawnWorker, type WorkerProcess } from '../helpers/worker-process';


let worker: WorkerProcess | null = null;
let connection: Connection;

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await connection?.close();
});

describe('a retrain seen through the worker\'s logs and /metrics', { timeout: 240_000 }, () => {
  let result: RetrainResult;
  let workflowId: string;
  let metricsPort: number;

  beforeAll(async () => {
    const worldDir = join(tempDir('world'), 'tiny');
    await generateWorld({ preset: 'tiny', seed: 5, outDir: worldDir });
    const id = `obs-${randomUUID().slice(0, 6)}`;
    const cfg = loadConfig({ ...process.env, DATA_DIR: tempDir('obs'), REDIS_PREFIX: `t-${id}`, TEMPORAL_TASK_QUEUE: `test-${id}`, ALS_FACTORS: '16', ALS_EPOCHS: '4', RANK_CANDIDATES: '100', TOP_N: '50', CONTENT_AUDIENCE: '30', EVAL_TRADEOFFS: 'false' });
    metricsPort = await freePort();
    worker = await spawnWorker(configEnv(cfg, { WORKER_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' }));
    connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
    workflowId = `retrain-obs-${randomUUID()}`;
    result = await new Client({ connection }).workflow.execute('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId, args: [{ worldDir }] });
  });

  it('every log line of an activity is JSON with the workflow id and the activity name', async () => {
    // The workflow's result can reach us before the worker's last lines cross the pipe.
    for (let i = 0; i < 100 && !/"activityType":"publishVersion"[^\n]*"msg":"activity completed"/.test(worker!.output()); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = worker!
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => String(l.msg).startsWith('worker: task queue'))).toMatchObject({ name: 'worker', level: 30 });
    const activityLines = lines.filter((l) => l.sdkComponent === 'activity' || l.msg === 'activity completed' || l.msg === 'progress');
    expect(activityLines.length).toBeGreaterThan(10);
    for (const l of activityLines) {
      expect(l.workflowId).toBe(workflowId);
      expect(typeof l.activityType).toBe('string');
    }
    const completed = new Set(activityLines.filter((l) => l.msg === 'activity completed').map((l) => l.activityType));
    for (const a of ['ingestWorld', 'evaluateCandidate', 'scoreShard', 'publishVersion']) expect(completed).toContain(a);
  });

  it('the worker\'s /metrics parses and holds the run: durations, rows, users scored, the published gate, process metrics', async () => {
    expect(result.status).toBe('published');
    const families = parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'recs_activity_duration_seconds']) expect(byName.has(name), name).toBe(true);
    const rows = byName.get('recs_ingest_rows_total')!.metrics.find((m) => m.labels?.kind === 'events' && m.labels.outcome === 'ingested');
    expect(Number(rows?.value)).toBe(result.ingest!.find((c) => c.kind === 'events')!.ingested);
    expect(Number(byName.get('recs_scored_users_total')!.metrics[0].value)).toBe(result.users);
    expect(byName.get('recs_published_version_info')!.metrics[0].labels).toMatchObject({ version: result.version, outcome: result.gate.outcome });
    const candidate = byName.get('recs_published_gate_metric')!.metrics.find((m) => m.labels?.system === 'candidate');
    expect(Number(candidate?.value)).toBeCloseTo(result.gate.candidate, 9);
  });
});
