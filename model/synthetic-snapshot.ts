// A deterministic synthetic feature snapshot (model/features.ts FeatureSnapshot) for benchmarks
// and tests of the ranked path at catalog sizes no fixture world reaches. Values are plausible
// in range (counts ≥ 0, shares summing to 1, a few titles added after some users' clocks), not
// realistic in distribution: it exercises the code, it does not flatter a model.
import type { FeatureSnapshot } from './features';
import { mulberry32 } from './random';
import type { Csr } from './types';

export function syntheticSnapshot(nUsers: number, nItems: number, seed = 1, o: { nGenres?: number; lastK?: number; intentPerUser?: number } = {}): FeatureSnapshot {
  const r = mulberry32(seed);
  const G = o.nGenres ?? 18, K = o.lastK ?? 5, nIntent = Math.min(o.intentPerUser ?? 3, nItems);
  const now = 1_700_000_000;
  const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const popAll = f32(nItems, () => Math.floor(1000 * r() ** 3));
  // Titles: one to three genres of weight 1/|genres|.
  const gPtr = new Int32Array(nItems + 1), gIdx: number[] = [], gVal: number[] = [];
  for (let i = 0; i < nItems; i++) {
    const m = 1 + Math.floor(r() * 3), set = new Set<number>();
    while (set.size < m) set.add(Math.floor(r() * G));
    for (const g of [...set].sort((a, b) => a - b)) {
      gIdx.push(g);
      gVal.push(1 / m);
    }
    gPtr[i + 1] = gIdx.length;
  }
  const itemGenres: Csr = { nRows: nItems, nCols: G, indptr: gPtr, indices: Int32Array.from(gIdx), values: Float32Array.from(gVal) };
  const shares = (n: number) => {
    const a = f32(n * G, () => r());
    for (let u = 0; u < n; u++) {
      let s = 0;
      for (let g = 0; g < G; g++) s += a[u * G + g];
      for (let g = 0; g < G; g++) a[u * G + g] /= s;
    }
    return a;
  };
  const iPtr = new Int32Array(nUsers + 1), iIdx = new Int32Array(nUsers * nIntent);
  for (let u = 0; u < nUsers; u++) {
    const set = new Set<number>();
    while (set.size < nIntent) set.add(Math.floor(r() * nItems));
    iIdx.set([...set].sort((a, b) => a - b), u * nIntent);
    iPtr[u + 1] = (u + 1) * nIntent;
  }
  return {
    nUsers,
    nItems,
    nGenres: G,
    lastK: K,
    itemPopAll: popAll,
    itemPopLong: f32(nItems, (i) => Math.floor(popAll[i] * r())),
    itemPopShort: f32(nItems, (i) => Math.floor(popAll[i] * r() * 0.3)),
    itemCompletion: f32(nItems, () => 0.3 + 0.6 * r()),
    // 2 % of titles arrive within the last day: later than some users' clocks.
    itemAddedAt: Float64Array.from({ length: nItems }, () => (r() < 0.02 ? now - 86_400 * r() : now - 86_400 * 3000 * r())),
    itemGenres,
    userClock: Float64Array.from({ length: nUsers }, () => now - 86_400 * r()),
    userWatches: f32(nUsers, () => Math.floor(200 * r() ** 2)),
    userWatchesLong: f32(nUsers, () => Math.floor(30 * r())),
    userDaysSinceLast: f32(nUsers, () => 60 * r()),
    userCompletion: f32(nUsers, () => 0.3 + 0.6 * r()),
    userGenres: shares(nUsers),
    userLast: Int32Array.from({ length: nUsers * K }, () => Math.floor(r() * nItems)),
    userIntent: { nRows: nUsers, nCols: nItems, indptr: iPtr, indices: iIdx, values: f32(iIdx.length, () => 1 + Math.floor(3 * r())) },
    userIntentGenres: shares(nUsers),
  };
}
