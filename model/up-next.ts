// Post-play "up next": what to play after the title just finished. One policy, used by the API
// (api/up-next.ts) and scored offline by bench/up-next.ts:
//   1. the next parts of the finished title's franchise that the user may watch (sequel first,
//      then a skipped earlier part; model/franchise.ts), then
//   2. the finished title's nearest neighbours in the factor space (n of them, by y_f·y_i), re-
//      scored by the user: s_i = x_u·y_i + β·y_f·y_i (β = 0: the user's taste alone orders the
//      neighbours; no user vector: s_i = y_f·y_i, pure item-to-item). β is UP_NEXT_ITEM_WEIGHT.
// Nothing outside `accept` (titles seen, the finished title itself) is ever returned.
import { franchiseNext, type FranchiseIndex } from './franchise';

export type UpNextWhy = 'next_in_franchise' | 'similar';

export interface UpNextPick {
  itemIndex: number;
  score: number;
  why: UpNextWhy;
}

export interface UpNextInput {
  /** Item index of the finished title, or −1 for a title the factors do not list (a fresh one with a vector). */
  finished: number;
  /** The finished title's vector (k). */
  finishedVec: Float32Array;
  itemFactors: Float32Array; // nItems × k, row-major
  k: number;
  /** The user's vector (k), or null for a user the model lacks (item-to-item order). */
  userVec: Float32Array | null;
  /** Nearest items to `vec` by inner product among accepted ones, nearest first (hnswlib in the API, exact in the benchmark). */
  neighbours: (vec: Float32Array, n: number, accept: (idx: number) => boolean) => number[];
  /** How many neighbours of the finished title are re-scored. */
  nNeighbours: number;
  /** Weight β of the similarity to the finished title in the re-scored neighbours. */
  itemWeight: number;
  /** Franchises of the catalog, or null to use no franchise signal. */
  franchise: FranchiseIndex | null;
  /** False for titles the user must not be offered (seen, excluded, the finished title). */
  accept: (idx: number) => boolean;
  /**
   * Looser test for franchise parts (default `accept`): a part the user has not been seen watching
   * may be offered even when `accept` demands more proof of "unseen" than the caller has.
   */
  acceptFranchise?: (idx: number) => boolean;
  limit: number;
}

function dotRows(a: Float32Array, aOff: number, b: Float32Array, bOff: number, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += a[aOff + j] * b[bOff + j];
  return s;
}

/**
 * f·y and u·y for row y of Y at yOff, each summed exactly as dotRows sums it (so scores and ties
 * do not move), in one pass: y is loaded once and the two chains of adds overlap.
 */
function dotRowsPair(f: Float32Array, u: Float32Array, Y: Float32Array, yOff: number, k: number, out: Float64Array): void {
  let sf = 0;
  let su = 0;
  for (let j = 0; j < k; j++) {
    const y = Y[yOff + j];
    sf += f[j] * y;
    su += u[j] * y;
  }
  out[0] = sf;
  out[1] = su;
}

export function upNext(inp: UpNextInput): UpNextPick[] {
  const { k, itemFactors: Y, userVec, finishedVec } = inp;
  if (finishedVec.length !== k) throw new RangeError(`finished title vector has ${finishedVec.length} entries, expected k=${k}`);
  if (userVec && userVec.length !== k) throw new RangeError(`user vector has ${userVec.length} entries, expected k=${k}`);
  const out: UpNextPick[] = [];
  const taken = new Set<number>();
  const ok = (idx: number) => idx !== inp.finished && !taken.has(idx) && inp.accept(idx);
  if (inp.franchise && inp.finished >= 0) {
    const okPart = inp.acceptFranchise ? (idx: number) => idx !== inp.finished && !taken.has(idx) && inp.acceptFranchise!(idx) : ok;
    for (const idx of franchiseNext(inp.franchise, inp.finished, okPart)) {
      if (out.length >= inp.limit) return out;
      taken.add(idx);
      out.push({ itemIndex: idx, score: userVec ? dotRows(userVec, 0, Y, idx * k, k) : dotRows(finishedVec, 0, Y, idx * k, k), why: 'next_in_franchise' });
    }
  }
  const near = inp.neighbours(finishedVec, Math.max(inp.nNeighbours, inp.limit), ok);
  const scored: UpNextPick[] = [];
  const pair = new Float64Array(2);
  for (const idx of near) {
    if (!ok(idx)) continue;
    let score: number;
    if (userVec) {
      dotRowsPair(finishedVec, userVec, Y, idx * k, k, pair);
      score = pair[1] + inp.itemWeight * pair[0];
    } else score = dotRows(finishedVec, 0, Y, idx * k, k);
    scored.push({ itemIndex: idx, score, why: 'similar' });
  }
  scored.sort((a, b) => b.score - a.score || a.itemIndex - b.itemIndex);
  for (const p of scored) {
    if (out.length >= inp.limit) break;
    taken.add(p.itemIndex);
    out.push(p);
  }
  return out;
}

/** Exact nearest neighbours by inner product (a full scan: benchmarks and small catalogs). */
export function exactNeighbours(itemFactors: Float32Array, nItems: number, k: number): UpNextInput['neighbours'] {
  return (vec, n, accept) => {
    const idx: number[] = [];
    const sc: number[] = [];
    for (let i = 0; i < nItems; i++) {
      if (!accept(i)) continue;
      const s = dotRows(vec, 0, itemFactors, i * k, k);
      if (idx.length < n) {
        idx.push(i);
        sc.push(s);
      } else if (s > sc[n - 1]) {
        idx[n - 1] = i;
        sc[n - 1] = s;
      } else continue;
      // Keep the n best sorted (n is small): bubble the new entry up.
      for (let j = idx.length - 1; j > 0 && sc[j] > sc[j - 1]; j--) {
        [sc[j], sc[j - 1]] = [sc[j - 1], sc[j]];
        [idx[j], idx[j - 1]] = [idx[j - 1], idx[j]];
      }
    }
    return idx;
  };
}
