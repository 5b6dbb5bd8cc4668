import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DURATION_SECONDS, detectMovieLensFormat, importMovieLens } from '../../data/movielens';
import type { Manifest } from '../../data/world-dir';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { FIXTURES, tempDir } from '../helpers/paths';
import { EVENTS_SCHEMA, parquetSchema, worldRows } from '../helpers/world-files';

const FIX = join(FIXTURES, 'movielens');

interface World {
  manifest: Manifest;
  movies: Record<string, string>[];
  events: Record<string, string>[];
  moviesText: string;
  eventsBytes: Buffer;
  dir: string;
}

async function importDir(inDir: string): Promise<World> {
  const out = tempDir('ml-out');
  const manifest = await importMovieLens(inDir, out);
  const moviesText = readFileSync(join(out, 'movies.csv'), 'utf8');
  const eventsBytes = readFileSync(join(out, 'events.parquet'));
  return { manifest, movies: await worldRows(join(out, 'movies.csv')), events: await worldRows(join(out, 'events.parquet')), moviesText, eventsBytes, dir: out };
}
const importFixture = (name: string) => importDir(join(FIX, name));

/** A MovieLens directory made of the given files. */
function release(files: Record<string, string | Buffer>): string {
  const dir = tempDir('ml-in');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

const byId = (w: World, id: string) => w.movies.find((m) => m.movie_id === id)!;

describe('ml-latest (ratings.csv + movies.csv + tags.csv)', () => {
  let w: World;
  beforeAll(async () => {
    w = await importFixture('latest');
  });

  it('writes the contract columns and a manifest that counts what was written', async () => {
    expect(w.moviesText.split('\n')[0]).toBe('movie_id,title,year,genres,tags,duration_seconds,added_at');
    expect(await parquetSchema(join(w.dir, 'events.parquet'))).toEqual(EVENTS_SCHEMA);
    expect(w.manifest).toEqual({
      kind: 'movielens', format: 'ml-latest', users: 3, titles: 6, events: 7,
      start: '2000-07-30T18:20:47Z', end: '2017-07-14T02:40:00Z',
    });
  });

  it('a quoted title with a comma keeps its comma, loses its trailing year, and is quoted again on output', () => {
    expect(byId(w, '11')).toMatchObject({ title: 'American President, The', year: '1995' });
    expect(w.moviesText).toContain('11,"American President, The",1995,Comedy|Drama|Romance,');
    expect(byId(w, '29').title).toBe('City of Lost Children, The (Cité des enfants perdus, La)');
    expect(byId(w, '170').title).toBe('Say "Anything" Else');
  });

  it('a title without a year keeps its text and gets an empty year; "(no genres listed)" means no genres', () => {
    expect(byId(w, '143410')).toMatchObject({ title: 'Hyena Road', year: '', genres: '' });
    expect(byId(w, '162376')).toMatchObject({ title: 'Stranger Things', year: '', genres: 'Drama' });
  });

  it('tags are lowercased, trimmed, deduplicated and ordered by how often they were given', () => {
    expect(byId(w, '1').tags).toBe('pixar|fun, family');
    expect(byId(w, '11').tags).toBe('politics');
    expect(byId(w, '29').tags).toBe('');
  });

  it('each rating becomes one fully watched watch event carrying the rating', () => {
    expect(w.events).toHaveLength(7);
    for (const e of w.events) {
      expect(e.event_type).toBe('watch');
      expect(e.watch_seconds).toBe(String(DEFAULT_DURATION_SECONDS));
      expect(e.duration_seconds).toBe(String(DEFAULT_DURATION_SECONDS));
      expect(e.source).toBe('');
    }
    expect(w.events.find((e) => e.user_id === '2' && e.movie_id === '143410')).toMatchObject({
      event_id: 'ml-2-143410-1500000000', ts: '2017-07-14T02:40:00Z', rating: '0.5',
    });
  });

  it('events come out in time order, ties in file order, with unique ids', () => {
    const ts = w.events.map((e) => e.ts);
    expect([...ts].sort()).toEqual(ts);
    expect(w.events.slice(0, 2).map((e) => e.event_id)).toEqual(['ml-1-11-964981247', 'ml-3-170-964981247']);
    expect(new Set(w.events.map((e) => e.event_id)).size).toBe(w.events.length);
  });

  it('a title is added at its first rating; a title nobody rated is added at the earliest event', () => {
    expect(byId(w, '1').added_at).toBe('2000-07-30T18:37:04Z'); // user 2's 964982224, before user 1's 964982703 (18:45:03)
    expect(byId(w, '162376').added_at).toBe(w.manifest.start);
  });

  it('importing the same files twice gives byte-identical worlds', async () => {
    const again = await importFixture('latest');
    expect(again.moviesText).toBe(w.moviesText);
    expect(again.eventsBytes.equals(w.eventsBytes)).toBe(true);
  });
});

describe('ml-1m (::-separated, Latin-1)', () => {
  let w: World;
  beforeAll(async () => {
    w = await importFixture('ml-1m');
  });

  it('decodes Latin-1 titles, so "Cité" arrives as UTF-8 é', () => {
    expect(readFileSync(join(FIX, 'ml-1m', 'movies.dat')).includes(Buffer.from([0x43, 0x69, 0x74, 0xe9]))).toBe(true);
    expect(byId(w, '29').title).toBe('City of Lost Children, The (Cité des enfants perdus, La)');
    expect(w.moviesText).toContain('Cité');
  });

  it('keeps ids, genres and integer ratings as in the files', () => {
    expect(w.manifest).toMatchObject({ kind: 'movielens', format: 'ml-1m', users: 2, titles: 3, events: 4 });
    expect(byId(w, '1')).toMatchObject({ title: 'Toy Story', year: '1995', genres: "Animation|Children's|Comedy" });
    expect(w.events.map((e) => e.event_id)).toEqual(['ml-6040-29-956703932', 'ml-6040-1-956703932', 'ml-1-1-978300760', 'ml-1-3952-978302109']);
    expect(w.events.map((e) => e.rating)).toEqual(['4.0', '2.0', '5.0', '3.0']);
  });
});

describe('ml-100k (u.data + u.item)', () => {
  let w: World;
  beforeAll(async () => {
    w = await importFixture('ml-100k');
  });

  it('maps the 19 genre flags to names in u.item order, "unknown" meaning none', () => {
    expect(byId(w, '1').genres).toBe("Animation|Children's|Comedy");
    expect(byId(w, '1366').genres).toBe('Comedy|Musical|Romance');
    expect(byId(w, '267')).toMatchObject({ title: 'unknown', year: '', genres: '' });
  });

  it('decodes the Latin-1 ç and reads tab-separated ratings', () => {
    expect(byId(w, '1366')).toMatchObject({ title: 'Jeanne et le garçon formidable', year: '1998' });
    expect(w.manifest).toMatchObject({ format: 'ml-100k', users: 2, titles: 3, events: 3 });
    expect(w.events[0]).toMatchObject({ user_id: '196', movie_id: '1', rating: '3.0', ts: '1997-12-04T15:55:49Z' });
  });
});

describe('bad input', () => {
  it('a directory without MovieLens files fails with what was found and what is expected', async () => {
    const dir = tempDir('ml-empty');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    await expect(importMovieLens(dir, tempDir('ml-out'))).rejects.toThrow(/found notes\.txt; expected one of: ratings\.csv \+ movies\.csv.*u\.data \+ u\.item/);
  });

  it('a missing directory fails with its path', async () => {
    await expect(importMovieLens(join(FIX, 'nope'), tempDir('ml-out'))).rejects.toThrow(/cannot read MovieLens directory .*nope/);
  });

  it('a rating DuckDB cannot read as a number fails with the file, the line and the reason, and leaves no manifest', async () => {
    const dir = release({
      'movies.csv': 'movieId,title,genres\n1,A (2000),Drama\n',
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,1,nine,964982703\n',
    });
    const out = tempDir('ml-out');
    await expect(importMovieLens(dir, out)).rejects.toThrow(/ratings\.csv:3: expected userId,movieId,rating,timestamp, got "1,1,nine,964982703": .*"nine"/);
    expect(readdirSync(out)).not.toContain('manifest.json');
  });

  it('a line with too few fields is reported with its line, even after a blank line, with the later bad lines counted', async () => {
    const dir = release({
      'u.item': '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n',
      'u.data': '196\t1\t3\t881250949\n\n196\t1\n7\t1\t4\n',
    });
    await expect(importMovieLens(dir, tempDir('ml-out'))).rejects.toThrow(/u\.data:3: expected user<TAB>item<TAB>rating<TAB>timestamp, got "196\t1": .*Expected Number of Columns: 4.*\(and more: lines 4\)/);
  });

  it('a rating outside 0.5–5, or not in halves, fails with the row and the rule it breaks', async () => {
    for (const [rating, rule] of [['7', /rating outside 0\.5–5/], ['3.3', /steps of 0\.5/]] as const) {
      const dir = release({ 'movies.dat': '1::A (2000)::Drama\n', 'ratings.dat': `1::1::4::978300760\n1::1::${rating}::978300761\n` });
      await expect(importMovieLens(dir, tempDir('ml-out'))).rejects.toThrow(new RegExp(`ratings\\.dat: data row 2 .*got 1, 1, ${rating.replace('.', '\\.')}, 978300761: .*${rule.source}`));
    }
  });

  it('a titles file with another header is refused at line 1', async () => {
    const dir = release({ 'movies.csv': 'id,name,genres\n1,A,Drama\n', 'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n' });
    await expect(importMovieLens(dir, tempDir('ml-out'))).rejects.toThrow(/movies\.csv:1: expected header "movieId,title,genres", got "id,name,genres"/);
  });

  it('a rated title missing from the titles file keeps its events, and ingest quarantines them as unknown titles', async () => {
    const dir = release({
      'movies.csv': 'movieId,title,genres\n1,A (2000),Drama\n',
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,999,3.0,964982704\n',
    });
    const w = await importDir(dir);
    expect(w.manifest).toMatchObject({ titles: 1, events: 2 });
    expect(w.events.map((e) => e.movie_id)).toEqual(['1', '999']);
    const wh = await Warehouse.open(':memory:');
    try {
      await initSchema(wh);
      await ingestFile(wh, 'titles', join(w.dir, 'movies.csv'));
      const c = await ingestFile(wh, 'events', join(w.dir, 'events.parquet'));
      expect(c).toMatchObject({ rowsRead: 2, ingested: 1, quarantined: 1 });
      const q = await wh.query<{ reason: string; raw: string }>("SELECT reason, raw FROM quarantine WHERE kind = 'event'");
      expect(q.map((r) => r.reason)).toEqual(['unknown_title']);
      expect(JSON.parse(q[0].raw)).toMatchObject({ event_id: 'ml-1-999-964982704', movie_id: '999' });
    } finally {
      wh.close();
    }
  });
});

describe('helpers', () => {
  it('format detection needs both files of a pair', () => {
    expect(detectMovieLensFormat(['ratings.csv', 'movies.csv', 'links.csv'])).toBe('ml-latest');
    expect(detectMovieLensFormat(['ratings.dat', 'movies.dat'])).toBe('ml-1m');
    expect(detectMovieLensFormat(['u.data', 'u.item', 'u.user'])).toBe('ml-100k');
    expect(detectMovieLensFormat(['ratings.csv'])).toBeNull();
  });

  it('a trailing year or year range is split off; other parentheses stay', async () => {
    const titles = ['Heat (1995)', 'Fawlty Towers (1975-1979)', 'Big Bang Theory (2007-) ', 'Babylon 5', '1492: Conquest (of Paradise)', '(1999)', 'Old (1850)'];
    const dir = release({
      'movies.csv': 'movieId,title,genres\n' + titles.map((t, i) => `${i + 1},"${t}",Drama\n`).join(''),
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n',
    });
    const w = await importDir(dir);
    expect(w.movies.map((m) => [m.title, m.year])).toEqual([
      ['Heat', '1995'], ['Fawlty Towers', '1975'], ['Big Bang Theory', '2007'], ['Babylon 5', ''],
      ['1492: Conquest (of Paradise)', ''], ['(1999)', ''], ['Old (1850)', ''],
    ]);
  });
});
