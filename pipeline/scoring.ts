// The shipped system of a version as one Recommender, for batch scoring: the 'ship' retrieval model
// (ranked by the 'ship' ranker when the recipe ships ranked lists), served through the same
// shippedRecommender as evaluation (pipeline/evaluate.ts): users without positives get popularity,
// light users the recipe's light strategy. What the gate graded is what users get.
import { LIGHT_MAX } from '../model/evaluate';
import { globalRecommender, shippedRecommender, type Recommender } from '../model/recommend';
import { initTf } from '../model/tf-backend';
import type { LightStrategy } from '../model/types';
import { runFiles } from '../storage/run-data';
import { loadRankedRecommender, rankerTrained } from './ranking';
import { loadRecommender } from './retrieval';

/** Users [start, end) of shard `shard` of `shards` over n users. */
export function shardRange(n: number, shard: number, shards: number): { start: number; end: number } {
  return { start: Math.floor((shard * n) / shards), end: Math.floor(((shard + 1) * n) / shards) };
}

export interface ServingRecipe {
  /** Rank the retrieval candidates with the 'ship' ranker (the gate found the ranked order better). */
  rankedLists: boolean;
  candidates: number;
  lightStrategy: LightStrategy;
}

export async function loadShippedRecommender(dir: string, recipe: ServingRecipe, threads: number, tfBackend?: 'node' | 'wasm' | 'cpu'): Promise<Recommender & { dispose(): void; ranked: boolean }> {
  const baselines = { popularity: globalRecommender('popularity', runFiles.f32(dir, 'pop_full')), trending: globalRecommender('trending', runFiles.f32(dir, 'trend_full')) };
  const positives = runFiles.csr(dir, 'full');
  const ranked = recipe.rankedLists && rankerTrained(dir, 'ship');
  let model: Recommender & { dispose?: () => void };
  if (ranked) {
    await initTf(tfBackend);
    model = await loadRankedRecommender(dir, { rankerPhase: 'ship', retrievalPhase: 'ship', period: 'ship', popName: 'pop_full', candidates: recipe.candidates, threads });
  } else model = loadRecommender(dir, 'ship', 'pop_full', threads);
  const rec = shippedRecommender(model, positives, baselines, { lightMax: LIGHT_MAX, lightStrategy: recipe.lightStrategy });
  return Object.assign(rec, { ranked, dispose: () => model.dispose?.() });
}
