// Property tests over the HTTP surface: random query strings, ids and bodies against the app on
// real Redis (driven in-process over an ephemeral port). A valid request never gets a 5xx;
// an invalid one gets a 4xx with a machine-readable code; a feed never repeats or returns an
// excluded title and never exceeds its limit.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { listen, stopServing } from '../helpers/serving-world';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { EVENT_TYPES } from '../../model/types';
import { createApp, type ApiApp } from '../../api/app';
import { servingRedisOptions } from '../../api/server';
import { apiOptions } from '../../api/schemas';
import { RedisFeedStore } from '../../api/store';
import { encodeF32, encodeUserList, keys } from '../../storage/redis-keys';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6389';
const PREFIX = `t-fuzz-${randomBytes(4).toString('hex')}`;
const V = 'v20240601T000000Z';
const K = 3;
const GENRES = ['Horror', 'Comedy', 'Drama'];
const MOVIES = Array.from({ length: 30 }, (_, i) => `m${i}`);
const ADMIN = 'fuzz-admin-token';

async function seed(redis: Redis): Promise<void> {
  const ks = keys(PREFIX);
  const items = MOVIES.map((movie_id, i) => ({ movie_id, title: `Title ${i}`, genres: [GENRES[i % 3]], year: 1990 + i, added_at: i === 29 ? '2024-07-01T00:00:00Z' : '2020-01-01T00:00:00Z' }));
  const factors = Float32Array.from({ length: MOVIES.length * K }, (_, j) => (Math.floor(j / K) % 3 === j % K ? 0.9 : 0.05) + (j % 7) * 0.01);
  const p = redis.pipeline();
  p.hset(ks.versionMeta(V), { data_as_of: JSON.stringify('2024-06-01T00:00:00Z'), k: String(K), n_items: String(MOVIES.length), alpha0: '0.05', lambda: '0.02', nu: '1' });
  p.set(ks.items(V), JSON.stringify(items));
  p.set(ks.itemFactors(V), encodeF32(factors));
  p.set(ks.lists(V), JSON.stringify({ popular: MOVIES.map((_, i) => i), trending: MOVIES.map((_, i) => 29 - i) }));
  for (const u of ['u1', 'u2', 'u3']) {
    const order = MOVIES.map((_, i) => i).sort((a, b) => ((a * 7 + u.length) % 30) - ((b * 7 + u.length) % 30));
    p.set(ks.userList(V, u), encodeUserList(Float32Array.from([0.9, 0.1, 0.2]), order, order.map((_, r) => 1 - r / 30)));
  }
  p.set(ks.live, V);
  p.hset(ks.fresh, 'm-fresh', JSON.stringify({ movie_id: 'm-fresh', title: 'Fresh', genres: ['Comedy'], year: 2024, added_at: '2024-06-02T00:00:00Z', vector: [0.1, 0.9, 0] }));
  await p.exec();
}

const tricky = fc.constantFrom('', '%', '%zz', '%00', '&', '=', '==', '[]', 'a[b]', '__proto__', 'constructor', ',', ',,,', ' ', '\u0000', '😀', 'null', 'undefined', '-1', '1e3', '0x10', '9'.repeat(20));
const keyArb = fc.oneof(fc.constantFrom('user_id', 'limit', 'offset', 'exclude', 'genres', 'user_id[]', 'limit[x]'), tricky, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
const valueArb = fc.oneof(
  fc.constantFrom('u1', 'u2', 'u3', 'u-cold', 'm0,m1,m2', 'Comedy', 'horror,drama', '1', '5', '20', '500', '501', '0', '1000', '1001'),
  fc.integer({ min: -10, max: 2000 }).map(String),
  fc.array(fc.constantFrom(...MOVIES, 'm-fresh', 'bad id', ''), { maxLength: 6 }).map((xs) => xs.join(',')),
  tricky,
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const queryArb = fc.oneof(
  // Mostly well-formed feed queries with random extras, so the successful path is exercised too.
  fc.record(
    {
      user_id: fc.constantFrom('u1', 'u2', 'u3', 'u-cold', 'u-cold-2'),
      limit: fc.integer({ min: 1, max: 500 }).map(String),
      offset: fc.integer({ min: 0, max: 1000 }).map(String),
      exclude: fc.array(fc.constantFrom(...MOVIES, 'm-fresh'), { maxLength: 8 }).map((xs) => xs.join(',')),
      genres: fc.array(fc.constantFrom(...GENRES, 'comedy', 'Western'), { maxLength: 3 }).map((xs) => xs.join(',')),
    },
    { requiredKeys: ['user_id'] },
  ).map((r) => Object.entries(r).map(([k, v]) => [k, v] as [string, string])),
  fc.array(fc.tuple(keyArb, valueArb), { maxLength: 6 }),
);
const encode = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

const isoArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date(Date.now() - 1000), noInvalidDate: true }).map((d) => d.toISOString());
const validEventArb = fc.oneof(
  fc.record({
    user_id: fc.constantFrom('u1', 'u2', 'u-cold', 'u-fz'),
    movie_id: fc.constantFrom(...MOVIES, 'm-fresh'),
    event_type: fc.constantFrom('watch', 'search', 'browse', 'impression'),
    ts: isoArb,
    watch_seconds: fc.option(fc.integer({ min: 0, max: 20000 }), { nil: null }),
    duration_seconds: fc.option(fc.integer({ min: 1, max: 20000 }), { nil: null }),
    source: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  }),
  fc.record({
    user_id: fc.constantFrom('u1', 'u3'),
    movie_id: fc.constantFrom(...MOVIES),
    event_type: fc.constant('rating'),
    ts: isoArb,
    rating: fc.integer({ min: 1, max: 10 }).map((x) => x / 2),
  }),
);
const wildEventArb = fc.record(
  {
    event_id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant(null)),
    user_id: fc.oneof(fc.constantFrom('u1', 'u-cold'), fc.string({ maxLength: 70 }), fc.integer()),
    movie_id: fc.oneof(fc.constantFrom(...MOVIES, 'm-nope'), fc.string({ maxLength: 10 }), fc.constant(null)),
    event_type: fc.oneof(fc.constantFrom(...EVENT_TYPES, 'purchase'), fc.string({ maxLength: 8 })),
    ts: fc.oneof(isoArb, fc.string({ maxLength: 30 }), fc.integer(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    watch_seconds: fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)),
    duration_seconds: fc.oneof(fc.double(), fc.integer(), fc.constant(null)),
    rating: fc.oneof(fc.double({ min: -1, max: 7 }), fc.constant(null)),
    source: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null)),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
const bodyArb = fc.oneof(
  fc.array(wildEventArb, { maxLength: 4 }).map((events) => JSON.stringify({ events })),
  fc.array(fc.oneof(validEventArb, wildEventArb), { minLength: 1, maxLength: 4 }).map((events) => JSON.stringify({ events })),
  fc.anything().map((x) => JSON.stringify(x) ?? 'null'),
  fc.json(),
  fc.string({ maxLength: 50 }),
);

describe('API fuzz (no 5xx, invariants hold)', () => {
  const redis = new Redis(REDIS_URL);
  let app: ApiApp;
  let appRedis: Redis;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    await seed(redis);
    const cfg = loadConfig({ REDIS_URL, REDIS_PREFIX: PREFIX, ADMIN_TOKEN: ADMIN });
    appRedis = new Redis(REDIS_URL, servingRedisOptions(apiOptions(cfg)));
    await once(appRedis, 'ready');
    const store = new RedisFeedStore(appRedis, { prefix: PREFIX, circuitOpenMs: 500 });
    app = createApp({ cfg, store, titleAdder: { addTitle: async (t) => ({ workflowId: `wf-${t.movie_id}` }) }, log: () => {} });
    await app.start();
    ({ server, base } = await listen(app)); // as api/server.ts serves it
  });

  afterAll(() => stopServing({ server, app, appRedis, seedRedis: redis, prefix: PREFIX }));

  it('GET /home-feed over 5 000 random query strings: 200 with a sane feed or 400 with a code', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, async (pairs) => {
        const r = await fetch(`${base}/home-feed?${encode(pairs)}`);
        const body = await r.json();
        if (r.status === 400) return typeof body.error?.code === 'string';
        if (r.status !== 200) return false;
        const q = new URLSearchParams(encode(pairs));
        const limit = Number(q.get('limit') ?? 20);
        const excluded = new Set((q.get('exclude') ?? '').split(','));
        const ids: string[] = body.items.map((i: { movie_id: string }) => i.movie_id);
        return (
          ids.length <= limit &&
          new Set(ids).size === ids.length &&
          ids.every((id) => !excluded.has(id)) &&
          ['personalized', 'fold_in', 'cold_start', 'fallback'].includes(body.source) &&
          body.model_version === V
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('GET /movies/:id/similar over 1 000 random ids: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...MOVIES, 'm-fresh'), fc.string({ maxLength: 70 }), tricky), valueArb, async (id, limit) => {
        const r = await fetch(`${base}/movies/${encodeURIComponent(id)}/similar?limit=${encodeURIComponent(limit)}`);
        await r.arrayBuffer();
        return r.status < 500;
      }),
      { numRuns: 1000 },
    );
  });

  it('POST /events over 4 000 random bodies: 202 for valid batches, 4xx with a code otherwise, never a 5xx', async () => {
    const xlen0 = await redis.xlen(keys(PREFIX).events);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(bodyArb, async (raw) => {
        const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
        const body = await r.json();
        if (r.status === 202) {
          accepted += body.accepted;
          return Number.isInteger(body.accepted) && body.accepted >= 1;
        }
        return r.status >= 400 && r.status < 500 && typeof body.error?.code === 'string';
      }),
      { numRuns: 4000 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(validEventArb, { minLength: 1, maxLength: 5 }), async (events) => {
        const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
        await r.arrayBuffer();
        if (r.status === 202) accepted += events.length;
        return r.status === 202;
      }),
      { numRuns: 500 },
    );
    await app.flush();
    // Every accepted event reached the stream (impressions of the feed test are counted separately).
    const written = (await redis.xrange(keys(PREFIX).events, '-', '+')).map(([, f]) => JSON.parse(f[1])).filter((e) => !String(e.event_id).startsWith('imp-') || !String(e.source ?? '').startsWith('home_feed:'));
    expect(written.length).toBeGreaterThanOrEqual(accepted);
    expect(await redis.xlen(keys(PREFIX).events)).toBeGreaterThan(xlen0);
  });

  it('POST /titles over 500 random bodies with the admin token: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything().map((x) => JSON.stringify(x) ?? 'null'), fc.record({ movie_id: fc.oneof(fc.constantFrom('m0', 'm-new'), fc.string({ maxLength: 70 })), title: fc.string({ maxLength: 310 }), year: fc.oneof(fc.integer(), fc.constant(null)), genres: fc.array(fc.string({ maxLength: 45 }), { maxLength: 3 }) }, { requiredKeys: [] }).map((x) => JSON.stringify(x))), async (raw) => {
        const r = await fetch(`${base}/titles`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: raw });
        await r.arrayBuffer();
        return r.status < 500;
      }),
      { numRuns: 500 },
    );
  });
});
