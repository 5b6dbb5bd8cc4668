// One interface over the retrieval models the pipeline ships, so evaluation and batch scoring
// run the same code for iALS and for the popularity/trending baselines.
import { rankByScores, rankForUsers } from './popularity';
import { scoreTopN, type TopNResult } from './score';
import type { Csr, LightStrategy } from './types';

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

/**
 * Another model's factors over this run's indices: userMap[u] / itemMap[i] = that model's index
 * (−1 = unknown to it). Unknown users score nothing (give them a fallback, shippedRecommender);
 * unknown titles must be excluded by the caller (add them to `seen`).
 */
export function mappedFactorRecommender(kind: string, k: number, userFactors: Float32Array, userMap: Int32Array, itemFactors: Float32Array, itemMap: Int32Array, threads = 0): Recommender {
  const items = new Float32Array(itemMap.length * k); // this run's nItems × k; zeros for unknown titles
  for (let i = 0; i < itemMap.length; i++) if (itemMap[i] >= 0) items.set(itemFactors.subarray(itemMap[i] * k, (itemMap[i] + 1) * k), i * k);
  const zero = new Float32Array(k);
  const vec = (u: number) => (userMap[u] >= 0 ? userFactors.subarray(userMap[u] * k, (userMap[u] + 1) * k) : zero);
  return {
    kind,
    k,
    userVector: vec,
    async topN(users, seen, n) {
      if (users.length === 0) return { n, idx: new Int32Array(0), score: new Float32Array(0) };
      const x = new Float32Array(users.length * k);
      for (let j = 0; j < users.length; j++) x.set(vec(users[j]), j * k);
      return scoreTopN({ k, userFactors: x, itemFactors: items }, gatherRows(seen, users), 0, users.length, { n, threads });
    },
  };
}

/** How a version serves its users: who gets the model's list and who a baseline (model/gate.ts chooses). */
export interface ServingPolicy {
  /** Users with fewer training positives than this are light (model/evaluate.ts LIGHT_MAX). */
  lightMax: number;
  /** What light users with ≥ 1 positive get. Users with no positive always get popularity. */
  lightStrategy: LightStrategy;
}

/**
 * What ships, as one Recommender — used by evaluation and batch scoring alike, so the gate grades
 * exactly the lists users get: users without a training positive (their factor is ~0 and every
 * score ties) get the popularity list; light users get the policy's light strategy; the rest the
 * model. `positives` are the users' training positives at the model's clock.
 */
export function shippedRecommender(model: Recommender, positives: Csr, baselines: { popularity: Recommender; trending: Recommender }, policy: ServingPolicy): Recommender {
  const pick = (u: number): Recommender => {
    const n = positives.indptr[u + 1] - positives.indptr[u];
    if (n === 0) return baselines.popularity;
    if (n < policy.lightMax && policy.lightStrategy !== 'model') return baselines[policy.lightStrategy];
    return model;
  };
  return {
    kind: `shipped-${model.kind}`,
    k: model.k,
    userVector: (u) => model.userVector(u),
    async topN(users, seen, n) {
      const groups = new Map<Recommender, number[]>();
      for (let j = 0; j < users.length; j++) {
        const r = pick(users[j]);
        const g = groups.get(r);
        if (g) g.push(j);
        else groups.set(r, [j]);
      }
      if (groups.size === 1 && groups.has(model)) return model.topN(users, seen, n);
      const idx = new Int32Array(users.length * n).fill(-1);
      const score = new Float32Array(users.length * n).fill(-Infinity);
      for (const [rec, js] of groups) {
        const top = await rec.topN(Int32Array.from(js, (j) => users[j]), seen, n);
        js.forEach((j, t) => {
          idx.set(top.idx.subarray(t * n, (t + 1) * n), j * n);
          score.set(top.score.subarray(t * n, (t + 1) * n), j * n);
        });
      }
      return { n, idx, score };
    },
  };
}
