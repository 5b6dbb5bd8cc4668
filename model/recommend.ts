// One interface over the retrieval models the pipeline ships, so evaluation and batch scoring
// run the same code for iALS and for the popularity/trending baselines.
import { rankByScores, rankForUsers } from './popularity';
import { scoreTopN, type TopNResult } from './score';
import type { Csr } from './types';

export type TopN = TopNResult;

export interface Recommender {
  readonly kind: string;
  readonly k: number; // factor dimension (0 for global rankings)
  /** The user's factor vector (length k; empty for global rankings). */
  userVector(user: number): Float32Array;
  /** Top-n unseen items (seen = rows of a user × item Csr) for each listed user, in list order. */
  topN(users: Int32Array, seen: Csr, n: number): Promise<TopN>;
}

/** Rows `rows` of m, renumbered 0..rows.length−1 (same columns). */
export function gatherRows(m: Csr, rows: Int32Array): Csr {
  const indptr = new Int32Array(rows.length + 1);
  for (let j = 0; j < rows.length; j++) indptr[j + 1] = indptr[j] + (m.indptr[rows[j] + 1] - m.indptr[rows[j]]);
  const indices = new Int32Array(indptr[rows.length]);
  const values = new Float32Array(indptr[rows.length]);
  for (let j = 0; j < rows.length; j++) {
    const a = m.indptr[rows[j]], b = m.indptr[rows[j] + 1];
    indices.set(m.indices.subarray(a, b), indptr[j]);
    values.set(m.values.subarray(a, b), indptr[j]);
  }
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, values };
}

/** A fixed global ranking (popularity, trending): walk it, skipping each user's seen items (model/popularity.ts). */
export function globalRecommender(kind: string, scores: Float32Array): Recommender {
  const ranking = rankByScores(scores);
  const empty = new Float32Array(0);
  return {
    kind,
    k: 0,
    userVector: () => empty,
    async topN(users, seen, n) {
      return rankForUsers(ranking, gatherRows(seen, users), 0, users.length, n);
    },
  };
}

/** Inner-product recommender over factors: score = x_u · y_i, seen items excluded (model/score.ts). */
export function factorRecommender(kind: string, k: number, userFactors: Float32Array, itemFactors: Float32Array, threads = 0): Recommender {
  return {
    kind,
    k,
    userVector: (u) => userFactors.subarray(u * k, (u + 1) * k),
    async topN(users, seen, n) {
      const x = new Float32Array(users.length * k);
      for (let j = 0; j < users.length; j++) x.set(userFactors.subarray(users[j] * k, (users[j] + 1) * k), j * k);
      if (users.length === 0) return { n, idx: new Int32Array(0), score: new Float32Array(0) };
      return scoreTopN({ k, userFactors: x, itemFactors }, gatherRows(seen, users), 0, users.length, { n, threads });
    },
  };
}
