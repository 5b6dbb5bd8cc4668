-- Warehouse schema: the worker's working tables. Idempotent (IF NOT EXISTS).
-- Grain: catalog one row per movie_id; events one row per event_id; quarantine one row per
-- (source_hash, row_no); ingest_batches one row per ingested file content; model_runs one row
-- per version; eval_metrics one row per (version, model, holdout, slice, metric).
CREATE TABLE IF NOT EXISTS catalog (
  movie_id VARCHAR PRIMARY KEY,
  title VARCHAR NOT NULL,
  year INTEGER,
  genres VARCHAR[] NOT NULL,
  tags VARCHAR[] NOT NULL,
  duration_seconds DOUBLE,
  added_at TIMESTAMP NOT NULL,
  ingested_at TIMESTAMP NOT NULL
);
-- events.event_id is unique by construction, not by a key: every landing goes through
-- sql/stg_events_validated.sql, which drops an event_id the warehouse or the file already holds.
-- A PRIMARY KEY's index made ingest 40 % slower and grew with the table past the worker's memory
-- cap at 40 M events (bench/ingest-scale.ts; docs/scaling.md). Warehouses made before keep theirs.
CREATE TABLE IF NOT EXISTS events (
  event_id VARCHAR NOT NULL,
  user_id VARCHAR NOT NULL,
  movie_id VARCHAR NOT NULL,
  event_type VARCHAR NOT NULL,
  ts TIMESTAMP NOT NULL,
  watch_seconds DOUBLE,
  duration_seconds DOUBLE,
  rating DOUBLE,
  source VARCHAR,
  batch_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
  source_hash VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,          -- 'event' | 'title'
  row_no BIGINT NOT NULL,         -- 1-based data row in the source file
  reason VARCHAR NOT NULL,
  raw JSON NOT NULL,
  quarantined_at TIMESTAMP NOT NULL,
  PRIMARY KEY (source_hash, row_no)
);
CREATE TABLE IF NOT EXISTS ingest_batches (
  source_hash VARCHAR PRIMARY KEY,
  kind VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL,
  ingested BIGINT NOT NULL,
  duplicates BIGINT NOT NULL,
  quarantined BIGINT NOT NULL,
  ingested_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS model_runs (
  version VARCHAR PRIMARY KEY,
  workflow_id VARCHAR,
  model VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  data_as_of TIMESTAMP NOT NULL,
  cutoff TIMESTAMP NOT NULL,
  params JSON NOT NULL,
  gate_passed BOOLEAN NOT NULL,
  gate_reason VARCHAR NOT NULL,
  live_version VARCHAR,
  ndcg_10 DOUBLE,
  popularity_ndcg_10 DOUBLE,
  live_ndcg_10 DOUBLE,
  published BOOLEAN NOT NULL DEFAULT false,
  published_at TIMESTAMP,
  n_users BIGINT,
  n_items BIGINT,
  n_train_interactions BIGINT,
  gate_outcome VARCHAR,           -- pass | fail | inconclusive (model/gate.ts)
  release VARCHAR,                -- publish | keep_live | publish_baseline
  holdout_users BIGINT,           -- users the gate compared (its sample size)
  holdout_days DOUBLE             -- the holdout window it chose (sql/get_holdout_window.sql)
);
-- Warehouses made before these columns existed gain them.
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS gate_outcome VARCHAR;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS release VARCHAR;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS holdout_users BIGINT;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS holdout_days DOUBLE;
CREATE TABLE IF NOT EXISTS eval_metrics (
  version VARCHAR NOT NULL,
  model VARCHAR NOT NULL,         -- popularity | trending | candidate | ranked | shipped | live | shipped_vs_live
  holdout VARCHAR NOT NULL,       -- global_time
  slice VARCHAR NOT NULL,         -- all | light | heavy | new_titles
  -- metric: users (sample size), recall_10 … hitrate_10 with <metric>_lo / _hi (95 % bootstrap interval), coverage_10, mean_pop_10
  metric VARCHAR NOT NULL,
  value DOUBLE,
  PRIMARY KEY (version, model, holdout, slice, metric)
);
