// The "world directory" shared by the synthetic generator, the MovieLens importer and ingest.
// DuckDB reads and writes the files themselves (sql/wrl_*.sql, sql/stg_*_raw*.sql); this module
// holds only what DuckDB cannot: the layout, the manifest, and choosing which events file to read.
//
// A world directory holds:
//   movies.csv      movie_id,title,year,genres,tags,duration_seconds,added_at (lists pipe-separated)
//   events.parquet  event_id, user_id, movie_id, event_type VARCHAR; ts TIMESTAMPTZ; watch_seconds,
//                   duration_seconds INTEGER; rating DOUBLE; source VARCHAR — sorted by ts; null = absent.
//                   events.csv (the same columns as text, ISO-8601 ts) is still accepted on ingest.
//   manifest.json   written last: its presence means the other files are complete
//   truth/          (synthetic worlds only) ground truth for oracle metrics, see data/world/oracle.ts
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MOVIES_FILE = 'movies.csv';
export const EVENTS_FILE = 'events.parquet';
/** Earlier worlds (and hand-made files) hold their events as CSV; ingest reads either. */
export const EVENTS_CSV_FILE = 'events.csv';
export const MANIFEST_FILE = 'manifest.json';

/** manifest.json of a world directory. No wall-clock values: same input ⇒ same bytes. */
export interface Manifest {
  kind: 'synthetic' | 'movielens';
  format?: string; // movielens: 'ml-latest' | 'ml-1m' | 'ml-100k'
  preset?: string; // synthetic
  seed?: number; // synthetic
  users: number; // distinct users with at least one event
  titles: number; // rows of movies.csv
  events: number; // rows of the events file
  start: string; // ISO-8601 UTC, first instant the events cover
  end: string; // ISO-8601 UTC, last instant the events cover
}

/** Progress of writing a world: phases counted in rows, and notes (warnings, finished steps). cli/progress.ts draws it. */
export interface WorldProgress {
  /** A new phase of `total` units (0 = unknown), e.g. ('write events.parquet', 1e6, 'events'). */
  phase(label: string, total: number, unit?: string): void;
  update(done: number): void;
  note(msg: string): void;
}
export const quietProgress: WorldProgress = { phase() {}, update() {}, note() {} };

/** The files ingest reads from a world directory, or which one is missing. */
export function worldFiles(dir: string): { movies: string; events: string } | { missing: string } {
  const movies = join(dir, MOVIES_FILE);
  if (!existsSync(movies)) return { missing: MOVIES_FILE };
  const events = eventsFile(dir);
  return existsSync(events) ? { movies, events } : { missing: `${EVENTS_FILE} (or ${EVENTS_CSV_FILE})` };
}

/** The events file of a world directory: events.parquet, else events.csv (which ingest reports missing if absent). */
export function eventsFile(dir: string): string {
  const parquet = join(dir, EVENTS_FILE);
  return existsSync(parquet) ? parquet : join(dir, EVENTS_CSV_FILE);
}

/** Create the directory and remove a stale manifest and events, so a half-written world never looks complete. */
export async function beginWorldDir(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const f of [MANIFEST_FILE, EVENTS_FILE, EVENTS_CSV_FILE]) await rm(join(outDir, f), { force: true });
}

/** Write manifest.json (last step of writing a world). Keys in a fixed order. */
export async function writeManifest(outDir: string, m: Manifest): Promise<void> {
  const ordered: Manifest = {
    kind: m.kind,
    ...(m.format !== undefined ? { format: m.format } : {}),
    ...(m.preset !== undefined ? { preset: m.preset } : {}),
    ...(m.seed !== undefined ? { seed: m.seed } : {}),
    users: m.users,
    titles: m.titles,
    events: m.events,
    start: m.start,
    end: m.end,
  };
  await writeFile(join(outDir, MANIFEST_FILE), JSON.stringify(ordered, null, 2) + '\n');
}

/** Unix seconds (whole) → `YYYY-MM-DDTHH:MM:SSZ`. */
export function isoUtc(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO-8601 string → unix seconds; throws on an unparseable value. */
export function parseIsoSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 time: "${iso}"`);
  return Math.floor(ms / 1000);
}
