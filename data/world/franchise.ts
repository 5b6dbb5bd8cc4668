// Franchises and post-play choices of a synthetic world.
//
// Franchises: about FRANCHISE_SHARE of the titles form franchises of 2–4 parts. A franchise
// grows from a seed title by its nearest titles in latent space that share a genre (sequels
// resemble their first part), parts ordered by added_at. Parts are renamed "<Name>", "<Name> 2"
// or "<Name>: Part III" — the forms model/franchise.ts reads, so the API finds the franchise from
// titles alone, as it does on MovieLens. Everything is drawn from its own stream (FRANCHISE_STREAM)
// after the catalog, users and fit are built, and only names change: a world's events are the
// same bytes with or without franchises; only movies.csv's titles differ.
//
// Post-play: what a user plays right after finishing title f at time t (the truth that
// bench/up-next.ts scores "up next" lists against). With probability SEQUEL_PROB the next part of
// f's franchise they have not watched (when there is one); otherwise a title drawn
//   ∝ exp(logit_ui(t) + NEIGHBOUR_WEIGHT · cos(v_f, v_i))   among added titles not yet watched,
// i.e. the world's watch propensity (data/world/index.ts) tilted toward titles like f.
import { buildFranchiseIndex, parseSequelTitle } from '../../model/franchise';
import { Rng } from '../rng';
import type { TasteModel, TasteParams } from './taste';

/** Share of titles that belong to a franchise. */
export const FRANCHISE_SHARE = 0.06;
/** Probability that a franchise has 2, 3 or 4 parts. */
const PART_COUNT_WEIGHTS = [0.6, 0.3, 0.1];
/** Probability that a user who finishes a franchise title plays its next unwatched part. */
export const SEQUEL_PROB = 0.5;
/** Weight of the cosine similarity to the finished title in the post-play draw. */
export const NEIGHBOUR_WEIGHT = 3;
/** Seeded streams of their own (catalog.ts uses 1–4, users 1_000_003 + u). */
export const FRANCHISE_STREAM = 101;
export const POST_PLAY_STREAM = 102;

const ROMAN = ['', 'I', 'II', 'III', 'IV', 'V'];
// Words that end a title without naming a part: what a lone "… II" becomes.
const NOT_A_PART = ['Returns', 'Reloaded', 'Rising', 'Reborn'];
const SEQUEL_SUFFIX = /\s+(II|III|IV|Returns|Reloaded)$/;

export interface Franchises {
  /** Per title: its franchise, or −1. */
  franchise: Int32Array; // nTitles
  /** Per title: its part (1-based), 0 outside franchises. */
  part: Int16Array; // nTitles
  /** Per franchise: its titles in part order. */
  members: number[][];
}

/** Choose the franchises of a built catalog (stream FRANCHISE_STREAM); rename their parts in `names` and order their `years`. */
export function buildFranchises(taste: TasteParams, genres: readonly number[][], names: string[], years: Int16Array, seed: number): Franchises {
  const { nTitles: n, dims: d, itemLatent: V, itemAdded } = taste;
  const rng = new Rng(seed, FRANCHISE_STREAM);
  const franchise = new Int32Array(n).fill(-1);
  const part = new Int16Array(n);
  const members: number[][] = [];
  const norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += V[i * d + c] ** 2;
    norm[i] = Math.sqrt(s) || 1;
  }
  const cos = (a: number, b: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += V[a * d + c] * V[b * d + c];
    return s / (norm[a] * norm[b]);
  };
  const genreMask = Int32Array.from(genres, (gs) => gs.reduce((m, g) => m | (1 << g), 0)); // ≤ 31 genres (GENRES has 18)
  const taken = new Set(names.map((x) => x.toLowerCase()));
  const target = Math.round(n * FRANCHISE_SHARE);
  let inFranchises = 0;
  for (let tries = 0; inFranchises < target && tries < 20 * n; tries++) {
    const seedTitle = rng.int(n);
    if (franchise[seedTitle] >= 0) continue;
    const size = 2 + rng.weightedIndex(PART_COUNT_WEIGHTS);
    // The seed's size − 1 nearest free titles that share one of its genres (by cosine, then
    // index): kept in a small sorted array while scanning, as a full sort of the candidates would
    // order the same way at O(n log n) per franchise — minutes at 10^5 titles.
    const best: { i: number; c: number }[] = [];
    const want = size - 1;
    const seedMask = genreMask[seedTitle];
    for (let i = 0; i < n; i++) {
      if (i === seedTitle || franchise[i] >= 0 || (genreMask[i] & seedMask) === 0) continue;
      const c = cos(seedTitle, i);
      if (best.length === want && !(c > best[want - 1].c)) continue; // ties keep the lower index, seen first
      let at = best.length === want ? want - 1 : best.length;
      while (at > 0 && c > best[at - 1].c) at--;
      if (best.length === want) best.pop();
      best.splice(at, 0, { i, c });
    }
    if (best.length < want) continue;
    const parts = [seedTitle, ...best.map((x) => x.i)].sort((a, b) => itemAdded[a] - itemAdded[b] || a - b);
    // The first part's name (without a sequel-like suffix) names the franchise; keep names unique.
    const baseName = names[parts[0]].replace(SEQUEL_SUFFIX, '');
    const style = rng.int(2);
    const named = parts.map((_, p) => (p === 0 ? baseName : style === 0 ? `${baseName} ${p + 1}` : `${baseName}: Part ${ROMAN[p + 1]}`));
    if (named.some((x, p) => x.toLowerCase() !== names[parts[p]].toLowerCase() && taken.has(x.toLowerCase()))) continue;
    const f = members.length;
    members.push(parts);
    parts.forEach((i, p) => {
      franchise[i] = f;
      part[i] = p + 1;
      names[i] = named[p];
      taken.add(named[p].toLowerCase());
    });
    inFranchises += parts.length;
  }
  // Parts appear in order: the franchise's years, sorted, go to its parts in part order.
  for (const m of members) {
    const ys = m.map((i) => years[i]).sort((x, y) => x - y);
    m.forEach((i, p) => (years[i] = ys[p]));
  }
  // Only true franchises may read as one: a title outside them that the heuristic would group
  // (a random "The Last Echo II", or a namesake of a franchise's first part) is renamed.
  for (let pass = 0; pass < 3; pass++) {
    const ix = buildFranchiseIndex(names.map((title) => ({ title })));
    let renamed = 0;
    for (let i = 0; i < n; i++) {
      if (ix.franchise[i] < 0 || franchise[i] >= 0) continue;
      const s = parseSequelTitle(names[i]);
      const stem = s ? names[i].replace(/(?:\s*:\s*|\s+)(?:Part\s+)?(?:\d{1,2}|[IVX]{1,4})$/i, '') : names[i];
      names[i] = `${stem} ${NOT_A_PART[i % NOT_A_PART.length]}`;
      renamed++;
    }
    if (renamed === 0) break;
  }
  return { franchise, part, members };
}

/** The next part of title f's franchise that `watched` does not hold, or −1. */
export function nextPart(fr: Franchises, f: number, watched: (i: number) => boolean): number {
  const k = fr.franchise[f];
  if (k < 0) return -1;
  for (const i of fr.members[k]) if (fr.part[i] > fr.part[f] && !watched(i)) return i;
  return -1;
}

/**
 * The title user u plays right after finishing f at unix second t (see the top of this file), or
 * −1 when nothing is left to watch. `watched` says what u has watched up to t (f included).
 * `scratch` holds nTitles doubles and is overwritten.
 */
export function postPlayChoice(model: TasteModel, fr: Franchises, u: number, f: number, t: number, watched: (i: number) => boolean, rng: Rng, scratch: Float64Array): number {
  const p = model.p;
  if (rng.chance(SEQUEL_PROB)) {
    const next = nextPart(fr, f, watched);
    if (next >= 0 && p.itemAdded[next] <= t) return next;
  }
  const e = model.epochOf(t);
  const a = p.tasteWeight / p.fitStd;
  model.staticFit(u, scratch);
  const drift = new Float64Array(p.nTitles);
  model.driftFit(u, drift);
  const shift = model.driftFraction(e);
  const d = p.dims;
  let nf = 0;
  for (let c = 0; c < d; c++) nf += p.itemLatent[f * d + c] ** 2;
  nf = Math.sqrt(nf) || 1;
  let total = 0;
  for (let i = 0; i < p.nTitles; i++) {
    if (i === f || watched(i) || p.itemAdded[i] > t) {
      scratch[i] = 0;
      continue;
    }
    let dot = 0;
    let ni = 0;
    for (let c = 0; c < d; c++) {
      dot += p.itemLatent[f * d + c] * p.itemLatent[i * d + c];
      ni += p.itemLatent[i * d + c] ** 2;
    }
    const fit = scratch[i] + shift * drift[i];
    const logit = a * (fit - p.fitMean) + p.itemLogPop[i] + model.trend(i, e) + NEIGHBOUR_WEIGHT * (dot / (nf * (Math.sqrt(ni) || 1)));
    scratch[i] = Math.exp(logit);
    total += scratch[i];
  }
  if (!(total > 0)) return -1;
  return rng.weightedIndex(scratch, total);
}
