// Serving side of the session-aware feed (the formula is in model/session.ts): the user's recent
// watches (the "watched since the list was computed" set that api/store.ts reads with the list)
// re-score the top of the precomputed list plus the nearest listed titles of the recent titles. Plain
// functions over the loaded version: no Redis, no clock (the caller passes now).
import type { Config } from '../config';
import { rescoreSession, sessionVector, type FoldInModel, type SessionEvent, type SessionParams } from '../model/session';
import type { Candidate, ListedEntries } from './feed';
import { nearestAmong } from './rows';
import type { VersionState } from './state';

const NONE: ReadonlySet<number> = new Set();

/** The session knobs of `cfg`, or null when SESSION_ENABLED is off. */
export function sessionParams(cfg: Config): SessionParams | null {
  if (!cfg.SESSION_ENABLED) return null;
  return {
    halfLifeMinutes: cfg.SESSION_HALF_LIFE_MINUTES,
    alpha: cfg.SESSION_ALPHA,
    saturation: cfg.SESSION_SATURATION,
    maxEvents: cfg.SESSION_MAX_EVENTS,
    minWeight: cfg.SESSION_MIN_WEIGHT,
    rescoreTop: cfg.SESSION_RESCORE_TOP,
    neighbours: cfg.SESSION_NEIGHBOURS,
  };
}

/**
 * Whether the session re-rank needs the whole stored list (as item indices and scores: the recent
 * titles' neighbours are taken from the stored list only, because only it is known to hold no
 * title the user watched before the model's as-of — the API does not keep histories), and how
 * many of its accepted titles it needs as candidates: its re-scored head, or the page.
 */
export function storedListDepth(p: SessionParams | null, recent: ReadonlyMap<string, number>, need: number): { whole: boolean; candidates: number } {
  return p && recent.size > 0 ? { whole: true, candidates: Math.max(need, p.rescoreTop) } : { whole: false, candidates: need };
}

/**
 * `base` (the stored list, best first, filtered by the request's accept; the whole list, see
 * storedListDepth) with its head re-ordered by the session: its first SESSION_RESCORE_TOP titles
 * plus the SESSION_NEIGHBOURS nearest titles of each recent title found further down `base` are
 * re-scored — reason `session` where the session moved a title up — then the rest of `base` follows
 * in its order. Returns `base` itself when no session applies (no recent watch in the version, or
 * all faded).
 */
export function sessionRerank(
  v: VersionState,
  userVec: Float32Array,
  recent: ReadonlyMap<string, number>,
  base: readonly Candidate[],
  o: { params: SessionParams; nowMs: number; watchConfidence: number },
  /** Every accepted entry of the stored list (default: those of `base`, which then must be the whole list). */
  listedAll?: ListedEntries,
): readonly Candidate[] {
  const p = o.params;
  if (recent.size === 0 || v.k === 0 || userVec.length !== v.k) return base;
  const events: SessionEvent[] = [];
  for (const [id, tsMs] of recent) {
    const idx = v.indexById.get(id);
    if (idx !== undefined) events.push({ itemIndex: idx, tsMs });
  }
  const model: FoldInModel = { itemFactors: v.itemFactors, k: v.k, nItems: v.nItems, gramAlpha0: v.gramAlpha0, lambda: v.lambda, nu: v.nu, alpha0: v.alpha0, watchConfidence: o.watchConfidence };
  const sv = sessionVector(userVec, events, o.nowMs, model, p);
  if (!sv) return base;
  const head = base.slice(0, p.rescoreTop).filter((c) => c.itemIndex >= 0);
  const listed = new Map<number, number>(); // itemIndex → stored score
  if (listedAll) for (let i = 0; i < listedAll.idx.length; i++) listed.set(listedAll.idx[i], listedAll.score[i]);
  else for (const c of base) if (c.itemIndex >= 0) listed.set(c.itemIndex, c.score);
  // Each recent title's nearest listed titles, found exactly: the list holds ≤ 500 titles, and a
  // scan of them costs less than an HNSW search whose per-node JS filter would reject almost all
  // of the 10^5 titles it visits.
  const listedIdx = [...listed.keys()];
  const neighbours: number[] = [];
  for (const idx of sv.items) {
    const vec = v.itemFactors.subarray(idx * v.k, (idx + 1) * v.k);
    neighbours.push(...nearestAmong(vec, v.itemFactors, v.k, listedIdx, (j) => j !== idx, NONE, p.neighbours));
  }
  const rescored = rescoreSession(sv.vector, userVec, v.itemFactors, v.k, head.map((c) => c.itemIndex), head.map((c) => c.score), neighbours, neighbours.map((j) => listed.get(j)!));
  const byIndex = new Map(head.map((c) => [c.itemIndex, c]));
  const out: Candidate[] = rescored.map((r) => ({
    movieId: v.items[r.itemIndex].movie_id,
    itemIndex: r.itemIndex,
    score: r.score,
    reason: r.moved ? 'session' : (byIndex.get(r.itemIndex)?.reason ?? 'session'),
  }));
  const taken = new Set(out.map((c) => c.movieId));
  for (const c of base) if (!taken.has(c.movieId)) out.push(c);
  return out;
}
