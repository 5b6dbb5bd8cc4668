// Seconds to turn data into warehouse rows, as an operator does it: `recs import` of a MovieLens
// release (or `recs generate` of a synthetic world) into a world directory, then ingest of that
// directory into a fresh DuckDB warehouse. Each step is its own process (wall time, including
// start-up), run from the code in --root, so the same script measures another checkout (e.g. main
// before a change) with --root DIR --label before.
// Run: npm run bench:import -- [--label after] [--root DIR] [--ml DIR] [--preset demo] [--seed 42] [--repeat 1]
// Merges its figures into bench/results/import.json under the label, keeping the best (lowest) of
// every run so far under that label (on a shared, loaded machine, alternate `before` and `after`
// invocations and let each keep its quietest moment; --fresh forgets earlier runs of the label),
// and prints every label's table.
// The MovieLens data is read in place (../shared/data/ml-latest-small-2016, with its README's
// license terms); nothing is copied into the repository.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable } from '../cli/progress';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const LABEL = arg('label', 'after');
const ROOT = resolve(arg('root', join(HERE, '..')));
const ML = resolve(arg('ml', join(HERE, '..', '..', 'shared', 'data', 'ml-latest-small-2016')));
const PRESET = arg('preset', 'demo');
const SEED = arg('seed', '42');
const REPEAT = Number(arg('repeat', '1'));
const FRESH = process.argv.includes('--fresh');
const OUT = join(HERE, 'results', 'import.json');

// The ingest child: the same storage API on both sides of the change (Warehouse, initSchema, ingestFile).
const INGEST = `
const root = process.argv[1], world = process.argv[2], db = process.argv[3];
const { existsSync } = await import('node:fs');
const { Warehouse } = await import(root + '/storage/duckdb.ts');
const { ingestFile, initSchema } = await import(root + '/storage/ingest.ts');
const wh = await Warehouse.open(db);
await initSchema(wh);
const t0 = performance.now();
const titles = await ingestFile(wh, 'titles', world + '/movies.csv');
const t1 = performance.now();
const file = existsSync(world + '/events.parquet') ? world + '/events.parquet' : world + '/events.csv';
const events = await ingestFile(wh, 'events', file);
const t2 = performance.now();
wh.close();
console.log(JSON.stringify({ titlesSeconds: (t1 - t0) / 1000, eventsSeconds: (t2 - t1) / 1000, eventsFile: file.split('/').pop(), events: events.ingested, quarantined: events.quarantined + titles.quarantined }));
`;

function run(args: string[], env: Record<string, string>): { seconds: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { seconds, stdout: r.stdout };
}

interface Case {
  name: string;
  write: (out: string) => string[];
}
const CASES: Case[] = [
  { name: `recs import ${ML.split('/').pop()}`, write: (out) => [join(ROOT, 'cli', 'index.ts'), 'import', ML, '--out', out] },
  { name: `recs generate ${PRESET} ${SEED}`, write: (out) => [join(ROOT, 'cli', 'index.ts'), 'generate', '--preset', PRESET, '--seed', SEED, '--out', out] },
];

function measure(c: Case) {
  const best: Record<string, number> = {};
  let last: Record<string, unknown> = {};
  for (let r = 0; r < REPEAT; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'recs-bench-import-'));
    try {
      const world = join(dir, 'world');
      const w = run(c.write(world), { DATA_DIR: dir });
      const manifest = JSON.parse(w.stdout) as { events: number };
      const eventsFile = existsSync(join(world, 'events.parquet')) ? 'events.parquet' : 'events.csv';
      const bytes = statSync(join(world, eventsFile)).size;
      const ing = run(['--input-type=module', '-e', INGEST, pathToFileURL(ROOT).href, world, join(dir, 'wh.duckdb')], { DATA_DIR: dir });
      const inner = JSON.parse(ing.stdout.trim().split('\n').pop()!) as { titlesSeconds: number; eventsSeconds: number; events: number; quarantined: number };
      const figures = { writeSeconds: w.seconds, ingestSeconds: ing.seconds, ingestInnerSeconds: inner.titlesSeconds + inner.eventsSeconds, totalSeconds: w.seconds + ing.seconds };
      for (const [k, v] of Object.entries(figures)) best[k] = Math.min(best[k] ?? Infinity, v);
      last = { events: manifest.events, eventsFile, eventsFileBytes: bytes, ingested: inner.events, quarantined: inner.quarantined };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { case: c.name, ...last, ...Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Number(v.toFixed(2))])) };
}

function main() {
  const rows = CASES.map((c) => {
    console.error(`${LABEL}: ${c.name} …`);
    return measure(c);
  });
  type Run = { repeat: number; rows: Record<string, any>[] };
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { runs?: Record<string, Run> }) : {};
  const earlier = FRESH ? undefined : prev.runs?.[LABEL];
  const merged = rows.map((r) => {
    const e = earlier?.rows.find((x) => x.case === r.case);
    if (!e) return r;
    const best = { ...r } as Record<string, any>;
    for (const k of ['writeSeconds', 'ingestSeconds', 'ingestInnerSeconds', 'totalSeconds']) best[k] = Math.min(best[k], e[k]);
    return best;
  });
  const result = {
    script: 'bench/import.ts',
    note: 'wall seconds per process (tsx start-up included); best of `repeat` runs; ingestInnerSeconds = ingestFile calls only',
    runs: {
      ...(prev.runs ?? {}),
      [LABEL]: { date: new Date().toISOString(), root: ROOT === resolve(HERE, '..') ? '.' : ROOT, cores: availableParallelism(), loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))), repeat: REPEAT + (earlier?.repeat ?? 0), rows: merged },
    },
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
  const table: (string | number)[][] = [];
  for (const [label, run] of Object.entries(result.runs) as [string, { rows: Record<string, any>[] }][]) {
    for (const r of run.rows) table.push([label, r.case, r.eventsFile, r.events, Number((r.eventsFileBytes / 1e6).toFixed(1)), r.writeSeconds, r.ingestSeconds, r.ingestInnerSeconds, r.totalSeconds]);
  }
  console.log(formatTable(['label', 'case', 'file', 'events', 'MB', 'write s', 'ingest s', 'ingestFile s', 'total s'], table));
}

main();
