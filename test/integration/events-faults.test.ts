// Acknowledged means durable, on the real services: the API (in-process, or as a child process
// that a test SIGKILLs), a private redis-server with the project's AOF settings that a test
// kills and restarts, and the drainEvents workflow on a real worker landing the stream in DuckDB.
// Every count is exact: each event that got a 202 is in the warehouse once, none twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp, type FeedResponse } from '../../api/app';
import { apiOptions, type ApiOptions } from '../../api/schemas';
import { servingRedisOptions } from '../../api/server';
import { RedisFeedStore } from '../../api/store';
import { loadConfig } from '../../config';
import { warehousePath } from '../../storage/clients';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { encodeF32, encodeUserList, keys } from '../../storage/redis-keys';
import type { DrainEventsResult } from '../../workflows/drain-events';
import { FIXTURES, ROOT, tempDir } from '../helpers/paths';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { freePort, privateRedis, type PrivateRedis } from '../helpers/private-redis';

const VERSION = 'v20260101T000000Z';
const MOVIES = ['m1', 'm2', 'm3']; // the catalog fixture (test/fixtures/ingest/movies.csv) and the seeded version
const FAST: Partial<ApiOptions> = { REDIS_CIRCUIT_OPEN_MS: 200, REDIS_COMMAND_TIMEOUT_MS: 250, SPOOL_REPLAY_MS: 100, STATE_POLL_MS: 200, EVENTS_LAG_POLL_MS: 200 };

let redis: PrivateRedis;
let p: TestPipeline;

/** A three-title version the API can load: its catalog, factors (k = 2), popular list and one warm user. */
async function seedVersion(r: Redis, prefix: string): Promise<void> {
  const ks = keys(prefix);
  const items = MOVIES.map((id, i) => ({ movie_id: id, title: `Title ${id}`, genres: ['Drama'], year: 2000 + i, added_at: '2025-01-01T00:00:00.000Z' }));
  await r
    .pipeline()
    .hset(ks.versionMeta(VERSION), { created_at: JSON.stringify(new Date().toISOString()), data_as_of: JSON.stringify('2026-01-01T00:00:00.000Z'), trained_at: JSON.stringify('2026-01-01T00:00:00.000Z'), k: '2', n_items: '3', n_users: '1', alpha0: '0.1', lambda: '0.01', nu: '1' })
    .set(ks.items(VERSION), JSON.stringify(items))
    .set(ks.itemFactors(VERSION), encodeF32(Float32Array.from([1, 0, 0.8, 0.2, 0.5, 0.5])))
    .set(ks.lists(VERSION), JSON.stringify({ popular: [0, 1, 2], trending: [2, 1, 0] }))
    .set(ks.userList(VERSION, 'u-warm'), encodeUserList(Float32Array.from([1, 0]), [0, 1, 2], [1, 0.8, 0.5]))
    .zadd(ks.versions, Date.now(), VERSION)
    .set(ks.live, VERSION)
    .exec();
}

const event = (id: string | null, n: number, user = `u${n % 17}`) => ({
  ...(id ? { event_id: id } : {}),
  user_id: user,
  movie_id: MOVIES[n % 3],
  event_type: 'watch',
  ts: new Date(Date.UTC(2026, 0, 2) + n * 1000).toISOString(),
  watch_seconds: 600 + (n % 50),
  duration_seconds: 6000,
  source: 'tv',
});

async function post(base: string, events: unknown[]): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  return { status: r.status, body: await r.json(), retryAfter: r.headers.get('retry-after') };
}

async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{` : `${name} `) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An API app in this process on the private Redis; `dataDir` holds its spool. */
async function inProcessApi(dataDir: string, options: Partial<ApiOptions> = {}) {
  const cfg = loadConfig({ REDIS_URL: redis.url, REDIS_PREFIX: p.cfg.REDIS_PREFIX, DATA_DIR: dataDir, ADMIN_TOKEN: 'faults-admin-token' });
  const opts = { ...FAST, ...options };
  const client = new Redis(redis.url, servingRedisOptions(apiOptions(cfg, opts)));
  client.on('error', () => {});
  const store = new RedisFeedStore(client, { prefix: cfg.REDIS_PREFIX, circuitOpenMs: opts.REDIS_CIRCUIT_OPEN_MS! });
  const app: ApiApp = createApp({ cfg, store, options: opts, log: () => {} });
  await once(client, 'ready');
  await app.start();
  const server: Server = createServer(app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    app,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.close();
      await app.close();
      client.disconnect();
    },
  };
}

/** Drain the stream into the warehouse until it is empty. */
async function drain(): Promise<DrainEventsResult> {
  const h = await p.client.workflow.start('drainEvents', { taskQueue: p.taskQueue, workflowId: `faults-drain-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`, args: [{ blockMs: 100 }] });
  return (await h.result()) as DrainEventsResult;
}

/** Rows per event_id among events whose id starts with `prefix` (the worker is stopped meanwhile: it owns the file). */
async function landed(where: string, param: string): Promise<Map<string, number>> {
  await p.stopWorker();
  const wh = await Warehouse.open(warehousePath(p.cfg), { readOnly: true });
  try {
    const rows = await wh.query<{ event_id: string; n: bigint }>(`SELECT event_id, count(*) AS n FROM events WHERE ${where} GROUP BY event_id`, { p: param });
    return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
  } finally {
    wh.close();
    await p.startWorker();
  }
}

beforeAll(async () => {
  redis = await privateRedis();
  p = await startPipeline('faults', { REDIS_URL: redis.url });
  p.redis.on('error', () => {}); // the tests kill this Redis on purpose
  await p.stopWorker();
  const wh = await Warehouse.open(warehousePath(p.cfg));
  try {
    await initSchema(wh);
    await ingestFile(wh, 'titles', join(FIXTURES, 'ingest', 'movies.csv'));
  } finally {
    wh.close();
  }
  await p.startWorker();
  await seedVersion(p.redis, p.cfg.REDIS_PREFIX);
}, 180_000);

afterAll(async () => {
  await p?.close().catch(() => undefined);
  await redis?.close();
});

describe('Redis killed during a burst of POST /events', { timeout: 240_000 }, () => {
  it('feeds fall back (non-empty, no 5xx), every event is acknowledged into the spool, and after Redis returns and the drain runs all of them are in the warehouse once; a full spool answers 503', async () => {
    const api = await inProcessApi(tempDir('faults-a'));
    const tiny = await inProcessApi(tempDir('faults-a-tiny'), { SPOOL_MAX_BYTES: 3000, SPOOL_RETRY_AFTER_SECONDS: 7 });
    try {
      const BATCHES = 60;
      const PER = 5;
      const statuses: number[] = [];
      const feeds: FeedResponse[] = [];
      const feedStatuses: number[] = [];
      for (let b = 0; b < BATCHES; b++) {
        if (b === 20) await redis.kill();
        const batch = Array.from({ length: PER }, (_, i) => event(`a-${b * PER + i}`, b * PER + i));
        // Feeds and posts interleave, several in flight at once.
        const [r, f1, f2] = await Promise.all([post(api.base, batch), fetch(`${api.base}/home-feed?user_id=u-warm&limit=3`), fetch(`${api.base}/home-feed?user_id=u-cold-${b}&limit=3`)]);
        statuses.push(r.status);
        for (const f of [f1, f2]) {
          feedStatuses.push(f.status);
          feeds.push((await f.json()) as FeedResponse);
        }
      }
      expect(statuses.filter((s) => s !== 202)).toEqual([]);
      expect(feedStatuses.filter((s) => s !== 200)).toEqual([]);
      const down = feeds.slice(2 * 21); // every feed served after the kill
      expect(down.every((f) => f.source === 'fallback' && f.items.length === 3 && f.model_version === VERSION)).toBe(true);
      const spooled = await metric(api.base, 'recs_events_accepted_total', 'how="spooled"');
      const direct = await metric(api.base, 'recs_events_accepted_total', 'how="direct"');
      expect([direct, spooled]).toEqual([20 * PER, 40 * PER]); // before the kill / after it
      expect(await metric(api.base, 'recs_events_spool_bytes')).toBeGreaterThan(0);

      // The small spool fills: then a 503 with a code and Retry-After, never a 500, and nothing half-taken.
      const tinyStatuses: number[] = [];
      let full: Awaited<ReturnType<typeof post>> | null = null;
      for (let b = 0; b < 30 && !full; b++) {
        const r = await post(tiny.base, Array.from({ length: PER }, (_, i) => event(`t-${b * PER + i}`, i)));
        tinyStatuses.push(r.status);
        if (r.status !== 202) full = r;
      }
      expect(full).toMatchObject({ status: 503, body: { error: { code: 'spool_full' } }, retryAfter: '7' });
      expect(tinyStatuses.slice(0, -1).every((s) => s === 202)).toBe(true);
      const tinyAccepted = (tinyStatuses.length - 1) * PER;
      expect(tinyAccepted).toBeGreaterThan(0);

      await redis.start(); // the AOF brings back the version and every event acknowledged before the kill
      await until('both spools replayed', async () => (await metric(api.base, 'recs_events_spool_bytes')) === 0 && (await metric(tiny.base, 'recs_events_spool_bytes')) === 0);
      expect(await metric(api.base, 'recs_events_spool_replayed')).toBe(spooled);
      await until('personalized feeds again', async () => ((await (await fetch(`${api.base}/home-feed?user_id=u-warm&limit=3`)).json()) as FeedResponse).source === 'personalized');

      const r = await drain();
      expect(r.lost).toBe(0);
      const a = await landed("starts_with(event_id, 'a-') OR starts_with(event_id, 't-') OR event_id = $p", 'none');
      const aIds = [...a.keys()].filter((id) => id.startsWith('a-'));
      expect(aIds.length).toBe(BATCHES * PER);
      expect([...a.keys()].filter((id) => id.startsWith('t-')).length).toBe(tinyAccepted);
      expect([...a.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await api.close();
      await tiny.close();
    }
  });
});

describe('the API SIGKILLed during a burst of POST /events', { timeout: 240_000 }, () => {
  it('every event that got a 202 is in the warehouse once after a restart and a drain, including those it held in its spool when it died', async () => {
    const dataDir = tempDir('faults-b');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: p.cfg.REDIS_PREFIX, DATA_DIR: dataDir, PORT: String(port), REDIS_COMMAND_TIMEOUT_MS: '250', REDIS_CIRCUIT_OPEN_MS: '200', SPOOL_REPLAY_MS: '100' };
    let output = '';
    const startApi = async (): Promise<ChildProcess> => {
      const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api/server.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await until('the API is ready', async () => (await fetch(`${base}/readyz`)).status === 200, 60_000).catch((e: Error) => Promise.reject(new Error(`${e.message}; API output:\n${output.slice(-3000)}`)));
      return proc;
    };
    let api = await startApi();
    const admin = new Redis(redis.url);
    try {
      const acknowledged: string[] = [];
      let n = 0;
      let killed = false;
      const worker = async () => {
        while (!killed) {
          const ids = Array.from({ length: 4 }, () => `b-${n++}`);
          try {
            const r = await post(base, ids.map((id, i) => event(id, n + i)));
            if (r.status === 202) acknowledged.push(...ids);
          } catch {
            // connection reset by the kill: not acknowledged
          }
        }
      };
      const lanes = Array.from({ length: 8 }, worker);
      await until('a first hundred acknowledged', async () => acknowledged.length >= 100);
      // Redis stops taking writes: the API times out and spools; then it dies with the spool full of acknowledged events.
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      const before = acknowledged.length;
      await until('events acknowledged from the spool', async () => acknowledged.length >= before + 40, 10_000);
      api.kill('SIGKILL');
      await once(api, 'exit');
      killed = true;
      await Promise.all(lanes);
      expect(acknowledged.length).toBeGreaterThan(140);
      // The dead process left acknowledged events in its spool that never reached the stream.
      const spoolDir = join(dataDir, 'spool', p.cfg.REDIS_PREFIX);
      const spooledLines = readdirSync(spoolDir).reduce((sum, f) => sum + readFileSync(join(spoolDir, f), 'utf8').split('\n').filter(Boolean).length, 0);
      expect(spooledLines).toBeGreaterThanOrEqual(40);

      api = await startApi(); // replays the dead process's spool once Redis takes writes again
      await until('the spool replayed', async () => (await metric(base, 'recs_events_spool_bytes')) === 0);
      expect(await metric(base, 'recs_events_spool_replayed')).toBeGreaterThan(0);
      const r = await drain();
      expect(r.lost).toBe(0);
      const rows = await landed("starts_with(event_id, 'b-') OR event_id = $p", 'none');
      const missing = acknowledged.filter((id) => rows.get(id) !== 1);
      expect(missing).toEqual([]);
      expect([...rows.values()].every((c) => c === 1)).toBe(true);
      // Posts cut by the kill may have landed too (written, answer lost): never more than were sent.
      expect(rows.size).toBeGreaterThanOrEqual(acknowledged.length);
      expect(rows.size).toBeLessThanOrEqual(n);
    } finally {
      admin.disconnect();
      if (api.exitCode === null) {
        api.kill('SIGTERM');
        await once(api, 'exit');
      }
    }
  });
});

describe('the same events posted twice', { timeout: 240_000 }, () => {
  it('with client ids and without: each lands once, and the drain counts the repeats as duplicates', async () => {
    const api = await inProcessApi(tempDir('faults-c'));
    try {
      const withIds = Array.from({ length: 25 }, (_, i) => event(`c-${i}`, 1000 + i, 'u-c-ids'));
      const withoutIds = Array.from({ length: 25 }, (_, i) => event(null, 2000 + i, 'u-c-derived'));
      await drain(); // start from an empty stream: the counts below are this test's alone
      for (let round = 0; round < 2; round++) {
        expect((await post(api.base, withIds)).status).toBe(202);
        expect((await post(api.base, withoutIds)).status).toBe(202);
      }
      const r = await drain();
      expect(r).toMatchObject({ ingested: 50, duplicates: 50, quarantined: 0, lost: 0 });
      const ids = await landed("starts_with(event_id, 'c-') OR user_id = $p", 'u-c-derived');
      expect(ids.size).toBe(50);
      expect([...ids.values()].every((n) => n === 1)).toBe(true);
      expect([...ids.keys()].filter((id) => id.startsWith('h-')).length).toBe(25);
    } finally {
      await api.close();
    }
  });
});
