// The session moves the feed: a warm user's stored vector (trained up to the model's as-of) combined
// with a fold-in of the watches since then, weighted by recency, re-scores the top of the
// precomputed list plus the nearest neighbours of the recent titles. Pure: no I/O, no clock (the
// caller passes `nowMs`), so serving (api/session.ts) and the benchmark (bench/session.ts) run
// exactly the same code.
//
// The formula, for recent watches j = 1…m at times t_j (newest SESSION_MAX_EVENTS only):
//   w_j = 2^(−(now − t_j) / h)                                 recency weight, h = SESSION_HALF_LIFE_MINUTES
//   W   = Σ_j w_j                                              effective number of fresh session events
//   s   = (Σ_j c·w_j y_j y_jᵀ + α0·YᵀY + λ_s I)⁻¹ Σ_j c·w_j y_j  the iALS fold-in of the session alone (model/foldin.ts),
//                                                              c = CONF_WATCH_WEIGHT, λ_s the model's λ(m + α0·n)^ν
//   a   = α · W / (W + κ)                                      mixing weight: α = SESSION_ALPHA, κ = SESSION_SATURATION
//   x'  = |x_u| · ((1 − a)·x_u/|x_u| + a·s/|s|)                the session-aware user vector
// Directions are mixed (not raw vectors) because |s| depends on how many events the fold-in saw
// and |x_u| on the user's whole history; x' keeps |x_u| so its scores x'·y_i stay on the scale of
// the stored list's. When W < SESSION_MIN_WEIGHT the session has faded and nothing changes.
// Candidates: the first SESSION_RESCORE_TOP accepted titles of the stored list ∪ the
// SESSION_NEIGHBOURS nearest titles (inner product) of each recent title among the rest of the
// stored list (only the stored list is known to hold nothing the user watched before the as-of),
// scored
//   score_i = stored_i + (x' − x_u)·y_i      stored_i = the title's score in the stored list (x_u·y_i if not given)
// i.e. the stored score plus the change the session makes to the title's factor score. For a list
// in retrieval order (stored_i = x_u·y_i) that is x'·y_i; for a list the ranker ordered, a = 0
// keeps its order exactly. The re-scored candidates lead the feed, the rest of the stored list
// follows in its own order. A title that ranks above its stored position (or was not in the stored
// head) is marked as moved by the session.
import { foldInUser } from './foldin';

/** The session knobs (config.ts SESSION_*). */
export interface SessionParams {
  /** h: a watch this many minutes old counts half as much as one just now. */
  halfLifeMinutes: number;
  /** α: the largest share of the session direction in the user vector. */
  alpha: number;
  /** κ: effective events at which the session gets half of α. */
  saturation: number;
  /** Newest recent watches folded in (older ones are only excluded from the feed). */
  maxEvents: number;
  /** Below this W the session is ignored. */
  minWeight: number;
  /** Stored-list titles re-scored. */
  rescoreTop: number;
  /** Nearest titles added per recent title. */
  neighbours: number;
}

/** The model's fold-in inputs (a version's factors and iALS settings). */
export interface FoldInModel {
  itemFactors: Float32Array; // nItems × k, row-major
  k: number;
  nItems: number;
  gramAlpha0: Float64Array; // k × k: α0·YᵀY
  lambda: number;
  nu: number;
  alpha0: number;
  /** c: the confidence of one full watch (CONF_WATCH_WEIGHT). */
  watchConfidence: number;
}

export interface SessionEvent {
  itemIndex: number;
  tsMs: number;
}

export interface SessionVector {
  /** x' (k). */
  vector: Float32Array;
  /** a: the share of the session direction in x'. */
  mix: number;
  /** W: Σ recency weights of the events folded in. */
  weight: number;
  /** The item indices folded in, newest first. */
  items: number[];
}

/** w = 2^(−age / h), age clamped at 0 (a client clock slightly ahead is "now"). */
export function recencyWeight(ageMs: number, halfLifeMinutes: number): number {
  if (!(halfLifeMinutes > 0)) throw new RangeError(`half-life must be > 0 minutes, got ${halfLifeMinutes}`);
  return Math.pow(2, -Math.max(0, ageMs) / (halfLifeMinutes * 60_000));
}

/** a = α · W / (W + κ). */
export function sessionMix(weight: number, p: Pick<SessionParams, 'alpha' | 'saturation'>): number {
  if (weight <= 0) return 0;
  return (p.alpha * weight) / (weight + p.saturation);
}

function norm(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/**
 * x' of the formula above, or null when the session does not apply (no events in the model, all
 * faded below SESSION_MIN_WEIGHT, or a zero vector on either side).
 */
export function sessionVector(userVec: Float32Array, events: readonly SessionEvent[], nowMs: number, m: FoldInModel, p: SessionParams): SessionVector | null {
  if (userVec.length !== m.k) throw new RangeError(`user vector has ${userVec.length} entries, the model k=${m.k}`);
  if (m.k === 0 || p.alpha <= 0 || p.maxEvents <= 0) return null;
  const newest = events.filter((e) => e.itemIndex >= 0 && e.itemIndex < m.nItems).sort((a, b) => b.tsMs - a.tsMs).slice(0, p.maxEvents);
  const items: number[] = [];
  const conf: number[] = [];
  let weight = 0;
  for (const e of newest) {
    const w = recencyWeight(nowMs - e.tsMs, p.halfLifeMinutes);
    items.push(e.itemIndex);
    conf.push(m.watchConfidence * w);
    weight += w;
  }
  if (items.length === 0 || weight < p.minWeight) return null;
  const s = foldInUser(m.itemFactors, m.k, m.gramAlpha0, items, conf, m.lambda, m.nu, m.alpha0, m.nItems);
  const nu = norm(userVec), ns = norm(s);
  if (nu === 0 || ns === 0) return null;
  const a = sessionMix(weight, p);
  const x = new Float32Array(m.k);
  for (let t = 0; t < m.k; t++) x[t] = nu * ((1 - a) * (userVec[t] / nu) + a * (s[t] / ns));
  return { vector: x, mix: a, weight, items };
}

export interface Rescored {
  itemIndex: number;
  score: number;
  /** True when the session put the title above its stored rank (or brought it in from a neighbourhood). */
  moved: boolean;
}

/**
 * The session-aware order of the stored head (`storedTop` item indices best first with their
 * `storedScore`, already filtered) and the neighbour candidates (filtered, any order, duplicates
 * allowed; their stored scores in `neighbourScore`, else x_u·y_i): score_i = stored_i +
 * (x' − x_u)·y_i, best first (ties keep the stored order). Returns
 * the re-scored candidates only; the caller appends the rest of its stored list.
 */
export function rescoreSession(
  x: Float32Array,
  userVec: Float32Array,
  itemFactors: Float32Array,
  k: number,
  storedTop: readonly number[],
  storedScore: readonly number[],
  neighbours: readonly number[],
  neighbourScore?: readonly number[],
): Rescored[] {
  if (x.length !== k || userVec.length !== k) throw new RangeError(`session vector has ${x.length} entries and user vector ${userVec.length}, expected k=${k}`);
  if (storedScore.length !== storedTop.length) throw new RangeError(`${storedTop.length} stored titles but ${storedScore.length} scores`);
  if (neighbourScore && neighbourScore.length !== neighbours.length) throw new RangeError(`${neighbours.length} neighbours but ${neighbourScore.length} scores`);
  const storedRank = new Map<number, number>();
  storedTop.forEach((idx, r) => storedRank.set(idx, r));
  const cands: number[] = [...storedTop];
  const given: number[] = [...storedScore]; // stored_i, NaN = x_u·y_i
  const taken = new Set<number>(storedTop);
  neighbours.forEach((idx, j) => {
    if (taken.has(idx)) return;
    taken.add(idx);
    cands.push(idx);
    given.push(neighbourScore ? neighbourScore[j] : NaN);
  });
  const scored = cands.map((idx, order) => {
    let moved = 0, base = 0;
    const o = idx * k;
    for (let t = 0; t < k; t++) {
      moved += (x[t] - userVec[t]) * itemFactors[o + t];
      base += userVec[t] * itemFactors[o + t];
    }
    return { idx, order, s: (Number.isNaN(given[order]) ? base : given[order]) + moved };
  });
  scored.sort((a, b) => b.s - a.s || a.order - b.order);
  return scored.map((c, r) => {
    const was = storedRank.get(c.idx);
    return { itemIndex: c.idx, score: c.s, moved: was === undefined || r < was };
  });
}
