// The shipped system of a version as one Recommender, for batch scoring: the 'ship' retrieval model
// (ranked by the 'ship' ranker when the recipe ships ranked lists), served through the same
// shippedRecommender as evaluation (pipeline/evaluate.ts): users without positives get popularity,
// light users the recipe's light strategy. What the gate graded is what users get.
import { LIGHT_MAX } from '../model/evaluate';
import { globalRecommender, shippedRecommender, type Recommender, type TopN } from '../model/recommend';
import { initTf } from '../model/tf-backend';
import type { Csr, LightStrategy } from '../model/types';
import { runFiles } from '../storage/run-data';
import { loadRankedRecommender, rankerTrained } from './ranking';
import { loadRecommender } from './retrieval';

/** Users [start, end) of shard `shard` of `shards` over n users. */
export function shardRange(n: number, shard: number, shards: number): { start: number; end: number } {
  return { start: Math.floor((shard * n) / shards), end: Math.floor(((shard + 1) * n) / shards) };
}

/**
 * Users [start, end) in batches of `batch`: yields each batch's users and top-n, while the next
 * batch is already being scored (the recommender computes in worker threads), so the caller's
 * writes of one batch overlap the next one's compute. One topN call in flight at a time; at most
 * two batches' results alive.
 */
export async function* scoreBatches(rec: Pick<Recommender, 'topN'>, seen: Csr, start: number, end: number, batch: number, n: number): AsyncGenerator<{ users: Int32Array; top: TopN }> {
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const usersOf = (b: number) => Int32Array.from({ length: Math.min(batch, end - b) }, (_, j) => b + j);
  let next = start < end ? rec.topN(usersOf(start), seen, n) : null;
  for (let b = start; next; b += batch) {
    const users = usersOf(b);
    const top = await next;
    next = b + batch < end ? rec.topN(usersOf(b + batch), seen, n) : null;
    next?.catch(() => undefined); // awaited on the next turn; the caller may stop before it
    yield { users, top };
  }
}

export interface ServingRecipe {
  /** Rank the retrieval candidates with the 'ship' ranker (the gate found the ranked order better). */
  rankedLists: boolean;
  candidates: number;
  lightStrategy: LightStrategy;
  /** w of p(watch) × E[completion]^w (the recipe's ranker.completionWeight); absent = 0. */
  completionWeight?: number;
}

export async function loadShippedRecommender(dir: string, recipe: ServingRecipe, threads: number, tfBackend?: 'node' | 'wasm' | 'cpu'): Promise<Recommender & { dispose(): void; ranked: boolean }> {
  const baselines = { popularity: globalRecommender('popularity', runFiles.f32(dir, 'pop_ship')), trending: globalRecommender('trending', runFiles.f32(dir, 'trend_ship')) };
  const positives = runFiles.csr(dir, 'ship');
  const ranked = recipe.rankedLists && rankerTrained(dir, 'ship');
  let model: Recommender & { dispose?: () => void };
  if (ranked) {
    await initTf(tfBackend);
    model = await loadRankedRecommender(dir, { rankerPhase: 'ship', retrievalPhase: 'ship', period: 'ship', popName: 'pop_ship', candidates: recipe.candidates, threads, completionWeight: recipe.completionWeight });
  } else model = loadRecommender(dir, 'ship', 'pop_ship', threads);
  const rec = shippedRecommender(model, positives, baselines, { lightMax: LIGHT_MAX, lightStrategy: recipe.lightStrategy });
  return Object.assign(rec, { ranked, dispose: () => model.dispose?.() });
}
