// Export one run's training data from the warehouse into artifact files, so training, evaluation
// and scoring read files (on any worker) instead of holding a DuckDB connection.
//
// A run has three periods (model/types.ts RunPhase), split by one global clock for everyone
// (sql/int_run_clock.sql) — a time split, never random and never per user, so no item-side quantity
// (popularity, trending, features, factors) ever sees an event after the period's clock:
//   pre   events before the pre clock (cutoff − the holdout's length): the gate ranker's examples,
//         labelled by [pre, cutoff)
//   gate  events before the cutoff: the gate models (evaluated on the holdout [cutoff, as-of]); the
//         shipped ranker's examples, labelled by the holdout
//   ship  events up to as-of: the shipped retrieval model; batch scoring's features
// The holdout is sized for power (sql/get_holdout_window.sql): it starts EVAL_WINDOW_DAYS before as-of
// and grows backwards until EVAL_MIN_USERS users have a label-eligible watch in it, capped so that at
// most EVAL_MAX_HOLDOUT_FRACTION of those watches fall in it. The manifest records the choice and why.
//
// Files under runs/<version>/:
//   run.json                 RunManifest below
//   users.json / items.json  ids (and title metadata) in dense index order; genres.json the genre vocabulary
//   One vocabulary for periods everywhere (model/types.ts RunPhase: pre, gate, ship):
//   pre.csr / pre_seen.csr / pre_labels.csr    positives (confidence) / seen titles before the pre clock / its labels
//   gate.csr / gate_seen.csr / holdout.csr     the same at the cutoff; holdout = titles first watched in [cutoff, as-of]
//   pre_labels_completion.csr / holdout_completion.csr   the labels' completion (same entries, value in (0, 1])
//   ship.csr / ship_seen.csr                   the same up to as-of (the shipped model's data)
//   pop_<p>.f32 / trend_<p>.f32 (p = pre, gate, ship)   baseline signals (nItems)
//   features/<period>.json + .bin   ranker feature aggregates as of each period (storage/ranker-data.ts)
import { join } from 'node:path';
import type { Config } from '../config';
import type { Csr, Title } from '../model/types';
import { analyticsPaths, copyToParquet } from './analytics';
import type { Warehouse } from './duckdb';
import { csrFromSortedTriples, readCsr, readF32, readJson, writeCsr, writeF32, writeJson } from './artifacts';
import { exportFeatureSnapshot, writeFeatureSnapshot, type Period } from './ranker-data';

/** How the run splits time: one global cutoff for everyone (the only protocol: see the header). */
export type HoldoutKind = 'global_time';

/** How the holdout window was chosen (sql/get_holdout_window.sql). */
export interface HoldoutWindow {
  days: number; // as-of − cutoff
  defaultDays: number; // EVAL_WINDOW_DAYS
  minUsers: number; // EVAL_MIN_USERS
  maxFraction: number; // EVAL_MAX_HOLDOUT_FRACTION
  eligibleUsers: number; // users with any label-eligible watch up to as-of
  usersInDefault: number; // … with one in the default window
  usersInWindow: number; // … with one in the chosen window
  /** One line: why this window. */
  reason: string;
}

export interface RunManifest {
  version: string;
  holdout: HoldoutKind;
  asOf: string; // ISO: the data's clock (latest event time unless given)
  cutoff: string; // ISO: train < cutoff ≤ holdout ≤ asOf
  preCutoff: string; // ISO: the pre period's clock (cutoff − the holdout's length)
  window: HoldoutWindow;
  nUsers: number;
  nItems: number;
  nGenres: number;
  preInteractions: number;
  trainInteractions: number;
  fullInteractions: number;
  preHoldoutUsers: number;
  preHoldoutInteractions: number;
  holdoutUsers: number;
  holdoutInteractions: number;
  nEvents: number;
}

/** A title of a run, in item-index order (items.json): the catalog's shape. */
export type RunItem = Title;

export class NoDataError extends Error {}

export async function dataClock(wh: Warehouse): Promise<{ maxTs: Date | null; nEvents: number; nTitles: number }> {
  const [r] = await wh.rows<{ max_ts: Date | null; n_events: bigint; n_titles: bigint }>('get_data_clock');
  return { maxTs: r.max_ts, nEvents: Number(r.n_events), nTitles: Number(r.n_titles) };
}

function confidenceParams(cfg: Config, period: Period) {
  return {
    period,
    w_watch: cfg.CONF_WATCH_WEIGHT,
    w_repeat: cfg.CONF_REPEAT_WEIGHT,
    w_rating: cfg.CONF_RATING_WEIGHT,
    w_search: cfg.CONF_SEARCH_WEIGHT,
    w_browse: cfg.CONF_BROWSE_WEIGHT,
    abandon: cfg.CONF_ABANDON_COMPLETION,
    low_rating: cfg.CONF_LOW_RATING,
  };
}

async function exportCsr(wh: Warehouse, sql: string, params: Record<string, any> | undefined, nRows: number, nCols: number): Promise<Csr> {
  const { n, cols } = await wh.columns(sql, params, ['i32', 'i32', 'f32'] as const);
  return csrFromSortedTriples(nRows, nCols, cols[0], cols[1], cols[2], n);
}

async function exportPopularity(wh: Warehouse, ref: string, trendDays: number, nItems: number) {
  const { n, cols } = await wh.columns('exp_item_popularity', { cutoff: ref, trend_days: trendDays }, ['i32', 'f32', 'f32'] as const, nItems);
  if (n !== nItems) throw new Error(`popularity rows ${n} ≠ items ${nItems}`);
  return { popularity: cols[1], trending: cols[2] };
}

const csrRows = (m: Csr) => {
  let n = 0;
  for (let u = 0; u < m.nRows; u++) if (m.indptr[u + 1] > m.indptr[u]) n++;
  return n;
};

/** Per period: the CSR names of its positives and seen titles, its labels (window to the next clock), its signals. */
const PERIODS = [
  { period: 'pre', positives: 'pre', seen: 'pre_seen', labels: 'pre_labels', next: 'gate', signals: 'pre' },
  { period: 'gate', positives: 'gate', seen: 'gate_seen', labels: 'holdout', next: 'ship', signals: 'gate' },
  { period: 'ship', positives: 'ship', seen: 'ship_seen', labels: null, next: null, signals: 'ship' },
] as const;

export async function prepareRunData(
  wh: Warehouse,
  cfg: Config,
  opts: { version: string; dir: string; asOf?: string; evalWindowDays?: number; minUsers?: number },
  progress: (msg: string) => void = () => {},
): Promise<RunManifest> {
  const clock = await dataClock(wh);
  if (!clock.maxTs) throw new NoDataError('the warehouse has no events: ingest a world first');
  const asOfDate = opts.asOf ? new Date(opts.asOf) : clock.maxTs;
  if (Number.isNaN(asOfDate.getTime())) throw new NoDataError(`asOf is not a timestamp: ${opts.asOf}`);
  const defaultDays = opts.evalWindowDays ?? cfg.EVAL_WINDOW_DAYS;
  const asOf = asOfDate.toISOString();
  const defaultCutoff = new Date(asOfDate.getTime() - defaultDays * 86400_000).toISOString();
  const afterAsOf = new Date(asOfDate.getTime() + 1000).toISOString(); // ts < this ⇔ ts ≤ asOf (second precision)

  progress('indexing users and titles');
  await wh.exec('int_run_users', { as_of: asOf });
  await wh.exec('int_run_items', { as_of: asOf });
  await wh.exec('int_run_genres');
  await wh.exec('int_item_genres');
  progress('sizing the holdout window');
  const minUsers = opts.minUsers ?? cfg.EVAL_MIN_USERS;
  const [w] = await wh.rows<{ cutoff: Date; cap_ts: Date; eligible_users: bigint; users_default: bigint | null; users_chosen: bigint | null; capped: boolean }>('get_holdout_window', {
    default_cutoff: defaultCutoff,
    ship: afterAsOf,
    min_users: minUsers,
    max_fraction: cfg.EVAL_MAX_HOLDOUT_FRACTION,
    label_completion: cfg.LABEL_COMPLETION,
  });
  const cutoffDate = w.cutoff;
  const cutoff = cutoffDate.toISOString();
  const windowMs = asOfDate.getTime() - cutoffDate.getTime();
  const preCutoff = new Date(cutoffDate.getTime() - windowMs).toISOString();
  const days = windowMs / 86400_000;
  const usersInWindow = Number(w.users_chosen ?? 0), usersInDefault = Number(w.users_default ?? 0), eligibleUsers = Number(w.eligible_users);
  const grown = cutoff !== new Date(defaultCutoff).toISOString();
  const judged = 'users with a watch on both sides of the cutoff';
  const reason = !grown
    ? `${defaultDays} days (EVAL_WINDOW_DAYS) hold ${usersInDefault} ${judged} (${minUsers} wanted, EVAL_MIN_USERS)`
    : w.capped
      ? `grown from ${defaultDays} to ${days.toFixed(1)} days, the most ${judged} (${usersInWindow}; ${minUsers} wanted) within the cap of ${(cfg.EVAL_MAX_HOLDOUT_FRACTION * 100).toFixed(0)}% of eligible watches; ${usersInDefault} in ${defaultDays} days`
      : `grown from ${defaultDays} to ${days.toFixed(1)} days to hold ${usersInWindow} ${judged} (${minUsers} wanted); ${usersInDefault} in ${defaultDays} days`;
  const window: HoldoutWindow = { days, defaultDays, minUsers, maxFraction: cfg.EVAL_MAX_HOLDOUT_FRACTION, eligibleUsers, usersInDefault, usersInWindow, reason };
  progress(`holdout: ${reason}`);
  await wh.exec('int_run_clock', { pre_cutoff: preCutoff, cutoff, ship: afterAsOf });
  const users = (await wh.rows<{ user_id: string }>('exp_run_users')).map((r) => r.user_id);
  const items = (await wh.rows<RunItem & { item_index: number }>('exp_run_items')).map(({ item_index: _i, ...r }) => ({ ...r, year: r.year ?? null, duration_seconds: r.duration_seconds ?? null }));
  const genres = (await wh.rows<{ genre: string }>('exp_run_genres')).map((r) => r.genre);
  const nUsers = users.length;
  const nItems = items.length;
  if (nUsers === 0 || nItems === 0) throw new NoDataError(`no users (${nUsers}) or titles (${nItems}) up to ${asOf}`);

  const d = opts.dir;
  const refs: Record<string, string> = {};
  const csrs: Record<string, Csr> = {};
  for (const p of PERIODS) {
    const [ref] = await wh.rows<{ ref_ts: Date }>('get_period_ref', { period: p.period });
    refs[p.period] = ref.ref_ts.toISOString();
    progress(`confidence, labels and features before the ${p.period} clock`);
    await wh.exec('int_user_item_confidence', confidenceParams(cfg, p.period));
    csrs[p.positives] = await exportCsr(wh, 'exp_positives', undefined, nUsers, nItems);
    csrs[p.seen] = await exportCsr(wh, 'exp_seen', undefined, nUsers, nItems);
    if (p.labels) {
      const labelParams = { from: p.period, to: p.next, label_completion: cfg.LABEL_COMPLETION };
      csrs[p.labels] = await exportCsr(wh, 'exp_period_labels', labelParams, nUsers, nItems);
      csrs[`${p.labels}_completion`] = await exportCsr(wh, 'exp_period_label_completion', labelParams, nUsers, nItems);
    }
    const signals = await exportPopularity(wh, p.period === 'ship' ? afterAsOf : refs[p.period], cfg.TRENDING_DAYS, nItems);
    writeF32(join(d, `pop_${p.signals}.f32`), signals.popularity);
    writeF32(join(d, `trend_${p.signals}.f32`), signals.trending);
    if (p.period === 'gate') await copyToParquet(wh, 'exp_analytics_labels', { version: opts.version }, analyticsPaths(cfg.DATA_DIR).run(opts.version, 'labels'));
    writeFeatureSnapshot(d, p.period, await exportFeatureSnapshot(wh, cfg, p.period, nUsers, nItems, genres.length));
  }

  writeJson(join(d, 'users.json'), users);
  writeJson(join(d, 'items.json'), items);
  writeJson(join(d, 'genres.json'), genres);
  for (const [name, m] of Object.entries(csrs)) writeCsr(join(d, `${name}.csr`), m);
  const manifest: RunManifest = {
    version: opts.version,
    holdout: 'global_time',
    asOf,
    cutoff,
    preCutoff,
    window,
    nUsers,
    nItems,
    nGenres: genres.length,
    preInteractions: csrs.pre.indptr[nUsers],
    trainInteractions: csrs.gate.indptr[nUsers],
    fullInteractions: csrs.ship.indptr[nUsers],
    preHoldoutUsers: csrRows(csrs.pre_labels),
    preHoldoutInteractions: csrs.pre_labels.indptr[nUsers],
    holdoutUsers: csrRows(csrs.holdout),
    holdoutInteractions: csrs.holdout.indptr[nUsers],
    nEvents: clock.nEvents,
  };
  writeJson(join(d, 'run.json'), manifest);
  return manifest;
}

/** Per period p (model/types.ts RunPhase): p = its positives, p_seen = titles seen before its clock, p_labels = its label window (the gate period's labels are the holdout). */
export type RunCsrName = 'pre' | 'pre_seen' | 'pre_labels' | 'pre_labels_completion' | 'gate' | 'gate_seen' | 'holdout' | 'holdout_completion' | 'ship' | 'ship_seen';

/** Everything a trainer/evaluator/scorer needs from a prepared run directory. */
export const runFiles = {
  manifest: (dir: string) => readJson<RunManifest>(join(dir, 'run.json')),
  users: (dir: string) => readJson<string[]>(join(dir, 'users.json')),
  items: (dir: string) => readJson<RunItem[]>(join(dir, 'items.json')),
  csr: (dir: string, name: RunCsrName) => readCsr(join(dir, `${name}.csr`)),
  genres: (dir: string) => readJson<string[]>(join(dir, 'genres.json')),
  f32: (dir: string, name: string) => readF32(join(dir, `${name}.f32`)),
};
