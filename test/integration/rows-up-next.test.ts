// GET /home-rows and GET /up-next against real Redis, seeded with a small hand-made version: four
// genres of ten titles with factors on one axis per genre, a three-part horror franchise
// ("Night Terror", "Night Terror 2", "Night Terror 3"), a warm horror fan with a stored list,
// and users the model lacks. Watches are posted through POST /events, as clients do.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { createApp, type ApiApp } from '../../api/app';
import { servingRedisOptions } from '../../api/server';
import { apiOptions, rowsResponseSchema, upNextResponseSchema, type ApiOptions } from '../../api/schemas';
import { RedisFeedStore } from '../../api/store';
import { encodeF32, encodeUserList, keys } from '../../storage/redis-keys';
import { tempDir } from '../helpers/paths';
import { genreAxisItems, listen, stopServing, type WorldItem } from '../helpers/serving-world';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6389';
const PREFIX = `t-rows-${randomBytes(4).toString('hex')}`;
const V1 = 'v20240601T000000Z';
const K = 4;
const GENRES = ['Horror', 'Comedy', 'Drama', 'Action'];
// Words, not numbers: "Horror 2" would read as the sequel of "Horror" (model/franchise.ts).
const NAMES = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf', 'Hotel', 'India', 'Juliet'];

function items(): WorldItem[] {
  const out = genreAxisItems(GENRES, (g, j) => `${g} ${NAMES[j]}`);
  // The franchise: part 3 sits far from part 1 in factor space (only the title ties them).
  out.push({ movie_id: 'm-nt1', title: 'Night Terror', genres: ['Horror'], year: 2001, added_at: '2020-01-01T00:00:00.000Z', vec: [0.6, 0, 0, 0.3] });
  out.push({ movie_id: 'm-nt2', title: 'Night Terror 2', genres: ['Horror'], year: 2003, added_at: '2020-01-01T00:00:00.000Z', vec: [0.5, 0, 0, 0.35] });
  out.push({ movie_id: 'm-nt3', title: 'Night Terror 3', genres: ['Horror', 'Action'], year: 2006, added_at: '2020-01-01T00:00:00.000Z', vec: [0.1, 0, 0, 0.6] });
  return out;
}

async function seed(redis: Redis): Promise<void> {
  const ks = keys(PREFIX);
  const its = items();
  const factors = new Float32Array(its.length * K);
  its.forEach((it, i) => factors.set(it.vec, i * K));
  const all = its.map((_, i) => i);
  const popular = [...all.filter((i) => i >= 30 && i < 40), ...all.filter((i) => i < 30), 40, 41, 42];
  const trending = [0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33, 4, 14, 24, 34];
  const p = redis.pipeline();
  p.hset(ks.versionMeta(V1), { data_as_of: JSON.stringify('2024-06-01T00:00:00.000Z'), k: String(K), n_items: String(its.length), alpha0: '0.05', lambda: '0.02', nu: '1' });
  p.set(ks.items(V1), JSON.stringify(its.map(({ vec: _vec, ...rest }) => rest)));
  p.set(ks.itemFactors(V1), encodeF32(factors));
  p.set(ks.lists(V1), JSON.stringify({ popular, trending }));
  // The horror fan's list: every title but the two they watched before the model (m-h0, m-h9),
  // which the list leaves out as the pipeline does; the API has no other record of them.
  const uv = Float32Array.from([1, 0.05, 0, 0.1]);
  const scored = its
    .map((it, i) => ({ i, s: it.vec.reduce((acc, y, j) => acc + y * uv[j], 0) }))
    .filter((x) => its[x.i].movie_id !== 'm-h0' && its[x.i].movie_id !== 'm-h9')
    .sort((a, b) => b.s - a.s);
  p.set(ks.userList(V1, 'u-horror'), encodeUserList(uv, scored.map((x) => x.i), scored.map((x) => x.s)));
  p.zadd(ks.versions, Date.now(), V1);
  p.set(ks.live, V1);
  await p.exec();
}

// Neighbour counts scaled to a 43-title catalog (the defaults would reach every title).
const OPTIONS: Partial<ApiOptions> = { STATE_POLL_MS: 200, IMPRESSION_FLUSH_MS: 20, REDIS_CIRCUIT_OPEN_MS: 200, REDIS_COMMAND_TIMEOUT_MS: 500, ROWS_MIN_ITEMS: 2, ROWS_NEIGHBOURS: 8, UP_NEXT_NEIGHBOURS: 8 };

async function getJson<T = any>(base: string, path: string): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path);
  return { status: r.status, body: (await r.json()) as T };
}

describe('home rows and up next on real Redis', () => {
  const seedRedis = new Redis(REDIS_URL);
  let app: ApiApp;
  let appRedis: Redis;
  let server: import('node:http').Server;
  let base: string;

  const post = async (user: string, movies: string[]) => {
    const now = Date.now();
    const events = movies.map((m, i) => ({ user_id: user, movie_id: m, event_type: 'watch', ts: new Date(now - (movies.length - i) * 60_000).toISOString(), watch_seconds: 5000, duration_seconds: 5400 }));
    const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(r.status).toBe(202);
  };

  beforeAll(async () => {
    await seed(seedRedis);
    const cfg = loadConfig({ REDIS_URL, REDIS_PREFIX: PREFIX, DATA_DIR: tempDir('rows') });
    appRedis = new Redis(REDIS_URL, servingRedisOptions(apiOptions(cfg, OPTIONS)));
    appRedis.on('error', () => {});
    const store = new RedisFeedStore(appRedis, { prefix: PREFIX, circuitOpenMs: 200 });
    app = createApp({ cfg, store, options: OPTIONS, log: () => {}, fallbackFile: null });
    await once(appRedis, 'ready');
    await app.start();
    ({ server, base } = await listen(app));
    // Newest last: the horror fan watched m-h1, then m-c2 (a comedy), then m-h3.
    await post('u-horror', ['m-h1', 'm-c2', 'm-h3']);
  });

  afterAll(() => stopServing({ server, app, appRedis, seedRedis: seedRedis, prefix: PREFIX }));

  it('a warm user gets top picks, then "because you watched" rows for their newest watches, without a watched title or a repeat', async () => {
    const { status, body } = await getJson(base, '/home-rows?user_id=u-horror&rows=5&per_row=6');
    expect(status).toBe(200);
    rowsResponseSchema.parse(body);
    expect(body).toMatchObject({ user_id: 'u-horror', model_version: V1, source: 'personalized' });
    const rows = body.rows as Array<{ kind: string; title: string; because_of?: string; genre?: string; items: Array<{ movie_id: string; genres: string[]; because_of?: string }> }>;
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.length).toBeLessThanOrEqual(5);
    expect(rows[0]).toMatchObject({ kind: 'top_picks', title: 'Top picks for you' });
    const because = rows.filter((r) => r.kind === 'because_you_watched');
    expect(because.map((r) => r.because_of)).toEqual(['m-h3', 'm-c2', 'm-h1'].slice(0, because.length));
    expect(because.length).toBeGreaterThanOrEqual(2);
    expect(because[0].title).toBe('Because you watched Horror Delta');
    for (const r of because) expect(r.items.every((i) => i.because_of === r.because_of)).toBe(true);
    // The comedy anchor's row is comedy: neighbours of the anchor, not the user's horror list again.
    const comedyRow = because.find((r) => r.because_of === 'm-c2')!;
    expect(comedyRow.items[0].movie_id).toMatch(/^m-c/);
    // The rows' genre is one the user leans to, and every title in it has that genre.
    const genreRow = rows.find((r) => r.kind === 'trending_in_genre')!;
    expect(['Horror', 'Comedy']).toContain(genreRow.genre);
    expect(genreRow.title).toBe(`Trending in ${genreRow.genre}`);
    expect(genreRow.items.every((i) => i.genres.includes(genreRow.genre!))).toBe(true);
    const all = rows.flatMap((r) => r.items.map((i) => i.movie_id));
    expect(new Set(all).size).toBe(all.length);
    for (const watched of ['m-h1', 'm-c2', 'm-h3', 'm-h0', 'm-h9']) expect(all).not.toContain(watched);
    // Top picks say which watch they follow from where one is close.
    expect(rows[0].items.some((i) => i.because_of === 'm-h3' || i.because_of === 'm-h1')).toBe(true);
  });

  it('a user the model lacks gets a non-empty trending screen with genre rows', async () => {
    const { status, body } = await getJson(base, '/home-rows?user_id=u-nobody');
    expect(status).toBe(200);
    rowsResponseSchema.parse(body);
    expect(body.source).toBe('cold_start');
    expect(body.rows[0]).toMatchObject({ kind: 'trending', title: 'Trending now' });
    expect(body.rows[0].items.length).toBeGreaterThan(0);
    expect(body.rows.slice(1).every((r: { kind: string }) => r.kind === 'trending_in_genre')).toBe(true);
    expect(body.rows.length).toBeGreaterThanOrEqual(2);
  });

  it('each row is logged as one impression slate naming its place and kind', async () => {
    await app.flush();
    const before = await seedRedis.xlen(keys(PREFIX).events);
    const { body } = await getJson(base, '/home-rows?user_id=u-horror&rows=3&per_row=4');
    await app.flush();
    const n = body.rows.length;
    expect(await seedRedis.xlen(keys(PREFIX).events)).toBe(before + n);
    const entries = (await seedRedis.xrevrange(keys(PREFIX).events, '+', '-', 'COUNT', n)).reverse();
    const slates = entries.map(([, f]) => JSON.parse(f[1]));
    expect(slates.map((s) => s.surface)).toEqual(body.rows.map((r: { kind: string }, i: number) => `home_rows.${i + 1}.${r.kind}`));
    expect(slates.map((s) => s.items)).toEqual(body.rows.map((r: { items: Array<{ movie_id: string }> }) => r.items.map((i) => i.movie_id)));
    expect(slates[1]).toMatchObject({ event_type: 'impression', user_id: 'u-horror', feed_source: 'personalized', because_of: 'm-h3' });
  });

  it('after the first part of a franchise, up next is its sequel, then neighbours the user has not watched', async () => {
    await post('u-fan', ['m-h2', 'm-nt1']);
    const { status, body } = await getJson(base, '/up-next?user_id=u-fan&movie_id=m-nt1&limit=5');
    expect(status).toBe(200);
    upNextResponseSchema.parse(body);
    expect(body).toMatchObject({ user_id: 'u-fan', movie_id: 'm-nt1', source: 'fold_in' });
    expect(body.items.map((i: { movie_id: string }) => i.movie_id).slice(0, 2)).toEqual(['m-nt2', 'm-nt3']);
    expect(body.items[0]).toMatchObject({ reason: 'next_in_franchise', because_of: 'm-nt1', title: 'Night Terror 2' });
    expect(body.items.slice(2).every((i: { reason: string }) => i.reason === 'similar')).toBe(true);
    const got = body.items.map((i: { movie_id: string }) => i.movie_id);
    expect(got).not.toContain('m-h2');
    expect(got).not.toContain('m-nt1');
    expect(got).toHaveLength(5);
  });

  it('for a warm user up next keeps to titles their stored list proves unseen', async () => {
    const { body } = await getJson(base, '/up-next?user_id=u-horror&movie_id=m-h4&limit=8');
    expect(body.source).toBe('personalized');
    const got = body.items.map((i: { movie_id: string }) => i.movie_id);
    expect(got).toHaveLength(8);
    for (const seen of ['m-h0', 'm-h9', 'm-h1', 'm-c2', 'm-h3', 'm-h4']) expect(got).not.toContain(seen);
  });

  it('a user the model lacks gets the title\'s neighbours in item-to-item order', async () => {
    const { body } = await getJson(base, '/up-next?user_id=u-stranger&movie_id=m-c5&limit=4');
    expect(body.source).toBe('item_to_item');
    expect(body.items).toHaveLength(4);
    expect(body.items.every((i: { movie_id: string }) => i.movie_id.startsWith('m-c'))).toBe(true);
    for (let i = 1; i < 4; i++) expect(body.items[i - 1].score).toBeGreaterThanOrEqual(body.items[i].score);
  });

  it('a title the model does not know gets a non-empty popular fallback', async () => {
    const { status, body } = await getJson(base, '/up-next?user_id=u-horror&movie_id=m-unknown&limit=5');
    expect(status).toBe(200);
    upNextResponseSchema.parse(body);
    expect(body.source).toBe('fallback');
    expect(body.items).toHaveLength(5);
    expect(body.items.every((i: { reason: string }) => i.reason === 'popular')).toBe(true);
  });

  it('the Express routes serve the same screens and errors as the fast path in front of them', async () => {
    const { server: viaExpress, base: expressBase } = await listen(app, true);
    try {
      for (const path of ['/home-rows?user_id=u-horror&rows=4&per_row=5', '/home-rows?user_id=u-nobody', '/up-next?user_id=u-horror&movie_id=m-h1&limit=4', '/up-next?user_id=u-nobody&movie_id=m-zz', '/home-rows?user_id=u-horror&rows=0']) {
        const [a, b] = [await getJson(base, path), await getJson(expressBase, path)];
        expect([path, b]).toEqual([path, a]);
      }
    } finally {
      viaExpress.close();
    }
  });

  it('bad input is a 400 with a machine-readable code', async () => {
    const cases: Array<[string, string]> = [
      ['/home-rows', 'invalid_query'],
      ['/home-rows?user_id=u-horror&rows=0', 'invalid_query'],
      ['/home-rows?user_id=u-horror&per_row=51', 'invalid_query'],
      ['/home-rows?user_id=bad%20id', 'invalid_query'],
      ['/home-rows?user_id=u-horror&limit=3', 'unknown_parameter'],
      ['/up-next?user_id=u-horror', 'invalid_query'],
      ['/up-next?user_id=u-horror&movie_id=m-h1&limit=abc', 'invalid_query'],
      ['/up-next?user_id=u-horror&movie_id=m-h1&exclude=m-h2', 'unknown_parameter'],
    ];
    for (const [path, code] of cases) {
      const { status, body } = await getJson(base, path);
      expect([path, status, body.error.code]).toEqual([path, 400, code]);
    }
  });

  it('any valid request is a 200 whose screen has at most `rows` rows of at most `per_row` titles, none twice, none watched', async () => {
    const user = fc.constantFrom('u-horror', 'u-fan', 'u-nobody', 'u-x.1:y');
    const movie = fc.constantFrom('m-h4', 'm-nt1', 'm-nt3', 'm-c9', 'm-a0', 'm-nope');
    await fc.assert(
      fc.asyncProperty(user, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 50 }), movie, fc.integer({ min: 1, max: 100 }), async (u, rows, perRow, m, limit) => {
        const screen = await getJson(base, `/home-rows?user_id=${u}&rows=${rows}&per_row=${perRow}`);
        expect(screen.status).toBe(200);
        expect(screen.body.rows.length).toBeLessThanOrEqual(rows);
        expect(screen.body.rows.length).toBeGreaterThan(0);
        const all = screen.body.rows.flatMap((r: { items: Array<{ movie_id: string }> }) => (expect(r.items.length).toBeLessThanOrEqual(perRow), r.items.map((i) => i.movie_id)));
        expect(new Set(all).size).toBe(all.length);
        if (u === 'u-horror') for (const w of ['m-h1', 'm-c2', 'm-h3']) expect(all).not.toContain(w);
        const next = await getJson(base, `/up-next?user_id=${u}&movie_id=${m}&limit=${limit}`);
        expect(next.status).toBe(200);
        const ids = next.body.items.map((i: { movie_id: string }) => i.movie_id);
        expect(ids.length).toBeGreaterThan(0);
        expect(ids.length).toBeLessThanOrEqual(limit);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).not.toContain(m);
      }),
      { numRuns: 40 },
    );
  });

  it('both endpoints are in /openapi.json with their parameters', async () => {
    const doc = (await getJson(base, '/openapi.json')).body as { paths: Record<string, { get: { parameters: Array<{ name: string }> } }> };
    expect(doc.paths['/home-rows'].get.parameters.map((p) => p.name)).toEqual(['user_id', 'rows', 'per_row']);
    expect(doc.paths['/up-next'].get.parameters.map((p) => p.name)).toEqual(['user_id', 'movie_id', 'limit']);
  });
});
