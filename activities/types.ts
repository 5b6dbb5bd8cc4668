// Shapes that cross the workflow ↔ activity boundary: small, JSON-serialisable, never arrays of
// factors or lists (those live in artifact files and Redis; payloads carry a version id).
import type { Metrics } from '../model/metrics';

export type ModelKind = 'ials' | 'popularity';

/** Retrieval recipe; every field has a configured default (config.ts ALS_*). */
export interface RetrievalParams {
  model: ModelKind;
  factors: number;
  epochs: number;
  alpha0: number;
  lambda: number;
  nu: number;
  cgSteps: number;
  seed: number;
}

export interface RetrainInput {
  /** Ingest this world directory (movies.csv + events.parquet, or events.csv) before training. */
  worldDir?: string;
  /** The data's clock; default: the latest event time in the warehouse. */
  asOf?: string;
  /** Overrides of the configured recipe, e.g. {"factors": 32}. */
  params?: Partial<RetrievalParams>;
  evalWindowDays?: number;
  /** Number of scoring shards (default SCORE_SHARDS). */
  shards?: number;
  /** 'global_time' (default: everyone's cutoff is as-of − evalWindowDays) or 'per_user' (each user's last 20 % of events). */
  holdout?: 'global_time' | 'per_user';
  /** Overrides of the ranking step: {"enabled": false} ships retrieval-only lists; candidates = RANK_CANDIDATES. */
  ranker?: Partial<RankerPlan>;
}

/** The ranking step of a run (config RANKER_ENABLED, RANK_CANDIDATES + the caller's overrides). */
export interface RankerPlan {
  enabled: boolean;
  /** Retrieval candidates per user that the ranker orders. */
  candidates: number;
}

/** What a trainRanker step did (no arrays: the model and its examples are files of the run). */
export interface RankerInfo {
  phase: 'gate' | 'ship';
  trained: boolean;
  /** Why no ranker was trained (trained = false), e.g. no labels in the window. */
  reason?: string;
  /** TF.js backend that trained it ('tensorflow' | 'wasm' | 'cpu'). */
  backend: string;
  users: number;
  examples: number;
  positives: number;
  popularitySamples: number;
  /** H of the negative sampling q(rank) = min(1, H/(rank+1)); scoring corrects the ranker by ln q. */
  hardNegatives: number;
  epochs: number;
  bestEpoch: number;
  valAuc: number | null;
  valLogLoss: number | null;
  nTrain: number;
  nValid: number;
  seconds: number;
}

/** The content → factor model of a version, evaluated on held-out warm titles. */
export interface ContentInfo {
  trained: boolean;
  reason?: string;
  backend: string;
  k: number;
  trainTitles: number;
  evalTitles: number;
  epochs: number;
  /** Mean cosine of predicted to real factors of the held-out titles, and of a shuffled pairing (chance). */
  meanCosine: number | null;
  shuffledMeanCosine: number | null;
  audienceSize: number;
  /** Share of the held-out titles' watchers inside the top-audienceSize users by predicted vector, vs a random audience. */
  audienceHitRate: number | null;
  randomHitRate: number | null;
  lift: number | null;
  /** The same with the titles' real factors (the ceiling of a perfect content model). */
  oracleLift: number | null;
  seconds: number;
}

export interface IngestCountsOut {
  kind: 'events' | 'titles';
  rowsRead: number;
  ingested: number;
  duplicates: number;
  quarantined: number;
  alreadyIngested: boolean;
}

/** Full-ranking metrics of one model on one slice (model/metrics.ts defines them). */
export type MetricsRecord = Metrics;

export interface GateOut {
  passed: boolean;
  /** The list the gate judged: 'ranked' (retrieval + ranker) or 'candidate' (retrieval only). */
  judged: 'ranked' | 'candidate';
  reason: string;
  metric: string;
  candidate: number;
  popularity: number;
  live: number | null;
  liveVersion: string | null;
}

export interface EvaluateOut {
  gate: GateOut;
  /**
   * model → slice → metrics, on the run's holdout: candidate (retrieval only), ranked (candidate's
   * top RANK_CANDIDATES ordered by the gate ranker), popularity, trending, live (+ live_ranked).
   */
  metrics: Record<string, Record<string, MetricsRecord>>;
}

export interface RetrainResult {
  version: string;
  published: boolean;
  status: 'published' | 'not_published';
  reason: string;
  dataAsOf: string;
  cutoff: string;
  params: RetrievalParams;
  gate: GateOut;
  metrics: EvaluateOut['metrics'];
  ingest?: IngestCountsOut[];
  users: number;
  items: number;
  previousVersion: string | null;
  ranker: { plan: RankerPlan; gate?: RankerInfo; ship?: RankerInfo };
  content?: ContentInfo;
}
