// The ranker's data: feature snapshots (SQL aggregates as of a period's clock, exported by
// prepareRun into the run directory) and training examples (SQL over the retrieval candidates,
// written into a scratch in-memory DuckDB), plus their files and the analysts' Parquet.
//
// Files under runs/<version>/:
//   features/<period>.json + .bin     FeatureSnapshot of period pre | gate | ship (model/features.ts)
//   ranker-examples/<phase>.json + .bin   examples of the ranker phase gate | ship, with their feature rows
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config';
import { FEATURE_NAMES, FEATURE_WINDOWS, type FeatureSnapshot } from '../model/features';
import type { TopN } from '../model/recommend';
import type { Csr } from '../model/types';
import { csrFromSortedTriples } from './artifacts';
import { Warehouse } from './duckdb';

export type Period = 'pre' | 'gate' | 'ship';
export type RankerPhase = 'gate' | 'ship';

// ---------------------------------------------------------------------------------------------
// Bundles: one JSON header (meta + array directory) and one binary file of typed arrays.

type Typed = Int32Array | Float32Array | Float64Array | Uint8Array;
const CTORS = { i32: Int32Array, f32: Float32Array, f64: Float64Array, u8: Uint8Array } as const;
type Kind = keyof typeof CTORS;
const kindOf = (a: Typed): Kind => (a instanceof Int32Array ? 'i32' : a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'u8');

interface BundleHeader<M> {
  meta: M;
  arrays: { name: string; kind: Kind; length: number; offset: number }[];
  bytes: number;
}

function writeAtomic(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Write arrays (8-byte aligned) to <base>.bin, then the header to <base>.json (the header names a complete file). */
export function writeBundle<M>(base: string, meta: M, arrays: Record<string, Typed>): void {
  const dir: BundleHeader<M>['arrays'] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    dir.push({ name, kind: kindOf(a), length: a.length, offset });
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const buf = Buffer.alloc(offset);
  for (const e of dir) {
    const a = arrays[e.name];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, e.offset);
  }
  writeAtomic(`${base}.bin`, buf);
  writeAtomic(`${base}.json`, JSON.stringify({ meta, arrays: dir, bytes: offset } satisfies BundleHeader<M>));
}

export function readBundle<M>(base: string): { meta: M; arrays: Record<string, Typed> } {
  const head = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as BundleHeader<M>;
  const raw = readFileSync(`${base}.bin`);
  if (raw.length !== head.bytes) throw new Error(`${base}.bin: ${raw.length} bytes, header says ${head.bytes}`);
  const body = new Uint8Array(raw).buffer; // a fresh, aligned copy
  const arrays: Record<string, Typed> = {};
  for (const e of head.arrays) arrays[e.name] = new CTORS[e.kind](body, e.offset, e.length);
  return { meta: head.meta, arrays };
}

// ---------------------------------------------------------------------------------------------
// Feature snapshots.

export const featureSnapshotPath = (runDir: string, period: Period) => join(runDir, 'features', period);

interface SnapshotMeta {
  period: Period;
  nUsers: number;
  nItems: number;
  nGenres: number;
  lastK: number;
  windows: typeof FEATURE_WINDOWS;
}

/** Sorted (row, col, value) columns → dense nRows × nCols (absent cells 0). */
function denseFrom(n: number, rows: Int32Array, cols: Int32Array, vals: Float32Array | Int32Array, nRows: number, nCols: number, fill = 0): Float32Array | Int32Array {
  const out = vals instanceof Int32Array ? new Int32Array(nRows * nCols).fill(fill) : new Float32Array(nRows * nCols).fill(fill);
  for (let j = 0; j < n; j++) out[rows[j] * nCols + cols[j]] = vals[j];
  return out;
}

function checkIndexOrder(name: string, idx: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) if (idx[i] !== i) throw new Error(`${name}: row ${i} has index ${idx[i]} (expected every index in order)`);
}

/**
 * Aggregates of every run user and title as of `period`'s clocks (run_clock must hold the run's
 * clocks, run_items/run_genres/item_genres the run's titles). SQL: int_feature_clock,
 * int_feature_events, exp_feature_*.
 */
export async function exportFeatureSnapshot(wh: Warehouse, cfg: Pick<Config, 'CONF_ABANDON_COMPLETION'>, period: Period, nUsers: number, nItems: number, nGenres: number): Promise<FeatureSnapshot> {
  const W = FEATURE_WINDOWS;
  await wh.exec('int_feature_clock', { period });
  await wh.exec('int_feature_events');
  const smoothing = { prior_weight: W.priorWeight, prior_completion: W.priorCompletion };
  const it = await wh.columns('exp_feature_items', { long_days: W.longDays, short_days: W.shortDays, ...smoothing }, ['i32', 'f32', 'f32', 'f32', 'f32', 'f64'] as const, nItems);
  if (it.n !== nItems) throw new Error(`feature items: ${it.n} rows for ${nItems} titles`);
  checkIndexOrder('exp_feature_items', it.cols[0], nItems);
  const us = await wh.columns('exp_feature_users', { long_days: W.longDays, no_history_days: W.noHistoryDays, ...smoothing }, ['i32', 'f64', 'f32', 'f32', 'f32', 'f32'] as const, nUsers);
  if (us.n !== nUsers) throw new Error(`feature users: ${us.n} rows for ${nUsers} users`);
  checkIndexOrder('exp_feature_users', us.cols[0], nUsers);
  const ig = await wh.columns('exp_item_genres', undefined, ['i32', 'i32', 'f32'] as const);
  const ug = await wh.columns('exp_feature_user_genres', { abandon: cfg.CONF_ABANDON_COMPLETION }, ['i32', 'i32', 'f32'] as const);
  const last = await wh.columns('exp_feature_user_last', { last_k: W.lastK, abandon: cfg.CONF_ABANDON_COMPLETION }, ['i32', 'i32', 'i32'] as const);
  const intent = await wh.columns('exp_feature_user_intent', { intent_days: W.intentDays }, ['i32', 'i32', 'f32'] as const);
  const intentGenres = await wh.columns('exp_feature_user_intent_genres', { intent_days: W.intentDays }, ['i32', 'i32', 'f32'] as const);
  return {
    nUsers,
    nItems,
    nGenres,
    lastK: W.lastK,
    itemPopAll: it.cols[1],
    itemPopLong: it.cols[2],
    itemPopShort: it.cols[3],
    itemCompletion: it.cols[4],
    itemAddedAt: it.cols[5],
    itemGenres: csrFromSortedTriples(nItems, nGenres, ig.cols[0], ig.cols[1], ig.cols[2], ig.n),
    userClock: us.cols[1],
    userWatches: us.cols[2],
    userWatchesLong: us.cols[3],
    userDaysSinceLast: us.cols[4],
    userCompletion: us.cols[5],
    userGenres: denseFrom(ug.n, ug.cols[0], ug.cols[1], ug.cols[2], nUsers, nGenres) as Float32Array,
    userLast: denseFrom(last.n, last.cols[0], last.cols[1], last.cols[2], nUsers, W.lastK, -1) as Int32Array,
    userIntent: csrFromSortedTriples(nUsers, nItems, intent.cols[0], intent.cols[1], intent.cols[2], intent.n),
    userIntentGenres: denseFrom(intentGenres.n, intentGenres.cols[0], intentGenres.cols[1], intentGenres.cols[2], nUsers, nGenres) as Float32Array,
  };
}

export function writeFeatureSnapshot(runDir: string, period: Period, s: FeatureSnapshot): void {
  const meta: SnapshotMeta = { period, nUsers: s.nUsers, nItems: s.nItems, nGenres: s.nGenres, lastK: s.lastK, windows: FEATURE_WINDOWS };
  writeBundle(featureSnapshotPath(runDir, period), meta, {
    itemPopAll: s.itemPopAll,
    itemPopLong: s.itemPopLong,
    itemPopShort: s.itemPopShort,
    itemCompletion: s.itemCompletion,
    itemAddedAt: s.itemAddedAt,
    itemGenresIndptr: s.itemGenres.indptr,
    itemGenresIndices: s.itemGenres.indices,
    itemGenresValues: s.itemGenres.values,
    userClock: s.userClock,
    userWatches: s.userWatches,
    userWatchesLong: s.userWatchesLong,
    userDaysSinceLast: s.userDaysSinceLast,
    userCompletion: s.userCompletion,
    userGenres: s.userGenres,
    userLast: s.userLast,
    userIntentIndptr: s.userIntent.indptr,
    userIntentIndices: s.userIntent.indices,
    userIntentValues: s.userIntent.values,
    userIntentGenres: s.userIntentGenres,
  });
}

export function readFeatureSnapshot(runDir: string, period: Period): FeatureSnapshot {
  const { meta, arrays: a } = readBundle<SnapshotMeta>(featureSnapshotPath(runDir, period));
  if (JSON.stringify(meta.windows) !== JSON.stringify(FEATURE_WINDOWS)) {
    throw new Error(`feature snapshot ${period} of ${runDir} was built with windows ${JSON.stringify(meta.windows)}, this code defines ${JSON.stringify(FEATURE_WINDOWS)}: prepare the run again`);
  }
  const f32 = (n: string) => a[n] as Float32Array;
  const i32 = (n: string) => a[n] as Int32Array;
  return {
    nUsers: meta.nUsers,
    nItems: meta.nItems,
    nGenres: meta.nGenres,
    lastK: meta.lastK,
    itemPopAll: f32('itemPopAll'),
    itemPopLong: f32('itemPopLong'),
    itemPopShort: f32('itemPopShort'),
    itemCompletion: f32('itemCompletion'),
    itemAddedAt: a.itemAddedAt as Float64Array,
    itemGenres: { nRows: meta.nItems, nCols: meta.nGenres, indptr: i32('itemGenresIndptr'), indices: i32('itemGenresIndices'), values: f32('itemGenresValues') },
    userClock: a.userClock as Float64Array,
    userWatches: f32('userWatches'),
    userWatchesLong: f32('userWatchesLong'),
    userDaysSinceLast: f32('userDaysSinceLast'),
    userCompletion: f32('userCompletion'),
    userGenres: f32('userGenres'),
    userLast: i32('userLast'),
    userIntent: { nRows: meta.nUsers, nCols: meta.nItems, indptr: i32('userIntentIndptr'), indices: i32('userIntentIndices'), values: f32('userIntentValues') },
    userIntentGenres: f32('userIntentGenres'),
  };
}

// ---------------------------------------------------------------------------------------------
// Training examples.

export interface ExampleOptions {
  nCandidates: number;
  seed: number;
  /** H: an unwatched candidate of rank r is kept with probability min(1, H/(r+1)) (see rankKeepLogProb). */
  hardNegatives: number;
  popNegatives: number;
  /** 'hard_popularity' (default) or 'uniform': the same expected count per user drawn uniformly over the catalog. */
  negatives?: 'hard_popularity' | 'uniform';
}

/** Expected negatives per user of the default mode: H·(1 + ln(N/H)) thinned candidates + the popularity draws. */
export function expectedNegatives(o: Pick<ExampleOptions, 'hardNegatives' | 'popNegatives' | 'nCandidates'>): number {
  const h = Math.min(o.hardNegatives, o.nCandidates);
  return Math.round(h * (1 + Math.log(Math.max(1, o.nCandidates / h))) + o.popNegatives);
}

export interface RankerExamples {
  n: number;
  user: Int32Array; // n, user index (rows sorted by user, then title)
  item: Int32Array; // n, item index
  label: Float32Array; // n, 1 = watched in the label window
  inCandidates: Uint8Array; // n, 1 = in the user's candidate list (score/rank from retrieval)
  score: Float32Array; // n, retrieval score (0 until computed for titles outside the list)
  rank: Int32Array; // n, 0-based rank in the candidate list; nCandidates outside it
  fromPopularity: Uint8Array; // n, 1 = drawn by popularity rather than from the candidates
}

function appendPairs(app: Awaited<ReturnType<Warehouse['conn']['createAppender']>>, rowsOf: Int32Array, m: Csr): void {
  for (const u of rowsOf) {
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      app.appendInteger(u);
      app.appendInteger(m.indices[p]);
      app.endRow();
    }
  }
}

/**
 * Examples of `users` (ascending) from their retrieval candidates (`candidates`: users.length ×
 * nCandidates, row j = users[j]), the period's labels and seen titles, and title popularity, by
 * sql/fct_ranker_examples.sql in a scratch in-memory DuckDB.
 */
export async function buildRankerExamples(users: Int32Array, candidates: TopN, labels: Csr, seen: Csr, popularity: Float32Array, o: ExampleOptions): Promise<RankerExamples> {
  const n = candidates.n;
  if (n !== o.nCandidates) throw new RangeError(`candidate lists hold ${n} titles, nCandidates is ${o.nCandidates}`);
  const wh = await Warehouse.open(':memory:');
  try {
    await wh.exec('int_ranker_inputs');
    const cand = await wh.conn.createAppender('ranker_candidates');
    for (let j = 0; j < users.length; j++) {
      if (j % 500 === 499) await new Promise<void>((resolve) => setImmediate(resolve)); // appending is synchronous: let heartbeats through
      for (let r = 0; r < n; r++) {
        const it = candidates.idx[j * n + r];
        if (it < 0) break;
        cand.appendInteger(users[j]);
        cand.appendInteger(it);
        cand.appendFloat(candidates.score[j * n + r]);
        cand.appendInteger(r);
        cand.endRow();
      }
    }
    cand.closeSync();
    const lab = await wh.conn.createAppender('ranker_labels');
    appendPairs(lab, users, labels);
    lab.closeSync();
    const sn = await wh.conn.createAppender('ranker_seen');
    appendPairs(sn, users, seen);
    sn.closeSync();
    const pop = await wh.conn.createAppender('ranker_item_pop');
    for (let i = 0; i < popularity.length; i++) {
      pop.appendInteger(i);
      pop.appendDouble(popularity[i]);
      pop.endRow();
    }
    pop.closeSync();
    const { n: rows, cols } = await wh.columns(
      'fct_ranker_examples',
      {
        seed: o.seed,
        hard_negatives: o.hardNegatives,
        negatives: o.negatives ?? 'hard_popularity',
        draws: (o.negatives ?? 'hard_popularity') === 'uniform' ? expectedNegatives(o) : o.popNegatives,
        n_candidates: o.nCandidates,
      },
      ['i32', 'i32', 'f32', 'i32', 'f32', 'i32', 'i32'] as const,
    );
    return {
      n: rows,
      user: cols[0],
      item: cols[1],
      label: cols[2],
      inCandidates: Uint8Array.from(cols[3]),
      score: cols[4],
      rank: cols[5],
      fromPopularity: Uint8Array.from(cols[6]),
    };
  } finally {
    wh.close();
  }
}

export const rankerExamplesPath = (runDir: string, phase: RankerPhase) => join(runDir, 'ranker-examples', phase);

interface ExamplesMeta {
  phase: RankerPhase;
  n: number;
  featureNames: string[];
}

export function writeRankerExamples(runDir: string, phase: RankerPhase, ex: RankerExamples, x: Float32Array): void {
  writeBundle<ExamplesMeta>(rankerExamplesPath(runDir, phase), { phase, n: ex.n, featureNames: [...FEATURE_NAMES] }, {
    user: ex.user,
    item: ex.item,
    label: ex.label,
    inCandidates: ex.inCandidates,
    score: ex.score,
    rank: ex.rank,
    fromPopularity: ex.fromPopularity,
    x,
  });
}

export function readRankerExamples(runDir: string, phase: RankerPhase): { ex: RankerExamples; x: Float32Array; featureNames: string[] } {
  const { meta, arrays: a } = readBundle<ExamplesMeta>(rankerExamplesPath(runDir, phase));
  return {
    ex: {
      n: meta.n,
      user: a.user as Int32Array,
      item: a.item as Int32Array,
      label: a.label as Float32Array,
      inCandidates: a.inCandidates as Uint8Array,
      score: a.score as Float32Array,
      rank: a.rank as Int32Array,
      fromPopularity: a.fromPopularity as Uint8Array,
    },
    x: a.x as Float32Array,
    featureNames: meta.featureNames,
  };
}

const IDENT = /^[a-z][a-z0-9_]*$/;

/**
 * The analysts' ranker_examples Parquet of a run: one row per (phase, user, title) with the label,
 * where the example came from, and every feature as a column (names from model/features.ts).
 */
export async function writeRankerExamplesParquet(path: string, version: string, sets: { phase: RankerPhase; ex: RankerExamples; x: Float32Array; featureNames: string[] }[], userIds: string[], movieIds: string[]): Promise<void> {
  const names = sets[0]?.featureNames ?? [...FEATURE_NAMES];
  for (const f of names) if (!IDENT.test(f)) throw new RangeError(`feature name ${JSON.stringify(f)} is not a plain identifier`);
  for (const s of sets) if (s.featureNames.join() !== names.join()) throw new Error('ranker example sets of one run have different feature columns');
  mkdirSync(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    // Identifiers: fixed names plus the checked feature names above; every value goes through the appender.
    const featureCols = names.map((f) => `${f} FLOAT`).join(', ');
    await conn.run(`CREATE TABLE ranker_examples (version VARCHAR, phase VARCHAR, user_id VARCHAR, movie_id VARCHAR, label INTEGER, source VARCHAR, retrieval_rank INTEGER, ${featureCols})`);
    const app = await conn.createAppender('ranker_examples');
    const d = names.length;
    for (const { phase, ex, x } of sets) {
      for (let r = 0; r < ex.n; r++) {
        app.appendVarchar(version);
        app.appendVarchar(phase);
        app.appendVarchar(userIds[ex.user[r]]);
        app.appendVarchar(movieIds[ex.item[r]]);
        app.appendInteger(ex.label[r]);
        app.appendVarchar(ex.fromPopularity[r] ? 'popularity' : 'candidate');
        app.appendInteger(ex.rank[r]);
        for (let j = 0; j < d; j++) app.appendFloat(x[r * d + j]);
        app.endRow();
      }
    }
    app.closeSync();
    const tmp = `${path}.tmp-${process.pid}`;
    await conn.run('COPY ranker_examples TO $path (FORMAT parquet)', { path: tmp });
    renameSync(tmp, path);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
