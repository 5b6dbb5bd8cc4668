// Import a public MovieLens release into a world directory (see data/csv.ts).
//
// Formats, detected from the files present in the input directory:
//   ml-latest  ratings.csv + movies.csv (+ tags.csv): ml-latest(-small), ml-20m, ml-25m, ml-32m.
//              RFC-4180 CSV with a header, UTF-8; titles with commas are quoted.
//   ml-1m      ratings.dat + movies.dat (+ tags.dat, as in ml-10m): `::`-separated, Latin-1.
//   ml-100k    u.data (tab-separated user, item, rating, ts) + u.item (pipe-separated, Latin-1,
//              19 genre flags).
//
// Mapping: each rating becomes ONE watch event of a fully watched title (watch_seconds =
// duration_seconds = DEFAULT_DURATION_SECONDS, MovieLens has no durations) with the rating on it;
// event_id = `ml-{user}-{movie}-{ts}` (a user rates a title once, so it is unique and stable).
// Ids are kept as they appear in the files. A title's year comes from a trailing "(1995)" in its
// name (and is stripped from it); "(no genres listed)" and ml-100k's "unknown" mean no genres;
// tags are lowercased, deduplicated and ordered by how many times they were given.
// added_at = the title's first rating (titles nobody rated: the earliest event of the file).
//
// Files are streamed line by line; events are held only as flat typed arrays (≈ 13 bytes per
// rating, plus 8 for sorting), then sorted by time with a stable radix sort.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  EVENTS_COLUMNS,
  EVENTS_FILE,
  LineWriter,
  MOVIES_COLUMNS,
  MOVIES_FILE,
  beginWorldDir,
  eachCsvRecord,
  eachLine,
  isoUtc,
  titleLine,
  writeManifest,
  type Manifest,
  type TextEncodingName,
} from './csv';

export type MovieLensFormat = 'ml-latest' | 'ml-1m' | 'ml-100k';

/** MovieLens has no running times: every title and every watch gets this many seconds (100 minutes). */
export const DEFAULT_DURATION_SECONDS = 6000;
/** At most this many tags per title (the most frequently given ones): ml-25m has titles with hundreds. */
export const MAX_TAGS_PER_TITLE = 50;

const ML100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;
const NO_GENRES = new Set(['(no genres listed)', 'unknown']);

interface FormatSpec {
  format: MovieLensFormat;
  movies: string;
  ratings: string;
  tags?: string;
  describe: string;
}
const FORMATS: FormatSpec[] = [
  { format: 'ml-latest', movies: 'movies.csv', ratings: 'ratings.csv', tags: 'tags.csv', describe: 'ratings.csv + movies.csv [+ tags.csv] (ml-latest, ml-25m)' },
  { format: 'ml-1m', movies: 'movies.dat', ratings: 'ratings.dat', tags: 'tags.dat', describe: 'ratings.dat + movies.dat (ml-1m)' },
  { format: 'ml-100k', movies: 'u.item', ratings: 'u.data', describe: 'u.data + u.item (ml-100k)' },
];

/** Which MovieLens format a directory listing holds, or null. */
export function detectMovieLensFormat(files: readonly string[]): MovieLensFormat | null {
  const have = new Set(files);
  return FORMATS.find((f) => have.has(f.movies) && have.has(f.ratings))?.format ?? null;
}

/** Title text and year from a MovieLens title: "Heat (1995)" → { "Heat", 1995 }; no trailing year → as is, null. */
export function splitTitleYear(raw: string): { title: string; year: number | null } {
  const m = /^(.*?)\s*\((\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$/.exec(raw);
  if (m && m[1].trim() !== '') {
    const year = Number(m[2]);
    if (year >= 1870 && year <= 2100) return { title: m[1].trim(), year };
  }
  return { title: raw.trim(), year: null };
}

/** Growable typed array. */
class Grow<T extends Uint32Array | Int32Array | Uint8Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/** Stable LSD radix sort (two 16-bit passes): the permutation that orders keys ascending. */
export function sortOrderByKey(keys: Uint32Array, n: number): Uint32Array {
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  for (let j = 0; j < n; j++) src[j] = j;
  const counts = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[((keys[j] >>> shift) & 0xffff) + 1]++;
    for (let b = 1; b <= 65536; b++) counts[b] += counts[b - 1];
    for (let j = 0; j < n; j++) {
      const idx = src[j];
      dst[counts[(keys[idx] >>> shift) & 0xffff]++] = idx;
    }
    [src, dst] = [dst, src];
  }
  return src;
}

function malformed(file: string, lineNo: number, expected: string, line: string): Error {
  const shown = line.length > 120 ? line.slice(0, 120) + '…' : line;
  return new Error(`${file}:${lineNo}: expected ${expected}, got "${shown}"`);
}

/** Import the MovieLens release in inDir into the world directory outDir. */
export async function importMovieLens(inDir: string, outDir: string, onProgress?: (msg: string) => void): Promise<Manifest> {
  const progress = onProgress ?? (() => {});
  let files: string[];
  try {
    if (!(await stat(inDir)).isDirectory()) throw new Error('not a directory');
    files = (await readdir(inDir)).sort();
  } catch (e) {
    throw new Error(`cannot read MovieLens directory ${inDir}: ${(e as Error).message}`);
  }
  const spec = FORMATS.find((f) => f.format === detectMovieLensFormat(files));
  if (!spec) {
    const found = files.length ? files.slice(0, 20).join(', ') + (files.length > 20 ? `, … (${files.length} files)` : '') : 'no files';
    throw new Error(`${inDir} is not a MovieLens release: found ${found}; expected one of: ${FORMATS.map((f) => f.describe).join('; ')}`);
  }
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  const enc: TextEncodingName = spec.format === 'ml-latest' ? 'utf-8' : 'latin1';
  progress(`format ${spec.format} in ${basename(inDir)}`);

  // ---- titles, in file order
  const movieIndex = new Map<string, number>();
  const movieIds: string[] = [];
  const names: string[] = [];
  const years: (number | null)[] = [];
  const genres: string[][] = [];
  let duplicateTitles = 0;
  const addTitle = (id: string, rawTitle: string, g: string[]) => {
    if (movieIndex.has(id)) {
      duplicateTitles++;
      return;
    }
    movieIndex.set(id, movieIds.length);
    movieIds.push(id);
    const { title, year } = splitTitleYear(rawTitle);
    names.push(title);
    years.push(year);
    genres.push(g.filter((x) => x !== '' && !NO_GENRES.has(x)));
  };
  const moviesPath = join(inDir, spec.movies);
  if (spec.format === 'ml-latest') {
    await eachCsvRecord(moviesPath, enc, (f, lineNo) => {
      if (lineNo === 1) {
        if (f.join(',') !== 'movieId,title,genres') throw malformed(spec.movies, 1, 'header "movieId,title,genres"', f.join(','));
        return;
      }
      if (f.length !== 3) throw malformed(spec.movies, lineNo, '3 fields movieId,title,genres', f.join(','));
      addTitle(f[0].trim(), f[1], f[2].split('|'));
    });
  } else if (spec.format === 'ml-1m') {
    await eachLine(moviesPath, enc, (line, lineNo) => {
      if (line === '') return;
      const f = line.split('::');
      if (f.length !== 3) throw malformed(spec.movies, lineNo, 'MovieID::Title::Genres', line);
      addTitle(f[0].trim(), f[1], f[2].split('|'));
    });
  } else {
    await eachLine(moviesPath, enc, (line, lineNo) => {
      if (line === '') return;
      const f = line.split('|');
      if (f.length < 5 + ML100K_GENRES.length) throw malformed(spec.movies, lineNo, `id|title|release|video release|url|${ML100K_GENRES.length} genre flags`, line);
      const flags = f.slice(f.length - ML100K_GENRES.length);
      addTitle(f[0].trim(), f[1], ML100K_GENRES.filter((_, g) => flags[g].trim() === '1'));
    });
  }
  const nCatalog = movieIds.length;
  if (duplicateTitles) progress(`warning: ${duplicateTitles} repeated movie ids in ${spec.movies} (first row kept)`);
  progress(`read ${nCatalog} titles (${elapsed()})`);

  // ---- ratings → compact columns
  const userIndex = new Map<string, number>();
  const userIds: string[] = [];
  const evUser = new Grow(new Int32Array(1 << 16));
  const evMovie = new Grow(new Int32Array(1 << 16));
  const evTs = new Grow(new Uint32Array(1 << 16));
  const evRating2 = new Grow(new Uint8Array(1 << 16)); // rating × 2
  const firstTs: number[] = new Array<number>(nCatalog).fill(Infinity); // per movie index
  let lastUserId = '';
  let lastUser = -1;
  let minTs = Infinity;
  let maxTs = -Infinity;
  const ratingsFile = spec.ratings;
  const expected = spec.format === 'ml-latest' ? 'userId,movieId,rating,timestamp' : spec.format === 'ml-1m' ? 'UserID::MovieID::Rating::Timestamp' : 'user<TAB>item<TAB>rating<TAB>timestamp';
  const addRating = (f: string[], lineNo: number, line?: string) => {
    if (f.length !== 4) throw malformed(ratingsFile, lineNo, expected, line ?? f.join(','));
    const userId = f[0].trim();
    const movieId = f[1].trim();
    const rating = Number(f[2]);
    const ts = Number(f[3]);
    if (!userId || !movieId || !(rating >= 0.5 && rating <= 5 && Number.isInteger(rating * 2)) || !Number.isInteger(ts) || ts < 0 || ts > 0xffffffff) {
      throw malformed(ratingsFile, lineNo, `${expected} with a rating in 0.5–5 (steps of 0.5) and a unix timestamp`, line ?? f.join(','));
    }
    let u: number;
    if (userId === lastUserId) u = lastUser;
    else {
      const known = userIndex.get(userId);
      if (known === undefined) {
        u = userIds.length;
        userIndex.set(userId, u);
        userIds.push(userId);
      } else u = known;
      lastUserId = userId;
      lastUser = u;
    }
    let m = movieIndex.get(movieId);
    if (m === undefined) {
      // Rated but not in the titles file: keep the events (ingest quarantines them as unknown titles).
      m = movieIds.length;
      movieIndex.set(movieId, m);
      movieIds.push(movieId);
      firstTs.push(Infinity);
    }
    evUser.push(u);
    evMovie.push(m);
    evTs.push(ts);
    evRating2.push(rating * 2);
    if (ts < firstTs[m]) firstTs[m] = ts;
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    if (evTs.length % 1_000_000 === 0) progress(`read ${evTs.length} ratings (${elapsed()})`);
  };
  const ratingsPath = join(inDir, ratingsFile);
  if (spec.format === 'ml-latest') {
    await eachCsvRecord(ratingsPath, enc, (f, lineNo) => {
      if (lineNo === 1) {
        if (f.join(',') !== expected) throw malformed(ratingsFile, 1, `header "${expected}"`, f.join(','));
        return;
      }
      addRating(f, lineNo);
    });
  } else {
    const sep = spec.format === 'ml-1m' ? '::' : '\t';
    await eachLine(ratingsPath, enc, (line, lineNo) => {
      if (line !== '') addRating(line.split(sep), lineNo, line);
    });
  }
  const n = evTs.length;
  if (n === 0) throw new Error(`${ratingsPath} holds no ratings`);
  const unknownTitles = movieIds.length - nCatalog;
  if (unknownTitles) progress(`warning: ${unknownTitles} rated movie ids are missing from ${spec.movies}; their events are kept`);
  progress(`read ${n} ratings by ${userIds.length} users (${elapsed()})`);

  // ---- tags
  const tagCounts = new Map<number, Map<string, number>>();
  if (spec.tags && files.includes(spec.tags)) {
    const addTag = (movieId: string, tag: string) => {
      const m = movieIndex.get(movieId.trim());
      const t = tag.trim().toLowerCase();
      if (m === undefined || m >= nCatalog || t === '') return;
      let counts = tagCounts.get(m);
      if (!counts) tagCounts.set(m, (counts = new Map()));
      counts.set(t, (counts.get(t) ?? 0) + 1);
    };
    const tagsPath = join(inDir, spec.tags);
    if (spec.format === 'ml-latest') {
      await eachCsvRecord(tagsPath, enc, (f, lineNo) => {
        if (lineNo === 1) return; // header userId,movieId,tag,timestamp
        if (f.length < 3) throw malformed(spec.tags!, lineNo, 'userId,movieId,tag,timestamp', f.join(','));
        addTag(f[1], f[2]);
      });
    } else {
      await eachLine(tagsPath, enc, (line, lineNo) => {
        if (line === '') return;
        const f = line.split('::');
        if (f.length < 3) throw malformed(spec.tags!, lineNo, 'UserID::MovieID::Tag::Timestamp', line);
        addTag(f[1], f[2]);
      });
    }
    progress(`read tags of ${tagCounts.size} titles (${elapsed()})`);
  }

  // ---- files
  await beginWorldDir(outDir);
  const movies = new LineWriter(join(outDir, MOVIES_FILE));
  movies.line(MOVIES_COLUMNS.join(','));
  for (let m = 0; m < nCatalog; m++) {
    const counts = tagCounts.get(m);
    const tags = counts
      ? [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, MAX_TAGS_PER_TITLE).map(([t]) => t)
      : [];
    const line = titleLine({
      movie_id: movieIds[m], title: names[m], year: years[m], genres: genres[m], tags,
      duration_seconds: DEFAULT_DURATION_SECONDS, added_at: isoUtc(firstTs[m] === Infinity ? minTs : firstTs[m]),
    });
    if (movies.line(line)) await movies.flush();
  }
  await movies.close();

  const order = sortOrderByKey(evTs.data, n);
  progress(`sorted ${n} events by time (${elapsed()})`);
  const events = new LineWriter(join(outDir, EVENTS_FILE));
  events.line(EVENTS_COLUMNS.join(','));
  const ratingText = Array.from({ length: 11 }, (_, r) => (r / 2).toFixed(1));
  const fixed = `,watch,`;
  const tail = `,${DEFAULT_DURATION_SECONDS},${DEFAULT_DURATION_SECONDS},`;
  // Ids with a comma or quote would need CSV quoting; MovieLens ids are plain integers, but stay safe.
  const safe = (id: string) => (/[",\r\n]/.test(id) ? `"${id.replace(/"/g, '""')}"` : id);
  const userText = userIds.map(safe);
  const movieText = movieIds.map(safe);
  const eventIdSafe = userIds.every((id) => !/[",\r\n]/.test(id)) && movieIds.every((id) => !/[",\r\n]/.test(id));
  for (let k = 0; k < n; k++) {
    const j = order[k];
    const u = evUser.data[j];
    const m = evMovie.data[j];
    const ts = evTs.data[j];
    const rawId = `ml-${userIds[u]}-${movieIds[m]}-${ts}`;
    const line = (eventIdSafe ? rawId : safe(rawId)) + ',' + userText[u] + ',' + movieText[m] + fixed + isoUtc(ts) + tail + ratingText[evRating2.data[j]] + ',';
    if (events.line(line)) await events.flush();
    if ((k + 1) % 5_000_000 === 0) progress(`wrote ${k + 1}/${n} events (${elapsed()})`);
  }
  await events.close();

  const manifest: Manifest = {
    kind: 'movielens', format: spec.format, users: userIds.length, titles: nCatalog, events: n,
    start: isoUtc(minTs), end: isoUtc(maxTs),
  };
  await writeManifest(outDir, manifest);
  progress(`done: ${n} events, ${nCatalog} titles, ${userIds.length} users (${elapsed()})`);
  return manifest;
}
