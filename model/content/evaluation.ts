// How well the content → factor model places held-out warm titles: cosine to their real
// factors, and whether the users nearest the predicted vector are the title's real watchers.
import * as tf from '@tensorflow/tfjs';
import { mulberry32, shuffleInPlace } from '../ranker';
import { tidyRead } from '../tf-backend';
import type { Csr, Title } from '../types';
import type { ContentModel } from './network';

export interface ContentEvaluation {
  nTitles: number;
  /** Mean cos(predicted, real) over held-out titles, and the same against a seeded shuffle of the real factors. */
  meanCosine: number;
  shuffledMeanCosine: number;
  audienceSize: number;
  nUsers: number;
  /** Titles with ≥ 1 watcher, and their watchers in total. */
  nTitlesWithWatchers: number;
  nWatchers: number;
  /** Σ watchers inside the title's top-A audience / Σ watchers (pooled over titles). */
  audienceHitRate: number;
  /** Same, averaged per title. */
  macroAudienceHitRate: number;
  /** A / nUsers: the expected hit rate of a random audience of A users. */
  randomHitRate: number;
  /** audienceHitRate / randomHitRate (target ≥ 3). */
  lift: number;
  /** Same measure with the real factors in place of the predictions (the ceiling a perfect content model reaches). */
  oracleHitRate: number;
  oracleLift: number;
}

export interface ContentEvalOptions {
  /** A: audience size per title. Default 500. */
  audienceSize?: number;
  /** Also measure the real factors' hit rate (doubles the cost). Default true. */
  withOracle?: boolean;
  /** Seed of the shuffled-cosine baseline. Default 7. */
  seed?: number;
}

/**
 * Evaluate the content model on held-out warm titles.
 * realFactors: titles.length × k (their trained retrieval factors); userFactors: nUsers × k;
 * watchers: rows = the held-out titles in the same order, columns = userIndex (a Csr by item,
 * or just its indptr/indices). Cost: titles × nUsers × k multiply-adds, so pass the evaluation
 * users (e.g. EVAL_MAX_USERS), not every user. For an honest number the user factors should
 * come from a model that did not see these titles' interactions. Runs on the live TF.js backend
 * (call after initTf(), as training or loading the model does).
 */
export function evaluateContentModel(
  model: ContentModel,
  titles: Title[],
  realFactors: Float32Array,
  userFactors: Float32Array,
  watchers: Pick<Csr, 'indptr' | 'indices'>,
  opts: ContentEvalOptions = {},
): ContentEvaluation {
  return evaluateFactorPredictions(model.embed(titles), realFactors, userFactors, model.k, watchers, opts);
}

/** evaluateContentModel on precomputed predictions (nTitles × k). */
export function evaluateFactorPredictions(
  predicted: Float32Array, // nTitles × k
  realFactors: Float32Array, // nTitles × k
  userFactors: Float32Array, // nUsers × k
  k: number,
  watchers: Pick<Csr, 'indptr' | 'indices'>,
  opts: ContentEvalOptions = {},
): ContentEvaluation {
  const nTitles = predicted.length / k;
  const nUsers = userFactors.length / k;
  const A = opts.audienceSize ?? 500;
  if (!Number.isInteger(nTitles) || realFactors.length !== predicted.length) throw new RangeError(`predicted and realFactors must both hold nTitles × k values (k = ${k}), got ${predicted.length} and ${realFactors.length}`);
  if (!Number.isInteger(nUsers)) throw new RangeError(`userFactors must hold nUsers × k values (k = ${k}), got ${userFactors.length}`);
  if (watchers.indptr.length !== nTitles + 1) throw new RangeError(`watchers must have nTitles + 1 = ${nTitles + 1} row pointers, got ${watchers.indptr.length}`);
  if (!Number.isInteger(A) || A < 1) throw new RangeError(`audienceSize must be a positive integer, got ${A}`);

  let cos = 0;
  let cosShuffled = 0;
  const perm = shuffleInPlace(Int32Array.from({ length: nTitles }, (_, i) => i), mulberry32(opts.seed ?? 7));
  for (let i = 0; i < nTitles; i++) {
    cos += cosine(predicted, i, realFactors, i, k);
    // Derangement: title i is compared with the real factor of perm's next title.
    cosShuffled += cosine(predicted, perm[i], realFactors, perm[(i + 1) % nTitles], k);
  }

  const hits = audienceHits(predicted, userFactors, k, watchers, A);
  const oracle = opts.withOracle === false ? undefined : audienceHits(realFactors, userFactors, k, watchers, A);
  const randomHitRate = Math.min(1, A / Math.max(nUsers, 1));
  return {
    nTitles,
    meanCosine: nTitles ? cos / nTitles : NaN,
    shuffledMeanCosine: nTitles > 1 ? cosShuffled / nTitles : NaN,
    audienceSize: A,
    nUsers,
    nTitlesWithWatchers: hits.nTitlesWithWatchers,
    nWatchers: hits.nWatchers,
    audienceHitRate: hits.pooled,
    macroAudienceHitRate: hits.macro,
    randomHitRate,
    lift: hits.pooled / randomHitRate,
    oracleHitRate: oracle ? oracle.pooled : NaN,
    oracleLift: oracle ? oracle.pooled / randomHitRate : NaN,
  };
}

function cosine(a: Float32Array, i: number, b: Float32Array, j: number, k: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let t = 0; t < k; t++) {
    const x = a[i * k + t];
    const y = b[j * k + t];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * For each title v: s_u = u·v for every user, audience = the A users with the highest s_u.
 * A watcher counts 1 if s_u is above the A-th largest score, and (A − #above)/#tied if tied with it
 * (the expected value under random tie-breaking), so ties never inflate the rate.
 */
function audienceHits(vectors: Float32Array, userFactors: Float32Array, k: number, watchers: Pick<Csr, 'indptr' | 'indices'>, A: number) {
  const nTitles = vectors.length / k;
  const nUsers = userFactors.length / k;
  let hitSum = 0, watcherSum = 0, macroSum = 0, nWith = 0;
  if (nUsers === 0 || nTitles === 0) return { pooled: NaN, macro: NaN, nTitlesWithWatchers: 0, nWatchers: 0 };
  const chunk = Math.max(1, Math.floor(4_000_000 / nUsers)); // ≤ 16 MB of scores per pass
  const scratch = new Float32Array(nUsers);
  const users = tf.tensor2d(userFactors, [nUsers, k]);
  try {
    for (let t0 = 0; t0 < nTitles; t0 += chunk) {
      const m = Math.min(chunk, nTitles - t0);
      // S = V_chunk · Uᵀ: row r holds every user's score for title t0 + r.
      const scores = tidyRead(() => tf.matMul(tf.tensor2d(vectors.subarray(t0 * k, (t0 + m) * k), [m, k]), users, false, true));
      for (let r = 0; r < m; r++) {
        const t = t0 + r;
        const w0 = watchers.indptr[t], w1 = watchers.indptr[t + 1];
        if (w1 <= w0) continue;
        const s = scores.subarray(r * nUsers, (r + 1) * nUsers);
        let hits: number;
        if (A >= nUsers) {
          hits = w1 - w0;
        } else {
          scratch.set(s);
          const thr = kthLargest(scratch, A);
          let above = 0, tied = 0;
          for (let u = 0; u < nUsers; u++) {
            if (s[u] > thr) above++;
            else if (s[u] === thr) tied++;
          }
          const tieShare = (A - above) / tied;
          hits = 0;
          for (let p = w0; p < w1; p++) {
            const u = watchers.indices[p];
            if (u < 0 || u >= nUsers) throw new RangeError(`watcher index ${u} of title ${t} is outside 0..${nUsers - 1}`);
            hits += s[u] > thr ? 1 : s[u] === thr ? tieShare : 0;
          }
        }
        hitSum += hits;
        watcherSum += w1 - w0;
        macroSum += hits / (w1 - w0);
        nWith++;
      }
    }
  } finally {
    users.dispose();
  }
  return { pooled: watcherSum ? hitSum / watcherSum : NaN, macro: nWith ? macroSum / nWith : NaN, nTitlesWithWatchers: nWith, nWatchers: watcherSum };
}

/** The a-th largest value of xs (1-based), by quickselect; reorders xs. */
function kthLargest(xs: Float32Array, a: number): number {
  const target = a - 1; // index in descending order
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (xs[i] > pivot) i++;
      while (xs[j] < pivot) j--;
      if (i <= j) {
        const tmp = xs[i];
        xs[i] = xs[j];
        xs[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return xs[target];
  }
  return xs[target];
}
