// Ranked lists: a retrieval model proposes each user's top nCandidates titles, the ranker scores
// every (user, candidate) from the features of model/features.ts, and the list is re-ordered by
// p(watch), or by p(watch) × E[completion]^w with a completion objective (pipeline/completion.ts).
// The same code serves evaluation (Recommender.topN) and batch scoring.
//
// Work is done in blocks of users (≈ blockRows feature rows), yielding to the event loop between
// blocks: TF.js predicts on the calling thread, and a Temporal activity must keep heart-beating.
import type { FeatureBuilder, FeatureSnapshot } from './features';
import type { Recommender, TopN } from './recommend';
import type { Csr } from './types';

export interface Scorer {
  readonly featureNames: readonly string[];
  /** p(positive) of n rows of x (n × d, row-major). */
  predict(x: Float32Array, n: number): Float32Array;
}

export interface CandidateBlock {
  /** Rows of `users` this block covers: [first, first + nUsers). */
  first: number;
  nUsers: number;
  /** Candidates per user in the block, row-major nUsers × n (−1 padding), and their retrieval scores. */
  idx: Int32Array;
  score: Float32Array;
  /** Feature rows of the non-padding candidates, in (user, rank) order; rowStart[b] = first row of user b. */
  x: Float32Array;
  rowStart: Int32Array; // nUsers + 1
}

/**
 * The second objective (pipeline/completion.ts): a model of E[completion | watched] over the same
 * feature rows, and its weight w in score = p(watch) × E[completion]^w. Absent or w = 0: p alone.
 */
export interface CompletionObjective {
  completion: Scorer;
  weight: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * ln q(rank) of the training examples' negative sampling (sql/fct_ranker_examples.sql): an
 * unwatched candidate of rank r (0-based) was kept with probability q(r) = min(1, H/(r+1)). A
 * model trained on such a sample estimates odds(y | x) / q(r); adding ln q(r) to its logit gives
 * back the odds of the whole candidate list, so deep candidates are not promoted for having been
 * thinned out.
 */
export function hardNegativeLogKeep(hardNegatives: number): (rank: number) => number {
  if (!(hardNegatives > 0)) throw new RangeError(`hardNegatives must be > 0, got ${hardNegatives}`);
  return (rank) => Math.min(0, Math.log(hardNegatives / (rank + 1)));
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
};

/**
 * Drop candidates that were not in the catalog yet at the user's clock (added_at > clock): at that
 * instant nobody could have been shown them, and their presence alone is future information (a
 * model that sees a title with no history "added" at age 0 would learn that such titles are about
 * to be watched). Rows are compacted in place (−1 / −Infinity padding at the end); returns top.
 */
export function dropUnavailable(top: TopN, users: Int32Array, snap: Pick<FeatureSnapshot, 'userClock' | 'itemAddedAt'>): TopN {
  const n = top.n;
  for (let j = 0; j < users.length; j++) {
    const clock = snap.userClock[users[j]];
    let w = j * n;
    for (let r = j * n; r < (j + 1) * n; r++) {
      const it = top.idx[r];
      if (it < 0) break;
      if (snap.itemAddedAt[it] > clock) continue;
      top.idx[w] = it;
      top.score[w] = top.score[r];
      w++;
    }
    for (; w < (j + 1) * n && top.idx[w] >= 0; w++) {
      top.idx[w] = -1;
      top.score[w] = -Infinity;
    }
  }
  return top;
}

/**
 * The scoring path's candidates and features: `base` proposes top-nCandidates per user (seen
 * titles excluded, then titles not yet added at the user's clock), the builder turns every
 * candidate into a feature row. Yields blocks of users.
 */
export async function* candidateFeatureBlocks(base: Recommender, builder: FeatureBuilder, users: Int32Array, seen: Csr, nCandidates: number, blockRows = 65_536): AsyncGenerator<CandidateBlock> {
  const n = nCandidates;
  const top: TopN = dropUnavailable(await base.topN(users, seen, n), users, builder.snap);
  const d = builder.d;
  const perBlock = Math.max(1, Math.floor(blockRows / n));
  const ranks = Int32Array.from({ length: n }, (_, r) => r);
  for (let first = 0; first < users.length; first += perBlock) {
    const nUsers = Math.min(perBlock, users.length - first);
    const idx = top.idx.subarray(first * n, (first + nUsers) * n);
    const score = top.score.subarray(first * n, (first + nUsers) * n);
    const rowStart = new Int32Array(nUsers + 1);
    for (let b = 0; b < nUsers; b++) {
      let m = 0;
      while (m < n && idx[b * n + m] >= 0) m++;
      rowStart[b + 1] = rowStart[b] + m;
    }
    const x = new Float32Array(rowStart[nUsers] * d);
    for (let b = 0; b < nUsers; b++) {
      const m = rowStart[b + 1] - rowStart[b];
      builder.rows(users[first + b], idx.subarray(b * n, b * n + m), score.subarray(b * n, b * n + m), ranks, m, x, rowStart[b]);
    }
    yield { first, nUsers, idx, score, x, rowStart };
    await yieldToEventLoop();
  }
}

/**
 * Rank one block of users' candidates: feature rows (builder.rows), one ranker.predict over the
 * block, each user's candidates ordered by p(watch) (corrected by logKeep when given; ties: better
 * retrieval rank first), cut to n and written to outIdx/outScore at row outRow + b. cand* hold
 * nUsers × nCandidates entries (−1 padding at the end of a row). The single-thread recommender and
 * the worker threads (pipeline/ranked-worker.ts) both rank with this, so their lists are equal.
 * `x` is scratch (grown when too small); returns it.
 */
export function rankBlock(
  ranker: Scorer,
  builder: FeatureBuilder,
  users: Int32Array, // nUsers, the block's user indices
  candIdx: Int32Array,
  candScore: Float32Array,
  nCandidates: number,
  n: number,
  logKeep: ((rank: number) => number) | undefined,
  outIdx: Int32Array,
  outScore: Float32Array,
  outRow: number,
  x: Float32Array = new Float32Array(0),
  objective?: CompletionObjective,
): Float32Array {
  const nUsers = users.length, d = builder.d, nc = nCandidates;
  const rowStart = new Int32Array(nUsers + 1);
  for (let b = 0; b < nUsers; b++) {
    let m = 0;
    while (m < nc && candIdx[b * nc + m] >= 0) m++;
    rowStart[b + 1] = rowStart[b] + m;
  }
  const rows = rowStart[nUsers];
  if (x.length < rows * d) x = new Float32Array(rows * d);
  const ranks = rankOrder(nc);
  for (let b = 0; b < nUsers; b++) {
    const m = rowStart[b + 1] - rowStart[b];
    builder.rows(users[b], candIdx.subarray(b * nc, b * nc + m), candScore.subarray(b * nc, b * nc + m), ranks, m, x, rowStart[b]);
  }
  const xs = rows * d === x.length ? x : x.subarray(0, rows * d);
  const p = ranker.predict(xs, rows);
  const w = objective && objective.weight > 0 ? objective.weight : 0;
  const c = w > 0 ? objective!.completion.predict(xs, rows) : null;
  for (let b = 0; b < nUsers; b++) {
    const r0 = rowStart[b], m = rowStart[b + 1] - r0;
    if (logKeep) for (let r = 0; r < m; r++) p[r0 + r] = 1 / (1 + Math.exp(-(logit(p[r0 + r]) + logKeep(r))));
    // score = p(watch) × E[completion | watched]^w
    if (c) for (let r = r0; r < r0 + m; r++) p[r] *= Math.pow(c[r], w);
    const order = orderByScore(p, r0, m);
    const o = (outRow + b) * n;
    for (let j = 0; j < Math.min(n, m); j++) {
      outIdx[o + j] = candIdx[b * nc + order[j]];
      outScore[o + j] = p[r0 + order[j]];
    }
  }
  return x;
}

const keyBits = new Uint32Array(1);
const keyF32 = new Float32Array(keyBits.buffer);
let keys = new Float64Array(0);

/**
 * Ranks 0..m−1 ordered by p[r0 + r] descending, ties by r ascending (a stable sort by score). For
 * probabilities (finite, ≥ 0) the float32 bit pattern is monotone in the value, so the order is a
 * native sort of keys (2³² − 1 − bits)·2¹⁵ + r, exact in a double; anything else takes the
 * comparator sort with the same order.
 */
export function orderByScore(p: Float32Array, r0: number, m: number): Int32Array {
  const order = new Int32Array(m);
  let plain = m <= 32768;
  for (let r = 0; r < m && plain; r++) plain = p[r0 + r] >= 0;
  if (!plain) {
    for (let r = 0; r < m; r++) order[r] = r;
    return order.sort((a, c) => p[r0 + c] - p[r0 + a] || a - c);
  }
  if (keys.length < m) keys = new Float64Array(m);
  const kv = keys.subarray(0, m);
  for (let r = 0; r < m; r++) {
    keyF32[0] = p[r0 + r];
    kv[r] = (0xffffffff - keyBits[0]) * 32768 + r;
  }
  kv.sort();
  for (let j = 0; j < m; j++) order[j] = kv[j] % 32768;
  return order;
}

let ranksCache = new Int32Array(0);
/** 0, 1, …, n−1 (shared, read-only). */
function rankOrder(n: number): Int32Array {
  if (ranksCache.length < n) ranksCache = Int32Array.from({ length: n }, (_, r) => r);
  return ranksCache;
}

/** Users per rankBlock call: about blockRows feature rows. */
export const usersPerBlock = (nCandidates: number, blockRows = 65_536) => Math.max(1, Math.floor(blockRows / nCandidates));

/**
 * The ranker over a retrieval model: topN(users, seen, n) = each user's candidates ordered by the
 * ranker's p(watch) (ties: better retrieval rank first), cut to n; scores are the probabilities.
 * logKeep(rank), when given, is the training sample's ln q(rank) (hardNegativeLogKeep): scores
 * are then σ(logit p + ln q(rank)). Runs on the calling thread, yielding between blocks;
 * pipeline/ranked-pool.ts runs the same rankBlock in worker threads.
 */
export function rankedRecommender(base: Recommender, ranker: Scorer, builder: FeatureBuilder, nCandidates: number, logKeep?: (rank: number) => number, objective?: CompletionObjective): Recommender {
  if (ranker.featureNames.length !== builder.d) throw new RangeError(`ranker expects ${ranker.featureNames.length} features, the builder makes ${builder.d}`);
  return {
    kind: `ranked-${base.kind}`,
    k: base.k,
    userVector: (u) => base.userVector(u),
    async topN(users, seen, n) {
      const nc = nCandidates;
      const idx = new Int32Array(users.length * n).fill(-1);
      const score = new Float32Array(users.length * n).fill(-Infinity);
      const top: TopN = dropUnavailable(await base.topN(users, seen, nc), users, builder.snap);
      const per = usersPerBlock(nc);
      let x: Float32Array = new Float32Array(0);
      for (let first = 0; first < users.length; first += per) {
        const end = Math.min(users.length, first + per);
        x = rankBlock(ranker, builder, users.subarray(first, end), top.idx.subarray(first * nc, end * nc), top.score.subarray(first * nc, end * nc), nc, n, logKeep, idx, score, first, x, objective);
        await yieldToEventLoop();
      }
      return { n, idx, score };
    },
  };
}
