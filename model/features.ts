// Ranker features of a (user, candidate title) pair. Each feature is defined once below (name,
// window, definition) and computed by one function, FeatureBuilder.rows, for training examples
// (aggregates as of the examples' clock) and for evaluation and batch scoring (aggregates as of
// the scoring clock): the two paths cannot drift apart (test/unit/features.test.ts checks it end
// to end, and that nothing after the clock reaches a feature).
//
// Inputs:
//   FeatureSnapshot  per-title and per-user aggregates as of a clock, built in SQL
//                    (sql/exp_feature_*.sql over feature_events: each user's events strictly
//                    before the user's clock). Windows and smoothing constants are FEATURE_WINDOWS,
//                    bound into that SQL from here.
//   RetrievalView    the factors of the retrieval model that proposed the candidates (score, the
//                    similarity of the candidate to the titles the user watched last).
//   per pair         retrieval score and rank of the candidate in the user's candidate list.
// Counts enter as ln(1 + x): heavy tails, and the ranker standardizes what it gets.
import type { Csr } from './types';

/** Windows and constants of the feature definitions (bound into sql/exp_feature_*.sql). */
export const FEATURE_WINDOWS = Object.freeze({
  /** "recent" popularity window, days */
  shortDays: 7,
  /** "long" popularity / activity window, days */
  longDays: 30,
  /** search/browse intent window before the clock, days */
  intentDays: 14,
  /** titles in "the last titles watched" */
  lastK: 5,
  /** days since the last event of a user with no history */
  noHistoryDays: 365,
  /** completion rates are (Σ completion + priorWeight·priorCompletion) / (watches + priorWeight) */
  priorWeight: 2,
  priorCompletion: 0.5,
});

export interface FeatureDef {
  name: string;
  window: string;
  definition: string;
}

/** The features, in the column order of every feature matrix. */
export const FEATURES: readonly FeatureDef[] = Object.freeze([
  { name: 'retrieval_score', window: 'model', definition: 'x_u·y_i of the retrieval model that proposed the candidate' },
  { name: 'retrieval_log_rank', window: 'model', definition: 'ln(1 + rank) in the user’s candidate list (0 = best); titles outside the list get ln(1 + list length)' },
  { name: 'item_factor_norm', window: 'model', definition: '‖y_i‖ (iALS shrinks titles with little evidence toward 0)' },
  { name: 'item_log_pop_all', window: 'all time', definition: 'ln(1 + distinct watchers of the title)' },
  { name: 'item_log_pop_long', window: '30 d', definition: 'ln(1 + distinct watchers in the long window)' },
  { name: 'item_log_pop_short', window: '7 d', definition: 'ln(1 + distinct watchers in the short window)' },
  { name: 'item_trend', window: '7 d / 30 d', definition: 'ln((1 + pop_short) / (1 + pop_long · short/long)): > 0 when the title is rising' },
  { name: 'item_log_age_days', window: 'clock', definition: 'ln(1 + max(0, user clock − added_at) in days)' },
  { name: 'item_completion', window: 'all time', definition: 'smoothed mean completion of the title’s watches' },
  { name: 'user_log_watches', window: 'all time', definition: 'ln(1 + the user’s watches)' },
  { name: 'user_log_watches_long', window: '30 d', definition: 'ln(1 + the user’s watches in the long window)' },
  { name: 'user_log_days_since_last', window: 'clock', definition: 'ln(1 + days since the user’s last event)' },
  { name: 'user_completion', window: 'all time', definition: 'smoothed mean completion of the user’s watches' },
  { name: 'genre_match', window: 'all time', definition: 'cosine between the user’s genre histogram (watched titles) and the title’s genre weights' },
  { name: 'recent_genre_match', window: 'last k', definition: 'share of the user’s last k watched titles that share a genre with the title' },
  { name: 'sim_last_max', window: 'last k', definition: 'max cosine between y_i and the factors of the user’s last k watched titles' },
  { name: 'sim_last_mean', window: 'last k', definition: 'cosine between y_i and the mean unit factor of the user’s last k watched titles' },
  { name: 'intent_title', window: '14 d', definition: 'ln(1 + the user’s searches and browses of the title)' },
  { name: 'intent_genre', window: '14 d', definition: 'share of the user’s searches and browses that fell on the title’s genres' },
]);

export const FEATURE_NAMES: readonly string[] = Object.freeze(FEATURES.map((f) => f.name));
export const N_FEATURES = FEATURES.length;

/** Aggregates as of one clock (sql/exp_feature_*.sql), dense index order of the run. */
export interface FeatureSnapshot {
  nUsers: number;
  nItems: number;
  nGenres: number;
  lastK: number;
  itemPopAll: Float32Array; // nItems, distinct watchers
  itemPopLong: Float32Array; // nItems
  itemPopShort: Float32Array; // nItems
  itemCompletion: Float32Array; // nItems, smoothed
  itemAddedAt: Float64Array; // nItems, epoch seconds
  itemGenres: Csr; // nItems × nGenres, weight 1/|genres of the title|
  userClock: Float64Array; // nUsers, epoch seconds: the instant the user's aggregates are taken at
  userWatches: Float32Array; // nUsers
  userWatchesLong: Float32Array; // nUsers
  userDaysSinceLast: Float32Array; // nUsers
  userCompletion: Float32Array; // nUsers, smoothed
  userGenres: Float32Array; // nUsers × nGenres, shares summing to 1 (0 without history)
  userLast: Int32Array; // nUsers × lastK, item indices most recent first, −1 padding
  userIntent: Csr; // nUsers × nItems, searches + browses in the intent window
  userIntentGenres: Float32Array; // nUsers × nGenres, shares summing to 1 (0 without intent)
}

/** The retrieval model's factors as the features read them. */
export interface RetrievalView {
  k: number;
  userFactors: Float32Array; // nUsers × k, row-major
  itemFactors: Float32Array; // nItems × k, row-major
  itemNorm: Float32Array; // nItems, ‖y_i‖
}

export function retrievalView(k: number, userFactors: Float32Array, itemFactors: Float32Array): RetrievalView {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (itemFactors.length % k !== 0 || userFactors.length % k !== 0) throw new RangeError(`factor arrays must hold whole rows of k = ${k} (users ${userFactors.length}, items ${itemFactors.length})`);
  const nItems = itemFactors.length / k;
  const itemNorm = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += itemFactors[i * k + t] ** 2;
    itemNorm[i] = Math.sqrt(s);
  }
  return { k, userFactors, itemFactors, itemNorm };
}

/** x_u·y_i: the retrieval score of a title that is not in the user's candidate list. */
export function retrievalScore(r: RetrievalView, user: number, item: number): number {
  const { k } = r;
  let s = 0;
  for (let t = 0; t < k; t++) s += r.userFactors[user * k + t] * r.itemFactors[item * k + t];
  return s;
}

/**
 * Builds feature rows user by user; scratch buffers are allocated once (one builder per thread of
 * work). `nCandidates` is the candidate list length, the rank given to titles outside the list.
 */
export class FeatureBuilder {
  readonly d = N_FEATURES;
  private readonly lastUnit: Float32Array; // lastK × k, unit factors of the user's last titles
  private readonly centroid: Float32Array; // k, unit mean of lastUnit's rows
  private readonly lastGenre: Uint8Array; // lastK × nGenres, genre marks of the user's last titles
  private readonly intentStamp: Int32Array; // nItems: user index whose intent count is in intentCount
  private readonly intentCount: Float32Array; // nItems
  // nItems × 8, one 64-byte record per title so a candidate costs one cache line besides its factors:
  // ‖y_i‖, the per-title columns 3..6 and 8 (as float32 values), added_at, genre row start·256 + count.
  private readonly itemRec: Float64Array;
  private readonly logRank: Float32Array; // nCandidates + 1: ln(1 + r)

  constructor(
    readonly snap: FeatureSnapshot,
    readonly retrieval: RetrievalView,
    readonly nCandidates: number,
  ) {
    const { k } = retrieval;
    if (retrieval.itemNorm.length !== snap.nItems) throw new RangeError(`retrieval model has ${retrieval.itemNorm.length} titles, the snapshot ${snap.nItems}`);
    if (retrieval.userFactors.length !== snap.nUsers * k) throw new RangeError(`retrieval model has ${retrieval.userFactors.length / k} users, the snapshot ${snap.nUsers}`);
    if (!(nCandidates >= 1)) throw new RangeError(`nCandidates must be ≥ 1, got ${nCandidates}`);
    this.lastUnit = new Float32Array(Math.max(5, snap.lastK) * k); // ≥ 5 rows: rows() reads five at once
    this.centroid = new Float32Array(k);
    this.lastGenre = new Uint8Array(snap.lastK * snap.nGenres);
    this.intentStamp = new Int32Array(snap.nItems).fill(-1);
    this.intentCount = new Float32Array(snap.nItems);
    const shortOverLong = FEATURE_WINDOWS.shortDays / FEATURE_WINDOWS.longDays;
    const cols = new Float32Array(5); // rounded to float32 as the feature matrix stores them
    this.itemRec = new Float64Array(snap.nItems * 8);
    for (let i = 0; i < snap.nItems; i++) {
      const popShort = snap.itemPopShort[i], popLong = snap.itemPopLong[i];
      cols[0] = Math.log1p(snap.itemPopAll[i]);
      cols[1] = Math.log1p(popLong);
      cols[2] = Math.log1p(popShort);
      cols[3] = Math.log((1 + popShort) / (1 + popLong * shortOverLong));
      cols[4] = snap.itemCompletion[i];
      const o = i * 8, g0 = snap.itemGenres.indptr[i], nG = snap.itemGenres.indptr[i + 1] - g0;
      if (nG > 255) throw new RangeError(`title ${i} has ${nG} genres (at most 255)`);
      this.itemRec[o] = retrieval.itemNorm[i];
      for (let j = 0; j < 5; j++) this.itemRec[o + 1 + j] = cols[j];
      this.itemRec[o + 6] = snap.itemAddedAt[i];
      this.itemRec[o + 7] = g0 * 256 + nG;
    }
    this.logRank = Float32Array.from({ length: nCandidates + 1 }, (_, r) => Math.log1p(r));
  }

  /**
   * Feature rows of user u for titles items[0..m): out[(offset + r)·d + j] = feature j of
   * (u, items[r]). scores[r] = retrieval score, ranks[r] = 0-based rank in the candidate list
   * (≥ nCandidates or < 0: not in the list).
   */
  rows(u: number, items: ArrayLike<number>, scores: ArrayLike<number>, ranks: ArrayLike<number>, m: number, out: Float32Array, offset = 0): void {
    const s = this.snap, r = this.retrieval, { k } = r, G = s.nGenres, K = s.lastK, d = this.d;
    if (u < 0 || u >= s.nUsers) throw new RangeError(`user ${u} outside 0..${s.nUsers - 1}`);
    if (out.length < (offset + m) * d) throw new RangeError(`out needs ${(offset + m) * d} values, has ${out.length}`);

    // Per user: the last titles' unit factors, their unit centroid and their genres.
    let nLast = 0;
    this.centroid.fill(0);
    this.lastGenre.fill(0);
    for (let p = 0; p < K; p++) {
      const j = s.userLast[u * K + p];
      if (j < 0) break;
      const norm = r.itemNorm[j];
      for (let t = 0; t < k; t++) {
        const v = norm > 0 ? r.itemFactors[j * k + t] / norm : 0;
        this.lastUnit[nLast * k + t] = v;
        this.centroid[t] += v;
      }
      for (let q = s.itemGenres.indptr[j]; q < s.itemGenres.indptr[j + 1]; q++) this.lastGenre[nLast * G + s.itemGenres.indices[q]] = 1;
      nLast++;
    }
    let cn = 0;
    for (let t = 0; t < k; t++) cn += this.centroid[t] ** 2;
    cn = Math.sqrt(cn);
    // The user's genre histogram norm, intent counts by title.
    let gn = 0;
    for (let g = 0; g < G; g++) gn += s.userGenres[u * G + g] ** 2;
    gn = Math.sqrt(gn);
    for (let q = s.userIntent.indptr[u]; q < s.userIntent.indptr[u + 1]; q++) {
      this.intentStamp[s.userIntent.indices[q]] = u;
      this.intentCount[s.userIntent.indices[q]] = s.userIntent.values[q];
    }
    const clock = s.userClock[u];
    const uWatches = Math.log1p(s.userWatches[u]);
    const uWatchesLong = Math.log1p(s.userWatchesLong[u]);
    const uSince = Math.log1p(Math.max(0, s.userDaysSinceLast[u]));
    const uCompletion = s.userCompletion[u];
    const rec = this.itemRec;

    for (let row = 0; row < m; row++) {
      const i = items[row];
      if (i < 0 || i >= s.nItems) throw new RangeError(`title ${i} outside 0..${s.nItems - 1}`);
      const o = (offset + row) * d;
      const rank = ranks[row];
      const inList = rank >= 0 && rank < this.nCandidates;
      const ro = i * 8;
      const yNorm = rec[ro];

      // Similarity to the last titles watched (cosines of item factors).
      let simMax = 0, simMean = 0;
      if (nLast > 0 && yNorm > 0) {
        const Y = r.itemFactors, L = this.lastUnit, C = this.centroid, io = i * k;
        if (nLast <= 5) {
          // One pass over y_i for up to five last titles and the centroid: the hot loop of the
          // features. Each dot sums in the same order as one dot at a time (identical values);
          // rows ≥ nLast of lastUnit are stale or zero and ignored below.
          let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, dc = 0;
          for (let t = 0; t < k; t++) {
            const y = Y[io + t];
            d0 += y * L[t];
            d1 += y * L[k + t];
            d2 += y * L[2 * k + t];
            d3 += y * L[3 * k + t];
            d4 += y * L[4 * k + t];
            dc += y * C[t];
          }
          simMax = d0;
          if (nLast > 1 && d1 > simMax) simMax = d1;
          if (nLast > 2 && d2 > simMax) simMax = d2;
          if (nLast > 3 && d3 > simMax) simMax = d3;
          if (nLast > 4 && d4 > simMax) simMax = d4;
          simMax = Math.max(simMax, -1) / yNorm;
          if (cn > 0) simMean = dc / (yNorm * cn);
        } else {
          simMax = -1;
          for (let p = 0; p < nLast; p++) {
            let dot = 0;
            for (let t = 0; t < k; t++) dot += Y[io + t] * L[p * k + t];
            if (dot > simMax) simMax = dot;
          }
          simMax /= yNorm;
          if (cn > 0) {
            let dot = 0;
            for (let t = 0; t < k; t++) dot += Y[io + t] * C[t];
            simMean = dot / (yNorm * cn);
          }
        }
      }

      // Genres: cosine with the history, share of recent titles sharing one, intent share.
      let gDot = 0, gw2 = 0, intentGenre = 0, recentShared = 0;
      const gPacked = rec[ro + 7], g0 = Math.floor(gPacked / 256), g1 = g0 + (gPacked - g0 * 256);
      for (let q = g0; q < g1; q++) {
        const g = s.itemGenres.indices[q], w = s.itemGenres.values[q];
        gDot += s.userGenres[u * G + g] * w;
        gw2 += w * w;
        intentGenre += s.userIntentGenres[u * G + g];
      }
      for (let p = 0; p < nLast; p++) {
        for (let q = g0; q < g1; q++) {
          if (this.lastGenre[p * G + s.itemGenres.indices[q]]) {
            recentShared++;
            break;
          }
        }
      }

      out[o] = scores[row];
      out[o + 1] = this.logRank[inList ? rank : this.nCandidates];
      out[o + 2] = yNorm;
      out[o + 3] = rec[ro + 1];
      out[o + 4] = rec[ro + 2];
      out[o + 5] = rec[ro + 3];
      out[o + 6] = rec[ro + 4];
      out[o + 7] = Math.log1p(Math.max(0, clock - rec[ro + 6]) / 86400);
      out[o + 8] = rec[ro + 5];
      out[o + 9] = uWatches;
      out[o + 10] = uWatchesLong;
      out[o + 11] = uSince;
      out[o + 12] = uCompletion;
      out[o + 13] = gn > 0 && gw2 > 0 ? gDot / (gn * Math.sqrt(gw2)) : 0;
      out[o + 14] = nLast > 0 ? recentShared / nLast : 0;
      out[o + 15] = simMax;
      out[o + 16] = simMean;
      out[o + 17] = this.intentStamp[i] === u ? Math.log1p(this.intentCount[i]) : 0;
      out[o + 18] = intentGenre;
    }
    // Un-stamp (stamps are per user index, but a later call for the same user must not see stale counts).
    for (let q = s.userIntent.indptr[u]; q < s.userIntent.indptr[u + 1]; q++) this.intentStamp[s.userIntent.indices[q]] = -1;
  }
}

/**
 * Feature rows of training examples (sorted by user): the same builder.rows as scoring, user by
 * user. Titles outside the candidate list (inCandidates = 0) get their retrieval score x_u·y_i
 * here (written back into `score`). Returns n × d, row-major.
 */
export function exampleFeatures(builder: FeatureBuilder, ex: { n: number; user: Int32Array; item: Int32Array; score: Float32Array; rank: Int32Array; inCandidates: Uint8Array }): Float32Array {
  const x = new Float32Array(ex.n * builder.d);
  for (let r = 0; r < ex.n; r++) if (!ex.inCandidates[r]) ex.score[r] = retrievalScore(builder.retrieval, ex.user[r], ex.item[r]);
  for (let a = 0; a < ex.n; ) {
    let b = a + 1;
    while (b < ex.n && ex.user[b] === ex.user[a]) b++;
    if (b < ex.n && ex.user[b] < ex.user[a]) throw new RangeError('examples must be sorted by user');
    builder.rows(ex.user[a], ex.item.subarray(a, b), ex.score.subarray(a, b), ex.rank.subarray(a, b), b - a, x, a);
    a = b;
  }
  return x;
}
