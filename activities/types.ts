// Shapes that cross the workflow ↔ activity boundary: small, JSON-serialisable, never arrays of
// factors or lists (those live in artifact files and Redis; payloads carry a version id).
import type { Check, Outcome, ReleaseAction } from '../model/gate';
import type { GateOut, RunEvaluation } from '../pipeline/evaluate';
import type { RankerInfo, RankerPlan } from '../pipeline/ranking';
import type { Metrics } from '../model/metrics';
import type { LightStrategy, ModelKind, RetrievalParams } from '../model/types';

export type { LightStrategy, ModelKind, RetrievalParams };

export interface RetrainInput {
  /** Ingest this world directory (movies.csv + events.parquet, or events.csv) before training. */
  worldDir?: string;
  /** The data's clock; default: the latest event time in the warehouse. */
  asOf?: string;
  /** Overrides of the configured recipe, e.g. {"factors": 32}. */
  params?: Partial<RetrievalParams>;
  /** The holdout's least length in days (default EVAL_WINDOW_DAYS; it grows to hold EVAL_MIN_USERS users). */
  evalWindowDays?: number;
  /** Number of scoring shards (default SCORE_SHARDS). */
  shards?: number;
  /** Overrides of the ranking step (RANKER_* defaults): {"enabled": false} never ranks; candidates, trainUsers, hardNegatives, popNegatives, maxEpochs, learningRate, seed. */
  ranker?: Partial<RankerPlan>;
}

export type { RankerInfo, RankerPlan };

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

export type { Check, GateOut, Outcome, ReleaseAction };

/** What evaluateCandidate returns: the gate (with its release decision) and every metric behind it. */
export type EvaluateOut = RunEvaluation;

/** A version's full recipe, stored with it: the next run compares against it and scoring follows it. */
export interface Recipe {
  params: RetrievalParams;
  ranker: RankerPlan;
  /** Whether the ranker's order ships (it beat the retrieval order on the gate holdout). */
  rankedLists: boolean;
  lightStrategy: LightStrategy;
}

export interface RetrainResult {
  version: string;
  /** True when users now get this run's lists (a model or, with nothing live, the baseline). */
  published: boolean;
  /** published: the model; baseline_published: popularity lists (no live version, gate not passed); not_published: live kept. */
  status: 'published' | 'baseline_published' | 'not_published';
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
