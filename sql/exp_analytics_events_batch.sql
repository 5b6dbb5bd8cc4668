-- Analysts' copy of one ingested batch of events (Parquet; the worker's DuckDB stays private).
-- Params: $batch_id VARCHAR, $path VARCHAR (a file under DATA_DIR/analytics/events). Grain: event_id.
COPY (SELECT * FROM events WHERE batch_id = $batch_id ORDER BY ts) TO $path (FORMAT parquet);
