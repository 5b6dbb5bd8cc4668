// Writing a world directory: build, simulate, then movies.csv and events.parquet through DuckDB
// (sql/stg_world_gen.sql, sql/exp_world_gen_*.sql), truth/, and manifest.json last.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { INTEGER, UTINYINT, VARCHAR, DOUBLE, listValue } from '@duckdb/node-api';
import { Warehouse } from '../../storage/duckdb';
import { EVENTS_FILE, MOVIES_FILE, beginWorldDir, isoUtc, quietProgress, writeManifest, type Manifest, type WorldProgress } from '../world-dir';
import { buildWorld, type World } from './catalog';
import { TRUTH_DIR, writeTruth } from './oracle';
import { GENRES, PRESETS, type PresetName } from './params';
import { sampleWorld, titlesByPopularity } from './sample';
import type { SessionIntentParams } from './session-intent';
import { EventBuffer, SOURCE_NAMES, TYPE_NAMES, UserSimulator, epochTables } from './simulate';

export interface GenerateOptions {
  preset: PresetName;
  seed: number;
  outDir: string;
  /** Overrides of the preset's size (e.g. a smaller rehearsal world); the manifest records what was made. */
  users?: number;
  titles?: number;
  progress?: WorldProgress;
  /** Genre binges (session-intent.ts) instead of the preset's. */
  sessionIntent?: SessionIntentParams;
}

/** Users simulated between two appends to DuckDB when users draw from the whole catalog. */
const USER_BLOCK = 8192;
/** DuckDB's memory while it sorts the events into time order; beyond it, it spills to outDir/.gen-tmp. */
const GEN_MEMORY_LIMIT = '2GB';

/**
 * Build a world from a preset and a seed and write it to outDir (movies.csv, events.parquet, truth/,
 * manifest.json last). Users are simulated in blocks whose events go to DuckDB before the next block,
 * so memory holds one block of events; DuckDB orders them by time (spilling to disk past GEN_MEMORY_LIMIT).
 */
export async function generateWorld(opts: GenerateOptions): Promise<Manifest> {
  const preset = Object.hasOwn(PRESETS, opts.preset) ? PRESETS[opts.preset] : undefined;
  if (!preset) throw new RangeError(`unknown preset "${opts.preset}" (expected one of ${Object.keys(PRESETS).join(', ')})`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${opts.seed}`);
  for (const [k, v] of [['users', opts.users], ['titles', opts.titles]] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  const params = { ...preset, users: opts.users ?? preset.users, titles: opts.titles ?? preset.titles, ...(opts.sessionIntent ? { sessionIntent: opts.sessionIntent } : {}) };
  const progress = opts.progress ?? quietProgress;
  await beginWorldDir(opts.outDir);

  const world = buildWorld(params, opts.seed);
  const { taste } = world;
  progress.note(`world: ${taste.nUsers} users, ${taste.nTitles} titles, ${params.days} days`);
  const spill = join(opts.outDir, '.gen-tmp');
  const wh = await Warehouse.open(':memory:', { settings: { memory_limit: GEN_MEMORY_LIMIT, temp_directory: spill } });
  try {
    await wh.exec('stg_world_gen');
    await writeMovies(wh, join(opts.outDir, MOVIES_FILE), world);

    const { events, users } = await simulateInto(wh, world, progress);
    progress.note(`simulated ${taste.nUsers} users: ${events} events`);
    progress.phase(`write ${EVENTS_FILE}`, events, 'events');
    await wh.execWithProgress('exp_world_gen_events', { path: join(opts.outDir, EVENTS_FILE), start: taste.start, type_names: listValue([...TYPE_NAMES]), source_names: listValue([...SOURCE_NAMES]) }, (f) => progress.update(Math.round(f * events)));
    progress.update(events);
    await writeTruth(join(opts.outDir, TRUTH_DIR), world);

    const manifest: Manifest = {
      kind: 'synthetic', preset: opts.preset, seed: opts.seed, users, titles: taste.nTitles, events,
      start: isoUtc(taste.start), end: isoUtc(taste.end),
    };
    await writeManifest(opts.outDir, manifest);
    return manifest;
  } finally {
    wh.close();
    await rm(spill, { recursive: true, force: true });
  }
}

/**
 * Every user's events into gen_events, a block of users at a time, each event with its place in
 * simulation order (seq: users in id order, each user's events in the order drawn). With a catalog
 * sample (params.catalogSample), each block simulates against its own sample (data/world/sample.ts).
 * Returns the number of events and of distinct users with an event.
 */
async function simulateInto(wh: Warehouse, w: World, progress: WorldProgress): Promise<{ events: number; users: number }> {
  const nUsers = w.taste.nUsers;
  const sample = w.params.catalogSample;
  const byPopularity = sample ? titlesByPopularity(w) : undefined;
  const ev = new EventBuffer();
  const whole = sample ? undefined : new UserSimulator(w, epochTables(w), ev);
  const block = sample?.users ?? USER_BLOCK;
  let events = 0;
  let users = 0;
  progress.phase('simulate users', nUsers, 'users');
  for (let b = 0, u0 = 0; u0 < nUsers; b++, u0 += block) {
    ev.length = 0;
    let sim = whole;
    let ids: Int32Array | undefined;
    if (sample && byPopularity) {
      const sw = sampleWorld(w, sample, byPopularity, b);
      sim = new UserSimulator(sw.world, epochTables(sw.world), ev);
      ids = sw.ids;
    }
    const u1 = Math.min(nUsers, u0 + block);
    for (let u = u0; u < u1; u++) {
      const before = ev.length;
      sim!.run(u);
      if (ev.length > before) users++;
    }
    if (ids) for (let j = 0; j < ev.length; j++) ev.movie[j] = ids[ev.movie[j]];
    const seq = new Int32Array(ev.length);
    for (let j = 0; j < ev.length; j++) seq[j] = events + j;
    await wh.append('gen_events', [INTEGER, INTEGER, INTEGER, INTEGER, UTINYINT, INTEGER, UTINYINT, UTINYINT], [seq, ev.ts, ev.user, ev.movie, ev.type, ev.watch, ev.rating2, ev.source], ev.length);
    events += ev.length;
    progress.update(u1);
  }
  return { events, users };
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
