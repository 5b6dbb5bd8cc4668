// The release policy end to end on the real services (Temporal dev server, Redis, DuckDB):
// nothing live + a gate that does not pass → a baseline version with non-empty feeds; a corrupted
// batch of events → held back against the live version; a real-format MovieLens export with
// default settings → every user gets a non-empty feed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { createApp, type ApiApp, type FeedResponse } from '../../api/app';
import { servingRedisOptions } from '../../api/server';
import { apiOptions } from '../../api/schemas';
import { RedisFeedStore } from '../../api/store';
import { generateWorld } from '../../data/generator';
import { mulberry32 } from '../../model/random';
import { decodeUserList, keys } from '../../storage/redis-keys';
import { runDir } from '../../storage/artifacts';
import { runFiles } from '../../storage/run-data';
import { runRecs } from '../helpers/cli';
import { tempDir } from '../helpers/paths';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => {});
});

async function retrain(p: TestPipeline, input: Record<string, unknown>): Promise<RetrainResult> {
  return p.client.workflow.execute('retrain', { taskQueue: p.taskQueue, workflowId: `release-test-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`, args: [input] });
}

/** The API in-process against the pipeline's Redis, as api/server.ts builds it. */
async function startApi(p: TestPipeline): Promise<{ base: string; app: ApiApp }> {
  const redis = new Redis(p.cfg.REDIS_URL, servingRedisOptions(apiOptions(p.cfg)));
  const store = new RedisFeedStore(redis, { prefix: p.cfg.REDIS_PREFIX, circuitOpenMs: 500, subscriber: () => redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined }) });
  const app = createApp({ cfg: p.cfg, store, log: () => {} });
  await app.start();
  const server: Server = createServer(app.handler).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  open.push({ close: async () => (server.close(), await app.close(), redis.disconnect()) });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, app };
}

async function feed(base: string, user: string): Promise<FeedResponse> {
  const r = await fetch(`${base}/home-feed?user_id=${encodeURIComponent(user)}&limit=10`);
  expect(r.status).toBe(200);
  return (await r.json()) as FeedResponse;
}

describe('with no live version and a gate that does not pass', () => {
  it('publishes a baseline version (popularity lists) and every user gets a non-empty feed', async () => {
    const world = join(tempDir('release-world'), 'tiny');
    await generateWorld({ preset: 'tiny', seed: 21, outDir: world });
    // An unreachable bar: the NDCG@10 lift's lower bound must exceed +1000 %.
    const p = await startPipeline('release-baseline', { GATE_MIN_LIFT_OVER_POPULARITY: '10', RANKER_ENABLED: 'false', TOP_N: '50' });
    open.push(p);
    const r = await retrain(p, { worldDir: world });
    expect(r.gate.outcome).toBe('fail');
    expect(r.gate.release).toBe('publish_baseline');
    expect(r.status).toBe('baseline_published');
    expect(r.published).toBe(true);
    expect(r.reason).toMatch(/^baseline published \(no live version, gate fail\): fail: vs popularity: shipped 0\.\d+ vs popularity 0\.\d+ \([+-]\d+\.\d%, 95% CI \[[+-]\d+\.\d%, [+-]\d+\.\d%\], n=\d+\)/);

    const k = keys(p.cfg.REDIS_PREFIX);
    expect(await p.redis.get(k.live)).toBe(r.version);
    const meta = await p.redis.hgetall(k.versionMeta(r.version));
    expect(meta.model).toBe('popularity');
    expect(JSON.parse(meta.gate)).toMatchObject({ outcome: 'fail', release: 'publish_baseline' });

    const users = runFiles.users(runDir(p.cfg, r.version));
    const { base } = await startApi(p);
    for (const u of users.slice(0, 40)) {
      const f = await feed(base, u);
      expect(f.items.length, u).toBe(10);
      expect(f.model_version).toBe(r.version);
      expect(f.source).toBe('personalized'); // the user's own list: popular titles they have not seen …
      expect(f.items.slice(0, 2).map((i) => i.reason)).toEqual(['popular', 'popular']); // … and it says so
    }
    // The stored lists are popularity minus what each user saw.
    const pop = runFiles.f32(runDir(p.cfg, r.version), 'pop_ship');
    const list = decodeUserList((await p.redis.getBuffer(k.userList(r.version, users[0])))!);
    for (let i = 1; i < list.itemIndex.length; i++) expect(pop[list.itemIndex[i]]).toBeLessThanOrEqual(pop[list.itemIndex[i - 1]]);
    // A user the version does not know still gets a list (trending / popular).
    expect((await feed(base, 'someone-new')).items.length).toBe(10);
  });
});

describe('against a live version', () => {
  it('a retrain on a corrupted batch (shuffled title ids) is held back, with a reason that names the regression', async () => {
    const world = join(tempDir('release-corrupt'), 'tiny');
    await generateWorld({ preset: 'tiny', seed: 5, outDir: world });
    // EVAL_MIN_USERS=1: the holdout stays 7 days, so the second run's cutoff is the first run's as-of.
    const p = await startPipeline('release-corrupt', { RANKER_ENABLED: 'false', TOP_N: '50', EVAL_MIN_USERS: '1' });
    open.push(p);
    const end = Date.parse(JSON.parse(readFileSync(join(world, 'manifest.json'), 'utf8')).end);
    const asOf1 = new Date(end - 7 * 86400_000).toISOString();
    const live = await retrain(p, { worldDir: world, asOf: asOf1 });
    expect(live.status).toBe('published');

    // A clean second run would equal the live model on the same data; corrupt it: a batch of watches
    // just before the new cutoff whose title ids are shuffled (each user's real watches, replayed
    // onto random titles).
    const dir = runDir(p.cfg, live.version);
    const users = runFiles.users(dir), items = runFiles.items(dir);
    const full = runFiles.csr(dir, 'ship');
    const rand = mulberry32(99);
    const rows: string[] = [];
    for (let u = 0; u < users.length; u++) {
      for (let q = full.indptr[u]; q < full.indptr[u + 1]; q++) {
        for (let c = 0; c < 2; c++) {
          const title = items[Math.floor(rand() * items.length)].movie_id;
          const ts = new Date(Date.parse(asOf1) - Math.floor(rand() * 86400_000)).toISOString();
          rows.push(`corrupt-${u}-${q}-${c},${users[u]},${title},watch,${ts},5400,5400,,import`);
        }
      }
    }
    const batchDir = join(tempDir('release-batch'), 'batch');
    mkdirSync(batchDir, { recursive: true });
    writeFileSync(join(batchDir, 'events.csv'), 'event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source\n' + rows.join('\n') + '\n');
    writeFileSync(join(batchDir, 'movies.csv'), readFileSync(join(world, 'movies.csv')));

    const held = await retrain(p, { worldDir: batchDir });
    expect(Math.abs(Date.parse(held.cutoff) - Date.parse(asOf1))).toBeLessThan(60_000); // as-of is the last event, a few seconds before the world's end
    expect(held.status).toBe('not_published');
    expect(held.gate.outcome).toBe('fail');
    expect(held.gate.release).toBe('keep_live');
    expect(held.reason).toMatch(new RegExp(`^kept live ${live.version}: fail: .*vs live: shipped 0\\.\\d+ vs live ${live.version} 0\\.\\d+ \\(-\\d+\\.\\d%, 95% CI \\[-\\d+\\.\\d%, -\\d+\\.\\d%\\], n=\\d+\\): regresses`));
    expect(held.gate.checks.find((c) => c.name === 'vs_live')?.outcome).toBe('fail');
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(live.version);
  });
});

describe('a real-format MovieLens export with default settings', () => {
  it('imports, retrains, publishes (a model or a baseline) and every user in the ratings file gets a non-empty feed', async () => {
    // A few hundred ratings in the ml-latest format: 40 users who rate in bursts, 60 titles.
    const src = tempDir('release-ml');
    const rand = mulberry32(3);
    const genres = ['Drama', 'Comedy', 'Action', 'Horror', 'Romance'];
    const movies = ['movieId,title,genres', ...Array.from({ length: 60 }, (_, m) => `${m + 1},"Film ${m + 1}, The (${1990 + (m % 30)})",${genres[m % 5]}|${genres[(m + 2) % 5]}`)];
    const ratings = ['userId,movieId,rating,timestamp'];
    const t0 = Date.parse('2015-01-01T00:00:00Z') / 1000;
    for (let u = 1; u <= 40; u++) {
      const taste = u % 5;
      const sessions = 1 + (u % 3);
      for (let s = 0; s < sessions; s++) {
        const start = t0 + Math.floor(rand() * 300) * 86400;
        for (let j = 0; j < 3 + Math.floor(rand() * 5); j++) {
          const m = rand() < 0.7 ? taste + 5 * Math.floor(rand() * 12) : Math.floor(rand() * 60);
          ratings.push(`${u},${m + 1},${(1 + Math.floor(rand() * 9)) / 2},${start + j * 60}`);
        }
      }
    }
    writeFileSync(join(src, 'movies.csv'), movies.join('\n') + '\n');
    writeFileSync(join(src, 'ratings.csv'), ratings.join('\n') + '\n');
    expect(ratings.length).toBeGreaterThan(150);

    const p = await startPipeline('release-ml', { TOP_N: '50' });
    open.push(p);
    const out = join(tempDir('release-ml-world'), 'world');
    const imp = await runRecs(p.cfg, ['import', src, '--out', out]);
    expect(imp.code, imp.stderr).toBe(0);
    const r = await retrain(p, { worldDir: out });
    expect(r.published).toBe(true);
    expect(['published', 'baseline_published']).toContain(r.status);
    expect(r.gate.reason).toMatch(/n=\d+/);
    const { base } = await startApi(p);
    const userIds = [...new Set(ratings.slice(1).map((l) => l.split(',')[0]))];
    expect(userIds.length).toBe(40);
    for (const u of userIds) {
      const f = await feed(base, u); // the importer keeps MovieLens user ids as they are
      expect(f.items.length, `user ${u}`).toBeGreaterThan(0);
      expect(f.source, `user ${u}`).toBe('personalized'); // everyone in the file has a list in the version
    }
  });
});
