// The API against real Redis, seeded with a small hand-made version: four genres, ten titles
// each, factors planted on one axis per genre, two warm users (a horror fan and a comedy fan),
// fresh titles in the version and in the fresh pool.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import type { Title } from '../../model/types';
import { createApp, type ApiApp, type FeedResponse } from '../../api/app';
import { bucketOf } from '../../api/ab';
import { servingRedisOptions } from '../../api/server';
import { apiOptions, feedResponseSchema, healthSchema, similarResponseSchema, type ApiOptions } from '../../api/schemas';
import { RedisFeedStore } from '../../api/store';
import { encodeF32, encodeUserList, EVENTS_GROUP, keys } from '../../storage/redis-keys';
import { tempDir } from '../helpers/paths';
import { deletePrefix, genreAxisItems, listen, stopServing, type WorldItem } from '../helpers/serving-world';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6389';
const PREFIX = `t-api-${randomBytes(4).toString('hex')}`;
const V1 = 'v20240601T000000Z';
const V2 = 'v20240602T000000Z';
const DATA_AS_OF = '2024-06-01T00:00:00.000Z';
const K = 4;
const GENRES = ['Horror', 'Comedy', 'Drama', 'Action'];
const ADMIN = 'test-admin-token';

/** Ten titles per genre on that genre's axis, and a fresh horror title. */
function worldItems(): WorldItem[] {
  const items = genreAxisItems(GENRES, (g, j) => `${g} ${j}`);
  // In the version but added after its data clock: fresh, explored with its trained vector.
  items.push({ movie_id: 'm-h-new', title: 'Horror New', genres: ['Horror'], year: 2024, added_at: '2024-06-10T00:00:00.000Z', vec: [0.9, 0, 0, 0.01] });
  return items;
}

const USERS: Record<string, number[]> = { 'u-horror': [1, 0.05, 0, 0], 'u-comedy': [0.05, 1, 0, 0] };

async function seedVersion(redis: Redis, prefix: string, version: string, opts: { reverse?: boolean } = {}): Promise<void> {
  const ks = keys(prefix);
  const items = worldItems();
  const factors = new Float32Array(items.length * K);
  items.forEach((it, i) => factors.set(it.vec, i * K));
  const byGenre = (g: number) => items.map((_, i) => i).filter((i) => i < 40 && Math.floor(i / 10) === g);
  const popular = [...byGenre(3), ...byGenre(0), ...byGenre(1), ...byGenre(2)]; // action is the most popular
  const trending = [0, 1, 2, 10, 11, 20, 30, 3, 12, 21, 31, 4];
  const p = redis.pipeline();
  p.hset(ks.versionMeta(version), {
    created_at: JSON.stringify(new Date().toISOString()),
    data_as_of: JSON.stringify(DATA_AS_OF),
    trained_at: JSON.stringify(DATA_AS_OF),
    k: String(K),
    n_items: String(items.length),
    n_users: String(Object.keys(USERS).length),
    alpha0: '0.05',
    lambda: '0.02',
    nu: '1',
    metrics: JSON.stringify({ ndcg_at_10: 0.3 }),
  });
  p.set(ks.items(version), JSON.stringify(items.map(({ vec: _vec, ...rest }) => rest)));
  p.set(ks.itemFactors(version), encodeF32(factors));
  p.set(ks.lists(version), JSON.stringify({ popular, trending }));
  for (const [user, vec] of Object.entries(USERS)) {
    const uv = Float32Array.from(vec);
    const scored = items.map((it, i) => ({ i, s: it.vec.reduce((acc, y, j) => acc + y * uv[j], 0) })).sort((a, b) => b.s - a.s);
    if (opts.reverse) scored.reverse();
    p.set(ks.userList(version, user), encodeUserList(uv, scored.map((x) => x.i), scored.map((x) => x.s)));
  }
  p.zadd(ks.versions, Date.now(), version);
  p.set(ks.live, version);
  // Fresh pool: a comedy title that engages (40% of 1000 impressions watched) and one that flops.
  p.hset(ks.fresh, {
    'm-c-fresh': JSON.stringify({ movie_id: 'm-c-fresh', title: 'Comedy Fresh', genres: ['Comedy'], year: 2024, added_at: '2024-06-05T00:00:00Z', vector: [0, 0.9, 0, 0] }),
    'm-c-flop': JSON.stringify({ movie_id: 'm-c-flop', title: 'Comedy Flop', genres: ['Comedy'], year: 2024, added_at: '2024-06-05T00:00:00Z', vector: [0, 0.9, 0.05, 0] }),
  });
  p.hset(ks.exploration, { 'i:m-c-fresh': 1000, 'w:m-c-fresh': 400, 'i:m-c-flop': 3000, 'w:m-c-flop': 0 });
  await p.exec();
}

const TEST_OPTIONS: Partial<ApiOptions> = {
  STATE_POLL_MS: 200,
  EXPLORATION_FLUSH_MS: 100,
  IMPRESSION_FLUSH_MS: 20,
  REDIS_CIRCUIT_OPEN_MS: 200,
  REDIS_COMMAND_TIMEOUT_MS: 500,
  AB_VARIANTS: JSON.stringify([
    { name: 'control', buckets: [0, 50] },
    { name: 'explore_early', buckets: [50, 100], blend: { explorationSlots: [2, 5] } },
  ]),
};

function makeApp(redisUrl: string, prefix: string, extra: { titleAdder?: { addTitle(t: Title): Promise<{ workflowId: string }> }; options?: Partial<ApiOptions>; dataDir?: string } = {}) {
  const cfg = loadConfig({ REDIS_URL: redisUrl, REDIS_PREFIX: prefix, ADMIN_TOKEN: ADMIN, DATA_DIR: extra.dataDir ?? tempDir('api') });
  const options = { ...TEST_OPTIONS, ...extra.options };
  const redis = new Redis(redisUrl, servingRedisOptions(apiOptions(cfg, options)));
  redis.on('error', () => {});
  const store = new RedisFeedStore(redis, { prefix, circuitOpenMs: options.REDIS_CIRCUIT_OPEN_MS!, subscriber: () => redis.duplicate({ enableOfflineQueue: true, enableAutoPipelining: false }) });
  const app = createApp({ cfg, store, titleAdder: extra.titleAdder, options, log: () => {} });
  return { app, redis, cfg };
}

async function getJson<T = any>(base: string, path: string): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path);
  return { status: r.status, body: (await r.json()) as T };
}

async function postJson<T = any>(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as T };
}

const watch = (user_id: string, movie_id: string, ts = new Date().toISOString()) => ({ user_id, movie_id, event_type: 'watch', ts, watch_seconds: 5000, duration_seconds: 5400 });
const ids = (f: FeedResponse) => f.items.map((i) => i.movie_id);

async function eventually<T>(fn: () => Promise<T>, ok: (t: T) => boolean, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const t = await fn();
    if (ok(t) || Date.now() > until) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('home feed API on real Redis', () => {
  const seedRedis = new Redis(REDIS_URL);
  const added: Title[] = [];
  let app: ApiApp;
  let appRedis: Redis;
  let server: import('node:http').Server;
  let base: string;

  beforeAll(async () => {
    await seedVersion(seedRedis, PREFIX, V1);
    ({ app, redis: appRedis } = makeApp(REDIS_URL, PREFIX, { titleAdder: { addTitle: async (t) => (added.push(t), { workflowId: `add-title-${t.movie_id}` }) } }));
    await once(appRedis, 'ready');
    await app.start();
    ({ server, base } = await listen(app));
  });

  afterAll(() => stopServing({ server, app, appRedis, seedRedis: seedRedis, prefix: PREFIX }));

  it('a warm user gets their precomputed list, best first, with the version, source, variant and reasons', async () => {
    const { status, body } = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=10');
    expect(status).toBe(200);
    expect(body).toMatchObject({ user_id: 'u-horror', model_version: V1, source: 'personalized' });
    expect(['control', 'explore_early']).toContain(body.variant);
    expect(body.items).toHaveLength(10);
    const listed = body.items.filter((i) => i.reason === 'because_you_watched');
    expect(listed[0]).toMatchObject({ movie_id: 'm-h0', title: 'Horror 0', genres: ['Horror', 'Drama'] });
    expect(listed.slice(0, 5).every((i) => i.genres[0] === 'Horror')).toBe(true);
    for (let i = 1; i < listed.length; i++) expect(listed[i - 1].score).toBeGreaterThanOrEqual(listed[i].score);
  });

  it('a title watched after the list was built is gone from the next feed', async () => {
    const before = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=10');
    expect(ids(before.body)).toContain('m-h1');
    const posted = await postJson(base, '/events', { events: [watch('u-horror', 'm-h1')] });
    expect(posted).toEqual({ status: 202, body: { accepted: 1 } });
    const after = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=10');
    expect(after.body.source).toBe('personalized');
    expect(ids(after.body)).not.toContain('m-h1');
    expect(ids(after.body)).toContain('m-h0');
  });

  it('the Express route serves the same feed as the fast path in front of it', async () => {
    const viaExpress = await listen(app, true);
    try {
      // Fresh titles excluded: exploration draws are random, everything else is deterministic.
      const noFresh = 'exclude=m-c-fresh,m-c-flop,m-h-new';
      for (const q of ['user_id=u-comedy&limit=12&offset=3', 'user_id=u-newbie-2&genres=Drama', 'user_id=u-comedy&limit=7']) {
        const path = `/home-feed?${q}&${noFresh}`;
        const a = await getJson<FeedResponse>(base, path);
        const b = await getJson<FeedResponse>(viaExpress.base, path);
        expect(a.status).toBe(200);
        expect(b).toEqual(a);
      }
      // u-horror has a session (a watch posted above): its scores move with the clock (recency weights), its order does not.
      const path = `/home-feed?user_id=u-horror&limit=12&offset=3&${noFresh}`;
      const [a, b] = [await getJson<FeedResponse>(base, path), await getJson<FeedResponse>(viaExpress.base, path)];
      expect(b.status).toBe(200);
      expect({ ...b.body, items: ids(b.body) }).toEqual({ ...a.body, items: ids(a.body) });
      const bad = '/home-feed?user_id=u1&limit=0';
      expect(await getJson(viaExpress.base, bad)).toEqual(await getJson(base, bad));
    } finally {
      viaExpress.server.close();
    }
  });

  it('exclude= removes titles and genres= keeps only the asked genres', async () => {
    const ex = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=10&exclude=m-h0,m-h2');
    expect(ids(ex.body)).not.toContain('m-h0');
    expect(ids(ex.body)).not.toContain('m-h2');
    const g = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=15&genres=comedy');
    expect(g.body.items.length).toBeGreaterThanOrEqual(10); // ten comedy titles in the version (+ fresh ones explored deep down)
    expect(g.body.items.every((i) => i.genres.includes('Comedy'))).toBe(true);
  });

  it('offset pages through the same ranking', async () => {
    const all = await getJson<FeedResponse>(base, '/home-feed?user_id=u-comedy&limit=30&exclude=m-c-fresh,m-c-flop,m-h-new');
    const page = await getJson<FeedResponse>(base, '/home-feed?user_id=u-comedy&limit=10&offset=10&exclude=m-c-fresh,m-c-flop,m-h-new');
    expect(ids(page.body)).toEqual(ids(all.body).slice(10, 20));
  });

  it('a fresh title appears for a user whose taste matches and stays rare for one whose taste does not', async () => {
    let comedyFan = 0;
    let horrorFan = 0;
    let flop = 0;
    const n = 100;
    for (let t = 0; t < n; t++) {
      const c = await getJson<FeedResponse>(base, '/home-feed?user_id=u-comedy&limit=20');
      const h = await getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=20');
      const fresh = c.body.items.find((i) => i.movie_id === 'm-c-fresh');
      if (fresh) {
        comedyFan++;
        expect(fresh.reason).toBe('new_for_you');
      }
      if (ids(h.body).includes('m-c-fresh')) horrorFan++;
      if (ids(c.body).includes('m-c-flop')) flop++;
    }
    expect(comedyFan).toBeGreaterThanOrEqual(0.8 * n);
    expect(horrorFan).toBeLessThanOrEqual(0.05 * n);
    // Shown 3000 times and never watched: it has faded even for the users it fits.
    expect(flop).toBeLessThanOrEqual(0.05 * n);
  });

  it('exploration counts of served fresh titles reach Redis in batches', async () => {
    await app.flush();
    const n = Number(await seedRedis.hget(keys(PREFIX).exploration, 'i:m-c-fresh'));
    expect(n).toBeGreaterThan(1000);
  });

  it('a cold user with three events gets a personalised list that differs from the popular list and relates to those events', async () => {
    const posted = await postJson(base, '/events', { events: [watch('u-newbie', 'm-d0'), watch('u-newbie', 'm-d1'), watch('u-newbie', 'm-d2')] });
    expect(posted.status).toBe(202);
    const { body } = await getJson<FeedResponse>(base, '/home-feed?user_id=u-newbie&limit=10');
    expect(body.source).toBe('fold_in');
    const listed = body.items.filter((i) => i.reason === 'because_you_watched');
    expect(listed.length).toBeGreaterThanOrEqual(7);
    expect(ids(body)).not.toContain('m-d0');
    expect(listed.slice(0, 5).every((i) => i.genres[0] === 'Drama')).toBe(true);
    const popular = await getJson<FeedResponse>(base, '/home-feed?user_id=u-nobody&limit=10');
    expect(ids(body)).not.toEqual(ids(popular.body));
  });

  it('a user with no list and no events gets trending titles diversified across genres, or only the genres asked for', async () => {
    const { body } = await getJson<FeedResponse>(base, '/home-feed?user_id=u-nobody&limit=12');
    expect(body.source).toBe('cold_start');
    const trending = body.items.filter((i) => i.reason === 'trending');
    expect(new Set(trending.slice(0, 4).map((i) => i.genres[0])).size).toBe(4);
    expect(body.items.every((i) => ['trending', 'popular', 'new_for_you'].includes(i.reason))).toBe(true);
    const comedy = await getJson<FeedResponse>(base, '/home-feed?user_id=u-nobody&limit=5&genres=Comedy');
    expect(comedy.body.items).toHaveLength(5);
    expect(comedy.body.items.every((i) => i.genres.includes('Comedy'))).toBe(true);
  });

  it('every served page is logged as one impression slate: the ordered items, their offset, source, variant, version and a request id', async () => {
    await app.flush();
    const before = await seedRedis.xlen(keys(PREFIX).events);
    const { body } = await getJson<FeedResponse>(base, '/home-feed?user_id=u-comedy&limit=4&offset=2');
    await app.flush();
    expect(await seedRedis.xlen(keys(PREFIX).events)).toBe(before + 1); // one entry, not one per item
    const [[, fields]] = await seedRedis.xrevrange(keys(PREFIX).events, '+', '-', 'COUNT', 1);
    expect(fields[0]).toBe('e');
    const slate = JSON.parse(fields[1]);
    expect(slate).toEqual({ event_id: expect.stringMatching(/^imp-[0-9a-f-]{36}$/), user_id: 'u-comedy', event_type: 'impression', ts: expect.any(String), surface: 'home_feed', feed_source: 'personalized', variant: body.variant, model_version: V1, offset: 2, items: ids(body) });
    expect(JSON.stringify(slate)).toBe(fields[1]); // hand-encoded, byte for byte what JSON.stringify gives
  });

  it('A/B: the variant follows the user-id bucket and its exploration slots are used', async () => {
    const early = Array.from({ length: 50 }, (_, i) => `u-ab-${i}`).find((u) => bucketOf(u, 'ab1', 100) >= 50)!;
    const control = Array.from({ length: 50 }, (_, i) => `u-ab-${i}`).find((u) => bucketOf(u, 'ab1', 100) < 50)!;
    expect((await getJson<FeedResponse>(base, `/home-feed?user_id=${control}`)).body.variant).toBe('control');
    const seen = new Set<number>();
    for (let t = 0; t < 20; t++) {
      const { body } = await getJson<FeedResponse>(base, `/home-feed?user_id=${early}&limit=10`);
      expect(body.variant).toBe('explore_early');
      body.items.forEach((it, i) => it.reason === 'new_for_you' && seen.add(i + 1));
    }
    for (const p of seen) expect([2, 5]).toContain(p);
  });

  it('events are validated as a whole: one bad event → 400 with details and nothing written', async () => {
    await app.flush(); // impressions of earlier tests are written now, not during the check
    const before = await seedRedis.xlen(keys(PREFIX).events);
    const future = new Date(Date.now() + 3600_000).toISOString();
    const bad = await postJson(base, '/events', { events: [watch('u-x', 'm-a0'), watch('u-x', 'm-unknown'), watch('u-x', 'm-a1', future)] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_body');
    expect(bad.body.error.details.map((d: { code: string }) => d.code)).toEqual(['unknown_movie', 'ts_in_future']);
    expect(await seedRedis.xlen(keys(PREFIX).events)).toBe(before);
    expect(await seedRedis.exists(keys(PREFIX).recent('u-x'))).toBe(0);
    expect((await postJson(base, '/events', '{"events": [')).body.error.code).toBe('invalid_json');
    const big = { events: Array.from({ length: 400 }, () => ({ ...watch('u-x', 'm-a0'), source: 'x'.repeat(120), event_id: 'e'.repeat(128) })) };
    const tooBig = await postJson(base, '/events', { ...big, events: [...big.events, ...big.events] });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
  });

  it('a watch goes to the stream as an EventRow and to the user\'s recent set (trimmed, with a TTL)', async () => {
    const r = await postJson(base, '/events', { events: [{ ...watch('u-rec', 'm-c-fresh'), event_id: 'evt-1', source: 'home_feed:3:personalized:control' }] });
    expect(r.status).toBe(202);
    const [[, fields]] = await seedRedis.xrevrange(keys(PREFIX).events, '+', '-', 'COUNT', 1);
    expect(JSON.parse(fields[1])).toEqual({ event_id: 'evt-1', user_id: 'u-rec', movie_id: 'm-c-fresh', event_type: 'watch', ts: expect.any(String), watch_seconds: 5000, duration_seconds: 5400, rating: null, source: 'home_feed:3:personalized:control' });
    expect(await seedRedis.zscore(keys(PREFIX).recent('u-rec'), 'm-c-fresh')).not.toBeNull();
    expect(await seedRedis.ttl(keys(PREFIX).recent('u-rec'))).toBeGreaterThan(0);
  });

  it('an event posted again — with its client id, or without one — keeps the same event_id, so the drain keeps one', async () => {
    const e = { ...watch('u-retry', 'm-a2', '2024-06-01T10:00:00Z'), source: 'tv' };
    for (let i = 0; i < 2; i++) expect((await postJson(base, '/events', { events: [e, { ...e, event_id: 'client-7', movie_id: 'm-a3' }] })).status).toBe(202);
    const rows = (await seedRedis.xrevrange(keys(PREFIX).events, '+', '-', 'COUNT', 12)).map(([, f]) => JSON.parse(f[1]) as { event_id: string; movie_id: string; event_type: string }).filter((r) => r.event_type !== 'impression').slice(0, 4);
    const derived = rows.filter((r) => r.movie_id === 'm-a2').map((r) => r.event_id);
    expect(derived).toHaveLength(2);
    expect(derived[0]).toBe(derived[1]);
    expect(derived[0]).toMatch(/^h-[0-9a-f]{32}$/);
    expect(rows.filter((r) => r.movie_id === 'm-a3').map((r) => r.event_id)).toEqual(['client-7', 'client-7']);
    // The same instant written another way is the same event.
    expect((await postJson(base, '/events', { events: [{ ...e, ts: '2024-06-01T12:00:00+02:00' }] })).status).toBe(202);
    // (An impression slate of an earlier feed may land in between: the writer flushes on its own clock.)
    const recent = (await seedRedis.xrevrange(keys(PREFIX).events, '+', '-', 'COUNT', 10)).map(([, f]) => JSON.parse(f[1]) as { event_id: string; event_type: string });
    expect(recent.find((r) => r.event_type !== 'impression')!.event_id).toBe(derived[0]);
  });

  it('the drain\'s backlog is on /metrics, and /readyz fails while it is above EVENTS_LAG_READY_MAX', async () => {
    // The API created the warehouse group at start, so every entry since counts as undelivered.
    const groups = (await seedRedis.call('XINFO', 'GROUPS', keys(PREFIX).events)) as unknown[][];
    expect(groups.map((g) => g[1])).toContain(EVENTS_GROUP);
    const strict = makeApp(REDIS_URL, PREFIX, { options: { EVENTS_LAG_READY_MAX: 1, EVENTS_LAG_POLL_MS: 50 } });
    await once(strict.redis, 'ready');
    await strict.app.start();
    const l = await listen(strict.app);
    try {
      const lag = await seedRedis.xlen(keys(PREFIX).events); // nothing was ever read by the group
      expect(await metric(l.base, 'recs_events_stream_lag', 'state="undelivered"')).toBe(lag);
      expect(await metric(l.base, 'recs_events_stream_lag', 'state="pending"')).toBe(0);
      const r = await getJson(l.base, '/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ ready: false, reason: 'events_lag', events_lag_max: 1, events_lag: { undelivered: lag, pending: 0 } });
      // The drain catches up (here: the group is moved past every entry): ready again at the next poll.
      await seedRedis.call('XGROUP', 'SETID', keys(PREFIX).events, EVENTS_GROUP, '$', 'ENTRIESREAD', String(lag));
      const ok = await eventually(() => getJson(l.base, '/readyz'), (x) => x.status === 200, 3000);
      expect(ok.body).toMatchObject({ ready: true, events_lag: { undelivered: 0, pending: 0 } });
    } finally {
      l.server.close();
      await strict.app.close();
      strict.redis.disconnect();
    }
  });

  it('bad input is a 400 with a machine-readable code', async () => {
    expect((await getJson(base, '/home-feed?user_id=u1&colour=red')).body.error.code).toBe('unknown_parameter');
    expect((await getJson(base, '/home-feed?user_id=u1&colour=red')).status).toBe(400);
    for (const q of ['', 'user_id=', 'user_id=a%20b', 'user_id=u1&limit=0', 'user_id=u1&limit=501', 'user_id=u1&user_id=u2', 'user_id=u1&offset=-1']) {
      const r = await getJson(base, `/home-feed?${q}`);
      expect([r.status, r.body.error.code]).toEqual([400, 'invalid_query']);
    }
    expect((await getJson(base, '/nope')).body.error.code).toBe('not_found');
  });

  it('similar titles come from the item index; unknown ids are 404, bad ids 400', async () => {
    const { status, body } = await getJson(base, '/movies/m-c0/similar?limit=5');
    expect(status).toBe(200);
    expect(body.items).toHaveLength(5);
    expect(body.items.map((i: { movie_id: string }) => i.movie_id)).not.toContain('m-c0');
    expect(body.items.every((i: { genres: string[]; reason: string }) => i.genres[0] === 'Comedy' && i.reason === 'because_you_watched')).toBe(true);
    const fresh = await getJson(base, '/movies/m-c-fresh/similar?limit=3');
    expect(fresh.body.items.every((i: { genres: string[] }) => i.genres[0] === 'Comedy')).toBe(true);
    expect((await getJson(base, '/movies/m-nope/similar')).body.error.code).toBe('unknown_movie');
    expect((await getJson(base, '/movies/m-nope/similar')).status).toBe(404);
    expect((await getJson(base, '/movies/bad%20id/similar')).status).toBe(400);
    expect((await getJson(base, '/movies/m-c0/similar?limit=x')).status).toBe(400);
  });

  it('POST /titles needs the admin token and starts the workflow', async () => {
    const t = { movie_id: 'm-brand-new', title: 'Brand New', genres: ['Drama'], year: 2024 };
    expect((await postJson(base, '/titles', t)).status).toBe(401);
    expect((await postJson(base, '/titles', t, { authorization: 'Bearer wrong-token-x' })).status).toBe(403);
    const ok = await postJson(base, '/titles', t, { authorization: `Bearer ${ADMIN}` });
    expect(ok).toEqual({ status: 202, body: { workflow_id: 'add-title-m-brand-new' } });
    expect(added.at(-1)).toMatchObject({ ...t, tags: [], duration_seconds: null, added_at: expect.any(String) });
    expect((await postJson(base, '/titles', { ...t, movie_id: 'm-a0' }, { authorization: `Bearer ${ADMIN}` })).status).toBe(409);
    expect((await postJson(base, '/titles', { ...t, year: 'soon' }, { authorization: `Bearer ${ADMIN}` })).status).toBe(400);

    const bare = makeApp(REDIS_URL, PREFIX);
    const l = await listen(bare.app);
    const r = await postJson(l.base, '/titles', t, { authorization: `Bearer ${ADMIN}` });
    expect([r.status, r.body.error.code]).toEqual([503, 'not_configured']);
    // Not started: no version loaded, so not ready — but alive.
    expect((await getJson(l.base, '/readyz')).status).toBe(503);
    expect((await getJson(l.base, '/healthz')).status).toBe(200);
    l.server.close();
    bare.redis.disconnect();
  });

  it('healthz, readyz and metrics report the process, the version and latency by route and source', async () => {
    expect(await getJson(base, '/healthz')).toEqual({ status: 200, body: { status: 'ok', redis: 'up', model_version: V1 } });
    expect((await getJson(base, '/readyz')).body).toMatchObject({ ready: true, model_version: V1 });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/recs_api_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/home-feed",source="personalized",status="200"\} \d+/);
    expect(text).toContain('recs_feed_fallback_total');
    expect(text).toContain(`recs_model_info{version="${V1}"} 1`);
  });

  it('/metrics parses as Prometheus text and carries the default process metrics beside the API\'s own', async () => {
    await getJson(base, '/home-feed?user_id=u-horror&limit=3');
    const families = parsePrometheusTextFormat(await (await fetch(`${base}/metrics`)).text());
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      process_cpu_user_seconds_total: 'COUNTER',
      process_resident_memory_bytes: 'GAUGE',
      nodejs_eventloop_lag_p99_seconds: 'GAUGE',
      nodejs_gc_duration_seconds: 'HISTOGRAM',
      recs_api_request_duration_seconds: 'HISTOGRAM',
      recs_feed_items_total: 'COUNTER',
      recs_model_info: 'GAUGE',
      recs_events_stream_lag: 'GAUGE',
    });
  });

  it('every response carries a request id: the client\'s when it sent a sane one, else a new one', async () => {
    const given = await fetch(`${base}/home-feed?user_id=u-horror&limit=3`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const fresh = await fetch(`${base}/home-feed?user_id=u-horror&limit=3`);
    const other = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers.get('x-request-id')).not.toBe(other.headers.get('x-request-id'));
    const invalid = await fetch(`${base}/home-feed?user_id=bad%20id`, { headers: { 'x-request-id': 'r-400' } }); // through the Express path
    expect([invalid.status, invalid.headers.get('x-request-id')]).toEqual([400, 'r-400']);
  });

  it('responses are what the documented zod schemas say', async () => {
    feedResponseSchema.parse((await getJson(base, '/home-feed?user_id=u-horror&limit=5')).body);
    feedResponseSchema.parse((await getJson(base, '/home-feed?user_id=u-never-seen&limit=5')).body);
    similarResponseSchema.parse((await getJson(base, '/movies/m-c0/similar?limit=3')).body);
    healthSchema.parse((await getJson(base, '/healthz')).body);
  });

  it('/docs serves Swagger UI from node_modules over /openapi.json', async () => {
    const page = await fetch(`${base}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const init = await (await fetch(`${base}/docs/swagger-initializer.js`)).text();
    expect(init).toContain("'../openapi.json'");
    expect((await fetch(`${base}/docs/swagger-ui-bundle.js`)).status).toBe(200);
    expect((await fetch(`${base}/docs`, { redirect: 'manual' })).status).toBe(301);
  });

  it('every route Express registers is in the OpenAPI document and vice versa', async () => {
    const doc = (await getJson(base, '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
    const registered = stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`))
      .sort();
    expect(registered.length).toBeGreaterThanOrEqual(8);
    expect(registered).toEqual(documented);
  });

  it('a publish message swaps the version in place; a rollback swaps it back', async () => {
    await seedVersion(seedRedis, PREFIX, V2, { reverse: true });
    await seedRedis.publish(keys(PREFIX).channel, JSON.stringify({ type: 'publish', version: V2 }));
    // u-comedy: no watches since the as-of, so the feed is V2's stored order (u-horror's session would re-score it).
    const v2 = await eventually(() => getJson<FeedResponse>(base, '/home-feed?user_id=u-comedy&limit=5'), (r) => r.body.model_version === V2);
    expect(v2.body.model_version).toBe(V2);
    expect(v2.body.items.find((i) => i.reason === 'because_you_watched')!.genres[0]).not.toBe('Comedy');
    await seedRedis.set(keys(PREFIX).live, V1);
    await seedRedis.publish(keys(PREFIX).channel, JSON.stringify({ type: 'rollback', version: V1 }));
    const v1 = await eventually(() => getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=5'), (r) => r.body.model_version === V1);
    expect(v1.body.model_version).toBe(V1);
  });

  it('the publish message alone (no poll) swaps the version', async () => {
    const quiet = makeApp(REDIS_URL, PREFIX, { options: { STATE_POLL_MS: 600_000 } });
    await once(quiet.redis, 'ready');
    await quiet.app.start();
    try {
      expect(quiet.app.state.snapshot()?.v.version).toBe(V1);
      await new Promise((r) => setTimeout(r, 200)); // the subscription is live
      await seedRedis.set(keys(PREFIX).live, V2);
      await seedRedis.publish(keys(PREFIX).channel, JSON.stringify({ type: 'publish', version: V2 }));
      const v = await eventually(async () => quiet.app.state.snapshot()?.v.version, (x) => x === V2, 5000);
      expect(v).toBe(V2);
    } finally {
      await seedRedis.set(keys(PREFIX).live, V1);
      await seedRedis.publish(keys(PREFIX).channel, JSON.stringify({ type: 'rollback', version: V1 }));
      await quiet.app.close();
      quiet.redis.disconnect();
    }
    await eventually(() => getJson<FeedResponse>(base, '/home-feed?user_id=u-horror&limit=5'), (r) => r.body.model_version === V1);
  });

  it('a title added to the fresh pool is served without a restart', async () => {
    await seedRedis.hset(keys(PREFIX).fresh, 'm-d-fresh', JSON.stringify({ movie_id: 'm-d-fresh', title: 'Drama Fresh', genres: ['Drama'], year: 2024, added_at: '2024-06-06T00:00:00Z', vector: [0, 0, 0.9, 0] }));
    await seedRedis.publish(keys(PREFIX).channel, JSON.stringify({ type: 'title_added', movie_id: 'm-d-fresh' }));
    const r = await eventually(() => getJson(base, '/movies/m-d-fresh/similar?limit=3'), (x) => x.status === 200);
    expect(r.status).toBe(200);
    expect((await postJson(base, '/events', { events: [watch('u-y', 'm-d-fresh')] })).status).toBe(202);
  });
});

// ---- Redis outage: a dedicated redis-server this test starts, stops and restarts ----------

async function freePort(): Promise<number> {
  const s: Server = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => {});
  await probe.connect().catch(() => {});
  await probe.ping();
  probe.disconnect();
  return child;
}

async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{` : `${name} `) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('Redis outage', () => {
  let port: number;
  let redisProc: ChildProcess | null = null;

  afterAll(() => {
    redisProc?.kill('SIGKILL');
  });

  it('Redis stopped → 200 fallback; back → normal', async () => {
    port = await freePort();
    redisProc = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const seed = new Redis(url);
    await seedVersion(seed, PREFIX, V1);
    seed.disconnect();
    const { app: a, redis } = makeApp(url, PREFIX);
    await once(redis, 'ready');
    await a.start();
    const { server: s, base: b } = await listen(a);
    try {
      expect((await getJson<FeedResponse>(b, '/home-feed?user_id=u-horror&limit=5')).body.source).toBe('personalized');

      redisProc.kill('SIGKILL');
      await once(redisProc, 'exit');
      redisProc = null;
      for (let t = 0; t < 20; t++) {
        const t0 = performance.now();
        const r = await getJson<FeedResponse>(b, '/home-feed?user_id=u-horror&limit=5&exclude=m-a0');
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(r.status).toBe(200);
        if (t > 0) {
          expect(r.body.source).toBe('fallback');
          expect(r.body.model_version).toBe(V1);
          expect(ids(r.body)).toEqual(['m-a1', 'm-a2', 'm-a3', 'm-a4', 'm-a5']);
          expect(r.body.items.every((i) => i.reason === 'popular')).toBe(true);
        }
      }
      expect(await getJson(b, '/healthz')).toMatchObject({ status: 200, body: { redis: 'down' } });
      // Events posted while Redis is away are acknowledged once they are in the local spool.
      expect((await postJson(b, '/events', { events: [watch('u-during-outage', 'm-a3')] })).status).toBe(202);
      expect(await metric(b, 'recs_events_spool_bytes')).toBeGreaterThan(0);
      expect(await metric(b, 'recs_events_accepted_total', 'how="spooled"')).toBe(1);

      redisProc = await startRedis(port);
      const again = new Redis(url);
      await seedVersion(again, PREFIX, V1); // started without persistence: reseed
      const back = await eventually(() => getJson<FeedResponse>(b, '/home-feed?user_id=u-horror&limit=5'), (r) => r.body.source === 'personalized', 15_000);
      expect(back.body.source).toBe('personalized');
      await eventually(() => a.flush().then(() => again.exists(keys(PREFIX).recent('u-during-outage'))), (n) => n === 1, 5000);
      expect(await again.zscore(keys(PREFIX).recent('u-during-outage'), 'm-a3')).not.toBeNull();
      const posted = (await again.xrange(keys(PREFIX).events, '-', '+')).map(([, f]) => JSON.parse(f[1])).filter((e) => e.event_type !== 'impression');
      expect(posted).toMatchObject([{ user_id: 'u-during-outage', movie_id: 'm-a3', event_type: 'watch' }]);
      expect(await metric(b, 'recs_events_spool_bytes')).toBe(0);
      await deletePrefix(again, PREFIX);
      again.disconnect();
    } finally {
      s.close();
      await a.close().catch(() => {});
      redis.disconnect();
    }
  });

  it('an API started while Redis is down answers the popular list it saved at its last load, never an empty feed', async () => {
    const dataDir = tempDir('api-fallback');
    const prefix = `${PREFIX}-fb`;
    const seed = new Redis(REDIS_URL);
    await seedVersion(seed, prefix, V1);
    // First life: Redis up; loading V1 saves its popular head under DATA_DIR/api/.
    const first = makeApp(REDIS_URL, prefix, { dataDir });
    await once(first.redis, 'ready');
    await first.app.start();
    expect(first.app.state.snapshot()?.v.version).toBe(V1);
    await first.app.close();
    first.redis.disconnect();
    await deletePrefix(seed, prefix);
    seed.disconnect();

    // Second life: nothing answers at the Redis address.
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const second = makeApp(dead, prefix, { dataDir });
    await second.app.start();
    const { server: s, base: b } = await listen(second.app);
    try {
      expect(second.app.state.snapshot()).toBeNull();
      const r = await getJson<FeedResponse>(b, '/home-feed?user_id=u-anyone&limit=5&exclude=m-a0');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ source: 'fallback', model_version: V1 });
      expect(ids(r.body)).toEqual(['m-a1', 'm-a2', 'm-a3', 'm-a4', 'm-a5']);
      // A genre filter still answers from the saved list.
      const horror = await getJson<FeedResponse>(b, '/home-feed?user_id=u-anyone&limit=3&genres=Horror');
      expect(horror.body.items.length).toBe(3);
      expect(horror.body.items.every((i) => i.genres.includes('Horror'))).toBe(true);
    } finally {
      s.close();
      await second.app.close().catch(() => {});
      second.redis.disconnect();
    }
  });
});

describe('starting the API process', () => {
  /** Run api/server.ts with `env` on top of a clean environment; resolves with its exit code and stderr (or null while it runs). */
  async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['ADMIN_TOKEN', 'RECS_ENV', 'NODE_ENV'].includes(k)) base[k] = v;
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], { env: { ...base, PORT: String(port), REDIS_PREFIX: PREFIX, DATA_DIR: tempDir('api-start'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    const listening = (async () => {
      for (let i = 0; i < 300; i++) {
        if (await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false)) return 'up';
        await new Promise((r) => setTimeout(r, 100));
      }
      return 'timeout';
    })();
    const first = await Promise.race([exited, listening]);
    if (first === 'up' || first === 'timeout') {
      proc.kill('SIGTERM');
      await exited;
      return { code: null, stderr };
    }
    return { code: first, stderr };
  }

  it('outside demo/test mode, without ADMIN_TOKEN or with the public demo token, it exits 2 and names the variable; with a token it starts', async () => {
    const none = await start({ NODE_ENV: 'production' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/ADMIN_TOKEN is not set/);
    const demoToken = await start({ RECS_ENV: 'production', ADMIN_TOKEN: 'dev-admin-token' });
    expect(demoToken.code).toBe(2);
    expect(demoToken.stderr).toMatch(/public demo token/);
    expect((await start({ ADMIN_TOKEN: 'a-real-operator-secret' })).code).toBeNull();
    expect((await start({ RECS_ENV: 'demo' })).code).toBeNull();
  }, 60_000);
});
