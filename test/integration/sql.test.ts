// Every sql/*.sql runs on a tiny generated world (plus the ingest fixtures' bad rows) through the
// code that runs it in the pipeline, in an in-memory DuckDB, and its output is checked against
// the contract its header declares — the checks dbt puts beside its models:
//   -- table: <name>          the statement writes this table; the checks below apply to it
//                             (without it they apply to the statement's result rows, or for a
//                             COPY to the Parquet file it wrote)
//   -- grain: a, b            no two rows share (a, b)   ("one row": at most one row; "none (why)":
//                             the output has no key, said explicitly)
//   -- not_null: a, b         no NULL in these columns
//   -- range: a 0..1, b 1..   every non-NULL value of a in [0, 1], of b ≥ 1
// The Warehouse's exec/rows/columns are observed (wrapped, still doing their work) so each
// statement is checked right after it runs, with the parameters the pipeline bound.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { generateWorld } from '../../data/generator';
import { importMovieLens } from '../../data/movielens';
import { eventsFile } from '../../data/world-dir';
import type { TopN } from '../../model/recommend';
import { analyticsPaths, copyToParquet, openAnalytics, writeRecommendationsSnapshot } from '../../storage/analytics';
import { encodeHistoryEntry } from '../../storage/dashboard-data';
import { SQL_DIR, sqlText, Warehouse, type Params } from '../../storage/duckdb';
import { landEventBatch } from '../../storage/events-stream';
import { ingestFile, initSchema } from '../../storage/ingest';
import { buildRankerExamples } from '../../storage/ranker-data';
import { prepareRunData, runFiles } from '../../storage/run-data';
import { FIXTURES, tempDir } from '../helpers/paths';

interface Range {
  column: string;
  lo: number;
  hi: number;
}
export interface SqlContract {
  table?: string;
  grain?: string[] | 'one row' | 'none';
  notNull: string[];
  ranges: Range[];
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** The machine-readable header lines of one SQL file (null when it declares none). */
export function parseContract(text: string): SqlContract | null {
  const c: SqlContract = { notNull: [], ranges: [] };
  let any = false;
  for (const line of text.split('\n')) {
    const m = /^--\s*(table|grain|not_null|range):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    any = true;
    const [, key, value] = m;
    if (key === 'table') c.table = value.trim();
    else if (key === 'grain') c.grain = value.trim() === 'one row' ? 'one row' : value.trim().startsWith('none') ? 'none' : list(value);
    else if (key === 'not_null') c.notNull.push(...list(value));
    else {
      for (const part of list(value)) {
        const r = /^(\w+)\s+(-?[\d.]*)\.\.(-?[\d.]*)$/.exec(part);
        if (!r) throw new Error(`bad range "${part}" (expected "column lo..hi", either bound may be empty)`);
        c.ranges.push({ column: r[1], lo: r[2] === '' ? -Infinity : Number(r[2]), hi: r[3] === '' ? Infinity : Number(r[3]) });
      }
    }
  }
  return any ? c : null;
}

const keyOf = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : JSON.stringify(v));

/** Every way `rows` break the contract, as readable lines. */
export function contractProblems(name: string, rows: Record<string, unknown>[], c: SqlContract): string[] {
  const out: string[] = [];
  const columns = rows.length ? new Set(Object.keys(rows[0])) : null;
  const need = [...(Array.isArray(c.grain) ? c.grain : []), ...c.notNull, ...c.ranges.map((r) => r.column)];
  if (columns) for (const col of need) if (!columns.has(col)) out.push(`${name}: declared column ${col} is not in the output (${[...columns].join(', ')})`);
  if (c.grain === 'one row' && rows.length > 1) out.push(`${name}: grain is one row, got ${rows.length}`);
  if (Array.isArray(c.grain)) {
    const seen = new Set<string>();
    for (const r of rows) {
      const k = c.grain.map((g) => keyOf(r[g])).join('\u0000');
      if (seen.has(k)) {
        out.push(`${name}: grain (${c.grain.join(', ')}) repeats ${c.grain.map((g) => keyOf(r[g])).join(', ')}`);
        break;
      }
      seen.add(k);
    }
  }
  for (const col of c.notNull) {
    const bad = rows.findIndex((r) => r[col] === null || r[col] === undefined);
    if (bad >= 0) out.push(`${name}: ${col} is NULL in row ${bad}`);
  }
  for (const { column, lo, hi } of c.ranges) {
    const bad = rows.find((r) => r[column] != null && !(Number(r[column]) >= lo && Number(r[column]) <= hi));
    if (bad) out.push(`${name}: ${column} = ${keyOf(bad[column])} is outside ${lo}..${hi}`);
  }
  return out;
}

const SQL_NAMES = readdirSync(SQL_DIR)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.slice(0, -4))
  .sort();
const CONTRACTS = new Map(SQL_NAMES.map((n) => [n, parseContract(readFileSync(join(SQL_DIR, `${n}.sql`), 'utf8'))] as const));
/** Files that only create empty tables (filled from TypeScript): nothing to check on their own. */
const DDL_ONLY = new Set(['schema', 'int_ranker_inputs', 'stg_world_gen', 'stg_ml_tags_empty']);

const ran = new Map<string, number>(); // file → rows checked over all its runs
const problems: string[] = [];

/** Only the $params a statement mentions are bound (as storage/duckdb.ts does). */
function bound(text: string, params: Params | undefined): Params | undefined {
  if (!params) return undefined;
  const code = text.replace(/--[^\n]*/g, '');
  const out = Object.fromEntries(Object.entries(params).filter(([k]) => new RegExp(`\\$${k}\\b`).test(code)));
  return Object.keys(out).length ? out : undefined;
}

async function check(wh: Warehouse, name: string, params: Params | undefined, resultRows?: Record<string, unknown>[]): Promise<void> {
  const c = CONTRACTS.get(name);
  ran.set(name, ran.get(name) ?? 0);
  if (!c) return;
  const text = sqlText(name);
  let rows: Record<string, unknown>[];
  if (c.table) rows = await wh.query(`SELECT * FROM ${c.table}`);
  else if (/^\s*COPY\b/i.test(text.replace(/--[^\n]*\n/g, ''))) {
    const path = String(params!.path);
    rows = await wh.query(path.endsWith('.csv') ? 'SELECT * FROM read_csv($path, header = true, all_varchar = true)' : 'SELECT * FROM read_parquet($path)', { path });
  }
  else rows = resultRows ?? (await wh.query(text.trim().replace(/;\s*$/, ''), bound(text, params)));
  ran.set(name, (ran.get(name) ?? 0) + rows.length);
  problems.push(...contractProblems(name, rows, c));
}

/** Run one analysts' report statement on the analysts' views and check it like the rest. */
async function checkReport(db: Awaited<ReturnType<typeof openAnalytics>>, name: string, params: Record<string, string | number> = {}): Promise<void> {
  const text = sqlText(name);
  const { rows } = await db.query(text, bound(text, params) as Record<string, string | number> | undefined);
  ran.set(name, (ran.get(name) ?? 0) + rows.length);
  const c = CONTRACTS.get(name);
  if (c) problems.push(...contractProblems(name, rows, c));
}

describe('every SQL file on a tiny world keeps the grain, not-nulls and ranges its header declares', () => {
  const original = { exec: Warehouse.prototype.exec, rows: Warehouse.prototype.rows, columns: Warehouse.prototype.columns, execWithProgress: Warehouse.prototype.execWithProgress };
  const root = tempDir('sql');
  const cfg = loadConfig({ DATA_DIR: join(root, 'data') });

  beforeAll(async () => {
    Warehouse.prototype.exec = async function (this: Warehouse, name: string, params?: Params) {
      await original.exec.call(this, name, params);
      await check(this, name, params);
    };
    Warehouse.prototype.execWithProgress = async function (this: Warehouse, name: string, params: Params | undefined, onProgress: (f: number) => void) {
      await original.execWithProgress.call(this, name, params, onProgress);
      await check(this, name, params);
    } as typeof original.execWithProgress;
    Warehouse.prototype.rows = async function <T>(this: Warehouse, name: string, params?: Params): Promise<T[]> {
      const rows = await original.rows.call(this, name, params);
      await check(this, name, params, rows as Record<string, unknown>[]);
      return rows as T[];
    };
    Warehouse.prototype.columns = async function (this: Warehouse, name: string, params: Params | undefined, kinds: readonly ('i32' | 'f32' | 'f64')[], expectedRows?: number) {
      const out = await original.columns.call(this, name, params, kinds, expectedRows);
      await check(this, name, params);
      return out;
    } as typeof original.columns;

    const world = join(root, 'world');
    await generateWorld({ preset: 'tiny', seed: 3, outDir: world });
    // The MovieLens importer: every release format, and two files it must refuse (a rating out of
    // range; a row DuckDB cannot read), so its bad-row statements produce rows too.
    for (const f of ['latest', 'ml-1m', 'ml-100k']) await importMovieLens(join(FIXTURES, 'movielens', f), join(root, `ml-${f}`));
    const bad = (name: string, rating: string) => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'movies.csv'), 'movieId,title,genres\n1,Film (1999),Drama\n');
      writeFileSync(join(d, 'ratings.csv'), `userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,1,${rating},964982704\n`);
      return d;
    };
    await expect(importMovieLens(bad('ml-bad-range', '7.0'), join(root, 'out-1'))).rejects.toThrow(/rating/);
    await expect(importMovieLens(bad('ml-bad-row', 'four'), join(root, 'out-2'))).rejects.toThrow();
    const wh = await Warehouse.open(':memory:');
    try {
      const paths = analyticsPaths(cfg.DATA_DIR);
      await initSchema(wh);
      // The world, then the fixtures with their bad and duplicate rows (quarantine is not empty).
      for (const dir of [world, join(FIXTURES, 'ingest')]) {
        await ingestFile(wh, 'titles', join(dir, 'movies.csv'));
        const ev = await ingestFile(wh, 'events', eventsFile(dir));
        await copyToParquet(wh, 'exp_analytics_events_batch', { batch_id: ev.sourceHash }, paths.eventsBatch(ev.sourceHash));
        if (ev.quarantined > 0) await copyToParquet(wh, 'exp_analytics_quarantine_batch', { source_hash: ev.sourceHash }, paths.quarantineBatch(ev.sourceHash));
      }
      expect((await ingestFile(wh, 'events', eventsFile(world))).alreadyIngested).toBe(true); // found by its content hash
      await copyToParquet(wh, 'exp_analytics_catalog', {}, paths.catalog);
      // The API's event stream: an impression and the watch it led to, a malformed entry, and one that is not JSON.
      const [u] = await wh.query<{ user_id: string; movie_id: string; ts: Date }>("SELECT user_id, movie_id, ts FROM events WHERE event_type = 'watch' ORDER BY event_id LIMIT 1");
      const at = (minutes: number) => new Date(u.ts.getTime() + minutes * 60_000).toISOString();
      const shown = { event_id: 'stream-1', user_id: u.user_id, movie_id: u.movie_id, event_type: 'impression', ts: at(1), watch_seconds: null, duration_seconds: null, rating: null, source: 'home_feed:0:personalized:control' };
      const watched = { ...shown, event_id: 'stream-2', event_type: 'watch', ts: at(5), watch_seconds: 100, duration_seconds: 200, source: 'home_feed' };
      const landed = await landEventBatch(wh, 'events', [
        { id: '1-0', payload: JSON.stringify(shown) },
        { id: '1-1', payload: JSON.stringify(watched) },
        { id: '1-2', payload: JSON.stringify({ ...watched, event_id: 'stream-3', event_type: 'dance' }) },
        { id: '1-3', payload: 'not json' },
      ]);
      await copyToParquet(wh, 'exp_analytics_events_batch', { batch_id: landed.batchId }, paths.eventsBatch(landed.batchId));
      // The dashboard's history lines, encoded in SQL, are the lines the JS codec writes: the
      // landed watch (integral seconds print without ".0"), not the impression.
      const history = await wh.rows<{ user_id: string; lines: string }>('rpt_dashboard_history_lines', { batch_id: landed.batchId, depth: 20, part: 0, parts: 1 });
      expect(history).toEqual([{ user_id: u.user_id, lines: encodeHistoryEntry(Date.parse(watched.ts), { event_type: 'watch', movie_id: u.movie_id, watch_seconds: 100, duration_seconds: 200, rating: null, source: 'home_feed' }) }]);
      await wh.exec('ins_catalog_title', { movie_id: 'm-new', title: 'A New Title', year: 2024, genres: 'Drama|Comedy', tags: 'new', duration_seconds: 5400, added_at: '2030-01-01T00:00:00Z', now: '2030-01-01T00:00:00Z' });

      // One run's data (run tables, confidence, labels, features of every period).
      const version = 'v-sql-test';
      const dir = join(root, 'run');
      const run = await prepareRunData(wh, cfg, { version, dir });
      // Ranker examples from popularity-ordered candidates of the first users.
      const pop = runFiles.f32(dir, 'pop_gate');
      const order = Int32Array.from(pop.keys()).sort((a, b) => pop[b] - pop[a] || a - b);
      const n = Math.min(20, run.nItems);
      const users = Int32Array.from({ length: Math.min(50, run.nUsers) }, (_, i) => i);
      const idx = new Int32Array(users.length * n);
      const score = new Float32Array(users.length * n);
      for (let j = 0; j < users.length; j++) for (let r = 0; r < n; r++) [idx[j * n + r], score[j * n + r]] = [order[r], n - r];
      const candidates = { n, idx, score } as unknown as TopN;
      await buildRankerExamples(users, candidates, runFiles.csr(dir, 'holdout'), runFiles.csr(dir, 'gate_seen'), pop, { nCandidates: n, seed: 1, hardNegatives: 5, popNegatives: 5 });

      // The evaluation's record and the release, as the evaluate and publish steps write them.
      const now = new Date().toISOString();
      await wh.exec('ins_model_run', {
        version, workflow_id: 'wf-1', model: 'ials', now, as_of: run.asOf, cutoff: run.cutoff, params: '{"model":"ials"}', gate_passed: true, gate_reason: 'beats popularity',
        live_version: null, ndcg_10: 0.2, popularity_ndcg_10: 0.1, live_ndcg_10: null, n_users: run.nUsers, n_items: run.nItems, n_train: run.trainInteractions,
        // Bound only where the statement names them (the gate/release rework adds these columns).
        gate_outcome: 'pass', release: 'publish', holdout_users: run.nUsers, holdout_days: 7,
      });
      for (const [model, value] of [['candidate', 0.2], ['popularity', 0.1]] as const) {
        for (const metric of ['ndcg@10', 'recall@20', 'coverage@10']) await wh.exec('ins_eval_metric', { version, model, holdout: 'global_time', slice: 'all', metric, value });
      }
      await wh.exec('upd_model_run_published', { version, now });
      await wh.rows('rpt_dashboard_runs', { limit: 10 }); // what the worker publishes for the dashboard
      await copyToParquet(wh, 'exp_analytics_model_run', { version }, paths.run(version, 'model_runs'));
      await copyToParquet(wh, 'exp_analytics_eval_metrics', { version }, paths.run(version, 'eval_metrics'));
      const userIds = runFiles.users(dir);
      const movieIds = runFiles.items(dir).map((t) => t.movie_id);
      await writeRecommendationsSnapshot(paths.recommendations(version, 0), version, userIds.slice(0, 50).map((userId, j) => ({ userId, idx: idx.subarray(j * n, j * n + n), score: score.subarray(j * n, j * n + n), n })), movieIds);

      // The analysts' reports, on the views over those files.
      const db = await openAnalytics(cfg.DATA_DIR);
      try {
        await checkReport(db, 'rpt_dashboard_runs', { limit: 10 });
        await checkReport(db, 'rpt_report_latest_run');
        await checkReport(db, 'rpt_report_run', { version });
        await checkReport(db, 'rpt_report_metrics', { version });
        await checkReport(db, 'rpt_report_title_popularity', { version, as_of: run.asOf, cutoff: run.cutoff });
        await checkReport(db, 'rpt_dashboard_audience', { version, limit: 10 });
        await checkReport(db, 'rpt_variant_outcomes');
      } finally {
        db.close();
      }
    } finally {
      wh.close();
    }
  }, 300_000);

  afterAll(() => Object.assign(Warehouse.prototype, original));

  it('every file ran', () => {
    expect(SQL_NAMES.filter((n) => !ran.has(n))).toEqual([]);
  });

  it('every file that outputs rows declares its grain, and produced rows here (so the checks were not vacuous)', () => {
    const undeclared = SQL_NAMES.filter((n) => !DDL_ONLY.has(n) && !(CONTRACTS.get(n)?.grain));
    expect(undeclared).toEqual([]);
    const empty = SQL_NAMES.filter((n) => !DDL_ONLY.has(n) && ran.get(n) === 0);
    expect(empty).toEqual([]);
  });

  it('no output breaks its declared grain, not-nulls or ranges', () => {
    expect(problems).toEqual([]);
  });
});

describe('the SQL header contract', () => {
  it('reads table, grain, not-null and range lines, and catches each kind of breach', () => {
    const c = parseContract('-- Purpose.\n-- table: t\n-- grain: a, b\n-- not_null: a, c\n-- range: c 0..1, d 1..\nSELECT 1')!;
    expect(c).toEqual({ table: 't', grain: ['a', 'b'], notNull: ['a', 'c'], ranges: [{ column: 'c', lo: 0, hi: 1 }, { column: 'd', lo: 1, hi: Infinity }] });
    expect(contractProblems('x', [{ a: 1, b: 1, c: 0.5, d: 2 }, { a: 1, b: 2, c: 1, d: null }], c)).toEqual([]);
    expect(contractProblems('x', [{ a: 1, b: 1, c: 0.5, d: 2 }, { a: 1, b: 1, c: null, d: 0 }], c)).toEqual([
      'x: grain (a, b) repeats 1, 1',
      'x: c is NULL in row 1',
      'x: d = 0 is outside 1..Infinity',
    ]);
    expect(contractProblems('x', [{ a: 1 }, { a: 2 }], { grain: 'one row', notNull: [], ranges: [] })).toEqual(['x: grain is one row, got 2']);
    expect(parseContract('SELECT 1')).toBeNull();
  });
});
