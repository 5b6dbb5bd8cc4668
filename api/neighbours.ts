// Nearest titles by inner product for the rows and up-next surfaces: the HNSW search of a vector,
// and the neighbours of a catalog title, searched once per loaded version and then cached.
//
// Why a cache: a "because you watched X" row (users without a stored list) and every up-next of
// a catalog title ask for the neighbours of one title, and the same few thousand popular titles
// are asked for over and over. The answer depends only on the version (its factors and its
// index), so one search per title per version replaces one per request: the cached labels are
// exactly what the per-request search returned before (same query, same k, same ef). A version
// is immutable, so entries never go stale; a new version gets a new cache (a WeakMap on its
// index), and the old one goes with the old version.

/** What the search needs of hnswlib-node's HierarchicalNSW (labels are item indices, space 'ip'). */
export interface AnnIndex {
  searchKnn(query: number[], k: number, filter?: (label: number) => boolean): { neighbors: number[]; distances: number[] };
  setEf(ef: number): void;
  getCurrentCount(): number;
}

/** Spare results fetched unfiltered, to cover the few titles a caller refuses (its watches). */
export const ANN_MARGIN = 16;

/**
 * Titles whose neighbour lists one version keeps (FIFO past this). At ROWS_NEIGHBOURS = 100 a
 * list is 116 labels (≈ 0.6 kB with its Map entry), so the bound is ≈ 12 MB per version.
 */
export const NEIGHBOUR_CACHE_TITLES = 20_000;

/** hnswlib returns labels by ascending distance 1 − x·y only per heap order: sort them. */
function byDistance(res: { neighbors: number[]; distances: number[] }): number[] {
  const order = res.neighbors.map((_, i) => i).sort((a, b) => res.distances[a] - res.distances[b]);
  return order.map((i) => res.neighbors[i]);
}

/**
 * The kq nearest labels to `query`, nearest first, unfiltered. No filter callback: hnswlib would
 * call into JS once per visited node, which costs more than the search itself.
 */
function searchUnfiltered(ann: AnnIndex, efSearch: number, query: number[], kq: number): number[] {
  ann.setEf(Math.max(efSearch, kq));
  return byDistance(ann.searchKnn(query, kq));
}

/**
 * The n accepted labels nearest `first` (an unfiltered result of kq = n + ANN_MARGIN labels,
 * nearest first); when the caller refuses so many that fewer than n remain and the index holds
 * more, one filtered search (rare: more than ANN_MARGIN of the nearest are refused).
 */
function acceptedOf(ann: AnnIndex, efSearch: number, query: () => number[], first: ArrayLike<number>, kq: number, n: number, accept: (idx: number) => boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < kq && r < first.length && out.length < n; r++) if (accept(first[r])) out.push(first[r]);
  const count = ann.getCurrentCount();
  if (out.length >= n || kq >= count) return out;
  const kf = Math.min(n, count);
  ann.setEf(Math.max(efSearch, kf));
  return byDistance(ann.searchKnn(query(), kf, accept));
}

/** Item indices nearest to `vec` by inner product (HNSW), accepted ones only, nearest first. */
export function annNeighbours(ann: AnnIndex, efSearch: number, vec: Float32Array, n: number, accept: (idx: number) => boolean): number[] {
  const kq = Math.min(n + ANN_MARGIN, ann.getCurrentCount());
  if (kq <= 0 || n <= 0) return [];
  const query = Array.from(vec);
  return acceptedOf(ann, efSearch, () => query, searchUnfiltered(ann, efSearch, query, kq), kq, n, accept);
}

// Per index: item index → its nearest labels, nearest first (the deepest search asked so far).
const cacheOf = new WeakMap<AnnIndex, Map<number, Int32Array>>();

/**
 * annNeighbours of catalog title `idx` (its row of `itemFactors`, nItems × k row-major), with
 * the unfiltered search cached per title. A cached list deeper than asked is cut to the depth
 * asked: a prefix of a deeper search is at least as exact as the shallower search.
 */
export function titleNeighbours(ann: AnnIndex, efSearch: number, itemFactors: Float32Array, k: number, idx: number, n: number, accept: (idx: number) => boolean): number[] {
  const kq = Math.min(n + ANN_MARGIN, ann.getCurrentCount());
  if (kq <= 0 || n <= 0) return [];
  let cache = cacheOf.get(ann);
  if (!cache) cacheOf.set(ann, (cache = new Map()));
  const query = () => Array.from(itemFactors.subarray(idx * k, (idx + 1) * k));
  let first = cache.get(idx);
  if (!first || first.length < kq) {
    first = Int32Array.from(searchUnfiltered(ann, efSearch, query(), kq));
    if (!cache.has(idx) && cache.size >= NEIGHBOUR_CACHE_TITLES) cache.delete(cache.keys().next().value!);
    cache.set(idx, first);
  }
  return acceptedOf(ann, efSearch, query, first, kq, n, accept);
}
