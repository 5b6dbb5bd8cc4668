// resolvePlan: the run's recipe = configuration defaults + the caller's overrides, validated.
// Bad overrides are bad input: non-retryable, with the offending field named.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { Config } from '../config';
import { defaultParams, defaultRankerPlan } from '../pipeline/recipe';
import type { RankerPlan, RetrievalParams } from './types';

export { defaultParams, defaultRankerPlan };

const overrides = z
  .object({
    model: z.enum(['ials', 'popularity']),
    factors: z.number().int().min(1).max(1024),
    epochs: z.number().int().min(0).max(1000),
    alpha0: z.number().min(0),
    lambda: z.number().min(0),
    nu: z.number().min(0).max(2),
    cgSteps: z.number().int().min(1).max(64),
    seed: z.number().int().min(0),
  })
  .partial()
  .strict();

const rankerOverrides = z
  .object({
    enabled: z.boolean(),
    candidates: z.number().int().min(1).max(20000),
    trainUsers: z.number().int().min(1),
    hardNegatives: z.number().int().min(1),
    popNegatives: z.number().int().min(0),
    negatives: z.enum(['hard_popularity', 'uniform']),
    maxEpochs: z.number().int().min(1).max(1000),
    learningRate: z.number().min(1e-6).max(1),
    completionWeight: z.number().min(0).max(10),
    seed: z.number().int().min(0),
  })
  .partial()
  .strict();

export function createPlanActivities({ cfg }: { cfg: Config }) {
  return {
    async resolvePlan(input: { params?: Partial<RetrievalParams>; shards?: number; ranker?: Partial<RankerPlan> }): Promise<{ params: RetrievalParams; shards: number; concurrency: number; heartbeatTimeoutSeconds: number; ranker: RankerPlan }> {
      const r = overrides.safeParse(input.params ?? {});
      if (!r.success) {
        const msg = r.error.issues.map((i) => `params.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw ApplicationFailure.nonRetryable(`bad retrain params: ${msg}`, 'BadInput');
      }
      const rk = rankerOverrides.safeParse(input.ranker ?? {});
      if (!rk.success) {
        const msg = rk.error.issues.map((i) => `ranker.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw ApplicationFailure.nonRetryable(`bad retrain ranker options: ${msg}`, 'BadInput');
      }
      const shards = input.shards ?? cfg.SCORE_SHARDS;
      if (!Number.isInteger(shards) || shards < 1 || shards > 4096) throw ApplicationFailure.nonRetryable(`shards must be an integer in 1..4096, got ${shards}`, 'BadInput');
      const params = { ...defaultParams(cfg), ...r.data };
      // The ranker ranks retrieval candidates by their factors: a popularity-only run has none.
      const ranker: RankerPlan = { ...defaultRankerPlan(cfg), ...rk.data };
      if (params.model !== 'ials') ranker.enabled = false;
      return { params, shards, concurrency: cfg.SCORE_CONCURRENCY, heartbeatTimeoutSeconds: cfg.ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS, ranker };
    },
  };
}
