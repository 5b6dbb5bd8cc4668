// Offline evaluation driver: full ranking over the whole catalog (no sampled negatives) for the
// users who have held-out titles, excluding what each user saw before the cutoff, then the
// metrics of model/metrics.ts over slices, each with its sample size and a 95 % bootstrap
// interval over users (model/bootstrap.ts):
//   all         every evaluated user
//   light       users with fewer than LIGHT_MAX training positives (0 included)
//   heavy       the others
//   new_titles  only the held-out titles added inside the holdout window (users who watched one)
// It also returns the per-user NDCG@10 of the `all` slice, aligned by user, so two systems can be
// compared pairwise on the same users (model/gate.ts).
import { bootstrapMeans } from './bootstrap';
import { listStats } from './diversity';
import { mulberry32 } from './random';
import { PER_USER_METRICS, userMetrics, type Metrics, type UserMetrics } from './metrics';
import { gatherRows, type Recommender } from './recommend';
import type { Csr } from './types';

export const EVAL_DEPTH = 100; // the longest cut-off any metric reads (NDCG@100)
export const LIGHT_MAX = 5; // light users: fewer than this many training positives

export interface EvalContext {
  seen: Csr; // users × items before the cutoff (excluded from rankings)
  holdout: Csr; // users × items relevant in the holdout window
  train: Csr; // users × items positives before the cutoff (for slices)
  popularity: Float32Array; // nItems, for mean popularity of recommendations
  maxUsers: number; // evaluate at most this many holdout users (deterministic sample)
  seed: number;
  /** nItems flags: titles added inside the holdout window (the new_titles slice); none when absent. */
  newItems?: Uint8Array;
  /** Resamples for the intervals (EVAL_BOOTSTRAP_SAMPLES); 0 = no intervals. */
  bootstrapSamples?: number;
  /** For diversity, genre coverage and novelty of the top 10 (model/diversity.ts): unit item factors (nItems × k) and item genres. */
  beyond?: { unit: Float32Array; k: number; itemGenres: Csr; nGenres: number };
  /** The holdout's completion (same entries as holdout, values in (0, 1]): expected watch time@10. */
  holdoutCompletion?: Csr;
}

/** What evaluateRecommender measured: slices, and per-user NDCG@10 for paired comparisons. */
export interface Evaluation {
  slices: Record<string, Metrics>;
  /** Run user indices of the evaluated users (all slice), ascending. */
  users: Int32Array;
  /** NDCG@10 of users[j]. */
  ndcg10: Float64Array;
  /** 1 where users[j] is light (fewer than LIGHT_MAX training positives). */
  light: Uint8Array;
  /** Expected watch time@10 of users[j], when the context has the holdout's completion. */
  watchTime10?: Float64Array;
}

/** Holdout users, or a deterministic sample of maxUsers of them (sorted). */
export function evalUsers(holdout: Csr, maxUsers: number, seed: number): Int32Array {
  const all: number[] = [];
  for (let u = 0; u < holdout.nRows; u++) if (holdout.indptr[u + 1] > holdout.indptr[u]) all.push(u);
  if (all.length <= maxUsers) return Int32Array.from(all);
  // Fisher–Yates prefix with the project's seeded PRNG: the same users every run of the same data.
  const rand = mulberry32(seed >>> 0);
  for (let i = 0; i < maxUsers; i++) {
    const j = i + Math.floor(rand() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return Int32Array.from(all.slice(0, maxUsers)).sort();
}

/** The entries of m that `keep(row, column, value)` accepts (same shape; rows may empty). */
export function filterCsr(m: Csr, keep: (row: number, col: number, value: number) => boolean): Csr {
  const indptr = new Int32Array(m.nRows + 1);
  const idx: number[] = [], val: number[] = [];
  for (let u = 0; u < m.nRows; u++) {
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      if (keep(u, m.indices[p], m.values[p])) {
        idx.push(m.indices[p]);
        val.push(m.values[p]);
      }
    }
    indptr[u + 1] = idx.length;
  }
  return { nRows: m.nRows, nCols: m.nCols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
}

/** Value of (row, col) in a CSR with sorted rows, or NaN when absent (binary search). */
export function csrValue(m: Csr, row: number, col: number): number {
  let lo = m.indptr[row], hi = m.indptr[row + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = m.indices[mid];
    if (c === col) return m.values[mid];
    if (c < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return NaN;
}

/**
 * Expected watch time@10 of each user (row j = users[j]): Σ over the top 10's hits (titles in the
 * user's holdout row) of their held-out completion — watch time in units of the titles' lengths.
 */
export function watchTimeAt10(top: Int32Array, depth: number, users: Int32Array, holdout: Csr, completion: Csr): Float64Array {
  const out = new Float64Array(users.length);
  for (let j = 0; j < users.length; j++) {
    for (let p = 0; p < Math.min(10, depth); p++) {
      const it = top[j * depth + p];
      if (it < 0) break;
      if (Number.isNaN(csrValue(holdout, users[j], it))) continue; // not a held-out title of this user
      const c = csrValue(completion, users[j], it);
      if (c > 0) out[j] += c;
    }
  }
  return out;
}

/** The entries of m whose column is flagged (rows kept, others emptied). */
export const keepColumns = (m: Csr, flags: Uint8Array): Csr => filterCsr(m, (_u, c) => flags[c] === 1);

/** The entries of m whose value is above `min` (e.g. holdout labels after an instant: values are seconds into the window). */
export const keepValuesAbove = (m: Csr, min: number): Csr => filterCsr(m, (_u, _c, v) => v > min);

/** Aggregate a UserMetrics over a subset of its evaluated rows (positions into um.rows), with intervals. */
function summarize(um: UserMetrics, keep: ((j: number) => boolean) | null, samples: number, seed: number): Metrics {
  const pos: number[] = [];
  for (let j = 0; j < um.rows.length; j++) if (!keep || keep(j)) pos.push(j);
  const series = PER_USER_METRICS.map((m) => Float64Array.from(pos, (j) => um.values[m][j]));
  const out = { users: pos.length, coverage_10: um.coverage_10, mean_pop_10: um.mean_pop_10 } as Metrics;
  PER_USER_METRICS.forEach((m, s) => {
    let sum = 0;
    for (let i = 0; i < series[s].length; i++) sum += series[s][i];
    out[m] = pos.length ? sum / pos.length : 0;
  });
  if (samples > 0 && pos.length > 0) {
    const iv = bootstrapMeans(series, { samples, seed });
    PER_USER_METRICS.forEach((m, s) => {
      out[`${m}_lo`] = iv[s].lo;
      out[`${m}_hi`] = iv[s].hi;
    });
  }
  return out;
}

export async function evaluateRecommender(rec: Recommender, ctx: EvalContext): Promise<Evaluation> {
  const users = evalUsers(ctx.holdout, ctx.maxUsers, ctx.seed);
  const depth = Math.min(EVAL_DEPTH, ctx.seen.nCols);
  const top = await rec.topN(users, ctx.seen, depth);
  const relevant = gatherRows(ctx.holdout, users);
  const lightOf = new Uint8Array(users.length);
  for (let j = 0; j < users.length; j++) lightOf[j] = ctx.train.indptr[users[j] + 1] - ctx.train.indptr[users[j]] < LIGHT_MAX ? 1 : 0;
  const samples = ctx.bootstrapSamples ?? 0;
  const um = userMetrics({ ranked: top.idx, n: depth, relevant, popularity: ctx.popularity });
  // um.rows are the rows with ≥ 1 relevant item: every sampled user (evalUsers picks holdout users).
  const light = Uint8Array.from(um.rows, (r) => lightOf[r]);
  const slices: Record<string, Metrics> = {
    all: summarize(um, null, samples, ctx.seed),
    light: summarize(um, (j) => light[j] === 1, samples, ctx.seed),
    heavy: summarize(um, (j) => light[j] === 0, samples, ctx.seed),
  };
  if (ctx.beyond) {
    // Beyond accuracy: per evaluated user, then the mean over each slice's users.
    const b = ctx.beyond;
    const stats = Array.from(um.rows, (r) => listStats(top.idx.subarray(r * depth, (r + 1) * depth), 10, { ...b, popularity: ctx.popularity, nUsers: ctx.train.nRows }));
    const add = (name: keyof typeof slices, keep: (j: number) => boolean) => {
      let n = 0, ild = 0, gc = 0, nov = 0;
      stats.forEach((s, j) => {
        if (!keep(j)) return;
        n++;
        ild += s.ild;
        gc += s.genreCoverage;
        nov += s.novelty;
      });
      Object.assign(slices[name], { ild_10: n ? ild / n : 0, genre_coverage_10: n ? gc / n : 0, novelty_10: n ? nov / n : 0 });
    };
    add('all', () => true);
    add('light', (j) => light[j] === 1);
    add('heavy', (j) => light[j] === 0);
  }
  const wt = ctx.holdoutCompletion ? watchTimeAt10(top.idx, depth, users, ctx.holdout, ctx.holdoutCompletion) : null;
  if (wt) {
    const add = (name: string, keep: (j: number) => boolean) => {
      const series = Float64Array.from(Array.from(um.rows).filter((_r, j) => keep(j)), (r) => wt[r]);
      let s = 0;
      for (const v of series) s += v;
      const m: Partial<Metrics> = { watch_time_10: series.length ? s / series.length : 0 };
      if (samples > 0 && series.length > 0) {
        const [iv] = bootstrapMeans([series], { samples, seed: ctx.seed });
        m.watch_time_10_lo = iv.lo;
        m.watch_time_10_hi = iv.hi;
      }
      Object.assign(slices[name], m);
    };
    add('all', () => true);
    add('light', (j) => light[j] === 1);
    add('heavy', (j) => light[j] === 0);
  }
  if (ctx.newItems) {
    const fresh = userMetrics({ ranked: top.idx, n: depth, relevant: keepColumns(relevant, ctx.newItems), popularity: ctx.popularity });
    slices.new_titles = summarize(fresh, null, samples, ctx.seed);
  }
  return { slices, users: Int32Array.from(um.rows, (r) => users[r]), ndcg10: um.values.ndcg_10, light, ...(wt ? { watchTime10: Float64Array.from(um.rows, (r) => wt[r]) } : {}) };
}
