// GET /up-next as a plain function over the loaded version: the policy is model/up-next.ts
// (franchise next parts, then the finished title's neighbours re-scored by the user); this file
// chooses the inputs and the fallback. No I/O: the route reads the user and passes them in.
//   • finished title in the version (or fresh with a vector) and k > 0 → the policy; source
//     "personalized" / "fold_in" with a user vector, "item_to_item" without one;
//   • otherwise (title unknown to the model, a baseline version) → popular titles of the title's
//     genres (all genres when the title is unknown), source "fallback". Never empty while the
//     catalog has titles the user has not seen.
import { buildFranchiseIndex, buildFranchiseIndexInSlices, type FranchiseIndex } from '../model/franchise';
import { upNext, type UpNextWhy } from '../model/up-next';
import { coldStart, roundScore } from './feed';
import type { TitleFields } from './feed-json';
import type { FreshTitle, VersionState } from './state';

export type UpNextReason = UpNextWhy | 'popular' | 'trending';
export type UpNextSource = 'personalized' | 'fold_in' | 'item_to_item' | 'fallback';

export interface UpNextItem {
  movie_id: string;
  title: string;
  genres: string[];
  score: number;
  reason: UpNextReason;
  because_of?: string;
}

export interface UpNextResponse {
  user_id: string;
  movie_id: string;
  model_version: string;
  source: UpNextSource;
  items: UpNextItem[];
}

export interface UpNextUser {
  userId: string;
  /** x_u (k), or null for a user the model lacks. */
  userVec: Float32Array | null;
  /** Where the user vector came from (when there is one). */
  vecSource: 'personalized' | 'fold_in';
  /** False for titles the user must not be offered (seen, or — for a user with a stored list — not in it). */
  accept: (idx: number) => boolean;
  /**
   * False only for titles the API saw the user watch (the recent set). Franchise parts pass this
   * looser test: a sequel of a title finished after the list was built is rarely in that list.
   */
  notWatched: (idx: number) => boolean;
}

export interface UpNextOptions {
  limit: number;
  nNeighbours: number;
  itemWeight: number;
  franchise: boolean;
}

// One franchise index per loaded catalog: built in slices when the version loads (prepareFranchise,
// api/app.ts), or on first use by anything that asks before that (two regexes per title: ~10 ms at 10^4).
const franchiseCache = new WeakMap<readonly unknown[], FranchiseIndex>();
export function franchiseOf(v: Pick<VersionState, 'items'>): FranchiseIndex {
  let ix = franchiseCache.get(v.items);
  if (!ix) franchiseCache.set(v.items, (ix = buildFranchiseIndex(v.items)));
  return ix;
}

/** Build the version's franchise index in slices, yielding with `pause` between them, before the version serves. */
export async function prepareFranchise(v: Pick<VersionState, 'items'>, pause: () => Promise<void>): Promise<void> {
  if (franchiseCache.has(v.items)) return;
  const ix = await buildFranchiseIndexInSlices(v.items, pause);
  if (!franchiseCache.has(v.items)) franchiseCache.set(v.items, ix);
}

/** An answer before its items are objects: api/rows-json.ts writes it as JSON bytes, upNextResponse as the response object. */
export interface UpNextPlan {
  source: UpNextSource;
  picks: Array<{ itemIndex: number; score: number; reason: UpNextReason }>;
  /** True when every item is because_of the finished title (the policy's picks; not the fallback). */
  because: boolean;
}

/** The plan as the response object (keys in the order the response has always had them). */
export function upNextResponse(v: { items: readonly TitleFields[]; version: string }, userId: string, movieId: string, plan: UpNextPlan): UpNextResponse {
  const items = plan.picks.map((p): UpNextItem => {
    const t = v.items[p.itemIndex];
    const item: UpNextItem = { movie_id: t.movie_id, title: t.title, genres: t.genres, score: roundScore(p.score), reason: p.reason };
    if (plan.because) item.because_of = movieId;
    return item;
  });
  return { user_id: userId, movie_id: movieId, model_version: v.version, source: plan.source, items };
}

export function planUpNext(
  v: VersionState,
  fresh: FreshTitle | undefined,
  movieId: string,
  user: UpNextUser,
  o: UpNextOptions,
  neighbours: (vec: Float32Array, n: number, accept: (idx: number) => boolean) => number[],
): UpNextPlan {
  const idx = v.indexById.get(movieId);
  const finishedVec = v.k > 0 ? (idx !== undefined ? v.itemFactors.subarray(idx * v.k, (idx + 1) * v.k) : (fresh?.vector ?? null)) : null;
  if (finishedVec && finishedVec.length === v.k) {
    const picks = upNext({
      finished: idx ?? -1,
      finishedVec,
      itemFactors: v.itemFactors,
      k: v.k,
      userVec: user.userVec,
      neighbours,
      nNeighbours: o.nNeighbours,
      itemWeight: o.itemWeight,
      franchise: o.franchise ? franchiseOf(v) : null,
      accept: user.accept,
      acceptFranchise: user.notWatched,
      limit: o.limit,
    });
    if (picks.length > 0) {
      return { source: user.userVec ? user.vecSource : 'item_to_item', picks: picks.map((p) => ({ itemIndex: p.itemIndex, score: p.score, reason: p.why })), because: true };
    }
  }
  // Fallback: popular titles of the finished title's genres (any genre when it is unknown).
  const known = idx !== undefined ? v.items[idx] : fresh;
  const wanted = known && known.genresLower.length > 0 ? known.genresLower : null;
  const ok = (i: number) => i !== idx && user.accept(i) && (wanted === null || v.items[i].genresLower.some((g) => wanted.includes(g)));
  let cands = coldStart([], v.popular, v.items, ok, o.limit, true);
  // Short: any genre, then titles the user was merely not seen watching.
  for (const test of [user.accept, user.notWatched]) {
    if (cands.length >= o.limit) break;
    const have = new Set(cands.map((c) => c.itemIndex));
    cands = cands.concat(coldStart([], v.popular, v.items, (i) => i !== idx && test(i) && !have.has(i), o.limit - cands.length, true));
  }
  return { source: 'fallback', picks: cands.map((c) => ({ itemIndex: c.itemIndex, score: c.score, reason: c.reason as UpNextReason })), because: false };
}
