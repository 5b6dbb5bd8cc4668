// Shapes that cross the workflow ↔ activity boundary: small, JSON-serialisable, never arrays of
// factors or lists (those live in artifact files and Redis; payloads carry a version id).

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
  /** Ingest this world directory (movies.csv + events.csv) before training. */
  worldDir?: string;
  /** The data's clock; default: the latest event time in the warehouse. */
  asOf?: string;
  /** Overrides of the configured recipe, e.g. {"factors": 32}. */
  params?: Partial<RetrievalParams>;
  evalWindowDays?: number;
  /** Number of scoring shards (default SCORE_SHARDS). */
  shards?: number;
}

export interface IngestCountsOut {
  kind: 'events' | 'titles';
  rowsRead: number;
  ingested: number;
  duplicates: number;
  quarantined: number;
  alreadyIngested: boolean;
}

export interface MetricsRecord {
  users: number;
  recall_10: number;
  recall_20: number;
  recall_50: number;
  ndcg_10: number;
  ndcg_100: number;
  map_10: number;
  hitrate_10: number;
  coverage_10: number;
  mean_pop_10: number;
}

export interface GateOut {
  passed: boolean;
  reason: string;
  metric: string;
  candidate: number;
  popularity: number;
  live: number | null;
  liveVersion: string | null;
}

export interface EvaluateOut {
  gate: GateOut;
  /** model → slice → metrics, on the global time holdout. */
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
}
