// How events ingest grows with the file: each step of activities/ingest.ts's ingestWorld for an
// events file (storage/ingest.ts ingestFile: stage, validate, insert and quarantine a slice of
// INGEST_SLICE_ROWS at a time, one transaction; then the analysts' Parquet copy and the
// dashboard's history backfill into Redis, under a scratch prefix deleted afterwards) timed on the
// first N events of a large world, for several N, with the events table as sql/schema.sql declares
// it (no key: the validation drops repeats) and with a PRIMARY KEY (event_id) added, the schema
// before 2026-12-02, to show what the key costs. The warehouse is a fresh
// DuckDB file per run with the worker's memory cap (DUCKDB_MEMORY_LIMIT's default, 4GB) and a spill
// directory beside it. Wall and CPU-seconds per step, peak RSS of the process (DuckDB included).
// Run: npm run bench:ingest-scale -- [--world DIR] [--sizes 4000000,12000000] [--memory 4GB]
// Needs Redis at REDIS_URL (npm run services:up).
// The world defaults to DATA_DIR/worlds/large-42 (`recs generate --preset large`; 40 M events).
// Writes bench/results/ingest-scale.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { Warehouse } from '../storage/duckdb';
import { Redis } from 'ioredis';
import { analyticsPaths, copyToParquet } from '../storage/analytics';
import { dashboardPublisher } from '../storage/dashboard-publish';
import { ingestFile, initSchema } from '../storage/ingest';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const cfg = loadConfig();
const { values: a } = parseArgs({
  options: { world: { type: 'string', default: join(cfg.DATA_DIR, 'worlds', 'large-42') }, sizes: { type: 'string', default: '4000000,12000000' }, memory: { type: 'string', default: '4GB' } },
});
const world = resolve(a.world!);
if (!existsSync(join(world, 'events.parquet'))) {
  console.error(`no events.parquet in ${world}: make one with \`npm run recs -- generate --preset large --out ${world}\``);
  process.exit(2);
}
const scratch = mkdtempSync(join(resolve(cfg.DATA_DIR), 'ingest-scale-'));
const redis = new Redis(cfg.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
const prefix = `${cfg.REDIS_PREFIX}-ingest-scale-${process.pid}`;
/** Remove the scratch histories (SCAN + UNLINK over the bench's own prefix only). */
async function dropPrefix(): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** The table sql/schema.sql makes, with the key it had before. */
const EVENTS_WITH_KEY = `CREATE TABLE events (event_id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, movie_id VARCHAR NOT NULL, event_type VARCHAR NOT NULL,
  ts TIMESTAMP NOT NULL, watch_seconds DOUBLE, duration_seconds DOUBLE, rating DOUBLE, source VARCHAR, batch_id VARCHAR NOT NULL)`;

const peakRssGB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 2 ** 20;
const r1 = (x: number) => Math.round(x * 10) / 10;

interface Step {
  step: string;
  wallSeconds: number;
  cpuSeconds: number;
}
interface Run {
  events: number;
  primaryKey: boolean;
  steps: Step[];
  wallSeconds: number;
  cpuSeconds: number;
  /** This process's peak so far (runs go in order, so it is the largest run's peak). */
  peakRssGB: number;
}

async function slice(n: number): Promise<string> {
  const path = join(scratch, `events-${n}.parquet`);
  const w = await Warehouse.open(':memory:');
  await w.conn.run(`COPY (SELECT * FROM read_parquet('${join(world, 'events.parquet').replace(/'/g, "''")}') LIMIT ${n}) TO '${path.replace(/'/g, "''")}' (FORMAT parquet)`);
  return path;
}

async function run(n: number, primaryKey: boolean, events: string): Promise<Run> {
  const dir = mkdtempSync(join(scratch, 'wh-'));
  const wh = await Warehouse.open(join(dir, 'warehouse.duckdb'), { settings: { memory_limit: a.memory!, temp_directory: join(dir, 'spill') } });
  await initSchema(wh);
  if (primaryKey) {
    await wh.conn.run('DROP TABLE events');
    await wh.conn.run(EVENTS_WITH_KEY);
  }
  await ingestFile(wh, 'titles', join(world, 'movies.csv'));
  const steps: Step[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let batchId = '';
  // ingestWorld's steps for an events file, in its order, each timed.
  const plan: Array<[string, () => Promise<unknown>]> = [
    ['ingestFile (sliced, one transaction)', async () => (batchId = (await ingestFile(wh, 'events', events, new Date(), { onProgress: (done, total) => console.log(`    ${done.toLocaleString('en')} / ${total.toLocaleString('en')} rows`) })).sourceHash)],
    ['exp_analytics_events_batch', () => copyToParquet(wh, 'exp_analytics_events_batch', { batch_id: batchId }, analyticsPaths(dir).eventsBatch(batchId))],
    ['dashboard histories', () => dashboardPublisher({ ...cfg, REDIS_PREFIX: prefix }, redis).histories(wh, batchId, n)],
  ];
  for (const [name, fn] of plan) {
    const t = performance.now();
    const c = process.cpuUsage();
    await fn();
    const cu = process.cpuUsage(c);
    steps.push({ step: name, wallSeconds: r1((performance.now() - t) / 1000), cpuSeconds: r1((cu.user + cu.system) / 1e6) });
    console.log(`  ${n.toLocaleString('en')} events, ${primaryKey ? 'with' : 'without'} the key: ${name} ${steps.at(-1)!.wallSeconds} s wall, ${steps.at(-1)!.cpuSeconds} CPU-s`);
  }
  const cu = process.cpuUsage(c0);
  await dropPrefix();
  rmSync(dir, { recursive: true, force: true });
  return { events: n, primaryKey, steps, wallSeconds: r1((performance.now() - t0) / 1000), cpuSeconds: r1((cu.user + cu.system) / 1e6), peakRssGB: Math.round(peakRssGB() * 100) / 100 };
}

const runs: Run[] = [];
try {
  for (const n of a.sizes!.split(',').map(Number)) {
    const events = await slice(n);
    for (const primaryKey of [false, true]) {
      const r = await run(n, primaryKey, events);
      runs.push(r);
      console.log(`${n.toLocaleString('en')} events, ${primaryKey ? 'with' : 'without'} the key: ${r.wallSeconds} s wall, ${r.cpuSeconds} CPU-s, peak RSS ${r.peakRssGB} GB`);
    }
  }
} finally {
  await dropPrefix().catch(() => undefined);
  redis.disconnect();
  rmSync(scratch, { recursive: true, force: true });
}
const out = join(ROOT, 'bench', 'results', 'ingest-scale.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), script: 'npm run bench:ingest-scale', world: relative(ROOT, world), memoryLimit: a.memory, loadAverageAtEnd: loadavg()[0], runs }, null, 2) + '\n');
console.log(`wrote ${relative(ROOT, out)}`);
