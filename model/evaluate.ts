// Offline evaluation driver: full ranking over the whole catalog (no sampled negatives) for the
// users who have held-out titles, excluding what each user saw before the cutoff, then the
// metrics of model/metrics.ts over slices: all, light (< LIGHT_MAX training positives), heavy.
import { evaluateRankings, type Metrics } from './metrics';
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
}

/** Holdout users, or a deterministic sample of maxUsers of them (sorted). */
export function evalUsers(holdout: Csr, maxUsers: number, seed: number): Int32Array {
  const all: number[] = [];
  for (let u = 0; u < holdout.nRows; u++) if (holdout.indptr[u + 1] > holdout.indptr[u]) all.push(u);
  if (all.length <= maxUsers) return Int32Array.from(all);
  // Fisher–Yates prefix with a seeded LCG: the same users every run of the same data.
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < maxUsers; i++) {
    const j = i + Math.floor(rand() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return Int32Array.from(all.slice(0, maxUsers)).sort();
}

export async function evaluateRecommender(rec: Recommender, ctx: EvalContext): Promise<Record<string, Metrics>> {
  const users = evalUsers(ctx.holdout, ctx.maxUsers, ctx.seed);
  const depth = Math.min(EVAL_DEPTH, ctx.seen.nCols);
  const top = await rec.topN(users, ctx.seen, depth);
  const relevant = gatherRows(ctx.holdout, users);
  const light = new Uint8Array(users.length);
  for (let j = 0; j < users.length; j++) light[j] = ctx.train.indptr[users[j] + 1] - ctx.train.indptr[users[j]] < LIGHT_MAX ? 1 : 0;
  const run = (keep?: (row: number) => boolean) => evaluateRankings({ ranked: top.idx, n: depth, relevant, popularity: ctx.popularity, users: keep });
  return {
    all: run(),
    light: run((j) => light[j] === 1),
    heavy: run((j) => light[j] === 0),
  };
}
