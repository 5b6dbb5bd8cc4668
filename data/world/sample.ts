// Worlds at the target catalog size: a block of users draws from a sample of the catalog instead
// of all of it, so simulating a user costs O(sample) instead of O(titles) (at 10^5 titles the exact
// simulation takes ≈ 10 ms per user: hours for 10^6 users).
//
// The sample of a block (its own seeded stream): the `head` most popular titles, always, plus every
// other title with probability π = (titles − head)/(nTitles − head). A tail title that is drawn
// carries −ln π on its log-popularity, so it stands for the 1/π titles like it that were not:
// summed over blocks, every title keeps its expected share of watches (a ratio estimator of the
// exact draw), while a user still picks by taste, popularity and trend among what the block holds.
// Users of one block share more tail titles than users of two blocks do; the collaborative signal
// this adds is small next to the genres' and is the price of the speed.
import { Rng } from '../rng';
import type { World } from './catalog';
import type { CatalogSample } from './params';
import { TasteModel, type TasteParams } from './taste';

/** A world whose catalog is one block's sample, and the sample's global title ids (ascending). */
export interface SampledWorld {
  world: World;
  ids: Int32Array;
}

/** Global title ids by popularity, most popular first (ranks are a permutation). */
export function titlesByPopularity(w: World): Int32Array {
  const { itemLogPop, nTitles } = w.taste;
  return Int32Array.from({ length: nTitles }, (_, i) => i).sort((a, b) => itemLogPop[b] - itemLogPop[a] || a - b);
}

/** The sampled world of block b (deterministic by the world's seed and b). */
export function sampleWorld(w: World, s: CatalogSample, byPopularity: Int32Array, b: number): SampledWorld {
  const n = w.taste.nTitles;
  const head = Math.min(s.head, n);
  const pi = Math.min(1, Math.max(0, s.titles - head) / Math.max(1, n - head));
  const rng = new Rng(w.seed, 2_000_003 + b);
  const keep = new Uint8Array(n);
  for (let r = 0; r < n; r++) if (r < head || rng.chance(pi)) keep[byPopularity[r]] = 1;
  const head1 = new Uint8Array(n);
  for (let r = 0; r < head; r++) head1[byPopularity[r]] = 1;
  const list: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) list.push(i);
  const ids = Int32Array.from(list);
  const m = ids.length;
  const t = w.taste;
  const { dims: d, nGenres: G } = t;
  const itemLatent = new Float32Array(m * d);
  const itemGenre = new Float32Array(m * G);
  const itemLogPop = new Float32Array(m);
  const itemAdded = new Float64Array(m);
  const durations = new Int32Array(m);
  const lnPi = Math.log(pi);
  for (let j = 0; j < m; j++) {
    const i = ids[j];
    itemLatent.set(t.itemLatent.subarray(i * d, (i + 1) * d), j * d);
    itemGenre.set(t.itemGenre.subarray(i * G, (i + 1) * G), j * G);
    itemLogPop[j] = t.itemLogPop[i] - (head1[i] ? 0 : lnPi);
    itemAdded[j] = t.itemAdded[i];
    durations[j] = w.catalog.durations[i];
  }
  const taste: TasteParams = { ...t, nTitles: m, itemLatent, itemGenre, itemLogPop, itemAdded };
  // Every per-title field the simulator reads is indexed by sample position: the durations and the
  // genres (the session intent's genre lists and moods).
  const catalog = { ...w.catalog, durations, genres: Array.from(ids, (i) => w.catalog.genres[i]) };
  return { world: { ...w, taste, model: new TasteModel(taste), catalog }, ids };
}
