// Ranker features: known answers of the feature function and of the SQL aggregates behind it,
// the skew test (one (user, title, time) through the training path and the scoring path gives the
// same vector) and the leakage test (an event in the label window never reaches a training feature).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRankerPlan } from '../../pipeline/recipe';
import { buildPhaseExamples, loadRankingInputs, rankerSettings, type PhaseExamples } from '../../pipeline/ranking';
import { fitRetrieval } from '../../pipeline/retrieval';
import type { RetrievalParams } from '../../activities/types';
import { loadConfig, type Config } from '../../config';
import { generateWorld } from '../../data/generator';
import { FEATURE_NAMES, FeatureBuilder, N_FEATURES, retrievalView, type FeatureSnapshot } from '../../model/features';
import { candidateFeatureBlocks, dropUnavailable, hardNegativeLogKeep } from '../../model/rerank';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { eventsFile } from '../../data/world-dir';
import { readFeatureSnapshot } from '../../storage/ranker-data';
import { prepareRunData, runFiles } from '../../storage/run-data';
import { tempDir } from '../helpers/paths';

const F = Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, j])) as Record<string, number>;
const DAY = 86400;

function csr(nRows: number, nCols: number, rows: [number, number][][]) {
  const indptr = new Int32Array(nRows + 1);
  const indices: number[] = [], values: number[] = [];
  rows.forEach((r, i) => {
    for (const [c, v] of r) {
      indices.push(c);
      values.push(v);
    }
    indptr[i + 1] = indices.length;
  });
  return { nRows, nCols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

describe('the feature function (known answers)', () => {
  // 2 users, 3 titles, genres Action(0) Comedy(1), k = 2, last k = 2.
  const C = 1_800_000_000;
  const snap: FeatureSnapshot = {
    nUsers: 2,
    nItems: 3,
    nGenres: 2,
    lastK: 2,
    itemPopAll: Float32Array.of(10, 0, 3),
    itemPopLong: Float32Array.of(4, 0, 3),
    itemPopShort: Float32Array.of(2, 0, 3),
    itemCompletion: Float32Array.of(0.8, 0.5, 0.9),
    itemAddedAt: Float64Array.of(C - 10 * DAY, C + DAY, C - 0.5 * DAY),
    itemGenres: csr(3, 2, [[[0, 1]], [[0, 0.5], [1, 0.5]], []]),
    userClock: Float64Array.of(C, C),
    userWatches: Float32Array.of(9, 0),
    userWatchesLong: Float32Array.of(3, 0),
    userDaysSinceLast: Float32Array.of(2, 365),
    userCompletion: Float32Array.of(0.7, 0.5),
    userGenres: Float32Array.of(0.75, 0.25, 0, 0),
    userLast: Int32Array.of(0, -1, -1, -1),
    userIntent: csr(2, 3, [[[1, 3]], []]),
    userIntentGenres: Float32Array.of(0, 1, 0, 0),
  };
  // y0 = (1, 0), y1 = (0, 2), y2 = (3, 4); x0 = (1, 1), x1 = (0, 0)
  const ret = retrievalView(2, Float32Array.of(1, 1, 0, 0), Float32Array.of(1, 0, 0, 2, 3, 4));
  const b = new FeatureBuilder(snap, ret, 10);
  const rowsOf = (u: number, items: number[], scores: number[], ranks: number[]) => {
    const out = new Float32Array(items.length * N_FEATURES);
    b.rows(u, items, scores, ranks, items.length, out);
    return (r: number, name: string) => out[r * N_FEATURES + F[name]];
  };

  it('a candidate with genre overlap, intent and a title added after the clock', () => {
    const x = rowsOf(0, [1], [2], [4]);
    expect(x(0, 'retrieval_score')).toBeCloseTo(2, 6);
    expect(x(0, 'retrieval_log_rank')).toBeCloseTo(Math.log(5), 6);
    expect(x(0, 'item_factor_norm')).toBeCloseTo(2, 6);
    expect(x(0, 'item_log_pop_all')).toBe(0);
    expect(x(0, 'item_trend')).toBeCloseTo(0, 6);
    expect(x(0, 'item_log_age_days')).toBe(0); // added after the clock: clamped, never negative
    expect(x(0, 'item_completion')).toBeCloseTo(0.5, 6);
    expect(x(0, 'user_log_watches')).toBeCloseTo(Math.log(10), 6);
    expect(x(0, 'user_log_watches_long')).toBeCloseTo(Math.log(4), 6);
    expect(x(0, 'user_log_days_since_last')).toBeCloseTo(Math.log(3), 6);
    expect(x(0, 'user_completion')).toBeCloseTo(0.7, 6);
    // (0.75, 0.25)·(0.5, 0.5) / (‖(0.75, 0.25)‖ ‖(0.5, 0.5)‖)
    expect(x(0, 'genre_match')).toBeCloseTo(0.5 / (Math.sqrt(0.625) * Math.sqrt(0.5)), 5);
    expect(x(0, 'recent_genre_match')).toBeCloseTo(1, 6); // the one last title (y0, Action) shares Action
    expect(x(0, 'sim_last_max')).toBeCloseTo(0, 6); // y1 ⟂ y0
    expect(x(0, 'sim_last_mean')).toBeCloseTo(0, 6);
    expect(x(0, 'intent_title')).toBeCloseTo(Math.log(4), 6);
    expect(x(0, 'intent_genre')).toBeCloseTo(1, 6); // all intent on Comedy, which the title has
  });

  it('a popular, recent title without genres; a title outside the candidate list', () => {
    const x = rowsOf(0, [2, 0], [7, 1], [0, -1]);
    expect(x(0, 'retrieval_log_rank')).toBe(0);
    expect(x(0, 'item_factor_norm')).toBeCloseTo(5, 5);
    expect(x(0, 'item_log_pop_short')).toBeCloseTo(Math.log(4), 6);
    expect(x(0, 'item_trend')).toBeCloseTo(Math.log(4 / (1 + (3 * 7) / 30)), 5);
    expect(x(0, 'item_log_age_days')).toBeCloseTo(Math.log(1.5), 5);
    expect(x(0, 'genre_match')).toBe(0);
    expect(x(0, 'recent_genre_match')).toBe(0);
    expect(x(0, 'sim_last_max')).toBeCloseTo(0.6, 5); // cos((3, 4), (1, 0))
    expect(x(0, 'sim_last_mean')).toBeCloseTo(0.6, 5);
    expect(x(0, 'intent_title')).toBe(0);
    expect(x(1, 'retrieval_log_rank')).toBeCloseTo(Math.log(11), 6); // outside the list: rank = list length
    expect(x(1, 'item_log_age_days')).toBeCloseTo(Math.log(11), 5);
    expect(x(1, 'sim_last_max')).toBeCloseTo(1, 5); // the last title itself
  });

  it('a user with no history gets zeros for every history feature, and intent never carries over between users', () => {
    const x = rowsOf(1, [1, 2], [0, 0], [0, 1]);
    for (const name of ['genre_match', 'recent_genre_match', 'sim_last_max', 'sim_last_mean', 'intent_title', 'intent_genre', 'user_log_watches']) {
      expect(x(0, name)).toBe(0);
      expect(x(1, name)).toBe(0);
    }
    expect(x(0, 'user_log_days_since_last')).toBeCloseTo(Math.log(366), 5);
  });

  it('drops titles added after the user clock from candidate lists, and corrects for thinned negatives by ln q(rank)', () => {
    const top = { n: 3, idx: Int32Array.of(1, 2, 0, 2, 1, -1), score: Float32Array.of(3, 2, 1, 5, 4, -Infinity) };
    dropUnavailable(top, Int32Array.of(0, 1), snap);
    expect(Array.from(top.idx)).toEqual([2, 0, -1, 2, -1, -1]);
    expect(Array.from(top.score.subarray(0, 2))).toEqual([2, 1]);
    const logKeep = hardNegativeLogKeep(10);
    expect(logKeep(0)).toBe(0);
    expect(logKeep(9)).toBe(0);
    expect(logKeep(19)).toBeCloseTo(Math.log(0.5), 9);
  });
});

// ---------------------------------------------------------------------------------------------

const MOVIES = `movie_id,title,year,genres,tags,duration_seconds,added_at
m1,One,2000,Action|Drama,,6000,2026-01-01T00:00:00Z
m2,Two,2001,Comedy,,6000,2026-01-01T00:00:00Z
m3,Three,2002,Action,,6000,2026-02-20T00:00:00Z
m4,Four,2003,Drama,,6000,2026-01-01T00:00:00Z
`;
// as-of = the last event, 2026-03-10; 7-day windows: pre clock 02-24, cutoff 03-03.
const EVENTS = `event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source
e1,u1,m1,watch,2026-01-10T00:00:00Z,6000,6000,,
e2,u1,m2,watch,2026-02-25T00:00:00Z,3000,6000,,
e3,u1,m3,search,2026-02-26T00:00:00Z,,,,
e4,u1,m3,browse,2026-02-27T00:00:00Z,,,,
e5,u1,m4,watch,2026-03-01T00:00:00Z,600,6000,,
e6,u2,m1,watch,2026-02-28T00:00:00Z,6000,6000,,
e7,u2,m3,watch,2026-03-02T00:00:00Z,5400,6000,,
e8,u3,m2,watch,2026-03-05T00:00:00Z,6000,6000,,
e9,u1,m3,watch,2026-03-06T00:00:00Z,6000,6000,,
e10,u3,m1,watch,2026-03-10T00:00:00Z,6000,6000,,
`;

describe('the SQL feature aggregates (known answers)', () => {
  let dir: string;
  let ui: (id: string) => number;
  let gate: FeatureSnapshot;

  beforeAll(async () => {
    const base = tempDir('features-sql');
    const world = join(base, 'world');
    mkdirSync(world, { recursive: true });
    writeFileSync(join(world, 'movies.csv'), MOVIES);
    writeFileSync(join(world, 'events.csv'), EVENTS);
    const wh = await Warehouse.open(':memory:');
    try {
      await initSchema(wh);
      await ingestFile(wh, 'titles', join(world, 'movies.csv'));
      await ingestFile(wh, 'events', join(world, 'events.csv'));
      dir = join(base, 'run');
      await prepareRunData(wh, loadConfig({ DATA_DIR: base }), { version: 'v1', dir });
    } finally {
      wh.close();
    }
    const users = runFiles.users(dir);
    ui = (id) => users.indexOf(id);
    gate = readFeatureSnapshot(dir, 'gate');
  });

  it('titles: distinct watchers over all time / 30 d / 7 d before the clock, smoothed completion', () => {
    // m1..m4 are items 0..3 (by movie_id). Gate clock 2026-03-03.
    expect(Array.from(gate.itemPopAll)).toEqual([2, 1, 1, 1]);
    expect(Array.from(gate.itemPopLong)).toEqual([1, 1, 1, 1]); // u1 watched m1 on 01-10, outside 30 d
    expect(Array.from(gate.itemPopShort)).toEqual([1, 1, 1, 1]);
    const expected = [(1 + 1 + 1) / 4, (0.5 + 1) / 3, (0.9 + 1) / 3, (0.1 + 1) / 3];
    expected.forEach((c, i) => expect(gate.itemCompletion[i]).toBeCloseTo(c, 5));
    expect(gate.itemAddedAt[2]).toBe(Date.parse('2026-02-20T00:00:00Z') / 1000);
  });

  it('users: watches, days since the last event, completion, genre shares, last titles, intent', () => {
    const [u1, u2, u3] = [ui('u1'), ui('u2'), ui('u3')];
    expect(gate.userClock[u1]).toBe(Date.parse('2026-03-03T00:00:00Z') / 1000);
    expect([gate.userWatches[u1], gate.userWatchesLong[u1], gate.userDaysSinceLast[u1]]).toEqual([3, 2, 2]);
    expect(gate.userCompletion[u1]).toBeCloseTo((1 + 0.5 + 0.1 + 1) / 5, 5);
    expect([gate.userWatches[u3], gate.userDaysSinceLast[u3]]).toEqual([0, 365]);
    // genres Action 0, Comedy 1, Drama 2; u1: m1 (A, D) and m2 (C); m4 was abandoned (10 %) and does not count.
    const G = gate.nGenres;
    expect(G).toBe(3);
    expect(Array.from(gate.userGenres.subarray(u1 * G, u1 * G + G))).toEqual([0.25, 0.5, 0.25]);
    expect(Array.from(gate.userGenres.subarray(u2 * G, u2 * G + G))).toEqual([0.75, 0, 0.25]);
    expect(Array.from(gate.userLast.subarray(u1 * 5, u1 * 5 + 3))).toEqual([1, 0, -1]); // m2 then m1
    expect(Array.from(gate.userLast.subarray(u2 * 5, u2 * 5 + 3))).toEqual([2, 0, -1]);
    const a = gate.userIntent.indptr[u1];
    expect(gate.userIntent.indptr[u1 + 1] - a).toBe(1);
    expect([gate.userIntent.indices[a], gate.userIntent.values[a]]).toEqual([2, 2]); // m3: a search and a browse
    expect(Array.from(gate.userIntentGenres.subarray(u1 * G, u1 * G + G))).toEqual([1, 0, 0]);
  });

  it('labels: watches in each window, minus titles seen (or positive) before it', () => {
    const pairs = (name: 'pre_labels' | 'holdout') => {
      const m = runFiles.csr(dir, name);
      const users = runFiles.users(dir);
      const out: string[] = [];
      for (let u = 0; u < m.nRows; u++) for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) out.push(`${users[u]}:m${m.indices[p] + 1}`);
      return out.sort();
    };
    // [02-24, 03-03): u1 m2 (50 %), u2 m1, u2 m3; u1's m4 (10 %) is not a label.
    expect(pairs('pre_labels')).toEqual(['u1:m2', 'u2:m1', 'u2:m3']);
    // [03-03, 03-10]: u3 m1, u3 m2; u1 m3 had a search and a browse before the cutoff (a training positive).
    expect(pairs('holdout')).toEqual(['u3:m1', 'u3:m2']);
    const pre = readFeatureSnapshot(dir, 'pre');
    expect(Array.from(pre.itemPopAll)).toEqual([1, 0, 0, 0]); // before 02-24 only u1's m1
  });
});

// ---------------------------------------------------------------------------------------------

const PARAMS: RetrievalParams = { model: 'ials', factors: 8, epochs: 4, alpha0: 0.05, lambda: 0.02, nu: 1, cgSteps: 3, seed: 5 };

async function ingestWorld(wh: Warehouse, world: string): Promise<void> {
  await initSchema(wh);
  await ingestFile(wh, 'titles', join(world, 'movies.csv'));
  await ingestFile(wh, 'events', eventsFile(world));
}

const rowKey = (u: number, i: number) => `${u}:${i}`;

describe('the training and scoring paths of the features', () => {
  let cfg: Config;
  let world: string;
  let base: string;
  beforeAll(async () => {
    base = tempDir('features-paths');
    world = join(base, 'world');
    await generateWorld({ preset: 'tiny', seed: 3, outDir: world });
    // EVAL_MIN_USERS=1: the holdout stays EVAL_WINDOW_DAYS long, so the cutoff is as-of − that window.
    cfg = loadConfig({ DATA_DIR: base, ALS_THREADS: '2', RANK_CANDIDATES: '60', RANKER_TRAIN_USERS: '80', EVAL_MIN_USERS: '1' });
  });

  it('compute the same vector for the same (user, title, time): training examples at the cutoff = scoring at as-of = the cutoff', async () => {
    const wh = await Warehouse.open(':memory:');
    let asOf: string, cutoff: string;
    const dirA = join(base, 'skew-a'), dirB = join(base, 'skew-b');
    try {
      await ingestWorld(wh, world);
      const [{ max_ts }] = await wh.query<{ max_ts: Date }>('SELECT max(ts) AS max_ts FROM events');
      asOf = max_ts.toISOString();
      cutoff = new Date(max_ts.getTime() - cfg.EVAL_WINDOW_DAYS * 86400_000).toISOString();
      // Same users and titles on both sides of the cutoff, so both runs index them alike.
      await wh.query(`DELETE FROM events WHERE user_id IN (SELECT user_id FROM events WHERE event_type <> 'impression' GROUP BY user_id HAVING min(ts) >= $t::TIMESTAMP)`, { t: cutoff });
      await wh.query(`DELETE FROM events WHERE movie_id IN (SELECT movie_id FROM catalog WHERE added_at >= $t::TIMESTAMP)`, { t: cutoff });
      await wh.query(`DELETE FROM catalog WHERE added_at >= $t::TIMESTAMP`, { t: cutoff });
      // Training path: run A (as-of = the data's end), examples of the shipped ranker = as of the cutoff.
      await prepareRunData(wh, cfg, { version: 'vA', dir: dirA, asOf });
      // Scoring path: run B whose as-of is just before A's cutoff, so its scoring clock is A's cutoff.
      await prepareRunData(wh, cfg, { version: 'vB', dir: dirB, asOf: new Date(Date.parse(cutoff) - 1000).toISOString() });
    } finally {
      wh.close();
    }
    expect(runFiles.users(dirB)).toEqual(runFiles.users(dirA));
    await fitRetrieval(dirA, 'gate', 'gate', PARAMS, 2);
    await fitRetrieval(dirB, 'ship', 'ship', PARAMS, 2);

    const s = rankerSettings(defaultRankerPlan(cfg), cfg.ALS_THREADS);
    const train = (await buildPhaseExamples(dirA, 'ship', s)) as PhaseExamples;
    expect(train.ex.n).toBeGreaterThan(100);
    const inp = loadRankingInputs(dirB, { retrievalPhase: 'ship', period: 'ship', popName: 'pop_ship', candidates: s.candidates, threads: 2 });
    const scoring = new Map<string, Float32Array>();
    for await (const blk of candidateFeatureBlocks(inp.base, inp.builder, train.users, runFiles.csr(dirB, 'ship_seen'), inp.nCandidates)) {
      for (let b = 0; b < blk.nUsers; b++) {
        for (let r = blk.rowStart[b]; r < blk.rowStart[b + 1]; r++) {
          const item = blk.idx[b * inp.nCandidates + (r - blk.rowStart[b])];
          scoring.set(rowKey(train.users[blk.first + b], item), blk.x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES));
        }
      }
    }
    let compared = 0;
    for (let r = 0; r < train.ex.n; r++) {
      if (!train.ex.inCandidates[r]) continue;
      const y = scoring.get(rowKey(train.ex.user[r], train.ex.item[r]));
      expect(y, `(${train.ex.user[r]}, ${train.ex.item[r]}) is a candidate on both paths`).toBeDefined();
      const x = train.x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES);
      for (let j = 0; j < N_FEATURES; j++) expect(y![j], `${FEATURE_NAMES[j]} of (${train.ex.user[r]}, ${train.ex.item[r]})`).toBeCloseTo(x[j], 5);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('never see an event of the label window: a planted search and watches after the cutoff leave every training feature unchanged', async () => {
    const wh = await Warehouse.open(':memory:');
    const dir1 = join(base, 'leak-1'), dir2 = join(base, 'leak-2');
    const s = rankerSettings(defaultRankerPlan(cfg), cfg.ALS_THREADS);
    let before: PhaseExamples, asOf: string, cutoff: string;
    try {
      await ingestWorld(wh, world);
      const m = await prepareRunData(wh, cfg, { version: 'v1', dir: dir1 });
      asOf = m.asOf;
      cutoff = m.cutoff;
      await fitRetrieval(dir1, 'gate', 'gate', PARAMS, 2);
      before = (await buildPhaseExamples(dir1, 'ship', s)) as PhaseExamples;
      // A candidate near the top the user did not watch in the window, and another title.
      let r = 0;
      while (!(before.ex.inCandidates[r] && before.ex.label[r] === 0 && before.ex.rank[r] < s.hardNegatives)) r++;
      const u = before.ex.user[r], i = before.ex.item[r];
      const userId = runFiles.users(dir1)[u];
      const movies = runFiles.items(dir1).map((t) => t.movie_id);
      const j = before.ex.item.find((it, q) => before.ex.user[q] === u && it !== i && before.ex.label[q] === 0)!;
      const at = (h: number) => new Date(Date.parse(cutoff) + h * 3600_000).toISOString();
      const planted = join(base, 'planted.csv');
      writeFileSync(
        planted,
        'event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source\n' +
          `p1,${userId},${movies[i]},search,${at(1)},,,,\n` +
          `p2,${userId},${movies[i]},browse,${at(1.5)},,,,\n` +
          `p3,${userId},${movies[i]},watch,${at(2)},6000,6000,,\n` +
          `p4,${userId},${movies[j]},watch,${at(3)},6000,6000,,\n`,
      );
      expect(Date.parse(at(3))).toBeLessThan(Date.parse(asOf));
      await ingestFile(wh, 'events', planted);
      await prepareRunData(wh, cfg, { version: 'v2', dir: dir2, asOf });
      await fitRetrieval(dir2, 'gate', 'gate', PARAMS, 2);
      const after = (await buildPhaseExamples(dir2, 'ship', s)) as PhaseExamples;

      const find = (e: PhaseExamples) => {
        for (let q = 0; q < e.ex.n; q++) if (e.ex.user[q] === u && e.ex.item[q] === i) return q;
        return -1;
      };
      const q = find(after);
      expect(q).toBeGreaterThanOrEqual(0);
      expect(after.ex.label[q]).toBe(1); // the planted watch is this example's label …
      const x0 = before.x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES), x1 = after.x.subarray(q * N_FEATURES, (q + 1) * N_FEATURES);
      for (let f = 0; f < N_FEATURES; f++) expect(x1[f], FEATURE_NAMES[f]).toBe(x0[f]); // … and no feature of it moved
      // The events are real: the scoring snapshot (as of as-of) sees them in the features they would have changed.
      const ship = readFeatureSnapshot(dir2, 'ship');
      const intentRow = Array.from(ship.userIntent.indices.subarray(ship.userIntent.indptr[u], ship.userIntent.indptr[u + 1]));
      expect(intentRow).toContain(i);
      expect(ship.userWatches[u]).toBe(readFeatureSnapshot(dir1, 'ship').userWatches[u] + 2);
    } finally {
      wh.close();
    }
  });
});

describe('the feature list', () => {
  it('names every column once, as plain identifiers (they become Parquet columns)', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    for (const n of FEATURE_NAMES) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});
