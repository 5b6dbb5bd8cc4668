// Export one run's training data from the warehouse into artifact files, so training, evaluation
// and scoring read files (on any worker) instead of holding a DuckDB connection.
//
// Files under runs/<version>/:
//   run.json                 RunManifest below
//   users.json / items.json  ids (and title metadata) in dense index order
//   train.csr / train_seen.csr   positives (confidence) / seen titles before the cutoff
//   full.csr / full_seen.csr     the same up to as-of (the shipped model's data)
//   holdout.csr              global time holdout: titles first watched in [cutoff, as-of]
//   pop_train.f32 / trend_train.f32 / pop_full.f32 / trend_full.f32   baseline signals (nItems)
import { join } from 'node:path';
import type { Config } from '../config';
import type { Csr } from '../model/types';
import { analyticsPaths, copyToParquet } from './analytics';
import type { Warehouse } from './duckdb';
import { csrFromSortedTriples, readCsr, readF32, readJson, writeCsr, writeF32, writeJson } from './artifacts';

export interface RunManifest {
  version: string;
  asOf: string; // ISO: the data's clock (latest event time unless given)
  cutoff: string; // ISO: train < cutoff ≤ holdout ≤ asOf
  nUsers: number;
  nItems: number;
  trainInteractions: number;
  fullInteractions: number;
  holdoutUsers: number;
  holdoutInteractions: number;
  nEvents: number;
}

export interface RunItem {
  movie_id: string;
  title: string;
  year: number | null;
  genres: string[];
  tags: string[];
  duration_seconds: number | null;
  added_at: string;
}

export class NoDataError extends Error {}

export async function dataClock(wh: Warehouse): Promise<{ maxTs: Date | null; nEvents: number; nTitles: number }> {
  const [r] = await wh.rows<{ max_ts: Date | null; n_events: bigint; n_titles: bigint }>('get_data_clock');
  return { maxTs: r.max_ts, nEvents: Number(r.n_events), nTitles: Number(r.n_titles) };
}

function confidenceParams(cfg: Config, cutoff: string) {
  return {
    cutoff,
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

async function exportPopularity(wh: Warehouse, cutoff: string, trendDays: number, nItems: number) {
  const { n, cols } = await wh.columns('exp_item_popularity', { cutoff, trend_days: trendDays }, ['i32', 'f32', 'f32'] as const, nItems);
  if (n !== nItems) throw new Error(`popularity rows ${n} ≠ items ${nItems}`);
  return { popularity: cols[1], trending: cols[2] };
}

export async function prepareRunData(
  wh: Warehouse,
  cfg: Config,
  opts: { version: string; dir: string; asOf?: string; evalWindowDays?: number },
  progress: (msg: string) => void = () => {},
): Promise<RunManifest> {
  const clock = await dataClock(wh);
  if (!clock.maxTs) throw new NoDataError('the warehouse has no events: ingest a world first');
  const asOfDate = opts.asOf ? new Date(opts.asOf) : clock.maxTs;
  if (Number.isNaN(asOfDate.getTime())) throw new NoDataError(`asOf is not a timestamp: ${opts.asOf}`);
  const windowMs = (opts.evalWindowDays ?? cfg.EVAL_WINDOW_DAYS) * 86400_000;
  const asOf = asOfDate.toISOString();
  const cutoff = new Date(asOfDate.getTime() - windowMs).toISOString();
  const afterAsOf = new Date(asOfDate.getTime() + 1000).toISOString(); // ts < this ⇔ ts ≤ asOf (second precision)

  progress('indexing users and titles');
  await wh.exec('int_run_users', { as_of: asOf });
  await wh.exec('int_run_items', { as_of: asOf });
  const users = (await wh.rows<{ user_id: string }>('exp_run_users')).map((r) => r.user_id);
  const items = (await wh.rows<RunItem & { item_index: number }>('exp_run_items')).map(({ item_index: _i, ...r }) => ({ ...r, year: r.year ?? null, duration_seconds: r.duration_seconds ?? null }));
  const nUsers = users.length;
  const nItems = items.length;
  if (nUsers === 0 || nItems === 0) throw new NoDataError(`no users (${nUsers}) or titles (${nItems}) up to ${asOf}`);

  // Training side: everything strictly before the cutoff, and the holdout after it.
  progress('confidence before the cutoff');
  await wh.exec('int_user_item_confidence', confidenceParams(cfg, cutoff));
  const train = await exportCsr(wh, 'exp_positives', undefined, nUsers, nItems);
  const trainSeen = await exportCsr(wh, 'exp_seen', undefined, nUsers, nItems);
  const holdout = await exportCsr(wh, 'exp_holdout_global', { cutoff, as_of: asOf, label_completion: cfg.LABEL_COMPLETION }, nUsers, nItems);
  const popTrain = await exportPopularity(wh, cutoff, cfg.TRENDING_DAYS, nItems);
  await copyToParquet(wh, 'exp_analytics_labels', { version: opts.version }, analyticsPaths(cfg.DATA_DIR).run(opts.version, 'labels'));

  // Shipping side: everything up to as-of.
  progress('confidence up to as-of');
  await wh.exec('int_user_item_confidence', confidenceParams(cfg, afterAsOf));
  const full = await exportCsr(wh, 'exp_positives', undefined, nUsers, nItems);
  const fullSeen = await exportCsr(wh, 'exp_seen', undefined, nUsers, nItems);
  const popFull = await exportPopularity(wh, afterAsOf, cfg.TRENDING_DAYS, nItems);

  const d = opts.dir;
  writeJson(join(d, 'users.json'), users);
  writeJson(join(d, 'items.json'), items);
  writeCsr(join(d, 'train.csr'), train);
  writeCsr(join(d, 'train_seen.csr'), trainSeen);
  writeCsr(join(d, 'holdout.csr'), holdout);
  writeCsr(join(d, 'full.csr'), full);
  writeCsr(join(d, 'full_seen.csr'), fullSeen);
  writeF32(join(d, 'pop_train.f32'), popTrain.popularity);
  writeF32(join(d, 'trend_train.f32'), popTrain.trending);
  writeF32(join(d, 'pop_full.f32'), popFull.popularity);
  writeF32(join(d, 'trend_full.f32'), popFull.trending);
  let holdoutUsers = 0;
  for (let u = 0; u < nUsers; u++) if (holdout.indptr[u + 1] > holdout.indptr[u]) holdoutUsers++;
  const manifest: RunManifest = {
    version: opts.version,
    asOf,
    cutoff,
    nUsers,
    nItems,
    trainInteractions: train.indptr[nUsers],
    fullInteractions: full.indptr[nUsers],
    holdoutUsers,
    holdoutInteractions: holdout.indptr[nUsers],
    nEvents: clock.nEvents,
  };
  writeJson(join(d, 'run.json'), manifest);
  return manifest;
}

/** Everything a trainer/evaluator/scorer needs from a prepared run directory. */
export const runFiles = {
  manifest: (dir: string) => readJson<RunManifest>(join(dir, 'run.json')),
  users: (dir: string) => readJson<string[]>(join(dir, 'users.json')),
  items: (dir: string) => readJson<RunItem[]>(join(dir, 'items.json')),
  csr: (dir: string, name: 'train' | 'train_seen' | 'holdout' | 'full' | 'full_seen') => readCsr(join(dir, `${name}.csr`)),
  f32: (dir: string, name: string) => readF32(join(dir, `${name}.f32`)),
};
