import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsvText, type Manifest } from '../../data/csv';
import { DEFAULT_DURATION_SECONDS, detectMovieLensFormat, importMovieLens, sortOrderByKey, splitTitleYear } from '../../data/movielens';
import { FIXTURES, tempDir } from '../helpers/paths';

const FIX = join(FIXTURES, 'movielens');

interface World {
  manifest: Manifest;
  movies: Record<string, string>[];
  events: Record<string, string>[];
  moviesText: string;
  eventsText: string;
}

async function importFixture(name: string): Promise<World> {
  const out = tempDir(`ml-${name}`);
  const manifest = await importMovieLens(join(FIX, name), out);
  const moviesText = readFileSync(join(out, 'movies.csv'), 'utf8');
  const eventsText = readFileSync(join(out, 'events.csv'), 'utf8');
  const rows = (text: string) => {
    const [header, ...body] = parseCsvText(text);
    return body.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j]])));
  };
  return { manifest, movies: rows(moviesText), events: rows(eventsText), moviesText, eventsText };
}

const byId = (w: World, id: string) => w.movies.find((m) => m.movie_id === id)!;

describe('ml-latest (ratings.csv + movies.csv + tags.csv)', () => {
  let w: World;
  beforeAll(async () => {
    w = await importFixture('latest');
  });

  it('writes the contract headers and a manifest that counts what was written', () => {
    expect(w.moviesText.split('\n')[0]).toBe('movie_id,title,year,genres,tags,duration_seconds,added_at');
    expect(w.eventsText.split('\n')[0]).toBe('event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source');
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
    expect(again.eventsText).toBe(w.eventsText);
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

  it('a malformed rating line fails with the file and line number', async () => {
    const dir = tempDir('ml-bad');
    writeFileSync(join(dir, 'movies.csv'), 'movieId,title,genres\n1,A (2000),Drama\n');
    writeFileSync(join(dir, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,1,nine,964982703\n');
    const out = tempDir('ml-out');
    await expect(importMovieLens(dir, out)).rejects.toThrow(/ratings\.csv:3: expected/);
    expect(readdirSync(out)).not.toContain('manifest.json');
  });
});

describe('helpers', () => {
  it('format detection needs both files of a pair', () => {
    expect(detectMovieLensFormat(['ratings.csv', 'movies.csv', 'links.csv'])).toBe('ml-latest');
    expect(detectMovieLensFormat(['ratings.dat', 'movies.dat'])).toBe('ml-1m');
    expect(detectMovieLensFormat(['u.data', 'u.item', 'u.user'])).toBe('ml-100k');
    expect(detectMovieLensFormat(['ratings.csv'])).toBeNull();
  });

  it('a trailing year or year range is split off; other parentheses stay', () => {
    expect(splitTitleYear('Heat (1995)')).toEqual({ title: 'Heat', year: 1995 });
    expect(splitTitleYear('Fawlty Towers (1975-1979)')).toEqual({ title: 'Fawlty Towers', year: 1975 });
    expect(splitTitleYear('Big Bang Theory (2007-) ')).toEqual({ title: 'Big Bang Theory', year: 2007 });
    expect(splitTitleYear('Babylon 5')).toEqual({ title: 'Babylon 5', year: null });
    expect(splitTitleYear('1492: Conquest (of Paradise)')).toEqual({ title: '1492: Conquest (of Paradise)', year: null });
  });

  it('the radix sort orders by key and keeps ties in input order, across both 16-bit halves', () => {
    const keys = Uint32Array.from([70000, 5, 70000, 65536, 5, 4294967295, 0]);
    expect(Array.from(sortOrderByKey(keys, keys.length))).toEqual([6, 1, 4, 3, 0, 2, 5]);
  });
});
