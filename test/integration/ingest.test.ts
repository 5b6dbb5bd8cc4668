import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../data/generator';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { FIXTURES, tempDir } from '../helpers/paths';

const dir = join(FIXTURES, 'ingest');
let wh: Warehouse;
const now = new Date('2026-02-01T00:00:00Z');

beforeAll(async () => {
  wh = await Warehouse.open(join(tempDir('ingest'), 'wh.duckdb'));
  await initSchema(wh);
});
afterAll(() => wh.close());

describe('ingest of a file with bad rows', () => {
  it('keeps the good titles, quarantines the bad ones with a reason, and counts reconcile', async () => {
    const c = await ingestFile(wh, 'titles', join(dir, 'movies.csv'), now);
    expect(c).toMatchObject({ rowsRead: 9, ingested: 3, duplicates: 1, quarantined: 5, alreadyIngested: false });
    expect(c.rowsRead).toBe(c.ingested + c.duplicates + c.quarantined);
    const titles = await wh.query<{ movie_id: string; title: string; year: number | null; genres: string[] }>('SELECT movie_id, title, year, genres FROM catalog ORDER BY movie_id');
    expect(titles).toEqual([
      { movie_id: 'm1', title: 'Alpha', year: 1999, genres: ['Action', 'Drama'] },
      { movie_id: 'm2', title: 'Beta, the Sequel', year: 2001, genres: ['Comedy'] },
      { movie_id: 'm3', title: 'Gamma', year: null, genres: ['Drama'] },
    ]);
    const reasons = (await wh.query<{ reason: string }>("SELECT reason FROM quarantine WHERE kind = 'title' ORDER BY row_no")).map((r) => r.reason);
    expect(reasons).toEqual(['missing_movie_id', 'missing_title', 'bad_year', 'impossible_duration', 'unparseable_timestamp']);
  });

  it('every event rule appears in quarantine, good rows are exact, and counts reconcile', async () => {
    const c = await ingestFile(wh, 'events', join(dir, 'events.csv'), now);
    expect(c.rowsRead).toBe(19);
    expect(c.ingested).toBe(5);
    expect(c.duplicates).toBe(1);
    expect(c.quarantined).toBe(13);
    expect(c.rowsRead).toBe(c.ingested + c.duplicates + c.quarantined);

    const good = await wh.query<Record<string, unknown>>(
      "SELECT event_id, user_id, movie_id, event_type, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, watch_seconds, duration_seconds, rating, source FROM events ORDER BY event_id",
    );
    expect(good).toEqual([
      { event_id: 'e1', user_id: 'u1', movie_id: 'm1', event_type: 'watch', ts: '2026-01-05T10:00:00Z', watch_seconds: 5800, duration_seconds: 6000, rating: null, source: 'home_feed' },
      { event_id: 'e2', user_id: 'u1', movie_id: 'm2', event_type: 'watch', ts: '2026-01-05T12:00:00Z', watch_seconds: 600, duration_seconds: 5400, rating: null, source: null },
      { event_id: 'e3', user_id: 'u2', movie_id: 'm1', event_type: 'rating', ts: '2026-01-06T10:00:00Z', watch_seconds: null, duration_seconds: null, rating: 4.5, source: null },
      { event_id: 'e4', user_id: 'u2', movie_id: 'm3', event_type: 'search', ts: '2026-01-06T11:00:00Z', watch_seconds: null, duration_seconds: null, rating: null, source: 'search' },
      { event_id: 'e5', user_id: 'u3', movie_id: 'm2', event_type: 'browse', ts: '2026-01-07T11:00:00Z', watch_seconds: null, duration_seconds: null, rating: null, source: 'browse' },
    ]);

    const q = await wh.query<{ reason: string; raw: string }>("SELECT reason, raw FROM quarantine WHERE kind = 'event' ORDER BY row_no");
    expect(q.map((r) => r.reason)).toEqual([
      'missing_event_id', 'missing_user_id', 'missing_movie_id', 'unknown_event_type', 'unparseable_timestamp',
      'future_timestamp', 'unparseable_number', 'negative_duration', 'impossible_duration', 'missing_watch_seconds',
      'rating_out_of_range', 'missing_rating', 'unknown_title',
    ]);
    // The raw row is kept so nothing is lost: the unknown title's id is still there.
    expect(JSON.parse(q[12].raw)).toMatchObject({ event_id: 'e18', movie_id: 'm404' });
  });

  it('re-ingesting the same file changes nothing', async () => {
    const before = await wh.query<{ e: bigint; q: bigint; c: bigint }>('SELECT (SELECT count(*) FROM events) e, (SELECT count(*) FROM quarantine) q, (SELECT count(*) FROM catalog) c');
    const again = await ingestFile(wh, 'events', join(dir, 'events.csv'), now);
    expect(again.alreadyIngested).toBe(true);
    // A copy under another name is new content-wise identical: still nothing new is written.
    const copy = join(tempDir('ingest-copy'), 'events-copy.csv');
    copyFileSync(join(dir, 'events.csv'), copy);
    const c2 = await ingestFile(wh, 'events', copy, now);
    expect(c2.alreadyIngested).toBe(true);
    const after = await wh.query('SELECT (SELECT count(*) FROM events) e, (SELECT count(*) FROM quarantine) q, (SELECT count(*) FROM catalog) c');
    expect(after).toEqual(before);
  });
});

describe('a world holds its events as Parquet (written by recs generate / import) or as CSV', () => {
  const fromCsv = async (sql: string) => {
    const w = await Warehouse.open(':memory:');
    await w.conn.run(sql);
    w.close();
  };

  it('the same bad rows in a Parquet file get the same reasons as in CSV, and re-ingesting it is a no-op', async () => {
    const parquet = join(tempDir('ingest-parquet'), 'events.parquet');
    // The fixture's rows, untouched text, in Parquet: every rule must fire the same way.
    await fromCsv(`COPY (SELECT * FROM read_csv('${join(dir, 'events.csv')}', header = true, all_varchar = true, auto_detect = false,
      columns = {'event_id': 'VARCHAR', 'user_id': 'VARCHAR', 'movie_id': 'VARCHAR', 'event_type': 'VARCHAR', 'ts': 'VARCHAR',
                 'watch_seconds': 'VARCHAR', 'duration_seconds': 'VARCHAR', 'rating': 'VARCHAR', 'source': 'VARCHAR'}))
      TO '${parquet}' (FORMAT parquet)`);
    const other = await Warehouse.open(':memory:');
    try {
      await initSchema(other);
      await ingestFile(other, 'titles', join(dir, 'movies.csv'), now);
      const c = await ingestFile(other, 'events', parquet, now);
      expect(c).toMatchObject({ rowsRead: 19, ingested: 5, duplicates: 1, quarantined: 13, alreadyIngested: false });
      const reasons = async (w: Warehouse) => w.query<{ row_no: bigint; reason: string }>("SELECT row_no, reason FROM quarantine WHERE kind = 'event' ORDER BY row_no");
      expect(await reasons(other)).toEqual(await reasons(wh));
      const events = (w: Warehouse) => w.query('SELECT event_id, user_id, movie_id, event_type, ts, watch_seconds, duration_seconds, rating, source FROM events ORDER BY event_id');
      expect(await events(other)).toEqual(await events(wh));
      expect((await ingestFile(other, 'events', parquet, now)).alreadyIngested).toBe(true);
      expect(await other.query('SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 5 }]);
      // A large Parquet file goes in slices inside the one transaction: slice edges anywhere (a
      // row at a time included) change nothing — a repeat in a later slice is still a duplicate.
      for (const sliceRows of [1, 4, 7]) {
        const sliced = await Warehouse.open(':memory:');
        try {
          await initSchema(sliced);
          await ingestFile(sliced, 'titles', join(dir, 'movies.csv'), now);
          const seen: number[] = [];
          const s = await ingestFile(sliced, 'events', parquet, now, { sliceRows, onProgress: (rows, total) => (expect(total).toBe(19), seen.push(rows)) });
          expect(s, `slices of ${sliceRows}`).toMatchObject({ rowsRead: 19, ingested: 5, duplicates: 1, quarantined: 13 });
          expect(seen.at(-1)).toBe(19);
          expect(seen).toHaveLength(Math.ceil(19 / sliceRows));
          expect(await reasons(sliced)).toEqual(await reasons(wh));
          expect(await events(sliced)).toEqual(await events(wh));
          expect(await sliced.query("SELECT count(*)::INT AS n FROM quarantine WHERE kind = 'event' AND raw IS NOT NULL")).toEqual([{ n: 13 }]);
        } finally {
          sliced.close();
        }
      }
    } finally {
      other.close();
    }
  });

  it('a generated world ingests the same from events.parquet as from its events.csv copy', async () => {
    const base = tempDir('ingest-world');
    const world = join(base, 'world');
    await generateWorld({ preset: 'tiny', seed: 13, outDir: world });
    expect(existsSync(join(world, 'events.parquet'))).toBe(true);
    const csv = join(base, 'events.csv');
    await fromCsv(`COPY (SELECT * REPLACE (strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS ts) FROM read_parquet('${join(world, 'events.parquet')}'))
      TO '${csv}' (FORMAT csv, HEADER true)`);
    const afterWorld = new Date('2027-01-01T00:00:00Z'); // synthetic worlds end 2026-10-31
    const load = async (events: string) => {
      const w = await Warehouse.open(':memory:');
      try {
        await initSchema(w);
        await ingestFile(w, 'titles', join(world, 'movies.csv'), afterWorld);
        const c = await ingestFile(w, 'events', events, afterWorld);
        const rows = await w.query('SELECT event_id, user_id, movie_id, event_type, ts, watch_seconds, duration_seconds, rating, source FROM events ORDER BY ts, event_id');
        return { c, rows };
      } finally {
        w.close();
      }
    };
    const a = await load(join(world, 'events.parquet'));
    const b = await load(csv);
    const manifest = JSON.parse(readFileSync(join(world, 'manifest.json'), 'utf8')) as { events: number };
    expect(a.c).toMatchObject({ rowsRead: manifest.events, ingested: manifest.events, quarantined: 0, duplicates: 0 });
    expect(b.c).toMatchObject({ rowsRead: manifest.events, ingested: manifest.events, quarantined: 0, duplicates: 0 });
    expect(a.rows).toEqual(b.rows);
    expect(a.rows[0]).toMatchObject({ event_id: 'e1', user_id: expect.stringMatching(/^u\d+$/) });
  });
});
