// Writing a world directory: build, simulate, then movies.csv and events.parquet through DuckDB
// (sql/stg_world_gen.sql, sql/exp_world_gen_*.sql), truth/, and manifest.json last.
import { join } from 'node:path';
import { INTEGER, UTINYINT, VARCHAR, DOUBLE, listValue } from '@duckdb/node-api';
import { Warehouse } from '../../storage/duckdb';
import { EVENTS_FILE, MOVIES_FILE, beginWorldDir, isoUtc, quietProgress, writeManifest, type Manifest, type WorldProgress } from '../world-dir';
import { buildWorld, type World } from './catalog';
import { TRUTH_DIR, writeTruth } from './oracle';
import { GENRES, PRESETS, type PresetName } from './params';
import { EventBuffer, SOURCE_NAMES, TYPE_NAMES, UserSimulator, epochTables, sortByTime } from './simulate';
import type { SessionIntentParams } from './session-intent';

export interface GenerateOptions {
  preset: PresetName;
  seed: number;
  outDir: string;
  progress?: WorldProgress;
  /** Genre binges (session-intent.ts) instead of the preset's. */
  sessionIntent?: SessionIntentParams;
}

/** Build a world from a preset and a seed and write it to outDir (movies.csv, events.parquet, truth/, manifest.json last). */
export async function generateWorld(opts: GenerateOptions): Promise<Manifest> {
  const preset = Object.hasOwn(PRESETS, opts.preset) ? PRESETS[opts.preset] : undefined;
  const params = preset && opts.sessionIntent ? { ...preset, sessionIntent: opts.sessionIntent } : preset;
  if (!params) throw new RangeError(`unknown preset "${opts.preset}" (expected one of ${Object.keys(PRESETS).join(', ')})`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${opts.seed}`);
  const progress = opts.progress ?? quietProgress;
  await beginWorldDir(opts.outDir);

  const world = buildWorld(params, opts.seed);
  const { taste } = world;
  progress.note(`world: ${taste.nUsers} users, ${taste.nTitles} titles, ${params.days} days`);
  const wh = await Warehouse.open(':memory:');
  try {
    await wh.exec('stg_world_gen');
    await writeMovies(wh, join(opts.outDir, MOVIES_FILE), world);

    const ev = new EventBuffer();
    const sim = new UserSimulator(world, epochTables(world), ev);
    progress.phase('simulate users', taste.nUsers, 'users');
    for (let u = 0; u < taste.nUsers; u++) {
      sim.run(u);
      if ((u & 255) === 255) progress.update(u + 1);
    }
    progress.update(taste.nUsers);
    progress.note(`simulated ${taste.nUsers} users: ${ev.length} events`);
    const order = sortByTime(ev, taste.end - taste.start);
    progress.phase(`write ${EVENTS_FILE}`, ev.length, 'events');
    const users = await writeEvents(wh, join(opts.outDir, EVENTS_FILE), world, ev, order, (done) => progress.update(done));
    await writeTruth(join(opts.outDir, TRUTH_DIR), world);

    const manifest: Manifest = {
      kind: 'synthetic', preset: opts.preset, seed: opts.seed, users, titles: taste.nTitles, events: ev.length,
      start: isoUtc(taste.start), end: isoUtc(taste.end),
    };
    await writeManifest(opts.outDir, manifest);
    return manifest;
  } finally {
    wh.close();
  }
}

/** A pipe-separated list field; '|' inside an item (never in genres, rare in tags) becomes '/'. */
const pipeList = (items: readonly string[]) => items.map((x) => x.replace(/\|/g, '/')).join('|');

/** movies.csv through DuckDB's CSV writer (sql/exp_world_gen_titles.sql). */
async function writeMovies(wh: Warehouse, path: string, w: World): Promise<void> {
  const { catalog, taste } = w;
  const n = taste.nTitles;
  const idx = Array.from({ length: n }, (_, i) => i);
  const genres = catalog.genres.slice(0, n).map((g) => pipeList(g.map((x) => GENRES[x])));
  const tags = catalog.tags.slice(0, n).map(pipeList);
  await wh.append('gen_titles', [INTEGER, VARCHAR, INTEGER, VARCHAR, VARCHAR, INTEGER, DOUBLE], [idx, catalog.names, catalog.years, genres, tags, catalog.durations, taste.itemAdded], n);
  await wh.exec('exp_world_gen_titles', { path });
}

/**
 * events.parquet through DuckDB (sql/exp_world_gen_events.sql): the typed arrays go in as data
 * chunks with each event's position in time order; DuckDB builds the text columns and sorts.
 * Returns the number of distinct users with an event.
 */
async function writeEvents(wh: Warehouse, path: string, w: World, ev: EventBuffer, order: Uint32Array, progress: (done: number) => void): Promise<number> {
  const n = ev.length;
  const position = new Int32Array(n); // event index → its place in time order
  for (let k = 0; k < n; k++) position[order[k]] = k;
  const seen = new Uint8Array(w.taste.nUsers);
  let users = 0;
  for (let j = 0; j < n; j++) {
    if (!seen[ev.user[j]]) {
      seen[ev.user[j]] = 1;
      users++;
    }
  }
  await wh.append('gen_events', [INTEGER, INTEGER, INTEGER, INTEGER, UTINYINT, INTEGER, UTINYINT, UTINYINT], [position, ev.ts, ev.user, ev.movie, ev.type, ev.watch, ev.rating2, ev.source], n);
  await wh.execWithProgress('exp_world_gen_events', { path, start: w.taste.start, type_names: listValue([...TYPE_NAMES]), source_names: listValue([...SOURCE_NAMES]) }, (f) => progress(Math.round(f * n)));
  progress(n);
  return users;
}
