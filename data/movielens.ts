// Import a public MovieLens release into a world directory (see data/world-dir.ts), through
// DuckDB's own CSV reader and Parquet writer: the SQL is in sql/stg_ml_*.sql, int_ml_titles.sql,
// get_ml_*.sql and exp_world_ml_*.sql; this file picks the format and checks what DuckDB found.
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
// Validation: a row DuckDB cannot read (wrong number of fields, a rating or timestamp that is not
// a number) or that breaks a rule (rating outside 0.5–5 in halves, negative timestamp, missing id)
// fails the import with the file, the line (or data row) and the reason — nothing is dropped
// silently, and no manifest is written. Ratings of titles missing from the titles file are kept;
// ingest quarantines them as unknown titles.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Warehouse } from '../storage/duckdb';
import { EVENTS_FILE, MOVIES_FILE, beginWorldDir, quietProgress, writeManifest, type Manifest, type WorldProgress } from './world-dir';

export type MovieLensFormat = 'ml-latest' | 'ml-1m' | 'ml-100k';

/** MovieLens has no running times: every title and every watch gets this many seconds (100 minutes). */
export const DEFAULT_DURATION_SECONDS = 6000;
/** At most this many tags per title (the most frequently given ones): ml-25m has titles with hundreds. */
export const MAX_TAGS_PER_TITLE = 50;

/** How DuckDB reads one delimited file of a release. */
interface Dialect {
  delim: string;
  header: boolean;
  encoding: 'utf-8' | 'latin-1';
  quote: string; // '' = no quoting
}
interface FormatSpec {
  format: MovieLensFormat;
  movies: string;
  moviesSql: 'stg_ml_titles_csv' | 'stg_ml_titles_dat' | 'stg_ml_titles_item';
  ratings: string;
  ratingsHeader?: string; // the exact header line a file with a header must start with
  expected: string; // a rating row, for error messages
  tags?: string;
  dialect: Dialect; // ratings and tags
  describe: string;
}
const FORMATS: FormatSpec[] = [
  {
    format: 'ml-latest', movies: 'movies.csv', moviesSql: 'stg_ml_titles_csv', ratings: 'ratings.csv', ratingsHeader: 'userId,movieId,rating,timestamp',
    expected: 'userId,movieId,rating,timestamp', tags: 'tags.csv', dialect: { delim: ',', header: true, encoding: 'utf-8', quote: '"' },
    describe: 'ratings.csv + movies.csv [+ tags.csv] (ml-latest, ml-25m)',
  },
  {
    format: 'ml-1m', movies: 'movies.dat', moviesSql: 'stg_ml_titles_dat', ratings: 'ratings.dat', expected: 'UserID::MovieID::Rating::Timestamp',
    tags: 'tags.dat', dialect: { delim: '::', header: false, encoding: 'latin-1', quote: '' }, describe: 'ratings.dat + movies.dat (ml-1m)',
  },
  {
    format: 'ml-100k', movies: 'u.item', moviesSql: 'stg_ml_titles_item', ratings: 'u.data', expected: 'user<TAB>item<TAB>rating<TAB>timestamp',
    dialect: { delim: '\t', header: false, encoding: 'latin-1', quote: '' }, describe: 'u.data + u.item (ml-100k)',
  },
];

/** Which MovieLens format a directory listing holds, or null. */
export function detectMovieLensFormat(files: readonly string[]): MovieLensFormat | null {
  const have = new Set(files);
  return FORMATS.find((f) => have.has(f.movies) && have.has(f.ratings))?.format ?? null;
}


const shown = (line: string) => (line.length > 120 ? line.slice(0, 120) + '…' : line);

/** The first line of a file (a header check DuckDB's reader skips rather than compares). */
async function firstLine(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  } finally {
    await fh.close();
  }
}

/** Fail with the lines DuckDB's reader rejected in `file`, if any. */
async function checkRejects(wh: Warehouse, path: string, file: string, expected: string): Promise<void> {
  const rejects = await wh.rows<{ line: bigint; error_type: string; csv_line: string; error_message: string }>('get_ml_rejects', { path });
  if (rejects.length === 0) return;
  const [r] = rejects;
  const more = rejects.length > 1 ? ` (and more: lines ${rejects.slice(1).map((x) => x.line).join(', ')}${rejects.length === 5 ? ', …' : ''})` : '';
  throw new Error(`${file}:${r.line}: expected ${expected}, got "${shown(r.csv_line.replace(/^[\r\n]+|[\r\n]+$/g, ''))}": ${r.error_message}${more}`);
}

/** Import the MovieLens release in inDir into the world directory outDir. */
export async function importMovieLens(inDir: string, outDir: string, progress: WorldProgress = quietProgress): Promise<Manifest> {
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
  progress.note(`format ${spec.format} in ${basename(inDir)}`);
  const wh = await Warehouse.open(':memory:');
  try {
    // ---- titles
    const moviesPath = join(inDir, spec.movies);
    if (spec.format === 'ml-latest') {
      const header = await firstLine(moviesPath);
      if (header !== 'movieId,title,genres') throw new Error(`${spec.movies}:1: expected header "movieId,title,genres", got "${shown(header)}"`);
    }
    await wh.exec(spec.moviesSql, { path: moviesPath });
    await checkRejects(wh, moviesPath, spec.movies, spec.format === 'ml-100k' ? 'id|title|release|video release|url|19 genre flags' : spec.format === 'ml-1m' ? 'MovieID::Title::Genres' : 'movieId,title,genres');
    await wh.exec('int_ml_titles');

    // ---- ratings
    const ratingsPath = join(inDir, spec.ratings);
    if (spec.ratingsHeader) {
      const header = await firstLine(ratingsPath);
      if (header !== spec.ratingsHeader) throw new Error(`${spec.ratings}:1: expected header "${spec.ratingsHeader}", got "${shown(header)}"`);
    }
    const { size } = await stat(ratingsPath);
    const mb = Math.max(1, Math.round(size / 1e6));
    progress.phase(`read ${spec.ratings}`, mb, 'MB');
    await wh.execWithProgress('stg_ml_ratings', { path: ratingsPath, ...spec.dialect }, (f) => progress.update(Math.round(f * mb)));
    progress.update(mb);
    await checkRejects(wh, ratingsPath, spec.ratings, spec.expected);
    const bad = await wh.rows<{ row_no: bigint; user_id: string | null; movie_id: string | null; rating: number | null; ts: bigint | null; reason: string }>('get_ml_bad_ratings');
    if (bad.length) {
      const b = bad[0];
      const lineNo = Number(b.row_no) + (spec.dialect.header ? 1 : 0);
      throw new Error(`${spec.ratings}: data row ${b.row_no} (line ${lineNo} unless the file has blank lines): expected ${spec.expected} with a rating in 0.5–5 (steps of 0.5) and a unix timestamp, got ${b.user_id}, ${b.movie_id}, ${b.rating}, ${b.ts}: ${b.reason}`);
    }

    // ---- tags
    if (spec.tags && files.includes(spec.tags)) {
      const tagsPath = join(inDir, spec.tags);
      await wh.exec('stg_ml_tags', { path: tagsPath, ...spec.dialect });
      await checkRejects(wh, tagsPath, spec.tags, spec.format === 'ml-latest' ? 'userId,movieId,tag,timestamp' : 'UserID::MovieID::Tag::Timestamp');
    } else await wh.exec('stg_ml_tags_empty');

    const [s] = await wh.rows<{ titles: bigint; duplicate_titles: bigint; unknown_titles: bigint; events: bigint; users: bigint; start: string; end: string }>('get_ml_summary');
    const n = Number(s.events);
    if (n === 0) throw new Error(`${ratingsPath} holds no ratings`);
    if (s.duplicate_titles > 0n) progress.note(`warning: ${s.duplicate_titles} repeated movie ids in ${spec.movies} (first row kept)`);
    if (s.unknown_titles > 0n) progress.note(`warning: ${s.unknown_titles} rated movie ids are missing from ${spec.movies}; their events are kept`);
    progress.note(`read ${s.titles} titles and ${n} ratings by ${s.users} users`);

    // ---- files
    await beginWorldDir(outDir);
    await wh.exec('exp_world_ml_titles', { path: join(outDir, MOVIES_FILE), duration_seconds: DEFAULT_DURATION_SECONDS, max_tags: MAX_TAGS_PER_TITLE });
    progress.phase(`write ${EVENTS_FILE}`, n, 'events');
    await wh.execWithProgress('exp_world_ml_events', { path: join(outDir, EVENTS_FILE), duration_seconds: DEFAULT_DURATION_SECONDS }, (f) => progress.update(Math.round(f * n)));
    progress.update(n);

    const manifest: Manifest = { kind: 'movielens', format: spec.format, users: Number(s.users), titles: Number(s.titles), events: n, start: s.start, end: s.end };
    await writeManifest(outDir, manifest);
    return manifest;
  } finally {
    wh.close();
  }
}
