// `recs schedule` end to end: the CLI as a process against the real Temporal dev server, and a
// real worker on the test's own task queue that runs what the schedule starts.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrainEventsResult } from '../../workflows/drain-events';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { ROOT } from '../helpers/paths';

let p: TestPipeline;
let drainId: string;
let retrainId: string;

/** Run `recs schedule …` with this pipeline's configuration; never throws on a non-zero exit. */
async function recs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = p.cfg;
  const env = { ...process.env, DATA_DIR: c.DATA_DIR, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX, TEMPORAL_ADDRESS: c.TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: c.TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE };
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'index.ts'), 'schedule', ...args], { cwd: ROOT, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

async function describeSchedule(id: string) {
  const r = await recs('describe', '--id', id, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  p = await startPipeline('schedule');
  drainId = `${p.taskQueue}-drain-events`;
  retrainId = `${p.taskQueue}-retrain`;
});
afterAll(async () => {
  for (const id of [drainId, retrainId]) await p?.client.schedule.getHandle(id).delete().catch(() => undefined);
  await p?.close();
});

describe('recs schedule', () => {
  it('creates a drain-events schedule named after the task queue, with overlap SKIP and a 10-minute catch-up window', async () => {
    const r = await recs('create', '--workflow', 'drain-events', '--cron', '0 0 1 1 *', '--input', '{"batchSize": 50}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(drainId);
    const d = await describeSchedule(drainId);
    expect(d).toMatchObject({ id: drainId, workflow: 'drainEvents', taskQueue: p.taskQueue, input: { batchSize: 50 }, cron: '0 0 1 1 *', paused: false, overlap: 'SKIP', catchupWindowSeconds: 600, recentRuns: [] });
    // A far-future cron: nothing runs by itself during the test.
    expect(Date.parse(d.nextRuns[0])).toBeGreaterThan(Date.now() + 3600_000);
  }, 60_000);

  it('refuses to create the same schedule twice, and says how to see or replace it', async () => {
    const r = await recs('create', '--workflow', 'drain-events', '--cron', '0 0 1 1 *');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
  }, 60_000);

  it('pause and unpause show in describe, with the note', async () => {
    expect((await recs('pause', '--workflow', 'drain-events', '--note', 'warehouse maintenance')).code).toBe(0);
    expect(await describeSchedule(drainId)).toMatchObject({ paused: true, note: 'warehouse maintenance' });
    expect((await recs('unpause', '--workflow', 'drain-events')).code).toBe(0);
    expect((await describeSchedule(drainId)).paused).toBe(false);
  }, 60_000);

  it('trigger starts a run now on the worker: it shows in describe and completes', async () => {
    const r = await recs('trigger', '--workflow', 'drain-events');
    expect(r.code, r.stderr).toBe(0);
    const workflowId = r.stdout.trim();
    expect(workflowId.startsWith(`${drainId}-`)).toBe(true);
    const d = await describeSchedule(drainId);
    expect(d.recentRuns.map((x: { workflowId: string }) => x.workflowId)).toContain(workflowId);
    const handle = p.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).type).toBe('drainEvents');
    const result = (await handle.result()) as DrainEventsResult;
    expect(result).toMatchObject({ entries: 0, empty: true, pending: 0 });
  }, 60_000);

  it('a retrain schedule defaults to 03:00 daily and can be created paused', async () => {
    const r = await recs('create', '--paused');
    expect(r.code, r.stderr).toBe(0);
    expect(await describeSchedule(retrainId)).toMatchObject({ id: retrainId, workflow: 'retrain', cron: '0 3 * * *', paused: true, input: {} });
    expect((await recs('delete')).code).toBe(0);
  }, 60_000);

  it('delete removes it: describe then exits 1 and says there is no such schedule', async () => {
    expect((await recs('delete', '--id', drainId)).code).toBe(0);
    const r = await recs('describe', '--id', drainId);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no schedule/);
  }, 60_000);

  it('bad usage exits 2 and names the problem', async () => {
    const r = await recs('create', '--workflow', 'nightly-magic');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workflow must be one of retrain, drain-events/);
  }, 60_000);
});
