// A run's configured recipe: the retrieval params (ALS_*) and the ranking step (RANKER_*,
// RANK_CANDIDATES); a retrain's overrides are merged over these (activities/plan.ts).
import type { Config } from '../config';
import type { RetrievalParams } from '../model/types';
import type { RankerPlan } from './ranking';

export function defaultParams(cfg: Config): RetrievalParams {
  return { model: 'ials', factors: cfg.ALS_FACTORS, epochs: cfg.ALS_EPOCHS, alpha0: cfg.ALS_ALPHA0, lambda: cfg.ALS_LAMBDA, nu: cfg.ALS_NU, cgSteps: cfg.ALS_CG_STEPS, seed: cfg.ALS_SEED };
}

/** The configured ranking step (RANKER_*, RANK_CANDIDATES; RANKER_COMPLETION_WEIGHT = w of p(watch) × E[completion]^w): part of every version's recipe. */
export function defaultRankerPlan(cfg: Config): RankerPlan {
  return {
    enabled: cfg.RANKER_ENABLED,
    candidates: cfg.RANK_CANDIDATES,
    trainUsers: cfg.RANKER_TRAIN_USERS,
    hardNegatives: cfg.RANKER_HARD_NEGATIVES,
    popNegatives: cfg.RANKER_POP_NEGATIVES,
    negatives: 'hard_popularity',
    maxEpochs: cfg.RANKER_MAX_EPOCHS,
    learningRate: cfg.RANKER_LEARNING_RATE,
    seed: cfg.RANKER_SEED,
    completionWeight: cfg.RANKER_COMPLETION_WEIGHT,
  };
}
