// What operators rely on: a gate failure is visible in the run's search attributes, rollback
// reaches the API within a second, and analysts can query while a retrain is running.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp, type FeedResponse } from '../../api/app';
import { servingRedisOptions } from '../../api/server';
import { apiOptions } from '../../api/schemas';
import { RedisFeedStore } from '../../api/store';
import type { RetrainResult } from '../../activities/types';
import { generateWorld } from '../../data/generator';
import { runDir } from '../../storage/artifacts';
import { keys } from '../../storage/redis-keys';
import { runFiles } from '../../storage/run-data';
import { tempDir } from '../helpers/paths';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { runRecs } from '../helpers/cli';

let p: TestPipeline;
let worldDir: string;
const runs: RetrainResult[] = [];

const retrain = (input: Record<string, unknown>, id = `ops-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`) =>
  p.client.workflow.start('retrain', { taskQueue: p.taskQueue, workflowId: id, args: [input] });

const recs = (args: string[]) => runRecs(p.cfg, args);

beforeAll(async () => {
  worldDir = join(tempDir('world'), 'tiny');
  await generateWorld({ preset: 'tiny', seed: 23, outDir: worldDir });
  p = await startPipeline('ops');
  runs.push(await (await retrain({ worldDir })).result());
  runs.push(await (await retrain({})).result());
}, 240_000);
afterAll(async () => p?.close());

describe('operating retrains', () => {
  it('a gate failure leaves the pointer, says "not published", and shows in the search attributes', async () => {
    const live = await p.redis.get(keys(p.cfg.REDIS_PREFIX).live);
    const h = await retrain({ params: { factors: 1, epochs: 1 } });
    const r = (await h.result()) as RetrainResult;
    expect(r.status).toBe('not_published');
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(live);
    const d = await h.describe();
    const sa = d.searchAttributes as Record<string, unknown[]>;
    expect(sa.GatePassed?.[0]).toBe(false);
    expect(sa.ModelVersion?.[0]).toBe(r.version);
    expect(typeof sa.NdcgAt10?.[0]).toBe('number');
    expect(d.memo?.gate).toMatch(/popularity|live/);
  });

  it('recs status lists the runs with their gate decisions; recs eval prints the live metrics', async () => {
    const s = await recs(['status', '--json']);
    expect(s.code).toBe(0);
    const status = JSON.parse(s.stdout) as { live: string; runs: { gatePassed: boolean | null }[] };
    expect(status.live).toBe(runs[1].version);
    expect(status.runs.some((r) => r.gatePassed === false)).toBe(true);
    expect(status.runs.some((r) => r.gatePassed === true)).toBe(true);
    const e = await recs(['eval', '--json']);
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout) as { version: string; metrics: Record<string, Record<string, Record<string, number>>> };
    expect(ev.version).toBe(runs[1].version);
    expect(ev.metrics.candidate.all.ndcg_10).toBeCloseTo(runs[1].metrics.candidate.all.ndcg_10, 6);
    expect(ev.metrics.popularity.all.ndcg_10).toBeGreaterThan(0);
  });

  it('rollback flips to the previous version and the API serves it within a second', async () => {
    const redis = new Redis(p.cfg.REDIS_URL, servingRedisOptions(apiOptions(p.cfg)));
    const store = new RedisFeedStore(redis, { prefix: p.cfg.REDIS_PREFIX, circuitOpenMs: 500, subscriber: () => redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined }) });
    const app: ApiApp = createApp({ cfg: p.cfg, store });
    await app.start();
    const server: Server = createServer(app.handler).listen(0);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const user = runFiles.users(runDir(p.cfg, runs[1].version))[0];
      const before = (await (await fetch(`${base}/home-feed?user_id=${user}`)).json()) as FeedResponse;
      expect(before.model_version).toBe(runs[1].version);
      const r = await p.client.workflow.execute('rollback', { taskQueue: p.taskQueue, workflowId: `rollback-${Date.now()}`, args: [{}] });
      const flipped = Date.now();
      expect(r).toEqual({ from: runs[1].version, to: runs[0].version });
      let served = -1;
      while (served < 0 && Date.now() - flipped < 5000) {
        const f = (await (await fetch(`${base}/home-feed?user_id=${user}`)).json()) as FeedResponse;
        if (f.model_version === runs[0].version) served = Date.now();
        else await new Promise((res) => setTimeout(res, 20));
      }
      expect(served).toBeGreaterThan(0);
      expect(served - flipped).toBeLessThan(1000);
    } finally {
      server.close();
      await app.close();
      redis.disconnect();
    }
  });

  it('after the drain lands the served impressions, recs eval --variants reports outcomes per variant', async () => {
    // the rollback test above served feeds: their impressions are on the events stream
    await p.client.workflow.execute('drainEvents', { taskQueue: p.taskQueue, workflowId: `drain-${Date.now()}`, args: [{}] });
    const r = await recs(['eval', '--variants', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { variant: string; impressions: number; watch_rate: number }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.reduce((a, x) => a + Number(x.impressions), 0)).toBeGreaterThan(0);
    for (const x of rows) expect(Number(x.watch_rate)).toBeGreaterThanOrEqual(0);
  });

  it('an analyst query through recs sql succeeds while a retrain is running', async () => {
    const h = await retrain({ params: { epochs: 60 } });
    // wait until the run is past ingest/prepare and training (the worker holds its DuckDB open)
    for (let i = 0; i < 200; i++) {
      const d = await h.describe();
      if ((d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'trainRetrieval')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const q = await recs(['sql', '--json', 'SELECT count(*)::INT AS runs, bool_or(gate_passed) AS any_passed FROM model_runs']);
    const stillRunning = (await h.describe()).status.name === 'RUNNING';
    expect(q.code, q.stderr).toBe(0);
    const rows = JSON.parse(q.stdout) as { runs: number; any_passed: boolean }[];
    expect(rows[0].runs).toBeGreaterThanOrEqual(2);
    expect(rows[0].any_passed).toBe(true);
    expect(stillRunning).toBe(true);
    await h.result();
  });
});
