import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../data/world-dir';
import { GENRES, PRESETS, generateWorld, loadOracle, type Oracle } from '../../data/generator';
import { Rng, WeightedSampler } from '../../data/rng';
import { tempDir } from '../helpers/paths';
import { EVENTS_SCHEMA, parquetSchema, worldRows, type Row } from '../helpers/world-files';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('synthetic world generator, tiny preset', () => {
  const dirA = tempDir('gen-a');
  const dirB = tempDir('gen-b');
  const dirC = tempDir('gen-c');
  let manifest: Manifest;
  let events: Row[];
  let movies: Row[];
  let oracle: Oracle;

  beforeAll(async () => {
    manifest = await generateWorld({ preset: 'tiny', seed: 7, outDir: dirA });
    await generateWorld({ preset: 'tiny', seed: 7, outDir: dirB });
    await generateWorld({ preset: 'tiny', seed: 8, outDir: dirC });
    events = await worldRows(join(dirA, 'events.parquet'));
    movies = await worldRows(join(dirA, 'movies.csv'));
    oracle = await loadOracle(dirA);
  });
  afterAll(() => {
    for (const d of [dirA, dirB, dirC]) rmSync(d, { recursive: true, force: true });
  });

  it('the same seed writes byte-identical files, truth included', () => {
    const files = filesUnder(dirA);
    expect(files).toEqual(filesUnder(dirB));
    expect(files).toEqual(expect.arrayContaining(['events.parquet', 'movies.csv', 'manifest.json', join('truth', 'meta.json'), join('truth', 'user_latent.f32')]));
    for (const f of files) expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
  });

  it('a different seed writes a different world', () => {
    expect(readFileSync(join(dirC, 'events.parquet')).equals(readFileSync(join(dirA, 'events.parquet')))).toBe(false);
    expect(readFileSync(join(dirC, 'movies.csv')).equals(readFileSync(join(dirA, 'movies.csv')))).toBe(false);
  });

  it('a tiny world has about 300 users, 200 titles and 10–20 thousand events, and the manifest says so', () => {
    expect(manifest).toEqual({
      kind: 'synthetic', preset: 'tiny', seed: 7, users: 300, titles: 200, events: events.length,
      start: '2026-10-02T00:00:00Z', end: '2026-10-31T23:59:59Z',
    });
    expect(JSON.parse(readFileSync(join(dirA, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(events.length).toBeGreaterThanOrEqual(10_000);
    expect(events.length).toBeLessThanOrEqual(20_000);
    expect(movies).toHaveLength(200);
    expect(new Set(events.map((e) => e.user_id)).size).toBe(300);
  });

  it('events are sorted by time, never after the end, with unique ids e1…eN in that order', () => {
    for (let j = 1; j < events.length; j++) expect(events[j - 1].ts <= events[j].ts).toBe(true);
    expect(events[0].ts >= manifest.start).toBe(true);
    expect(events[events.length - 1].ts <= manifest.end).toBe(true);
    expect(events.every((e, j) => e.event_id === `e${j + 1}`)).toBe(true);
  });

  it('every event follows the contract: known types, ISO seconds, 0.5-step ratings, watches within the title length', () => {
    const duration = new Map(movies.map((m) => [m.movie_id, Number(m.duration_seconds)]));
    const types = new Set<string>();
    const problems: string[] = [];
    for (const e of events) {
      types.add(e.event_type);
      const bad = (why: string) => problems.push(`${e.event_id}: ${why}`);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(e.ts)) bad(`ts ${e.ts}`);
      if (!duration.has(e.movie_id)) bad(`unknown title ${e.movie_id}`);
      if (!['', 'home_feed', 'search', 'browse'].includes(e.source)) bad(`source ${e.source}`);
      if (e.event_type === 'watch') {
        const w = Number(e.watch_seconds);
        if (Number(e.duration_seconds) !== duration.get(e.movie_id)) bad('duration differs from the catalog');
        if (!(w > 0 && w <= Number(e.duration_seconds))) bad(`watch_seconds ${e.watch_seconds}`);
      } else if (e.watch_seconds !== '' || e.duration_seconds !== '') bad('seconds on a non-watch event');
      if (e.rating !== '') {
        const r = Number(e.rating);
        if (!(r >= 0.5 && r <= 5 && Number.isInteger(r * 2))) bad(`rating ${e.rating}`);
      }
      if ((e.event_type === 'rating') !== (e.rating !== '')) bad('rating only and always on rating events');
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect([...types].sort()).toEqual(['browse', 'impression', 'rating', 'search', 'watch']);
    const watches = events.filter((e) => e.event_type === 'watch').length;
    const ratings = events.filter((e) => e.event_type === 'rating').length;
    expect(ratings / watches).toBeGreaterThan(0.12);
    expect(ratings / watches).toBeLessThan(0.28);
  });

  it('titles carry 1–3 known genres and a duration; most predate the range and some arrive during it, none watched before it exists', () => {
    const added = new Map(movies.map((m) => [m.movie_id, m.added_at]));
    for (const m of movies) {
      const g = m.genres.split('|');
      expect(g.length).toBeGreaterThanOrEqual(1);
      expect(g.length).toBeLessThanOrEqual(3);
      for (const x of g) expect(GENRES).toContain(x);
      expect(Number(m.duration_seconds)).toBeGreaterThan(3600);
      expect(m.added_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const fresh = movies.filter((m) => m.added_at >= manifest.start).length;
    expect(fresh).toBeGreaterThan(10);
    expect(fresh).toBeLessThan(60);
    for (const e of events) expect(e.ts >= added.get(e.movie_id)!).toBe(true);
  });

  it('new users keep arriving: a good share of users first appear after the first week', () => {
    const first = new Map<string, string>();
    for (const e of events) if (!first.has(e.user_id)) first.set(e.user_id, e.ts);
    const weekOne = '2026-10-09T00:00:00Z';
    const late = [...first.values()].filter((ts) => ts >= weekOne).length;
    expect(late).toBeGreaterThan(60);
  });

  it('activity is heavy-tailed: the busiest tenth of users make far more events than the median user', () => {
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.user_id, (counts.get(e.user_id) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.9)]).toBeGreaterThan(3 * sorted[Math.floor(sorted.length / 2)]);
  });

  it('watches that fit the viewer best are completed, poor fits are abandoned early', () => {
    const fitCache = new Map<string, Float32Array>();
    const movieIndex = new Map(oracle.movieIds.map((id, i) => [id, i]));
    const fitted = events
      .filter((e) => e.event_type === 'watch')
      .map((e) => {
        const key = `${e.user_id}@${e.ts.slice(0, 10)}`;
        let fit = fitCache.get(key);
        if (!fit) fitCache.set(key, (fit = oracle.fit(e.user_id, new Date(e.ts))));
        return { fit: fit[movieIndex.get(e.movie_id)!], completion: Number(e.watch_seconds) / Number(e.duration_seconds) };
      })
      .sort((a, b) => a.fit - b.fit);
    const q = Math.floor(fitted.length / 4);
    const bottom = mean(fitted.slice(0, q).map((x) => x.completion));
    const top = mean(fitted.slice(-q).map((x) => x.completion));
    expect(top).toBeGreaterThan(0.85);
    expect(bottom).toBeLessThan(0.6);
    expect(top - bottom).toBeGreaterThan(0.3);
  });

  it('the oracle ranks the titles users go on to watch higher than popularity does', () => {
    const movieIndex = new Map(oracle.movieIds.map((id, i) => [id, i]));
    const watchCount = new Float32Array(oracle.movieIds.length);
    for (const e of events) if (e.event_type === 'watch') watchCount[movieIndex.get(e.movie_id)!]++;
    // Percentile of the watched title among the titles available then (1 = ranked first).
    const percentile = (s: Float32Array, available: Float32Array, i: number) => {
      let below = 0;
      let n = 0;
      for (let j = 0; j < s.length; j++) {
        if (available[j] === -Infinity) continue;
        n++;
        if (s[j] < s[i]) below++;
      }
      return below / n;
    };
    const oracleP: number[] = [];
    const popularityP: number[] = [];
    for (const e of events.filter((x) => x.event_type === 'watch' && x.source === 'home_feed').slice(0, 2000)) {
      const s = oracle.score(e.user_id, new Date(e.ts));
      const i = movieIndex.get(e.movie_id)!;
      oracleP.push(percentile(s, s, i));
      popularityP.push(percentile(watchCount, s, i));
    }
    expect(mean(oracleP)).toBeGreaterThan(0.75);
    expect(mean(oracleP)).toBeGreaterThan(mean(popularityP) + 0.05);
  });

  it('the oracle scores titles that are not yet added as -Infinity and knows every user and title', () => {
    expect(oracle.userIds).toHaveLength(300);
    expect(oracle.movieIds).toEqual(movies.map((m) => m.movie_id));
    const s = oracle.score('u1', new Date(manifest.start));
    movies.forEach((m, i) => expect(s[i] === -Infinity).toBe(m.added_at > manifest.start));
    expect(() => oracle.score('nobody', new Date(manifest.start))).toThrow(/unknown user/);
  });

  it('DuckDB reads both files with the contract column types', async () => {
    expect(await parquetSchema(join(dirA, 'events.parquet'))).toEqual(EVENTS_SCHEMA);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const ev = await conn.runAndReadAll(
      `SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids, count(rating)::INT AS ratings, max(ts) <= TIMESTAMPTZ '2026-10-31 23:59:59+00' AS in_range
       FROM read_parquet($p)`,
      { p: join(dirA, 'events.parquet') },
    );
    expect(ev.getRowObjects()[0]).toEqual({ n: events.length, ids: events.length, ratings: events.filter((e) => e.rating !== '').length, in_range: true });
    const mv = await conn.runAndReadAll(
      `SELECT count(*)::INT AS n, count(*) FILTER (WHERE title LIKE '%,%')::INT AS with_comma, min(len(string_split(genres, '|')))::INT AS min_genres
       FROM read_csv($p, header = true, auto_detect = false, columns = {'movie_id': 'VARCHAR', 'title': 'VARCHAR', 'year': 'INTEGER',
         'genres': 'VARCHAR', 'tags': 'VARCHAR', 'duration_seconds': 'INTEGER', 'added_at': 'TIMESTAMP'})`,
      { p: join(dirA, 'movies.csv') },
    );
    const m = mv.getRowObjects()[0] as { n: number; with_comma: number; min_genres: number };
    expect(m.n).toBe(200);
    expect(m.with_comma).toBe(movies.filter((x) => x.title.includes(',')).length);
    expect(m.with_comma).toBeGreaterThan(0);
    expect(m.min_genres).toBe(1);
    conn.closeSync();
  });

  it('a world without truth/ has no oracle, and an unknown preset is refused', async () => {
    await expect(loadOracle(tempDir('gen-empty'))).rejects.toThrow(/truth\/meta\.json/);
    await expect(generateWorld({ preset: 'huge' as 'tiny', seed: 1, outDir: tempDir('gen-x') })).rejects.toThrow(/unknown preset "huge"/);
  });

  it('truth files hold exactly the shapes meta.json declares', () => {
    const meta = JSON.parse(readFileSync(join(dirA, 'truth', 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'recs-truth/1', nUsers: 300, nTitles: 200, dims: PRESETS.tiny.dims, genres: [...GENRES] });
    expect(statSync(join(dirA, 'truth', 'user_latent.f32')).size).toBe(300 * meta.dims * 4);
    expect(statSync(join(dirA, 'truth', 'item_genre.f32')).size).toBe(200 * GENRES.length * 4);
    expect(statSync(join(dirA, 'truth', 'item_added.f64')).size).toBe(200 * 8);
    expect(relative(dirA, join(dirA, 'truth'))).toBe('truth');
  });
});

describe('synthetic world generator, large preset at a reduced size (catalog sampled per block of users)', () => {
  const dirA = tempDir('gen-large-a');
  const dirB = tempDir('gen-large-b');
  let manifest: Manifest;
  let events: Row[];

  beforeAll(async () => {
    // 2 500 users in three blocks of 1 000, each drawing from ≈ 2 000 of the 20 000 titles.
    manifest = await generateWorld({ preset: 'large', seed: 5, users: 2_500, titles: 20_000, outDir: dirA });
    await generateWorld({ preset: 'large', seed: 5, users: 2_500, titles: 20_000, outDir: dirB });
    events = await worldRows(join(dirA, 'events.parquet'));
  }, 120_000);
  afterAll(() => {
    for (const d of [dirA, dirB]) rmSync(d, { recursive: true, force: true });
  });

  it('the full-size preset is the target scale: 10^6 users and 10^5 titles', () => {
    expect(PRESETS.large).toMatchObject({ users: 1_000_000, titles: 100_000 });
  });

  it('the size overrides are what gets made, deterministic by seed, at 30+ events per user', () => {
    expect(manifest).toMatchObject({ preset: 'large', seed: 5, users: 2_500, titles: 20_000, events: events.length });
    expect(events.length / 2_500).toBeGreaterThanOrEqual(30);
    for (const f of filesUnder(dirA)) expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
    expect(filesUnder(dirA).some((f) => f.startsWith('.gen-tmp'))).toBe(false);
  });

  it('events are in time order with ids e1…eN, and every block reaches past the popular head of the catalog', () => {
    for (let j = 1; j < events.length; j++) expect(events[j - 1].ts <= events[j].ts).toBe(true);
    expect(events.every((e, j) => e.event_id === `e${j + 1}`)).toBe(true);
    const titlesOfBlock = [new Set<string>(), new Set<string>(), new Set<string>()];
    for (const e of events) titlesOfBlock[Math.floor((Number(e.user_id.slice(1)) - 1) / 1_000)].add(e.movie_id);
    // Each block sees its own tail: many titles, and blocks differ beyond the shared head.
    for (const s of titlesOfBlock) expect(s.size).toBeGreaterThan(800);
    const [a, b] = titlesOfBlock;
    const onlyA = [...a].filter((m) => !b.has(m)).length;
    expect(onlyA).toBeGreaterThan(200);
  });
});

describe('seeded random numbers', () => {
  it('the same seed and stream repeat; another stream differs', () => {
    const draw = (seed: number, stream: number) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 5 }, () => r.nextUint32());
    };
    expect(draw(1, 0)).toEqual(draw(1, 0));
    expect(draw(1, 1)).not.toEqual(draw(1, 0));
    expect(draw(2, 0)).not.toEqual(draw(1, 0));
  });

  it('the weighted sampler draws in proportion to weights, also after a weight changes', () => {
    const s = new WeightedSampler(5);
    s.build([1, 0, 3, 0, 6]);
    const rng = new Rng(3);
    const hits = new Array(5).fill(0);
    for (let j = 0; j < 20_000; j++) hits[s.sample(rng.float())]++;
    expect(hits[1]).toBe(0);
    expect(hits[3]).toBe(0);
    expect(hits[4] / 20_000).toBeCloseTo(0.6, 1);
    s.scale(4, 0);
    expect(s.total).toBeCloseTo(4, 9);
    hits.fill(0);
    for (let j = 0; j < 20_000; j++) hits[s.sample(rng.float())]++;
    expect(hits[4]).toBe(0);
    expect(hits[2] / 20_000).toBeCloseTo(0.75, 1);
  });
});
