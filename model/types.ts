// Shared shapes of the numeric core. Pure data: no I/O, no clients.

/** Compressed sparse rows: row r's entries are indices[indptr[r] .. indptr[r+1]). */
export interface Csr {
  nRows: number;
  nCols: number;
  indptr: Int32Array; // nRows + 1
  indices: Int32Array; // nnz, column index of each entry, ascending within a row
  values: Float32Array; // nnz, confidence (or 1 for binary)
}

/** Dense factors of one model. */
export interface Factors {
  k: number;
  userFactors: Float32Array; // nUsers × k, row-major
  itemFactors: Float32Array; // nItems × k, row-major
}

export const EVENT_TYPES = ['watch', 'rating', 'search', 'browse', 'impression'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One event as it travels in files, streams and the warehouse (snake_case = column names). */
export interface EventRow {
  event_id: string;
  user_id: string;
  movie_id: string;
  event_type: EventType;
  ts: string; // ISO-8601 UTC
  watch_seconds: number | null;
  duration_seconds: number | null;
  rating: number | null; // 0.5–5
  source: string | null; // surface/slot that led to it, e.g. "home_feed:3"
}

/** One catalog title. */
export interface Title {
  movie_id: string;
  title: string;
  year: number | null;
  genres: string[];
  tags: string[];
  duration_seconds: number | null;
  added_at: string; // ISO-8601 UTC
}

/**
 * The periods of a run, one vocabulary for files, SQL parameters, artifacts and logs:
 *   pre   events before the pre clock (cutoff − the holdout's length): the gate ranker's examples
 *   gate  events before the cutoff: the gate models, evaluated on the holdout [cutoff, as-of]
 *   ship  every event up to as-of: the shipped models
 */
export type RunPhase = 'pre' | 'gate' | 'ship';

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

/** How users with few training positives are served (chosen on the gate holdout, model/gate.ts). */
export type LightStrategy = 'model' | 'popularity' | 'trending';
