// A title added through the API reaches a matching user's feed within seconds, without a retrain:
// POST /titles → addTitle workflow (catalog, content vector, fresh pool, notify) → GET /home-feed.
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
import type { Title } from '../../model/types';
import { runDir } from '../../storage/artifacts';
import { decodeUserList, keys } from '../../storage/redis-keys';
import { runFiles } from '../../storage/run-data';
import { tempDir } from '../helpers/paths';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';

let p: TestPipeline;
let app: ApiApp;
let server: Server;
let base: string;
let live: RetrainResult;
const ADMIN = 'add-title-admin-token';

beforeAll(async () => {
  const worldDir = join(tempDir('world'), 'tiny');
  await generateWorld({ preset: 'tiny', seed: 5, outDir: worldDir });
  p = await startPipeline('add-title', { ADMIN_TOKEN: ADMIN });
  live = await p.client.workflow.execute('retrain', { taskQueue: p.taskQueue, workflowId: `add-title-retrain-${Date.now()}`, args: [{ worldDir }] });
  const redis = new Redis(p.cfg.REDIS_URL, servingRedisOptions(apiOptions(p.cfg)));
  const store = new RedisFeedStore(redis, { prefix: p.cfg.REDIS_PREFIX, circuitOpenMs: 500, subscriber: () => redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined }) });
  const titleAdder = {
    addTitle: async (t: Title) => ({ workflowId: (await p.client.workflow.start('addTitle', { taskQueue: p.taskQueue, workflowId: `add-title-${t.movie_id}-${Date.now()}`, args: [t] })).workflowId }),
  };
  app = createApp({ cfg: p.cfg, store, titleAdder });
  await app.start();
  server = createServer(app.handler).listen(0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  server?.close();
  await app?.close();
  await p?.close();
});

async function feed(userId: string): Promise<FeedResponse> {
  const r = await fetch(`${base}/home-feed?user_id=${userId}&limit=20`);
  expect(r.status).toBe(200);
  return (await r.json()) as FeedResponse;
}

describe('a title added today', () => {
  it('is refused without the admin token, and a bad body gets a 400 with a code', async () => {
    const body = JSON.stringify({ movie_id: 'm-new-1', title: 'New', genres: ['Drama'] });
    expect((await fetch(`${base}/titles`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const bad = await fetch(`${base}/titles`, { method: 'POST', body: JSON.stringify({ title: 'no id' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBeTruthy();
  });

  it('appears in the feed of the user whose taste matches it best within seconds, without a retrain', async () => {
    // The genre the catalog has most of: the new title belongs to it.
    const items = runFiles.items(runDir(p.cfg, live.version));
    const count = new Map<string, number>();
    for (const t of items) for (const g of t.genres) count.set(g, (count.get(g) ?? 0) + 1);
    const genre = [...count.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const movieId = `m-fresh-${Date.now()}`;
    const t0 = Date.now();
    const res = await fetch(`${base}/titles`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ movie_id: movieId, title: 'Brand New Film', year: 2026, genres: [genre], tags: [], duration_seconds: 6000 }) });
    expect(res.status).toBe(202);
    const { workflow_id } = (await res.json()) as { workflow_id: string };
    const added = await p.client.workflow.getHandle(workflow_id).result();
    expect(added.dims).toBe(p.cfg.ALS_FACTORS);
    expect(added.method).toBe('content_model'); // the version's content model, trained on its warm titles

    // The best-matching user by the title's vector.
    const k = keys(p.cfg.REDIS_PREFIX);
    const fresh = JSON.parse((await p.redis.hget(k.fresh, movieId))!) as { vector: number[] };
    const users = runFiles.users(runDir(p.cfg, live.version));
    let best = users[0];
    let bestScore = -Infinity;
    for (const u of users) {
      const buf = await p.redis.getBuffer(k.userList(live.version, u));
      const v = decodeUserList(buf!).userVec;
      const s = v.reduce((a, x, i) => a + x * fresh.vector[i], 0);
      if (s > bestScore) [best, bestScore] = [u, s];
    }
    let seenAt = -1;
    for (let i = 0; i < 100 && seenAt < 0; i++) {
      const f = await feed(best);
      const hit = f.items.find((it) => it.movie_id === movieId);
      if (hit) {
        seenAt = Date.now();
        expect(hit.reason).toBe('new_for_you');
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(seenAt).toBeGreaterThan(0);
    expect(seenAt - t0).toBeLessThan(30_000);
  });
});
