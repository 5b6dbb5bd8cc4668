// The session moves the feed, on real Redis through the API: a horror fan (with a little taste for
// comedy) posts three comedy watches; the next home feed lifts comedy titles and says why
// (reason "session"). With SESSION_ENABLED off the same user gets the stored list minus what they
// watched. A hand-made version: four genres on four axes, ten titles each, no fresh titles (so no
// exploration slot makes the feed random).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { createApp, type ApiApp, type FeedResponse } from '../../api/app';
import { apiOptions, type ApiOptions } from '../../api/schemas';
import { servingRedisOptions } from '../../api/server';
import { RedisFeedStore } from '../../api/store';
import { encodeF32, encodeUserList, keys } from '../../storage/redis-keys';
import { tempDir } from '../helpers/paths';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6389';
const PREFIX = `t-session-${randomBytes(4).toString('hex')}`;
const VERSION = 'v20240601T000000Z';
const K = 4;
const GENRES = ['Horror', 'Comedy', 'Drama', 'Action'];
const FAN = Float32Array.from([1, 0.4, 0.1, 0.05]);

const items = GENRES.flatMap((g, gi) =>
  Array.from({ length: 10 }, (_, j) => {
    const vec = [0, 0, 0, 0];
    vec[gi] = 0.95 - 0.03 * j;
    vec[(gi + 1) % 4] = 0.02 * j;
    return { movie_id: `m-${g[0].toLowerCase()}${j}`, title: `${g} ${j}`, genres: [g], year: 2000 + j, added_at: '2020-01-01T00:00:00.000Z', vec };
  }),
);
const stored = items.map((it, i) => ({ i, s: it.vec.reduce((acc, y, t) => acc + y * FAN[t], 0) })).sort((a, b) => b.s - a.s);

async function seed(redis: Redis): Promise<void> {
  const ks = keys(PREFIX);
  const factors = new Float32Array(items.length * K);
  items.forEach((it, i) => factors.set(it.vec, i * K));
  await redis
    .pipeline()
    .hset(ks.versionMeta(VERSION), { data_as_of: JSON.stringify('2024-06-01T00:00:00.000Z'), k: String(K), n_items: String(items.length), alpha0: '0.05', lambda: '0.02', nu: '1' })
    .set(ks.items(VERSION), JSON.stringify(items.map(({ vec: _vec, ...rest }) => rest)))
    .set(ks.itemFactors(VERSION), encodeF32(factors))
    .set(ks.lists(VERSION), JSON.stringify({ popular: items.map((_, i) => i), trending: [] }))
    .set(ks.userList(VERSION, 'u-fan'), encodeUserList(FAN, stored.map((x) => x.i), stored.map((x) => x.s)))
    .set(ks.userList(VERSION, 'u-fan-2'), encodeUserList(FAN, stored.map((x) => x.i), stored.map((x) => x.s)))
    .zadd(ks.versions, Date.now(), VERSION)
    .set(ks.live, VERSION)
    .exec();
}

async function start(env: Record<string, string>): Promise<{ app: ApiApp; redis: Redis; server: Server; base: string }> {
  const cfg = loadConfig({ REDIS_URL, REDIS_PREFIX: PREFIX, DATA_DIR: tempDir('session'), ...env });
  const options: Partial<ApiOptions> = { STATE_POLL_MS: 200, REDIS_CIRCUIT_OPEN_MS: 200 };
  const redis = new Redis(REDIS_URL, servingRedisOptions(apiOptions(cfg, options)));
  redis.on('error', () => {});
  await once(redis, 'ready');
  const app = createApp({ cfg, store: new RedisFeedStore(redis, { prefix: PREFIX, circuitOpenMs: 200 }), options, log: () => {} });
  await app.start();
  const server = createServer(app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { app, redis, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const feed = async (base: string, user: string): Promise<FeedResponse> => (await fetch(`${base}/home-feed?user_id=${user}&limit=10`)).json() as Promise<FeedResponse>;
const post = (base: string, user: string, movies: string[]) =>
  fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events: movies.map((m, j) => ({ user_id: user, movie_id: m, event_type: 'watch', ts: new Date(Date.now() - (movies.length - j) * 60_000).toISOString(), watch_seconds: 5000, duration_seconds: 5400 })) }),
  });
const comedyIn = (f: FeedResponse) => f.items.filter((i) => i.genres[0] === 'Comedy');

describe('the session moves the feed (real Redis, the API)', () => {
  const seedRedis = new Redis(REDIS_URL);
  let on: Awaited<ReturnType<typeof start>>;
  let off: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    await seed(seedRedis);
    on = await start({});
    off = await start({ SESSION_ENABLED: 'false' });
  });

  afterAll(async () => {
    for (const s of [on, off]) {
      s?.server.close();
      await s?.app.close();
      s?.redis.disconnect();
    }
    const found = await seedRedis.keys(`${PREFIX}:*`);
    if (found.length > 0) await seedRedis.unlink(...found);
    seedRedis.disconnect();
  });

  it('a horror fan who binges three comedies sees comedy titles move up in the next feed, marked "session"', async () => {
    const before = await feed(on.base, 'u-fan');
    expect(before.source).toBe('personalized');
    expect(before.items.every((i) => i.reason === 'because_you_watched')).toBe(true);
    expect(comedyIn(before)).toHaveLength(0); // ten horror titles first

    const posted = await post(on.base, 'u-fan', ['m-c0', 'm-c1', 'm-c2']);
    expect(posted.status).toBe(202);
    // The watches are in Redis when the 202 returns; poll a second at most for the feed to follow.
    let after = await feed(on.base, 'u-fan');
    for (const until = Date.now() + 1000; comedyIn(after).length === 0 && Date.now() < until; ) after = await feed(on.base, 'u-fan');

    expect(after.source).toBe('personalized');
    const comedy = comedyIn(after);
    expect(comedy.length).toBeGreaterThanOrEqual(2); // none before
    expect(comedy.every((i) => i.reason === 'session')).toBe(true);
    for (const id of ['m-c0', 'm-c1', 'm-c2']) expect(after.items.some((i) => i.movie_id === id)).toBe(false); // watched: not again
    expect(after.items.filter((i) => i.genres[0] === 'Horror').length).toBeGreaterThanOrEqual(3); // the stored taste still counts
    for (let i = 1; i < after.items.length; i++) expect(after.items[i - 1].score).toBeGreaterThanOrEqual(after.items[i].score);
  });

  it('with SESSION_ENABLED off the feed is the stored list minus what was watched', async () => {
    const posted = await post(off.base, 'u-fan-2', ['m-c0', 'm-c1', 'm-c2']);
    expect(posted.status).toBe(202);
    const got = await feed(off.base, 'u-fan-2');
    const watched = new Set(['m-c0', 'm-c1', 'm-c2']);
    const expected = stored.map((x) => items[x.i].movie_id).filter((id) => !watched.has(id)).slice(0, 10);
    expect(got.items.map((i) => i.movie_id)).toEqual(expected);
    expect(got.items.every((i) => i.reason === 'because_you_watched')).toBe(true);
    // The same watches do move the feed of the instance with the session on.
    const moved = await feed(on.base, 'u-fan-2');
    expect(moved.items.map((i) => i.movie_id)).not.toEqual(expected);
    expect(comedyIn(moved).length).toBeGreaterThan(0);
  });
});
